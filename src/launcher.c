/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The pg_sched launcher: one static background worker that starts a
 *	  scheduler in every database where pg_sched is installed, and the
 *	  ProcessUtility hook that keeps those schedulers out of the way of
 *	  DROP DATABASE.
 *
 * Processes.  The launcher ("pg_sched launcher" in pg_stat_activity) is
 * registered from _PG_init when the library is preloaded, starts once
 * recovery has finished (BgWorkerStart_RecoveryFinished: on a hot standby
 * no pg_sched process runs at all, and promotion starts it) and is
 * restarted by the postmaster LAUNCHER_RESTART_SECS after it dies.  It is
 * connected to no database: it reads the shared catalog pg_database only.
 * For each database that allows connections and is not a template (a
 * scheduler connected to a template would make CREATE DATABASE fail), it
 * starts one dynamic worker, a scheduler (scheduler.c), with
 * BGW_NEVER_RESTART: the launcher decides about restarts itself, from the
 * reason the scheduler gave for leaving.
 *
 * The launcher's table of databases (local memory, rebuilt from
 * pg_database every RESCAN_SECS and whenever it is woken):
 *
 *	 IDLE			no scheduler; start one at next_start_at unless the
 *					database is held
 *	 RUNNING		a scheduler owns slot "slotno" (starting or running)
 *	 NO_EXTENSION	the last scheduler found no pg_sched there; check again
 *					after NO_EXTENSION_RECHECK_SECS, or at once when woken
 *					(CREATE EXTENSION and CREATE DATABASE wake the launcher
 *					at commit)
 *
 * A database not known to have pg_sched (new, or NO_EXTENSION) is probed:
 * its scheduler connects and either leaves at once or completes a tick,
 * which tells the launcher the extension is there.  At most
 * MAX_CONCURRENT_PROBES probes run at a time, so that a cluster with many
 * databases does not see them all take worker slots at once.
 *
 * When a scheduler leaves, the launcher reads its exit reason in the slot
 * and, once the postmaster has reaped the process (so that its worker slot
 * is free, and a start that failed for want of one is retried at once),
 * frees the slot: no extension -> NO_EXTENSION; stopped on request (its
 * database is held, gone or no longer eligible) -> IDLE at once, so the
 * hold alone decides; SIGTERM or an error -> IDLE after RESTART_DELAY_SECS.
 * DROP EXTENSION wakes the database's scheduler at commit (the hook below),
 * which finds the extension gone and leaves.
 * A database that left pg_database (or became a template, or stopped
 * allowing connections) has its scheduler asked to stop and is forgotten
 * once it has left.
 *
 * If the launcher itself dies, its schedulers keep running; the next
 * launcher adopts the slots it finds in use (it has no handle for them, so
 * it learns of their exit from the slot, whose scheduler sets the
 * launcher's latch when it leaves).
 *
 * DROP DATABASE.  It fails if anyone is still connected after 5 s.  The
 * ProcessUtility hook (installed in every backend, since the library is
 * preloaded) therefore holds the database before the command runs: it
 * stops the scheduler, waits for it to leave (bounded) and keeps the
 * launcher from starting another until the command's transaction ends
 * (worker_hold_database()).  The same applies to the other commands that
 * need a database nobody is connected to: CREATE DATABASE ... TEMPLATE
 * (the source), ALTER DATABASE ... RENAME and ALTER DATABASE ... SET
 * TABLESPACE.  Only the database's owner (or a superuser) gets a hold, so
 * other users cannot stop a scheduler by issuing a command that will fail.
 *
 * What a crash may do: a scheduler killed by a signal makes the postmaster
 * restart the whole cluster, shared memory included; the launcher starts
 * again, and so do the schedulers.  Since every action is written in the
 * transaction that advances its schedule, a crash loses or repeats nothing
 * (scheduler.c).  The launcher keeps no state that matters across a
 * restart: it re-reads pg_database.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "scheduler.h"
#include "sched_clock.h"
#include "worker.h"

/* The postmaster restarts a dead launcher after this long. */
#define LAUNCHER_RESTART_SECS		5
/* pg_database is re-read at least this often. */
#define RESCAN_SECS					10
/* A database without pg_sched is checked again after this long. */
#define NO_EXTENSION_RECHECK_SECS	30
/* A scheduler that failed (or could not be started) is retried after this. */
#define RESTART_DELAY_SECS			5
/* A slot adopted as STARTING whose worker never attached is freed then. */
#define ADOPTED_START_TIMEOUT_SECS	60
/* Schedulers started at once in databases not known to have pg_sched */
#define MAX_CONCURRENT_PROBES		2

typedef enum LauncherDbState
{
	DB_IDLE,
	DB_RUNNING,
	DB_NO_EXTENSION
} LauncherDbState;

typedef struct LauncherDb
{
	Oid			dboid;
	NameData	datname;
	bool		eligible;		/* in pg_database, connectable, no template */
	LauncherDbState state;
	TimestampTz next_start_at;	/* IDLE, NO_EXTENSION */
	bool		start_failed;	/* the last start failed (logged once) */
	bool		served;			/* its last scheduler found pg_sched */
	int			slotno;			/* RUNNING */
	uint32		generation;		/* RUNNING */
	BackgroundWorkerHandle *handle; /* RUNNING; NULL when adopted */
	TimestampTz started_at;		/* RUNNING */
	bool		stop_requested; /* RUNNING */
	bool		probing;		/* RUNNING, not yet known to have pg_sched */
} LauncherDb;

static MemoryContext launcher_cxt = NULL;
static LauncherDb *dbs = NULL;
static int	ndbs = 0;
static int	maxdbs = 0;

/* A scheduler left since the last start pass: retry failed starts. */
static bool slot_freed = false;

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

static TimestampTz
after_secs(TimestampTz t, int secs)
{
	return t + (int64) secs * USECS_PER_SEC;
}

static LauncherDb *
launcher_find(Oid dboid)
{
	int			i;

	for (i = 0; i < ndbs; i++)
	{
		if (dbs[i].dboid == dboid)
			return &dbs[i];
	}
	return NULL;
}

static LauncherDb *
launcher_add(Oid dboid, TimestampTz now)
{
	LauncherDb *db;

	if (ndbs == maxdbs)
	{
		maxdbs = Max(16, maxdbs * 2);
		if (dbs == NULL)
			dbs = MemoryContextAlloc(launcher_cxt, maxdbs * sizeof(LauncherDb));
		else
			dbs = repalloc(dbs, maxdbs * sizeof(LauncherDb));
	}
	db = &dbs[ndbs++];
	memset(db, 0, sizeof(LauncherDb));
	db->dboid = dboid;
	snprintf(NameStr(db->datname), NAMEDATALEN, "%u", dboid);
	db->state = DB_IDLE;
	db->next_start_at = now;
	db->slotno = -1;
	return db;
}

/*
 * Re-reads pg_database (a shared catalog, readable without a database
 * connection, as the logical replication launcher reads pg_subscription).
 */
static void
launcher_scan_databases(TimestampTz now)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	int			i;

	for (i = 0; i < ndbs; i++)
		dbs[i].eligible = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database form = (Form_pg_database) GETSTRUCT(tup);
		LauncherDb *db;

		if (!form->datallowconn || form->datistemplate)
			continue;
#ifdef DATCONNLIMIT_INVALID_DB
		/* a DROP DATABASE interrupted half-way (15.4 and later) */
		if (form->datconnlimit == DATCONNLIMIT_INVALID_DB)
			continue;
#endif
		db = launcher_find(form->oid);
		if (db == NULL)
			db = launcher_add(form->oid, now);
		db->eligible = true;
		namestrcpy(&db->datname, NameStr(form->datname));
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();

	/* forget what is gone; ask its scheduler, if any, to leave first */
	for (i = 0; i < ndbs;)
	{
		LauncherDb *db = &dbs[i];

		if (db->eligible)
		{
			i++;
			continue;
		}
		if (db->state == DB_RUNNING)
		{
			if (!db->stop_requested)
			{
				worker_slot_request_stop(db->slotno, db->generation);
				db->stop_requested = true;
			}
			i++;
			continue;
		}
		dbs[i] = dbs[--ndbs];
	}
}

/* Schedulers left from a previous launcher: watch them through their slot. */
static void
launcher_adopt(void)
{
	SchedulerSlotInfo *infos;
	int			n = worker_slots_snapshot(&infos);
	int			i;

	for (i = 0; i < n; i++)
	{
		LauncherDb *db = launcher_find(infos[i].dboid);

		if (db != NULL)
		{
			/* cannot happen: one scheduler per database; stop the extra one */
			worker_slot_request_stop(infos[i].slotno, infos[i].generation);
			continue;
		}
		db = launcher_add(infos[i].dboid, infos[i].started_at);
		db->state = DB_RUNNING;
		db->slotno = infos[i].slotno;
		db->generation = infos[i].generation;
		db->started_at = infos[i].started_at;
		db->eligible = true;
		db->served = infos[i].ticks > 0;
		db->probing = !db->served;
	}
}

static bool
launcher_start(LauncherDb *db, TimestampTz now)
{
	BackgroundWorker bgw;
	BackgroundWorkerHandle *handle;
	MemoryContext oldcxt;
	uint32		generation;
	int			slotno;

	slotno = worker_slot_claim(db->dboid, &generation);
	if (slotno < 0)
		return false;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "pg_sched", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "pg_sched_scheduler_main", BGW_MAXLEN);
	snprintf(bgw.bgw_name, BGW_MAXLEN, "pg_sched scheduler for database \"%s\"",
			 NameStr(db->datname));
	strlcpy(bgw.bgw_type, "pg_sched scheduler", BGW_MAXLEN);
	bgw.bgw_main_arg = Int32GetDatum(slotno);
	memcpy(bgw.bgw_extra, &generation, sizeof(generation));
	bgw.bgw_notify_pid = MyProcPid;

	oldcxt = MemoryContextSwitchTo(launcher_cxt);
	if (!RegisterDynamicBackgroundWorker(&bgw, &handle))
	{
		MemoryContextSwitchTo(oldcxt);
		worker_slot_free(slotno, generation);
		return false;
	}
	MemoryContextSwitchTo(oldcxt);

	db->state = DB_RUNNING;
	db->slotno = slotno;
	db->generation = generation;
	db->handle = handle;
	db->started_at = now;
	db->stop_requested = false;
	db->probing = !db->served;
	return true;
}

/* A scheduler left (or never came): read why, free its slot. */
static void
launcher_reaped(LauncherDb *db, SchedulerExitReason reason, TimestampTz now)
{
	worker_slot_free(db->slotno, db->generation);
	slot_freed = true;
	if (db->handle)
		pfree(db->handle);
	db->handle = NULL;
	db->slotno = -1;
	db->probing = false;

	switch (reason)
	{
		case EXIT_NO_EXTENSION:
			db->served = false;
			db->state = DB_NO_EXTENSION;
			db->next_start_at = after_secs(now, NO_EXTENSION_RECHECK_SECS);
			break;
		case EXIT_STOPPED:
			db->state = DB_IDLE;
			db->next_start_at = now;
			break;
		case EXIT_SHUTDOWN:
		case EXIT_ERROR:
			if (reason == EXIT_ERROR && db->eligible)
				ereport(LOG,
						(errmsg("pg_sched scheduler for database \"%s\" exited unexpectedly, restarting it in %d s",
								NameStr(db->datname), RESTART_DELAY_SECS)));
			db->state = DB_IDLE;
			db->next_start_at = after_secs(now, RESTART_DELAY_SECS);
			break;
	}
}

static void
launcher_reap(TimestampTz now)
{
	int			i;

	for (i = 0; i < ndbs; i++)
	{
		LauncherDb *db = &dbs[i];
		SchedulerSlotState state;
		SchedulerExitReason reason;
		bool		serving;

		if (db->state != DB_RUNNING)
			continue;
		if (!worker_slot_poll(db->slotno, db->generation, &state, &reason,
							  &serving))
		{
			launcher_reaped(db, EXIT_ERROR, now);
			continue;
		}
		if (serving)
		{
			db->served = true;
			db->probing = false;
		}
		if (state == SLOT_EXITED)
		{
			/*
			 * Wait until the postmaster has reaped the process too, so that
			 * its worker slot is free for the next start; it tells us.
			 */
			pid_t		pid;

			if (db->handle == NULL ||
				GetBackgroundWorkerPid(db->handle, &pid) == BGWH_STOPPED)
				launcher_reaped(db, reason, now);
			continue;
		}
		if (db->handle != NULL)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(db->handle, &pid) != BGWH_STOPPED)
				continue;
			/* it may have set its exit reason just before it stopped */
			if (worker_slot_poll(db->slotno, db->generation, &state, &reason,
								 &serving) &&
				state == SLOT_EXITED)
				launcher_reaped(db, reason, now);
			else
				launcher_reaped(db, EXIT_ERROR, now);
		}
		else if (state == SLOT_STARTING &&
				 now > after_secs(db->started_at, ADOPTED_START_TIMEOUT_SECS))
			launcher_reaped(db, EXIT_ERROR, now);
	}
}

/*
 * Starts what is due; returns when to look again (0: no deadline).  What
 * waits for a hold to end, for a probe to finish or for a worker slot to
 * free up needs no deadline: each of those wakes the launcher.  Databases
 * known to have pg_sched go first, so that probes never take the last slot
 * from them.
 */
static TimestampTz
launcher_start_due(TimestampTz now)
{
	TimestampTz next = 0;
	int			probes = 0;
	bool		out_of_slots = false;
	int			pass;
	int			i;

	for (i = 0; i < ndbs; i++)
	{
		if (dbs[i].state == DB_RUNNING && dbs[i].probing)
			probes++;
	}

	for (pass = 0; pass < 2; pass++)
	{
		for (i = 0; i < ndbs; i++)
		{
			LauncherDb *db = &dbs[i];
			bool		due;

			if (db->state == DB_RUNNING || !db->eligible ||
				db->served != (pass == 0))
				continue;
			if (worker_database_held(db->dboid))
				continue;
			due = db->next_start_at <= now || (db->start_failed && slot_freed);
			if (due && !out_of_slots &&
				(db->served || probes < MAX_CONCURRENT_PROBES))
			{
				if (launcher_start(db, now))
				{
					db->start_failed = false;
					if (db->probing)
						probes++;
					continue;
				}
				if (!db->start_failed)
					ereport(WARNING,
							(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
							 errmsg("could not start a pg_sched scheduler for database \"%s\"",
									NameStr(db->datname)),
							 errdetail("Every background worker slot is in use."),
							 errhint("Raise max_worker_processes: pg_sched needs one worker per database using it, plus one.")));
				db->start_failed = true;
				db->next_start_at = after_secs(now, RESTART_DELAY_SECS);
				out_of_slots = true;
			}
			if (db->next_start_at > now &&
				(next == 0 || db->next_start_at < next))
				next = db->next_start_at;
		}
	}
	slot_freed = false;
	return next;
}

static void
launcher_report_activity(void)
{
	int			running = 0;
	int			without = 0;
	int			i;
	char		activity[128];

	for (i = 0; i < ndbs; i++)
	{
		if (dbs[i].state == DB_RUNNING && !dbs[i].probing)
			running++;
		else if (dbs[i].state == DB_NO_EXTENSION)
			without++;
	}
	snprintf(activity, sizeof(activity),
			 "%d scheduler%s running, %d database%s without pg_sched",
			 running, running == 1 ? "" : "s",
			 without, without == 1 ? "" : "s");
	pgstat_report_activity(STATE_IDLE, activity);
}

void
pg_sched_launcher_main(Datum main_arg)
{
	TimestampTz next_rescan_at = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	SetConfigOption("application_name", "pg_sched launcher",
					PGC_USERSET, PGC_S_SESSION);

	launcher_cxt = AllocSetContextCreate(TopMemoryContext, "pg_sched launcher",
										 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(launcher_cxt);

	worker_launcher_attach();
	launcher_adopt();
	ereport(LOG, (errmsg("pg_sched launcher started")));

	for (;;)
	{
		TimestampTz now;
		TimestampTz next;
		long		timeout_ms;

		/* before reading anything: a wake-up from now on is kept */
		ResetLatch(MyLatch);

		if (ShutdownRequestPending)
			break;
		worker_process_interrupts();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		now = sched_real_now();
		if (worker_take_rescan_request())
		{
			int			i;

			/* woken: a database or the extension may have come */
			for (i = 0; i < ndbs; i++)
			{
				if (dbs[i].state == DB_NO_EXTENSION)
					dbs[i].next_start_at = now;
			}
			next_rescan_at = now;
		}
		if (now >= next_rescan_at)
		{
			launcher_scan_databases(now);
			next_rescan_at = after_secs(now, RESCAN_SECS);
		}
		launcher_reap(now);
		next = launcher_start_due(now);
		launcher_report_activity();

		if (next == 0 || next > next_rescan_at)
			next = next_rescan_at;
		now = sched_real_now();
		timeout_ms = next <= now ? 0 : (long) ((next - now + 999) / 1000);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout_ms, PG_WAIT_EXTENSION);
	}

	/*
	 * Exit code 1, so that the postmaster starts a launcher again if this
	 * was not a shutdown (pg_terminate_backend); the schedulers stay.
	 */
	proc_exit(1);
}

/* ---- DROP DATABASE and friends ---- */

static void
hold_named_database(const char *dbname)
{
	Oid			dboid;

	if (dbname == NULL)
		return;
	dboid = get_database_oid(dbname, true);
	if (!OidIsValid(dboid) || dboid == MyDatabaseId)
		return;
	if (!pg_database_ownercheck(dboid, GetUserId()))
		return;
	worker_hold_database(dboid);
}

static void
launcher_utility_hook(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_DropdbStmt:
			hold_named_database(((DropdbStmt *) parsetree)->dbname);
			break;
		case T_RenameStmt:
			if (((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE)
				hold_named_database(((RenameStmt *) parsetree)->subname);
			break;
		case T_AlterDatabaseStmt:
			foreach(lc, ((AlterDatabaseStmt *) parsetree)->options)
			{
				DefElem    *defel = lfirst_node(DefElem, lc);

				if (strcmp(defel->defname, "tablespace") == 0)
					hold_named_database(((AlterDatabaseStmt *) parsetree)->dbname);
			}
			/* it may allow or forbid connections, or make a template */
			worker_wake_launcher_at_commit();
			break;
		case T_CreatedbStmt:
			foreach(lc, ((CreatedbStmt *) parsetree)->options)
			{
				DefElem    *defel = lfirst_node(DefElem, lc);

				if (strcmp(defel->defname, "template") == 0 && defel->arg != NULL)
					hold_named_database(defGetString(defel));
			}
			/* a copy of a database with pg_sched has it too */
			worker_wake_launcher_at_commit();
			break;
		case T_DropStmt:
			/* DROP EXTENSION pg_sched: its scheduler leaves at once */
			if (((DropStmt *) parsetree)->removeType == OBJECT_EXTENSION)
				scheduler_wake_at_commit();
			break;
		default:
			break;
	}

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* From _PG_init, when preloaded. */
void
launcher_init(void)
{
	BackgroundWorker bgw;

	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = launcher_utility_hook;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = LAUNCHER_RESTART_SECS;
	strlcpy(bgw.bgw_library_name, "pg_sched", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "pg_sched_launcher_main", BGW_MAXLEN);
	strlcpy(bgw.bgw_name, "pg_sched launcher", BGW_MAXLEN);
	strlcpy(bgw.bgw_type, "pg_sched launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&bgw);
}
