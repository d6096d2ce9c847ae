/*-------------------------------------------------------------------------
 *
 * queue_api.c
 *	  The SQL functions of the run queue: what application workers call
 *	  (poll, heartbeat, complete, fail, canceled, and the batched
 *	  complete_runs, fail_runs) and what operators call (cancel_workflow,
 *	  terminate_workflow, describe_workflow, expire_leases).
 *
 * Each checks its arguments as the caller, enters the extension owner's
 * section (privileges.c) and hands the work to the run store (run_store.c)
 * or the close path (run_close.c).  A run the caller may not read is
 * reported as not existing (42704); poll claims only the runs of the
 * caller's roles unless it may work the whole queue; cancel, terminate and
 * signal need the run's owner (or sched_admin), a queue grant is not
 * enough (42501).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "privileges.h"
#include "run_close.h"
#include "run_store.h"
#include "sched_limits.h"
#include "sql_args.h"

PG_FUNCTION_INFO_V1(sched_poll);
PG_FUNCTION_INFO_V1(sched_heartbeat);
PG_FUNCTION_INFO_V1(sched_complete);
PG_FUNCTION_INFO_V1(sched_fail);
PG_FUNCTION_INFO_V1(sched_canceled);
PG_FUNCTION_INFO_V1(sched_cancel_workflow);
PG_FUNCTION_INFO_V1(sched_terminate_workflow);
PG_FUNCTION_INFO_V1(sched_describe_workflow);
PG_FUNCTION_INFO_V1(sched_expire_leases);

/* A report of one run: run_close() on behalf of caller. */
static void
report(const pg_uuid_t *run_id, RunOutcomeKind kind, Jsonb *result,
	   const char *error, const char *error_type, bool non_retryable,
	   Oid caller)
{
	RunOutcome	o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.result = result;
	o.error = error;
	o.error_type = error_type;
	o.non_retryable = non_retryable;
	o.caller = caller;
	run_close(run_id, &o);
}

/* ---- SQL functions ---- */

/*
 * sched.poll(task_queue text, worker text, max_tasks integer,
 *			  lease interval) RETURNS TABLE (...)
 *
 * Claims up to max_tasks due pending runs of task_queue, oldest due first,
 * skipping runs that other pollers are claiming, under a lease.
 */
Datum
sched_poll(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		max_tasks;
	Interval   *lease;
	Interval	min_lease = {.time = USECS_PER_SEC};
	Interval	max_lease = {.day = 200 * 366};
	char	   *task_queue;
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "task_queue");
	sched_arg_required(fcinfo, 2, "max_tasks");
	sched_arg_required(fcinfo, 3, "lease");
	max_tasks = PG_GETARG_INT32(2);
	lease = PG_GETARG_INTERVAL_P(3);
	if (max_tasks < 1 || max_tasks > SCHED_POLL_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid max_tasks %d: it must be between 1 and %d",
						max_tasks, SCHED_POLL_MAX)));
	if (DatumGetBool(DirectFunctionCall2(interval_lt,
										 IntervalPGetDatum(lease),
										 IntervalPGetDatum(&min_lease))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lease \"%s\": it must be at least 1 second",
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(lease)))),
				 errhint("The lease is how long the run stays claimed without a heartbeat.")));
	/* as every other duration: now() + lease must stay a timestamp */
	if (DatumGetBool(DirectFunctionCall2(interval_gt,
										 IntervalPGetDatum(lease),
										 IntervalPGetDatum(&max_lease))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lease \"%s\": it must be at most 200 years",
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(lease)))),
				 errhint("The lease is how long the run stays claimed without a heartbeat.")));

	task_queue = text_to_cstring(PG_GETARG_TEXT_PP(0));
	sched_check_length(task_queue, "task_queue", SCHED_NAME_MAX);
	if (!PG_ARGISNULL(1))
		sched_check_length(text_to_cstring(PG_GETARG_TEXT_PP(1)), "worker",
						   SCHED_NAME_MAX);

	InitMaterializedSRF(fcinfo, 0);

	caller = priv_enter(&ps);
	/* a worker of the queue claims every run, others their roles' runs */
	run_store_claim(PG_GETARG_DATUM(0),
					PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1),
					PG_ARGISNULL(1), max_tasks, lease,
					priv_may_work_queue(caller, task_queue), caller,
					rsinfo->setResult);
	priv_exit(&ps);

	return (Datum) 0;
}

/*
 * sched.heartbeat(run_id uuid, details jsonb) RETURNS boolean
 *
 * Renews the lease of a running run by the lease it was claimed with,
 * records the details, and returns whether cancellation was requested.
 */
Datum
sched_heartbeat(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *run_id;
	Jsonb	   *details = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	bool		cancel_requested = false;
	char	   *status;
	char	   *schedule_id;
	char	   *owner;
	char	   *task_queue;
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "run_id");
	run_id = PG_GETARG_UUID_P(0);
	sched_check_payload(details, "details");

	caller = priv_enter(&ps);
	/* the caller may report on the run (its owner never changes) */
	if (!run_store_lookup(run_id, &status, &schedule_id, &owner, &task_queue) ||
		(!priv_may_access(caller, owner) &&
		 !priv_may_work_queue(caller, task_queue)))
		run_report_refused(run_id, NULL);
	/* loops only if the run was given back and claimed again meanwhile */
	while (!run_store_heartbeat(run_id, details, &cancel_requested))
	{
		CHECK_FOR_INTERRUPTS();
		if (!run_store_lookup(run_id, &status, &schedule_id, &owner,
							  &task_queue) ||
			strcmp(status, "running") != 0)
			run_report_refused(run_id, status);
	}
	priv_exit(&ps);

	PG_RETURN_BOOL(cancel_requested);
}

/* sched.complete(run_id uuid, result jsonb) RETURNS void */
Datum
sched_complete(PG_FUNCTION_ARGS)
{
	Jsonb	   *result = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "run_id");
	sched_check_payload(result, "result");
	caller = priv_enter(&ps);
	report(PG_GETARG_UUID_P(0), RUN_COMPLETED, result, NULL, NULL, false,
		   caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/*
 * sched.fail(run_id uuid, error text, non_retryable boolean,
 *			  error_type text) RETURNS void
 *
 * Closes the run as failed, unless its retry policy gives it another try
 * (SEMANTICS.md 8: "no retry policy: no retry"): non_retryable, or an
 * error_type listed in the policy's non_retryable_error_types, makes the
 * failure final.  error_type is the application's name for the kind of
 * failure (Temporal's ApplicationError type, such as an exception's class
 * name); NULL matches no listed type.  non_retryable NULL means false.
 */
Datum
sched_fail(PG_FUNCTION_ARGS)
{
	char	   *error;
	char	   *error_type = NULL;
	bool		non_retryable = false;
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "run_id");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for error: null is not allowed"),
				 errhint("Pass the failure's message, or an empty string.")));
	error = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
		non_retryable = PG_GETARG_BOOL(2);
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
		error_type = text_to_cstring(PG_GETARG_TEXT_PP(3));
	sched_check_length(error, "error", SCHED_PAYLOAD_MAX);
	sched_check_length(error_type, "error_type", SCHED_NAME_MAX);
	caller = priv_enter(&ps);
	report(PG_GETARG_UUID_P(0), RUN_FAILED, NULL, error, error_type,
		   non_retryable, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* sched.canceled(run_id uuid, details jsonb) RETURNS void */
Datum
sched_canceled(PG_FUNCTION_ARGS)
{
	Jsonb	   *details = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "run_id");
	sched_check_payload(details, "details");
	caller = priv_enter(&ps);
	report(PG_GETARG_UUID_P(0), RUN_CANCELED, details, NULL, NULL, false,
		   caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* sched.cancel_workflow(workflow_id text, reason text) RETURNS void */
Datum
sched_cancel_workflow(PG_FUNCTION_ARGS)
{
	char	   *reason = NULL;
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "workflow_id");
	if (!PG_ARGISNULL(1))
		reason = text_to_cstring(PG_GETARG_TEXT_PP(1));
	sched_check_length(reason, "reason", SCHED_NAME_MAX);
	caller = priv_enter(&ps);
	run_close_workflow(text_to_cstring(PG_GETARG_TEXT_PP(0)), reason, false,
					   caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* sched.terminate_workflow(workflow_id text, reason text) RETURNS void */
Datum
sched_terminate_workflow(PG_FUNCTION_ARGS)
{
	char	   *reason = NULL;
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "workflow_id");
	if (!PG_ARGISNULL(1))
		reason = text_to_cstring(PG_GETARG_TEXT_PP(1));
	sched_check_length(reason, "reason", SCHED_NAME_MAX);
	caller = priv_enter(&ps);
	run_close_workflow(text_to_cstring(PG_GETARG_TEXT_PP(0)), reason, true,
					   caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* sched.describe_workflow(workflow_id text) RETURNS jsonb */
Datum
sched_describe_workflow(PG_FUNCTION_ARGS)
{
	char	   *workflow_id = sched_arg_text(fcinfo, 0, "workflow_id");
	Datum		doc;
	bool		found;
	PrivState	ps;
	Oid			caller;

	caller = priv_enter(&ps);
	doc = run_store_describe(workflow_id, caller, &found);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workflow id \"%s\" does not exist", workflow_id)));
	priv_exit(&ps);

	PG_RETURN_DATUM(doc);
}

/*
 * sched.expire_leases() RETURNS integer
 *
 * What the scheduler does on its own: runs past their run or execution
 * deadline time out (or are retried), runs whose lease has expired go back
 * to pending, and due scheduled runs become pending.  For operators (after
 * a clock change, or with the scheduler stopped) and for tests: superusers
 * and sched_admin members, since it acts on every role's runs.
 */
Datum
sched_expire_leases(PG_FUNCTION_ARGS)
{
	PrivState	ps;
	int			n;

	/* it changes every role's runs */
	priv_require_admin(GetUserId(), "call sched.expire_leases()");
	priv_enter(&ps);
	n = run_close_expire(GetCurrentTransactionStartTimestamp());
	priv_exit(&ps);
	PG_RETURN_INT32(n);
}
