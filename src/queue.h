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
#include "utils/uuid.h"

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
	TimestampTz due_at;			/* claimable from */
	bool		pending;		/* false: status 'scheduled' until due_at */
} RunStart;

/*
 * Inserts a run and, when it is pending, sends NOTIFY sched_tasks with the
 * task queue as payload.  Returns false and inserts nothing when the
 * workflow id already has an open run or the schedule's nominal time was
 * already started (the unique indexes of sched.executions).
 */
extern bool queue_start_run(const RunStart *rs, pg_uuid_t *run_id);

/* The number of open overlap-tracked runs of a schedule. */
extern int	queue_schedule_open_runs(const char *schedule_id);

/*
 * cancel_other and terminate_other: every open tracked run of the schedule
 * gets a cancellation request (pending and scheduled runs close as
 * canceled at once), or is closed as terminated at once.  Returns how many
 * runs were closed by the call.  These do not call schedule_run_closed():
 * the caller holds the schedule and processes its buffer itself.
 */
extern int	queue_cancel_schedule_runs(const char *schedule_id, const char *reason);
extern int	queue_terminate_schedule_runs(const char *schedule_id, const char *reason);

/* Scheduler maintenance; each returns the number of runs affected. */
extern int	queue_expire_leases(TimestampTz now);
extern int	queue_purge_closed(TimestampTz closed_before, int limit);
/* The earliest lease expiry or due_at of a scheduled run; DT_NOEND if none. */
extern TimestampTz queue_next_deadline(void);

#endif							/* PG_SCHED_QUEUE_H */
