/*-------------------------------------------------------------------------
 *
 * schedule.h
 *	  Schedules as the queue and the scheduler use them.
 *
 * Every function here connects to SPI itself and runs in the caller's
 * transaction, taking the schedule's row lock (FOR UPDATE) before touching
 * any of its runs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHEDULE_H
#define PG_SCHED_SCHEDULE_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

/*
 * Runs of the schedule as it exists now: a schedule deleted and created
 * again under the same id must not count, cancel or terminate the runs of
 * its earlier incarnation (they live on alone, SEMANTICS.md 5).  A run
 * belongs to the incarnation created at or before it: both created_at
 * columns hold their transaction's start (now()), so the runs a schedule
 * starts in its creating transaction (trigger_immediately) are its own.
 */
#define SCHEDULE_THIS_INCARNATION \
	" AND created_at >= (SELECT s.created_at FROM sched.schedules s" \
	"                    WHERE s.schedule_id = $1)"

/*
 * The clock of schedules, which decides what is due, caught up or missed:
 * the current time (not the transaction's) plus pg_sched.debug_clock_offset
 * (0 but in tests).  The scheduler's ticks and the SQL functions of
 * schedules read it; the queue's times (leases, start delays, timeouts)
 * follow the real clock, as now() does.
 */
extern TimestampTz schedule_clock(void);

/*
 * Locks a schedule's row (SELECT ... FOR UPDATE); false if it does not
 * exist.  queue.c calls it before it locks or updates a run that has a
 * schedule, so the lock order is always schedule, then run.
 */
extern bool schedule_lock(const char *schedule_id);

/*
 * A run started by schedule_id has just closed (queue.c calls this after
 * schedule_lock() and after updating the run's row, in the same
 * transaction).  Applies pause_on_failure, records the last completion
 * result, and processes the schedule's buffer at once (SEMANTICS.md 3.1).
 * status is the closing status; message the error or reason; result the
 * completion result (completed runs only).  A schedule that no longer
 * exists is ignored.
 */
extern void schedule_run_closed(const char *schedule_id,
								const char *workflow_id,
								const char *status, const char *message,
								Jsonb *result);

/*
 * What a tick did, for sched.scheduler_status(): the growth of the
 * schedules' own counters, and a call of on_start (if set) with the actual
 * time of every scheduled action started, as it starts.
 */
typedef struct ScheduleTickStats
{
	int64		started;
	int64		skipped;		/* by the overlap policy */
	int64		missed;			/* beyond the catch-up window */
	int64		failed;			/* schedules that failed to process */
	int64		prepare_us;		/* reading and deciding the batch took */
	void		(*on_start) (TimestampTz actual, void *arg);
	void	   *arg;
} ScheduleTickStats;

/*
 * The scheduler's tick: processes up to max_schedules schedules whose
 * next_due <= now (FOR UPDATE SKIP LOCKED, oldest due first): catch-up,
 * buffer, overlap, starts.  Returns how many it processed; when that equals
 * max_schedules, more may be due.  stats (may be NULL) receives what the
 * schedules that were processed without error did.
 *
 * now may be ahead of schedule_clock() by a few milliseconds: the batch is
 * then locked, read and decided at once, and written when the clock reaches
 * now, so that its runs commit right at their time (the scheduler prepares
 * a fire ahead by what the last one took to prepare, stats->prepare_us).
 */
extern int	schedule_tick(TimestampTz now, int max_schedules,
						  ScheduleTickStats *stats);

/*
 * The earliest next_due of any schedule after "after" (DT_NOBEGIN: of
 * all, a past one included); DT_NOEND if none.
 */
extern TimestampTz schedule_next_due(TimestampTz after);

/*
 * Deletes schedules with nothing left to do whose last event is older than
 * now - pg_sched.schedule_retention (SEMANTICS.md 4).  Returns how many.
 */
extern int	schedule_purge_exhausted(TimestampTz now);

#endif							/* PG_SCHED_SCHEDULE_H */
