/*-------------------------------------------------------------------------
 *
 * pg_sched.c
 *	  Module entry point of pg_sched: Temporal-style workflow schedules in
 *	  PostgreSQL.
 *
 * _PG_init defines the pg_sched.* GUCs in every process that loads the
 * library.  Loaded through shared_preload_libraries (the intended set-up),
 * it also requests the workers' shared memory, installs the ProcessUtility
 * hook that keeps schedulers out of DROP DATABASE's way, and registers the
 * launcher, which starts a scheduler in every database with the extension
 * (launcher.c, scheduler.c).  Loaded on demand instead, by the first call
 * of one of its SQL functions, the library works the same except that no
 * worker fires schedules or expires leases, and wake-ups do nothing.
 *
 * Layout (src/README.md has the design): spec/ is the pure-C spec engine
 * (no postgres.h); json_input.c reads jsonb documents strictly; spec_json.c
 * and spec_pgtz.c connect the engine to jsonb and to PostgreSQL's tz
 * database; spec_sql.c holds the SQL functions over specs; schedule_*.c and
 * dispatch.c the schedules; run_store.c, run_close.c and run_policy.c the
 * runs; queue_api.c and workflow_api.c the SQL functions of runs and
 * starts; launcher.c, scheduler.c and worker_shmem.c the background workers;
 * executor*.c the SQL executors, which run the commands of SQL actions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "executor.h"
#include "sched_guc.h"
#include "worker.h"

PG_MODULE_MAGIC;

/* PostgreSQL 15's headers do not declare it. */
void		_PG_init(void);

#define DEFAULT_RETENTION_SECS	(7 * 24 * 60 * 60)
#define DEFAULT_AUDIT_RETENTION_SECS	(90 * 24 * 60 * 60)
/* pg_sched.debug_clock_offset: at most ten years either way */
#define MAX_CLOCK_OFFSET_SECS	(10 * 365 * 24 * 60 * 60)

int			pg_sched_schedule_retention = DEFAULT_RETENTION_SECS;
int			pg_sched_run_retention = DEFAULT_RETENTION_SECS;
int			pg_sched_audit_retention = DEFAULT_AUDIT_RETENTION_SECS;
int			pg_sched_debug_clock_offset = 0;

void
_PG_init(void)
{
	DefineCustomIntVariable("pg_sched.schedule_retention",
							"How long a schedule with nothing left to do is kept after its last event.",
							"A schedule whose spec is exhausted, or whose limited actions are used up, "
							"that is not paused and has nothing buffered, is deleted this long after "
							"it was created, updated or last acted.",
							&pg_sched_schedule_retention,
							DEFAULT_RETENTION_SECS, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_sched.run_retention",
							"How long closed workflow runs are kept.",
							"The scheduler deletes runs closed longer ago than this, in batches.",
							&pg_sched_run_retention,
							DEFAULT_RETENTION_SECS, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_sched.audit_retention",
							"How long the audit trail of schedule changes is kept.",
							"The scheduler deletes entries of sched.audit_log older than this, in batches.",
							&pg_sched_audit_retention,
							DEFAULT_AUDIT_RETENTION_SECS, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_sched.debug_clock_offset",
							"For tests only: added to the clock of schedules.",
							"Shifts the time that decides which nominal times are due, "
							"caught up or missed (the scheduler's ticks and the sched.* "
							"functions), so that tests can make the wall clock jump. "
							"The queue (leases, start delays, timeouts) keeps the real clock.",
							&pg_sched_debug_clock_offset,
							0, -MAX_CLOCK_OFFSET_SECS, MAX_CLOCK_OFFSET_SECS,
							PGC_SUSET, GUC_UNIT_S | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	/* loaded on demand, there are no executors: a setting to show only */
	DefineCustomIntVariable("pg_sched.max_sql_executors",
							"The most SQL executors running at once in the cluster.",
							"Each executor is a background worker that runs the commands of SQL actions "
							"of one database and role; they count against max_worker_processes, "
							"which must also leave room for the launcher and one scheduler per database. "
							"Runs that find no free executor wait in the queue. 0 runs no SQL action.",
							&pg_sched_max_sql_executors,
							4, 0, 1024,
							process_shared_preload_libraries_in_progress ?
							PGC_POSTMASTER : PGC_INTERNAL, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_sched.sql_executor_idle_timeout",
							"How long an SQL executor with nothing to run waits for the next due run before it leaves.",
							"A waiting executor is woken by its scheduler when runs of its database and role "
							"are due, so they start without a new process; it gives its slot up at once when "
							"runs of another database or role find no free one, and leaves for DROP DATABASE. "
							"0: executors leave after their last run.",
							&pg_sched_sql_executor_idle_timeout,
							60, 0, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("pg_sched");

	if (!process_shared_preload_libraries_in_progress)
		return;
	worker_shmem_init();
	executor_shmem_init();
	launcher_init();
}
