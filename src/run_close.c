/*-------------------------------------------------------------------------
 *
 * run_close.c
 *	  The one close path of runs (run_close.h): reports, timeouts, cancel
 *	  and terminate, and what follows every close.
 *
 * Every close goes through the same steps, in this order:
 *	 1. the run's schedule is locked, once (schedule_lock(): its row is
 *		read and decoded under the lock, and the reaction in step 4 uses
 *		it); the schedule id of a run never changes, so it is looked up
 *		before, without a lock;
 *	 2. the run is locked (FOR NO KEY UPDATE, which reads its latest
 *		version) and checked: a report needs a running run, a timeout or
 *		termination an open one; a refusal changes nothing;
 *	 3. the retry decision (run_policy.c): a failure or a run timeout that
 *		the run's retry policy retries makes the run scheduled again, and
 *		nothing else happens (a retry is not a close: the schedule still
 *		sees the run as running, SEMANTICS.md 3.3); otherwise the run
 *		closes (run_store.c);
 *	 4. the schedule's reaction (schedule_run_closed(): last completion
 *		result and last failure, pause_on_failure, the buffer processed at
 *		once);
 *	 5. the next run of a cron chain, unless the run was canceled or
 *		terminated, its cancellation was requested, or its execution timed
 *		out (which ends the whole workflow).
 *
 * No wake-up of the scheduler for the close itself: a closed run only takes
 * deadlines away, so the scheduler's next one can only move later.  What
 * the close starts (a buffered action, the next run of a chain, a retry)
 * wakes it where it is started.  Waking it at every completion had it look
 * for its next deadline once per run, competing with the workers for the
 * CPU (bench/README.md, figure 5).
 *
 * Lock order and why it cannot deadlock: run_store.c's banner.  Batches
 * (run_close_many) lock all their schedules first, in the order of their
 * ids, and then their runs one by one; two batches therefore wait for each
 * other's schedules only in one order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "json_input.h"
#include "privileges.h"
#include "run_close.h"
#include "run_policy.h"
#include "run_store.h"
#include "sched_clock.h"
#include "schedule_process.h"
#include "sched_wake.h"
#include "subxact.h"

/* Timed-out runs one run_close_expire() call handles at most. */
#define TIMEOUT_BATCH			1000

static const char *const outcome_status[] = {
	"completed", "failed", "canceled", "terminated", "timed_out"
};

/*
 * The next run of a cron chain (SEMANTICS.md 7), after run closed as
 * status: at the first cron time after the run's own (its nominal time)
 * that is not in the past, so missed times are skipped; with the same
 * workflow id, arguments, options and execution deadline, and the previous
 * run's result as last_completion_result, or for a run that did not
 * complete the result it had received itself (Temporal hands a cron run the
 * result of the last successful run, and the failure separately): the
 * last failure is the previous run's failure when it failed, none when it
 * completed, and the one it had received otherwise (a timeout).  A
 * cancellation request ends the chain.  The run is a new row in the closing
 * transaction, inserted after the old row closed (one open run per id).
 */
static void
chain_continue(const RunRow *run, const char *status, Jsonb *result,
			   Jsonb *failure)
{
	TimestampTz now = sched_real_now();
	TimestampTz next;
	RunStart	rs;

	if (run->cron_schedule == NULL || run->cancel_requested)
		return;
	if (!run_cron_next(run->cron_schedule, run->workflow_id,
					   run->has_nominal ? run->nominal_time : now, now,
					   &next))
		return;

	memset(&rs, 0, sizeof(rs));
	rs.workflow_id = run->workflow_id;
	rs.workflow = run->workflow;
	rs.task_queue = run->task_queue;
	rs.args = run->args;
	rs.memo = run->memo;
	rs.start_kind = "start";
	rs.nominal_time = next;
	rs.scheduled_at = next;
	rs.due_at = next;
	rs.pending = next <= now;
	rs.last_completion_result = strcmp(status, "completed") == 0 ?
		result : run->last_completion_result;
	if (strcmp(status, "completed") == 0)
		rs.last_failure = NULL;
	else if (failure != NULL)
		rs.last_failure = failure;
	else
		rs.last_failure = run->last_failure;
	rs.retry_policy = run->retry_policy;
	rs.run_timeout_us = run_interval_usecs(run->run_timeout);
	rs.execution_timeout_us = run_interval_usecs(run->execution_timeout);
	rs.execution_deadline = run->has_execution_deadline ?
		run->execution_deadline : 0;
	rs.cron_schedule = run->cron_schedule;
	rs.owner = run->owner;
	if (!run_store_start(&rs, NULL))
		ereport(WARNING,
				(errmsg("the cron schedule of workflow id \"%s\" ends: another run of the id is open",
						run->workflow_id)));
}

/*
 * The failure a failed run hands to the next one (Temporal's last failure,
 * ContinuedFailure): {"message", "error_type", "workflow_id", "run_id",
 * "failed_at"}.  Only a run that failed after its retries has one; a
 * timed-out, canceled or terminated run has none, as in Temporal.
 */
static Jsonb *
failure_jsonb(const RunRow *run, const char *message, const char *error_type)
{
	JsonbParseState *st = NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "message");
	schedule_push_text(&st, WJB_VALUE, message ? message : "");
	schedule_push_key(&st, "error_type");
	if (error_type)
		schedule_push_text(&st, WJB_VALUE, error_type);
	else
		schedule_push_jsonb(&st, WJB_VALUE, NULL);
	schedule_push_key(&st, "workflow_id");
	schedule_push_text(&st, WJB_VALUE, run->workflow_id);
	schedule_push_key(&st, "run_id");
	schedule_push_text(&st, WJB_VALUE, run_id_string(&run->run_id));
	schedule_push_key(&st, "failed_at");
	schedule_push_time(&st, WJB_VALUE, sched_real_now());
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/*
 * A batch's closes, kept for the reaction of their schedules, which comes
 * once per schedule after all of the batch's runs closed
 * (schedule_runs_closed): closed[k] is item k's, if has[k].
 */
typedef struct Deferred
{
	ScheduleClosedRun *closed;
	bool	   *has;
	int			current;		/* the item being closed */
} Deferred;

/*
 * Steps 4 and 5 of the banner.  message is the error or reason, result the
 * completion result, failure the failure of a failed run (or NULL).  With
 * d, the schedule's reaction is left to the batch.
 */
static void
after_close(const RunRow *run, ScheduleLock *sl, const char *status,
			const char *message, Jsonb *result, Jsonb *failure,
			bool continue_chain, Deferred *d)
{
	if (sl != NULL && d != NULL)
	{
		ScheduleClosedRun *c = &d->closed[d->current];

		c->workflow_id = pstrdup(run->workflow_id);
		c->status = status;
		c->message = message;
		c->result = result;
		c->failure = failure;
		d->has[d->current] = true;
	}
	else if (sl != NULL)
		schedule_run_closed(sl, run->workflow_id, status, message, result,
							failure);
	if (continue_chain)
		chain_continue(run, status, result, failure);
}

/*
 * "run_timeout of PT30S exceeded" (the error of a timed-out run), in the
 * ISO 8601 form of every duration pg_sched shows.  A deadline set by hand,
 * without its timeout, is only "passed".
 */
static char *
timeout_message(const char *kind, const Interval *timeout)
{
	if (timeout == NULL)
		return psprintf("%.*s_deadline passed", (int) (strlen(kind) - 8),
						kind);
	return psprintf("%s of %s exceeded", kind,
					jsonin_format_duration_ms(run_interval_usecs(timeout) / 1000));
}

/*
 * Steps 2 to 5 on a run whose schedule (if any) is held as sl: the run is
 * locked and read, checked against the outcome, and closed or retried.
 */
static void
close_locked(const pg_uuid_t *run_id, ScheduleLock *sl, RunOutcome *o,
			 Deferred *d)
{
	RunRow		run;
	const char *status = outcome_status[o->kind];
	bool		report = o->kind == RUN_COMPLETED || o->kind == RUN_FAILED ||
		o->kind == RUN_CANCELED;
	char	   *close_reason;

	/*
	 * A completion, the common report: the run's lock, check and close in
	 * one statement; a run that is not running is read under its lock
	 * below, to be refused with its status.
	 */
	if (o->kind == RUN_COMPLETED &&
		run_store_complete_running(run_id, o->result, &run, &close_reason))
	{
		o->status = status;
		after_close(&run, sl, status, close_reason, o->result, NULL, true, d);
		return;
	}
	if (!run_store_lock(run_id, &run))
		run_report_refused(run_id, NULL);
	if (report && strcmp(run.status, "running") != 0)
		run_report_refused(run_id, run.status);
	if (!report && strcmp(run.status, "scheduled") != 0 &&
		strcmp(run.status, "pending") != 0 &&
		strcmp(run.status, "running") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %s is not open: its status is %s",
						run_id_string(run_id), run.status),
				 errdetail("A closed run does not change; the report was ignored.")));

	if (o->kind == RUN_FAILED || o->kind == RUN_TIMED_OUT)
	{
		const char *error_type = o->error_type;
		TimestampTz due;

		if (o->kind == RUN_TIMED_OUT && error_type == NULL)
			error_type = "run_timeout";
		if (!run.cancel_requested &&
			run_retry_due(run.retry_policy, run.retries, error_type,
						  o->non_retryable, sched_real_now(),
						  run.has_execution_deadline,
						  run.execution_deadline, &due))
		{
			run_store_retry(run_id, due, o->error, error_type);
			o->status = "scheduled";
			return;
		}
		if (o->kind == RUN_TIMED_OUT)
		{
			run_store_time_out(run_id, o->error ? o->error : "timed out",
							   error_type);
			o->status = status;
			after_close(&run, sl, status, o->error, NULL, NULL, true, d);
			return;
		}
	}

	if (o->kind == RUN_TERMINATED)
	{
		if (!run_store_terminate(run_id, o->error))
			elog(ERROR, "a locked open run was not found");
		o->status = status;
		after_close(&run, sl, status, o->error, NULL, NULL, false, d);
		return;
	}

	close_reason = run_store_close_running(run_id, status, o->result,
										   o->error, o->error_type);
	o->status = status;
	after_close(&run, sl, status,
				o->kind == RUN_FAILED ? o->error : close_reason,
				o->kind == RUN_COMPLETED ? o->result : NULL,
				o->kind == RUN_FAILED ?
				failure_jsonb(&run, o->error, o->error_type) : NULL,
				o->kind != RUN_CANCELED, d);
}

/*
 * Step 1's lookup: the run's schedule id, and the privilege check (a run
 * the caller may not read does not exist for it).  False: no such run.
 */
static bool
lookup_visible(const RunLookup *l, Oid caller)
{
	return l->found &&
		(!OidIsValid(caller) || priv_may_access(caller, l->owner) ||
		 priv_may_work_queue(caller, l->task_queue));
}

static bool
lookup_run(const pg_uuid_t *run_id, Oid caller, char **status,
		   char **schedule_id)
{
	RunLookup	l;

	memset(&l, 0, sizeof(l));
	*status = NULL;
	*schedule_id = NULL;
	l.found = run_store_lookup(run_id, &l.status, &l.schedule_id, &l.owner,
							   &l.task_queue);
	if (!lookup_visible(&l, caller))
		return false;
	*status = l.status;
	*schedule_id = l.schedule_id;
	return true;
}

void
run_close(const pg_uuid_t *run_id, RunOutcome *outcome)
{
	char	   *status;
	char	   *schedule_id;
	ScheduleLock *sl = NULL;
	bool		report = outcome->kind == RUN_COMPLETED ||
		outcome->kind == RUN_FAILED || outcome->kind == RUN_CANCELED;

	outcome->status = NULL;
	if (!lookup_run(run_id, outcome->caller, &status, &schedule_id))
		run_report_refused(run_id, NULL);
	/* refused before any lock: the common case of a stale report */
	if (report && strcmp(status, "running") != 0)
		run_report_refused(run_id, status);
	if (schedule_id != NULL)
		sl = schedule_lock(schedule_id);
	close_locked(run_id, sl, outcome, NULL);
	if (sl != NULL)
		schedule_lock_free(sl);
}

/*
 * run_close() for a caller that already holds the run's schedule (sl, from
 * schedule_lock(); NULL for a run without one) and needs no privilege
 * check: steps 2 to 5 only (the SQL-actions executor, which has locked the
 * schedule and re-checked its claim itself).
 */
void
run_close_held(const pg_uuid_t *run_id, ScheduleLock *sl, RunOutcome *outcome)
{
	Assert(!OidIsValid(outcome->caller));
	outcome->status = NULL;
	close_locked(run_id, sl, outcome, NULL);
}

/* ---- batches ---- */

typedef struct ManyItem
{
	int			index;			/* in the caller's arrays */
	char	   *schedule_id;	/* NULL: none */
	ScheduleLock *sl;
} ManyItem;

typedef struct ManyArgs
{
	const pg_uuid_t *run_ids;
	RunOutcome *outcomes;
	ManyItem   *items;
	int			nitems;
	ErrorData **errors;
} ManyArgs;

static int
item_cmp(const void *a, const void *b)
{
	const ManyItem *x = a;
	const ManyItem *y = b;

	if (x->schedule_id == NULL || y->schedule_id == NULL)
		return (x->schedule_id == NULL) - (y->schedule_id == NULL);
	return strcmp(x->schedule_id, y->schedule_id);
}

/*
 * The whole batch at once (in one subtransaction of the caller's): the
 * completions of runs without a cron chain in one UPDATE (a run's
 * cron_schedule is read under its lock, so those are closed one by one),
 * every other item through close_locked(), and then the reaction of each
 * schedule once, to all of its runs that closed (in the caller's order).
 */
static void
many_all(void *arg)
{
	ManyArgs   *a = (ManyArgs *) arg;
	int			m = Max(a->nitems, 1);
	pg_uuid_t  *ids = palloc(sizeof(pg_uuid_t) * m);
	Jsonb	  **results = palloc(sizeof(Jsonb *) * m);
	int		   *which = palloc(sizeof(int) * m);
	bool	   *closed = palloc(sizeof(bool) * m);
	char	  **workflow_ids = palloc(sizeof(char *) * m);
	int			nfast = 0;
	Deferred	d;

	d.closed = palloc0(sizeof(ScheduleClosedRun) * m);
	d.has = palloc0(sizeof(bool) * m);
	for (int k = 0; k < a->nitems; k++)
	{
		ManyItem   *it = &a->items[k];
		RunOutcome *o = &a->outcomes[it->index];

		if (o->kind == RUN_COMPLETED)
		{
			ids[nfast] = a->run_ids[it->index];
			results[nfast] = o->result;
			which[nfast++] = k;
		}
	}
	if (nfast > 1)
	{
		run_store_complete_many(ids, results, nfast, closed, workflow_ids);
		for (int f = 0; f < nfast; f++)
		{
			int			k = which[f];

			if (!closed[f])
				continue;
			a->outcomes[a->items[k].index].status = "completed";
			if (a->items[k].sl != NULL)
			{
				d.closed[k].workflow_id = workflow_ids[f];
				d.closed[k].status = "completed";
				d.closed[k].result = results[f];
				d.has[k] = true;
			}
		}
	}
	for (int k = 0; k < a->nitems; k++)
	{
		ManyItem   *it = &a->items[k];

		CHECK_FOR_INTERRUPTS();
		if (a->outcomes[it->index].status != NULL)
			continue;
		d.current = k;
		close_locked(&a->run_ids[it->index], it->sl,
					 &a->outcomes[it->index], &d);
	}

	/* items are in the order of their schedules: one reaction each */
	{
		ScheduleLock **sls = palloc(sizeof(ScheduleLock *) * m);
		const ScheduleClosedRun **runs = palloc(sizeof(ScheduleClosedRun *) * m);
		int		   *nruns = palloc0(sizeof(int) * m);
		int			nsl = 0;

		for (int k = 0; k < a->nitems;)
		{
			ScheduleLock *sl = a->items[k].sl;
			int			end = k;
			ScheduleClosedRun *these;

			while (end < a->nitems && a->items[end].sl == sl)
				end++;
			if (sl != NULL)
			{
				these = palloc(sizeof(ScheduleClosedRun) * (end - k));
				sls[nsl] = sl;
				runs[nsl] = these;
				for (int e = k; e < end; e++)
					if (d.has[e])
						these[nruns[nsl]++] = d.closed[e];
				nsl++;
			}
			k = end;
		}
		schedule_runs_closed_many(sls, runs, nruns, nsl);
	}
}

typedef struct OneArgs
{
	const pg_uuid_t *run_id;
	ScheduleLock *sl;
	RunOutcome *outcome;
} OneArgs;

static void
many_one(void *arg)
{
	OneArgs    *a = (OneArgs *) arg;

	close_locked(a->run_id, a->sl, a->outcome, NULL);
}

/* The error of run_report_refused(), caught. */
static ErrorData *
refusal(const pg_uuid_t *run_id, const char *status)
{
	MemoryContext cxt = CurrentMemoryContext;
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		run_report_refused(run_id, status);
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

void
run_close_many(const pg_uuid_t *run_ids, RunOutcome *outcomes, int n,
			   ErrorData **errors)
{
	ManyItem   *items = palloc0(sizeof(ManyItem) * Max(n, 1));
	int			nitems = 0;
	ManyArgs	args;
	ErrorData  *edata;
	RunLookup  *looked = palloc(sizeof(RunLookup) * Max(n, 1));

	/* step 1's lookup of every run, in one statement */
	run_store_lookup_many(run_ids, n, looked);

	/*
	 * Refusals that need no lock are decided first, each with the error
	 * run_close() would raise (caught here).
	 */
	for (int i = 0; i < n; i++)
	{
		char	   *status;
		char	   *schedule_id;
		RunOutcome *o = &outcomes[i];
		bool		dup = false;

		errors[i] = NULL;
		o->status = NULL;
		for (int j = 0; j < i && !dup; j++)
			dup = memcmp(&run_ids[j], &run_ids[i], sizeof(pg_uuid_t)) == 0;
		if (dup)
		{
			status = "duplicate";
			continue;			/* decided at the end, after the first */
		}
		status = looked[i].status;
		schedule_id = looked[i].schedule_id;
		if (!lookup_visible(&looked[i], o->caller))
			status = NULL;
		else if (strcmp(status, "running") == 0 ||
				 !(o->kind == RUN_COMPLETED || o->kind == RUN_FAILED ||
				   o->kind == RUN_CANCELED))
			status = "ok";
		if (status == NULL || strcmp(status, "ok") != 0)
		{
			/* the error run_close() would raise, made and caught here */
			errors[i] = refusal(&run_ids[i], status);
			continue;
		}
		items[nitems].index = i;
		items[nitems].schedule_id = schedule_id;
		nitems++;
	}

	/*
	 * every schedule once, in the order of their ids, before any run: in
	 * one statement
	 */
	qsort(items, nitems, sizeof(ManyItem), item_cmp);
	{
		char	  **ids = palloc(sizeof(char *) * Max(nitems, 1));
		ScheduleLock **locks = palloc(sizeof(ScheduleLock *) * Max(nitems, 1));
		int			nids = 0;

		for (int k = 0; k < nitems; k++)
			if (items[k].schedule_id != NULL &&
				(nids == 0 || strcmp(ids[nids - 1], items[k].schedule_id) != 0))
				ids[nids++] = items[k].schedule_id;
		schedule_lock_many(ids, nids, locks);
		for (int k = 0, j = -1; k < nitems; k++)
		{
			if (items[k].schedule_id == NULL)
				continue;
			if (j < 0 || strcmp(ids[j], items[k].schedule_id) != 0)
				j++;
			items[k].sl = locks[j];
		}
	}
	/* in the caller's order within a schedule and without */
	for (int k = 1; k < nitems; k++)
		for (int m = k; m > 0 && item_cmp(&items[m - 1], &items[m]) == 0 &&
			 items[m - 1].index > items[m].index; m--)
		{
			ManyItem	t = items[m];

			items[m] = items[m - 1];
			items[m - 1] = t;
		}

	args.run_ids = run_ids;
	args.outcomes = outcomes;
	args.items = items;
	args.nitems = nitems;
	args.errors = errors;
	edata = sched_try_subxact(many_all, &args);
	if (edata != NULL)
	{
		/* one refused inside: every item again in its own subtransaction */
		FreeErrorData(edata);
		for (int k = 0; k < nitems; k++)
		{
			ManyItem   *it = &items[k];
			OneArgs		one = {&run_ids[it->index], it->sl,
			&outcomes[it->index]};

			CHECK_FOR_INTERRUPTS();
			if (it->sl)
				schedule_lock_reread(it->sl);
			outcomes[it->index].status = NULL;
			errors[it->index] = sched_try_subxact(many_one, &one);
		}
	}
	for (int k = 0; k < nitems; k++)
		if (items[k].sl && (k == 0 || items[k - 1].sl != items[k].sl))
			schedule_lock_free(items[k].sl);

	/*
	 * A run given twice gets, the second time, what a second call of the
	 * one-run function would get: the first one's refusal, or "not
	 * running" with the status the first one left.
	 */
	for (int i = 0; i < n; i++)
	{
		int			first = -1;

		for (int j = 0; j < i && first < 0; j++)
			if (memcmp(&run_ids[j], &run_ids[i], sizeof(pg_uuid_t)) == 0)
				first = j;
		if (first < 0)
			continue;
		outcomes[i].status = NULL;
		if (errors[first] != NULL)
		{
			errors[i] = errors[first];
			continue;
		}
		errors[i] = refusal(&run_ids[i], outcomes[first].status);
	}
}

/* ---- cancel and terminate ---- */

/*
 * The open run of workflow_id gets the request, or is closed.  Its schedule
 * (if any) is locked first; the open run is then read again under that
 * lock, since it may have closed, or (rarely) another run of the id may
 * have opened, meanwhile.  The UPDATE re-checks that the run is still open;
 * if it closed in between, the loop looks again and reports "no open run"
 * the second time round.
 */
void
run_close_workflow(const char *workflow_id, const char *reason,
				   bool terminate, Oid caller)
{
	char	   *locked_schedule = NULL;
	ScheduleLock *sl = NULL;
	char	   *new_status = NULL;
	RunRow		run;

	for (;;)
	{
		pg_uuid_t	run_id;
		char	   *schedule_id;
		char	   *owner;
		char	   *task_queue;

		CHECK_FOR_INTERRUPTS();
		if (!run_store_open_run(workflow_id, &run_id, &schedule_id, &owner,
								&task_queue))
			run_no_open_run(workflow_id, caller);
		run_check_control(workflow_id, caller, owner, task_queue,
						  terminate ? "terminate" : "cancel");

		if (schedule_id != NULL &&
			(locked_schedule == NULL || strcmp(schedule_id, locked_schedule) != 0))
		{
			sl = schedule_lock(schedule_id);
			locked_schedule = schedule_id;
			continue;
		}

		memset(&run, 0, sizeof(run));
		run.run_id = run_id;
		run.workflow_id = pstrdup(workflow_id);
		if (terminate)
		{
			if (run_store_terminate(&run_id, reason))
			{
				new_status = "terminated";
				break;
			}
		}
		else if (run_store_cancel(&run_id, reason, &new_status))
			break;
	}

	/* A cancellation request leaves the run running: nothing closed. */
	if (strcmp(new_status, "running") != 0)
	{
		after_close(&run, sl, new_status, reason, NULL, NULL, false, NULL);
		scheduler_wake_at_commit();
	}
	if (sl != NULL)
		schedule_lock_free(sl);
}

/* ---- timeouts ---- */

/*
 * One run past a deadline: its schedule and then the run are locked
 * without waiting; a locked one is left for the next tick (false).  Past
 * its execution deadline the whole workflow ends: the run closes as
 * timed_out, no retry, no next cron run.  Past its run deadline, the retry
 * policy may give it another try (error type "run_timeout"); otherwise it
 * closes as timed_out and a cron chain goes on.
 */
static bool
time_out_one(const pg_uuid_t *run_id, const char *schedule_id,
			 TimestampTz now)
{
	ScheduleLock *sl = NULL;
	RunRow		run;
	bool		execution;
	char	   *message;
	const char *error_type;

	if (schedule_id != NULL)
	{
		bool		exists;

		sl = schedule_try_lock(schedule_id, &exists);
		if (sl == NULL && exists)
			return false;
	}
	if (!run_store_lock_due(run_id, now, &run))
		return false;

	execution = run.has_execution_deadline && run.execution_deadline <= now;
	if (execution)
	{
		error_type = "execution_timeout";
		message = timeout_message(error_type, run.execution_timeout);
	}
	else
	{
		TimestampTz due;

		error_type = "run_timeout";
		message = timeout_message(error_type, run.run_timeout);
		if (!run.cancel_requested &&
			run_retry_due(run.retry_policy, run.retries, error_type,
						  false, now, run.has_execution_deadline,
						  run.execution_deadline, &due))
		{
			run_store_retry(run_id, due, message, error_type);
			return true;
		}
	}

	run_store_time_out(run_id, message, error_type);
	after_close(&run, sl, "timed_out", message, NULL, NULL, !execution, NULL);
	return true;
}

/*
 * time_out_one() in a subtransaction: a run whose timeout cannot be
 * processed is logged and left for the next tick, and never holds back the
 * lease expiry and promotions of the same call (or the other timeouts).  A
 * query cancel is not swallowed.
 */
typedef struct TimeOutArgs
{
	const pg_uuid_t *run_id;
	const char *schedule_id;
	TimestampTz now;
	bool		acted;
} TimeOutArgs;

static void
time_out_fn(void *arg)
{
	TimeOutArgs *a = (TimeOutArgs *) arg;

	a->acted = time_out_one(a->run_id, a->schedule_id, a->now);
}

static bool
time_out_guarded(const pg_uuid_t *run_id, const char *schedule_id,
				 TimestampTz now)
{
	TimeOutArgs args = {run_id, schedule_id, now, false};
	ErrorData  *edata = sched_try_subxact(time_out_fn, &args);

	if (edata == NULL)
		return args.acted;
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("could not time out run %s: %s",
					run_id_string(run_id), edata->message),
			 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
			 errhint("The scheduler tries again at its next tick.")));
	FreeErrorData(edata);
	return false;
}

int
run_close_expire(TimestampTz now)
{
	pg_uuid_t  *run_ids;
	char	  **schedule_ids;
	int			n;
	int			acted = 0;

	/* first: a running run past its deadline times out, not back to pending */
	n = run_store_timeout_candidates(now, TIMEOUT_BATCH, &run_ids,
									 &schedule_ids);
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (time_out_guarded(&run_ids[i], schedule_ids[i], now))
			acted++;
	}
	acted += run_store_expire_leases(now);
	acted += run_store_promote_scheduled(now);
	return acted;
}
