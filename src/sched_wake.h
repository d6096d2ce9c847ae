/*-------------------------------------------------------------------------
 *
 * sched_wake.h
 *	  What any backend asks of its database's scheduler at commit: a
 *	  wake-up, and the notifications of pending runs (worker_shmem.c
 *	  implements both, with the slot of the database's scheduler).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHED_WAKE_H
#define PG_SCHED_SCHED_WAKE_H

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

#endif							/* PG_SCHED_SCHED_WAKE_H */
