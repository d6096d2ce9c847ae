/*-------------------------------------------------------------------------
 *
 * run_close.h
 *	  The one close path of runs: a worker's report, a timeout, a cancel or
 *	  terminate, and what follows every close (the retry decision, the next
 *	  run of a cron chain, the schedule's reaction).
 *
 * Callers: the workers' SQL functions (queue_api.c: complete, fail,
 * canceled and their batched forms), cancel_workflow and
 * terminate_workflow, sched.start_workflow's terminate_existing, the
 * scheduler's timeouts (run_close_expire), and the SQL-actions executor
 * (which runs an action's SQL and reports its outcome here like a worker).
 *
 * Locks: the run's schedule first (once: schedule_lock() reads and decodes
 * its row under that lock, and the reaction uses what was read), then the
 * run.  Errors are ereport(ERROR) in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_RUN_CLOSE_H
#define PG_SCHED_RUN_CLOSE_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

typedef enum RunOutcomeKind
{
	RUN_COMPLETED,				/* running -> completed (result) */
	RUN_FAILED,					/* running -> failed, or scheduled for a
								 * retry (error, error_type, non_retryable) */
	RUN_CANCELED,				/* running -> canceled (result: details) */
	RUN_TERMINATED,				/* any open -> terminated (error: reason) */
	RUN_TIMED_OUT				/* any open -> timed_out, or scheduled for a
								 * retry (error: the message; error_type
								 * NULL: "run_timeout") */
} RunOutcomeKind;

/*
 * What happened to a run, and (filled by run_close) what became of it.
 *
 * caller: the role on whose behalf the report is made; the run must be
 * readable by it (its owner's member, sched_admin, or a worker of its task
 * queue: privileges.h), else it is reported as not existing (42704).
 * InvalidOid: no check (the scheduler, the SQL-actions executor).
 * run_close() must run inside the extension owner's section
 * (priv_enter), as every table access of pg_sched does.
 */
typedef struct RunOutcome
{
	RunOutcomeKind kind;
	Jsonb	   *result;			/* completed: the result; canceled: details;
								 * may be NULL */
	const char *error;			/* failed: the message (not NULL);
								 * terminated: the reason; timed_out: the
								 * message */
	const char *error_type;		/* failed, timed_out; may be NULL */
	bool		non_retryable;	/* failed: no retry whatever the policy */
	Oid			caller;			/* InvalidOid: no privilege check */
	/* out */
	const char *status;			/* the run's status after the call:
								 * "completed", "failed", "canceled",
								 * "terminated", "timed_out", or "scheduled"
								 * when a retry was scheduled */
} RunOutcome;

/*
 * Closes run_id with outcome, in the caller's transaction: locks the run's
 * schedule (if it has one) and then the run, checks that the run may take
 * the outcome, applies the retry policy (failed, timed_out), closes the
 * run, and then the schedule's reaction (last completion result,
 * pause_on_failure, the buffer processed at once) and the next run of a
 * cron chain.
 *
 * Errors (nothing changed): 42704 "run ... does not exist" (or not
 * readable by caller), 55000 "run ... is not running" for a report on a
 * run that is not running (completed, failed, canceled), or "is not open"
 * for terminated and timed_out on a closed run.
 */
extern void run_close(const pg_uuid_t *run_id, RunOutcome *outcome);

/*
 * run_close() for a caller that holds the run's schedule already (sl from
 * schedule_lock(), NULL for a run without a schedule; caller InvalidOid):
 * the same close without the look-up and the second lock of the schedule.
 */
struct ScheduleLock;
extern void run_close_held(const pg_uuid_t *run_id, struct ScheduleLock *sl,
						   RunOutcome *outcome);

/*
 * Many runs at once, as run_close() one by one: each outcome's own errors
 * are caught (a subtransaction per item only when the batch as a whole
 * fails) and returned in errors[i] (NULL: closed); the schedules of the
 * runs are locked once each, in a fixed order, before any run.  Completed
 * runs that need no reaction (no schedule, no cron chain) close in one
 * UPDATE.
 */
extern void run_close_many(const pg_uuid_t *run_ids, RunOutcome *outcomes,
						   int n, ErrorData **errors);

/*
 * cancel_workflow and terminate_workflow on the open run of workflow_id
 * (caller must be allowed to control it: run_store.h's
 * run_check_control).  A cancellation request leaves a running run
 * running.
 */
extern void run_close_workflow(const char *workflow_id, const char *reason,
							   bool terminate, Oid caller);

/*
 * The scheduler's maintenance at a deadline: runs past their run or
 * execution deadline time out (or are retried), then lapsed leases go back
 * to pending and due scheduled runs become pending.  Returns the number of
 * runs affected.
 */
extern int	run_close_expire(TimestampTz now);

#endif							/* PG_SCHED_RUN_CLOSE_H */
