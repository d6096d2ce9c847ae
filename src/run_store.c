/*-------------------------------------------------------------------------
 *
 * run_store.c
 *	  The run store: every statement that writes sched.executions, from a
 *	  run's start to its purge, and the lookups of open runs.  The
 *	  decisions (retry or close, the next run of a chain, the schedule's
 *	  reaction) are run_close.c's; the SQL functions of workers are
 *	  queue_api.c's.  SEMANTICS.md part 8 is the behaviour.
 *
 * State machine of a run (status column).  Closed states are final: no
 * statement below ever matches a closed run except the purge.
 *
 *	 from				to			by
 *	 -					scheduled	run_store_start (pending = false)
 *	 -					pending		run_store_start (pending = true)		N
 *	 scheduled			pending		run_close_expire, once due_at passed	N
 *	 pending			running		sched.poll (attempt + 1, new lease)
 *	 running			running		sched.heartbeat (lease renewed),
 *									cancel_workflow, run_store_cancel_schedule_runs
 *									(cancel_requested = true)
 *	 running			pending		run_close_expire, lease expired		N
 *	 running			completed	sched.complete							C
 *	 running			failed		sched.fail (no retry left)				C
 *	 running			scheduled	sched.fail, when the retry policy allows
 *									another try (retries + 1, due after the
 *									backoff)
 *	 running			canceled	sched.canceled
 *	 scheduled, pending	canceled	cancel_workflow, run_store_cancel_schedule_runs
 *	 scheduled			pending		signal_workflow, ending a start delay	N
 *	 any open			timed_out	run_close_expire: execution_deadline
 *									passed, or run_deadline passed and no
 *									retry left								C*
 *	 any open			scheduled	run_close_expire: run_deadline passed
 *									and the retry policy allows another try
 *	 any open			terminated	terminate_workflow,
 *									run_store_terminate_schedule_runs
 *	 any closed			(deleted)	run_store_purge_closed, after the retention
 *
 * N: the transition sends NOTIFY sched_tasks with the task queue as payload
 * ("every run that becomes pending", SEMANTICS.md 8).  C: a run with a
 * cron_schedule then starts the next run of its chain, under the same
 * workflow id (run_close.c; C*: not after an execution timeout, which
 * ends the whole workflow).  Canceled and terminated runs end their chain,
 * and so does a cancellation request: a run whose cancellation was
 * requested is neither retried nor continued, whatever it reports.
 *
 * Retries (SEMANTICS.md 8, Temporal's RetryPolicy): a run without
 * retry_policy is never retried.  With one, a failure (unless
 * non_retryable, or its error_type is one of non_retryable_error_types) or
 * a run timeout (error type "run_timeout") gets another try while
 * retries + 1 < maximum_attempts (0: unlimited) and the try would start
 * before the execution deadline; the run keeps its run id and becomes
 * scheduled after min(initial_interval * backoff_coefficient^retries,
 * maximum_interval) (run_retry_due() in run_policy.c).  A retry is not
 * a close: a schedule still sees the run as running, and pause_on_failure
 * looks only at the close after the last try (SEMANTICS.md 3.3).
 *
 * Timeouts are enforced by the scheduler through run_close_expire(),
 * which run_store_next_deadline() makes it call on time: run_deadline is
 * due_at + run_timeout of the current try (time in the queue counts, as in
 * Temporal), execution_deadline the start time + execution_timeout of the
 * whole workflow, all tries and cron runs.  A timeout closes the run
 * through the same steps as a worker's report (schedule lock, then run,
 * then schedule_run_closed, run_close.c), so pause_on_failure ("paused due to workflow
 * timeout") applies to schedules' runs.
 *
 * Every transition is one UPDATE whose WHERE clause names the states it
 * leaves (status = 'running', status IN (open states)), so it re-checks the
 * state on the row's latest version (READ COMMITTED re-evaluates the WHERE
 * clause of an UPDATE on a row changed meanwhile) and a race ends as "not
 * running", never as a double close.  The closes that must read the run
 * before they decide (a report: retry or close; a timeout: which one, and
 * retry or close) first lock it with SELECT ... FOR NO KEY UPDATE, which
 * also reads the latest version, and decide under that lock.  A report on
 * a run that is not running (closed, terminated, pending again after its
 * lease expired, or scheduled for a retry) is an error that changes
 * nothing (55000).
 *
 * A run that a schedule starts carries a copy of the schedule's search
 * attributes as they are at the start (search_attributes, read by the
 * INSERT itself from the schedule's row, which the starter has locked), as
 * Temporal gives a scheduled workflow its schedule's search attributes;
 * other runs have none.
 *
 * Invariants, kept by the table's constraints as well: closed_at is set
 * exactly for closed runs, lease_expires_at exactly for running ones; at
 * most one open run per workflow id; attempt counts the claims (after a
 * retry and after a lapsed lease alike), retries the tries the retry
 * policy added; started_at is the first claim.  A lease only lapses when
 * run_close_expire puts the run back to pending: until then the run is
 * still running, and its worker's heartbeat or report is accepted (nobody
 * else can hold it).  Reports name a run, not a claim: once a lapsed run
 * has been claimed again, either worker's report closes it, and the
 * other's is refused (at-least-once delivery: the work has been done).
 *
 * Lock order, and why it cannot deadlock.  Two kinds of row locks exist:
 * a schedule's row in sched.schedules and a run's row in sched.executions.
 * The order is schedule first, then runs of that schedule:
 *	- closing a run of a schedule (complete, fail, canceled, the closes of
 *	  cancel_workflow and terminate_workflow) calls schedule_lock() before
 *	  it locks the run, then schedule_run_closed() under both locks (run_close.c);
 *	- run_store_cancel_schedule_runs and run_store_terminate_schedule_runs run
 *	  under the lock of the schedule whose runs they lock (the caller's);
 *	- poll, the lease expiry, the promotion of due scheduled runs and the
 *	  purge lock with SKIP LOCKED: they never wait, so they are never part
 *	  of a wait cycle (a run locked by someone else is being changed by
 *	  them; the next poll or the next tick sees the result);
 *	- the timeouts lock the run's schedule, then the run, both with SKIP
 *	  LOCKED: a run whose schedule or row is locked waits for the next tick;
 *	- heartbeat and signal_workflow wait only for the one run they change
 *	  and hold nothing else;
 *	- a cron chain's next run and sched.start_workflow's run are new rows
 *	  (no run lock to wait for; the unique index on open workflow ids makes
 *	  a concurrent start of the same id wait for the other inserter, which
 *	  holds no schedule it could be waiting for in turn).
 * So a call waits for a run only while holding that run's schedule, and
 * the other holder of the run either holds the same schedule (impossible:
 * we hold it) or never waits.  And a call never waits for a schedule while
 * holding a run.  The argument covers one call per transaction, which is
 * how workers use these functions (autocommit).  A transaction that polls
 * or heartbeats a run and then reports on it holds the run before it asks
 * for the schedule: if a cancel_workflow, terminate_workflow or
 * cancel_other/terminate_other of the same run holds the schedule at that
 * moment, PostgreSQL's deadlock detector aborts one of the two (40P01, to
 * be retried).  A stress run (pgbench: pollers, heartbeats, reports,
 * cancels and terminates of runs of one schedule, 1-second leases expired
 * by the scheduler) saw no deadlock with one call per transaction, and
 * this one with heartbeat and report in one transaction.
 *
 * Privileges (privileges.c): every SQL function here does its table work
 * as the extension's owner (priv_enter) and checks the run's owner and
 * task queue against the caller.  A run the caller may not read is
 * reported as not existing (42704); poll claims only the runs of the
 * caller's roles unless it may work the whole queue; cancel, terminate and
 * signal need the run's owner (or sched_admin), a queue grant is not
 * enough (42501).
 *
 * Every query is a kept generic plan (spi_query.h), prepared on first use
 * in a session: poll is the hottest path of the product, one statement
 * with no extra round trip and no planning per call.  Plans are generic:
 * each query is an index lookup whose best plan does not depend on the
 * parameter values, and the plan cache would otherwise keep planning poll
 * afresh at every call (its custom plans look cheaper than the generic
 * one, whose LIMIT $3 it cannot estimate), which costs more than
 * executing it.  The batch inserts of the tick and of backfills are
 * planned by the plan cache (their arrays' sizes matter).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "privileges.h"
#include "run_store.h"
#include "sched_clock.h"
#include "sched_limits.h"
#include "sched_wake.h"
#include "schedule_json.h"
#include "spi_query.h"

/*
 * The status tests of statements that find one run by its id.  Written as
 * "(...) IS TRUE" so that the planner cannot prove a partial index's
 * predicate from them: the partial indexes on status (executions_lease,
 * executions_open_workflow_id) are small when the table is analyzed and
 * then grow, and a generic plan that scanned one of them whole instead of
 * the primary key made every close slower than the last (issue 12).
 */
#define RUN_IS_RUNNING	"(status = 'running') IS TRUE"
#define RUN_IS_OPEN		"(status IN " RUN_OPEN_STATES ") IS TRUE"

/*
 * sched.poll: claims the oldest due pending runs of a task queue.  The
 * ARRAY() subquery is an initplan: it picks and locks the rows exactly
 * once (a subquery in IN could be rescanned by a nested loop, and SKIP
 * LOCKED would then pick other rows), through executions_poll (task_queue,
 * due_at) WHERE status = 'pending'; the UPDATE then finds them by primary
 * key whatever their number, where a join would be planned for the tenth
 * of the table that a generic plan assumes LIMIT $3 returns.  The outer
 * sort only orders at most max_tasks rows, oldest due first, for the
 * caller; a schedule's catch-up writes its runs with one due time, so
 * they come in nominal order (across calls, the index returns equal due
 * times in the order of their heap rows, which is the order of insertion
 * while the table only grows).
 */
#define POLL_COLUMNS 9
static SpiQuery q_poll = {
	.generic = true,
	.sql =
	"WITH claimed AS ("
	"  UPDATE sched.executions e"
	"     SET status = 'running', attempt = e.attempt + 1, worker = $2,"
	"         started_at = coalesce(e.started_at, now()),"
	"         lease_expires_at = now() + $4, lease_duration = $4"
	"   WHERE e.run_id = ANY (ARRAY("
	"           SELECT run_id FROM sched.executions"
	"            WHERE task_queue = $1 AND status = 'pending'"
	"              AND due_at <= now()"
	"              AND ($5 OR sched.may_access(owner, $6))"
	"            ORDER BY due_at LIMIT $3"
	"            FOR NO KEY UPDATE SKIP LOCKED))"
	"  RETURNING e.run_id, e.workflow_id, e.workflow, e.args, e.attempt,"
	"            e.schedule_id, e.nominal_time, e.last_completion_result,"
	"            e.due_at, e.last_failure)"
	" SELECT run_id, workflow_id, workflow, args, attempt, schedule_id,"
	"        nominal_time, last_completion_result, last_failure"
	"   FROM claimed ORDER BY due_at, nominal_time, run_id",
	.nargs = 6,
	.argtypes = {TEXTOID, TEXTOID, INT4OID, INTERVALOID, BOOLOID, OIDOID},
};

/*
 * sched.heartbeat.  Details given replace the recorded ones; NULL keeps
 * them, so a heartbeat that only renews the lease loses no progress.  A run
 * claimed before lease_duration existed gets poll's default lease.
 */
static SpiQuery q_heartbeat = {
	.generic = true,
	.sql =
	"UPDATE sched.executions"
	"   SET lease_expires_at = now() + coalesce(lease_duration,"
	"                                           interval '30 seconds'),"
	"       last_heartbeat_at = now(),"
	"       heartbeat_details = coalesce($2, heartbeat_details)"
	" WHERE run_id = $1 AND " RUN_IS_RUNNING
	" RETURNING cancel_requested",
	.nargs = 2,
	.argtypes = {UUIDOID, JSONBOID},
};

static SpiQuery q_run_lookup_many = {
	.generic = true,
	.sql =
	"SELECT run_id, status, schedule_id, owner::text, task_queue"
	"  FROM sched.executions WHERE run_id = ANY ($1)",
	.nargs = 1,
	.argtypes = {UUIDARRAYOID},
};

static SpiQuery q_run_lookup = {
	.generic = true,
	.sql =
	"SELECT status, schedule_id, owner::text, task_queue"
	"  FROM sched.executions WHERE run_id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID},
};

/*
 * A run's row as the closing paths need it (RunRow, run_load()), locked.
 * The report's variant waits for the lock (its caller holds the run's
 * schedule: the banner's order); the timeout's skips a locked run and
 * re-checks that it is open and past a deadline.
 */
#define RUN_COLUMNS_AFTER_STATUS \
	" workflow_id, workflow, task_queue, args, memo," \
	"       owner::text, schedule_id, nominal_time, cron_schedule," \
	"       retry_policy, retries, run_timeout, execution_timeout," \
	"       execution_deadline, run_deadline, cancel_requested," \
	"       last_completion_result, last_failure"
#define RUN_COLUMNS \
	"SELECT status," RUN_COLUMNS_AFTER_STATUS "  FROM sched.executions"

/*
 * A completion in one statement (the run's lock, check and close): the row
 * as q_run_lock reads it (with the status it had), then close_reason.
 */
static SpiQuery q_complete_running = {
	.generic = true,
	.sql =
	"UPDATE sched.executions"
	"   SET status = 'completed', closed_at = now(), lease_expires_at = NULL,"
	"       result = $2, error = NULL, error_type = NULL"
	" WHERE run_id = $1 AND " RUN_IS_RUNNING
	" RETURNING 'running'::text," RUN_COLUMNS_AFTER_STATUS ", close_reason",
	.nargs = 2,
	.argtypes = {UUIDOID, JSONBOID},
};

static SpiQuery q_run_lock = {
	.generic = true,
	.sql = RUN_COLUMNS " WHERE run_id = $1 FOR NO KEY UPDATE",
	.nargs = 1,
	.argtypes = {UUIDOID},
};

static SpiQuery q_run_lock_timeout = {
	.generic = true,
	.sql = RUN_COLUMNS
	" WHERE run_id = $1 AND " RUN_IS_OPEN
	"   AND (run_deadline <= $2 OR execution_deadline <= $2)"
	" FOR NO KEY UPDATE SKIP LOCKED",
	.nargs = 2,
	.argtypes = {UUIDOID, TIMESTAMPTZOID},
};

/* A worker's report: running -> completed, failed or canceled. */
static SpiQuery q_close_running = {
	.generic = true,
	.sql =
	"UPDATE sched.executions"
	"   SET status = $2, closed_at = now(), lease_expires_at = NULL,"
	"       result = $3, error = $4, error_type = $5"
	" WHERE run_id = $1 AND " RUN_IS_RUNNING
	" RETURNING close_reason",
	.nargs = 5,
	.argtypes = {UUIDOID, TEXTOID, JSONBOID, TEXTOID, TEXTOID},
};

/*
 * A retry: the run waits for its backoff (due_at = $2) as scheduled, and
 * its next try gets a run deadline of its own.  Run under the run's lock.
 */
static SpiQuery q_retry_run = {
	.generic = true,
	.sql =
	"UPDATE sched.executions"
	"   SET status = 'scheduled', due_at = $2, retries = retries + 1,"
	"       worker = NULL, lease_expires_at = NULL, error = $3,"
	"       error_type = $4, run_deadline = $2 + run_timeout"
	" WHERE run_id = $1 AND " RUN_IS_OPEN,
	.nargs = 4,
	.argtypes = {UUIDOID, TIMESTAMPTZOID, TEXTOID, TEXTOID},
};

/* A timeout: any open state -> timed_out.  Run under the run's lock. */
static SpiQuery q_time_out_run = {
	.generic = true,
	.sql =
	"UPDATE sched.executions"
	"   SET status = 'timed_out', closed_at = now(), lease_expires_at = NULL,"
	"       error = $2, error_type = $3"
	" WHERE run_id = $1 AND " RUN_IS_OPEN,
	.nargs = 3,
	.argtypes = {UUIDOID, TEXTOID, TEXTOID},
};

/*
 * Runs past a deadline, oldest first, without locks: each is then locked
 * and re-checked on its own.  Two range scans (executions_run_deadline and
 * executions_execution_deadline), so a tick costs what is due, not what is
 * open; a run past both deadlines comes twice, and the second time finds
 * it closed.
 */
static SpiQuery q_timeout_candidates = {
	.generic = true,
	.sql =
	"SELECT run_id, schedule_id FROM ("
	"  (SELECT run_id, schedule_id, run_deadline AS deadline"
	"     FROM sched.executions"
	"    WHERE status IN " RUN_OPEN_STATES " AND run_deadline <= $1"
	"    ORDER BY run_deadline LIMIT $2)"
	"  UNION ALL"
	"  (SELECT run_id, schedule_id, execution_deadline"
	"     FROM sched.executions"
	"    WHERE status IN " RUN_OPEN_STATES " AND execution_deadline <= $1"
	"    ORDER BY execution_deadline LIMIT $2)) due"
	" ORDER BY deadline LIMIT $2",
	.nargs = 2,
	.argtypes = {TIMESTAMPTZOID, INT4OID},
};

/*
 * signal_workflow: the open run, locked.  "delayed": it waits for its start
 * delay (not for a cron time, which start_delay excludes, nor for a retry's
 * backoff, which comes with retries > 0).
 */
static SpiQuery q_signal_lock = {
	.generic = true,
	.sql =
	"SELECT run_id, status = 'scheduled' AND start_delay IS NOT NULL"
	"       AND retries = 0, owner::text, task_queue,"
	"       coalesce(jsonb_array_length(signals), 0)"
	"  FROM sched.executions"
	" WHERE workflow_id = $1 AND status IN " RUN_OPEN_STATES
	" FOR NO KEY UPDATE",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

static SpiQuery q_signal_run = {
	.generic = true,
	.sql =
	"UPDATE sched.executions"
	"   SET signals = coalesce(signals, '[]'::jsonb) || jsonb_build_array("
	"         jsonb_build_object('signal', $2::text, 'payload', $3::jsonb,"
	"                            'at', $4::timestamptz)),"
	"       status = CASE WHEN $5 THEN 'pending' ELSE status END,"
	"       due_at = CASE WHEN $5 THEN $4 ELSE due_at END,"
	"       run_deadline = CASE WHEN $5 THEN $4 + run_timeout"
	"                           ELSE run_deadline END"
	" WHERE run_id = $1"
	" RETURNING task_queue",
	.nargs = 5,
	.argtypes = {UUIDOID, TEXTOID, JSONBOID, TIMESTAMPTZOID, BOOLOID},
};

/* The open run of a workflow id (executions_open_workflow_id). */
static SpiQuery q_open_run = {
	.generic = true,
	.sql =
	"SELECT run_id, status, schedule_id, owner::text, task_queue"
	"  FROM sched.executions"
	" WHERE workflow_id = $1 AND status IN " RUN_OPEN_STATES,
	.nargs = 1,
	.argtypes = {TEXTOID},
};

/*
 * The latest run of a workflow id that the caller may read, for the "no
 * open run" error ($2-$4: priv_run_filter).
 */
static SpiQuery q_latest_visible_run = {
	.generic = true,
	.sql =
	"SELECT run_id::text, status FROM sched.executions WHERE workflow_id = $1"
	"   AND" RUN_READABLE("$2", "$3", "$4")
	" ORDER BY created_at DESC, run_id LIMIT 1",
	.nargs = 4,
	.argtypes = {TEXTOID, BOOLOID, OIDOID, TEXTARRAYOID},
};

/* The latest run of a workflow id, whoever owns it (id reuse policies). */
static SpiQuery q_latest_run = {
	.generic = true,
	.sql =
	"SELECT run_id::text, status, owner::text FROM sched.executions"
	" WHERE workflow_id = $1"
	" ORDER BY created_at DESC, run_id LIMIT 1",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

/*
 * A cancellation: scheduled and pending runs close as canceled at once,
 * running ones get the request their worker sees in its next heartbeat.
 * The CASEs read the row's latest version, so a run claimed meanwhile gets
 * the request rather than being closed under its worker.  A reason given
 * replaces an earlier one; NULL keeps it.  RETURNING gives the new status.
 */
#define CANCEL_SET \
	"UPDATE sched.executions" \
	"   SET status = CASE WHEN status = 'running' THEN status" \
	"                     ELSE 'canceled' END," \
	"       closed_at = CASE WHEN status = 'running' THEN NULL" \
	"                        ELSE now() END," \
	"       cancel_requested = true," \
	"       close_reason = coalesce($2, close_reason)"

static SpiQuery q_cancel_run = {
	.generic = true,
	.sql = CANCEL_SET
	" WHERE run_id = $1 AND " RUN_IS_OPEN
	" RETURNING status, workflow_id",
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
};

static SpiQuery q_cancel_schedule_runs = {
	.generic = true,
	.sql = CANCEL_SET
	" WHERE schedule_id = $1 AND " RUN_OPEN_TRACKED
	" AND created_at >= $3"
	" RETURNING status",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, TIMESTAMPTZOID},
};

#define TERMINATE_SET \
	"UPDATE sched.executions" \
	"   SET status = 'terminated', closed_at = now(), lease_expires_at = NULL," \
	"       close_reason = $2"

static SpiQuery q_terminate_run = {
	.generic = true,
	.sql = TERMINATE_SET
	" WHERE run_id = $1 AND " RUN_IS_OPEN
	" RETURNING workflow_id",
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
};

static SpiQuery q_terminate_schedule_runs = {
	.generic = true,
	.sql = TERMINATE_SET
	" WHERE schedule_id = $1 AND " RUN_OPEN_TRACKED
	" AND created_at >= $3",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, TIMESTAMPTZOID},
};

/*
 * run_store_start.  ON CONFLICT DO NOTHING without a conflict target: every
 * unique index is an arbiter, partial ones included when the new row
 * satisfies their predicate, so one statement covers both "the workflow id
 * has an open run" (executions_open_workflow_id) and "this nominal time was
 * already started" (executions_schedule_nominal).  A conflict target would
 * name one index only (and must repeat its predicate), leaving the other to
 * raise unique_violation; and a pre-check, even under the schedule lock,
 * would not see a concurrent sched.start_workflow of the same id, which
 * takes no schedule lock.  Speculative insertion makes the concurrent case
 * wait for the other inserter and then do nothing, without an error.
 */
/*
 * A run's created_at: its transaction's start, but never before its
 * schedule's (this incarnation's) created_at.  A transaction that began
 * before a schedule was deleted and created again under the same id, and
 * then starts a run of the new one, makes a run of the new incarnation:
 * the overlap policy and the counters find a schedule's runs by
 * created_at >= the schedule's.
 */
#define RUN_CREATED_AT(sid) \
	" GREATEST(now(), (SELECT s.created_at FROM sched.schedules s" \
	"  WHERE s.schedule_id = " sid "))"

static SpiQuery q_start_run = {
	.generic = true,
	.sql =
	"INSERT INTO sched.executions"
	"  (run_id, workflow_id, workflow, task_queue, args, memo, start_kind,"
	"   schedule_id, nominal_time, scheduled_at, overlap_tracked,"
	"   last_completion_result, due_at, status, retry_policy, run_timeout,"
	"   execution_timeout, run_deadline, execution_deadline, cron_schedule,"
	"   start_delay, owner, search_attributes, last_failure, created_at)"
	" VALUES (gen_random_uuid(), $1, $2, $3, coalesce($4, '[]'::jsonb), $5,"
	"         $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $12 + $15,"
	"         $17, $18, $19,"
	"         coalesce($20::name, (SELECT s.owner FROM sched.schedules s"
	"                               WHERE s.schedule_id = $7), current_user),"
	"         (SELECT s.search_attributes FROM sched.schedules s"
	"           WHERE s.schedule_id = $7),"
	"         $21," RUN_CREATED_AT("$7") ")"
	" ON CONFLICT DO NOTHING"
	" RETURNING run_id",
	.nargs = 21,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, TEXTOID,
		TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, BOOLOID, JSONBOID,
		TIMESTAMPTZOID, TEXTOID, JSONBOID, INTERVALOID, INTERVALOID,
	TIMESTAMPTZOID, TEXTOID, INTERVALOID, TEXTOID, JSONBOID},
};

/* executions_schedule_open */
static SpiQuery q_schedule_open_runs = {
	.generic = true,
	.sql =
	"SELECT count(*)::integer FROM sched.executions"
	" WHERE schedule_id = $1 AND " RUN_OPEN_TRACKED
	" AND created_at >= $2",
	.nargs = 2,
	.argtypes = {TEXTOID, TIMESTAMPTZOID},
};

/*
 * Lease expiry (executions_lease): running -> pending, claimable at once
 * (due_at = now; it queues behind runs due earlier).  attempt goes up at
 * the next claim.  SKIP LOCKED: a locked run is being reported on or
 * renewed right now, and waiting for it could close a cycle with a closer
 * that holds its schedule (see the banner).  Picked and updated as poll
 * does, and so are the two statements below.
 */
static SpiQuery q_expire_leases = {
	.generic = true,
	.sql =
	"WITH x AS ("
	"UPDATE sched.executions"
	"   SET status = 'pending', worker = NULL, lease_expires_at = NULL,"
	"       due_at = $1"
	" WHERE run_id = ANY (ARRAY("
	"         SELECT run_id FROM sched.executions"
	"          WHERE status = 'running' AND lease_expires_at <= $1"
	"          FOR NO KEY UPDATE SKIP LOCKED))"
	" RETURNING task_queue),"
	/* the lease_expiries counter of sched.queue_metrics (80_metrics.sql) */
	" c AS (INSERT INTO sched.run_totals AS t (task_queue, lease_expiries)"
	"       SELECT task_queue, count(*) FROM x GROUP BY 1"
	"       ON CONFLICT (task_queue, schedule_id) DO UPDATE"
	"       SET lease_expiries = t.lease_expiries + excluded.lease_expiries)"
	" SELECT task_queue FROM x",
	.nargs = 1,
	.argtypes = {TIMESTAMPTZOID},
};

/* Scheduled runs whose due time has come (executions_scheduled_due). */
static SpiQuery q_promote_scheduled = {
	.generic = true,
	.sql =
	"UPDATE sched.executions SET status = 'pending'"
	" WHERE run_id = ANY (ARRAY("
	"         SELECT run_id FROM sched.executions"
	"          WHERE status = 'scheduled' AND due_at <= $1"
	"          FOR NO KEY UPDATE SKIP LOCKED))"
	" RETURNING task_queue",
	.nargs = 1,
	.argtypes = {TIMESTAMPTZOID},
};

/* Retention (executions_closed), oldest first, one batch. */
static SpiQuery q_purge_closed = {
	.generic = true,
	.sql =
	"DELETE FROM sched.executions"
	" WHERE run_id = ANY (ARRAY("
	"         SELECT run_id FROM sched.executions"
	"          WHERE closed_at < $1 ORDER BY closed_at LIMIT $2"
	"          FOR UPDATE SKIP LOCKED))",
	.nargs = 2,
	.argtypes = {TIMESTAMPTZOID, INT4OID},
};

/*
 * Four index probes: executions_lease, executions_scheduled_due,
 * executions_run_deadline and executions_execution_deadline.
 */
static SpiQuery q_next_deadline = {
	.generic = true,
	.sql =
	"SELECT least((SELECT min(lease_expires_at) FROM sched.executions"
	"               WHERE status = 'running' AND lease_expires_at > $1),"
	"             (SELECT min(due_at) FROM sched.executions"
	"               WHERE status = 'scheduled' AND due_at > $1),"
	"             (SELECT min(run_deadline) FROM sched.executions"
	"               WHERE status IN " RUN_OPEN_STATES " AND run_deadline > $1),"
	"             (SELECT min(execution_deadline) FROM sched.executions"
	"               WHERE status IN " RUN_OPEN_STATES
	"                 AND execution_deadline > $1))",
	.nargs = 1,
	.argtypes = {TIMESTAMPTZOID},
};

/*
 * sched.describe_workflow: the latest run (the open one first if two runs
 * share a creation time, as a terminate-and-restart in one transaction
 * makes), and how many runs the id has had.
 */
static SpiQuery q_describe_workflow = {
	.generic = true,
	.sql =
	"SELECT jsonb_build_object("
	"  'run_id', run_id, 'workflow_id', workflow_id, 'workflow', workflow,"
	"  'task_queue', task_queue, 'status', status, 'args', args,"
	"  'attempt', attempt, 'worker', worker, 'start_kind', start_kind,"
	"  'schedule_id', schedule_id, 'nominal_time', nominal_time,"
	"  'scheduled_at', scheduled_at, 'due_at', due_at,"
	"  'created_at', created_at, 'started_at', started_at,"
	"  'closed_at', closed_at, 'lease_expires_at', lease_expires_at,"
	"  'last_heartbeat_at', last_heartbeat_at,"
	"  'cancel_requested', cancel_requested, 'result', result,"
	"  'error', error, 'close_reason', close_reason,"
	"  'heartbeat_details', heartbeat_details, 'memo', memo,"
	"  'last_completion_result', last_completion_result,"
	"  'last_failure', last_failure,"
	"  'runs', (SELECT count(*) FROM sched.executions c"
	"            WHERE c.workflow_id = $1"
	"              AND ($2 OR sched.may_access(c.owner, $3)"
	"                   OR c.task_queue = ANY ($4))))"
	/* the options of retries, timeouts and cron chains, when set */
	"  || jsonb_strip_nulls(jsonb_build_object("
	"       'error_type', error_type, 'cron_schedule', cron_schedule,"
	"       'start_delay', start_delay, 'run_timeout', run_timeout,"
	"       'execution_timeout', execution_timeout,"
	"       'run_deadline', run_deadline,"
	"       'execution_deadline', execution_deadline))"
	"  || CASE WHEN retry_policy IS NULL THEN '{}'::jsonb"
	"          ELSE jsonb_build_object('retry_policy', retry_policy,"
	"                                  'retries', retries) END"
	"  || CASE WHEN signals IS NULL THEN '{}'::jsonb"
	"          ELSE jsonb_build_object('signals', signals) END"
	"  FROM sched.executions WHERE workflow_id = $1"
	"   AND" RUN_READABLE("$2", "$3", "$4")
	" ORDER BY created_at DESC, status IN " RUN_OPEN_STATES " DESC, run_id"
	" LIMIT 1",
	.nargs = 4,
	.argtypes = {TEXTOID, BOOLOID, OIDOID, TEXTARRAYOID},
};
/*
 * The tick's batch: the rows run_store_start() writes for scheduled,
 * pending starts, in one INSERT ... SELECT FROM unnest().  Without ON
 * CONFLICT, the insert does not probe each unique index twice
 * (speculative insertion), which was a tenth of a fire's time.
 */
static SpiQuery q_start_batch = {
	.sql =
	"INSERT INTO sched.executions"
	" (run_id, workflow_id, workflow, task_queue, args,"
	" memo, start_kind, schedule_id, nominal_time,"
	" scheduled_at, overlap_tracked,"
	" last_completion_result, due_at, status,"
	" retry_policy, run_timeout, execution_timeout,"
	" run_deadline, execution_deadline, owner,"
	" created_at, search_attributes, last_failure)"
	" SELECT pg_catalog.gen_random_uuid(), u.wf, u.w,"
	" u.q, coalesce(u.a, '[]'::jsonb), u.m, u.k, u.s,"
	" u.n, u.sa, u.t, u.l, $1, 'pending', u.r, u.rt,"
	" u.et, $1 + u.rt, $1 + u.et,"
	" coalesce(u.o::name, current_user), $18,"
	" (SELECT s.search_attributes FROM sched.schedules s"
	"   WHERE s.schedule_id = u.s), u.f"
	" FROM ROWS FROM (pg_catalog.unnest($2),"
	" pg_catalog.unnest($3), pg_catalog.unnest($4),"
	" pg_catalog.unnest($5), pg_catalog.unnest($6),"
	" pg_catalog.unnest($7), pg_catalog.unnest($8),"
	" pg_catalog.unnest($9), pg_catalog.unnest($10),"
	" pg_catalog.unnest($11), pg_catalog.unnest($12),"
	" pg_catalog.unnest($13), pg_catalog.unnest($14),"
	" pg_catalog.unnest($15), pg_catalog.unnest($16),"
	" pg_catalog.unnest($17))"
	" AS u(wf, w, q, a, m, k, s, n, sa, t, l, r, rt, et, o, f)",
	.nargs = 18,
	.argtypes = {TIMESTAMPTZOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		JSONBARRAYOID, JSONBARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, BOOLARRAYOID,
		JSONBARRAYOID, JSONBARRAYOID, INTERVALARRAYOID, INTERVALARRAYOID,
	TEXTARRAYOID, JSONBARRAYOID, TIMESTAMPTZOID},
};

/*
 * allow_all backfill runs: the same row that run_store_start() writes for
 * an untracked start, in one INSERT ... SELECT FROM unnest().
 */
static SpiQuery q_start_backfill = {
	.sql =
	"INSERT INTO sched.executions (run_id, workflow_id,"
	" workflow, task_queue, args, memo, status,"
	" start_kind, schedule_id, nominal_time,"
	" scheduled_at, overlap_tracked, due_at,"
	" retry_policy, run_timeout, execution_timeout,"
	" run_deadline, execution_deadline, owner, search_attributes,"
	" created_at)"
	" SELECT pg_catalog.gen_random_uuid(), u.w, $1, $2,"
	" $3, $4, 'pending', 'backfill', $5, u.n, u.a,"
	" false, $6, $10, $11, $12,"
	" $6 + $11, $6 + $12,"
	" coalesce($13::name, (SELECT s.owner FROM sched.schedules s"
	"   WHERE s.schedule_id = $5)),"
	" (SELECT s.search_attributes FROM sched.schedules s"
	"   WHERE s.schedule_id = $5),"
	RUN_CREATED_AT("$5")
	" FROM ROWS FROM (pg_catalog.unnest($7), pg_catalog.unnest($8),"
	" pg_catalog.unnest($9)) AS u(w, n, a)"
	" ON CONFLICT DO NOTHING",
	.nargs = 13,
	.argtypes = {TEXTOID, TEXTOID, JSONBOID, JSONBOID,
		TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID,
	TIMESTAMPTZARRAYOID, JSONBOID, INTERVALOID, INTERVALOID, TEXTOID},
};

/*
 * Many reports of completion at once: the running runs without schedule
 * and without cron chain among them close, in one UPDATE (which locks and
 * re-checks each row as the one-run close does); the others are left.
 */
static SpiQuery q_complete_many = {
	.generic = true,
	.sql =
	"UPDATE sched.executions e"
	"   SET status = 'completed', closed_at = now(), lease_expires_at = NULL,"
	"       result = u.r, error = NULL, error_type = NULL"
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(id, r)"
	" WHERE e.run_id = u.id AND (e.status = 'running') IS TRUE"
	"   AND e.cron_schedule IS NULL"
	" RETURNING e.run_id, e.workflow_id",
	.nargs = 2,
	.argtypes = {UUIDARRAYOID, JSONBARRAYOID},
};

/* ---- helpers ---- */

char *
run_id_string(const pg_uuid_t *run_id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out,
											   UUIDPGetDatum(run_id)));
}

Interval *
run_usecs_interval(int64 usecs)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->day = (int32) (usecs / USECS_PER_DAY);
	iv->time = usecs % USECS_PER_DAY;
	return iv;
}

int64
run_interval_usecs(const Interval *iv)
{
	return iv == NULL ? 0 : iv->day * USECS_PER_DAY + iv->time;
}

/* A copy of s in the memory context that was current at SPI_connect. */
static char *
out_string(const char *s)
{
	char	   *r;

	if (s == NULL)
		return NULL;
	r = SPI_palloc(strlen(s) + 1);
	strcpy(r, s);
	return r;
}

static Jsonb *
out_jsonb(Jsonb *jb)
{
	return jb ? (Jsonb *) SPI_datumTransfer(PointerGetDatum(jb), false, -1) : NULL;
}

static Interval *
out_interval(Interval *iv)
{
	Interval   *r;

	if (iv == NULL)
		return NULL;
	r = SPI_palloc(sizeof(Interval));
	*r = *iv;
	return r;
}

/*
 * Runs q (an UPDATE ... RETURNING task_queue) and notifies sched_tasks once
 * per task queue (PostgreSQL folds equal notifications of a transaction
 * into one).  Returns the number of runs.
 */
static int
make_pending(SpiQuery *q, TimestampTz now)
{
	Datum		values[1] = {TimestampTzGetDatum(now)};
	uint64		n = spi_run(q, values, NULL, false, 0);

	for (uint64 i = 0; i < n; i++)
	{
		char	   *task_queue = spi_text(i, 1);

		scheduler_notify_at_commit(task_queue);
		pfree(task_queue);
	}
	return (int) n;
}

/* ---- starts ---- */

bool
run_store_start(const RunStart *rs, pg_uuid_t *run_id)
{
	Datum		values[21];
	char		nulls[21];
	bool		started;
	TimestampTz now = sched_real_now();
	TimestampTz execution_deadline = rs->execution_deadline;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(rs->workflow_id);
	values[1] = CStringGetTextDatum(rs->workflow);
	values[2] = CStringGetTextDatum(rs->task_queue);
	values[3] = rs->args ? JsonbPGetDatum(rs->args) : (Datum) 0;
	nulls[3] = rs->args ? ' ' : 'n';
	values[4] = rs->memo ? JsonbPGetDatum(rs->memo) : (Datum) 0;
	nulls[4] = rs->memo ? ' ' : 'n';
	values[5] = CStringGetTextDatum(rs->start_kind);
	values[6] = spi_text_or_null(rs->schedule_id, &nulls[6]);
	/* the runs of schedules and cron chains have a nominal time */
	values[7] = TimestampTzGetDatum(rs->nominal_time);
	nulls[7] = (rs->schedule_id || rs->cron_schedule) ? ' ' : 'n';
	values[8] = TimestampTzGetDatum(rs->scheduled_at);
	values[9] = BoolGetDatum(rs->overlap_tracked);
	values[10] = rs->last_completion_result ?
		JsonbPGetDatum(rs->last_completion_result) : (Datum) 0;
	nulls[10] = rs->last_completion_result ? ' ' : 'n';

	/*
	 * A pending run is claimable now: its due time must not be ahead of
	 * now(), which sched.poll compares it with.  A schedule's start is due at
	 * its processing time, read from schedule_clock(), which tests shift
	 * ahead with pg_sched.debug_clock_offset.
	 */
	values[11] = TimestampTzGetDatum(rs->pending ? Min(rs->due_at, now) :
									 rs->due_at);
	values[12] = CStringGetTextDatum(rs->pending ? "pending" : "scheduled");
	values[13] = rs->retry_policy ? JsonbPGetDatum(rs->retry_policy) : (Datum) 0;
	nulls[13] = rs->retry_policy ? ' ' : 'n';
	values[14] = IntervalPGetDatum(run_usecs_interval(rs->run_timeout_us));
	nulls[14] = rs->run_timeout_us > 0 ? ' ' : 'n';
	values[15] = IntervalPGetDatum(run_usecs_interval(rs->execution_timeout_us));
	nulls[15] = rs->execution_timeout_us > 0 ? ' ' : 'n';
	/* a new workflow's deadline counts from now, its delay included */
	if (execution_deadline == 0 && rs->execution_timeout_us > 0)
		execution_deadline = now + rs->execution_timeout_us;
	values[16] = TimestampTzGetDatum(execution_deadline);
	nulls[16] = rs->execution_timeout_us > 0 ? ' ' : 'n';
	values[17] = spi_text_or_null(rs->cron_schedule, &nulls[17]);
	values[18] = rs->start_delay ? IntervalPGetDatum(rs->start_delay) : (Datum) 0;
	nulls[18] = rs->start_delay ? ' ' : 'n';
	values[19] = spi_text_or_null(rs->owner, &nulls[19]);
	values[20] = rs->last_failure ? JsonbPGetDatum(rs->last_failure) : (Datum) 0;
	nulls[20] = rs->last_failure ? ' ' : 'n';

	SPI_connect();
	started = spi_run(&q_start_run, values, nulls, false, 0) == 1;
	if (started)
	{
		bool		isnull;

		if (run_id != NULL)
			*run_id = *DatumGetUUIDP(spi_datum(0, 1, &isnull));
		if (rs->pending)
			scheduler_notify_at_commit(rs->task_queue);
		/* a due_at to wait for, or a deadline, is a new deadline */
		if (!rs->pending || rs->run_timeout_us > 0 ||
			rs->execution_timeout_us > 0)
			scheduler_wake_at_commit();
	}
	SPI_finish();
	return started;
}

static Datum
interval_or_null(int64 usecs, bool *isnull)
{
	*isnull = usecs <= 0;
	return IntervalPGetDatum(run_usecs_interval(usecs));
}

void
run_store_start_batch(const RunStart *runs, int n, TimestampTz now,
					  TimestampTz written_at, bool *deadlines)
{
	enum
	{
		WF, TYPE, QUEUE, ARGS, MEMO, KIND, SCHED, NOMINAL, ACTUAL, TRACKED,
		LAST, RETRY, RUN_TO, EXEC_TO, OWNER, FAILURE, NCOLS
	};
	static const Oid elem_types[NCOLS] = {TEXTOID, TEXTOID, TEXTOID,
		JSONBOID, JSONBOID, TEXTOID, TEXTOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, BOOLOID, JSONBOID, JSONBOID, INTERVALOID,
	INTERVALOID, TEXTOID, JSONBOID};
	Datum		values[NCOLS + 2];
	Datum	   *cols[NCOLS];
	bool	   *nulls[NCOLS];
	const char *last_queue = NULL;

	*deadlines = false;
	if (n == 0)
		return;
	for (int c = 0; c < NCOLS; c++)
	{
		cols[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}
	for (int i = 0; i < n; i++)
	{
		const RunStart *rs = &runs[i];

		cols[WF][i] = CStringGetTextDatum(rs->workflow_id);
		cols[TYPE][i] = CStringGetTextDatum(rs->workflow);
		cols[QUEUE][i] = CStringGetTextDatum(rs->task_queue);
		cols[ARGS][i] = PointerGetDatum(rs->args);
		nulls[ARGS][i] = rs->args == NULL;
		cols[MEMO][i] = PointerGetDatum(rs->memo);
		nulls[MEMO][i] = rs->memo == NULL;
		cols[KIND][i] = CStringGetTextDatum(rs->start_kind);
		cols[SCHED][i] = CStringGetTextDatum(rs->schedule_id);
		cols[NOMINAL][i] = TimestampTzGetDatum(rs->nominal_time);
		cols[ACTUAL][i] = TimestampTzGetDatum(rs->scheduled_at);
		cols[TRACKED][i] = BoolGetDatum(rs->overlap_tracked);
		cols[LAST][i] = PointerGetDatum(rs->last_completion_result);
		nulls[LAST][i] = rs->last_completion_result == NULL;
		cols[RETRY][i] = PointerGetDatum(rs->retry_policy);
		nulls[RETRY][i] = rs->retry_policy == NULL;
		cols[RUN_TO][i] = interval_or_null(rs->run_timeout_us,
										   &nulls[RUN_TO][i]);
		cols[EXEC_TO][i] = interval_or_null(rs->execution_timeout_us,
											&nulls[EXEC_TO][i]);
		cols[OWNER][i] = PointerGetDatum(NULL);
		nulls[OWNER][i] = rs->owner == NULL;
		if (rs->owner)
			cols[OWNER][i] = CStringGetTextDatum(rs->owner);
		cols[FAILURE][i] = PointerGetDatum(rs->last_failure);
		nulls[FAILURE][i] = rs->last_failure == NULL;
		/* a deadline is a new deadline for the scheduler */
		if (rs->run_timeout_us > 0 || rs->execution_timeout_us > 0)
			*deadlines = true;
		/* NOTIFY keeps one of each payload per transaction anyway */
		if (last_queue == NULL || strcmp(last_queue, rs->task_queue) != 0)
			scheduler_notify_at_commit(rs->task_queue);
		last_queue = rs->task_queue;
	}
	/* due now, never ahead of the real clock: as run_store_start() */
	values[0] = TimestampTzGetDatum(Min(now, written_at));
	for (int c = 0; c < NCOLS; c++)
		values[c + 1] = spi_array(cols[c], nulls[c], n, elem_types[c]);
	/* created now, not when a batch prepared ahead of time began */
	values[NCOLS + 1] = TimestampTzGetDatum(written_at);
	SPI_connect();
	spi_run(&q_start_batch, values, NULL, false, 0);
	SPI_finish();
}

/*
 * Many starts of sched.start_workflow in one INSERT (run_store_start_many):
 * the rows run_store_start() writes for starts without cron_schedule, in
 * input order, so that of two rows with one workflow id the first is
 * inserted and the second left out (ON CONFLICT DO NOTHING, as for an id
 * with an open run before).
 */
static SpiQuery q_start_many = {
	.sql =
	"INSERT INTO sched.executions"
	"  (run_id, workflow_id, workflow, task_queue, args, memo, start_kind,"
	"   scheduled_at, overlap_tracked, due_at, status, retry_policy,"
	"   run_timeout, execution_timeout, run_deadline, execution_deadline,"
	"   start_delay, owner)"
	" SELECT pg_catalog.gen_random_uuid(), u.wf, u.w, u.q,"
	"        coalesce(u.a, '[]'::jsonb), u.m, 'start', u.sa, false, u.d, u.st,"
	"        u.r, u.rt, u.et, u.d + u.rt, u.ed, u.sd, u.o::name"
	"   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
	"        pg_catalog.unnest($3), pg_catalog.unnest($4),"
	"        pg_catalog.unnest($5), pg_catalog.unnest($6),"
	"        pg_catalog.unnest($7), pg_catalog.unnest($8),"
	"        pg_catalog.unnest($9), pg_catalog.unnest($10),"
	"        pg_catalog.unnest($11), pg_catalog.unnest($12),"
	"        pg_catalog.unnest($13), pg_catalog.unnest($14))"
	"        WITH ORDINALITY AS u(wf, w, q, a, m, sa, d, st, r, rt, et, ed, sd, o, i)"
	"  ORDER BY u.i"
	" ON CONFLICT DO NOTHING"
	" RETURNING run_id, workflow_id",
	.nargs = 14,
	.argtypes = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, JSONBARRAYOID,
		JSONBARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID,
		JSONBARRAYOID, INTERVALARRAYOID, INTERVALARRAYOID,
	TIMESTAMPTZARRAYOID, INTERVALARRAYOID, TEXTARRAYOID},
};

static const RunStart *sort_runs;

static int
start_index_cmp(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;
	int			c = strcmp(sort_runs[x].workflow_id, sort_runs[y].workflow_id);

	return c != 0 ? c : (x > y) - (x < y);
}

void
run_store_start_many(const RunStart *runs, int n, bool *started,
					 pg_uuid_t *run_ids)
{
	enum
	{
		WF, TYPE, QUEUE, ARGS, MEMO, SCHEDULED_AT, DUE, STATUS, RETRY, RUN_TO,
		EXEC_TO, EXEC_DEADLINE, DELAY, OWNER, NCOLS
	};
	static const Oid elem_types[NCOLS] = {TEXTOID, TEXTOID, TEXTOID,
		JSONBOID, JSONBOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, JSONBOID,
	INTERVALOID, INTERVALOID, TIMESTAMPTZOID, INTERVALOID, TEXTOID};
	Datum		values[NCOLS];
	Datum	   *cols[NCOLS];
	bool	   *nulls[NCOLS];
	int		   *order;
	TimestampTz now = sched_real_now();
	bool		wake = false;
	uint64		done;

	if (n == 0)
		return;
	for (int c = 0; c < NCOLS; c++)
	{
		cols[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}
	for (int i = 0; i < n; i++)
	{
		const RunStart *rs = &runs[i];
		TimestampTz deadline = rs->execution_deadline;

		Assert(rs->cron_schedule == NULL && rs->schedule_id == NULL);
		started[i] = false;
		cols[WF][i] = CStringGetTextDatum(rs->workflow_id);
		cols[TYPE][i] = CStringGetTextDatum(rs->workflow);
		cols[QUEUE][i] = CStringGetTextDatum(rs->task_queue);
		cols[ARGS][i] = PointerGetDatum(rs->args);
		nulls[ARGS][i] = rs->args == NULL;
		cols[MEMO][i] = PointerGetDatum(rs->memo);
		nulls[MEMO][i] = rs->memo == NULL;
		cols[SCHEDULED_AT][i] = TimestampTzGetDatum(rs->scheduled_at);
		/* as run_store_start(): a pending run is claimable now */
		cols[DUE][i] = TimestampTzGetDatum(rs->pending ?
										   Min(rs->due_at, now) : rs->due_at);
		cols[STATUS][i] = CStringGetTextDatum(rs->pending ? "pending" :
											  "scheduled");
		cols[RETRY][i] = PointerGetDatum(rs->retry_policy);
		nulls[RETRY][i] = rs->retry_policy == NULL;
		cols[RUN_TO][i] = interval_or_null(rs->run_timeout_us,
										   &nulls[RUN_TO][i]);
		cols[EXEC_TO][i] = interval_or_null(rs->execution_timeout_us,
											&nulls[EXEC_TO][i]);
		if (deadline == 0 && rs->execution_timeout_us > 0)
			deadline = now + rs->execution_timeout_us;
		cols[EXEC_DEADLINE][i] = TimestampTzGetDatum(deadline);
		nulls[EXEC_DEADLINE][i] = rs->execution_timeout_us <= 0;
		cols[DELAY][i] = PointerGetDatum(rs->start_delay);
		nulls[DELAY][i] = rs->start_delay == NULL;
		cols[OWNER][i] = rs->owner ? CStringGetTextDatum(rs->owner) : (Datum) 0;
		nulls[OWNER][i] = rs->owner == NULL;
	}
	for (int c = 0; c < NCOLS; c++)
		values[c] = spi_array(cols[c], nulls[c], n, elem_types[c]);

	/* the input positions in the order of their ids, for the RETURNING */
	order = palloc(sizeof(int) * n);
	for (int i = 0; i < n; i++)
		order[i] = i;
	sort_runs = runs;
	qsort(order, n, sizeof(int), start_index_cmp);

	SPI_connect();
	done = spi_run(&q_start_many, values, NULL, false, 0);
	for (uint64 k = 0; k < done; k++)
	{
		bool		isnull;
		char	   *wf = spi_text(k, 2);
		int			lo = 0,
					hi = n;

		/* the first input position with this id */
		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (strcmp(runs[order[mid]].workflow_id, wf) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && strcmp(runs[order[lo]].workflow_id, wf) == 0)
		{
			int			i = order[lo];
			const RunStart *rs = &runs[i];

			started[i] = true;
			run_ids[i] = *DatumGetUUIDP(spi_datum(k, 1, &isnull));
			if (rs->pending)
				scheduler_notify_at_commit(rs->task_queue);
			if (!rs->pending || rs->run_timeout_us > 0 ||
				rs->execution_timeout_us > 0)
				wake = true;
		}
	}
	SPI_finish();
	if (wake)
		scheduler_wake_at_commit();
}

uint64
run_store_start_backfill(const RunStart *proto, Datum *wf, Datum *nominal,
						 Datum *actual, int n)
{
	Datum		values[13];
	char		nulls[13];
	uint64		inserted;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(proto->workflow);
	values[1] = CStringGetTextDatum(proto->task_queue);
	values[2] = JsonbPGetDatum(proto->args);
	values[3] = proto->memo ? JsonbPGetDatum(proto->memo) : (Datum) 0;
	nulls[3] = proto->memo ? ' ' : 'n';
	values[4] = CStringGetTextDatum(proto->schedule_id);
	/* due now, never ahead of the real clock: as run_store_start() */
	values[5] = TimestampTzGetDatum(Min(proto->due_at, sched_real_now()));
	values[6] = spi_array(wf, NULL, n, TEXTOID);
	values[7] = spi_array(nominal, NULL, n, TIMESTAMPTZOID);
	values[8] = spi_array(actual, NULL, n, TIMESTAMPTZOID);
	/* the action's retries and timeouts, as run_store_start() stores them */
	values[9] = proto->retry_policy ?
		JsonbPGetDatum(proto->retry_policy) : (Datum) 0;
	nulls[9] = proto->retry_policy ? ' ' : 'n';
	values[10] = IntervalPGetDatum(run_usecs_interval(proto->run_timeout_us));
	nulls[10] = proto->run_timeout_us > 0 ? ' ' : 'n';
	values[11] = IntervalPGetDatum(run_usecs_interval(proto->execution_timeout_us));
	nulls[11] = proto->execution_timeout_us > 0 ? ' ' : 'n';
	values[12] = spi_text_or_null(proto->owner, &nulls[12]);
	SPI_connect();
	inserted = spi_run(&q_start_backfill, values, nulls, false, 0);
	SPI_finish();
	if (inserted > 0)
	{
		scheduler_notify_at_commit(proto->task_queue);
		/* their run and execution deadlines are new deadlines */
		if (proto->run_timeout_us > 0 || proto->execution_timeout_us > 0)
			scheduler_wake_at_commit();
	}
	return inserted;
}

/* ---- lookups ---- */

bool
run_store_lookup(const pg_uuid_t *run_id, char **status, char **schedule_id,
				 char **owner, char **task_queue)
{
	Datum		values[1] = {UUIDPGetDatum(run_id)};
	bool		found;

	SPI_connect();
	found = spi_run(&q_run_lookup, values, NULL, false, 0) > 0;
	if (found)
	{
		*status = out_string(spi_text(0, 1));
		*schedule_id = out_string(spi_text(0, 2));
		*owner = out_string(spi_text(0, 3));
		*task_queue = out_string(spi_text(0, 4));
	}
	SPI_finish();
	return found;
}

static int	run_id_cmp(const void *a, const void *b);

/* An answer of q_run_lookup_many, by run id (run_id_cmp). */
typedef struct LookupRow
{
	pg_uuid_t	id;
	RunLookup	row;
} LookupRow;

void
run_store_lookup_many(const pg_uuid_t *run_ids, int n, RunLookup *out)
{
	Datum	   *ids;
	Datum		values[1];
	uint64		nrows;
	LookupRow  *got;

	memset(out, 0, sizeof(RunLookup) * Max(n, 0));
	if (n <= 0)
		return;
	ids = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
		ids[i] = UUIDPGetDatum(&run_ids[i]);
	values[0] = spi_array(ids, NULL, n, UUIDOID);
	SPI_connect();
	nrows = spi_run(&q_run_lookup_many, values, NULL, false, 0);
	got = SPI_palloc(sizeof(LookupRow) * Max(nrows, 1));
	for (uint64 r = 0; r < nrows; r++)
	{
		bool		isnull;

		got[r].id = *DatumGetUUIDP(spi_datum(r, 1, &isnull));
		got[r].row.found = true;
		got[r].row.status = out_string(spi_text(r, 2));
		got[r].row.schedule_id = out_string(spi_text(r, 3));
		got[r].row.owner = out_string(spi_text(r, 4));
		got[r].row.task_queue = out_string(spi_text(r, 5));
	}
	SPI_finish();
	qsort(got, nrows, sizeof(LookupRow), run_id_cmp);
	for (int i = 0; i < n; i++)
	{
		LookupRow  *hit = bsearch(&run_ids[i], got, nrows, sizeof(LookupRow),
								  run_id_cmp);

		if (hit)
			out[i] = hit->row;
	}
}

bool
run_store_open_run(const char *workflow_id, pg_uuid_t *run_id,
				   char **schedule_id, char **owner, char **task_queue)
{
	Datum		values[1];
	bool		found;

	values[0] = CStringGetTextDatum(workflow_id);
	SPI_connect();
	found = spi_run(&q_open_run, values, NULL, false, 0) > 0;
	if (found)
	{
		bool		isnull;

		if (run_id)
			*run_id = *DatumGetUUIDP(spi_datum(0, 1, &isnull));
		if (schedule_id)
			*schedule_id = out_string(spi_text(0, 3));
		if (owner)
			*owner = out_string(spi_text(0, 4));
		if (task_queue)
			*task_queue = out_string(spi_text(0, 5));
	}
	SPI_finish();
	return found;
}

char *
run_store_latest_status(const char *workflow_id, char **owner)
{
	Datum		values[1];
	char	   *status = NULL;

	values[0] = CStringGetTextDatum(workflow_id);
	SPI_connect();
	if (spi_run(&q_latest_run, values, NULL, false, 0) > 0)
	{
		status = out_string(spi_text(0, 2));
		*owner = out_string(spi_text(0, 3));
	}
	SPI_finish();
	return status;
}

bool
run_store_latest_visible(const char *workflow_id, Oid caller, char **run_id,
						 char **status)
{
	Datum		values[4];
	bool		found;

	values[0] = CStringGetTextDatum(workflow_id);
	priv_run_filter(caller, &values[1], &values[2], &values[3]);
	SPI_connect();
	found = spi_run(&q_latest_visible_run, values, NULL, false, 0) > 0;
	if (found)
	{
		*run_id = out_string(spi_text(0, 1));
		*status = out_string(spi_text(0, 2));
	}
	SPI_finish();
	return found;
}

int
run_store_schedule_open_runs(const char *schedule_id, TimestampTz since)
{
	Datum		values[2];
	bool		isnull;
	int			n;

	values[0] = CStringGetTextDatum(schedule_id);
	values[1] = TimestampTzGetDatum(since);
	SPI_connect();
	spi_run(&q_schedule_open_runs, values, NULL, false, 0);
	n = DatumGetInt32(spi_datum(0, 1, &isnull));
	SPI_finish();
	return n;
}

Datum
run_store_describe(const char *workflow_id, Oid caller, bool *found)
{
	Datum		values[4];
	Datum		doc = (Datum) 0;
	int			nestlevel;

	values[0] = CStringGetTextDatum(workflow_id);
	/* the latest run among those the caller may read */
	priv_run_filter(caller, &values[1], &values[2], &values[3]);

	/*
	 * Durations in the ISO 8601 form of the rest of pg_sched ("PT10M"),
	 * whatever the session's IntervalStyle, as a SET clause would.
	 */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("intervalstyle", "iso_8601", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	SPI_connect();
	*found = spi_run(&q_describe_workflow, values, NULL, true, 0) > 0;
	if (*found)
	{
		bool		isnull;

		doc = SPI_datumTransfer(spi_datum(0, 1, &isnull), false, -1);
	}
	SPI_finish();
	AtEOXact_GUC(true, nestlevel);
	return doc;
}

int
run_store_timeout_candidates(TimestampTz now, int limit, pg_uuid_t **run_ids,
							 char ***schedule_ids)
{
	Datum		values[2] = {TimestampTzGetDatum(now), Int32GetDatum(limit)};
	uint64		n;

	SPI_connect();
	n = spi_run(&q_timeout_candidates, values, NULL, false, 0);
	*run_ids = SPI_palloc(sizeof(pg_uuid_t) * Max(n, 1));
	*schedule_ids = SPI_palloc(sizeof(char *) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		(*run_ids)[i] = *DatumGetUUIDP(spi_datum(i, 1, &isnull));
		(*schedule_ids)[i] = out_string(spi_text(i, 2));
	}
	SPI_finish();
	return (int) n;
}

TimestampTz
run_store_next_deadline(TimestampTz after)
{
	bool		isnull;
	Datum		d;
	TimestampTz deadline;
	Datum		values[1] = {TimestampTzGetDatum(after)};

	SPI_connect();
	spi_run(&q_next_deadline, values, NULL, false, 0);
	d = spi_datum(0, 1, &isnull);
	deadline = isnull ? DT_NOEND : DatumGetTimestampTz(d);
	SPI_finish();
	return deadline;
}

/* ---- transitions of one run ---- */

/* Reads RUN_COLUMNS of the last result into run, in the caller's memory. */
static void
run_from_spi(const pg_uuid_t *run_id, RunRow *run)
{
	bool		isnull;

	memset(run, 0, sizeof(*run));
	run->run_id = *run_id;
	run->status = out_string(spi_text(0, 1));
	run->workflow_id = out_string(spi_text(0, 2));
	run->workflow = out_string(spi_text(0, 3));
	run->task_queue = out_string(spi_text(0, 4));
	run->args = out_jsonb(spi_jsonb(0, 5));
	run->memo = out_jsonb(spi_jsonb(0, 6));
	run->owner = out_string(spi_text(0, 7));
	run->schedule_id = out_string(spi_text(0, 8));
	run->has_nominal = spi_time(0, 9, &run->nominal_time);
	run->cron_schedule = out_string(spi_text(0, 10));
	run->retry_policy = out_jsonb(spi_jsonb(0, 11));
	run->retries = DatumGetInt32(spi_datum(0, 12, &isnull));
	run->run_timeout = out_interval(spi_interval(0, 13));
	run->execution_timeout = out_interval(spi_interval(0, 14));
	run->has_execution_deadline = spi_time(0, 15, &run->execution_deadline);
	run->has_run_deadline = spi_time(0, 16, &run->run_deadline);
	run->cancel_requested = DatumGetBool(spi_datum(0, 17, &isnull));
	run->last_completion_result = out_jsonb(spi_jsonb(0, 18));
	run->last_failure = out_jsonb(spi_jsonb(0, 19));
}

bool
run_store_lock(const pg_uuid_t *run_id, RunRow *run)
{
	Datum		values[1] = {UUIDPGetDatum(run_id)};
	bool		found;

	SPI_connect();
	found = spi_run(&q_run_lock, values, NULL, false, 0) > 0;
	if (found)
		run_from_spi(run_id, run);
	SPI_finish();
	return found;
}

bool
run_store_lock_due(const pg_uuid_t *run_id, TimestampTz now, RunRow *run)
{
	Datum		values[2] = {UUIDPGetDatum(run_id), TimestampTzGetDatum(now)};
	bool		found;

	SPI_connect();
	found = spi_run(&q_run_lock_timeout, values, NULL, false, 0) > 0;
	if (found)
		run_from_spi(run_id, run);
	SPI_finish();
	return found;
}

bool
run_store_complete_running(const pg_uuid_t *run_id, Jsonb *result,
						   RunRow *run, char **close_reason)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		found;

	values[0] = UUIDPGetDatum(run_id);
	values[1] = result ? JsonbPGetDatum(result) : (Datum) 0;
	nulls[1] = result ? ' ' : 'n';
	SPI_connect();
	found = spi_run(&q_complete_running, values, nulls, false, 0) > 0;
	if (found)
	{
		run_from_spi(run_id, run);
		*close_reason = out_string(spi_text(0, 20));
	}
	SPI_finish();
	return found;
}

char *
run_store_close_running(const pg_uuid_t *run_id, const char *status,
						Jsonb *result, const char *error,
						const char *error_type)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	char	   *close_reason;

	values[0] = UUIDPGetDatum(run_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = result ? JsonbPGetDatum(result) : (Datum) 0;
	nulls[2] = result ? ' ' : 'n';
	values[3] = spi_text_or_null(error, &nulls[3]);
	values[4] = spi_text_or_null(error_type, &nulls[4]);
	SPI_connect();
	if (spi_run(&q_close_running, values, nulls, false, 0) != 1)
		elog(ERROR, "a locked running run was not found");
	close_reason = out_string(spi_text(0, 1));
	SPI_finish();
	return close_reason;
}

/* A run closed by run_store_complete_many(): its id first (run_id_cmp). */
typedef struct ClosedId
{
	pg_uuid_t	id;
	char	   *workflow_id;
} ClosedId;

static int
run_id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(pg_uuid_t));
}

int
run_store_complete_many(const pg_uuid_t *run_ids, Jsonb **results, int n,
						bool *closed, char **workflow_ids)
{
	Datum	   *ids;
	Datum	   *res;
	bool	   *rnull;
	Datum		values[2];
	uint64		done;
	ClosedId   *got;

	if (n == 0)
		return 0;
	ids = palloc(sizeof(Datum) * n);
	res = palloc(sizeof(Datum) * n);
	rnull = palloc(sizeof(bool) * n);
	for (int i = 0; i < n; i++)
	{
		ids[i] = UUIDPGetDatum(&run_ids[i]);
		res[i] = results && results[i] ? JsonbPGetDatum(results[i]) : (Datum) 0;
		rnull[i] = !(results && results[i]);
		closed[i] = false;
	}
	values[0] = spi_array(ids, NULL, n, UUIDOID);
	values[1] = spi_array(res, rnull, n, JSONBOID);
	SPI_connect();
	done = spi_run(&q_complete_many, values, NULL, false, 0);
	got = SPI_palloc(sizeof(ClosedId) * Max(done, 1));
	for (uint64 i = 0; i < done; i++)
	{
		bool		isnull;

		got[i].id = *DatumGetUUIDP(spi_datum(i, 1, &isnull));
		got[i].workflow_id = workflow_ids ? out_string(spi_text(i, 2)) : NULL;
	}
	SPI_finish();
	qsort(got, done, sizeof(ClosedId), run_id_cmp);
	for (int i = 0; i < n; i++)
	{
		ClosedId   *c = bsearch(&run_ids[i], got, done, sizeof(ClosedId),
								run_id_cmp);

		closed[i] = c != NULL;
		if (workflow_ids)
			workflow_ids[i] = c ? c->workflow_id : NULL;
	}
	return (int) done;
}

void
run_store_retry(const pg_uuid_t *run_id, TimestampTz due, const char *error,
				const char *error_type)
{
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	values[0] = UUIDPGetDatum(run_id);
	values[1] = TimestampTzGetDatum(due);
	values[2] = spi_text_or_null(error, &nulls[2]);
	values[3] = spi_text_or_null(error_type, &nulls[3]);
	SPI_connect();
	if (spi_run(&q_retry_run, values, nulls, false, 0) != 1)
		elog(ERROR, "a locked open run was not found");
	SPI_finish();
	/* its due time is a new deadline */
	scheduler_wake_at_commit();
}

void
run_store_time_out(const pg_uuid_t *run_id, const char *error,
				   const char *error_type)
{
	Datum		values[3];

	values[0] = UUIDPGetDatum(run_id);
	values[1] = CStringGetTextDatum(error);
	values[2] = CStringGetTextDatum(error_type);
	SPI_connect();
	if (spi_run(&q_time_out_run, values, NULL, false, 0) != 1)
		elog(ERROR, "a locked open run was not found");
	SPI_finish();
}

bool
run_store_cancel(const pg_uuid_t *run_id, const char *reason,
				 char **new_status)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		done;

	values[0] = UUIDPGetDatum(run_id);
	values[1] = spi_text_or_null(reason, &nulls[1]);
	SPI_connect();
	done = spi_run(&q_cancel_run, values, nulls, false, 0) == 1;
	if (done)
		*new_status = out_string(spi_text(0, 1));
	SPI_finish();
	return done;
}

bool
run_store_terminate(const pg_uuid_t *run_id, const char *reason)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		done;

	values[0] = UUIDPGetDatum(run_id);
	values[1] = spi_text_or_null(reason, &nulls[1]);
	SPI_connect();
	done = spi_run(&q_terminate_run, values, nulls, false, 0) == 1;
	SPI_finish();
	return done;
}

int
run_store_cancel_schedule_runs(const char *schedule_id, TimestampTz since,
							   const char *reason)
{
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	uint64		n;
	int			closed = 0;

	values[0] = CStringGetTextDatum(schedule_id);
	values[1] = spi_text_or_null(reason, &nulls[1]);
	values[2] = TimestampTzGetDatum(since);
	SPI_connect();
	n = spi_run(&q_cancel_schedule_runs, values, nulls, false, 0);
	for (uint64 i = 0; i < n; i++)
	{
		char	   *status = spi_text(i, 1);

		if (strcmp(status, "canceled") == 0)
			closed++;
	}
	SPI_finish();
	if (closed > 0)
		scheduler_wake_at_commit();
	return closed;
}

int
run_store_terminate_schedule_runs(const char *schedule_id, TimestampTz since,
								  const char *reason)
{
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	uint64		n;

	values[0] = CStringGetTextDatum(schedule_id);
	values[1] = spi_text_or_null(reason, &nulls[1]);
	values[2] = TimestampTzGetDatum(since);
	SPI_connect();
	n = spi_run(&q_terminate_schedule_runs, values, nulls, false, 0);
	SPI_finish();
	if (n > 0)
		scheduler_wake_at_commit();
	return (int) n;
}

void
run_store_signal(const char *workflow_id, const char *signal,
				 Jsonb *payload, Oid caller)
{
	Datum		id_value[1];
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	bool		delayed;

	SPI_connect();
	id_value[0] = CStringGetTextDatum(workflow_id);
	/* loops only if the open run closed, and another opened, meanwhile */
	while (spi_run(&q_signal_lock, id_value, NULL, false, 0) == 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (spi_run(&q_open_run, id_value, NULL, false, 0) == 0)
			run_no_open_run(workflow_id, caller);
	}
	run_check_control(workflow_id, caller, spi_text(0, 3), spi_text(0, 4),
					  "signal");
	if (DatumGetInt32(spi_datum(0, 5, &isnull)) >= SCHED_SIGNALS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("workflow id \"%s\" has received the maximum of %d signals on its open run",
						workflow_id, SCHED_SIGNALS_MAX),
				 errhint("Signals are kept on the run; start a new run to signal it again.")));
	values[0] = spi_datum(0, 1, &isnull);
	delayed = DatumGetBool(spi_datum(0, 2, &isnull));
	values[1] = CStringGetTextDatum(signal);
	values[2] = payload ? JsonbPGetDatum(payload) : (Datum) 0;
	nulls[2] = payload ? ' ' : 'n';
	values[3] = TimestampTzGetDatum(sched_real_now());
	values[4] = BoolGetDatum(delayed);
	if (spi_run(&q_signal_run, values, nulls, false, 0) != 1)
		elog(ERROR, "a locked open run was not found");
	if (delayed)
	{
		/* SEMANTICS.md 7: a signal ends the start delay */
		scheduler_notify_at_commit(spi_text(0, 1));
		scheduler_wake_at_commit();
	}
	SPI_finish();
}

uint64
run_store_claim(Datum task_queue, Datum worker, bool worker_null,
				int32 max_tasks, Interval *lease, bool all, Oid caller,
				Tuplestorestate *tupstore, TupleDesc desc)
{
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	uint64		n;

	values[0] = task_queue;
	values[1] = worker_null ? (Datum) 0 : worker;
	nulls[1] = worker_null ? 'n' : ' ';
	values[2] = Int32GetDatum(max_tasks);
	values[3] = IntervalPGetDatum(lease);
	values[4] = BoolGetDatum(all);
	values[5] = ObjectIdGetDatum(caller);
	SPI_connect();
	n = spi_run(&q_poll, values, nulls, false, 0);
	for (uint64 i = 0; i < n; i++)
	{
		Datum		cols[POLL_COLUMNS];
		bool		isnull[POLL_COLUMNS];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
						  cols, isnull);
		Assert(desc->natts <= POLL_COLUMNS);
		tuplestore_putvalues(tupstore, desc, cols, isnull);
	}
	SPI_finish();
	return n;
}

bool
run_store_heartbeat(const pg_uuid_t *run_id, Jsonb *details,
					bool *cancel_requested)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		found;

	values[0] = UUIDPGetDatum(run_id);
	values[1] = details ? JsonbPGetDatum(details) : (Datum) 0;
	nulls[1] = details ? ' ' : 'n';
	SPI_connect();
	found = spi_run(&q_heartbeat, values, nulls, false, 0) > 0;
	if (found)
	{
		bool		isnull;

		*cancel_requested = DatumGetBool(spi_datum(0, 1, &isnull));
	}
	SPI_finish();
	return found;
}

/* ---- the scheduler's maintenance ---- */

int
run_store_expire_leases(TimestampTz now)
{
	int			n;

	SPI_connect();
	n = make_pending(&q_expire_leases, now);
	SPI_finish();
	return n;
}

int
run_store_promote_scheduled(TimestampTz now)
{
	int			n;

	SPI_connect();
	n = make_pending(&q_promote_scheduled, now);
	SPI_finish();
	return n;
}

int
run_store_purge_closed(TimestampTz closed_before, int limit)
{
	Datum		values[2];
	uint64		n;

	values[0] = TimestampTzGetDatum(closed_before);
	values[1] = Int32GetDatum(limit);
	SPI_connect();
	n = spi_run(&q_purge_closed, values, NULL, false, 0);
	SPI_finish();
	return (int) n;
}

/*
 * Every task queue with pending runs gets a notification (the relay of
 * notifications overflowed: which queues it lost is not known).
 */
static SpiQuery q_pending_queues = {
	.sql = "SELECT DISTINCT task_queue FROM sched.executions"
	" WHERE status = 'pending'",
};

int
run_store_notify_pending_queues(void)
{
	uint64		n;

	SPI_connect();
	n = spi_run(&q_pending_queues, NULL, NULL, true, 0);
	for (uint64 i = 0; i < n; i++)
		Async_Notify(SCHEDULER_NOTIFY_CHANNEL, spi_text(i, 1));
	SPI_finish();
	return (int) n;
}

/* ---- the errors of lookups ---- */

/*
 * The error of a report on a run that cannot take it: 42704 if the run
 * does not exist, 55000 if it is not running.  status is what was read.
 */
void
run_report_refused(const pg_uuid_t *run_id, const char *status)
{
	if (status == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("run %s does not exist", run_id_string(run_id))));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("run %s is not running: its status is %s",
					run_id_string(run_id), status),
			 strcmp(status, "pending") == 0 ?
			 errdetail("The run is waiting for a worker to claim it; if this worker had claimed it, its lease expired and the run went back to the queue.") :
			 strcmp(status, "scheduled") == 0 ?
			 errdetail("The run is waiting for its due time before a worker may claim it.") :
			 errdetail("A closed run does not change; the report was ignored.")));
}


void
run_no_open_run(const char *workflow_id, Oid caller)
{
	char	   *run_id;
	char	   *status;

	if (!run_store_latest_visible(workflow_id, caller, &run_id, &status))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workflow id \"%s\" does not exist", workflow_id)));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("workflow id \"%s\" has no open run", workflow_id),
			 errdetail("Its latest run %s is %s.", run_id, status)));
}

void
run_check_control(const char *workflow_id, Oid caller, const char *owner,
				  const char *task_queue, const char *what)
{
	if (priv_may_access(caller, owner))
		return;
	if (priv_may_work_queue(caller, task_queue))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s workflow id \"%s\": role \"%s\" is not a member of its owner \"%s\"",
						what, workflow_id, priv_role_name(caller), owner),
				 errdetail("A grant of task queue \"%s\" lets a role claim and report on runs, not %s them.",
						   task_queue, what),
				 errhint("Members of the owner role and of %s may %s it.",
						 PRIV_ADMIN_ROLE, what)));
	run_no_open_run(workflow_id, caller);
}

/* ---- the SQL executors' claims (executor.c, issue 13) ---- */

/*
 * The oldest due pending run of an SQL action owned by $1, claimed as
 * sched.poll claims (attempt + 1, started_at), by the executor named $2.
 * Its lease never lapses by time (infinity): the executor holds no row
 * lock while its command runs, and the scheduler gives the run back to the
 * queue (run_store_release_sql) only once that executor has gone.
 */
static SpiQuery q_claim_sql = {
	.generic = true,
	.sql =
	"UPDATE sched.executions e"
	"   SET status = 'running', attempt = e.attempt + 1, worker = $2,"
	"       started_at = coalesce(e.started_at, now()),"
	"       lease_expires_at = 'infinity', lease_duration = NULL"
	" WHERE e.run_id = (SELECT run_id FROM sched.executions"
	"                    WHERE task_queue = '" SCHEDULE_SQL_TASK_QUEUE "'"
	"                      AND status = 'pending' AND due_at <= now()"
	"                      AND owner = $1 AND schedule_id IS NOT NULL"
	"                    ORDER BY due_at LIMIT 1"
	"                    FOR NO KEY UPDATE SKIP LOCKED)"
	" RETURNING e.run_id, e.attempt, e.schedule_id, e.workflow_id, e.args,"
	"           coalesce(e.nominal_time, e.scheduled_at, e.created_at)",
	.nargs = 2,
	.argtypes = {NAMEOID, TEXTOID},
};

/* The executor's claim, re-checked under the run's lock before a close. */
static SpiQuery q_check_sql_claim = {
	.generic = true,
	.sql =
	"SELECT cancel_requested FROM sched.executions"
	" WHERE run_id = $1 AND " RUN_IS_RUNNING " AND attempt = $2"
	"   AND worker = $3"
	" FOR NO KEY UPDATE",
	.nargs = 3,
	.argtypes = {UUIDOID, INT4OID, TEXTOID},
};

/*
 * Running SQL runs among $1 whose executor is not among the live ones ($2):
 * back to pending, claimable at once, as a lapsed lease would be.  The
 * lock re-reads each row, so a run closed meanwhile is left alone.
 */
static SpiQuery q_release_sql = {
	.generic = true,
	.sql =
	"UPDATE sched.executions"
	"   SET status = 'pending', worker = NULL, lease_expires_at = NULL,"
	"       due_at = now()"
	" WHERE run_id = ANY (ARRAY("
	"         SELECT run_id FROM sched.executions"
	"          WHERE run_id = ANY ($1) AND status = 'running'"
	"            AND lease_expires_at = 'infinity'"
	"            AND task_queue = '" SCHEDULE_SQL_TASK_QUEUE "'"
	"            AND worker <> ALL ($2)"
	"          FOR NO KEY UPDATE SKIP LOCKED))",
	.nargs = 2,
	.argtypes = {UUIDARRAYOID, TEXTARRAYOID},
};

bool
run_store_claim_sql(const char *owner, const char *worker, RunSqlClaim *out)
{
	Datum		values[2];
	bool		found;

	values[0] = DirectFunctionCall1(namein, CStringGetDatum(owner));
	values[1] = CStringGetTextDatum(worker);
	SPI_connect();
	found = spi_run(&q_claim_sql, values, NULL, false, 0) == 1;
	if (found)
	{
		bool		isnull;
		char	   *t;

		out->run_id = *DatumGetUUIDP(spi_datum(0, 1, &isnull));
		out->attempt = DatumGetInt32(spi_datum(0, 2, &isnull));
		t = spi_text(0, 3);
		out->schedule_id = SPI_palloc(strlen(t) + 1);
		strcpy(out->schedule_id, t);
		t = spi_text(0, 4);
		out->workflow_id = SPI_palloc(strlen(t) + 1);
		strcpy(out->workflow_id, t);
		out->args = DatumGetJsonbP(SPI_datumTransfer(spi_datum(0, 5, &isnull),
													 false, -1));
		out->nominal_time = DatumGetTimestampTz(spi_datum(0, 6, &isnull));
	}
	SPI_finish();
	return found;
}

bool
run_store_check_sql_claim(const RunSqlClaim *claim, const char *worker,
						  bool *cancel_requested)
{
	Datum		values[3];
	bool		found;

	values[0] = UUIDPGetDatum(&claim->run_id);
	values[1] = Int32GetDatum(claim->attempt);
	values[2] = CStringGetTextDatum(worker);
	SPI_connect();
	found = spi_run(&q_check_sql_claim, values, NULL, false, 0) == 1;
	if (found)
	{
		bool		isnull;

		*cancel_requested = DatumGetBool(spi_datum(0, 1, &isnull));
	}
	SPI_finish();
	return found;
}

int
run_store_release_sql(Datum run_ids, Datum live_workers)
{
	Datum		values[2] = {run_ids, live_workers};
	uint64		n;

	SPI_connect();
	n = spi_run(&q_release_sql, values, NULL, false, 0);
	SPI_finish();
	return (int) n;
}
