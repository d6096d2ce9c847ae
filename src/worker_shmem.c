/*-------------------------------------------------------------------------
 *
 * worker_shmem.c
 *	  Shared memory of pg_sched's background workers, the wake-up protocol,
 *	  holds on databases, and the SQL functions sched.wake_scheduler() and
 *	  sched.scheduler_status().
 *
 * One struct, WorkerShared, protected by one spinlock (every critical
 * section is a few loads and stores: no call that can fail or sleep, and
 * latches are set only after the lock is released):
 *
 * - slots: one per scheduler process, at most max_worker_processes of them
 *	 since no more could run.  A slot carries the database, the process's
 *	 pid and latch (valid while RUNNING), a stop request, why it exited, and
 *	 counters for sched.scheduler_status().  The launcher claims a slot
 *	 before it registers the worker and frees it once it has read the exit
 *	 reason; a generation number, bumped at every claim, keeps a worker that
 *	 starts late from attaching to a slot that was reused meanwhile.  The
 *	 state machine is in worker.h.
 * - the launcher's pid and latch, and a "rescan" flag asking it to re-read
 *	 pg_database and re-check the databases that had no extension.
 * - holds: "do not run a scheduler in database D" while a backend runs
 *	 DROP DATABASE (or another command that needs the database idle).  A
 *	 hold belongs to the backend that set it and ends with its transaction.
 *
 * Wake-up protocol: a backend that changed something the scheduler must
 * see calls scheduler_wake_at_commit(); a transaction callback, registered
 * once per backend, sets the latch of its database's scheduler at commit
 * (after the commit is visible to new snapshots), never before, so the
 * scheduler cannot read the state before the change.  A scheduler resets
 * its latch before it reads anything, so a wake-up that arrives during a
 * tick makes the next sleep return at once: none is lost.  (A prepared
 * transaction's wake-up is dropped at PREPARE; its changes are seen at the
 * next tick, within a second, like any change made without one.)  Waking the
 * launcher works the same way (CREATE EXTENSION calls
 * sched.wake_scheduler(), CREATE DATABASE goes through launcher.c's hook).
 *
 * A latch pointer always points into the PGPROC array, which lives as long
 * as shared memory: setting the latch of a process that exited meanwhile
 * wakes at worst whichever process reuses that PGPROC, spuriously, which
 * every latch user tolerates.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <signal.h>

#include "access/xact.h"
#include "commands/async.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "sched_wake.h"
#include "sched_clock.h"
#include "worker.h"

/* Concurrent holds (one per DROP DATABASE etc. in progress) */
#define MAX_HOLDS				16
/* A hold ends with its transaction; this only bounds a forgotten one. */
#define HOLD_MAX_SECS			3600
/* How long a command waits for the database's scheduler to leave */
#define HOLD_WAIT_MS			5000
/* ... and after how long it also cancels the scheduler's statement */
#define HOLD_CANCEL_AFTER_MS	100
/* Poll period of that wait */
#define HOLD_POLL_MS			10
/* Bytes of task queue names a slot keeps for the scheduler to notify */
#define RELAY_BYTES				WORKER_RELAY_BYTES

typedef struct SchedulerSlot
{
	SchedulerSlotState state;
	SchedulerExitReason exit_reason;
	Oid			dboid;
	uint32		generation;
	bool		stop_requested;
	pid_t		pid;
	Latch	   *latch;
	TimestampTz started_at;
	TimestampTz last_tick_at;
	TimestampTz next_wake_at;
	int64		ticks;
	int64		schedules_processed;
	int64		errors;
	/* fed by worker_slot_report_actions(), under the mutex */
	int64		actions;
	int64		skipped;
	int64		missed;
	int64		lateness[SCHED_LATENESS_BUCKETS];
	/* wake-ups (under the mutex) */
	bool		wake_requested; /* a tick asked for (wake_scheduler) */
	bool		relay_overflow; /* a name did not fit: notify all queues */
	int			relay_len;		/* bytes used in relay */
	char		relay[RELAY_BYTES]; /* task queues to NOTIFY, NUL-separated */
} SchedulerSlot;

/*
 * Upper bounds of the lateness buckets, in milliseconds (the last bucket
 * has none): fine where a healthy scheduler is (a few ms), coarse beyond.
 */
static const double lateness_bounds_ms[SCHED_LATENESS_BUCKETS - 1] = {
	1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000
};

typedef struct DatabaseHold
{
	Oid			dboid;			/* InvalidOid: entry unused */
	pid_t		holder;
	TimestampTz until;
} DatabaseHold;

typedef struct WorkerShared
{
	slock_t		mutex;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	bool		rescan_requested;
	DatabaseHold holds[MAX_HOLDS];
	int			nslots;
	SchedulerSlot slots[FLEXIBLE_ARRAY_MEMBER];
} WorkerShared;

static WorkerShared *worker_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* In a scheduler: its slot, and why it will exit */
static int	my_slotno = -1;
static uint32 my_generation = 0;
static SchedulerExitReason my_exit_reason = EXIT_ERROR;

/* In any backend: what the transaction callback does at the end */
static bool xact_callback_registered = false;
static bool wake_scheduler_pending = false;
static bool wake_launcher_pending = false;
static bool holding = false;

/* The task queues this transaction made runs pending in (relay_add) */
static char *relay_local = NULL;
static int	relay_local_len = 0;
static bool relay_local_overflow = false;

PG_FUNCTION_INFO_V1(sched_wake_scheduler);
PG_FUNCTION_INFO_V1(sched_scheduler_status);

static Size
worker_shmem_size(void)
{
	return add_size(offsetof(WorkerShared, slots),
					mul_size(sizeof(SchedulerSlot), max_worker_processes));
}

static void
worker_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(worker_shmem_size());
}

/* Also runs after a crash restart, which starts from a fresh segment. */
static void
worker_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	worker_shared = ShmemInitStruct("pg_sched workers", worker_shmem_size(),
									&found);
	if (!found)
	{
		memset(worker_shared, 0, worker_shmem_size());
		SpinLockInit(&worker_shared->mutex);
		worker_shared->nslots = max_worker_processes;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
worker_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = worker_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = worker_shmem_startup;
}

/* ---- The transaction callback: wake-ups at commit, holds end ---- */

static void
release_holds(void)
{
	int			i;

	SpinLockAcquire(&worker_shared->mutex);
	for (i = 0; i < MAX_HOLDS; i++)
	{
		if (worker_shared->holds[i].holder == MyProcPid)
		{
			worker_shared->holds[i].dboid = InvalidOid;
			worker_shared->holds[i].holder = 0;
		}
	}
	SpinLockRelease(&worker_shared->mutex);
}

static void
wake_launcher(void)
{
	Latch	   *latch;

	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->rescan_requested = true;
	latch = worker_shared->launcher_latch;
	SpinLockRelease(&worker_shared->mutex);
	if (latch)
		SetLatch(latch);
}

static void
wake_scheduler(Oid dboid)
{
	Latch	   *latch = NULL;
	int			i;

	SpinLockAcquire(&worker_shared->mutex);
	for (i = 0; i < worker_shared->nslots; i++)
	{
		SchedulerSlot *slot = &worker_shared->slots[i];

		if (slot->state == SLOT_RUNNING && slot->dboid == dboid)
		{
			slot->wake_requested = true;
			latch = slot->latch;
			break;
		}
	}
	SpinLockRelease(&worker_shared->mutex);
	if (latch)
		SetLatch(latch);
}

/* name is in the NUL-separated list buf of len bytes */
static bool
relay_contains(const char *buf, int len, const char *name)
{
	for (int off = 0; off < len; off += strlen(buf + off) + 1)
		if (strcmp(buf + off, name) == 0)
			return true;
	return false;
}

/*
 * At commit: hands this transaction's task queues to its database's
 * scheduler, which sends the notifications.  The copy is a few hundred
 * bytes at most under the spinlock; a full buffer only sets a flag.
 */
static void
relay_to_scheduler(Oid dboid)
{
	Latch	   *latch = NULL;

	SpinLockAcquire(&worker_shared->mutex);
	for (int i = 0; i < worker_shared->nslots; i++)
	{
		SchedulerSlot *slot = &worker_shared->slots[i];

		if (slot->state != SLOT_RUNNING || slot->dboid != dboid)
			continue;
		if (relay_local_overflow)
			slot->relay_overflow = true;
		for (int off = 0; off < relay_local_len;
			 off += strlen(relay_local + off) + 1)
		{
			const char *name = relay_local + off;
			int			len = strlen(name) + 1;

			if (relay_contains(slot->relay, slot->relay_len, name))
				continue;
			if (slot->relay_len + len > RELAY_BYTES)
			{
				slot->relay_overflow = true;
				break;
			}
			memcpy(slot->relay + slot->relay_len, name, len);
			slot->relay_len += len;
		}
		latch = slot->latch;
		break;
	}
	SpinLockRelease(&worker_shared->mutex);
	if (latch)
		SetLatch(latch);
}

/*
 * Runs after the commit is visible (CommitTransaction calls the callbacks
 * after ProcArrayEndTransaction), and must not fail: it only takes the
 * spinlock and sets latches.
 */
static void
worker_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (relay_local_len > 0 || relay_local_overflow)
				relay_to_scheduler(MyDatabaseId);
			if (wake_scheduler_pending)
				wake_scheduler(MyDatabaseId);
			/* fall through */
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			if (holding)
			{
				release_holds();
				/* the database may be gone, or may want its scheduler back */
				wake_launcher_pending = true;
			}
			if (wake_launcher_pending)
				wake_launcher();
			wake_scheduler_pending = false;
			wake_launcher_pending = false;
			holding = false;
			relay_local_len = 0;
			relay_local_overflow = false;
			break;
		default:
			break;
	}
}

static void
ensure_xact_callback(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(worker_xact_callback, NULL);
		xact_callback_registered = true;
	}
}

/*
 * sched_wake.h: wake this database's scheduler at commit.  A no-op in the
 * scheduler itself, which re-reads the earliest due time after every tick
 * anyway (waking itself would only cost one more loop).
 */
void
scheduler_wake_at_commit(void)
{
	if (worker_shared == NULL || my_slotno >= 0)
		return;
	ensure_xact_callback();
	wake_scheduler_pending = true;
}

/*
 * sched_wake.h: NOTIFY sched_tasks, task_queue once this transaction
 * commits.  PostgreSQL serializes the commits of all transactions that
 * NOTIFY (PreCommit_Notify holds a database-wide lock from before the
 * commit record until after it), so producers that notify lose group
 * commit; the names are handed to the database's scheduler at commit
 * instead, which sends them, folded, in a transaction of its own.  Without
 * a running scheduler (not preloaded, or none for this database yet), and
 * in the scheduler itself, it is a plain NOTIFY.
 */
void
scheduler_notify_at_commit(const char *task_queue)
{
	bool		relay = false;
	int			len = strlen(task_queue) + 1;

	if (worker_shared != NULL && my_slotno < 0)
	{
		SpinLockAcquire(&worker_shared->mutex);
		for (int i = 0; i < worker_shared->nslots; i++)
			if (worker_shared->slots[i].state == SLOT_RUNNING &&
				worker_shared->slots[i].dboid == MyDatabaseId)
			{
				relay = true;
				break;
			}
		SpinLockRelease(&worker_shared->mutex);
	}
	if (!relay)
	{
		Async_Notify(SCHEDULER_NOTIFY_CHANNEL, task_queue);
		return;
	}
	ensure_xact_callback();
	if (relay_local == NULL)
		relay_local = MemoryContextAlloc(TopMemoryContext, RELAY_BYTES);
	if (relay_contains(relay_local, relay_local_len, task_queue))
		return;
	if (relay_local_len + len > RELAY_BYTES)
	{
		relay_local_overflow = true;
		return;
	}
	memcpy(relay_local + relay_local_len, task_queue, len);
	relay_local_len += len;
}

/* The launcher re-reads pg_database and re-checks databases at commit. */
void
worker_wake_launcher_at_commit(void)
{
	if (worker_shared == NULL)
		return;
	ensure_xact_callback();
	wake_launcher_pending = true;
}

/* ---- The launcher's side ---- */

static void
launcher_detach(int code, Datum arg)
{
	SpinLockAcquire(&worker_shared->mutex);
	if (worker_shared->launcher_pid == MyProcPid)
	{
		worker_shared->launcher_pid = 0;
		worker_shared->launcher_latch = NULL;
	}
	SpinLockRelease(&worker_shared->mutex);
}

void
worker_launcher_attach(void)
{
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->launcher_pid = MyProcPid;
	worker_shared->launcher_latch = MyLatch;
	worker_shared->rescan_requested = true;
	SpinLockRelease(&worker_shared->mutex);
	before_shmem_exit(launcher_detach, (Datum) 0);
}

/* Reads and clears the rescan flag. */
bool
worker_take_rescan_request(void)
{
	bool		requested;

	SpinLockAcquire(&worker_shared->mutex);
	requested = worker_shared->rescan_requested;
	worker_shared->rescan_requested = false;
	SpinLockRelease(&worker_shared->mutex);
	return requested;
}

/* A free slot for a scheduler of dboid, now STARTING; -1 if none. */
int
worker_slot_claim(Oid dboid, uint32 *generation)
{
	TimestampTz now = sched_real_now();
	int			slotno = -1;
	int			i;

	SpinLockAcquire(&worker_shared->mutex);
	for (i = 0; i < worker_shared->nslots; i++)
	{
		SchedulerSlot *slot = &worker_shared->slots[i];
		uint32		gen;

		if (slot->state != SLOT_FREE)
			continue;
		gen = slot->generation + 1;
		memset(slot, 0, sizeof(SchedulerSlot));
		slot->state = SLOT_STARTING;
		slot->exit_reason = EXIT_ERROR;
		slot->dboid = dboid;
		slot->generation = gen;
		slot->started_at = now;
		*generation = gen;
		slotno = i;
		break;
	}
	SpinLockRelease(&worker_shared->mutex);
	return slotno;
}

void
worker_slot_free(int slotno, uint32 generation)
{
	SchedulerSlot *slot = &worker_shared->slots[slotno];

	SpinLockAcquire(&worker_shared->mutex);
	if (slot->generation == generation && slot->state != SLOT_RUNNING)
	{
		slot->state = SLOT_FREE;
		slot->pid = 0;
		slot->latch = NULL;
	}
	SpinLockRelease(&worker_shared->mutex);
}

/*
 * The state of a slot; false if it was reused (generation differs).
 * *serving: the scheduler has completed a tick, so its database has the
 * extension.
 */
bool
worker_slot_poll(int slotno, uint32 generation, SchedulerSlotState *state,
				 SchedulerExitReason *reason, bool *serving)
{
	SchedulerSlot *slot = &worker_shared->slots[slotno];
	bool		same;

	SpinLockAcquire(&worker_shared->mutex);
	same = (slot->generation == generation && slot->state != SLOT_FREE);
	*state = slot->state;
	*reason = slot->exit_reason;
	*serving = slot->ticks > 0;
	SpinLockRelease(&worker_shared->mutex);
	return same;
}

void
worker_slot_request_stop(int slotno, uint32 generation)
{
	SchedulerSlot *slot = &worker_shared->slots[slotno];
	Latch	   *latch = NULL;

	SpinLockAcquire(&worker_shared->mutex);
	if (slot->generation == generation)
	{
		slot->stop_requested = true;
		if (slot->state == SLOT_RUNNING)
			latch = slot->latch;
	}
	SpinLockRelease(&worker_shared->mutex);
	if (latch)
		SetLatch(latch);
}

/* Caller holds the spinlock. */
static bool
database_held_locked(Oid dboid, TimestampTz now)
{
	int			i;

	for (i = 0; i < MAX_HOLDS; i++)
	{
		DatabaseHold *hold = &worker_shared->holds[i];

		if (hold->dboid == dboid && hold->until > now)
			return true;
	}
	return false;
}

bool
worker_database_held(Oid dboid)
{
	TimestampTz now = sched_real_now();
	bool		held;

	SpinLockAcquire(&worker_shared->mutex);
	held = database_held_locked(dboid, now);
	SpinLockRelease(&worker_shared->mutex);
	return held;
}

/* ---- A scheduler's side ---- */

/*
 * Runs when the scheduler exits, for whatever reason.  before_shmem_exit
 * callbacks run in reverse order of registration; this one is registered
 * before the database connection, so it runs after ShutdownPostgres has
 * aborted the transaction and released every lock, and before ProcKill
 * takes the process out of the proc array.  A DROP DATABASE waiting on
 * this slot thus sees EXITED only once the scheduler holds no lock, and
 * CountOtherDBBackends() covers the short rest of the exit.
 */
static void
scheduler_detach(int code, Datum arg)
{
	SchedulerSlot *slot = &worker_shared->slots[my_slotno];
	Latch	   *launcher_latch;

	SpinLockAcquire(&worker_shared->mutex);
	if (slot->generation == my_generation && slot->state == SLOT_RUNNING)
	{
		slot->state = SLOT_EXITED;
		slot->exit_reason = my_exit_reason;
		slot->pid = 0;
		slot->latch = NULL;
	}
	launcher_latch = worker_shared->launcher_latch;
	SpinLockRelease(&worker_shared->mutex);
	if (launcher_latch)
		SetLatch(launcher_latch);
}

/* The histogram bucket of a lateness in milliseconds. */
int
worker_lateness_bucket(double ms)
{
	int			i;

	for (i = 0; i < SCHED_LATENESS_BUCKETS - 1; i++)
		if (ms <= lateness_bounds_ms[i])
			return i;
	return SCHED_LATENESS_BUCKETS - 1;
}

/*
 * After a batch of schedules fired: the counts of what it did, and the
 * lateness of the runs it wrote, already bucketed by the caller so that
 * the mutex is held for a few additions only.
 */
void
worker_slot_report_actions(int64 actions, int64 skipped, int64 missed,
						   int64 failed, const int64 *lateness)
{
	SchedulerSlot *slot = &worker_shared->slots[my_slotno];
	int			i;

	SpinLockAcquire(&worker_shared->mutex);
	slot->actions += actions;
	slot->skipped += skipped;
	slot->missed += missed;
	/* a schedule that failed to process is an error, as a failed step is */
	slot->errors += failed;
	for (i = 0; i < SCHED_LATENESS_BUCKETS; i++)
		slot->lateness[i] += lateness[i];
	SpinLockRelease(&worker_shared->mutex);
}

/*
 * The upper bound of the bucket holding the fraction q of the lateness
 * histogram, in milliseconds; -1 when it is empty; for the last bucket,
 * which has no bound, the last bound (a floor: "at least").
 */
static double
lateness_percentile(const int64 *lateness, double q)
{
	int64		total = 0;
	int64		rank;
	int64		seen = 0;
	int			i;

	for (i = 0; i < SCHED_LATENESS_BUCKETS; i++)
		total += lateness[i];
	if (total == 0)
		return -1;
	rank = (int64) ceil(q * (double) total);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < SCHED_LATENESS_BUCKETS - 1; i++)
	{
		seen += lateness[i];
		if (seen >= rank)
			return lateness_bounds_ms[i];
	}
	return lateness_bounds_ms[SCHED_LATENESS_BUCKETS - 2];
}

/*
 * Takes the slot the launcher prepared (STARTING, same generation); false
 * if it is not ours any more, or its database is held or must stop, in
 * which case the process must leave without connecting.
 */
bool
worker_slot_attach(int slotno, uint32 generation, Oid *dboid)
{
	TimestampTz now = sched_real_now();
	SchedulerSlot *slot;
	bool		attached = false;
	Latch	   *launcher_latch;

	if (worker_shared == NULL || slotno < 0 || slotno >= worker_shared->nslots)
		return false;
	slot = &worker_shared->slots[slotno];

	SpinLockAcquire(&worker_shared->mutex);
	if (slot->state == SLOT_STARTING && slot->generation == generation)
	{
		if (slot->stop_requested || database_held_locked(slot->dboid, now))
		{
			slot->state = SLOT_EXITED;
			slot->exit_reason = EXIT_STOPPED;
		}
		else
		{
			slot->state = SLOT_RUNNING;
			slot->pid = MyProcPid;
			slot->latch = MyLatch;
			*dboid = slot->dboid;
			attached = true;
		}
	}
	launcher_latch = worker_shared->launcher_latch;
	SpinLockRelease(&worker_shared->mutex);

	if (attached)
	{
		my_slotno = slotno;
		my_generation = generation;
		before_shmem_exit(scheduler_detach, (Datum) 0);
	}
	else if (launcher_latch)
		SetLatch(launcher_latch);
	return attached;
}

void
worker_slot_set_exit_reason(SchedulerExitReason reason)
{
	my_exit_reason = reason;
}

bool
worker_slot_stop_requested(void)
{
	bool		stop;

	SpinLockAcquire(&worker_shared->mutex);
	stop = worker_shared->slots[my_slotno].stop_requested;
	SpinLockRelease(&worker_shared->mutex);
	return stop;
}

bool
worker_slot_take_wake(bool *relay)
{
	SchedulerSlot *slot = &worker_shared->slots[my_slotno];
	bool		wake;

	SpinLockAcquire(&worker_shared->mutex);
	wake = slot->wake_requested || slot->stop_requested;
	slot->wake_requested = false;
	*relay = slot->relay_len > 0 || slot->relay_overflow;
	SpinLockRelease(&worker_shared->mutex);
	return wake;
}

int
worker_slot_take_relay(char *buf, bool *overflow)
{
	SchedulerSlot *slot = &worker_shared->slots[my_slotno];
	int			len;

	SpinLockAcquire(&worker_shared->mutex);
	len = slot->relay_len;
	memcpy(buf, slot->relay, len);
	*overflow = slot->relay_overflow;
	slot->relay_len = 0;
	slot->relay_overflow = false;
	SpinLockRelease(&worker_shared->mutex);
	return len;
}

/*
 * After every tick.  The first one tells the launcher that this database
 * has the extension (it starts few schedulers at a time in databases it
 * does not know about yet).
 */
void
worker_slot_report(TimestampTz last_tick_at, TimestampTz next_wake_at,
				   int schedules_processed, bool error)
{
	SchedulerSlot *slot = &worker_shared->slots[my_slotno];
	Latch	   *launcher_latch = NULL;

	SpinLockAcquire(&worker_shared->mutex);
	slot->last_tick_at = last_tick_at;
	slot->next_wake_at = next_wake_at;
	if (slot->ticks++ == 0)
		launcher_latch = worker_shared->launcher_latch;
	slot->schedules_processed += schedules_processed;
	if (error)
		slot->errors++;
	SpinLockRelease(&worker_shared->mutex);
	if (launcher_latch)
		SetLatch(launcher_latch);
}

/*
 * Interrupts that arrived while a worker slept, above all the
 * ProcSignalBarriers that DROP DATABASE and others wait for every process
 * to absorb.  A cancel request (SIGINT) found here had no statement to
 * cancel, so it is dropped rather than turned into an error outside any
 * transaction, which would end the process.
 */
void
worker_process_interrupts(void)
{
	QueryCancelPending = false;
	CHECK_FOR_INTERRUPTS();
}

/* ---- Any backend ---- */

/* Whether a scheduler of dboid is starting or running. */
static bool
database_busy(Oid dboid, pid_t *pid)
{
	bool		busy = false;
	int			i;

	*pid = 0;
	SpinLockAcquire(&worker_shared->mutex);
	for (i = 0; i < worker_shared->nslots; i++)
	{
		SchedulerSlot *slot = &worker_shared->slots[i];

		if (slot->dboid != dboid)
			continue;
		if (slot->state == SLOT_RUNNING)
		{
			busy = true;
			*pid = slot->pid;
		}
		else if (slot->state == SLOT_STARTING)
			busy = true;
	}
	SpinLockRelease(&worker_shared->mutex);
	return busy;
}

/*
 * Makes dboid's scheduler leave and keeps the launcher from starting
 * another until this transaction ends: DROP DATABASE, and the commands
 * that copy, rename or move a database, refuse to run while anyone is
 * connected to it.  Asks the scheduler to stop (flag and latch), cancels
 * its statement if it has not left after HOLD_CANCEL_AFTER_MS (it may be
 * waiting for a lock), and waits at most HOLD_WAIT_MS: the command itself
 * then waits up to 5 s more for the last moments of the exit.
 */
void
worker_hold_database(Oid dboid)
{
	TimestampTz start = sched_real_now();
	Latch	   *latches[8];
	int			nlatches = 0;
	bool		canceled = false;
	int			i;

	if (worker_shared == NULL)
		return;
	ensure_xact_callback();
	holding = true;

	SpinLockAcquire(&worker_shared->mutex);
	for (i = 0; i < MAX_HOLDS; i++)
	{
		DatabaseHold *hold = &worker_shared->holds[i];

		if (hold->dboid == InvalidOid || hold->until <= start)
		{
			hold->dboid = dboid;
			hold->holder = MyProcPid;
			hold->until = start + (int64) HOLD_MAX_SECS * USECS_PER_SEC;
			break;
		}
	}
	for (i = 0; i < worker_shared->nslots; i++)
	{
		SchedulerSlot *slot = &worker_shared->slots[i];

		if (slot->dboid != dboid ||
			(slot->state != SLOT_STARTING && slot->state != SLOT_RUNNING))
			continue;
		slot->stop_requested = true;
		if (slot->state == SLOT_RUNNING && nlatches < (int) lengthof(latches))
			latches[nlatches++] = slot->latch;
	}
	SpinLockRelease(&worker_shared->mutex);

	for (i = 0; i < nlatches; i++)
		SetLatch(latches[i]);

	for (;;)
	{
		pid_t		pid;
		long		waited;

		if (!database_busy(dboid, &pid))
			break;
		waited = (long) ((sched_real_now() - start) / 1000);
		if (waited >= HOLD_WAIT_MS)
		{
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("pg_sched scheduler of database %u did not stop within %d ms",
							dboid, HOLD_WAIT_MS)));
			break;
		}
		if (!canceled && pid != 0 && waited >= HOLD_CANCEL_AFTER_MS)
		{
			/* as pg_cancel_backend(): the tick fails and the loop exits */
			(void) kill(pid, SIGINT);
			canceled = true;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 HOLD_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* A copy of every slot in use, palloc'd; returns how many. */
int
worker_slots_snapshot(SchedulerSlotInfo **infos)
{
	SchedulerSlotInfo *out;
	int			n = 0;
	int			i;

	if (worker_shared == NULL)
	{
		*infos = NULL;
		return 0;
	}
	out = palloc(sizeof(SchedulerSlotInfo) * worker_shared->nslots);
	SpinLockAcquire(&worker_shared->mutex);
	for (i = 0; i < worker_shared->nslots; i++)
	{
		SchedulerSlot *slot = &worker_shared->slots[i];
		SchedulerSlotInfo *info;

		if (slot->state == SLOT_FREE)
			continue;
		info = &out[n++];
		info->slotno = i;
		info->generation = slot->generation;
		info->dboid = slot->dboid;
		info->state = slot->state;
		info->pid = slot->pid;
		info->started_at = slot->started_at;
		info->last_tick_at = slot->last_tick_at;
		info->next_wake_at = slot->next_wake_at;
		info->ticks = slot->ticks;
		info->schedules_processed = slot->schedules_processed;
		info->errors = slot->errors;
		info->actions = slot->actions;
		info->skipped = slot->skipped;
		info->missed = slot->missed;
		memcpy(info->lateness, slot->lateness, sizeof(info->lateness));
	}
	SpinLockRelease(&worker_shared->mutex);
	*infos = out;
	return n;
}

/* ---- SQL ---- */

/*
 * sched.wake_scheduler(): at commit, wakes this database's scheduler (to
 * re-read the earliest due time) and the launcher (to start a scheduler
 * where none runs: the install script calls it, so CREATE EXTENSION starts
 * one at once).  Does nothing when the library is not preloaded.
 */
Datum
sched_wake_scheduler(PG_FUNCTION_ARGS)
{
	scheduler_wake_at_commit();
	worker_wake_launcher_at_commit();
	PG_RETURN_VOID();
}

static const char *
slot_state_name(SchedulerSlotState state)
{
	switch (state)
	{
		case SLOT_FREE:
			break;
		case SLOT_STARTING:
			return "starting";
		case SLOT_RUNNING:
			return "running";
		case SLOT_EXITED:
			return "exited";
	}
	return "free";
}

/*
 * sched.scheduler_status(): one row per scheduler process of the cluster
 * (every database).  No rows when the library is not preloaded.
 */
Datum
sched_scheduler_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SchedulerSlotInfo *infos;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	n = worker_slots_snapshot(&infos);
	for (i = 0; i < n; i++)
	{
		SchedulerSlotInfo *info = &infos[i];
		Datum		values[14];
		bool		nulls[14];
		double		p50 = lateness_percentile(info->lateness, 0.50);
		double		p99 = lateness_percentile(info->lateness, 0.99);
		char	   *datname = get_database_name(info->dboid);

		memset(nulls, 0, sizeof(nulls));
		if (datname)
			values[0] = DirectFunctionCall1(namein, CStringGetDatum(datname));
		else
			nulls[0] = true;
		values[1] = Int32GetDatum(info->pid);
		nulls[1] = (info->pid == 0);
		values[2] = CStringGetTextDatum(slot_state_name(info->state));
		values[3] = TimestampTzGetDatum(info->started_at);
		values[4] = TimestampTzGetDatum(info->last_tick_at);
		nulls[4] = (info->last_tick_at == 0);
		values[5] = TimestampTzGetDatum(info->next_wake_at);
		nulls[5] = (info->next_wake_at == 0);
		values[6] = Int64GetDatum(info->ticks);
		values[7] = Int64GetDatum(info->schedules_processed);
		values[8] = Int64GetDatum(info->errors);
		values[9] = Int64GetDatum(info->actions);
		values[10] = Int64GetDatum(info->skipped);
		values[11] = Int64GetDatum(info->missed);
		values[12] = Float8GetDatum(p50);
		nulls[12] = (p50 < 0);
		values[13] = Float8GetDatum(p99);
		nulls[13] = (p99 < 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
