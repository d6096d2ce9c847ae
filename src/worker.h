/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The background workers' internal interface: their shared memory
 *	  (worker_shmem.c: one slot per scheduler process, the launcher's latch,
 *	  holds on databases), the launcher (launcher.c) and the scheduler's
 *	  entry point (scheduler.c).
 *
 * Shared memory only exists when the library is in
 * shared_preload_libraries; without it every worker_ function is a no-op
 * or reports "nothing".  The design is described in the banners of
 * launcher.c and scheduler.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_WORKER_H
#define PG_SCHED_WORKER_H

#include "datatype/timestamp.h"
#include "fmgr.h"

/*
 * A slot's life; every transition happens under the spinlock.
 *
 *	 FREE -> STARTING		the launcher claims it and registers the worker
 *	 STARTING -> RUNNING	the worker attaches (pid and latch become valid)
 *	 STARTING -> EXITED		the worker found its database held, and left
 *	 RUNNING -> EXITED		the worker leaves (exit_reason says why)
 *	 STARTING, EXITED -> FREE	the launcher reaps it
 */
typedef enum SchedulerSlotState
{
	SLOT_FREE = 0,
	SLOT_STARTING,
	SLOT_RUNNING,
	SLOT_EXITED
} SchedulerSlotState;

/* Why a scheduler left; the launcher decides from it when to start again. */
typedef enum SchedulerExitReason
{
	EXIT_ERROR = 0,				/* an error or any other unplanned exit */
	EXIT_NO_EXTENSION,			/* pg_sched is not installed there */
	EXIT_STOPPED,				/* asked to stop: database held or gone */
	EXIT_SHUTDOWN				/* SIGTERM */
} SchedulerExitReason;

/*
 * Lateness of fired actions, in a fixed histogram kept in the slot: bucket
 * i counts actions at most worker_lateness_bounds_ms[i] late, the last one
 * the rest.  Percentiles are read as the upper bound of their bucket.
 */
#define SCHED_LATENESS_BUCKETS	16

/* A copy of one slot in use. */
typedef struct SchedulerSlotInfo
{
	int			slotno;
	uint32		generation;
	Oid			dboid;
	SchedulerSlotState state;
	int			pid;
	TimestampTz started_at;
	TimestampTz last_tick_at;
	TimestampTz next_wake_at;
	int64		ticks;
	int64		schedules_processed;
	int64		errors;
	int64		actions;		/* actions taken at ticks */
	int64		skipped;		/* skipped by the overlap policy at ticks */
	int64		missed;			/* missed the catch-up window at ticks */
	int64		lateness[SCHED_LATENESS_BUCKETS];
} SchedulerSlotInfo;

/* Set-up, from _PG_init when preloaded */
extern void worker_shmem_init(void);
extern void launcher_init(void);

/* Entry points of the two kinds of process */
extern PGDLLEXPORT void pg_sched_launcher_main(Datum main_arg);
extern PGDLLEXPORT void pg_sched_scheduler_main(Datum main_arg);

/* The launcher's side */
extern void worker_launcher_attach(void);
extern bool worker_take_rescan_request(void);
extern int	worker_slot_claim(Oid dboid, uint32 *generation);
extern void worker_slot_free(int slotno, uint32 generation);
extern bool worker_slot_poll(int slotno, uint32 generation,
							 SchedulerSlotState *state,
							 SchedulerExitReason *reason, bool *serving);
extern void worker_slot_request_stop(int slotno, uint32 generation);
extern bool worker_database_held(Oid dboid);

/* A scheduler's side */
extern bool worker_slot_attach(int slotno, uint32 generation, Oid *dboid);
extern void worker_slot_set_exit_reason(SchedulerExitReason reason);
extern bool worker_slot_stop_requested(void);
extern void worker_slot_report(TimestampTz last_tick_at,
							   TimestampTz next_wake_at,
							   int schedules_processed, bool error);
extern void worker_slot_report_actions(int64 actions, int64 skipped,
									   int64 missed, int64 failed,
									   const int64 *lateness);
extern int	worker_lateness_bucket(double ms);

/*
 * Reads and clears the slot's wake request (a tick wanted: a backend's
 * scheduler_wake_at_commit(), or a stop request); *relay: task queues wait
 * to be notified.
 */
extern bool worker_slot_take_wake(bool *relay);

/*
 * Takes the task queues to notify (NUL-separated names into buf, which
 * has WORKER_RELAY_BYTES) and whether some did not fit (then every queue
 * with pending runs is to be notified).  Returns the bytes used.
 */
#define WORKER_RELAY_BYTES		8192
extern int	worker_slot_take_relay(char *buf, bool *overflow);

/* Both kinds of process, between sleeps */
extern void worker_process_interrupts(void);

/* Any backend */
extern void worker_wake_launcher_at_commit(void);
extern void worker_hold_database(Oid dboid);
extern int	worker_slots_snapshot(SchedulerSlotInfo **infos);

#endif							/* PG_SCHED_WORKER_H */
