/*-------------------------------------------------------------------------
 *
 * sched_clock.h
 *	  The two clocks of pg_sched; every part reads time through them.
 *
 * sched_real_now() is the wall clock as the server has it: the queue's
 * deadlines (leases, start delays, retry backoffs, run and execution
 * timeouts) are compared with now() by backends, so they follow it.
 * schedule_clock() is the clock of schedules, which decides what is due,
 * caught up or missed: the same wall clock plus
 * pg_sched.debug_clock_offset (0 but in tests, which make it jump).  The
 * scheduler's ticks and the SQL functions of schedules read it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHED_CLOCK_H
#define PG_SCHED_SCHED_CLOCK_H

#include "datatype/timestamp.h"

extern TimestampTz sched_real_now(void);
extern TimestampTz schedule_clock(void);

#endif							/* PG_SCHED_SCHED_CLOCK_H */
