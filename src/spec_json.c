/*-------------------------------------------------------------------------
 *
 * spec_json.c
 *	  Specs as JSON: reading a jsonb spec into the engine's Spec, and
 *	  writing the canonical jsonb form back.
 *
 * Input follows SEMANTICS.md part 9 and is strict: an unknown key, a value
 * of the wrong JSON type or a bad value is an ERROR (SQLSTATE 22023) that
 * names the field by its path ("spec.calendars[0].hour") and the value;
 * nothing is silently defaulted or dropped.  A JSON null for a key means
 * the same as leaving the key out.  Every value problem reads
 *
 *		invalid value for <path>: <what is wrong, naming the value>
 *
 * using the engine's own wording where the engine found the problem.
 *
 * Durations (every, offset, jitter) are read by json_input.c, as every
 * document of pg_sched reads them.
 *
 * Zone agreement (SEMANTICS.md 1.2, 1.6): the effective zone of each cron
 * string that yields a calendar is its TZ=/CRON_TZ= prefix, else
 * time_zone_name if that is set (non-empty), else UTC.  All of them, and
 * time_zone_name if set, must name the same zone after canonicalisation
 * ("utc" = "UTC"; "Etc/UTC" is a different name), else "conflicting time
 * zone names"; the spec's zone becomes that zone, which then also applies
 * to the spec's plain calendars and skip calendars.  A prefix on an @every
 * line is ignored, as intervals are UTC.
 *
 * The canonical form lists calendars (cron strings included), intervals
 * (@every strings included) and skip as arrays, always; time_zone_name
 * always (canonical spelling, "UTC" when unset); start_at, end_at and
 * jitter only when set; dst only when it is not the default, with both of
 * its keys.  In a calendar, day_of_month lists its days from the start,
 * then its days from the end as negative ranges ({"start": -1} = "L");
 * day_of_week its plain weekdays, then the n-th ones as ranges with "nth"
 * (1..5, then -1..-5: {"start": 5, "nth": -1} = "5L").  Reading the canonical form gives the same spec,
 * so writing it again gives the same text: it is a fixed point.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "json_input.h"
#include "spec_json.h"
#include "spec_pgtz.h"

/* The instants spec_format_time can write: years 0000-9999. */
#define SPEC_TIME_TEXT_MIN	INT64CONST(-62167219200)	/* 0000-01-01 */
#define SPEC_TIME_TEXT_MAX	INT64CONST(253402300799)	/* 9999-12-31 23:59:59 */

#define TZ_HINT "See the view pg_timezone_names for the zones this server knows."
#define TIME_HINT "Write times in RFC 3339 with an explicit UTC offset or Z, e.g. \"2022-03-23T12:00:00Z\"."

static void engine_value_error(const char *path, const SpecError *err) pg_attribute_noreturn();

/* ---- reading JSON values ---- */

/*
 * An integer value of a calendar field, in the engine's wording; values that
 * do not fit an int are out of range whatever the field.
 */
static int
field_int(const JsonbValue *v, const char *path, SpecField field)
{
	JsonNumber	num;
	int			max = spec_field_max[field];

	if (v->type != jbvNumeric)
		jsonin_type_error(path, "an integer", v);
	jsonin_read_number(v, path, &num);
	if (num.frac_digits > 0)
		jsonin_value_error(path, NULL, "value %s is not an integer in the %s field",
					num.text, spec_field_names[field]);
	if (num.huge || num.ipart > PG_INT32_MAX)
		jsonin_value_error(path, NULL, "value %s out of range %d-%d in the %s field",
					num.text, spec_field_min[field], max,
					spec_field_names[field]);
	return num.negative ? -(int) num.ipart : (int) num.ipart;
}

static void
engine_value_error(const char *path, const SpecError *err)
{
	jsonin_value_error(path, NULL, "%s", err->message);
}

/* ---- durations ---- */

/* ---- times and zones ---- */

static spec_time
time_from_json(const JsonbValue *v, const char *path, bool round_up)
{
	spec_time	t;
	int32_t		frac_us;
	SpecError	err;

	if (v->type != jbvString)
		jsonin_type_error(path, "a string", v);
	if (!spec_parse_time(v->val.string.val, v->val.string.len, &t, &frac_us,
						 &err))
		jsonin_value_error(path, TIME_HINT, "%s", err.message);
	/* instants are whole seconds: the bound moves inwards */
	if (round_up && frac_us > 0)
		t++;
	if (t < SPEC_TIME_TEXT_MIN || t > SPEC_TIME_TEXT_MAX)
		jsonin_value_error(path, TIME_HINT, "%s is out of range", jsonin_show_string(v));
	return t;
}

/* ---- calendars ---- */

static const char *const calendar_keys[] = {
	"second", "minute", "hour", "day_of_month", "month", "day_of_week",
	"year", "comment", NULL
};
static const char *const range_keys[] = {"start", "end", "step", "nth", NULL};

static void
range_from_json(const JsonbValue *v, const char *path, SpecCalendar *cal,
				SpecField field)
{
	JsonItem   *items;
	int			n;
	bool		has_start = false;
	int			start = 0,
				end = 0,
				step = 0,
				nth = 0;
	bool		has_nth = false;
	SpecError	err;

	if (!jsonin_is_container(v, false))
		jsonin_type_error(path, "a range object", v);
	n = jsonin_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = jsonin_key_index(items[i].key, range_keys, path);
		const JsonbValue *kv = &items[i].value;
		char	   *kpath = psprintf("%s.%s", path, items[i].key);

		if (kv->type == jbvNull)
			continue;
		if (k == 0)
		{
			start = field_int(kv, kpath, field);
			has_start = true;
		}
		else if (k == 1)
			end = field_int(kv, kpath, field);
		else if (k == 3)
		{
			JsonNumber	num;

			if (field != SPEC_DAY_OF_WEEK)
				jsonin_value_error(kpath, "Use nth in day_of_week ranges, e.g. {\"start\": 1, \"nth\": 3} for the third Monday.",
								   "nth is only allowed in the day_of_week field");
			if (kv->type != jbvNumeric)
				jsonin_type_error(kpath, "an integer", kv);
			jsonin_read_number(kv, kpath, &num);
			if (num.frac_digits > 0 || num.huge || num.ipart > 5 || num.ipart == 0)
				jsonin_value_error(kpath, NULL, "nth %s out of range 1-5 or -5 to -1 in the day_of_week field",
								   num.text);
			nth = num.negative ? -(int) num.ipart : (int) num.ipart;
			has_nth = true;
		}
		else
		{
			JsonNumber	num;

			if (kv->type != jbvNumeric)
				jsonin_type_error(kpath, "an integer", kv);
			jsonin_read_number(kv, kpath, &num);
			if (num.frac_digits > 0)
				jsonin_value_error(kpath, NULL, "step %s is not an integer in the %s field",
							num.text, spec_field_names[field]);
			if (num.negative)
				jsonin_value_error(kpath, NULL, "step %s must not be negative in the %s field",
							num.text, spec_field_names[field]);

			/*
			 * A step beyond a field's span selects only the start; clamping
			 * keeps the engine's stepping loop far from int overflow.
			 */
			step = (num.huge || num.ipart > 1000) ? 1000 : (int) num.ipart;
		}
	}
	if (!has_start)
		jsonin_missing_key("start", path);
	if (has_nth ? !spec_calendar_add_nth(cal, start, end, step, nth, &err) :
		!spec_calendar_add_range(cal, field, start, end, step, &err))
		engine_value_error(path, &err);
}

static void
field_from_json(const JsonbValue *v, const char *path, SpecCalendar *cal,
				SpecField field)
{
	SpecError	err;

	if (v->type == jbvString)
	{
		if (v->val.string.len > SPEC_JSON_MAX_TEXT)
			jsonin_value_error(path, NULL, "string of %d bytes is longer than the limit of %d",
						v->val.string.len, SPEC_JSON_MAX_TEXT);
		if (!spec_calendar_parse_field(cal, field, v->val.string.val,
									   v->val.string.len, 0, &err))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for %s: %s: %s", path,
							jsonin_show_string(v), err.message),
					 err.position > 0 ?
					 errdetail("The error is at character %d.", err.position) : 0));
	}
	else if (v->type == jbvNumeric)
	{
		int			x = field_int(v, path, field);

		spec_calendar_clear_field(cal, field);
		if (!spec_calendar_add_range(cal, field, x, x, 1, &err))
			engine_value_error(path, &err);
	}
	else if (jsonin_is_container(v, true))
	{
		JsonItem   *items;
		int			n = jsonin_items(v, &items);

		if (n == 0)
			jsonin_value_error(path, "Leave the field out for its default, or use \"*\" for every value.",
						"an empty list matches nothing");
		if (n > SPEC_JSON_MAX_RANGES)
			jsonin_value_error(path, "Merge the ranges: a field has at most a few hundred distinct values.",
							   "list of %d ranges is longer than the limit of %d",
							   n, SPEC_JSON_MAX_RANGES);
		spec_calendar_clear_field(cal, field);
		for (int i = 0; i < n; i++)
			range_from_json(&items[i].value, psprintf("%s[%d]", path, i),
							cal, field);
	}
	else
		jsonin_type_error(path, "a list of ranges, a string or an integer", v);
}

static void
calendar_from_json(const JsonbValue *v, const char *path, SpecCalendar *cal)
{
	JsonItem   *items;
	int			n;

	if (!jsonin_is_container(v, false))
		jsonin_type_error(path, "a calendar object", v);
	spec_calendar_init(cal);
	n = jsonin_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = jsonin_key_index(items[i].key, calendar_keys, path);
		char	   *fpath = psprintf("%s.%s", path, items[i].key);
		const JsonbValue *fv = &items[i].value;

		if (fv->type == jbvNull)
			continue;
		if (strcmp(items[i].key, "comment") == 0)
		{
			if (fv->type != jbvString)
				jsonin_type_error(fpath, "a string", fv);
			if (fv->val.string.len > SPEC_COMMENT_MAX)
				jsonin_value_error(fpath, NULL, "comment of %d bytes is longer than the limit of %d",
							fv->val.string.len, SPEC_COMMENT_MAX);
			memcpy(cal->comment, fv->val.string.val, fv->val.string.len);
			cal->comment[fv->val.string.len] = '\0';
			continue;
		}
		/* calendar_keys lists the fields by name; find the SpecField */
		for (int f = 0; f < SPEC_NFIELDS; f++)
			if (strcmp(spec_field_names[f], calendar_keys[k]) == 0)
				field_from_json(fv, fpath, cal, (SpecField) f);
	}
}

/* ---- intervals ---- */

static const char *const interval_keys[] = {"every", "offset", NULL};

static void
interval_from_json(const JsonbValue *v, const char *path, SpecInterval *iv)
{
	JsonItem   *items;
	int			n;
	bool		has_every = false;
	SpecError	err;

	if (!jsonin_is_container(v, false))
		jsonin_type_error(path, "an interval object", v);
	iv->every = 0;
	iv->offset = 0;
	n = jsonin_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = jsonin_key_index(items[i].key, interval_keys, path);
		int64		secs;

		if (items[i].value.type == jbvNull)
			continue;
		secs = jsonin_duration_usec(&items[i].value,
							 psprintf("%s.%s", path, items[i].key),
							 USECS_PER_SEC) / USECS_PER_SEC;
		if (k == 0)
		{
			iv->every = secs;
			has_every = true;
		}
		else
			iv->offset = secs;
	}
	if (!has_every)
		jsonin_missing_key("every", path);
	if (!spec_interval_check(iv, &err))
		engine_value_error(path, &err);
}

/* ---- cron strings and the zone agreement ---- */

typedef struct CronZone
{
	const char *path;			/* spec.cron_expressions[i] */
	const char *text;			/* the whole string, shown */
	const char *zone;			/* its prefix, or NULL */
} CronZone;

/* Position (1-based) of the zone name in "  TZ=zone ...". */
static int
zone_position(const char *str)
{
	const char *eq = strchr(str, '=');

	return eq ? (int) (eq - str) + 2 : 0;
}

static void
cron_from_json(const JsonbValue *v, const char *path, SpecCron *cron,
			   CronZone *cz)
{
	char	   *str;
	SpecError	err;

	if (v->type != jbvString)
		jsonin_type_error(path, "a string", v);
	if (v->val.string.len > SPEC_JSON_MAX_TEXT)
		jsonin_value_error(path, NULL, "string of %d bytes is longer than the limit of %d",
					v->val.string.len, SPEC_JSON_MAX_TEXT);
	str = pnstrdup(v->val.string.val, v->val.string.len);
	cz->path = path;
	cz->text = jsonin_show_string(v);
	cz->zone = NULL;
	if (!spec_parse_cron(str, 0, cron, &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cron expression %s: %s", cz->text, err.message),
				 err.position > 0 ?
				 errdetail("The error is at character %d.", err.position) : 0));
	if (cron->kind == SPEC_CRON_CALENDAR && cron->tz_name[0] != '\0')
	{
		const char *canonical;

		if (spec_pgtz_find(cron->tz_name, &canonical) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid cron expression %s: unknown time zone %s",
							cz->text,
							jsonin_show_text(cron->tz_name, strlen(cron->tz_name))),
					 errdetail("The error is at character %d.",
							   zone_position(str)),
					 errhint(TZ_HINT)));
		cz->zone = canonical;
	}
}

/*
 * Applies the zone agreement rule (see the banner) and sets the spec's zone.
 * tz_name, tz: time_zone_name (canonical) and its zone, or NULL when unset.
 */
static void
agree_zones(SpecJson *out, const char *tz_name, pg_tz *tz,
			const CronZone *crons, int ncrons)
{
	const char *zone = tz_name;
	const char *zone_path = "spec.time_zone_name";

	for (int i = 0; i < ncrons; i++)
	{
		const char *z = crons[i].zone;

		if (z == NULL)
			z = tz_name ? tz_name : "UTC";
		if (zone == NULL)
		{
			zone = z;
			zone_path = crons[i].path;
		}
		else if (strcmp(zone, z) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("conflicting time zone names: \"%s\" and \"%s\"",
							zone, z),
					 errdetail("%s is in \"%s\", %s is in \"%s\".",
							   zone_path, zone, crons[i].path, z),
					 errhint("A spec has one time zone: every cron expression without a CRON_TZ= prefix uses time_zone_name, or UTC when that is not set.")));
	}

	if (zone == NULL || strcmp(zone, "UTC") == 0)
	{
		out->tz = NULL;
		strlcpy(out->tz_name, "UTC", sizeof(out->tz_name));
	}
	else
	{
		const char *canonical;

		if (zone != tz_name)
			tz = spec_pgtz_find(zone, &canonical);
		out->tz = tz;
		strlcpy(out->tz_name, zone, sizeof(out->tz_name));
	}
	out->spec.tz = spec_pgtz_tz(out->tz);
}

/* ---- the spec ---- */

enum
{
	K_CALENDARS,
	K_CRON,
	K_INTERVALS,
	K_SKIP,
	K_START_AT,
	K_END_AT,
	K_JITTER,
	K_TIME_ZONE_NAME,
	K_DST,
	K_COUNT
};

static const char *const spec_keys[] = {
	"calendars", "cron_expressions", "intervals", "skip", "start_at",
	"end_at", "jitter", "time_zone_name", "dst", NULL
};

/* ---- the DST policy ---- */

static const char *const dst_keys[] = {"repeated", "skipped", NULL};
static const char *const dst_repeated_names[] = {"both", "first", "second", NULL};
static const char *const dst_skipped_names[] = {"skip", "next_valid", NULL};

/* One of names[] (a string), or an error listing them. */
static int
dst_choice(const JsonbValue *v, const char *path, const char *const *names,
		   const char *list)
{
	if (v->type != jbvString)
		jsonin_type_error(path, "a string", v);
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == (size_t) v->val.string.len &&
			memcmp(names[i], v->val.string.val, v->val.string.len) == 0)
			return i;
	jsonin_value_error(path, psprintf("Valid policies are: %s.", list),
					   "unknown DST policy %s", jsonin_show_string(v));
	return 0;					/* not reached */
}

static void
dst_from_json(const JsonbValue *v, const char *path, SpecDst *dst)
{
	JsonItem   *items;
	int			n;

	if (!jsonin_is_container(v, false))
		jsonin_type_error(path, "an object", v);
	n = jsonin_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = jsonin_key_index(items[i].key, dst_keys, path);
		char	   *kpath = psprintf("%s.%s", path, items[i].key);

		if (items[i].value.type == jbvNull)
			continue;
		if (k == 0)
			dst->repeated = (SpecDstRepeated)
				dst_choice(&items[i].value, kpath, dst_repeated_names,
						   "both, first, second");
		else
			dst->skipped = (SpecDstSkipped)
				dst_choice(&items[i].value, kpath, dst_skipped_names,
						   "skip, next_valid");
	}
}

/* The items of an array-valued spec key ([] when absent). */
static int
spec_array(const JsonbValue *v, const char *path, JsonItem **items)
{
	if (v == NULL)
	{
		*items = NULL;
		return 0;
	}
	if (!jsonin_is_container(v, true))
		jsonin_type_error(path, "an array", v);
	return jsonin_items(v, items);
}

void
spec_from_jsonb_value(const JsonbValue *root, const char *path, SpecJson *out)
{
	const JsonbValue *val[K_COUNT] = {NULL};
	JsonItem   *items;
	JsonItem   *cal_items,
			   *cron_items,
			   *iv_items,
			   *skip_items;
	int			n,
				ncal,
				ncron,
				niv,
				nskip;
	const char *tz_name = NULL;
	pg_tz	   *tz = NULL;
	CronZone   *crons;
	int			ncronzones = 0;
	char	   *kpath[K_COUNT];

	if (root->type == jbvObject || root->type == jbvArray)
	{
		/* an in-memory value: flatten it to read it like any other */
		Jsonb	   *jb = JsonbValueToJsonb((JsonbValue *) root);

		spec_from_jsonb(jb, path, out);
		return;
	}

	memset(out, 0, sizeof(*out));
	out->spec.start_at = SPEC_TIME_MIN;
	out->spec.end_at = SPEC_TIME_MAX;

	if (!jsonin_is_container(root, false))
		jsonin_type_error(path, "an object", root);
	n = jsonin_items(root, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = jsonin_key_index(items[i].key, spec_keys, path);

		if (items[i].value.type != jbvNull)
			val[k] = &items[i].value;
	}
	for (int k = 0; k < K_COUNT; k++)
		kpath[k] = psprintf("%s.%s", path, spec_keys[k]);

	/* the zone first: cron strings are checked against it */
	if (val[K_TIME_ZONE_NAME])
	{
		const JsonbValue *v = val[K_TIME_ZONE_NAME];

		if (v->type != jbvString)
			jsonin_type_error(kpath[K_TIME_ZONE_NAME], "a string", v);
		if (v->val.string.len > 0)
		{
			char	   *name = pnstrdup(v->val.string.val, v->val.string.len);

			tz = spec_pgtz_find(name, &tz_name);
			if (tz == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for %s: unknown time zone %s",
								kpath[K_TIME_ZONE_NAME], jsonin_show_string(v)),
						 errhint(TZ_HINT)));
		}
	}

	/* sizes first, so an oversized spec costs no parsing */
	ncal = spec_array(val[K_CALENDARS], kpath[K_CALENDARS], &cal_items);
	ncron = spec_array(val[K_CRON], kpath[K_CRON], &cron_items);
	niv = spec_array(val[K_INTERVALS], kpath[K_INTERVALS], &iv_items);
	nskip = spec_array(val[K_SKIP], kpath[K_SKIP], &skip_items);
	if (ncal + ncron > SPEC_JSON_MAX_CALENDARS)
		jsonin_value_error(path, NULL, "%d calendars and cron expressions exceed the limit of %d",
					ncal + ncron, SPEC_JSON_MAX_CALENDARS);
	if (niv > SPEC_JSON_MAX_INTERVALS)
		jsonin_value_error(kpath[K_INTERVALS], NULL, "%d intervals exceed the limit of %d",
					niv, SPEC_JSON_MAX_INTERVALS);
	if (nskip > SPEC_JSON_MAX_SKIP)
		jsonin_value_error(kpath[K_SKIP], NULL, "%d skip calendars exceed the limit of %d",
					nskip, SPEC_JSON_MAX_SKIP);

	out->calendars = palloc(sizeof(SpecCalendar) * Max(ncal + ncron, 1));
	out->intervals = palloc(sizeof(SpecInterval) * Max(niv + ncron, 1));
	out->calendar_cron = palloc(sizeof(int) * Max(ncal + ncron, 1));
	out->interval_cron = palloc(sizeof(int) * Max(niv + ncron, 1));
	for (int i = 0; i < ncal; i++)
		out->calendar_cron[i] = -1;
	for (int i = 0; i < niv; i++)
		out->interval_cron[i] = -1;
	out->skip = palloc(sizeof(SpecCalendar) * Max(nskip, 1));
	crons = palloc(sizeof(CronZone) * Max(ncron, 1));

	for (int i = 0; i < ncal; i++)
		calendar_from_json(&cal_items[i].value,
						   psprintf("%s[%d]", kpath[K_CALENDARS], i),
						   &out->calendars[out->spec.ncalendars++]);
	for (int i = 0; i < niv; i++)
		interval_from_json(&iv_items[i].value,
						   psprintf("%s[%d]", kpath[K_INTERVALS], i),
						   &out->intervals[out->spec.nintervals++]);
	for (int i = 0; i < ncron; i++)
	{
		SpecCron	cron;
		CronZone	cz;

		cron_from_json(&cron_items[i].value,
					   psprintf("%s[%d]", kpath[K_CRON], i), &cron, &cz);
		if (cron.kind == SPEC_CRON_INTERVAL)
		{
			out->interval_cron[out->spec.nintervals] = i;
			out->intervals[out->spec.nintervals++] = cron.interval;
		}
		else
		{
			out->calendar_cron[out->spec.ncalendars] = i;
			out->calendars[out->spec.ncalendars++] = cron.calendar;
			crons[ncronzones++] = cz;
		}
	}
	if (out->spec.nintervals > SPEC_JSON_MAX_INTERVALS)
		jsonin_value_error(path, NULL, "%d intervals and @every expressions exceed the limit of %d",
					out->spec.nintervals, SPEC_JSON_MAX_INTERVALS);
	for (int i = 0; i < nskip; i++)
		calendar_from_json(&skip_items[i].value,
						   psprintf("%s[%d]", kpath[K_SKIP], i),
						   &out->skip[out->spec.nskip++]);

	if (val[K_START_AT])
		out->spec.start_at = time_from_json(val[K_START_AT],
											kpath[K_START_AT], true);
	if (val[K_END_AT])
		out->spec.end_at = time_from_json(val[K_END_AT], kpath[K_END_AT],
										  false);
	if (val[K_JITTER])
		out->spec.jitter_ms = jsonin_duration_usec(val[K_JITTER], kpath[K_JITTER],
											1000) / 1000;
	if (val[K_DST])
		dst_from_json(val[K_DST], kpath[K_DST], &out->spec.dst);

	agree_zones(out, tz_name, tz, crons, ncronzones);

	out->spec.calendars = out->calendars;
	out->spec.intervals = out->intervals;
	out->spec.skip = out->skip;
}

void
spec_from_jsonb(Jsonb *jb, const char *path, SpecJson *out)
{
	JsonbValue	root;

	if (JB_ROOT_IS_SCALAR(jb))
	{
		if (!JsonbExtractScalar(&jb->root, &root))
			elog(ERROR, "could not extract a scalar from a scalar jsonb");
	}
	else
	{
		root.type = jbvBinary;
		root.val.binary.data = &jb->root;
		root.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
	spec_from_jsonb_value(&root, path, out);
}

/* ---- the canonical form ---- */

static void
push_key(JsonbParseState **st, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
}

static void
push_string(JsonbParseState **st, JsonbIteratorToken tok, const char *s)
{
	JsonbValue	v;

	/* the parse state keeps the pointer: give it a copy that lasts */
	v.type = jbvString;
	v.val.string.val = pstrdup(s);
	v.val.string.len = strlen(s);
	pushJsonbValue(st, tok, &v);
}

static void
push_int(JsonbParseState **st, const char *key, int64 x)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(x);
	push_key(st, key);
	pushJsonbValue(st, WJB_VALUE, &v);
}

static void
push_time(JsonbParseState **st, const char *key, spec_time t)
{
	char		buf[SPEC_TIME_TEXT_LEN];

	spec_format_time(t, buf);
	push_key(st, key);
	push_string(st, WJB_VALUE, buf);
}

/* Range objects {start[, end][, step][, nth]}; nth 0: none. */
static void
push_ranges(JsonbParseState **st, const SpecRange *ranges, int n, int nth)
{
	for (int r = 0; r < n; r++)
	{
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		push_int(st, "start", ranges[r].start);
		if (ranges[r].end > ranges[r].start)
			push_int(st, "end", ranges[r].end);
		if (ranges[r].step > 1)
			push_int(st, "step", ranges[r].step);
		if (nth != 0)
			push_int(st, "nth", nth);
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
}

static void
push_calendar(JsonbParseState **st, const SpecCalendar *cal)
{
	static const SpecField order[] = {SPEC_SECOND, SPEC_MINUTE, SPEC_HOUR,
		SPEC_DAY_OF_MONTH, SPEC_MONTH, SPEC_DAY_OF_WEEK, SPEC_YEAR};
	SpecRange	ranges[SPEC_MAX_RANGES];

	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < (int) lengthof(order); i++)
	{
		SpecField	f = order[i];
		int			n;

		if (f == SPEC_YEAR && spec_calendar_field_is_full(cal, f))
			continue;
		n = spec_calendar_field_ranges(cal, f, ranges);
		push_key(st, spec_field_names[f]);
		pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
		push_ranges(st, ranges, n, 0);
		/* days from the end (negative), then the n-th weekdays */
		if (f == SPEC_DAY_OF_MONTH)
		{
			n = spec_calendar_last_day_ranges(cal, ranges);
			push_ranges(st, ranges, n, 0);
		}
		if (f == SPEC_DAY_OF_WEEK)
		{
			static const int nths[] = {1, 2, 3, 4, 5, -1, -2, -3, -4, -5};

			for (int k = 0; k < (int) lengthof(nths); k++)
			{
				n = spec_calendar_nth_ranges(cal, nths[k], ranges);
				push_ranges(st, ranges, n, nths[k]);
			}
		}
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
	}
	if (cal->comment[0] != '\0')
	{
		push_key(st, "comment");
		push_string(st, WJB_VALUE, cal->comment);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
push_calendars(JsonbParseState **st, const char *key,
			   const SpecCalendar *cals, int n)
{
	push_key(st, key);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
		push_calendar(st, &cals[i]);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

JsonbValue *
spec_push_jsonb(JsonbParseState **st, const SpecJson *sj)
{
	const Spec *s = &sj->spec;

	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_calendars(st, "calendars", s->calendars, s->ncalendars);

	push_key(st, "intervals");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < s->nintervals; i++)
	{
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		push_key(st, "every");
		push_string(st, WJB_VALUE,
					jsonin_format_duration_ms(s->intervals[i].every * 1000));
		push_key(st, "offset");
		push_string(st, WJB_VALUE,
					jsonin_format_duration_ms(s->intervals[i].offset * 1000));
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);

	push_calendars(st, "skip", s->skip, s->nskip);

	if (s->start_at != SPEC_TIME_MIN)
		push_time(st, "start_at", s->start_at);
	if (s->end_at != SPEC_TIME_MAX)
		push_time(st, "end_at", s->end_at);
	if (s->jitter_ms > 0)
	{
		push_key(st, "jitter");
		push_string(st, WJB_VALUE, jsonin_format_duration_ms(s->jitter_ms));
	}
	push_key(st, "time_zone_name");
	push_string(st, WJB_VALUE, sj->tz_name);
	/* only when not the default, so that older documents read the same */
	if (s->dst.repeated != SPEC_DST_REPEATED_BOTH ||
		s->dst.skipped != SPEC_DST_SKIPPED_SKIP)
	{
		push_key(st, "dst");
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		push_key(st, "repeated");
		push_string(st, WJB_VALUE, dst_repeated_names[s->dst.repeated]);
		push_key(st, "skipped");
		push_string(st, WJB_VALUE, dst_skipped_names[s->dst.skipped]);
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	return pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

Jsonb *
spec_to_jsonb(const SpecJson *sj)
{
	JsonbParseState *st = NULL;

	return JsonbValueToJsonb(spec_push_jsonb(&st, sj));
}
