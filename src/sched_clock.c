/*-------------------------------------------------------------------------
 *
 * sched_clock.c
 *	  The two clocks (sched_clock.h).  Not the transaction's start: a
 *	  scheduler's transaction may last through a prepared fire, and a
 *	  worker's report must be timed when it is made.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "sched_clock.h"
#include "scheduler.h"

TimestampTz
sched_real_now(void)
{
	return GetCurrentTimestamp();
}

TimestampTz
schedule_clock(void)
{
	/* tests make the wall clock jump with pg_sched.debug_clock_offset */
	return sched_real_now() +
		(int64) pg_sched_debug_clock_offset * USECS_PER_SEC;
}
