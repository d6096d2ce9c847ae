/*-------------------------------------------------------------------------
 *
 * scheduler.h
 *	  The background workers: a launcher and one scheduler per database.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHEDULER_H
#define PG_SCHED_SCHEDULER_H

/* GUCs (defined in pg_sched.c) */
extern int	pg_sched_schedule_retention;	/* seconds */
extern int	pg_sched_run_retention; /* seconds */
extern int	pg_sched_debug_clock_offset;	/* seconds, for tests only */

/*
 * Wakes this database's scheduler once the current transaction commits, so
 * it re-reads the earliest due time (a schedule was created, changed or
 * triggered, or a run was added or closed).  Cheap; call it freely.
 */
extern void scheduler_wake_at_commit(void);

#endif							/* PG_SCHED_SCHEDULER_H */
