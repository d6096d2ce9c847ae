/*-------------------------------------------------------------------------
 *
 * schedule_tick.h
 *	  What the scheduler does with schedules (schedule_tick.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHEDULE_TICK_H
#define PG_SCHED_SCHEDULE_TICK_H

#include "datatype/timestamp.h"

#include "schedule_process.h"

/*
 * The scheduler's tick: processes up to max_schedules schedules whose
 * next_due <= now (FOR UPDATE SKIP LOCKED, oldest due first): catch-up,
 * buffer, overlap, starts.  Returns how many it processed; when that equals
 * max_schedules, more may be due (and also after a batch that stopped at
 * its run limit, whose remaining schedules stay due for the next tick).
 * stats (may be NULL) receives what the schedules that were processed
 * without error did.
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

#endif							/* PG_SCHED_SCHEDULE_TICK_H */
