/*-------------------------------------------------------------------------
 *
 * workflow_api.c
 *	  Starting workflows directly (SEMANTICS.md 7 and 9):
 *	  sched.start_workflow (now, after a start delay, or as a cron job),
 *	  its batched form sched.start_workflows, and sched.signal_workflow.
 *	  The rules of cron chains and retries are run_policy.c's.
 *
 * A start is one run (a row of sched.executions, run_store.c) under the
 * given workflow id: pending at once, or scheduled until its start delay
 * ends or its first cron time comes, when the scheduler makes it pending
 * (run_close_expire, on time through run_store_next_deadline).
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
 * included).  The start itself is run_store_start()'s INSERT ... ON
 * CONFLICT DO NOTHING on the unique index of open workflow ids, so two
 * concurrent starts of one id cannot both succeed: the loser sees the
 * winner's open run and applies its conflict policy to it.
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

#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "json_input.h"
#include "privileges.h"
#include "run_close.h"
#include "run_policy.h"
#include "run_store.h"
#include "sched_clock.h"
#include "sched_limits.h"
#include "schedule_json.h"
#include "sql_args.h"
#include "subxact.h"

/* Durations above this are refused, as everywhere in pg_sched. */
#define MAX_DURATION_USECS		SCHED_DURATION_MAX_USEC

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
PG_FUNCTION_INFO_V1(sched_start_workflow);
PG_FUNCTION_INFO_V1(sched_signal_workflow);
PG_FUNCTION_INFO_V1(sched_start_workflows);

/* ---- arguments ---- */

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
					sched_show_text(s)),
			 errhint("Valid policies are: %s.", valid.data)));
	pg_unreachable();
}

static char *
uuid_string(const pg_uuid_t *id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out,
											   UUIDPGetDatum(id)));
}

/* ---- starting ---- */

/*
 * Starts rs (checked, owned by caller) under the id policies, inside the
 * owner's section: returns the new run's id, or the open run's under
 * use_existing.  try_insert_first: allow_duplicate starts may insert
 * before they look at the id's runs (false: that insert was just refused).
 */
static pg_uuid_t
start_run(RunStart *rs, int reuse, int conflict, Oid caller,
		  bool try_insert_first)
{
	/*
	 * Start, or apply the policies to the runs the id already has.  Loops
	 * only when a concurrent start of the same id won the insert.  Ids are
	 * unique in the database across roles: an open run of a role the
	 * caller may not act for is a conflict whatever the policy, and says
	 * nothing more about that run.
	 */
	pg_uuid_t	run_id;
	const char *id = rs->workflow_id;

	for (bool first = try_insert_first;; first = false)
	{
		pg_uuid_t	open_run;
		char	   *open_owner;
		bool		terminated = false;

		CHECK_FOR_INTERRUPTS();

		/*
		 * The common case first: allow_duplicate needs nothing of the id's
		 * closed runs, and the insert itself refuses an id with an open run
		 * (ON CONFLICT DO NOTHING); only then are the open run and the
		 * conflict policy looked at.  One statement per start.
		 */
		if (first && reuse == REUSE_ALLOW_DUPLICATE &&
			run_store_start(rs, &run_id))
			break;
		if (run_store_open_run(id, &open_run, NULL, &open_owner, NULL))
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
					return open_run;
				case CONFLICT_TERMINATE_EXISTING:
					run_close_workflow(id,
									   "terminated by sched.start_workflow (id_conflict_policy terminate_existing)",
									   true, caller);
					terminated = true;
					break;
			}
		}
		if (!terminated && reuse != REUSE_ALLOW_DUPLICATE)
		{
			char	   *latest_owner = NULL;
			char	   *latest = run_store_latest_status(id, &latest_owner);

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
		if (run_store_start(rs, &run_id))
			break;
	}
	return run_id;
}

/*
 * sched.start_workflow(workflow text, id text, task_queue text, args jsonb,
 *		cron_schedule text, start_delay interval, id_reuse_policy text,
 *		id_conflict_policy text, execution_timeout interval,
 *		run_timeout interval, retry_policy jsonb, memo jsonb) RETURNS uuid
 *
 * Every argument is checked, in order, before anything is read or stored
 * (SEMANTICS.md 6).  Returns the run id: of the new run, or of the open
 * one under use_existing.  caller: the caller when already inside the
 * owner's section (sched.start_workflows), else InvalidOid (enter it here).
 * prep: only check the arguments and make the start into *prep.
 */
/* ---- SQL functions ---- */

/* A start checked and made by start_workflow_as(), not yet started. */
typedef struct StartPrepared
{
	RunStart	rs;
	int			reuse;
	int			conflict;
} StartPrepared;

static Datum
start_workflow_as(FunctionCallInfo fcinfo, Oid caller, StartPrepared *prep)
{
	char	   *workflow = sched_arg_name(fcinfo, 0, "workflow", SCHED_NAME_MAX);
	char	   *id = sched_arg_name(fcinfo, 1, "id", SCHED_NAME_MAX);
	char	   *task_queue = sched_arg_name(fcinfo, 2, "task_queue", SCHED_NAME_MAX);
	Jsonb	   *args = NULL;
	char	   *cron_text = NULL;
	RunCron wc;
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
	bool		entered;

	sched_refuse_sql_queue(task_queue, "task_queue");
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
		sched_check_length(cron_text, "cron_schedule", SCHED_CRON_MAX);
		if (!run_cron_read(cron_text, &wc, &problem, &position, &malformed))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid cron_schedule %s: %s",
							sched_show_text(cron_text), problem),
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
	now = sched_real_now();
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
		switch (run_cron_next_time(&wc, now, now, &first, &err))
		{
			case SPEC_NEXT_FOUND:
				break;
			case SPEC_NEXT_NONE:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid cron_schedule %s: it has no time after %s",
								sched_show_text(cron_text),
								schedule_format_time(now)),
						 errhint("A day that no month has (the 30th of February) never comes, and nothing fires after 2100.")));
				break;
			case SPEC_NEXT_ERROR:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid cron_schedule %s: %s",
								sched_show_text(cron_text), err.message)));
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
	entered = !OidIsValid(caller);
	if (entered)
		caller = priv_enter(&ps);
	rs.owner = priv_role_name(caller);

	if (prep != NULL)
	{
		/* sched.start_workflows' bulk path: checked and made, not started */
		Assert(!entered);
		prep->rs = rs;
		prep->reuse = reuse;
		prep->conflict = conflict;
		return (Datum) 0;
	}
	run_id = start_run(&rs, reuse, conflict, caller, true);
	if (entered)
		priv_exit(&ps);

	PG_RETURN_UUID_P(memcpy(palloc(sizeof(pg_uuid_t)), &run_id,
							sizeof(pg_uuid_t)));
}

Datum
sched_start_workflow(PG_FUNCTION_ARGS)
{
	return start_workflow_as(fcinfo, InvalidOid, NULL);
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
	char	   *workflow_id = sched_arg_name(fcinfo, 0, "workflow_id",
									   SCHED_NAME_MAX);
	char	   *signal = sched_arg_name(fcinfo, 1, "signal", SCHED_NAME_MAX);
	Jsonb	   *payload = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	PrivState	ps;
	Oid			caller;

	sched_check_payload(payload, "payload");
	caller = priv_enter(&ps);
	run_store_signal(workflow_id, signal, payload, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* ---- many starts in one call ---- */

/* The keys of an element of sched.start_workflows: the parameters' names. */
static const char *const start_keys[] = {
	"workflow", "id", "task_queue", "args", "cron_schedule", "start_delay",
	"id_reuse_policy", "id_conflict_policy", "execution_timeout",
	"run_timeout", "retry_policy", "memo", NULL
};

/* The SQL type of each parameter: 't' text, 'j' jsonb, 'i' interval. */
static const char start_types[] = "tttjtittiijj";

#define START_NARGS		12

/* One element, read into the arguments of sched.start_workflow. */
typedef struct StartItem
{
	Datum		args[START_NARGS];
	bool		nulls[START_NARGS];
} StartItem;

/*
 * Reads element "path" (an object whose keys are start_workflow's
 * parameter names; JSON null or a missing key: the parameter's default).
 * Type errors are the item's errors, as a cast of the argument would be.
 */
static void
start_item_read(const JsonbValue *v, const char *path, StartItem *item)
{
	JsonItem   *members;
	int			n;

	for (int k = 0; k < START_NARGS; k++)
		item->nulls[k] = true;
	if (!jsonin_is_container(v, false))
		jsonin_type_error(path, "an object", v);
	n = jsonin_items(v, &members);
	for (int m = 0; m < n; m++)
	{
		int			k = jsonin_key_index(members[m].key, start_keys, path);
		JsonbValue *val = &members[m].value;
		char	   *kpath = psprintf("%s.%s", path, start_keys[k]);

		if (val->type == jbvNull)
			continue;
		if (start_types[k] == 'j')
			item->args[k] = JsonbPGetDatum(JsonbValueToJsonb(val));
		else
		{
			char	   *s;

			if (val->type != jbvString)
				jsonin_type_error(kpath, "a string", val);
			s = pnstrdup(val->val.string.val, val->val.string.len);
			if (start_types[k] == 't')
				item->args[k] = CStringGetTextDatum(s);
			else
				item->args[k] = DirectFunctionCall3(interval_in,
													CStringGetDatum(s),
													ObjectIdGetDatum(InvalidOid),
													Int32GetDatum(-1));
		}
		item->nulls[k] = false;
	}
}

/*
 * sched.start_workflow on one element's arguments, for caller (inside the
 * owner's section); with prep, only checked and made into *prep.
 */
static pg_uuid_t
start_item_run(const StartItem *item, Oid caller, StartPrepared *prep)
{
	LOCAL_FCINFO(fc, START_NARGS);
	Datum		d;

	InitFunctionCallInfoData(*fc, NULL, START_NARGS, InvalidOid, NULL, NULL);
	for (int k = 0; k < START_NARGS; k++)
	{
		fc->args[k].value = item->args[k];
		fc->args[k].isnull = item->nulls[k];
	}
	d = start_workflow_as(fc, caller, prep);
	if (prep != NULL)
	{
		pg_uuid_t	none;

		memset(&none, 0, sizeof(none));
		return none;
	}
	return *DatumGetUUIDP(d);
}

typedef struct StartsArgs
{
	JsonItem   *elems;
	int			n;
	int			only;			/* -1: every element; else this one */
	Oid			caller;
	pg_uuid_t  *run_ids;
} StartsArgs;

/*
 * Every element at once, when each one has the default id policies
 * (allow_duplicate, fail) and no cron_schedule: all are checked and made,
 * then inserted by one statement (run_store_start_many), which leaves out
 * the ids that have an open run (or come twice); those go through the
 * one-run path in input order, which refuses them (fail), failing the
 * batch into its one-by-one fallback.  False when an element does not
 * qualify (nothing done).
 */
static bool
starts_bulk(StartsArgs *a)
{
	StartItem  *items = palloc(sizeof(StartItem) * Max(a->n, 1));
	StartPrepared *preps = palloc(sizeof(StartPrepared) * Max(a->n, 1));
	RunStart   *rss = palloc(sizeof(RunStart) * Max(a->n, 1));
	bool	   *started = palloc(sizeof(bool) * Max(a->n, 1));

	for (int i = 0; i < a->n; i++)
	{
		StartItem  *it = &items[i];

		start_item_read(&a->elems[i].value, psprintf("starts[%d]", i), it);
		if (!it->nulls[4])
			return false;		/* cron_schedule */
		if (!it->nulls[6] &&
			pg_strcasecmp(TextDatumGetCString(it->args[6]),
						  reuse_names[REUSE_ALLOW_DUPLICATE]) != 0)
			return false;
		if (!it->nulls[7] &&
			pg_strcasecmp(TextDatumGetCString(it->args[7]),
						  conflict_names[CONFLICT_FAIL]) != 0)
			return false;
	}
	for (int i = 0; i < a->n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		(void) start_item_run(&items[i], a->caller, &preps[i]);
		rss[i] = preps[i].rs;
	}
	run_store_start_many(rss, a->n, started, a->run_ids);
	for (int i = 0; i < a->n; i++)
		if (!started[i])
			a->run_ids[i] = start_run(&preps[i].rs, preps[i].reuse,
									  preps[i].conflict, a->caller, false);
	return true;
}

static void
starts_fn(void *arg)
{
	StartsArgs *a = (StartsArgs *) arg;

	if (a->only < 0 && a->n > 1 && starts_bulk(a))
		return;
	for (int i = 0; i < a->n; i++)
	{
		StartItem	item;

		if (a->only >= 0 && i != a->only)
			continue;
		CHECK_FOR_INTERRUPTS();
		start_item_read(&a->elems[i].value, psprintf("starts[%d]", i),
						&item);
		a->run_ids[i] = start_item_run(&item, a->caller, NULL);
	}
}

/*
 * sched.start_workflows(starts jsonb)
 * RETURNS TABLE (ordinality integer, run_id uuid, sqlstate text,
 *				  message text)
 *
 * sched.start_workflow for each element of the array starts, in order, with
 * the same checks and id policies; one row per element (ordinality from 1),
 * with the run id, or the SQLSTATE and message of its refusal.  The whole
 * array runs in one subtransaction; only when an element fails is it done
 * again element by element, each in its own, so that a refusal never undoes
 * the others.
 */
Datum
sched_start_workflows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *starts = sched_arg_jsonb(fcinfo, 0, "starts");
	JsonbValue	root;
	StartsArgs	args;
	ErrorData **errors;
	ErrorData  *edata;
	PrivState	ps;

	jsonin_root_value(starts, &root);
	if (!jsonin_is_container(&root, true))
		jsonin_type_error("starts", "an array", &root);
	args.n = jsonin_items(&root, &args.elems);
	if (args.n > SCHED_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for starts: %d elements are more than the limit of %d",
						args.n, SCHED_BATCH_MAX),
				 errhint("Split the batch into calls of at most %d starts.",
						 SCHED_BATCH_MAX)));
	args.run_ids = palloc0(sizeof(pg_uuid_t) * Max(args.n, 1));
	args.only = -1;
	errors = palloc0(sizeof(ErrorData *) * Max(args.n, 1));

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	/* the owner's section once for the batch (an abort inside restores it) */
	args.caller = priv_enter(&ps);
	edata = sched_try_subxact(starts_fn, &args);
	if (edata != NULL)
	{
		FreeErrorData(edata);
		for (int i = 0; i < args.n; i++)
		{
			args.only = i;
			errors[i] = sched_try_subxact(starts_fn, &args);
		}
	}
	priv_exit(&ps);
	for (int i = 0; i < args.n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		if (errors[i] == NULL)
		{
			values[1] = UUIDPGetDatum(&args.run_ids[i]);
			nulls[2] = nulls[3] = true;
		}
		else
		{
			nulls[1] = true;
			values[2] = CStringGetTextDatum(unpack_sql_state(errors[i]->sqlerrcode));
			values[3] = CStringGetTextDatum(errors[i]->message);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
	PG_RETURN_VOID();
}
