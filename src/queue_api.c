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

#include "json_input.h"
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
PG_FUNCTION_INFO_V1(sched_complete_runs);
PG_FUNCTION_INFO_V1(sched_fail_runs);

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
						jsonin_format_interval(lease)),
				 errhint("The lease is how long the run stays claimed without a heartbeat.")));
	/* as every other duration: now() + lease must stay a timestamp */
	if (DatumGetBool(DirectFunctionCall2(interval_gt,
										 IntervalPGetDatum(lease),
										 IntervalPGetDatum(&max_lease))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lease \"%s\": it must be at most 200 years",
						jsonin_format_interval(lease)),
				 errhint("The lease is how long the run stays claimed without a heartbeat.")));

	task_queue = text_to_cstring(PG_GETARG_TEXT_PP(0));
	sched_check_length(task_queue, "task_queue", SCHED_NAME_MAX);
	/* runs of SQL actions are for the executors alone */
	sched_refuse_sql_queue(task_queue, "task_queue");
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
					rsinfo->setResult, rsinfo->setDesc);
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

/* ---- batched reports ---- */

/*
 * The elements of a one-dimensional array argument (NULL elements kept),
 * or nothing when the argument is NULL.  Refuses more than SCHED_BATCH_MAX.
 */
static int
array_arg(FunctionCallInfo fcinfo, int n, const char *name, Oid elemtype,
		  Datum **elems, bool **nulls)
{
	ArrayType  *arr;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			nelems;

	*elems = NULL;
	*nulls = NULL;
	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return -1;
	arr = PG_GETARG_ARRAYTYPE_P(n);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: expected a one-dimensional array, found %d dimensions",
						name, ARR_NDIM(arr))));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, elems,
					  nulls, &nelems);
	if (nelems > SCHED_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: %d elements are more than the limit of %d",
						name, nelems, SCHED_BATCH_MAX),
				 errhint("Split the batch into calls of at most %d runs.",
						 SCHED_BATCH_MAX)));
	return nelems;
}

/* A parallel array must have one element per run id. */
static void
check_same_length(const char *name, int n, int nrun_ids)
{
	if (n >= 0 && n != nrun_ids)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: it has %d elements, but run_ids has %d",
						name, n, nrun_ids),
				 errhint("Pass one element per run id, in the same order, or NULL.")));
}

/* The refusal of one element before the close path: caught as an error. */
static ErrorData *
element_error(const char *name, bool is_null, Jsonb *payload,
			  const char *text, int max)
{
	MemoryContext cxt = CurrentMemoryContext;
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		if (is_null)
		{
			if (strcmp(name, "error") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for error: null is not allowed"),
						 errhint("Pass the failure's message, or an empty string.")));
			sched_null_error(name);
		}
		sched_check_payload(payload, name);
		sched_check_length(text, name, max);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	return edata;
}

/*
 * The rows of a batched report: one per input element, in input order:
 * run_id, status after the call (NULL when refused), and the SQLSTATE and
 * message of the refusal.
 */
static void
report_rows(ReturnSetInfo *rsinfo, Datum *run_ids, bool *id_nulls, int n,
			RunOutcome *outcomes, ErrorData **errors)
{
	for (int i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = id_nulls[i] ? (Datum) 0 : run_ids[i];
		nulls[0] = id_nulls[i];
		if (errors[i] == NULL && outcomes[i].status != NULL)
		{
			values[1] = CStringGetTextDatum(outcomes[i].status);
			nulls[2] = nulls[3] = true;
		}
		else
		{
			nulls[1] = true;
			values[2] = CStringGetTextDatum(errors[i] ?
											unpack_sql_state(errors[i]->sqlerrcode) :
											"XX000");
			values[3] = CStringGetTextDatum(errors[i] && errors[i]->message ?
											errors[i]->message : "internal error");
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
}

/*
 * The close of the elements that passed their own checks, through
 * run_close_many(); outcomes[i] and errors[i] are the caller's, by input
 * position.
 */
static void
close_batch(Datum *run_ids, int n, RunOutcome *outcomes, ErrorData **errors)
{
	pg_uuid_t  *ids = palloc(sizeof(pg_uuid_t) * Max(n, 1));
	RunOutcome *os = palloc(sizeof(RunOutcome) * Max(n, 1));
	ErrorData **es = palloc(sizeof(ErrorData *) * Max(n, 1));
	int		   *pos = palloc(sizeof(int) * Max(n, 1));
	int			m = 0;

	for (int i = 0; i < n; i++)
	{
		if (errors[i] != NULL)
			continue;
		ids[m] = *DatumGetUUIDP(run_ids[i]);
		os[m] = outcomes[i];
		pos[m++] = i;
	}
	run_close_many(ids, os, m, es);
	for (int k = 0; k < m; k++)
	{
		outcomes[pos[k]] = os[k];
		errors[pos[k]] = es[k];
	}
}

/*
 * sched.complete_runs(run_ids uuid[], results jsonb[] DEFAULT NULL)
 * RETURNS TABLE (run_id uuid, status text, sqlstate text, message text)
 *
 * sched.complete for each run, in one call: one row per element, in input
 * order; a run's refusal is its row's sqlstate and message, and does not
 * stop the others.
 */
Datum
sched_complete_runs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *ids;
	bool	   *id_nulls;
	Datum	   *res = NULL;
	bool	   *res_nulls = NULL;
	int			n;
	int			nres;
	RunOutcome *outcomes;
	ErrorData **errors;
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "run_ids");
	n = array_arg(fcinfo, 0, "run_ids", UUIDOID, &ids, &id_nulls);
	nres = array_arg(fcinfo, 1, "results", JSONBOID, &res, &res_nulls);
	check_same_length("results", nres, n);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	outcomes = palloc0(sizeof(RunOutcome) * Max(n, 1));
	errors = palloc0(sizeof(ErrorData *) * Max(n, 1));
	caller = priv_enter(&ps);
	for (int i = 0; i < n; i++)
	{
		Jsonb	   *result = (nres < 0 || res_nulls[i]) ? NULL :
			DatumGetJsonbP(res[i]);

		outcomes[i].kind = RUN_COMPLETED;
		outcomes[i].result = result;
		outcomes[i].caller = caller;
		if (id_nulls[i] ||
			(result != NULL && VARSIZE(result) > SCHED_PAYLOAD_MAX))
			errors[i] = element_error(id_nulls[i] ? "run_id" : "result",
									  id_nulls[i], result, NULL, 0);
	}
	close_batch(ids, n, outcomes, errors);
	priv_exit(&ps);
	report_rows(rsinfo, ids, id_nulls, n, outcomes, errors);
	return (Datum) 0;
}

/*
 * sched.fail_runs(run_ids uuid[], errors text[],
 *				   non_retryable boolean[] DEFAULT NULL,
 *				   error_types text[] DEFAULT NULL)
 * RETURNS TABLE (run_id uuid, status text, sqlstate text, message text)
 *
 * sched.fail for each run: status 'scheduled' when its retry policy gave it
 * another try, 'failed' when it closed.  error_types[i] is sched.fail's
 * error_type (NULL: none); an install script of 0.3.0 before it had three
 * arguments.
 */
Datum
sched_fail_runs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *ids;
	bool	   *id_nulls;
	Datum	   *errs;
	bool	   *err_nulls;
	Datum	   *nrs = NULL;
	bool	   *nr_nulls = NULL;
	Datum	   *types = NULL;
	bool	   *type_nulls = NULL;
	int			n;
	int			nerrs;
	int			nnr;
	int			ntypes;
	RunOutcome *outcomes;
	ErrorData **errors;
	PrivState	ps;
	Oid			caller;

	sched_arg_required(fcinfo, 0, "run_ids");
	sched_arg_required(fcinfo, 1, "errors");
	n = array_arg(fcinfo, 0, "run_ids", UUIDOID, &ids, &id_nulls);
	nerrs = array_arg(fcinfo, 1, "errors", TEXTOID, &errs, &err_nulls);
	check_same_length("errors", nerrs, n);
	nnr = array_arg(fcinfo, 2, "non_retryable", BOOLOID, &nrs, &nr_nulls);
	check_same_length("non_retryable", nnr, n);
	ntypes = array_arg(fcinfo, 3, "error_types", TEXTOID, &types, &type_nulls);
	check_same_length("error_types", ntypes, n);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	outcomes = palloc0(sizeof(RunOutcome) * Max(n, 1));
	errors = palloc0(sizeof(ErrorData *) * Max(n, 1));
	caller = priv_enter(&ps);
	for (int i = 0; i < n; i++)
	{
		char	   *error = err_nulls[i] ? NULL : TextDatumGetCString(errs[i]);
		char	   *error_type = (ntypes < 0 || type_nulls[i]) ? NULL :
			TextDatumGetCString(types[i]);

		outcomes[i].kind = RUN_FAILED;
		outcomes[i].error = error;
		outcomes[i].error_type = error_type;
		outcomes[i].non_retryable = nnr >= 0 && !nr_nulls[i] &&
			DatumGetBool(nrs[i]);
		outcomes[i].caller = caller;
		if (id_nulls[i] || err_nulls[i] ||
			strlen(error) > (size_t) SCHED_PAYLOAD_MAX)
			errors[i] = element_error(id_nulls[i] ? "run_id" : "error",
									  id_nulls[i] || err_nulls[i], NULL,
									  error, SCHED_PAYLOAD_MAX);
		else if (error_type != NULL &&
				 strlen(error_type) > (size_t) SCHED_NAME_MAX)
			errors[i] = element_error("error_type", false, NULL,
									  error_type, SCHED_NAME_MAX);
	}
	close_batch(ids, n, outcomes, errors);
	priv_exit(&ps);
	report_rows(rsinfo, ids, id_nulls, n, outcomes, errors);
	return (Datum) 0;
}
