/*-------------------------------------------------------------------------
 *
 * scheduler.h
 *	  What any backend asks of its database's scheduler (a wake-up, the
 *	  notifications of pending runs; worker_shmem.c implements them), and
 *	  the settings of pg_sched (GUCs, defined in pg_sched.c).
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

/* The channel of "a run became pending" (payload: the task queue). */
#define SCHEDULER_NOTIFY_CHANNEL	"sched_tasks"

/*
 * NOTIFY sched_tasks, task_queue for this transaction, sent after its
 * commit by the database's scheduler (worker_shmem.c says why), or at
 * commit when no scheduler runs.  Several of a transaction, and of
 * transactions committing close together, are folded into one per queue.
 */
extern void scheduler_notify_at_commit(const char *task_queue);

#endif							/* PG_SCHED_SCHEDULER_H */
