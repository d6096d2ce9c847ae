/*-------------------------------------------------------------------------
 *
 * scheduler.c
 *	  The pg_sched scheduler: one background worker per database with
 *	  pg_sched, started by the launcher (launcher.c), that fires due
 *	  schedules into the queue and keeps the queue's leases and retention.
 *
 * Life of a scheduler ("pg_sched scheduler" in pg_stat_activity, as both
 * backend_type and application_name):
 *
 *	 attach		takes the shared-memory slot the launcher prepared; leaves
 *				at once, without connecting, if the database is held
 *				(DROP DATABASE in progress) or the slot was reused
 *	 connect	to its database, as the bootstrap superuser
 *	 loop		tick, then sleep until the next deadline (below)
 *	 exit		sets its exit reason in the slot, which the launcher reads:
 *				no extension (also after DROP EXTENSION), stopped on
 *				request (a hold, or the database left), SIGTERM, or error
 *
 * A tick is a series of short transactions, each of which first checks
 * that the extension still exists and takes a share lock on it (so DROP
 * EXTENSION waits for the transaction, and the scheduler leaves at its
 * next step instead of failing on missing tables):
 *
 *	 1. schedule_tick(now, SCHEDULER_BATCH) while it returns a full batch,
 *		each batch its own transaction (due schedules are found through the
 *		index on next_due, so a tick costs what is due, not what exists),
 *		counted for sched.scheduler_status() by fire_and_count();
 *	 2. run_close_expire(now), then executor_dispatch() (executor.c: the
 *		SQL executors' runs and processes);
 *	 3. every PURGE_PERIOD_SECS (sooner if a retention GUC is shorter):
 *		schedule_purge_exhausted(now) and run_store_purge_closed() in batches;
 *	 4. the next deadline: min(schedule_next_due(), run_store_next_deadline());
 *	    when it has passed and the tick changed nothing (a due row locked
 *	    by a long transaction), the next deadline after now as well.
 *
 * Then WaitLatch() until that deadline, in milliseconds rounded up, in two
 * parts when it is near (scheduler_sleep(): the kernel lets a long wait
 * overrun by 0.1%), so that an action is written within about a millisecond
 * of its time; capped at one second so that configuration reloads, clock
 * jumps and rows changed without a wake-up are noticed.  Backends wake the scheduler through its
 * latch when they commit a change (worker_shmem.c: the latch is reset
 * before a tick reads anything, so no wake-up is lost).  Never pg_usleep.
 *
 * Clocks: what is due among schedules is decided by schedule_clock()
 * (sched_clock.h: the wall clock plus pg_sched.debug_clock_offset, which
 * tests use to make it jump); the queue's times (leases, start delays, run
 * and execution timeouts, closed_at for retention) are stamped with now()
 * by the backends, so the scheduler compares them with the real clock, and
 * sleeps in real time towards both kinds of deadline.  A wall clock that
 * jumps (more than CLOCK_JUMP_USECS against the monotonic clock) is logged
 * once; a forward jump is ordinary catch-up, and nominal times missed
 * beyond a catch-up window are logged at each tick that drops some; after a
 * jump back the cursors are ahead of the clock, so nothing fires twice.
 *
 * Errors: each step runs under PG_TRY; an error aborts that transaction
 * only, is logged as a WARNING with its original SQLSTATE, message and
 * context, and the loop goes on (the next try comes within a second).
 * Isolating a single failing schedule, so that it cannot hold back the
 * others of its batch, is schedule_tick()'s job (a failing batch is done
 * again schedule by schedule, each in a subtransaction, and one that fails
 * is skipped with a WARNING).
 * Signal handlers only set flags and the latch.  SIGTERM is PostgreSQL's
 * die(): between steps the scheduler leaves cleanly, during a step the next
 * interrupt check ends the process at once (a lock wait included), and the
 * step's transaction aborts, which loses nothing.  Statement cancellation
 * (pg_cancel_backend, or a DROP DATABASE waiting for us) fails the current
 * step like any error; while sleeping it has nothing to cancel and is
 * ignored.  Memory: one context for the process and one reset at every
 * tick; transactions allocate in their own contexts.
 *
 * Crashes: every action is written in the transaction that advances its
 * schedule's cursor (schedule_process.c), and a unique index on (schedule_id,
 * nominal_time) of scheduled runs backs that up, so a crash at any point
 * neither loses nor duplicates a nominal time: after the restart the
 * cursor still points at the first time not acted on, and the catch-up
 * window decides what is still fired.  A scheduler killed by a signal
 * makes the postmaster restart the cluster; one that exits on a FATAL
 * error is restarted by the launcher after a few seconds.
 *
 * Hot standby: the launcher only starts once recovery has finished, so no
 * scheduler runs on a standby; RecoveryInProgress() is checked anyway
 * before every tick, as the cheapest guarantee that a standby never tries
 * to write.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "commands/async.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "audit_store.h"
#include "executor.h"
#include "privileges.h"
#include "run_close.h"
#include "run_store.h"
#include "sched_clock.h"
#include "schedule_tick.h"
#include "sched_guc.h"
#include "sched_wake.h"
#include "worker.h"

/* Schedules per schedule_tick() call, each call its own transaction */
#define SCHEDULER_BATCH			1000
/* Longest sleep */
#define MAX_SLEEP_MS			1000
/* Longest sleep after failing ticks (doubling from MAX_SLEEP_MS) */
#define MAX_FAILURE_SLEEP_MS	30000
/* A sleep towards a deadline wakes this long before it, then sleeps again */
#define PRECISE_MARGIN_MS		3
/* Retention sweeps run this often at most */
#define PURGE_PERIOD_SECS		60
/* Closed runs deleted per transaction, and transactions per tick */
#define PURGE_BATCH				1000
#define PURGE_BATCHES_PER_TICK	10
/* No scheduler waits longer than this for a row lock */
#define SCHEDULER_LOCK_TIMEOUT	"5s"
/* A wall clock that moves this much more or less than elapsed time jumped */
#define CLOCK_JUMP_USECS		(5 * USECS_PER_SEC)

typedef enum SchedulerStep
{
	STEP_FIRE,
	STEP_EXPIRE,
	STEP_EXECUTORS,
	STEP_PURGE_SCHEDULES,
	STEP_PURGE_RUNS,
	STEP_PURGE_AUDIT,
	STEP_NEXT_DEADLINE,
	STEP_LATER_DEADLINE,
	STEP_RELAY
} SchedulerStep;

typedef enum StepResult
{
	STEP_OK,
	STEP_FAILED,
	STEP_NO_EXTENSION,
	STEP_OLD_VERSION			/* waiting for ALTER EXTENSION UPDATE */
} StepResult;

static MemoryContext tick_cxt = NULL;
static char *my_datname = NULL;
static bool extension_seen = false;
static TimestampTz next_purge_at = 0;
static int	failed_ticks = 0;		/* in a row */
/* What the sleep after a tick aims at: a due time, or 0 (just a timeout) */
static TimestampTz sleep_deadline = 0;

/*
 * What the current fire step did, reported to the slot once its
 * transaction has committed (an aborted step fired nothing).
 */
typedef struct FireStats
{
	int64		actions;
	int64		skipped;
	int64		missed;
	int64		failed;
	int64		lateness[SCHED_LATENESS_BUCKETS];
} FireStats;

static FireStats fire_stats;

/*
 * Firing ahead.  A batch of due schedules takes time to read and decide
 * (40 ms for 1,000 here); done after the due time, that is how late its
 * runs commit.  So the scheduler wakes that much before a due time (what
 * the last batch took to prepare, plus half, plus a millisecond; at most
 * MAX_FIRE_LEAD_US), prepares the batch under its row locks, and writes it
 * when the clock reaches the due time (schedule_tick).  Meanwhile the
 * batch's schedules wait for it: a sched.complete() or sched.pause() of one
 * of them waits up to that lead.  fire_ahead is the (real) due time such a
 * wake-up is for.
 */
#define MAX_FIRE_LEAD_US		(50 * 1000)
static int64 fire_lead_us = 0;
static TimestampTz fire_ahead = 0;
/*
 * The due time the last wake-up ahead was for: one per due time, so that a
 * deadline an early tick cannot serve (a lease expiring then, a due
 * schedule locked by someone) is slept for as usual instead of spinning.
 */
static TimestampTz fired_ahead_for = 0;

/* The schedules' clock and elapsed time at the previous tick */
static TimestampTz last_clock = 0;
static instr_time last_elapsed;

/* ScheduleTickStats.on_start: the lateness of a scheduled action, now */
static void
count_lateness(TimestampTz actual, void *arg)
{
	FireStats  *fs = (FireStats *) arg;
	double		ms = (double) (schedule_clock() - actual) / 1000.0;

	fs->lateness[worker_lateness_bucket(Max(ms, 0.0))]++;
}

/*
 * One batch of due schedules (schedule_tick), counted for
 * sched.scheduler_status(): the processing core reports what it started,
 * skipped and missed, and calls back with the actual time of every
 * scheduled action as it writes the run, whose lateness is measured then.
 */
static int64
fire_and_count(TimestampTz now)
{
	ScheduleTickStats stats;
	int64		processed;

	memset(&fire_stats, 0, sizeof(fire_stats));
	memset(&stats, 0, sizeof(stats));
	stats.on_start = count_lateness;
	stats.arg = &fire_stats;
	processed = schedule_tick(now, SCHEDULER_BATCH, &stats);
	if (processed > 0)
		fire_lead_us = Min(stats.prepare_us + stats.prepare_us / 2 + 1000,
						   MAX_FIRE_LEAD_US);
	fire_stats.actions = stats.started;
	fire_stats.skipped = stats.skipped;
	fire_stats.missed = stats.missed;
	fire_stats.failed = stats.failed;
	return processed;
}

/*
 * The real time at which the schedules' clock reads "due": they differ by
 * pg_sched.debug_clock_offset, which tests use to make the clock jump.
 */
static TimestampTz
schedule_due_real(TimestampTz due)
{
	if (due == DT_NOEND)
		return due;
	return due - (int64) pg_sched_debug_clock_offset * USECS_PER_SEC;
}

/*
 * Notices a wall clock that jumped since the previous tick (an NTP step, a
 * manual change, or pg_sched.debug_clock_offset in tests), by comparing how
 * far it moved with the monotonic time that elapsed, and logs it once.
 * Nothing else needs doing: a jump forward is catch-up, whose window
 * decides what still fires (and what is missed, counted and logged by
 * scheduler_tick); after a jump back every schedule's cursor is ahead of
 * the clock, so no nominal time fires twice, and firing resumes once the
 * clock passes the cursors again.
 */
static void
scheduler_check_clock(TimestampTz now)
{
	instr_time	elapsed_now;
	int64		jump;

	INSTR_TIME_SET_CURRENT(elapsed_now);
	if (last_clock != 0)
	{
		instr_time	elapsed = elapsed_now;

		INSTR_TIME_SUBTRACT(elapsed, last_elapsed);
		jump = (now - last_clock) - (int64) INSTR_TIME_GET_MICROSEC(elapsed);
		if (jump <= -CLOCK_JUMP_USECS)
			ereport(LOG,
					(errcode(ERRCODE_WARNING),
					 errmsg("pg_sched scheduler of database \"%s\": the clock went back by %lld seconds",
							my_datname, (long long) (-jump / USECS_PER_SEC)),
					 errdetail("Nominal times already processed do not fire again: each schedule fires again once the clock passes its next nominal time.")));
		else if (jump >= CLOCK_JUMP_USECS)
			ereport(LOG,
					(errcode(ERRCODE_WARNING),
					 errmsg("pg_sched scheduler of database \"%s\": the clock jumped forward by %lld seconds",
							my_datname, (long long) (jump / USECS_PER_SEC)),
					 errdetail("The nominal times that passed are caught up within each schedule's catch-up window; older ones are counted as missed.")));
	}
	last_clock = now;
	last_elapsed = elapsed_now;
}

static const char *
step_activity(SchedulerStep step)
{
	switch (step)
	{
		case STEP_FIRE:
			return "firing due schedules";
		case STEP_EXPIRE:
			return "expiring leases";
		case STEP_EXECUTORS:
			return "dispatching SQL runs to executors";
		case STEP_PURGE_SCHEDULES:
			return "deleting exhausted schedules";
		case STEP_PURGE_RUNS:
			return "deleting closed runs past their retention";
		case STEP_PURGE_AUDIT:
			return "deleting audit entries past their retention";
		case STEP_NEXT_DEADLINE:
		case STEP_LATER_DEADLINE:
			return "finding the next due time";
		case STEP_RELAY:
			return "notifying workers of pending runs";
	}
	return "working";
}

static void
scheduler_exit(SchedulerExitReason reason)
{
	worker_slot_set_exit_reason(reason);
	proc_exit(0);
}

/*
 * Whether pg_sched is installed; if so, holds a share lock on it until the
 * transaction ends, so that a DROP EXTENSION waits for this transaction.
 * The second look, after the lock, sees a DROP that committed meanwhile
 * (taking the lock processes invalidations).
 */
static bool
extension_present(void)
{
	Oid			extoid = get_extension_oid("pg_sched", true);

	if (!OidIsValid(extoid))
		return false;
	LockDatabaseObject(ExtensionRelationId, extoid, 0, AccessShareLock);
	return get_extension_oid("pg_sched", true) == extoid;
}

/*
 * Whether the installed extension is this library's version.  If not (a
 * restart on a new library, ALTER EXTENSION pg_sched UPDATE not yet run),
 * the scheduler waits, saying so once, and takes up its work after the
 * update: its statements are written for its own version's objects.
 */
static bool
extension_current(void)
{
	static bool warned = false;
	char	   *version = priv_installed_version();

	if (version != NULL && strcmp(version, PG_SCHED_VERSION) != 0)
	{
		if (!warned)
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("pg_sched scheduler for database \"%s\" is waiting: the extension is at version %s there, its library at %s",
							my_datname, version, PG_SCHED_VERSION),
					 errhint("Run ALTER EXTENSION pg_sched UPDATE in that database.")));
		warned = true;
		return false;
	}
	warned = false;
	return true;
}

/*
 * The notifications that backends handed over at their commits
 * (scheduler_notify_at_commit): one NOTIFY per task queue, in this
 * transaction.  Returns how many queues.
 */
static int
relay_notifications(void)
{
	char	   *buf = palloc(WORKER_RELAY_BYTES);
	bool		overflow;
	int			len = worker_slot_take_relay(buf, &overflow);
	int			n = 0;

	for (int off = 0; off < len; off += strlen(buf + off) + 1, n++)
		Async_Notify(SCHEDULER_NOTIFY_CHANNEL, buf + off);
	if (overflow)
		n += run_store_notify_pending_queues();
	return n;
}

/*
 * Runs one step in its own transaction.  *result gets the step's count, or
 * for STEP_NEXT_DEADLINE the deadline.
 */
static StepResult
scheduler_run_step(SchedulerStep step, TimestampTz now, int64 *result)
{
	volatile StepResult status = STEP_OK;

	*result = 0;
	memset(&fire_stats, 0, sizeof(fire_stats));
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, step_activity(step));

	PG_TRY();
	{
		if (!extension_present())
			status = STEP_NO_EXTENSION;
		else if (!extension_current())
			status = STEP_OLD_VERSION;
		else
		{
			extension_seen = true;
			switch (step)
			{
				case STEP_FIRE:
					*result = fire_and_count(now);
					break;
				case STEP_EXPIRE:
					*result = run_close_expire(now);
					break;
				case STEP_EXECUTORS:
					*result = executor_dispatch();
					break;
				case STEP_PURGE_SCHEDULES:
					*result = schedule_purge_exhausted(now);
					break;
				case STEP_PURGE_RUNS:
					*result = run_store_purge_closed(now - (int64) pg_sched_run_retention * USECS_PER_SEC,
												 PURGE_BATCH);
					break;
				case STEP_PURGE_AUDIT:
					*result = audit_purge(now - (int64) pg_sched_audit_retention * USECS_PER_SEC,
										  PURGE_BATCH);
					break;
				case STEP_NEXT_DEADLINE:
					*result = Min(schedule_due_real(schedule_next_due(DT_NOBEGIN)),
								  run_store_next_deadline(DT_NOBEGIN));
					break;
				case STEP_RELAY:
					*result = relay_notifications();
					break;
				case STEP_LATER_DEADLINE:
					/* now is real time; next_due is on the schedules' clock */
					*result = Min(schedule_due_real(schedule_next_due(now +
																	  (int64) pg_sched_debug_clock_offset * USECS_PER_SEC)),
								  run_store_next_deadline(now));
					break;
			}
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
		if (step == STEP_FIRE && status == STEP_OK)
			worker_slot_report_actions(fire_stats.actions, fire_stats.skipped,
									   fire_stats.missed, fire_stats.failed,
									   fire_stats.lateness);

		/*
		 * As worker_spi does: without this, the rows the scheduler inserts
		 * and updates never reach the cumulative statistics, so autovacuum
		 * would never vacuum or analyze the queue for them.
		 */
		pgstat_report_stat(false);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/* out of ErrorContext, then clean up and report it as a WARNING */
		MemoryContextSwitchTo(tick_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();

		/* canceled because we are asked to leave: nothing to report */
		edata->elevel = (edata->sqlerrcode == ERRCODE_QUERY_CANCELED &&
						 worker_slot_stop_requested()) ? DEBUG1 : WARNING;
		edata->context = edata->context
			? psprintf("%s\npg_sched scheduler of database \"%s\", %s",
					   edata->context, my_datname, step_activity(step))
			: psprintf("pg_sched scheduler of database \"%s\", %s",
					   my_datname, step_activity(step));
		ThrowErrorData(edata);
		FreeErrorData(edata);
		status = STEP_FAILED;
	}
	PG_END_TRY();

	MemoryContextSwitchTo(tick_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
	return status;
}

static bool
must_leave(void)
{
	return ProcDiePending || worker_slot_stop_requested();
}

static void
leave_if_asked(void)
{
	if (ProcDiePending)
		scheduler_exit(EXIT_SHUTDOWN);
	if (worker_slot_stop_requested())
		scheduler_exit(EXIT_STOPPED);
}

static void
leave_no_extension(void)
{
	ereport(extension_seen ? LOG : DEBUG1,
			(errmsg("pg_sched scheduler for database \"%s\" stopping: extension \"pg_sched\" is not installed there",
					my_datname)));
	scheduler_exit(EXIT_NO_EXTENSION);
}

/* Runs a step; leaves the process when the extension is gone. */
static bool
run_step(SchedulerStep step, TimestampTz now, int64 *result, bool *failed)
{
	StepResult r = scheduler_run_step(step, now, result);

	if (r == STEP_NO_EXTENSION)
		leave_no_extension();
	if (r == STEP_FAILED)
		*failed = true;
	return r == STEP_OK;
}

static int
purge_period_secs(void)
{
	int			secs = Min(Min(pg_sched_schedule_retention, pg_sched_run_retention),
						   pg_sched_audit_retention);

	return Max(1, Min(PURGE_PERIOD_SECS, secs));
}

/*
 * Retention: exhausted schedules, then closed runs and audit entries in
 * batches.
 */
static void
scheduler_purge(TimestampTz now, bool *failed)
{
	int64		n;
	int64		audit_n = 0;
	int			batches = 0;

	next_purge_at = now + (int64) purge_period_secs() * USECS_PER_SEC;
	/* last_event_at is a time of the schedules' clock, closed_at of now() */
	(void) run_step(STEP_PURGE_SCHEDULES, schedule_clock(), &n, failed);
	do
	{
		if (must_leave())
			return;
		if (!run_step(STEP_PURGE_RUNS, now, &n, failed))
			return;
	} while (n == PURGE_BATCH && ++batches < PURGE_BATCHES_PER_TICK);
	/* at (now() of) the audit entries' clock, as run retention */
	batches = 0;
	do
	{
		if (must_leave())
			return;
		if (!run_step(STEP_PURGE_AUDIT, now, &audit_n, failed))
			return;
	} while (audit_n == PURGE_BATCH && ++batches < PURGE_BATCHES_PER_TICK);
	/* more to delete: go on at the next tick */
	if (n == PURGE_BATCH || audit_n == PURGE_BATCH)
		next_purge_at = now;
}

/*
 * One tick; returns how long to sleep, in milliseconds.  idle_spins counts
 * the ticks in a row that found the next deadline already past yet changed
 * nothing (a due schedule locked by someone else is skipped): those sleep
 * a little longer each time instead of spinning.
 */
static long
scheduler_tick(void)
{
	static int	idle_spins = 0;
	TimestampTz now;
	TimestampTz ahead;
	TimestampTz next = DT_NOEND;
	int64		n;
	int64		processed = 0;
	int64		expired = 0;
	int64		missed = 0;
	bool		failed = false;
	long		timeout_ms;
	char		activity[160];

	sleep_deadline = 0;
	scheduler_check_clock(schedule_clock());

	/* a wake-up ahead of a due time (see fire_lead_us): fire for that time */
	ahead = 0;
	if (fire_ahead != 0)
	{
		TimestampTz real = sched_real_now();

		if (fire_ahead > real &&
			fire_ahead - real <= fire_lead_us + PRECISE_MARGIN_MS * 1000)
		{
			ahead = fire_ahead +
				(int64) pg_sched_debug_clock_offset * USECS_PER_SEC;
			fired_ahead_for = fire_ahead;
		}
		fire_ahead = 0;
	}

	/* 1. due schedules, a batch per transaction, by the schedules' clock */
	do
	{
		leave_if_asked();
		now = Max(schedule_clock(), ahead);
		if (!run_step(STEP_FIRE, now, &n, &failed))
			break;
		processed += n;
		missed += fire_stats.missed;
	} while (n == SCHEDULER_BATCH);

	/* no silent gap: what the catch-up window dropped is said once a tick */
	if (missed > 0)
		ereport(LOG,
				(errcode(ERRCODE_WARNING),
				 errmsg("pg_sched scheduler of database \"%s\": %lld nominal time%s missed the catch-up window",
						my_datname, (long long) missed, missed == 1 ? "" : "s"),
				 errdetail("They are not started; sched.describe() counts them per schedule as num_actions_missed_catchup_window.")));

	/* 2. leases, timeouts and start delays: the queue's times follow now() */
	leave_if_asked();
	now = sched_real_now();
	if (run_step(STEP_EXPIRE, now, &n, &failed))
		expired = n;

	/*
	 * 2b. SQL actions: runs of executors that are gone go back to the queue,
	 * commands whose run was closed or asked to cancel are stopped, and
	 * executors are started for due runs (executor.c)
	 */
	leave_if_asked();
	(void) run_step(STEP_EXECUTORS, GetCurrentTimestamp(), &n, &failed);

	/* 3. retention */
	if (now >= next_purge_at)
		scheduler_purge(now, &failed);

	/* 4. the next deadline */
	leave_if_asked();
	if (!run_step(STEP_NEXT_DEADLINE, sched_real_now(), &n, &failed))
		n = DT_NOEND;
	next = (TimestampTz) n;

	now = sched_real_now();
	if (failed)
	{
		/* a lasting failure: log less and retry less often (1 s, 2 s, ...) */
		failed_ticks++;
		timeout_ms = Min((long) MAX_SLEEP_MS << Min(failed_ticks - 1, 5),
						 MAX_FAILURE_SLEEP_MS);
		if (next > now)
			timeout_ms = Min(timeout_ms,
							 (long) Min((next - now + 999) / 1000, MAX_FAILURE_SLEEP_MS));
	}
	else if (next > now)
	{
		TimestampTz wake = next;

		failed_ticks = 0;
		idle_spins = 0;
		if (next != DT_NOEND && fire_lead_us > 0 && next != fired_ahead_for &&
			next - now <= (int64) MAX_SLEEP_MS * 1000)
		{
			fire_ahead = next;
			wake = Max(now, next - fire_lead_us);
		}
		timeout_ms = (next == DT_NOEND) ? MAX_SLEEP_MS :
			(long) Min((wake - now + 999) / 1000, MAX_SLEEP_MS);
		if (wake - now <= (int64) MAX_SLEEP_MS * 1000)
			sleep_deadline = wake;
	}
	else if (processed > 0 || expired > 0)
	{
		failed_ticks = 0;
		idle_spins = 0;
		timeout_ms = 0;
	}
	else
	{
		/*
		 * The deadline has passed, yet the tick changed nothing: what is due
		 * is locked by someone else (a long transaction holding a schedule's
		 * or a run's row; SKIP LOCKED passed it over).  Try it again after
		 * 0, 10, 20, 40, ... 1000 ms, but wake on time for the next deadline
		 * after now: one locked row must not make the others late.
		 */
		failed_ticks = 0;
		idle_spins++;
		timeout_ms = idle_spins == 1 ? 0 :
			Min(10L << Min(idle_spins - 2, 7), MAX_SLEEP_MS);
		if (timeout_ms > 0 &&
			run_step(STEP_LATER_DEADLINE, now, &n, &failed) &&
			(TimestampTz) n != DT_NOEND &&
			(TimestampTz) n - now < (int64) timeout_ms * 1000)
		{
			sleep_deadline = (TimestampTz) n;
			timeout_ms = (long) Max(((TimestampTz) n - now + 999) / 1000, 0);
		}
	}

	worker_slot_report(now, next == DT_NOEND ? 0 : next, (int) processed, failed);
	if (next == DT_NOEND)
		snprintf(activity, sizeof(activity),
				 "sleeping: nothing scheduled (last tick fired %lld schedule%s)",
				 (long long) processed, processed == 1 ? "" : "s");
	else
		snprintf(activity, sizeof(activity),
				 "sleeping until %s (last tick fired %lld schedule%s)",
				 timestamptz_to_str(next),
				 (long long) processed, processed == 1 ? "" : "s");
	pgstat_report_activity(STATE_IDLE, activity);
	return timeout_ms;
}

/*
 * Sleeps timeout_ms or until the latch is set, unless it was set only to
 * relay notifications (scheduler_notify_at_commit): those are sent and the
 * sleep goes on towards the same deadline.  Linux lets a timed wait
 * overrun by up to 0.1% of its length (select_estimate_accuracy(): 1 ms for
 * a second), so a sleep towards a due time stops PRECISE_MARGIN_MS short of
 * it and sleeps the rest again, which overruns by microseconds.  What is
 * left is the rounding up to the millisecond of WaitLatch's timeout.
 */
static void
scheduler_sleep(long timeout_ms)
{
	TimestampTz end = sleep_deadline != 0 ? sleep_deadline :
		sched_real_now() + (int64) timeout_ms * 1000;

	for (;;)
	{
		TimestampTz now = sched_real_now();
		long		ms;
		int			rc;
		bool		last;
		bool		relay;
		bool		failed = false;
		int64		n;

		if (now >= end)
			return;
		ms = (long) ((end - now + 999) / 1000);
		last = !(sleep_deadline != 0 && ms > 2 * PRECISE_MARGIN_MS);
		if (!last)
			ms -= PRECISE_MARGIN_MS;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   ms, PG_WAIT_EXTENSION);
		if (!(rc & WL_LATCH_SET))
		{
			/* the sleep ends, or (near a due time) sleeps the rest */
			if (last)
				return;
			continue;
		}

		/*
		 * Woken only to relay notifications: relay them and sleep on until
		 * the same deadline, without a tick (which would cost every
		 * producer's commit a look at the deadlines).
		 */
		ResetLatch(MyLatch);
		if (worker_slot_take_wake(&relay) || !relay || ConfigReloadPending ||
			ProcDiePending || InterruptPending)
			return;
		MemoryContextReset(tick_cxt);
		(void) run_step(STEP_RELAY, sched_real_now(), &n, &failed);
		if (failed)
			return;
	}
}

/* Session settings that no database or role default may change for us. */
static void
scheduler_session_settings(void)
{
	SetConfigOption("application_name", "pg_sched scheduler",
					PGC_SUSET, PGC_S_OVERRIDE);
	/* our SQL is schema-qualified; nothing in public may capture it */
	SetConfigOption("search_path", "pg_catalog, sched",
					PGC_SUSET, PGC_S_OVERRIDE);
	/* SKIP LOCKED and the lock order assume READ COMMITTED */
	SetConfigOption("default_transaction_isolation", "read committed",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off",
					PGC_SUSET, PGC_S_OVERRIDE);
	/* replica would silence the ON DELETE CASCADE of buffer and backfills */
	SetConfigOption("session_replication_role", "origin",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", SCHEDULER_LOCK_TIMEOUT,
					PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * Every statement of ours is meant to run off an index (a tick costs
	 * what is due, not what exists), and the queue table can grow by
	 * 100,000 rows within one fire, long before autovacuum's next ANALYZE.
	 * A generic plan made on the statistics of an empty or small table
	 * (a fresh install, a TRUNCATE) would be kept: a sequential scan, or
	 * one of the partial indexes on open runs that all cost the same on an
	 * empty table, scanning every open run.  That made large fires
	 * quadratic (bench/README.md, figure 2).  So the scheduler plans each
	 * statement for its parameters and the relations' current sizes (the
	 * planner reads those from the files, not from the statistics), which
	 * costs a fraction of a millisecond a statement, and never plans a
	 * sequential scan where an index serves.
	 */
	SetConfigOption("plan_cache_mode", "force_custom_plan",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("enable_seqscan", "off", PGC_SUSET, PGC_S_OVERRIDE);
}

void
pg_sched_scheduler_main(Datum main_arg)
{
	int			slotno = DatumGetInt32(main_arg);
	uint32		generation;
	Oid			dboid;

	memcpy(&generation, MyBgworkerEntry->bgw_extra, sizeof(generation));

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	/* die(): flags and the latch; a step in progress ends at once (FATAL) */
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (!worker_slot_attach(slotno, generation, &dboid))
		proc_exit(0);

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	scheduler_session_settings();

	tick_cxt = AllocSetContextCreate(TopMemoryContext, "pg_sched tick",
									 ALLOCSET_DEFAULT_SIZES);

	StartTransactionCommand();
	my_datname = MemoryContextStrdup(TopMemoryContext,
									 get_database_name(MyDatabaseId));
	CommitTransactionCommand();
	ereport(DEBUG1,
			(errmsg("pg_sched scheduler for database \"%s\" started", my_datname)));

	for (;;)
	{
		long		timeout_ms;

		/* before reading anything: a wake-up from now on is kept */
		ResetLatch(MyLatch);
		leave_if_asked();
		worker_process_interrupts();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* a shorter retention applies at once */
			next_purge_at = 0;
		}

		MemoryContextReset(tick_cxt);
		MemoryContextSwitchTo(tick_cxt);

		/* the tick happens now: a wake request is served */
		{
			bool		relay;
			bool		failed = false;
			int64		n;

			(void) worker_slot_take_wake(&relay);
			if (relay && !RecoveryInProgress())
				(void) run_step(STEP_RELAY, sched_real_now(), &n, &failed);
		}

		sleep_deadline = 0;
		if (RecoveryInProgress())
		{
			pgstat_report_activity(STATE_IDLE, "waiting for recovery to end");
			timeout_ms = MAX_SLEEP_MS;
		}
		else
			timeout_ms = scheduler_tick();

		scheduler_sleep(timeout_ms);
	}
}
