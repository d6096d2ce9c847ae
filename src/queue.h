/*-------------------------------------------------------------------------
 *
 * queue.h
 *	  The run queue (sched.executions) as the rest of pg_sched uses it.
 *
 * The SQL functions of workers (poll, heartbeat, complete, ...) live in
 * queue.c too; this header is what schedules and the scheduler call.
 * Every function here connects to SPI itself (nesting is fine) and runs in
 * the caller's transaction.  Lock order everywhere: a schedule's row in
 * sched.schedules first, then rows of sched.executions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_QUEUE_H
#define PG_SCHED_QUEUE_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* What a new run is made of. */
/* The channel of NOTIFY sched_tasks (payload: the task queue). */
#define QUEUE_NOTIFY_CHANNEL	"sched_tasks"
/* The statuses of an open run, as an SQL list. */
#define QUEUE_OPEN_STATES		"('scheduled', 'pending', 'running')"

/*
 * An open tracked run (with a schedule_id condition), in the words of the
 * predicate of executions_schedule_open.  closed_at IS NULL is the same as
 * an open status (a CHECK constraint of sched.executions), but it implies
 * no other index's predicate: with "status IN (...)", every partial index
 * on open runs would serve the query too, at the same cost on an empty
 * table's statistics, and the planner could pick one that scans every open
 * run of every schedule.
 */
#define QUEUE_OPEN_TRACKED		"overlap_tracked AND closed_at IS NULL"

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
 * Inserts a run and, when it is pending, sends NOTIFY sched_tasks with the
 * task queue as payload.  Returns false and inserts nothing when the
 * workflow id already has an open run or the schedule's nominal time was
 * already started (the unique indexes of sched.executions).
 */
extern bool queue_start_run(const RunStart *rs, pg_uuid_t *run_id);

/*
 * sched.start_workflow's view of a workflow id, whoever owns its runs: its
 * open run and that run's owner (false if none), and the status of its
 * latest run (NULL if the id has none).
 */
extern bool queue_open_run(const char *workflow_id, pg_uuid_t *run_id,
						   char **owner);
extern char *queue_latest_status(const char *workflow_id, char **owner);

/*
 * terminate_workflow (id_conflict_policy terminate_existing): closes the
 * open run of workflow_id as terminated, locking its schedule first; an
 * error if it has none, or if caller may not terminate it (privileges.h).
 * Called inside the owner's section.
 */
extern void queue_terminate_workflow(const char *workflow_id,
									 const char *reason, Oid caller);

/*
 * sched.signal_workflow: appends {signal, payload, at} to the open run's
 * signals; a run waiting for its start delay becomes pending at once.
 */
extern void queue_signal_workflow(const char *workflow_id, const char *signal,
								  Jsonb *payload, Oid caller);

/*
 * The number of open overlap-tracked runs of a schedule; "since" is the
 * schedule's created_at, so runs of an earlier schedule under the same id
 * do not count (SCHEDULE_THIS_INCARNATION in schedule.h).
 */
extern int	queue_schedule_open_runs(const char *schedule_id, TimestampTz since);

/*
 * cancel_other and terminate_other: every open tracked run of the schedule
 * gets a cancellation request (pending and scheduled runs close as
 * canceled at once), or is closed as terminated at once.  Returns how many
 * runs were closed by the call.  These do not call schedule_run_closed():
 * the caller holds the schedule and processes its buffer itself.
 */
extern int	queue_cancel_schedule_runs(const char *schedule_id, TimestampTz since,
									   const char *reason);
extern int	queue_terminate_schedule_runs(const char *schedule_id,
										  TimestampTz since,
										  const char *reason);

/*
 * Scheduler maintenance; each returns the number of runs affected.
 * queue_expire_leases also enforces run and execution timeouts (first),
 * then expires leases and makes due scheduled runs pending.
 */
extern int	queue_expire_leases(TimestampTz now);
extern int	queue_purge_closed(TimestampTz closed_before, int limit);
/*
 * The earliest lease expiry, due_at of a scheduled run, or run or execution
 * deadline of an open run after "after" (DT_NOBEGIN: of all); DT_NOEND if
 * none.
 */
extern TimestampTz queue_next_deadline(TimestampTz after);

#endif							/* PG_SCHED_QUEUE_H */
