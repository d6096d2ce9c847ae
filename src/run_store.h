/*-------------------------------------------------------------------------
 *
 * run_store.h
 *	  The run store: the only module that writes sched.executions, and the
 *	  lookups of open runs.
 *
 * Every statement on runs lives in run_store.c, one function per
 * transition (the state machine in its banner).  The functions here take
 * no decision of their own: the close path (run_close.h) decides retries,
 * chains and the schedule's reaction; the schedules (schedule_process.h)
 * decide what starts.  Every function connects to SPI itself (nesting is
 * fine) and runs in the caller's transaction.  Lock order everywhere: a
 * schedule's row in sched.schedules first, then rows of sched.executions;
 * the callers take the schedule's lock.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_RUN_STORE_H
#define PG_SCHED_RUN_STORE_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

/* The statuses of an open run, as an SQL list. */
#define RUN_OPEN_STATES			"('scheduled', 'pending', 'running')"

/*
 * An open tracked run (with a schedule_id condition), in the words of the
 * predicate of executions_schedule_open.  closed_at IS NULL is the same as
 * an open status (a CHECK constraint of sched.executions), but it implies
 * no other index's predicate: with "status IN (...)", every partial index
 * on open runs would serve the query too, at the same cost on an empty
 * table's statistics, and the planner could pick one that scans every open
 * run of every schedule.
 */
#define RUN_OPEN_TRACKED		"overlap_tracked AND closed_at IS NULL"

/* What a new run is made of. */
typedef struct RunStart
{
	const char *workflow_id;
	const char *workflow;
	const char *task_queue;
	Jsonb	   *args;			/* NULL means [] */
	Jsonb	   *memo;			/* may be NULL */
	const char *start_kind;		/* "schedule", "trigger", "backfill", "start" */
	const char *schedule_id;	/* NULL for sched.start_workflow */
	TimestampTz nominal_time;	/* schedules only */
	TimestampTz scheduled_at;	/* the actual (jittered) time */
	bool		overlap_tracked;	/* counts as running for overlap */
	Jsonb	   *last_completion_result; /* may be NULL */
	Jsonb	   *last_failure;	/* the previous run's failure, or NULL */
	TimestampTz due_at;			/* claimable from */
	bool		pending;		/* false: status 'scheduled' until due_at */
	/* retries, timeouts and cron chains; all zero/NULL: none */
	Jsonb	   *retry_policy;	/* canonical (schedule_json.c), or NULL */
	int64		run_timeout_us; /* 0: none; run_deadline = due_at + it */
	int64		execution_timeout_us;	/* 0: none */
	TimestampTz execution_deadline; /* 0: now + execution_timeout_us */
	const char *cron_schedule;	/* sched.start_workflow's, or NULL */
	Interval   *start_delay;	/* sched.start_workflow's, or NULL */
	const char *owner;			/* the role that owns the run; NULL: the
								 * schedule's owner (runs of schedules) */
} RunStart;

/*
 * A run's row as the close path needs it, read under the run's lock.  The
 * strings and jsonb live in the caller's memory context.
 */
typedef struct RunRow
{
	pg_uuid_t	run_id;
	char	   *status;
	char	   *workflow_id;
	char	   *workflow;
	char	   *task_queue;
	Jsonb	   *args;
	Jsonb	   *memo;
	char	   *owner;
	char	   *schedule_id;
	bool		has_nominal;
	TimestampTz nominal_time;
	char	   *cron_schedule;
	Jsonb	   *retry_policy;
	int32		retries;
	Interval   *run_timeout;
	Interval   *execution_timeout;
	bool		has_execution_deadline;
	TimestampTz execution_deadline;
	bool		has_run_deadline;
	TimestampTz run_deadline;
	bool		cancel_requested;
	Jsonb	   *last_completion_result;
	Jsonb	   *last_failure;
} RunRow;

/* ---- starts ---- */

/*
 * Inserts a run and, when it is pending, has NOTIFY sched_tasks sent with
 * the task queue as payload (scheduler_notify_at_commit).  Returns false and inserts nothing when the
 * workflow id already has an open run or the schedule's nominal time was
 * already started (the unique indexes of sched.executions).
 */
extern bool run_store_start(const RunStart *rs, pg_uuid_t *run_id);

/*
 * The tick's batch: n pending runs of schedules (due at now, never ahead
 * of written_at), created at written_at (the real time at which they are
 * written, or, when the batch is written ahead of its time, the real time
 * at which the schedules' clock reaches now), in one INSERT.  Every one
 * must start: a refused one fails the statement (unique violation), and
 * the caller redoes its work one start at a time.  Sets *deadlines when a
 * run has a timeout.
 */
extern void run_store_start_batch(const RunStart *runs, int n,
								  TimestampTz now, TimestampTz written_at,
								  bool *deadlines);

/*
 * Many starts of sched.start_workflow (no schedule, no cron_schedule) in
 * one INSERT, in input order: started[i] tells which were inserted, with
 * their run ids; the others (their workflow id has an open run, or came
 * earlier in runs) are left for the caller.
 */
extern void run_store_start_many(const RunStart *runs, int n, bool *started,
								 pg_uuid_t *run_ids);

/*
 * allow_all backfill runs of one schedule's action: n pending, untracked
 * runs (workflow ids, nominal and actual times as arrays of text and
 * timestamptz datums) in one INSERT ... ON CONFLICT DO NOTHING; a workflow
 * id that has an open run is skipped.  Returns how many were inserted.
 */
extern uint64 run_store_start_backfill(const RunStart *proto, Datum *wf,
									   Datum *nominal, Datum *actual, int n);

/* ---- lookups ---- */

/*
 * A run's status, schedule_id, owner and task queue (false: no such run).
 * The strings are palloc'd in the caller's context.
 */
/* One run of run_store_lookup_many(): as run_store_lookup() gives it. */
typedef struct RunLookup
{
	bool		found;
	char	   *status;
	char	   *schedule_id;
	char	   *owner;
	char	   *task_queue;
} RunLookup;

/* run_store_lookup() of n runs in one statement: out[i] is run_ids[i]'s. */
extern void run_store_lookup_many(const pg_uuid_t *run_ids, int n,
								  RunLookup *out);

extern bool run_store_lookup(const pg_uuid_t *run_id, char **status,
							 char **schedule_id, char **owner,
							 char **task_queue);

/*
 * The open run of a workflow id, whoever owns it: its id, schedule, owner
 * and task queue (false if none); any of the outputs may be NULL.
 */
extern bool run_store_open_run(const char *workflow_id, pg_uuid_t *run_id,
							   char **schedule_id, char **owner,
							   char **task_queue);

/* The status and owner of the latest run of an id (NULL: it has none). */
extern char *run_store_latest_status(const char *workflow_id, char **owner);

/*
 * The latest run of an id that caller may read: false if none, else its
 * id (as text) and status.
 */
extern bool run_store_latest_visible(const char *workflow_id, Oid caller,
									 char **run_id, char **status);

/*
 * The number of open overlap-tracked runs of a schedule; "since" is the
 * schedule's created_at, so runs of an earlier schedule under the same id
 * do not count (SCHEDULE_THIS_INCARNATION in schedule_process.h).
 */
extern int	run_store_schedule_open_runs(const char *schedule_id,
										 TimestampTz since);

/* sched.describe_workflow's document (NULL: no run the caller may read). */
extern Datum run_store_describe(const char *workflow_id, Oid caller,
								bool *found);

/*
 * Runs past a deadline, oldest first, at most limit: their ids and
 * schedule ids (palloc'd arrays).  Returns how many.
 */
extern int	run_store_timeout_candidates(TimestampTz now, int limit,
										 pg_uuid_t **run_ids,
										 char ***schedule_ids);

/*
 * The earliest lease expiry, due_at of a scheduled run, or run or execution
 * deadline of an open run after "after" (DT_NOBEGIN: of all); DT_NOEND if
 * none.
 */
extern TimestampTz run_store_next_deadline(TimestampTz after);

/* ---- transitions of one run ---- */

/*
 * Locks a run (FOR NO KEY UPDATE, waiting) and reads it; false if it does
 * not exist.  The caller holds the run's schedule already.
 */
extern bool run_store_lock(const pg_uuid_t *run_id, RunRow *run);

/*
 * Locks a run without waiting, if it is open and past a deadline at now;
 * false otherwise (locked by someone else, closed, or no longer due).
 */
extern bool run_store_lock_due(const pg_uuid_t *run_id, TimestampTz now,
							   RunRow *run);

/*
 * A completion without a separate lock: closes run_id as completed with
 * result if it is running, filling run as run_store_lock() would have read
 * it (under the same lock, which the UPDATE takes) and *close_reason.
 * False: not running or no such run, nothing changed (the caller locks and
 * reads it to say why).
 */
extern bool run_store_complete_running(const pg_uuid_t *run_id, Jsonb *result,
									   RunRow *run, char **close_reason);

/*
 * A worker's report on a locked running run: closes it as status
 * ("completed", "failed", "canceled") with result, error and error_type.
 * Returns the run's close_reason (palloc'd, or NULL).
 */
extern char *run_store_close_running(const pg_uuid_t *run_id,
									 const char *status, Jsonb *result,
									 const char *error,
									 const char *error_type);

/*
 * Closes as completed, in one UPDATE, those of n distinct runs that are
 * running and have no cron chain (their close needs nothing else but the
 * schedule's reaction, which is the caller's: it holds the schedule locks
 * of the runs of schedules); results may be NULL, or hold NULL elements.
 * closed[i] tells which; workflow_ids (may be NULL) gets the workflow id of
 * each closed run.  Returns how many.
 */
extern int	run_store_complete_many(const pg_uuid_t *run_ids, Jsonb **results,
									int n, bool *closed, char **workflow_ids);

/* A retry of a locked open run: scheduled again, due at due. */
extern void run_store_retry(const pg_uuid_t *run_id, TimestampTz due,
							const char *error, const char *error_type);

/* A locked open run closes as timed_out. */
extern void run_store_time_out(const pg_uuid_t *run_id, const char *error,
							   const char *error_type);

/*
 * cancel_workflow on one open run: scheduled and pending runs close as
 * canceled, running ones get the request.  False if the run was no longer
 * open; else *new_status is "canceled" or "running".
 */
extern bool run_store_cancel(const pg_uuid_t *run_id, const char *reason,
							 char **new_status);

/* terminate_workflow on one open run; false if it was no longer open. */
extern bool run_store_terminate(const pg_uuid_t *run_id, const char *reason);

/*
 * cancel_other and terminate_other: every open tracked run of the schedule
 * (of its incarnation since "since") gets a cancellation request (pending
 * and scheduled runs close as canceled at once), or is closed as
 * terminated at once.  Returns how many runs were closed.  These do not
 * react for the schedule: the caller holds it and processes its buffer.
 */
extern int	run_store_cancel_schedule_runs(const char *schedule_id,
										   TimestampTz since,
										   const char *reason);
extern int	run_store_terminate_schedule_runs(const char *schedule_id,
											  TimestampTz since,
											  const char *reason);

/*
 * sched.signal_workflow: appends {signal, payload, at} to the open run's
 * signals; a run waiting for its start delay becomes pending at once.
 * The errors of an id without an open run, or of a caller that may not
 * signal it, are those of cancel_workflow (run_close.h).
 */
extern void run_store_signal(const char *workflow_id, const char *signal,
							 Jsonb *payload, Oid caller);

/*
 * sched.poll: claims up to max_tasks due pending runs of task_queue
 * (every run when all, else the runs caller may access) under a lease,
 * and puts their rows into tupstore, as many columns as desc has (an
 * install script of 0.2.0 declares poll without last_failure).  Returns
 * how many.
 */
extern uint64 run_store_claim(Datum task_queue, Datum worker,
							  bool worker_null, int32 max_tasks,
							  Interval *lease, bool all, Oid caller,
							  Tuplestorestate *tupstore, TupleDesc desc);

/*
 * sched.heartbeat: renews the lease of a running run and records details
 * (NULL keeps them).  False if the run is not running; else
 * *cancel_requested.
 */
extern bool run_store_heartbeat(const pg_uuid_t *run_id, Jsonb *details,
								bool *cancel_requested);

/* ---- the scheduler's maintenance ---- */

/*
 * Lapsed leases go back to pending; due scheduled runs become pending.
 * Pending runs notify.  Each returns the number of runs.
 */
extern int	run_store_expire_leases(TimestampTz now);
extern int	run_store_promote_scheduled(TimestampTz now);
extern int	run_store_purge_closed(TimestampTz closed_before, int limit);

/* NOTIFY sched_tasks for every task queue that has pending runs. */
extern int	run_store_notify_pending_queues(void);

/* ---- the errors of lookups ---- */

/*
 * The error of a report on a run that cannot take it: 42704 if the run
 * does not exist (status NULL), 55000 if it is not running.
 */
extern void run_report_refused(const pg_uuid_t *run_id, const char *status)
			pg_attribute_noreturn();

/*
 * The error of a request for the open run of a workflow id that has none:
 * 42704 if the id has no run the caller may read, else 55000.
 */
extern void run_no_open_run(const char *workflow_id, Oid caller)
			pg_attribute_noreturn();

/*
 * Cancel, terminate and signal need the open run's owner (or sched_admin):
 * a role that may only read the run as a worker of its task queue gets
 * 42501, one that may not read it at all "no open run" among its own runs.
 * "what" is the verb for the message.
 */
extern void run_check_control(const char *workflow_id, Oid caller,
							  const char *owner, const char *task_queue,
							  const char *what);

/* ---- helpers ---- */

/* A run id as text. */
extern char *run_id_string(const pg_uuid_t *run_id);

/* Microseconds as an interval of days and time (no months), and back. */
extern Interval *run_usecs_interval(int64 usecs);
extern int64 run_interval_usecs(const Interval *iv);

/*
 * The SQL executors' side of the store (executor.c).  An executor claims
 * the oldest due pending run of an SQL action of one owner; the claim
 * commits at once, with a lease that does not lapse by time.  Before its
 * close (run_close, in the command's transaction, under the schedule's
 * lock) it re-checks under the run's lock that the run is still this
 * claim (running, same attempt and worker): false, and the caller rolls
 * back.  run_store_release_sql gives back to the queue those of the
 * running SQL runs run_ids (a uuid[], read before live_workers) whose
 * executor is gone (live_workers: a text[] of the live executors' names).
 */
typedef struct RunSqlClaim
{
	pg_uuid_t	run_id;
	int32		attempt;
	char	   *schedule_id;
	char	   *workflow_id;
	Jsonb	   *args;			/* [command, transaction] */
	TimestampTz nominal_time;	/* the trigger time for a trigger */
} RunSqlClaim;

extern bool run_store_claim_sql(const char *owner, const char *worker,
								RunSqlClaim *out);
extern bool run_store_check_sql_claim(const RunSqlClaim *claim,
									  const char *worker,
									  bool *cancel_requested);
extern int	run_store_release_sql(Datum run_ids, Datum live_workers);

#endif							/* PG_SCHED_RUN_STORE_H */
