/*-------------------------------------------------------------------------
 *
 * sched_guc.h
 *	  The settings of pg_sched (GUCs, defined and registered in pg_sched.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHED_GUC_H
#define PG_SCHED_SCHED_GUC_H

extern int	pg_sched_schedule_retention;	/* seconds */
extern int	pg_sched_run_retention; /* seconds */
extern int	pg_sched_audit_retention;	/* seconds */
extern int	pg_sched_debug_clock_offset;	/* seconds, for tests only */

#endif							/* PG_SCHED_SCHED_GUC_H */
