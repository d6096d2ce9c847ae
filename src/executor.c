/*-------------------------------------------------------------------------
 *
 * executor.c
 *	  The SQL executors: dynamic background workers ("pg_sched executor")
 *	  that run the commands of SQL actions, started on demand by each
 *	  database's scheduler, up to pg_sched.max_sql_executors in the cluster.
 *
 * An executor serves one database and one role, the owner of the runs it
 * runs: it connects as that role (BackgroundWorkerInitializeConnectionByOid),
 * so the command has the owner's privileges and the owner's settings
 * (ALTER ROLE ... SET, search_path included), exactly as a login of the
 * owner would, and no more.  It runs the due runs of that owner one after
 * another, oldest due first; when none is left it waits for the next one
 * up to pg_sched.sql_executor_idle_timeout, woken through its latch by the
 * dispatch (so a due run starts without a new process: the start of a
 * worker costs more than a run), and then leaves.  A waiting executor
 * leaves at once when its slot is wanted for another database or role, when
 * a DROP DATABASE (or the like) holds its database, and when the role's
 * pg_authid row or its pg_db_role_setting rows changed (checked before the
 * first claim after a wait: the session must be what a new login of the
 * owner would get).  Settings that a command changes (SET, SET ROLE) are
 * undone after it; other session state (temporary tables, session advisory
 * locks) lasts until the executor leaves.
 *
 * One run, transactional (the default):
 *
 *	 1. claim		run_store_claim_sql: pending -> running, attempt + 1,
 *					worker = this executor's name, committed at once, with
 *					a lease that never lapses by time;
 *	 2. command		in a new transaction, inside a subtransaction, with
 *					$1 = the run's nominal time;
 *	 3. close		in the same transaction, sql_close(): the schedule and
 *					the run are locked (that order), the claim is checked to
 *					be still ours (run_store_check_sql_claim), and the one
 *					close path, run_close(), closes the run (completed with the command tag, rows
 *					and a one-row result; or failed with the SQLSTATE and
 *					the whole error, retried when the retry policy says so);
 *					then commit: the command's effects and the run's close
 *					are one commit.  If the claim is no longer ours (the run
 *					was terminated, timed out, or retried meanwhile) the
 *					transaction rolls back, command included.
 *
 * That commit does not wait for its WAL flush (synchronous_commit off for
 * the transaction) unless the owner's session has synchronous_commit set
 * for the role or the database, or to a level other than on: the wait was
 * most of an executor's time (bench/README.md).  Exactly once still holds,
 * because the WAL is one sequence: a crash either keeps the commit (the
 * command and the close) or loses both, and a lost close leaves the claim
 * (earlier in the WAL, or lost too: then the run is simply pending) running
 * under an executor that no longer exists, to be given back and run again.
 * What the owner gives up: other sessions may see a command's effects for
 * a moment (wal_writer_delay) before they are durable; if a crash then
 * loses them, the run runs again with the same $1, as it does after any
 * crash before its commit.
 *
 * Why the claim commits first, rather than in the command's transaction:
 * while the command runs, the run is visibly running (describe, overlap,
 * pg_stat_activity), and no row lock of the queue is held, so the
 * scheduler's cancel_other and terminate_other, cancel_workflow,
 * terminate_workflow and the timeouts go through their usual paths without
 * waiting for a long command (they would otherwise block the scheduler's
 * whole tick).  Exactly once holds all the same: the command commits only
 * together with the close of this claim, and the close checks the claim
 * (status running, attempt, worker) under the run's lock.  A crash before
 * that commit loses the command and leaves the run running under a worker
 * that no longer exists; the scheduler's dispatch gives such runs back to
 * the queue (run_store_release_sql: pending, claimable at once), and the
 * run is run again.  An executor's name holds the slot, its generation
 * and the time this shared memory was set up, so a name never survives
 * its executor, nor a restart.
 *
 * Non-transactional ("transaction": false): for commands that cannot run
 * in a transaction block (VACUUM, CREATE INDEX CONCURRENTLY, a procedure
 * that commits).  The claim commits, the command runs as top-level
 * statements, each in its own transaction as a client's simple query
 * would, and the close is a transaction of its own: at least once (a crash
 * between the command and the close runs it again).
 *
 * Stopping a command: the scheduler's dispatch looks at the runs of this
 * database's busy executors, and sends a query cancel (SIGINT) to every
 * executor whose run is no longer its claim (closed, retried, given back)
 * or has a cancellation request.  The command fails with 57014; the close
 * then finds the claim gone (rolled back) or the request (closed as
 * canceled).  So run_timeout and execution_timeout (the scheduler's
 * timeouts), cancel_workflow, terminate_workflow, cancel_other and
 * terminate_other all stop a running command within a tick.
 *
 * Slots: the scheduler reserves a slot (STARTING, with the database, the
 * role and a new generation) before it registers the worker, so the
 * cluster-wide count holds at every moment; the executor takes it
 * (RUNNING) and frees it when it exits, after its transaction has ended.
 * A slot whose worker never started (a failed fork, a FATAL at connect) is
 * freed by the scheduler that reserved it through the worker's handle, or
 * by any scheduler after STALE_STARTING_SECS.  Nothing runs on a standby:
 * executors are only started by schedulers, which only work on a primary.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_db_role_setting.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "common/hashfn.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include <signal.h>

#include "executor.h"
#include "privileges.h"
#include "run_close.h"
#include "run_store.h"
#include "schedule_process.h"
#include "schedule_json.h"
#include "worker.h"

/* A reserved slot whose worker has not attached after this is freed. */
#define STALE_STARTING_SECS		60
/* Owners with due runs looked at per dispatch */
#define DISPATCH_OWNERS_MAX		1000

typedef enum ExecutorSlotState
{
	EXEC_FREE = 0,
	EXEC_STARTING,				/* reserved by a scheduler */
	EXEC_RUNNING				/* the executor attached */
} ExecutorSlotState;

typedef struct ExecutorSlot
{
	ExecutorSlotState state;
	uint32		generation;
	Oid			dboid;
	Oid			roleid;
	pid_t		pid;
	TimestampTz reserved_at;
	TimestampTz started_at;
	bool		has_run;
	bool		closing;		/* the run's close has begun: no stop */
	bool		leave;			/* asked to leave once idle: its slot is
								 * wanted by another database or role */
	Latch	   *latch;			/* the executor's, once RUNNING */
	pg_uuid_t	run_id;
	char		schedule_id[NAMEDATALEN];
	TimestampTz run_started_at;
} ExecutorSlot;

typedef struct ExecutorShared
{
	slock_t		mutex;
	TimestampTz epoch;			/* when this segment was set up */
	ExecutorCounters counters;
	int			nslots;
	ExecutorSlot slots[FLEXIBLE_ARRAY_MEMBER];
} ExecutorShared;

int			pg_sched_max_sql_executors = 4;
int			pg_sched_sql_executor_idle_timeout = 60;

static ExecutorShared *exec_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* In an executor: its slot */
static int	my_slotno = -1;
static uint32 my_generation = 0;
static char my_worker[96];
/* The run's transaction commits without waiting for its WAL flush */
static bool my_async_commit = false;

/* In a scheduler: the handles of the workers it registered, by slot */
static BackgroundWorkerHandle **handles = NULL;
static uint32 *handle_generations = NULL;

/* ---- shared memory ---- */

static Size
executor_shmem_size(void)
{
	return add_size(offsetof(ExecutorShared, slots),
					mul_size(sizeof(ExecutorSlot),
							 Max(pg_sched_max_sql_executors, 1)));
}

static void
executor_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(executor_shmem_size());
}

/* Also after a crash restart: a fresh segment, a new epoch. */
static void
executor_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	exec_shared = ShmemInitStruct("pg_sched executors", executor_shmem_size(),
								  &found);
	if (!found)
	{
		memset(exec_shared, 0, executor_shmem_size());
		SpinLockInit(&exec_shared->mutex);
		exec_shared->epoch = GetCurrentTimestamp();
		exec_shared->nslots = pg_sched_max_sql_executors;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
executor_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = executor_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = executor_shmem_startup;
}

/*
 * The name of the executor of a slot and generation, as its claims record
 * it in the worker column.  Call with the mutex held or on one's own slot.
 */
static void
worker_name(int slotno, uint32 generation, char *buf, size_t size)
{
	snprintf(buf, size, "pg_sched executor %d.%u/" INT64_FORMAT,
			 slotno, generation, (int64) exec_shared->epoch);
}

int
executor_slots(void)
{
	return exec_shared == NULL ? 0 : exec_shared->nslots;
}

int
executor_snapshot(ExecutorInfo **infos, ExecutorCounters *counters)
{
	int			n = 0;

	memset(counters, 0, sizeof(*counters));
	*infos = NULL;
	if (exec_shared == NULL)
		return 0;
	*infos = palloc0(sizeof(ExecutorInfo) * Max(exec_shared->nslots, 1));
	SpinLockAcquire(&exec_shared->mutex);
	*counters = exec_shared->counters;
	for (int i = 0; i < exec_shared->nslots; i++)
	{
		ExecutorSlot *slot = &exec_shared->slots[i];
		ExecutorInfo *info = &(*infos)[n];

		if (slot->state == EXEC_FREE)
			continue;
		info->dboid = slot->dboid;
		info->roleid = slot->roleid;
		info->pid = slot->state == EXEC_RUNNING ? slot->pid : 0;
		info->has_run = slot->has_run;
		info->run_id = slot->run_id;
		memcpy(info->schedule_id, slot->schedule_id, NAMEDATALEN);
		info->started_at = slot->started_at;
		info->run_started_at = slot->run_started_at;
		n++;
	}
	SpinLockRelease(&exec_shared->mutex);
	return n;
}

/* ---- the scheduler's dispatch ---- */

static void
remember_handle(int slotno, uint32 generation, BackgroundWorkerHandle *h)
{
	if (handles == NULL)
	{
		handles = MemoryContextAllocZero(TopMemoryContext,
										 sizeof(BackgroundWorkerHandle *) * exec_shared->nslots);
		handle_generations = MemoryContextAllocZero(TopMemoryContext,
													sizeof(uint32) * exec_shared->nslots);
	}
	if (handles[slotno] != NULL)
		pfree(handles[slotno]);
	handles[slotno] = h;
	handle_generations[slotno] = generation;
}

/*
 * Frees the slots of this scheduler's workers that stopped without taking
 * or freeing their slot, and stale reservations of anyone's.
 */
static void
reap_slots(void)
{
	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < exec_shared->nslots; i++)
	{
		bool		stopped = false;
		pid_t		pid;

		if (handles != NULL && handles[i] != NULL &&
			GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED)
			stopped = true;

		SpinLockAcquire(&exec_shared->mutex);
		if (exec_shared->slots[i].state != EXEC_FREE &&
			((stopped && exec_shared->slots[i].generation == handle_generations[i]) ||
			 (exec_shared->slots[i].state == EXEC_STARTING &&
			  exec_shared->slots[i].reserved_at <
			  now - (int64) STALE_STARTING_SECS * USECS_PER_SEC)))
			exec_shared->slots[i].state = EXEC_FREE;
		SpinLockRelease(&exec_shared->mutex);

		if (stopped)
		{
			pfree(handles[i]);
			handles[i] = NULL;
		}
	}
}

/*
 * Gives back to the queue the running SQL runs whose executor is gone.
 * The runs are read first, the live executors then: a claim seen running
 * was committed by an executor that had its slot by then, so if that slot
 * no longer holds it, the executor is gone (a run it closed meanwhile is
 * left alone by the release's lock, which reads the latest version).
 * Every executor with a slot in use, in any database, counts as live
 * (names are unique, so other databases' names match nothing here).
 */
static void
release_orphans(void)
{
	int			nslots = exec_shared->nslots;
	int		   *slotnos = palloc(sizeof(int) * Max(nslots, 1));
	uint32	   *generations = palloc(sizeof(uint32) * Max(nslots, 1));
	Datum	   *names = palloc(sizeof(Datum) * Max(nslots, 1));
	Datum	   *ids;
	uint64		nids;
	int			n = 0;
	char		buf[96];
	int			rc;

	/* executions_lease */
	SPI_connect();
	rc = SPI_execute("SELECT run_id FROM sched.executions"
					 " WHERE status = 'running' AND lease_expires_at = 'infinity'"
					 "   AND task_queue = '" SCHEDULE_SQL_TASK_QUEUE "'",
					 false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the running SQL runs: %s",
			 SPI_result_code_string(rc));
	nids = SPI_processed;
	ids = SPI_palloc(sizeof(Datum) * Max(nids, 1));
	for (uint64 i = 0; i < nids; i++)
	{
		bool		isnull;
		pg_uuid_t  *id = SPI_palloc(sizeof(pg_uuid_t));

		memcpy(id, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[i],
											   SPI_tuptable->tupdesc, 1,
											   &isnull)), sizeof(pg_uuid_t));
		ids[i] = UUIDPGetDatum(id);
	}
	SPI_finish();
	if (nids == 0)
		return;

	/* no allocation under the spinlock: copied, then named */
	SpinLockAcquire(&exec_shared->mutex);
	for (int i = 0; i < nslots; i++)
	{
		if (exec_shared->slots[i].state == EXEC_FREE)
			continue;
		slotnos[n] = i;
		generations[n] = exec_shared->slots[i].generation;
		n++;
	}
	SpinLockRelease(&exec_shared->mutex);

	for (int k = 0; k < n; k++)
	{
		worker_name(slotnos[k], generations[k], buf, sizeof(buf));
		names[k] = CStringGetTextDatum(buf);
	}
	(void) run_store_release_sql(PointerGetDatum(construct_array(ids, (int) nids,
																  UUIDOID, UUID_LEN,
																  false,
																  TYPALIGN_CHAR)),
								  PointerGetDatum(construct_array(names, n,
																  TEXTOID, -1,
																  false,
																  TYPALIGN_INT)));
}

/*
 * Sends a query cancel to the executors of this database whose run is no
 * longer their claim, or has a cancellation request.  The slots are read
 * first and the runs then, with a new snapshot: an executor records its run
 * once its claim has committed, so the claim is visible.
 */
static void
stop_unwanted(void)
{
	Datum	   *ids;
	Datum	   *names;
	int			n = 0;
	int			rc;
	Oid			argtypes[2] = {UUIDARRAYOID, TEXTARRAYOID};
	Datum		values[2];

	ids = palloc(sizeof(Datum) * Max(exec_shared->nslots, 1));
	names = palloc(sizeof(Datum) * Max(exec_shared->nslots, 1));
	for (int i = 0; i < exec_shared->nslots; i++)
	{
		ExecutorSlot copy;
		char		buf[96];

		SpinLockAcquire(&exec_shared->mutex);
		copy = exec_shared->slots[i];
		SpinLockRelease(&exec_shared->mutex);
		if (copy.state != EXEC_RUNNING || !copy.has_run || copy.closing ||
			copy.dboid != MyDatabaseId)
			continue;
		worker_name(i, copy.generation, buf, sizeof(buf));
		ids[n] = UUIDPGetDatum(palloc(sizeof(pg_uuid_t)));
		memcpy(DatumGetPointer(ids[n]), &copy.run_id, sizeof(pg_uuid_t));
		names[n] = CStringGetTextDatum(buf);
		n++;
	}
	if (n == 0)
		return;

	values[0] = PointerGetDatum(construct_array(ids, n, UUIDOID, UUID_LEN,
												false, TYPALIGN_CHAR));
	values[1] = PointerGetDatum(construct_array(names, n, TEXTOID, -1,
												false, TYPALIGN_INT));
	SPI_connect();
	rc = SPI_execute_with_args(
							   "SELECT l.run_id, l.worker"
							   "  FROM unnest($1, $2) AS l(run_id, worker)"
							   "  LEFT JOIN sched.executions e ON e.run_id = l.run_id"
							   " WHERE e.run_id IS NULL OR e.status <> 'running'"
							   "    OR e.worker IS DISTINCT FROM l.worker"
							   "    OR e.cancel_requested",
							   2, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the runs of the SQL executors: %s",
			 SPI_result_code_string(rc));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		pg_uuid_t  *run_id = DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[r],
														 SPI_tuptable->tupdesc,
														 1, &isnull));
		char	   *name = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[r],
															 SPI_tuptable->tupdesc,
															 2, &isnull));

		for (int i = 0; i < exec_shared->nslots; i++)
		{
			ExecutorSlot *slot = &exec_shared->slots[i];
			char		buf[96];
			pid_t		pid = 0;

			/* signalled under the mutex: the slot cannot move on meanwhile */
			SpinLockAcquire(&exec_shared->mutex);
			worker_name(i, slot->generation, buf, sizeof(buf));
			if (slot->state == EXEC_RUNNING && slot->has_run && !slot->closing &&
				memcmp(&slot->run_id, run_id, sizeof(pg_uuid_t)) == 0 &&
				strcmp(buf, name) == 0)
			{
				pid = slot->pid;
				if (pid > 0)
					(void) kill(pid, SIGINT);
			}
			SpinLockRelease(&exec_shared->mutex);
			if (pid > 0)
				ereport(DEBUG1,
						(errmsg("pg_sched: stopping the command of SQL executor %d: its run was closed or asked to cancel",
								(int) pid)));
		}
	}
	SPI_finish();
}

/* Reserves a free slot for (this database, roleid); -1 if none is free. */
static int
reserve_slot(Oid roleid, uint32 *generation)
{
	int			slotno = -1;

	SpinLockAcquire(&exec_shared->mutex);
	for (int i = 0; i < exec_shared->nslots; i++)
	{
		ExecutorSlot *slot = &exec_shared->slots[i];

		if (slot->state != EXEC_FREE)
			continue;
		slot->state = EXEC_STARTING;
		slot->generation++;
		slot->dboid = MyDatabaseId;
		slot->roleid = roleid;
		slot->pid = 0;
		slot->has_run = false;
		slot->leave = false;
		slot->latch = NULL;
		slot->reserved_at = GetCurrentTimestamp();
		slot->started_at = 0;
		slot->run_started_at = 0;
		*generation = slot->generation;
		slotno = i;
		break;
	}
	SpinLockRelease(&exec_shared->mutex);
	return slotno;
}

static void
free_slot(int slotno, uint32 generation)
{
	SpinLockAcquire(&exec_shared->mutex);
	if (exec_shared->slots[slotno].generation == generation)
		exec_shared->slots[slotno].state = EXEC_FREE;
	SpinLockRelease(&exec_shared->mutex);
}

/*
 * Executors of (this database, roleid) that will claim a run soon: those
 * starting, and those waiting for one (pg_sched.sql_executor_idle_timeout),
 * which are woken here, so that a due run starts without a new process.
 */
static int
idle_executors(Oid roleid)
{
	int			n = 0;
	int			nlatches = 0;
	Latch	  **latches = palloc(sizeof(Latch *) * Max(exec_shared->nslots, 1));

	SpinLockAcquire(&exec_shared->mutex);
	for (int i = 0; i < exec_shared->nslots; i++)
	{
		ExecutorSlot *slot = &exec_shared->slots[i];

		if (slot->state != EXEC_FREE && slot->dboid == MyDatabaseId &&
			slot->roleid == roleid && !slot->has_run && !slot->leave)
		{
			n++;
			if (slot->state == EXEC_RUNNING && slot->latch != NULL)
				latches[nlatches++] = slot->latch;
		}
	}
	SpinLockRelease(&exec_shared->mutex);
	/* not under the spinlock: SetLatch may make a system call */
	for (int i = 0; i < nlatches; i++)
		SetLatch(latches[i]);
	pfree(latches);
	return n;
}

/*
 * No slot is free for roleid's runs here: asks up to n executors that wait
 * for runs of another database or role to leave, so that the next dispatch
 * finds their slots free.  Executors busy with a run are left alone.
 */
static void
ask_idle_to_leave(Oid roleid, int64 n)
{
	int			nlatches = 0;
	Latch	  **latches = palloc(sizeof(Latch *) * Max(exec_shared->nslots, 1));

	SpinLockAcquire(&exec_shared->mutex);
	for (int i = 0; i < exec_shared->nslots && nlatches < n; i++)
	{
		ExecutorSlot *slot = &exec_shared->slots[i];

		if (slot->state == EXEC_RUNNING && !slot->has_run && !slot->leave &&
			slot->latch != NULL &&
			(slot->dboid != MyDatabaseId || slot->roleid != roleid))
		{
			slot->leave = true;
			latches[nlatches++] = slot->latch;
		}
	}
	SpinLockRelease(&exec_shared->mutex);
	for (int i = 0; i < nlatches; i++)
		SetLatch(latches[i]);
	pfree(latches);
}

static bool
start_executor(Oid roleid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	uint32		generation;
	MemoryContext old;
	bool		registered;
	int			slotno = reserve_slot(roleid, &generation);

	if (slotno < 0)
		return false;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_sched");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_sched_executor_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_sched executor");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_sched executor");
	worker.bgw_main_arg = Int32GetDatum(slotno);
	memcpy(worker.bgw_extra, &generation, sizeof(generation));
	worker.bgw_notify_pid = MyProcPid;

	/* the handle outlives this transaction: kept until the worker stops */
	old = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(old);
	if (!registered)
	{
		free_slot(slotno, generation);
		ereport(LOG,
				(errmsg("pg_sched: could not start an SQL executor: no background worker slot is free"),
				 errhint("Raise max_worker_processes: it must leave room for the launcher, one scheduler per database and pg_sched.max_sql_executors executors.")));
		return false;
	}
	remember_handle(slotno, generation, handle);
	SpinLockAcquire(&exec_shared->mutex);
	exec_shared->counters.started++;
	SpinLockRelease(&exec_shared->mutex);
	return true;
}

/*
 * Closes a claimed run through run_close(), in the current transaction:
 * the schedule is locked first, then the run, whose claim must still be
 * worker's (false otherwise: nothing changed, the caller rolls back).  A
 * failure after a cancellation request closes the run as canceled.
 */
static bool
sql_close(const RunSqlClaim *claim, const char *worker, bool ok,
		  Jsonb *result, const char *error, const char *error_type)
{
	ScheduleLock *sl = schedule_lock(claim->schedule_id);
	bool		cancel_requested = false;
	RunOutcome	outcome;

	if (!run_store_check_sql_claim(claim, worker, &cancel_requested))
	{
		if (sl != NULL)
			schedule_lock_free(sl);
		return false;
	}
	memset(&outcome, 0, sizeof(outcome));
	outcome.caller = InvalidOid;
	if (ok)
	{
		outcome.kind = RUN_COMPLETED;
		outcome.result = result;
	}
	else if (cancel_requested)
	{
		outcome.kind = RUN_CANCELED;
		outcome.error = error;
		outcome.error_type = error_type;
	}
	else
	{
		outcome.kind = RUN_FAILED;
		outcome.error = error;
		outcome.error_type = error_type;
	}
	/* the schedule is held and the claim checked: the rest of run_close() */
	run_close_held(&claim->run_id, sl, &outcome);
	if (sl != NULL)
		schedule_lock_free(sl);
	return true;
}

/*
 * A due run of an owner that cannot log in (or no longer exists) would
 * wait for ever: the scheduler claims and fails it, through the same close.
 */
static void
fail_runs_of(const char *owner, const char *why)
{
	RunSqlClaim claim;
	char		name[96];

	snprintf(name, sizeof(name), "pg_sched scheduler %d", MyProcPid);
	while (run_store_claim_sql(owner, name, &claim))
		(void) sql_close(&claim, name, false, NULL, why, "28000");
}

int
executor_dispatch(void)
{
	int			rc;
	int			started = 0;
	int64		waits = 0;
	uint64		nowners;
	char	  **owners;
	int64	   *counts;

	if (exec_shared == NULL)
		return 0;

	reap_slots();
	release_orphans();
	stop_unwanted();

	/* due pending runs per owner (executions_poll) */
	SPI_connect();
	rc = SPI_execute("SELECT owner::text, count(*) FROM sched.executions"
					 " WHERE task_queue = '" SCHEDULE_SQL_TASK_QUEUE "'"
					 "   AND status = 'pending' AND due_at <= now()"
					 "   AND schedule_id IS NOT NULL"
					 " GROUP BY owner ORDER BY min(due_at)"
					 " LIMIT " CppAsString2(DISPATCH_OWNERS_MAX),
					 true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the due runs of SQL actions: %s",
			 SPI_result_code_string(rc));
	nowners = SPI_processed;
	owners = SPI_palloc(sizeof(char *) * Max(nowners, 1));
	counts = SPI_palloc(sizeof(int64) * Max(nowners, 1));
	for (uint64 i = 0; i < nowners; i++)
	{
		bool		isnull;
		char	   *o = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i],
														  SPI_tuptable->tupdesc,
														  1, &isnull));

		owners[i] = SPI_palloc(strlen(o) + 1);
		strcpy(owners[i], o);
		counts[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
												SPI_tuptable->tupdesc, 2,
												&isnull));
	}
	SPI_finish();

	for (uint64 i = 0; i < nowners; i++)
	{
		HeapTuple	tup = SearchSysCache1(AUTHNAME,
										  CStringGetDatum(owners[i]));
		Oid			roleid;
		bool		canlogin;
		int64		need;

		if (!HeapTupleIsValid(tup))
		{
			fail_runs_of(owners[i],
						 psprintf("role \"%s\" does not exist: an SQL action runs as its schedule's owner",
								  owners[i]));
			continue;
		}
		roleid = ((Form_pg_authid) GETSTRUCT(tup))->oid;
		canlogin = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
		ReleaseSysCache(tup);
		if (!canlogin)
		{
			fail_runs_of(owners[i],
						 psprintf("role \"%s\" is not permitted to log in: an SQL action runs in a session of its schedule's owner",
								  owners[i]));
			continue;
		}

		need = counts[i] - idle_executors(roleid);
		for (; need > 0; need--)
		{
			if (!start_executor(roleid))
			{
				ask_idle_to_leave(roleid, need);
				break;
			}
			started++;
		}
		waits += Max(need, 0);
	}
	if (waits > 0)
	{
		SpinLockAcquire(&exec_shared->mutex);
		exec_shared->counters.waits += waits;
		SpinLockRelease(&exec_shared->mutex);
	}
	return started;
}

/* ---- the executor ---- */

static void
executor_detach(int code, Datum arg)
{
	SpinLockAcquire(&exec_shared->mutex);
	if (exec_shared->slots[my_slotno].generation == my_generation)
	{
		exec_shared->slots[my_slotno].state = EXEC_FREE;
		exec_shared->slots[my_slotno].has_run = false;
		exec_shared->slots[my_slotno].latch = NULL;
	}
	SpinLockRelease(&exec_shared->mutex);
}

static bool
executor_attach(int slotno, uint32 generation, Oid *dboid, Oid *roleid)
{
	bool		attached = false;
	ExecutorSlot *slot;

	if (exec_shared == NULL || slotno < 0 || slotno >= exec_shared->nslots)
		return false;
	slot = &exec_shared->slots[slotno];
	SpinLockAcquire(&exec_shared->mutex);
	if (slot->state == EXEC_STARTING && slot->generation == generation)
	{
		slot->state = EXEC_RUNNING;
		slot->pid = MyProcPid;
		slot->latch = MyLatch;
		slot->started_at = GetCurrentTimestamp();
		*dboid = slot->dboid;
		*roleid = slot->roleid;
		worker_name(slotno, generation, my_worker, sizeof(my_worker));
		attached = true;
	}
	SpinLockRelease(&exec_shared->mutex);
	if (attached)
	{
		my_slotno = slotno;
		my_generation = generation;
	}
	return attached;
}

/*
 * From here on the scheduler sends no stop for the run: the close checks
 * the claim itself, and a cancel would only fail the close.
 */
static void
slot_set_closing(void)
{
	SpinLockAcquire(&exec_shared->mutex);
	exec_shared->slots[my_slotno].closing = true;
	SpinLockRelease(&exec_shared->mutex);
}

/*
 * Records (or clears, run NULL) the run this executor is running: once its
 * claim is committed, since the scheduler stops an executor whose run is
 * not running under its name.
 */
static void
slot_set_run(const RunSqlClaim *run)
{
	ExecutorSlot *slot = &exec_shared->slots[my_slotno];

	SpinLockAcquire(&exec_shared->mutex);
	if (run != NULL)
	{
		slot->has_run = true;
		slot->closing = false;
		slot->run_id = run->run_id;
		strlcpy(slot->schedule_id, run->schedule_id, NAMEDATALEN);
		slot->run_started_at = GetCurrentTimestamp();
		exec_shared->counters.runs++;
	}
	else
	{
		slot->has_run = false;
		slot->schedule_id[0] = '\0';
	}
	SpinLockRelease(&exec_shared->mutex);
}

/*
 * What the session of an executor was set up from, as it stands now: the
 * role's pg_authid row (login, superuser, its name) and the rows of
 * pg_db_role_setting that apply (ALTER ROLE/DATABASE ... SET), by their
 * versions; 0 when the role is gone or may no longer log in.  In a
 * transaction.
 */
static uint64
session_fingerprint(Oid dboid, Oid roleid)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	uint64		h;
	Relation	rel;
	SysScanDesc scan;

	if (!HeapTupleIsValid(tup))
		return 0;
	if (!((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin)
	{
		ReleaseSysCache(tup);
		return 0;
	}
	h = hash_combine64(1, (uint64) HeapTupleHeaderGetXmin(tup->t_data));
	ReleaseSysCache(tup);

	rel = table_open(DbRoleSettingRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_db_role_setting f = (Form_pg_db_role_setting) GETSTRUCT(tup);

		if ((f->setdatabase == InvalidOid || f->setdatabase == dboid) &&
			(f->setrole == InvalidOid || f->setrole == roleid))
			h = hash_combine64(h,
							   hash_combine64((uint64) HeapTupleHeaderGetXmin(tup->t_data),
											  ((uint64) f->setdatabase << 32) | f->setrole));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return h;
}

typedef enum ClaimResult
{
	CLAIMED,
	CLAIM_NONE,					/* no due run of this owner now */
	CLAIM_LEAVE					/* the extension is gone or of another
								 * version, or the session is stale */
} ClaimResult;

/*
 * Claims the next run, in a transaction of its own (committed: the claim
 * must be visible before the command runs, see the banner).  With
 * fingerprint (after a wait for runs), the session is first checked to be
 * what a new login of the owner would get (its settings, its login right),
 * else the executor leaves and the dispatch starts a fresh one.
 */
static ClaimResult
executor_claim(const char *owner, RunSqlClaim *claim, MemoryContext cxt,
			   const uint64 *fingerprint)
{
	ClaimResult result = CLAIM_LEAVE;
	char	   *version;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "claiming a run");

	/*
	 * The claim need not wait for its WAL flush: if a crash loses it, the
	 * run is pending again, which is what giving it back would do; and the
	 * command's commit, later in the same WAL, flushes it first.
	 */
	(void) set_config_option("synchronous_commit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	version = priv_installed_version();
	if (version != NULL && strcmp(version, PG_SCHED_VERSION) == 0 &&
		(fingerprint == NULL ||
		 session_fingerprint(MyDatabaseId, GetSessionUserId()) == *fingerprint))
	{
		PrivState	ps;
		MemoryContext old = MemoryContextSwitchTo(cxt);

		(void) priv_enter(&ps);
		result = run_store_claim_sql(owner, my_worker, claim) ?
			CLAIMED : CLAIM_NONE;
		priv_exit(&ps);
		MemoryContextSwitchTo(old);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (result == CLAIMED)
		slot_set_run(claim);
	return result;
}

/*
 * Waits for the next due run of this executor's owner: until the
 * scheduler's dispatch sets the latch (it found runs due), at most a second
 * at a time (then the caller looks for itself), and
 * pg_sched.sql_executor_idle_timeout since idle_since in all.  False: leave
 * now (the time is up, the slot is wanted elsewhere, a DROP DATABASE or
 * the like waits for the database).
 */
static bool
executor_wait(TimestampTz idle_since)
{
	for (;;)
	{
		long		left;
		bool		leave;

		SpinLockAcquire(&exec_shared->mutex);
		leave = exec_shared->slots[my_slotno].leave;
		SpinLockRelease(&exec_shared->mutex);
		if (leave || worker_database_held(MyDatabaseId))
			return false;
		left = (long) (((int64) pg_sched_sql_executor_idle_timeout * USECS_PER_SEC -
						(GetCurrentTimestamp() - idle_since)) / 1000);
		if (left <= 0)
			return false;
		if (WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					  Min(left, 1000L), PG_WAIT_EXTENSION) & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			return true;
		}
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		/* a second without a wake-up: look for a due run anyway */
		return true;
	}
}

/*
 * Closes the claim with outcome o, in the current transaction; false if
 * the claim is no longer ours.
 */
static bool
executor_close(const RunSqlClaim *claim, const ExecutorOutcome *o)
{
	PrivState	ps;
	bool		closed;

	slot_set_closing();
	(void) priv_enter(&ps);
	closed = sql_close(claim, my_worker, o->ok, o->ok ? o->result : NULL,
					   o->ok ? NULL : o->error, o->ok ? NULL : o->sqlstate);
	priv_exit(&ps);
	return closed;
}

/*
 * Closes the claim in a transaction of its own (after a non-transactional
 * command, or when the close in the command's transaction failed).  An
 * error here leaves the process: the scheduler then gives the run back.
 */
static void
executor_close_alone(const RunSqlClaim *claim, const ExecutorOutcome *o)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "closing a run");
	if (!executor_close(claim, o))
		ereport(LOG,
				(errmsg("pg_sched executor: run of workflow id \"%s\" was closed meanwhile; its outcome is not recorded",
						claim->workflow_id)));
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* The command and the transaction flag of a claimed run's args. */
static void
run_command_of(const RunSqlClaim *claim, char **sql, bool *transaction)
{
	JsonbValue *v;

	*sql = NULL;
	*transaction = true;
	v = getIthJsonbValueFromContainer(&claim->args->root, 0);
	if (v != NULL && v->type == jbvString)
		*sql = pnstrdup(v->val.string.val, v->val.string.len);
	v = getIthJsonbValueFromContainer(&claim->args->root, 1);
	if (v != NULL && v->type == jbvBool)
		*transaction = v->val.boolean;
}

/*
 * Whether the runs' transactions may commit asynchronously: when the
 * owner's session has synchronous_commit at its default (on, from the
 * server's default or configuration file).  Set for the owner or the
 * database (ALTER ROLE/DATABASE ... SET), or to another level anywhere, it
 * is obeyed.  See "One run" in the banner for why exactly once holds.
 */
static bool
async_commit_allowed(void)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	if (synchronous_commit != SYNCHRONOUS_COMMIT_ON)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(vars[i]->name, "synchronous_commit") == 0)
			return vars[i]->source < PGC_S_GLOBAL;
	return false;
}

static void
executor_run_one(const RunSqlClaim *claim)
{
	char	   *volatile sql;
	char	   *cmd;
	char	   *activity;
	bool		transaction;
	ExecutorOutcome o;
	char		appname[NAMEDATALEN];

	run_command_of(claim, &cmd, &transaction);
	sql = cmd;
	snprintf(appname, sizeof(appname), "pg_sched sql %s", claim->schedule_id);
	SetConfigOption("application_name", appname, PGC_USERSET, PGC_S_SESSION);
	/* pg_stat_activity.query: which run, then the command */
	activity = psprintf("/* pg_sched run %s of schedule %s */ %s",
						DatumGetCString(DirectFunctionCall1(uuid_out,
															UUIDPGetDatum(&claim->run_id))),
						claim->schedule_id, cmd ? cmd : "");

	if (sql == NULL)
	{
		memset(&o, 0, sizeof(o));
		o.error = "the run has no command: its args are not [command, transaction]";
		o.sqlstate = "XX000";
		executor_close_alone(claim, &o);
		return;
	}

	if (!transaction)
	{
		/* at least once: the command's own transactions, then the close */
		pgstat_report_activity(STATE_RUNNING, activity);
		executor_run_command(sql, claim->nominal_time, false, &o);
		executor_close_alone(claim, &o);
		return;
	}

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
	if (my_async_commit)
		(void) set_config_option("synchronous_commit", "off", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0,
								 false);
	PG_TRY();
	{
		int			nestlevel = NewGUCNestLevel();

		executor_run_command(sql, claim->nominal_time, true, &o);
		/* what the command SET (SET ROLE too) ends with it */
		AtEOXact_GUC(false, nestlevel);
		if (executor_close(claim, &o))
		{
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		else
		{
			ereport(LOG,
					(errmsg("pg_sched executor: run of workflow id \"%s\" was closed, retried or given back while its command ran; the command is rolled back",
							claim->workflow_id)));
			AbortCurrentTransaction();
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		ExecutorOutcome fail;

		/* the close failed (a cancel, a lock timeout): record that alone */
		HOLD_INTERRUPTS();
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		RESUME_INTERRUPTS();
		if (edata->elevel >= FATAL)
			ReThrowError(edata);
		/* a cancel meant for the command we no longer run */
		QueryCancelPending = false;
		memset(&fail, 0, sizeof(fail));
		fail.error = psprintf("the outcome of the command could not be recorded, and the command was rolled back: %s",
							  edata->message);
		fail.sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
		executor_close_alone(claim, &fail);
	}
	PG_END_TRY();
}

void
pg_sched_executor_main(Datum main_arg)
{
	int			slotno = DatumGetInt32(main_arg);
	uint32		generation;
	Oid			dboid;
	Oid			roleid;
	char	   *owner;
	uint64		fingerprint;
	TimestampTz idle_since = 0;
	MemoryContext run_cxt;

	memcpy(&generation, MyBgworkerEntry->bgw_extra, sizeof(generation));
	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	if (!executor_attach(slotno, generation, &dboid, &roleid))
		proc_exit(0);
	/* registered first, so it runs last: after the transaction's abort */
	before_shmem_exit(executor_detach, (Datum) 0);

	/* the owner's session: its privileges and its settings, as a login */
	BackgroundWorkerInitializeConnectionByOid(dboid, roleid, 0);
	SetConfigOption("application_name", "pg_sched executor",
					PGC_USERSET, PGC_S_SESSION);

	StartTransactionCommand();
	owner = MemoryContextStrdup(TopMemoryContext,
								GetUserNameFromId(roleid, false));
	fingerprint = session_fingerprint(dboid, roleid);
	my_async_commit = async_commit_allowed();
	CommitTransactionCommand();

	run_cxt = AllocSetContextCreate(TopMemoryContext, "pg_sched executor run",
									ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		RunSqlClaim claim;
		ClaimResult r;

		CHECK_FOR_INTERRUPTS();
		if (RecoveryInProgress())
			break;
		MemoryContextReset(run_cxt);
		MemoryContextSwitchTo(run_cxt);
		r = executor_claim(owner, &claim, run_cxt,
						   idle_since != 0 ? &fingerprint : NULL);
		if (r == CLAIM_LEAVE)
			break;
		if (r == CLAIM_NONE)
		{
			/* stay for the next run a while, woken by the dispatch */
			if (idle_since == 0)
				idle_since = GetCurrentTimestamp();
			if (!executor_wait(idle_since))
				break;
			continue;
		}
		idle_since = 0;
		MemoryContextSwitchTo(run_cxt);
		executor_run_one(&claim);
		MemoryContextSwitchTo(run_cxt);
		slot_set_run(NULL);
		/* a stop sent for the run just closed is not for the next one */
		QueryCancelPending = false;
		pgstat_report_stat(false);
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	proc_exit(0);
}
