/*-------------------------------------------------------------------------
 *
 * schedule_json.c
 *	  The schedule document: {"action", "spec", "policy", "state"} read
 *	  strictly into C structs, and the canonical JSON written back.
 *
 * Input is strict in the way of spec_json.c (SEMANTICS.md 6 and 9): an
 * unknown key, a value of the wrong JSON type or a bad value is an ERROR
 * with SQLSTATE 22023 that names the value by its path
 * ("schedule.action.task_queue") and says what is wrong with it; a JSON null
 * means the same as leaving the key out.  The spec part is read by
 * spec_json.c.  Value errors read "invalid value for <path>: <reason>".
 *
 * Parts: a part that is given is read whole; keys it leaves out take their
 * defaults (policy: overlap skip, catchup_window 365 days, pause_on_failure
 * false; state: not paused, empty note, not limited).  That is what
 * sched.update means by "replaces the parts given".
 *
 * Canonical output fills every default, so sched.describe() shows the
 * effective policy and state, and reading the canonical document back
 * gives the same schedule: the describe-then-update idiom of the README
 * works on it unchanged.  Durations are written as ISO 8601 with days of
 * 24 hours ("P365D", "PT10S", "PT1.5S"), as spec_json.c writes jitter.
 *
 * Decisions where SEMANTICS.md is silent:
 *	 - catchup_window below 10 s is raised to 10 s (SEMANTICS 3), silently,
 *	   as Temporal does; describe shows the raised value.
 *	 - catchup_mode (all, latest, none; default all) and concurrency_limit
 *	   (1-1000, default 1; above 1 not with allow_all, cancel_other or
 *	   terminate_other) are pg_sched's (issue 14; README "Catch-up modes",
 *	   "At most N open runs").
 *	 - execution_timeout and run_timeout must be positive when given (leave
 *	   them out for "no timeout"); durations have millisecond resolution.
 *	 - retry_policy is Temporal's RetryPolicy: initial_interval (default
 *	   1 s, positive), backoff_coefficient (default 2, 1 to 1e308: a
 *	   double holds it),
 *	   maximum_interval (default 100 x initial_interval, at most 200
 *	   years, not below initial_interval),
 *	   maximum_attempts (default 0 = unlimited), non_retryable_error_types
 *	   (strings); stored with the defaults filled in.
 *	 - action.memo and the schedule memo are JSON objects (Temporal's memo
 *	   is a map); args is a JSON array.
 *	 - the workflow id of a run is "<id>-<nominal time, RFC 3339 UTC>" by
 *	   default; id_time_format gives the suffix as a to_char() pattern of
 *	   the UTC time (at most 100 bytes; checked on the longest output it can
 *	   give, so every id fits 1000 bytes), keep_original_workflow_id the id
 *	   as given (then up to 1000 bytes); not both.  Canonical output shows
 *	   them only when set.
 *	 - limited_actions true with remaining_actions 0 is refused on input
 *	   (SEMANTICS 4: "limited without a positive count"), although describe
 *	   shows exactly that for an exhausted limited schedule; an update of
 *	   such a schedule leaves "state" out or gives a new count.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "json_input.h"
#include "sched_limits.h"
#include "schedule_json.h"
#include "sql_args.h"
#include "subxact.h"

/* Unix seconds of PostgreSQL's epoch, 2000-01-01 00:00:00 UTC. */
#define PG_EPOCH_UNIX_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

#define TIME_HINT "Write times in RFC 3339 with an explicit UTC offset or Z, e.g. \"2022-03-23T12:00:00Z\"."
#define OVERLAP_HINT "Valid policies are: skip, buffer_one, buffer_all, cancel_other, terminate_other, allow_all."
#define CATCHUP_HINT "Valid modes are: all, latest, none."


/* ---- reading JSON values ---- */

/*
 * Reads an object's keys into vals[] (indexed like keys[]; NULL when absent
 * or JSON null).
 */
static void
object_keys(const JsonbValue *v, const char *path, const char *const *keys,
			const JsonbValue **vals, int nkeys)
{
	JsonItem   *items;
	int			n;

	if (!jsonin_is_container(v, false))
		jsonin_type_error(path, "an object", v);
	for (int k = 0; k < nkeys; k++)
		vals[k] = NULL;
	n = jsonin_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = jsonin_key_index(items[i].key, keys, path);

		if (items[i].value.type != jbvNull)
			vals[k] = &items[i].value;
	}
}

static char *
key_path(const char *path, const char *key)
{
	return psprintf("%s.%s", path, key);
}

static bool
json_bool(const JsonbValue *v, const char *path)
{
	if (v->type != jbvBool)
		jsonin_type_error(path, "a boolean", v);
	return v->val.boolean;
}

/* A non-empty string (empty ones are refused unless allow_empty). */
static char *
json_string(const JsonbValue *v, const char *path, bool allow_empty)
{
	if (v->type != jbvString)
		jsonin_type_error(path, "a string", v);
	if (!allow_empty && v->val.string.len == 0)
		jsonin_value_error(path, NULL, "the empty string is not allowed");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * An integer in [min, max].  jsonb keeps a number's decimal text exactly
 * (5.0 stays 5.0): a fraction of zeros is still an integer.
 */
static int64
json_int(const JsonbValue *v, const char *path, int64 min, int64 max)
{
	char	   *s;
	const char *p;
	bool		negative = false;
	bool		overflow = false;
	int64		x = 0;

	if (v->type != jbvNumeric)
		jsonin_type_error(path, "an integer", v);
	s = DatumGetCString(DirectFunctionCall1(numeric_out,
											NumericGetDatum(v->val.numeric)));
	p = s;
	if (*p == '-')
	{
		negative = true;
		p++;
	}
	for (; isdigit((unsigned char) *p); p++)
	{
		if (pg_mul_s64_overflow(x, 10, &x) ||
			pg_add_s64_overflow(x, *p - '0', &x))
			overflow = true;
	}
	if (*p == '.')
		for (p++; *p == '0'; p++)
			;
	if (*p != '\0')
		jsonin_value_error(path, NULL, "%s is not an integer", s);
	if (negative)
		x = -x;
	if (overflow || x < min)
		jsonin_value_error(path, NULL, "%s is out of range " INT64_FORMAT "-" INT64_FORMAT,
					s, min, max);
	if (x > max)
		jsonin_value_error(path, NULL, "%s is out of range " INT64_FORMAT "-" INT64_FORMAT,
					s, min, max);
	return x;
}

/* ---- durations ---- */

/*
 * A duration in whole milliseconds, 0 to 200 years, read as every document
 * reads durations (json_input.c): the same forms, limits and wording.
 */
static int64
duration_ms(const JsonbValue *v, const char *path)
{
	return jsonin_duration_usec(v, path, 1000) / 1000;
}

static int64
positive_duration_ms(const JsonbValue *v, const char *path)
{
	int64		ms = duration_ms(v, path);

	if (ms == 0)
		jsonin_value_error(path, NULL, "a duration of zero is not allowed");
	return ms;
}

/* ---- building JSON ---- */

void
schedule_push_key(JsonbParseState **st, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = pstrdup(key);
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
}

void
schedule_push_text(JsonbParseState **st, JsonbIteratorToken tok,
				   const char *s)
{
	JsonbValue	v;

	/* the parse state keeps the pointer: give it a copy that lasts */
	v.type = jbvString;
	v.val.string.val = pstrdup(s);
	v.val.string.len = strlen(s);
	pushJsonbValue(st, tok, &v);
}

void
schedule_push_int(JsonbParseState **st, JsonbIteratorToken tok, int64 x)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(x);
	pushJsonbValue(st, tok, &v);
}

void
schedule_push_bool(JsonbParseState **st, JsonbIteratorToken tok, bool b)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = b;
	pushJsonbValue(st, tok, &v);
}

void
schedule_push_time(JsonbParseState **st, JsonbIteratorToken tok,
				   TimestampTz ts)
{
	schedule_push_text(st, tok, schedule_format_time(ts));
}

void
schedule_push_jsonb(JsonbParseState **st, JsonbIteratorToken tok, Jsonb *jb)
{
	JsonbValue	v;

	if (jb == NULL)
	{
		v.type = jbvNull;
		pushJsonbValue(st, tok, &v);
		return;
	}
	/* pushJsonbValue unpacks a binary value, scalars included */
	v.type = jbvBinary;
	v.val.binary.data = &jb->root;
	v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	pushJsonbValue(st, tok, &v);
}

static void
push_duration(JsonbParseState **st, const char *key, int64 ms)
{
	schedule_push_key(st, key);
	schedule_push_text(st, WJB_VALUE, jsonin_format_duration_ms(ms));
}

/* ---- instants ---- */

spec_time
schedule_ts_to_spec(TimestampTz ts)
{
	int64		secs = ts / USECS_PER_SEC;

	if (ts % USECS_PER_SEC < 0)
		secs--;
	return secs + PG_EPOCH_UNIX_SECS;
}

TimestampTz
schedule_spec_to_ts(spec_time t)
{
	return (t - PG_EPOCH_UNIX_SECS) * USECS_PER_SEC;
}

char *
schedule_format_time(TimestampTz ts)
{
	char		buf[SPEC_TIME_TEXT_LEN];
	int64		frac;
	char		digits[8];
	int			len;

	if (TIMESTAMP_NOT_FINITE(ts))
		return pstrdup(TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity");
	spec_format_time(schedule_ts_to_spec(ts), buf);
	frac = ts - schedule_spec_to_ts(schedule_ts_to_spec(ts));
	if (frac == 0)
		return pstrdup(buf);
	snprintf(digits, sizeof(digits), "%06d", (int) frac);
	len = 6;
	while (len > 1 && digits[len - 1] == '0')
		len--;
	/* "YYYY-MM-DDTHH:MM:SS" + ".fff" + "Z" */
	return psprintf("%.19s.%.*sZ", buf, len, digits);
}

static TimestampTz
json_time(const JsonbValue *v, const char *path)
{
	spec_time	t;
	int32_t		frac_us;
	SpecError	err;
	int64		usec;

	if (v->type != jbvString)
		jsonin_type_error(path, "a string", v);
	if (!spec_parse_time(v->val.string.val, v->val.string.len, &t, &frac_us,
						 &err))
		jsonin_value_error(path, TIME_HINT, "%s", err.message);
	if (pg_sub_s64_overflow(t, PG_EPOCH_UNIX_SECS, &usec) ||
		pg_mul_s64_overflow(usec, USECS_PER_SEC, &usec) ||
		pg_add_s64_overflow(usec, frac_us, &usec) ||
		!IS_VALID_TIMESTAMP(usec))
		jsonin_value_error(path, TIME_HINT, "%s is out of range", jsonin_show_string(v));
	return usec;
}

/* ---- retry policy ---- */

static const char *const retry_keys[] = {
	"initial_interval", "backoff_coefficient", "maximum_interval",
	"maximum_attempts", "non_retryable_error_types", NULL
};

/*
 * Reads a retry policy; returns its canonical form and, when out is not
 * NULL, the values (sched.start_workflow validates with it, and run_policy.c
 * reads stored canonical policies back with it to compute a backoff).
 */
/* The largest backoff coefficient: 1e308, below DBL_MAX. */
static Numeric
max_coefficient(void)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in,
											   CStringGetDatum("1e308"),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

static Jsonb *
retry_policy_from_value(const JsonbValue *v, const char *path,
						ScheduleRetryPolicy *out)
{
	const JsonbValue *val[5];
	int64		initial = 1000;
	int64		maximum;
	int64		attempts = 0;
	Numeric		coefficient = int64_to_numeric(2);
	JsonItem   *types = NULL;
	int			ntypes = 0;
	JsonbParseState *st = NULL;
	JsonbValue	num;

	object_keys(v, path, retry_keys, val, 5);
	if (val[0])
		initial = positive_duration_ms(val[0], key_path(path, retry_keys[0]));
	if (val[1])
	{
		char	   *kpath = key_path(path, retry_keys[1]);

		if (val[1]->type != jbvNumeric)
			jsonin_type_error(kpath, "a number", val[1]);
		coefficient = val[1]->val.numeric;
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											  NumericGetDatum(coefficient),
											  NumericGetDatum(int64_to_numeric(1)))) < 0)
			jsonin_value_error(kpath, NULL, "backoff coefficient %s is less than 1",
						DatumGetCString(DirectFunctionCall1(numeric_out,
															NumericGetDatum(coefficient))));
		/* beyond a double's range every fail on the run would error out */
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											  NumericGetDatum(coefficient),
											  NumericGetDatum(max_coefficient()))) > 0)
			jsonin_value_error(kpath, NULL, "backoff coefficient %s is more than 1e308",
							   numeric_out_sci(coefficient, 2));
	}
	/* the default stays within the limit, so the stored policy reads again */
	maximum = Min(initial * 100, JSONIN_MAX_DURATION_USEC / 1000);
	if (val[2])
	{
		char	   *kpath = key_path(path, retry_keys[2]);

		maximum = positive_duration_ms(val[2], kpath);
		if (maximum < initial)
			jsonin_value_error(kpath, NULL, "maximum interval %s is less than the initial interval %s",
						jsonin_format_duration_ms(maximum),
						jsonin_format_duration_ms(initial));
	}
	if (val[3])
		attempts = json_int(val[3], key_path(path, retry_keys[3]), 0,
							PG_INT32_MAX);
	if (val[4])
	{
		char	   *kpath = key_path(path, retry_keys[4]);

		if (!jsonin_is_container(val[4], true))
			jsonin_type_error(kpath, "an array of strings", val[4]);
		ntypes = jsonin_items(val[4], &types);
		for (int i = 0; i < ntypes; i++)
			(void) json_string(&types[i].value, psprintf("%s[%d]", kpath, i),
							   false);
	}

	if (out != NULL)
	{
		out->initial_interval_ms = initial;
		out->backoff_coefficient =
			DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											   NumericGetDatum(coefficient)));
		out->maximum_interval_ms = maximum;
		out->maximum_attempts = (int32) attempts;
		out->num_non_retryable = ntypes;
		out->non_retryable_error_types = palloc(sizeof(char *) * Max(ntypes, 1));
		for (int i = 0; i < ntypes; i++)
			out->non_retryable_error_types[i] =
				pnstrdup(types[i].value.val.string.val,
						 types[i].value.val.string.len);
	}

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_duration(&st, "initial_interval", initial);
	schedule_push_key(&st, "backoff_coefficient");
	num.type = jbvNumeric;
	num.val.numeric = coefficient;
	pushJsonbValue(&st, WJB_VALUE, &num);
	push_duration(&st, "maximum_interval", maximum);
	schedule_push_key(&st, "maximum_attempts");
	schedule_push_int(&st, WJB_VALUE, attempts);
	schedule_push_key(&st, "non_retryable_error_types");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < ntypes; i++)
		pushJsonbValue(&st, WJB_ELEM, &types[i].value);
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

Jsonb *
schedule_retry_policy_from_jsonb(Jsonb *jb, const char *path,
								 ScheduleRetryPolicy *out)
{
	JsonbValue	root;

	jsonin_root_value(jb, &root);
	return retry_policy_from_value(&root, path, out);
}

/* ---- action ---- */

enum
{
	A_WORKFLOW,
	A_ARGS,
	A_ID,
	A_TASK_QUEUE,
	A_EXECUTION_TIMEOUT,
	A_RUN_TIMEOUT,
	A_RETRY_POLICY,
	A_MEMO,
	A_SQL,
	A_TRANSACTION,
	A_ID_TIME_FORMAT,
	A_KEEP_ID,
	A_COUNT
};

static const char *const action_keys[] = {
	"workflow", "args", "id", "task_queue", "execution_timeout",
	"run_timeout", "retry_policy", "memo", "sql", "transaction",
	"id_time_format", "keep_original_workflow_id", NULL
};

/* The longest id_time_format accepted. */
#define ID_TIME_FORMAT_MAX		100

char *
schedule_format_id_time(const char *format, TimestampTz nominal)
{
	/* a timestamp without time zone holds the UTC wall clock */
	text	   *t = DatumGetTextPP(DirectFunctionCall2(timestamp_to_char,
													   TimestampGetDatum((Timestamp) nominal),
													   CStringGetTextDatum(format)));

	return text_to_cstring(t);
}

/*
 * The action's id options (read before the id, whose limit depends on
 * them): the suffix's format must be non-empty and short, and the longest
 * suffix it can give (names of days and months, at their longest in
 * September and on a Wednesday) must leave the id within 1000 bytes.
 */
static int
id_options(const JsonbValue **val, char **kpath, ScheduleAction *out)
{
	if (val[A_KEEP_ID])
	{
		if (val[A_KEEP_ID]->type != jbvBool)
			jsonin_type_error(kpath[A_KEEP_ID], "a boolean", val[A_KEEP_ID]);
		out->keep_original_workflow_id = val[A_KEEP_ID]->val.boolean;
	}
	if (val[A_ID_TIME_FORMAT] == NULL)
		return out->keep_original_workflow_id ? SCHED_NAME_MAX :
			SCHEDULE_ACTION_ID_MAX;
	if (out->keep_original_workflow_id)
		jsonin_value_error(kpath[A_ID_TIME_FORMAT],
						   "With keep_original_workflow_id every run's workflow id is the id as given.",
						   "an action with keep_original_workflow_id has no id_time_format");
	out->id_time_format = json_string(val[A_ID_TIME_FORMAT],
									  kpath[A_ID_TIME_FORMAT], false);
	if (strlen(out->id_time_format) > ID_TIME_FORMAT_MAX)
		jsonin_value_error(kpath[A_ID_TIME_FORMAT], NULL, SCHED_TOO_LONG_FMT,
						   (int) strlen(out->id_time_format),
						   ID_TIME_FORMAT_MAX);
	/* a run's id must not depend on the session: no translated names */
	for (const char *p = out->id_time_format; *p; p++)
	{
		if (*p == '"')
		{
			/* quoted text is literal; \" inside it is a quote */
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p == '\0')
				break;
		}
		else if (*p == '\\' && p[1])
			p++;
		else if (pg_strncasecmp(p, "TM", 2) == 0)
			jsonin_value_error(kpath[A_ID_TIME_FORMAT],
							   "Day and month names are English without TM, whatever lc_time says.",
							   "the TM prefix (names translated by lc_time) is not allowed in a workflow id");
	}
	{
		/* 2100-09-29 23:59:59.999999 UTC: a Wednesday in September */
		TimestampTz widest = INT64CONST(3179260799999999);
		int			len = strlen(schedule_format_id_time(out->id_time_format,
														 widest));

		return SCHED_NAME_MAX - 1 - len;
	}
}

/*
 * Keys of sched.start_workflow that a schedule's action refuses by name
 * (SEMANTICS.md 2), rather than as unknown keys.
 */
static void
refuse_start_keys(const JsonbValue *v, const char *path)
{
	JsonItem   *items;
	int			n;

	if (!jsonin_is_container(v, false))
		return;
	n = jsonin_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		if (items[i].value.type == jbvNull)
			continue;
		if (strcmp(items[i].key, "cron_schedule") == 0)
			jsonin_value_error(key_path(path, "cron_schedule"),
						"The schedule's spec says when its workflows start; sched.start_workflow takes cron_schedule.",
						"a schedule's action cannot have a cron schedule");
		if (strcmp(items[i].key, "start_delay") == 0)
			jsonin_value_error(key_path(path, "start_delay"),
						"The schedule's spec says when its workflows start; sched.start_workflow takes start_delay.",
						"a schedule's action cannot have a start delay");
	}
}

/*
 * An SQL action ({"sql": ..., "id": ...}): the command, checked for syntax
 * now, and whether it runs in one transaction with its run's close.  Its
 * runs are workflow runs of type "sql" in the reserved task queue, with the
 * command and the transaction flag as their arguments (the executor reads
 * them there), so every path that starts a schedule's run starts them
 * unchanged.
 */
static void
sql_action_from_values(const JsonbValue **val, char **kpath, const char *path,
					   int id_max, ScheduleAction *out)
{
	static const int others[] = {A_WORKFLOW, A_TASK_QUEUE, A_ARGS};
	JsonbParseState *st = NULL;
	JsonbValue	jv;

	for (int i = 0; i < (int) lengthof(others); i++)
		if (val[others[i]] != NULL)
			jsonin_value_error(kpath[others[i]],
						"An action either runs sql in the database or starts a workflow (workflow, task_queue, args).",
						"an action with sql has no %s", action_keys[others[i]]);
	if (val[A_ID] == NULL)
		jsonin_missing_key("id", path);
	out->sql = json_string(val[A_SQL], kpath[A_SQL], false);
	if (strlen(out->sql) > SCHED_PAYLOAD_MAX)
		jsonin_value_error(kpath[A_SQL], NULL,
					"command of %d bytes is longer than the limit of %d",
					(int) strlen(out->sql), SCHED_PAYLOAD_MAX);
	out->transaction = true;
	if (val[A_TRANSACTION] != NULL)
	{
		if (val[A_TRANSACTION]->type != jbvBool)
			jsonin_type_error(kpath[A_TRANSACTION], "a boolean",
							  val[A_TRANSACTION]);
		out->transaction = val[A_TRANSACTION]->val.boolean;
	}
	out->id = json_string(val[A_ID], kpath[A_ID], false);
	if ((int) strlen(out->id) > id_max)
		jsonin_value_error(kpath[A_ID],
					"Workflow ids are the id, \"-\" and the nominal time, at most 1000 bytes.",
					"id of %d bytes is longer than the limit of %d",
					(int) strlen(out->id), id_max);
	out->workflow = SCHEDULE_SQL_WORKFLOW;
	out->task_queue = SCHEDULE_SQL_TASK_QUEUE;

	/* args: [command, transaction] */
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	schedule_push_text(&st, WJB_ELEM, out->sql);
	jv.type = jbvBool;
	jv.val.boolean = out->transaction;
	pushJsonbValue(&st, WJB_ELEM, &jv);
	out->args = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_ARRAY, NULL));
}

typedef struct SqlCheck
{
	const char *sql;
	int			nstatements;
} SqlCheck;

static void
sql_check_fn(void *arg)
{
	SqlCheck   *c = (SqlCheck *) arg;

	c->nstatements = list_length(raw_parser(c->sql, RAW_PARSE_DEFAULT));
}

void
schedule_check_sql(const char *sql, const char *path)
{
	SqlCheck	c = {sql, 0};
	ErrorData  *edata = sched_try_subxact(sql_check_fn, &c);

	if (edata != NULL)
		jsonin_value_error(path, NULL, "%s", edata->message);
	if (c.nstatements == 0)
		jsonin_value_error(path, NULL, "the command holds no statement");
}

static void
action_from_value(const JsonbValue *v, const char *path, ScheduleAction *out)
{
	const JsonbValue *val[A_COUNT];
	char	   *kpath[A_COUNT];
	int			id_max;

	memset(out, 0, sizeof(*out));
	refuse_start_keys(v, path);
	object_keys(v, path, action_keys, val, A_COUNT);
	for (int k = 0; k < A_COUNT; k++)
		kpath[k] = key_path(path, action_keys[k]);
	id_max = id_options(val, kpath, out);

	if (val[A_SQL] != NULL)
	{
		sql_action_from_values(val, kpath, path, id_max, out);
		goto options;
	}
	if (val[A_TRANSACTION] != NULL)
		jsonin_value_error(kpath[A_TRANSACTION],
					"Only an action with sql runs in a transaction of its own.",
					"an action without sql has no transaction");
	if (val[A_WORKFLOW] == NULL)
		jsonin_missing_key("workflow", path);
	if (val[A_ID] == NULL)
		jsonin_missing_key("id", path);
	if (val[A_TASK_QUEUE] == NULL)
		jsonin_missing_key("task_queue", path);
	out->workflow = json_string(val[A_WORKFLOW], kpath[A_WORKFLOW], false);
	if (strlen(out->workflow) > SCHED_NAME_MAX)
		jsonin_value_error(kpath[A_WORKFLOW], NULL,
					SCHED_TOO_LONG_FMT,
					(int) strlen(out->workflow), SCHED_NAME_MAX);
	out->id = json_string(val[A_ID], kpath[A_ID], false);
	if ((int) strlen(out->id) > id_max)
		jsonin_value_error(kpath[A_ID],
					"Workflow ids are the id, \"-\" and the nominal time, at most 1000 bytes.",
					SCHED_TOO_LONG_FMT,
					(int) strlen(out->id), id_max);
	out->task_queue = json_string(val[A_TASK_QUEUE], kpath[A_TASK_QUEUE],
								  false);
	if (strlen(out->task_queue) > SCHED_NAME_MAX)
		jsonin_value_error(kpath[A_TASK_QUEUE], NULL,
					SCHED_TOO_LONG_FMT,
					(int) strlen(out->task_queue), SCHED_NAME_MAX);
	if (strcmp(out->task_queue, SCHEDULE_SQL_TASK_QUEUE) == 0)
		jsonin_value_error(kpath[A_TASK_QUEUE],
					"Write the command as the action's sql instead.",
					"task queue \"%s\" is reserved for the runs of SQL actions",
					SCHEDULE_SQL_TASK_QUEUE);

	if (val[A_ARGS])
	{
		if (!jsonin_is_container(val[A_ARGS], true))
			jsonin_type_error(kpath[A_ARGS], "an array", val[A_ARGS]);
		out->args = JsonbValueToJsonb((JsonbValue *) val[A_ARGS]);
		schedule_check_args(out->args, kpath[A_ARGS]);
	}
	else
		out->args = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													   CStringGetDatum("[]")));
options:
	if (val[A_EXECUTION_TIMEOUT])
		out->execution_timeout_ms =
			positive_duration_ms(val[A_EXECUTION_TIMEOUT],
								 kpath[A_EXECUTION_TIMEOUT]);
	if (val[A_RUN_TIMEOUT])
		out->run_timeout_ms = positive_duration_ms(val[A_RUN_TIMEOUT],
												   kpath[A_RUN_TIMEOUT]);
	if (val[A_RETRY_POLICY])
		out->retry_policy = retry_policy_from_value(val[A_RETRY_POLICY],
													kpath[A_RETRY_POLICY],
													NULL);
	if (val[A_MEMO])
	{
		if (!jsonin_is_container(val[A_MEMO], false))
			jsonin_type_error(kpath[A_MEMO], "an object", val[A_MEMO]);
		out->memo = JsonbValueToJsonb((JsonbValue *) val[A_MEMO]);
		schedule_check_memo(out->memo, kpath[A_MEMO]);
	}
}

void
schedule_check_args(Jsonb *args, const char *name)
{
	JsonbValue	root;

	jsonin_root_value(args, &root);
	if (!jsonin_is_container(&root, true))
		jsonin_type_error(name, "an array", &root);
	sched_check_payload(args, name);
}

void
schedule_check_memo(Jsonb *memo, const char *name)
{
	JsonbValue	root;

	jsonin_root_value(memo, &root);
	if (!jsonin_is_container(&root, false))
		jsonin_type_error(name, "an object", &root);
	sched_check_payload(memo, name);
}

void
schedule_action_from_jsonb(Jsonb *jb, const char *path, ScheduleAction *out)
{
	JsonbValue	root;

	jsonin_root_value(jb, &root);
	action_from_value(&root, path, out);
}

Jsonb *
schedule_action_to_jsonb(const ScheduleAction *a)
{
	JsonbParseState *st = NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	if (a->sql != NULL)
	{
		schedule_push_key(&st, "sql");
		schedule_push_text(&st, WJB_VALUE, a->sql);
		schedule_push_key(&st, "id");
		schedule_push_text(&st, WJB_VALUE, a->id);
		if (!a->transaction)
		{
			schedule_push_key(&st, "transaction");
			schedule_push_bool(&st, WJB_VALUE, false);
		}
	}
	else
	{
		schedule_push_key(&st, "workflow");
		schedule_push_text(&st, WJB_VALUE, a->workflow);
		schedule_push_key(&st, "args");
		schedule_push_jsonb(&st, WJB_VALUE, a->args);
		schedule_push_key(&st, "id");
		schedule_push_text(&st, WJB_VALUE, a->id);
		schedule_push_key(&st, "task_queue");
		schedule_push_text(&st, WJB_VALUE, a->task_queue);
	}
	if (a->execution_timeout_ms > 0)
		push_duration(&st, "execution_timeout", a->execution_timeout_ms);
	if (a->run_timeout_ms > 0)
		push_duration(&st, "run_timeout", a->run_timeout_ms);
	if (a->retry_policy)
	{
		schedule_push_key(&st, "retry_policy");
		schedule_push_jsonb(&st, WJB_VALUE, a->retry_policy);
	}
	if (a->memo)
	{
		schedule_push_key(&st, "memo");
		schedule_push_jsonb(&st, WJB_VALUE, a->memo);
	}
	if (a->id_time_format)
	{
		schedule_push_key(&st, "id_time_format");
		schedule_push_text(&st, WJB_VALUE, a->id_time_format);
	}
	if (a->keep_original_workflow_id)
	{
		schedule_push_key(&st, "keep_original_workflow_id");
		schedule_push_bool(&st, WJB_VALUE, true);
	}
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/* ---- policy ---- */

static const char *const policy_keys[] = {
	"overlap", "catchup_window", "pause_on_failure", "catchup_mode",
	"concurrency_limit", NULL
};

void
schedule_policy_default(SchedulePolicy *out)
{
	out->overlap = DISPATCH_SKIP;
	out->catchup_window_ms = SCHEDULE_CATCHUP_DEFAULT_MS;
	out->pause_on_failure = false;
	out->catchup_mode = DISPATCH_CATCHUP_ALL;
	out->concurrency_limit = 1;
}

static DispatchCatchup
catchup_from_value(const JsonbValue *v, const char *path)
{
	DispatchCatchup m;

	if (v->type != jbvString)
		jsonin_type_error(path, "a string", v);
	if (!dispatch_catchup_from_name(v->val.string.val, v->val.string.len, &m))
		jsonin_value_error(path, CATCHUP_HINT, "unknown catch-up mode %s",
					jsonin_show_string(v));
	return m;
}

DispatchCatchup
schedule_catchup_from_text(const char *name, const char *path)
{
	DispatchCatchup m;

	if (!dispatch_catchup_from_name(name, strlen(name), &m))
		jsonin_value_error(path, CATCHUP_HINT, "unknown catch-up mode %s",
					jsonin_show_text(name, strlen(name)));
	return m;
}

static DispatchOverlap
overlap_from_value(const JsonbValue *v, const char *path)
{
	DispatchOverlap o;

	if (v->type != jbvString)
		jsonin_type_error(path, "a string", v);
	if (!dispatch_overlap_from_name(v->val.string.val, v->val.string.len, &o))
		jsonin_value_error(path, OVERLAP_HINT, "unknown overlap policy %s",
					jsonin_show_string(v));
	return o;
}

DispatchOverlap
schedule_overlap_from_text(const char *name, const char *path)
{
	DispatchOverlap o;

	if (!dispatch_overlap_from_name(name, strlen(name), &o))
		jsonin_value_error(path, OVERLAP_HINT, "unknown overlap policy %s",
					jsonin_show_text(name, strlen(name)));
	return o;
}

static void
policy_from_value(const JsonbValue *v, const char *path, SchedulePolicy *out)
{
	const JsonbValue *val[5];

	schedule_policy_default(out);
	object_keys(v, path, policy_keys, val, 5);
	if (val[0])
		out->overlap = overlap_from_value(val[0], key_path(path, "overlap"));
	if (val[1])
	{
		/* SEMANTICS.md 3: "minimum 10 s: smaller values are raised to 10 s" */
		out->catchup_window_ms = Max(duration_ms(val[1],
												 key_path(path, "catchup_window")),
									 SCHEDULE_CATCHUP_MIN_MS);
	}
	if (val[2])
		out->pause_on_failure = json_bool(val[2],
										  key_path(path, "pause_on_failure"));
	if (val[3])
		out->catchup_mode = catchup_from_value(val[3],
											   key_path(path, "catchup_mode"));
	if (val[4])
		out->concurrency_limit = (int) json_int(val[4],
												key_path(path, "concurrency_limit"),
												1, SCHEDULE_CONCURRENCY_MAX);

	/*
	 * The limit says how many runs may be open before the overlap policy
	 * decides: allow_all never decides (no limit to apply), and cancel_other
	 * / terminate_other would not say which of several open runs to end.
	 */
	if (out->concurrency_limit > 1 &&
		(out->overlap == DISPATCH_ALLOW_ALL ||
		 out->overlap == DISPATCH_CANCEL_OTHER ||
		 out->overlap == DISPATCH_TERMINATE_OTHER))
		jsonin_value_error(path,
					"Use overlap skip (the extra actions are skipped), buffer_one or buffer_all (they wait for a free slot) with a concurrency_limit above 1.",
					"concurrency_limit %d does not apply to overlap policy %s",
					out->concurrency_limit,
					dispatch_overlap_names[out->overlap]);
}

void
schedule_policy_from_jsonb(Jsonb *jb, const char *path, SchedulePolicy *out)
{
	JsonbValue	root;

	jsonin_root_value(jb, &root);
	policy_from_value(&root, path, out);
}

Jsonb *
schedule_policy_to_jsonb(const SchedulePolicy *p)
{
	JsonbParseState *st = NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "overlap");
	schedule_push_text(&st, WJB_VALUE, dispatch_overlap_names[p->overlap]);
	push_duration(&st, "catchup_window", p->catchup_window_ms);
	schedule_push_key(&st, "pause_on_failure");
	schedule_push_bool(&st, WJB_VALUE, p->pause_on_failure);
	schedule_push_key(&st, "catchup_mode");
	schedule_push_text(&st, WJB_VALUE, dispatch_catchup_names[p->catchup_mode]);
	schedule_push_key(&st, "concurrency_limit");
	schedule_push_int(&st, WJB_VALUE, p->concurrency_limit);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/* ---- state ---- */

static const char *const state_keys[] = {
	"paused", "note", "limited_actions", "remaining_actions", NULL
};

void
schedule_state_default(ScheduleState *out)
{
	out->paused = false;
	out->note = pstrdup("");
	out->limited_actions = false;
	out->remaining_actions = 0;
}

static void
state_from_value(const JsonbValue *v, const char *path, ScheduleState *out)
{
	const JsonbValue *val[4];

	schedule_state_default(out);
	object_keys(v, path, state_keys, val, 4);
	if (val[0])
		out->paused = json_bool(val[0], key_path(path, "paused"));
	if (val[1])
	{
		char	   *kpath = key_path(path, "note");

		out->note = json_string(val[1], kpath, true);
		if (strlen(out->note) > SCHEDULE_NOTE_MAX)
			jsonin_value_error(kpath, NULL, SCHED_TOO_LONG_FMT,
						(int) strlen(out->note), SCHEDULE_NOTE_MAX);
	}
	if (val[2])
		out->limited_actions = json_bool(val[2],
										 key_path(path, "limited_actions"));
	if (val[3])
		out->remaining_actions = json_int(val[3],
										  key_path(path, "remaining_actions"),
										  0, PG_INT64_MAX);

	/* SEMANTICS.md 4: limited needs a positive count, a count needs limited */
	if (out->limited_actions && out->remaining_actions == 0)
		jsonin_value_error(path,
					"Give remaining_actions a positive count, or set limited_actions to false.",
					"limited_actions is true but remaining_actions is 0");
	if (!out->limited_actions && out->remaining_actions > 0)
		jsonin_value_error(path,
					"Set limited_actions to true to limit the schedule to remaining_actions actions.",
					"remaining_actions is " INT64_FORMAT " but limited_actions is false",
					out->remaining_actions);
}

Jsonb *
schedule_state_to_jsonb(const ScheduleState *s)
{
	JsonbParseState *st = NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "paused");
	schedule_push_bool(&st, WJB_VALUE, s->paused);
	schedule_push_key(&st, "note");
	schedule_push_text(&st, WJB_VALUE, s->note);
	schedule_push_key(&st, "limited_actions");
	schedule_push_bool(&st, WJB_VALUE, s->limited_actions);
	schedule_push_key(&st, "remaining_actions");
	schedule_push_int(&st, WJB_VALUE, s->remaining_actions);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/* ---- the document ---- */

static const char *const doc_keys[] = {
	"action", "spec", "policy", "state", NULL
};

void
schedule_doc_from_jsonb(Jsonb *jb, const char *path, ScheduleDoc *out)
{
	JsonbValue	root;
	const JsonbValue *val[4];

	memset(out, 0, sizeof(*out));
	jsonin_root_value(jb, &root);
	object_keys(&root, path, doc_keys, val, 4);

	/* in document order, so the first problem reported is the first one */
	if (val[0])
	{
	{
		action_from_value(val[0], key_path(path, "action"), &out->action);
		/* input only: a stored command was checked when it was given */
		if (out->action.sql != NULL)
			schedule_check_sql(out->action.sql,
							   key_path(path, "action.sql"));
	}
		out->has_action = true;
	}
	if (val[1])
	{
		spec_from_jsonb_value(val[1], key_path(path, "spec"), &out->spec);
		out->has_spec = true;
	}
	if (val[2])
	{
		policy_from_value(val[2], key_path(path, "policy"), &out->policy);
		out->has_policy = true;
	}
	else
		schedule_policy_default(&out->policy);
	if (val[3])
	{
		state_from_value(val[3], key_path(path, "state"), &out->state);
		out->has_state = true;
	}
	else
		schedule_state_default(&out->state);
}

/* ---- backfill requests ---- */

static const char *const backfill_keys[] = {
	"start_at", "end_at", "overlap", "args", "memo", NULL
};

void
schedule_check_backfill(const ScheduleBackfill *bf, const char *path)
{
	const char *sep = path[0] ? "." : "";

	if (TIMESTAMP_NOT_FINITE(bf->start_at))
		jsonin_value_error(psprintf("%s%sstart_at", path, sep), NULL,
					"%s is not a time a backfill can start at",
					schedule_format_time(bf->start_at));
	if (TIMESTAMP_NOT_FINITE(bf->end_at))
		jsonin_value_error(psprintf("%s%send_at", path, sep), NULL,
					"%s is not a time a backfill can end at",
					schedule_format_time(bf->end_at));
	if (bf->end_at < bf->start_at)
		jsonin_value_error(psprintf("%s%send_at", path, sep),
					"A backfill covers start_at to end_at, both included.",
					"%s is before start_at %s",
					schedule_format_time(bf->end_at),
					schedule_format_time(bf->start_at));
}

int
schedule_backfills_from_jsonb(Jsonb *jb, const char *path,
							  ScheduleBackfill **out)
{
	JsonbValue	root;
	JsonItem   *items;
	int			n;

	jsonin_root_value(jb, &root);
	if (!jsonin_is_container(&root, true))
		jsonin_type_error(path, "an array of backfill ranges", &root);
	n = jsonin_items(&root, &items);
	if (n > SCHED_BACKFILL_RANGES_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("invalid value for %s: %d backfill ranges exceed the limit of %d",
						path, n, SCHED_BACKFILL_RANGES_MAX),
				 errhint("Backfill at most %d ranges per call.",
						 SCHED_BACKFILL_RANGES_MAX)));
	*out = palloc0(sizeof(ScheduleBackfill) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		char	   *ipath = psprintf("%s[%d]", path, i);
		const JsonbValue *val[5];
		ScheduleBackfill *bf = &(*out)[i];

		object_keys(&items[i].value, ipath, backfill_keys, val, 5);
		if (val[0] == NULL)
			jsonin_missing_key("start_at", ipath);
		if (val[1] == NULL)
			jsonin_missing_key("end_at", ipath);
		bf->start_at = json_time(val[0], key_path(ipath, "start_at"));
		bf->end_at = json_time(val[1], key_path(ipath, "end_at"));
		if (val[2])
		{
			bf->has_overlap = true;
			bf->overlap = overlap_from_value(val[2],
											 key_path(ipath, "overlap"));
		}
		if (val[3])
		{
			bf->args = JsonbValueToJsonb((JsonbValue *) val[3]);
			schedule_check_args(bf->args, key_path(ipath, "args"));
		}
		if (val[4])
		{
			bf->memo = JsonbValueToJsonb((JsonbValue *) val[4]);
			schedule_check_memo(bf->memo, key_path(ipath, "memo"));
		}
		schedule_check_backfill(bf, ipath);
	}
	return n;
}
