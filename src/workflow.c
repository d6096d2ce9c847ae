/*-------------------------------------------------------------------------
 *
 * workflow.c
 *	  Starting workflows directly (SEMANTICS.md 7 and 9):
 *	  sched.start_workflow (now, after a start delay, or as a cron job),
 *	  sched.signal_workflow, and the two rules the queue applies to runs:
 *	  the next time of a cron chain and the backoff of a retry.
 *
 * A start is one run (a row of sched.executions, src/queue.c) under the
 * given workflow id: pending at once, or scheduled until its start delay
 * ends or its first cron time comes, when the scheduler makes it pending
 * (queue_expire_leases, on time through queue_next_deadline).
 *
 * Workflow id policies, as Temporal's:
 *	 - id_conflict_policy, when the id has an open run: fail (23505
 *	   "workflow execution already started"), use_existing (return the open
 *	   run's id; the other arguments are ignored), terminate_existing
 *	   (terminate it as terminate_workflow does, schedule lock first, then
 *	   start; the reuse policy is not consulted, the run was open).
 *	 - id_reuse_policy, when every run of the id is closed: allow_duplicate,
 *	   allow_duplicate_failed_only (only if the latest run did not complete:
 *	   failed, timed_out, canceled or terminated, Temporal's rule),
 *	   reject_duplicate (23505).
 * Both look at the runs of the id whatever started them (a schedule's run
 * included).  The start itself is queue_start_run()'s INSERT ... ON
 * CONFLICT DO NOTHING on the unique index of open workflow ids, so two
 * concurrent starts of one id cannot both succeed: the loser sees the
 * winner's open run and applies its conflict policy to it.
 *
 * cron_schedule is standard cron, parsed by the spec engine with
 * SPEC_CRON_STANDARD (5 fields, names, '?', the @ shorthands, @every,
 * CRON_TZ=, and cron's OR rule when both day fields are restricted), in
 * UTC unless a CRON_TZ= prefix names a zone.  The string is stored on each
 * run of the chain and parsed again when a run closes (parsing is cheap;
 * nothing else is kept in sync).
 *
 * Decisions where SEMANTICS.md is silent (written into the README):
 *	 - Timeouts and start_delay are intervals without months or years (no
 *	   fixed length), as every duration of pg_sched; timeouts positive,
 *	   start_delay not negative (zero: no delay).  start_delay with
 *	   cron_schedule is refused whatever its value.
 *	 - execution_timeout counts from the start, the start delay and the
 *	   wait for the first cron time included (Temporal computes the
 *	   execution expiration from the start request); run_timeout from the
 *	   moment each try becomes due, time in the queue included.
 *	 - A NULL policy name means the default; names are case-insensitive.
 *	 - A signal ends a start delay (SEMANTICS.md 7; Temporal now does this
 *	   only for signal-with-start), not a cron wait or a retry backoff, and
 *	   is recorded on the open run ({signal, payload, at}, shown by
 *	   describe_workflow).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "json_input.h"
#include "privileges.h"
#include "queue.h"
#include "sched_limits.h"
#include "schedule_json.h"
#include "spec.h"
#include "spec_pgtz.h"
#include "workflow.h"

#define WORKFLOW_ID_MAX			1000	/* bytes, as sched.executions checks */
#define TASK_QUEUE_MAX			1000
#define CRON_SCHEDULE_MAX		4096	/* as a cron string of a spec */
#define SIGNAL_NAME_MAX			1000
/* Durations above this are refused, as everywhere in pg_sched. */
#define MAX_DURATION_USECS		(INT64CONST(200) * 366 * USECS_PER_DAY)
/* At most this many bytes of a value are quoted back in a message. */
#define SHOW_MAX				100

#define CRON_HINT "cron_schedule is standard cron: \"minute hour day_of_month month day_of_week\", or @yearly, @monthly, @weekly, @daily, @hourly, or \"@every <duration>\", with an optional CRON_TZ=<zone> prefix."

typedef enum ReusePolicy
{
	REUSE_ALLOW_DUPLICATE,
	REUSE_ALLOW_DUPLICATE_FAILED_ONLY,
	REUSE_REJECT_DUPLICATE
} ReusePolicy;

static const char *const reuse_names[] = {
	"allow_duplicate", "allow_duplicate_failed_only", "reject_duplicate", NULL
};

typedef enum ConflictPolicy
{
	CONFLICT_FAIL,
	CONFLICT_USE_EXISTING,
	CONFLICT_TERMINATE_EXISTING
} ConflictPolicy;

static const char *const conflict_names[] = {
	"fail", "use_existing", "terminate_existing", NULL
};

/* A cron_schedule read into a one-part Spec (which points into it). */
typedef struct WorkflowCron
{
	SpecCron	cron;
	Spec		spec;
} WorkflowCron;

PG_FUNCTION_INFO_V1(sched_start_workflow);
PG_FUNCTION_INFO_V1(sched_signal_workflow);

/* A string quoted for a message, cut at SHOW_MAX bytes (on a character). */
static char *
show_text(const char *s)
{
	int			len = strlen(s);
	int			cut = len;

	if (len > SHOW_MAX)
		cut = pg_mbcliplen(s, len, SHOW_MAX);
	return psprintf("\"%.*s%s\"", cut, s, cut < len ? "..." : "");
}

/* ---- cron_schedule ---- */

/*
 * Reads a cron_schedule.  On failure returns false with a message (for
 * errmsg after "invalid cron_schedule ...: "), the 1-based character of
 * the problem (0: none), and whether the string as a whole is malformed
 * (wrong field count, unknown shorthand: the caller's hint shows the form).
 */
static bool
cron_read(const char *text, WorkflowCron *out, char **problem, int *position,
		  bool *malformed)
{
	SpecError	err;

	memset(out, 0, sizeof(*out));
	*position = 0;
	*malformed = false;
	if (!spec_parse_cron(text, SPEC_CRON_STANDARD, &out->cron, &err))
	{
		*problem = pstrdup(err.message);
		*position = err.position;
		*malformed = err.code == SPEC_ERR_SYNTAX && err.field < 0;
		return false;
	}
	out->spec.start_at = SPEC_TIME_MIN;
	out->spec.end_at = SPEC_TIME_MAX;
	if (out->cron.kind == SPEC_CRON_INTERVAL)
	{
		/* @every: UTC whatever the prefix says (SEMANTICS.md 1.2) */
		out->spec.intervals = &out->cron.interval;
		out->spec.nintervals = 1;
		out->spec.tz = spec_pgtz_tz(NULL);
		return true;
	}
	out->spec.calendars = &out->cron.calendar;
	out->spec.ncalendars = 1;
	out->spec.tz = spec_pgtz_tz(NULL);
	if (out->cron.tz_name[0] != '\0')
	{
		const char *canonical;
		pg_tz	   *tz = spec_pgtz_find(out->cron.tz_name, &canonical);

		if (tz == NULL)
		{
			*problem = psprintf("unknown time zone %s",
								show_text(out->cron.tz_name));
			*position = (int) (strchr(text, '=') - text) + 2;
			return false;
		}
		if (strcmp(canonical, "UTC") != 0)
			out->spec.tz = spec_pgtz_tz(tz);
	}
	return true;
}

/*
 * The first time of the cron schedule strictly after "after" and not
 * before not_before (both may have sub-second parts).
 */
static SpecNextStatus
cron_next(const WorkflowCron *wc, TimestampTz after, TimestampTz not_before,
		  TimestampTz *next, SpecError *err)
{
	/* a whole second t is not before not_before iff t > ceil(nb) - 1 s */
	spec_time	from = Max(schedule_ts_to_spec(after),
						   schedule_ts_to_spec(not_before - 1));
	spec_time	t;
	SpecNextStatus st = spec_next(&wc->spec, from, &t, err);

	if (st == SPEC_NEXT_FOUND)
		*next = schedule_spec_to_ts(t);
	return st;
}

bool
workflow_cron_next(const char *cron_schedule, const char *workflow_id,
				   TimestampTz prev, TimestampTz now, TimestampTz *next)
{
	WorkflowCron wc;
	char	   *problem;
	int			position;
	bool		malformed;
	SpecError	err;

	if (!cron_read(cron_schedule, &wc, &problem, &position, &malformed))
	{
		ereport(WARNING,
				(errmsg("the cron schedule of workflow id \"%s\" ends: invalid cron_schedule %s: %s",
						workflow_id, show_text(cron_schedule), problem)));
		return false;
	}
	switch (cron_next(&wc, prev, now, next, &err))
	{
		case SPEC_NEXT_FOUND:
			return true;
		case SPEC_NEXT_NONE:
			/* past 2100, or a calendar with no day left */
			return false;
		case SPEC_NEXT_ERROR:
			ereport(WARNING,
					(errmsg("the cron schedule of workflow id \"%s\" ends: %s",
							workflow_id, err.message)));
			return false;
	}
	return false;
}

/* ---- retries ---- */

bool
workflow_retry_due(Jsonb *retry_policy, int32 retries,
				   const char *error_type, bool non_retryable,
				   TimestampTz now, bool has_deadline,
				   TimestampTz execution_deadline, TimestampTz *due)
{
	ScheduleRetryPolicy p;
	double		ms;
	int64		delay_ms;

	if (retry_policy == NULL || non_retryable)
		return false;
	(void) schedule_retry_policy_from_jsonb(retry_policy, "retry_policy", &p);
	if (error_type != NULL)
		for (int i = 0; i < p.num_non_retryable; i++)
			if (strcmp(error_type, p.non_retryable_error_types[i]) == 0)
				return false;
	/* maximum_attempts counts the first try: retries + 1 tries so far */
	if (p.maximum_attempts > 0 && (int64) retries + 1 >= p.maximum_attempts)
		return false;

	/* Temporal: initial * coefficient^(attempt - 1), capped at the maximum */
	ms = (double) p.initial_interval_ms * pow(p.backoff_coefficient, retries);
	if (isnan(ms) || ms >= (double) p.maximum_interval_ms)
		delay_ms = p.maximum_interval_ms;
	else
		delay_ms = (int64) ms;
	*due = now + delay_ms * 1000;
	/* a try that would start after the execution deadline is not made */
	if (has_deadline && *due > execution_deadline)
		return false;
	return true;
}

/* ---- arguments ---- */

static void
null_error(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for %s: null is not allowed", name)));
}

/* A required, non-empty text argument of at most max bytes (0: no limit). */
static char *
name_arg(FunctionCallInfo fcinfo, int n, const char *name, int max)
{
	char	   *s;

	if (PG_ARGISNULL(n))
		null_error(name);
	s = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: the empty string is not allowed",
						name)));
	if (max > 0 && strlen(s) > (size_t) max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: %s of %d bytes is longer than the limit of %d",
						name, name, (int) strlen(s), max)));
	return s;
}

/*
 * An interval argument as microseconds (-1 when NULL): no months or years,
 * not negative, at most 200 years, and not zero unless allow_zero.
 */
static int64
duration_arg(FunctionCallInfo fcinfo, int n, const char *name,
			 bool allow_zero)
{
	Interval   *iv;
	char	   *shown;
	int64		usecs;

	if (PG_ARGISNULL(n))
		return -1;
	iv = PG_GETARG_INTERVAL_P(n);
	shown = jsonin_format_interval(iv);
	if (iv->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: months and years are not allowed in \"%s\", they have no fixed length",
						name, shown),
				 errhint("Use days, e.g. '30 days'.")));
	if (pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, iv->time, &usecs))
		usecs = iv->day < 0 ? -1 : PG_INT64_MAX;
	if (usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: duration \"%s\" is negative",
						name, shown)));
	if (usecs > MAX_DURATION_USECS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: duration \"%s\" is longer than 200 years",
						name, shown)));
	if (usecs % 1000 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: duration \"%s\" is not a whole number of milliseconds",
						name, shown)));
	if (usecs == 0 && !allow_zero)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: a duration of zero is not allowed",
						name),
				 errhint("Leave %s out (NULL) for no timeout.", name)));
	return usecs;
}

/* A policy name (case-insensitive); NULL gives dflt. */
static int
policy_arg(FunctionCallInfo fcinfo, int n, const char *name,
		   const char *const *names, int dflt)
{
	char	   *s;
	StringInfoData valid;

	if (PG_ARGISNULL(n))
		return dflt;
	s = text_to_cstring(PG_GETARG_TEXT_PP(n));
	for (int i = 0; names[i] != NULL; i++)
		if (pg_strcasecmp(s, names[i]) == 0)
			return i;
	initStringInfo(&valid);
	for (int i = 0; names[i] != NULL; i++)
		appendStringInfo(&valid, "%s%s", i == 0 ? "" : ", ", names[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for %s: unknown policy %s", name,
					show_text(s)),
			 errhint("Valid policies are: %s.", valid.data)));
	pg_unreachable();
}

static char *
uuid_string(const pg_uuid_t *id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out,
											   UUIDPGetDatum(id)));
}

/* ---- SQL functions ---- */

/*
 * sched.start_workflow(workflow text, id text, task_queue text, args jsonb,
 *		cron_schedule text, start_delay interval, id_reuse_policy text,
 *		id_conflict_policy text, execution_timeout interval,
 *		run_timeout interval, retry_policy jsonb, memo jsonb) RETURNS uuid
 *
 * Every argument is checked, in order, before anything is read or stored
 * (SEMANTICS.md 6).  Returns the run id: of the new run, or of the open
 * one under use_existing.
 */
Datum
sched_start_workflow(PG_FUNCTION_ARGS)
{
	char	   *workflow = name_arg(fcinfo, 0, "workflow", SCHED_NAME_MAX);
	char	   *id = name_arg(fcinfo, 1, "id", WORKFLOW_ID_MAX);
	char	   *task_queue = name_arg(fcinfo, 2, "task_queue", TASK_QUEUE_MAX);
	Jsonb	   *args = NULL;
	char	   *cron_text = NULL;
	WorkflowCron wc;
	int64		delay;
	int			reuse;
	int			conflict;
	int64		execution_timeout;
	int64		run_timeout;
	Jsonb	   *retry_policy = NULL;
	Jsonb	   *memo = NULL;
	TimestampTz now;
	RunStart	rs;
	pg_uuid_t	run_id;
	PrivState	ps;
	Oid			caller;

	if (!PG_ARGISNULL(3))
	{
		args = PG_GETARG_JSONB_P(3);
		if (!JB_ROOT_IS_ARRAY(args) || JB_ROOT_IS_SCALAR(args))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for args: expected an array, found %s",
							JB_ROOT_IS_SCALAR(args) ? "a scalar" : "an object"),
					 errhint("Pass the workflow's arguments as a JSON array, e.g. '[\"eu\", 3]'.")));
		sched_check_payload(args, "args");
	}
	if (!PG_ARGISNULL(4))
	{
		char	   *problem;
		int			position;
		bool		malformed;

		cron_text = text_to_cstring(PG_GETARG_TEXT_PP(4));
		if (strlen(cron_text) > CRON_SCHEDULE_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for cron_schedule: string of %d bytes is longer than the limit of %d",
							(int) strlen(cron_text), CRON_SCHEDULE_MAX)));
		if (!cron_read(cron_text, &wc, &problem, &position, &malformed))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid cron_schedule %s: %s",
							show_text(cron_text), problem),
					 position > 0 ?
					 errdetail("The error is at character %d.", position) : 0,
					 malformed ? errhint(CRON_HINT) : 0));
	}
	delay = duration_arg(fcinfo, 5, "start_delay", true);
	if (cron_text != NULL && delay >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cron_schedule and start_delay may not be used together"),
				 errhint("A cron workflow starts at its first cron time; leave start_delay out.")));
	reuse = policy_arg(fcinfo, 6, "id_reuse_policy", reuse_names,
					   REUSE_ALLOW_DUPLICATE);
	conflict = policy_arg(fcinfo, 7, "id_conflict_policy", conflict_names,
						  CONFLICT_FAIL);
	execution_timeout = duration_arg(fcinfo, 8, "execution_timeout", false);
	run_timeout = duration_arg(fcinfo, 9, "run_timeout", false);
	if (!PG_ARGISNULL(10))
		retry_policy = schedule_retry_policy_from_jsonb(PG_GETARG_JSONB_P(10),
														"retry_policy", NULL);
	if (!PG_ARGISNULL(11))
	{
		memo = PG_GETARG_JSONB_P(11);
		if (!JB_ROOT_IS_OBJECT(memo))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for memo: expected an object, found %s",
							JB_ROOT_IS_SCALAR(memo) ? "a scalar" : "an array")));
		sched_check_payload(memo, "memo");
	}

	/* when the run becomes claimable */
	now = GetCurrentTimestamp();
	memset(&rs, 0, sizeof(rs));
	rs.workflow_id = id;
	rs.workflow = workflow;
	rs.task_queue = task_queue;
	rs.args = args;
	rs.memo = memo;
	rs.start_kind = "start";
	rs.retry_policy = retry_policy;
	rs.run_timeout_us = Max(run_timeout, 0);
	rs.execution_timeout_us = Max(execution_timeout, 0);
	/* the whole workflow's deadline counts from its start, delay included */
	if (execution_timeout > 0)
		rs.execution_deadline = now + execution_timeout;
	if (cron_text != NULL)
	{
		SpecError	err;
		TimestampTz first;

		/* SEMANTICS.md 7: the first cron time after the start */
		switch (cron_next(&wc, now, now, &first, &err))
		{
			case SPEC_NEXT_FOUND:
				break;
			case SPEC_NEXT_NONE:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid cron_schedule %s: it has no time after %s",
								show_text(cron_text),
								schedule_format_time(now)),
						 errhint("A day that no month has (the 30th of February) never comes, and nothing fires after 2100.")));
				break;
			case SPEC_NEXT_ERROR:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid cron_schedule %s: %s",
								show_text(cron_text), err.message)));
				break;
		}
		rs.cron_schedule = cron_text;
		rs.nominal_time = first;
		rs.scheduled_at = first;
		rs.due_at = first;
		rs.pending = false;
	}
	else
	{
		rs.due_at = now + Max(delay, 0);
		rs.scheduled_at = rs.due_at;
		rs.pending = delay <= 0;
		if (delay > 0)
			rs.start_delay = PG_GETARG_INTERVAL_P(5);
	}

	/* the run belongs to the caller */
	caller = priv_enter(&ps);
	rs.owner = priv_role_name(caller);

	/*
	 * Start, or apply the policies to the runs the id already has.  Loops
	 * only when a concurrent start of the same id won the insert.  Ids are
	 * unique in the database across roles: an open run of a role the
	 * caller may not act for is a conflict whatever the policy, and says
	 * nothing more about that run.
	 */
	for (;;)
	{
		pg_uuid_t	open_run;
		char	   *open_owner;
		bool		terminated = false;

		CHECK_FOR_INTERRUPTS();
		if (queue_open_run(id, &open_run, &open_owner))
		{
			if (!priv_may_access(caller, open_owner))
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("workflow execution already started: workflow id \"%s\" has an open run of another role",
								id),
						 errhint("Workflow ids are unique in the database, across roles; choose another id.")));
			switch ((ConflictPolicy) conflict)
			{
				case CONFLICT_FAIL:
					ereport(ERROR,
							(errcode(ERRCODE_UNIQUE_VIOLATION),
							 errmsg("workflow execution already started: workflow id \"%s\" has an open run",
									id),
							 errdetail("Its open run is %s.",
									   uuid_string(&open_run)),
							 errhint("Pass id_conflict_policy => 'use_existing' to get the open run, or 'terminate_existing' to replace it.")));
					break;
				case CONFLICT_USE_EXISTING:
					priv_exit(&ps);
					PG_RETURN_UUID_P(memcpy(palloc(sizeof(pg_uuid_t)),
											&open_run, sizeof(pg_uuid_t)));
				case CONFLICT_TERMINATE_EXISTING:
					queue_terminate_workflow(id,
											 "terminated by sched.start_workflow (id_conflict_policy terminate_existing)",
											 caller);
					terminated = true;
					break;
			}
		}
		if (!terminated)
		{
			char	   *latest_owner = NULL;
			char	   *latest = queue_latest_status(id, &latest_owner);

			/*
			 * Another role's run: the policies that look at it refuse
			 * whatever its status, which the caller may not learn.
			 */
			if (latest != NULL && reuse != REUSE_ALLOW_DUPLICATE &&
				!priv_may_access(caller, latest_owner))
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("workflow id \"%s\" cannot be reused: its latest run belongs to another role and id_reuse_policy is %s",
								id, reuse_names[reuse]),
						 errhint("Workflow ids are unique in the database, across roles; choose another id.")));
			if (latest != NULL && reuse == REUSE_REJECT_DUPLICATE)
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("workflow id \"%s\" cannot be reused: id_reuse_policy is reject_duplicate",
								id),
						 errdetail("Its latest run closed as %s.", latest)));
			if (latest != NULL && reuse == REUSE_ALLOW_DUPLICATE_FAILED_ONLY &&
				strcmp(latest, "completed") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("workflow id \"%s\" cannot be reused: its latest run completed and id_reuse_policy is allow_duplicate_failed_only",
								id),
						 errhint("allow_duplicate_failed_only starts an id again only after a run that failed, timed out, or was canceled or terminated.")));
		}
		if (queue_start_run(&rs, &run_id))
			break;
	}
	priv_exit(&ps);

	PG_RETURN_UUID_P(memcpy(palloc(sizeof(pg_uuid_t)), &run_id,
							sizeof(pg_uuid_t)));
}

/*
 * sched.signal_workflow(workflow_id text, signal text, payload jsonb)
 * RETURNS void
 *
 * Records the signal on the open run of the id; a run waiting for its start
 * delay becomes pending at once (SEMANTICS.md 7).  An unknown id is 42704,
 * an id whose runs are all closed 55000.
 */
Datum
sched_signal_workflow(PG_FUNCTION_ARGS)
{
	char	   *workflow_id = name_arg(fcinfo, 0, "workflow_id",
									   WORKFLOW_ID_MAX);
	char	   *signal = name_arg(fcinfo, 1, "signal", SIGNAL_NAME_MAX);
	Jsonb	   *payload = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	PrivState	ps;
	Oid			caller;

	sched_check_payload(payload, "payload");
	caller = priv_enter(&ps);
	queue_signal_workflow(workflow_id, signal, payload, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}
