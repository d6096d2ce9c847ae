/*-------------------------------------------------------------------------
 *
 * queue.c
 *	  The run queue: rows of sched.executions, from their start to their
 *	  purge, and the SQL functions that application workers call (poll,
 *	  heartbeat, complete, fail, canceled) or that operators call
 *	  (cancel_workflow, terminate_workflow, describe_workflow,
 *	  expire_leases).  SEMANTICS.md part 8 is the behaviour.
 *
 * State machine of a run (status column).  Closed states are final: no
 * statement below ever matches a closed run except the purge.
 *
 *	 from				to			by
 *	 -					scheduled	queue_start_run (pending = false)
 *	 -					pending		queue_start_run (pending = true)		N
 *	 scheduled			pending		queue_expire_leases, once due_at passed	N
 *	 pending			running		sched.poll (attempt + 1, new lease)
 *	 running			running		sched.heartbeat (lease renewed),
 *									cancel_workflow, queue_cancel_schedule_runs
 *									(cancel_requested = true)
 *	 running			pending		queue_expire_leases, lease expired		N
 *	 running			completed	sched.complete							C
 *	 running			failed		sched.fail (no retry left)				C
 *	 running			scheduled	sched.fail, when the retry policy allows
 *									another try (retries + 1, due after the
 *									backoff)
 *	 running			canceled	sched.canceled
 *	 scheduled, pending	canceled	cancel_workflow, queue_cancel_schedule_runs
 *	 scheduled			pending		signal_workflow, ending a start delay	N
 *	 any open			timed_out	queue_expire_leases: execution_deadline
 *									passed, or run_deadline passed and no
 *									retry left								C*
 *	 any open			scheduled	queue_expire_leases: run_deadline passed
 *									and the retry policy allows another try
 *	 any open			terminated	terminate_workflow,
 *									queue_terminate_schedule_runs
 *	 any closed			(deleted)	queue_purge_closed, after the retention
 *
 * N: the transition sends NOTIFY sched_tasks with the task queue as payload
 * ("every run that becomes pending", SEMANTICS.md 8).  C: a run with a
 * cron_schedule then starts the next run of its chain, under the same
 * workflow id (chain_continue; C*: not after an execution timeout, which
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
 * maximum_interval) (workflow_retry_due() in workflow.c).  A retry is not
 * a close: a schedule still sees the run as running, and pause_on_failure
 * looks only at the close after the last try (SEMANTICS.md 3.3).
 *
 * Timeouts are enforced by the scheduler through queue_expire_leases(),
 * which queue_next_deadline() makes it call on time: run_deadline is
 * due_at + run_timeout of the current try (time in the queue counts, as in
 * Temporal), execution_deadline the start time + execution_timeout of the
 * whole workflow, all tries and cron runs.  A timeout closes the run
 * through the same steps as a worker's report (schedule lock, then run,
 * then schedule_run_closed), so pause_on_failure ("paused due to workflow
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
 * Invariants, kept by the table's constraints as well: closed_at is set
 * exactly for closed runs, lease_expires_at exactly for running ones; at
 * most one open run per workflow id; attempt counts the claims (after a
 * retry and after a lapsed lease alike), retries the tries the retry
 * policy added; started_at is the first claim.  A lease only lapses when
 * queue_expire_leases puts the run back to pending: until then the run is
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
 *	  it locks the run, then schedule_run_closed() under both locks;
 *	- queue_cancel_schedule_runs and queue_terminate_schedule_runs run
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
 * Every query is a cached generic plan (SPI_prepare_cursor +
 * SPI_keepplan), prepared on first use in a session: poll is the hottest
 * path of the product, one statement with no extra round trip and no
 * planning per call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "json_input.h"
#include "privileges.h"
#include "queue.h"
#include "schedule.h"
#include "sched_limits.h"
#include "schedule_json.h"
#include "scheduler.h"
#include "subxact.h"
#include "workflow.h"

/* The channel of "a run became pending" notifications. */

#define POLL_MAX_TASKS			1000
/* Timed-out runs one queue_expire_leases() call handles at most. */
#define TIMEOUT_BATCH			1000

/* Open states, as SQL. */
#define OPEN_STATES		QUEUE_OPEN_STATES

/*
 * A query of this module: its text, parameter types and, once prepared in
 * this session, its kept plan.  A plan survives DROP/CREATE EXTENSION: the
 * plan cache re-analyses the text when the table changes.
 */
typedef struct QueueQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[24];
	SPIPlanPtr	plan;
} QueueQuery;

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
static QueueQuery q_poll = {
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
	"            e.due_at)"
	" SELECT run_id, workflow_id, workflow, args, attempt, schedule_id,"
	"        nominal_time, last_completion_result"
	"   FROM claimed ORDER BY due_at, nominal_time, run_id",
	.nargs = 6,
	.argtypes = {TEXTOID, TEXTOID, INT4OID, INTERVALOID, BOOLOID, OIDOID},
};

/*
 * sched.heartbeat.  Details given replace the recorded ones; NULL keeps
 * them, so a heartbeat that only renews the lease loses no progress.  A run
 * claimed before lease_duration existed gets poll's default lease.
 */
static QueueQuery q_heartbeat = {
	.sql =
	"UPDATE sched.executions"
	"   SET lease_expires_at = now() + coalesce(lease_duration,"
	"                                           interval '30 seconds'),"
	"       last_heartbeat_at = now(),"
	"       heartbeat_details = coalesce($2, heartbeat_details)"
	" WHERE run_id = $1 AND status = 'running'"
	" RETURNING cancel_requested",
	.nargs = 2,
	.argtypes = {UUIDOID, JSONBOID},
};

static QueueQuery q_run_lookup = {
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
#define RUN_COLUMNS \
	"SELECT status, workflow_id, workflow, task_queue, args, memo," \
	"       owner::text, schedule_id, nominal_time, cron_schedule," \
	"       retry_policy, retries, run_timeout, execution_timeout," \
	"       execution_deadline, run_deadline, cancel_requested," \
	"       last_completion_result" \
	"  FROM sched.executions"

static QueueQuery q_run_lock = {
	.sql = RUN_COLUMNS " WHERE run_id = $1 FOR NO KEY UPDATE",
	.nargs = 1,
	.argtypes = {UUIDOID},
};

static QueueQuery q_run_lock_timeout = {
	.sql = RUN_COLUMNS
	" WHERE run_id = $1 AND status IN " OPEN_STATES
	"   AND (run_deadline <= $2 OR execution_deadline <= $2)"
	" FOR NO KEY UPDATE SKIP LOCKED",
	.nargs = 2,
	.argtypes = {UUIDOID, TIMESTAMPTZOID},
};

/* A worker's report: running -> completed, failed or canceled. */
static QueueQuery q_close_running = {
	.sql =
	"UPDATE sched.executions"
	"   SET status = $2, closed_at = now(), lease_expires_at = NULL,"
	"       result = $3, error = $4, error_type = $5"
	" WHERE run_id = $1 AND status = 'running'"
	" RETURNING close_reason",
	.nargs = 5,
	.argtypes = {UUIDOID, TEXTOID, JSONBOID, TEXTOID, TEXTOID},
};

/*
 * A retry: the run waits for its backoff (due_at = $2) as scheduled, and
 * its next try gets a run deadline of its own.  Run under the run's lock.
 */
static QueueQuery q_retry_run = {
	.sql =
	"UPDATE sched.executions"
	"   SET status = 'scheduled', due_at = $2, retries = retries + 1,"
	"       worker = NULL, lease_expires_at = NULL, error = $3,"
	"       error_type = $4, run_deadline = $2 + run_timeout"
	" WHERE run_id = $1 AND status IN " OPEN_STATES,
	.nargs = 4,
	.argtypes = {UUIDOID, TIMESTAMPTZOID, TEXTOID, TEXTOID},
};

/* A timeout: any open state -> timed_out.  Run under the run's lock. */
static QueueQuery q_time_out_run = {
	.sql =
	"UPDATE sched.executions"
	"   SET status = 'timed_out', closed_at = now(), lease_expires_at = NULL,"
	"       error = $2, error_type = $3"
	" WHERE run_id = $1 AND status IN " OPEN_STATES,
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
static QueueQuery q_timeout_candidates = {
	.sql =
	"SELECT run_id, schedule_id FROM ("
	"  (SELECT run_id, schedule_id, run_deadline AS deadline"
	"     FROM sched.executions"
	"    WHERE status IN " OPEN_STATES " AND run_deadline <= $1"
	"    ORDER BY run_deadline LIMIT $2)"
	"  UNION ALL"
	"  (SELECT run_id, schedule_id, execution_deadline"
	"     FROM sched.executions"
	"    WHERE status IN " OPEN_STATES " AND execution_deadline <= $1"
	"    ORDER BY execution_deadline LIMIT $2)) due"
	" ORDER BY deadline LIMIT $2",
	.nargs = 2,
	.argtypes = {TIMESTAMPTZOID, INT4OID},
};

/*
 * The timeouts' schedule lock: schedule_lock() without the wait (see the
 * banner).  No row: the schedule is locked by someone else, or it no
 * longer exists, which q_schedule_exists tells apart.
 */
static QueueQuery q_schedule_try_lock = {
	.sql =
	"SELECT 1 FROM sched.schedules WHERE schedule_id = $1"
	" FOR UPDATE SKIP LOCKED",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

static QueueQuery q_schedule_exists = {
	.sql = "SELECT 1 FROM sched.schedules WHERE schedule_id = $1",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

/*
 * signal_workflow: the open run, locked.  "delayed": it waits for its start
 * delay (not for a cron time, which start_delay excludes, nor for a retry's
 * backoff, which comes with retries > 0).
 */
static QueueQuery q_signal_lock = {
	.sql =
	"SELECT run_id, status = 'scheduled' AND start_delay IS NOT NULL"
	"       AND retries = 0, owner::text, task_queue,"
	"       coalesce(jsonb_array_length(signals), 0)"
	"  FROM sched.executions"
	" WHERE workflow_id = $1 AND status IN " OPEN_STATES
	" FOR NO KEY UPDATE",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

static QueueQuery q_signal_run = {
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
static QueueQuery q_open_run = {
	.sql =
	"SELECT run_id, status, schedule_id, owner::text, task_queue"
	"  FROM sched.executions"
	" WHERE workflow_id = $1 AND status IN " OPEN_STATES,
	.nargs = 1,
	.argtypes = {TEXTOID},
};

/*
 * The latest run of a workflow id that the caller may read, for the "no
 * open run" error ($2-$4: priv_run_filter).
 */
static QueueQuery q_latest_visible_run = {
	.sql =
	"SELECT run_id::text, status FROM sched.executions WHERE workflow_id = $1"
	"   AND" RUN_READABLE("$2", "$3", "$4")
	" ORDER BY created_at DESC, run_id LIMIT 1",
	.nargs = 4,
	.argtypes = {TEXTOID, BOOLOID, OIDOID, TEXTARRAYOID},
};

/* The latest run of a workflow id, whoever owns it (id reuse policies). */
static QueueQuery q_latest_run = {
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

static QueueQuery q_cancel_run = {
	.sql = CANCEL_SET
	" WHERE run_id = $1 AND status IN " OPEN_STATES
	" RETURNING status, workflow_id",
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
};

static QueueQuery q_cancel_schedule_runs = {
	.sql = CANCEL_SET
	" WHERE schedule_id = $1 AND " QUEUE_OPEN_TRACKED
	" AND created_at >= $3"
	" RETURNING status",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, TIMESTAMPTZOID},
};

#define TERMINATE_SET \
	"UPDATE sched.executions" \
	"   SET status = 'terminated', closed_at = now(), lease_expires_at = NULL," \
	"       close_reason = $2"

static QueueQuery q_terminate_run = {
	.sql = TERMINATE_SET
	" WHERE run_id = $1 AND status IN " OPEN_STATES
	" RETURNING workflow_id",
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
};

static QueueQuery q_terminate_schedule_runs = {
	.sql = TERMINATE_SET
	" WHERE schedule_id = $1 AND " QUEUE_OPEN_TRACKED
	" AND created_at >= $3",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, TIMESTAMPTZOID},
};

/*
 * queue_start_run.  ON CONFLICT DO NOTHING without a conflict target: every
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
static QueueQuery q_start_run = {
	.sql =
	"INSERT INTO sched.executions"
	"  (run_id, workflow_id, workflow, task_queue, args, memo, start_kind,"
	"   schedule_id, nominal_time, scheduled_at, overlap_tracked,"
	"   last_completion_result, due_at, status, retry_policy, run_timeout,"
	"   execution_timeout, run_deadline, execution_deadline, cron_schedule,"
	"   start_delay, owner)"
	" VALUES (gen_random_uuid(), $1, $2, $3, coalesce($4, '[]'::jsonb), $5,"
	"         $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $12 + $15,"
	"         $17, $18, $19,"
	"         coalesce($20::name, (SELECT s.owner FROM sched.schedules s"
	"                               WHERE s.schedule_id = $7), current_user))"
	" ON CONFLICT DO NOTHING"
	" RETURNING run_id",
	.nargs = 20,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, TEXTOID,
		TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, BOOLOID, JSONBOID,
		TIMESTAMPTZOID, TEXTOID, JSONBOID, INTERVALOID, INTERVALOID,
	TIMESTAMPTZOID, TEXTOID, INTERVALOID, TEXTOID},
};

/* executions_schedule_open */
static QueueQuery q_schedule_open_runs = {
	.sql =
	"SELECT count(*)::integer FROM sched.executions"
	" WHERE schedule_id = $1 AND " QUEUE_OPEN_TRACKED
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
static QueueQuery q_expire_leases = {
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
static QueueQuery q_promote_scheduled = {
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
static QueueQuery q_purge_closed = {
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
static QueueQuery q_next_deadline = {
	.sql =
	"SELECT least((SELECT min(lease_expires_at) FROM sched.executions"
	"               WHERE status = 'running' AND lease_expires_at > $1),"
	"             (SELECT min(due_at) FROM sched.executions"
	"               WHERE status = 'scheduled' AND due_at > $1),"
	"             (SELECT min(run_deadline) FROM sched.executions"
	"               WHERE status IN " OPEN_STATES " AND run_deadline > $1),"
	"             (SELECT min(execution_deadline) FROM sched.executions"
	"               WHERE status IN " OPEN_STATES
	"                 AND execution_deadline > $1))",
	.nargs = 1,
	.argtypes = {TIMESTAMPTZOID},
};

/*
 * sched.describe_workflow: the latest run (the open one first if two runs
 * share a creation time, as a terminate-and-restart in one transaction
 * makes), and how many runs the id has had.
 */
static QueueQuery q_describe_workflow = {
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
	" ORDER BY created_at DESC, status IN " OPEN_STATES " DESC, run_id"
	" LIMIT 1",
	.nargs = 4,
	.argtypes = {TEXTOID, BOOLOID, OIDOID, TEXTARRAYOID},
};

static void report_refused(const pg_uuid_t *run_id, const char *status)
			pg_attribute_noreturn();
static void no_open_run(const char *workflow_id, Datum *id_value,
						Oid caller) pg_attribute_noreturn();
static void workflow_cancel_or_terminate(const char *workflow_id,
										 const char *reason, bool terminate,
										 Oid caller);

PG_FUNCTION_INFO_V1(sched_poll);
PG_FUNCTION_INFO_V1(sched_heartbeat);
PG_FUNCTION_INFO_V1(sched_complete);
PG_FUNCTION_INFO_V1(sched_fail);
PG_FUNCTION_INFO_V1(sched_canceled);
PG_FUNCTION_INFO_V1(sched_cancel_workflow);
PG_FUNCTION_INFO_V1(sched_terminate_workflow);
PG_FUNCTION_INFO_V1(sched_describe_workflow);
PG_FUNCTION_INFO_V1(sched_expire_leases);

/*
 * Runs a query of this module (preparing and keeping its plan on first use)
 * and returns the number of rows processed.  The caller is connected to
 * SPI.  read_only = false takes a fresh snapshot for the statement, which
 * is what makes a re-read after a lock see the latest committed state.
 *
 * Plans are generic: each query is an index lookup whose best plan does
 * not depend on the parameter values, and the plan cache would otherwise
 * keep planning poll afresh at every call (its custom plans look cheaper
 * than the generic one, whose LIMIT $3 it cannot estimate), which costs
 * more than executing it.
 */
static uint64
queue_exec(QueueQuery *q, Datum *values, const char *nulls, bool read_only)
{
	int			rc;

	if (q->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(q->sql, q->nargs, q->argtypes,
											  CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "could not prepare a pg_sched queue query: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep a pg_sched queue query plan");
		q->plan = plan;
	}
	rc = SPI_execute_plan(q->plan, values, nulls, read_only, 0);
	if (rc < 0)
		elog(ERROR, "a pg_sched queue query failed: %s",
			 SPI_result_code_string(rc));
	return SPI_processed;
}

/* Column col (1-based) of result row row, as a C string or NULL. */
static char *
result_text(uint64 row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row],
								  SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static Datum
result_datum(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
						 col, isnull);
}

static Datum
text_datum_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

static char *
run_id_string(const pg_uuid_t *run_id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out,
											   UUIDPGetDatum(run_id)));
}

/* A required argument of a SQL function. */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be null", name)));
}

/*
 * The error of a report on a run that cannot take it: 42704 if the run
 * does not exist, 55000 if it is not running.  status is what was read.
 */
static void
report_refused(const pg_uuid_t *run_id, const char *status)
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

/*
 * Reads a run's status and schedule_id (NULL status: no such run, or one
 * that the caller may not read, privileges.c).  The strings live until
 * SPI_finish.
 */
static void
run_lookup(const pg_uuid_t *run_id, Oid caller, char **status,
		   char **schedule_id)
{
	Datum		values[1] = {UUIDPGetDatum(run_id)};
	char	   *owner;
	char	   *task_queue;

	*status = NULL;
	*schedule_id = NULL;
	if (queue_exec(&q_run_lookup, values, NULL, false) == 0)
		return;
	owner = result_text(0, 3);
	task_queue = result_text(0, 4);
	/* SPI_connect and SPI_finish keep our SPI_tuptable */
	if (!priv_may_access(caller, owner) &&
		!priv_may_work_queue(caller, task_queue))
		return;
	*status = result_text(0, 1);
	*schedule_id = result_text(0, 2);
}

/*
 * A run's row (RUN_COLUMNS), read under its lock.  The strings and jsonb
 * live until SPI_finish.
 */
typedef struct RunRow
{
	pg_uuid_t	run_id;
	char	   *status;
	char	   *workflow_id;
	char	   *workflow;
	char	   *task_queue;
	Jsonb	   *args;
	Jsonb	   *memo;
	char	   *owner;
	char	   *schedule_id;
	bool		has_nominal;
	TimestampTz nominal_time;
	char	   *cron_schedule;
	Jsonb	   *retry_policy;
	int32		retries;
	Interval   *run_timeout;
	Interval   *execution_timeout;
	bool		has_execution_deadline;
	TimestampTz execution_deadline;
	bool		has_run_deadline;
	TimestampTz run_deadline;
	bool		cancel_requested;
	Jsonb	   *last_completion_result;
} RunRow;

static Jsonb *
result_jsonb(uint64 row, int col)
{
	bool		isnull;
	Datum		d = result_datum(row, col, &isnull);

	return isnull ? NULL : DatumGetJsonbP(d);
}

static bool
result_time(uint64 row, int col, TimestampTz *ts)
{
	bool		isnull;
	Datum		d = result_datum(row, col, &isnull);

	*ts = isnull ? 0 : DatumGetTimestampTz(d);
	return !isnull;
}

static Interval *
result_interval(uint64 row, int col)
{
	bool		isnull;
	Datum		d = result_datum(row, col, &isnull);

	return isnull ? NULL : DatumGetIntervalP(d);
}

/*
 * Locks and reads a run with q (q_run_lock, or q_run_lock_timeout with
 * "now" as its second parameter).  False: no such row (or, for the
 * timeout's query, locked by someone else or no longer due).
 */
static bool
run_load(QueueQuery *q, const pg_uuid_t *run_id, TimestampTz now,
		 RunRow *run)
{
	Datum		values[2] = {UUIDPGetDatum(run_id), TimestampTzGetDatum(now)};
	bool		isnull;

	if (queue_exec(q, values, NULL, false) == 0)
		return false;
	memset(run, 0, sizeof(*run));
	run->run_id = *run_id;
	run->status = result_text(0, 1);
	run->workflow_id = result_text(0, 2);
	run->workflow = result_text(0, 3);
	run->task_queue = result_text(0, 4);
	run->args = result_jsonb(0, 5);
	run->memo = result_jsonb(0, 6);
	run->owner = result_text(0, 7);
	run->schedule_id = result_text(0, 8);
	run->has_nominal = result_time(0, 9, &run->nominal_time);
	run->cron_schedule = result_text(0, 10);
	run->retry_policy = result_jsonb(0, 11);
	run->retries = DatumGetInt32(result_datum(0, 12, &isnull));
	run->run_timeout = result_interval(0, 13);
	run->execution_timeout = result_interval(0, 14);
	run->has_execution_deadline = result_time(0, 15, &run->execution_deadline);
	run->has_run_deadline = result_time(0, 16, &run->run_deadline);
	run->cancel_requested = DatumGetBool(result_datum(0, 17, &isnull));
	run->last_completion_result = result_jsonb(0, 18);
	return true;
}

/* An interval without months (as stored by this module) in microseconds. */
static int64
interval_usecs(const Interval *iv)
{
	return iv == NULL ? 0 : iv->day * USECS_PER_DAY + iv->time;
}

/*
 * The next run of a cron chain (SEMANTICS.md 7), after run closed as
 * status: at the first cron time after the run's own (its nominal time)
 * that is not in the past, so missed times are skipped; with the same
 * workflow id, arguments, options and execution deadline, and the previous
 * run's result as last_completion_result, or for a run that did not
 * complete the result it had received itself (Temporal hands a cron run the
 * result of the last successful run, and the failure separately).  A
 * cancellation request ends the chain.  The run is a new row in the closing
 * transaction, inserted after the old row closed (one open run per id).
 */
static void
chain_continue(const RunRow *run, const char *status, Jsonb *result)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next;
	RunStart	rs;

	if (run->cron_schedule == NULL || run->cancel_requested)
		return;
	if (!workflow_cron_next(run->cron_schedule, run->workflow_id,
							run->has_nominal ? run->nominal_time : now, now,
							&next))
		return;

	memset(&rs, 0, sizeof(rs));
	rs.workflow_id = run->workflow_id;
	rs.workflow = run->workflow;
	rs.task_queue = run->task_queue;
	rs.args = run->args;
	rs.memo = run->memo;
	rs.start_kind = "start";
	rs.nominal_time = next;
	rs.scheduled_at = next;
	rs.due_at = next;
	rs.pending = next <= now;
	rs.last_completion_result = strcmp(status, "completed") == 0 ?
		result : run->last_completion_result;
	rs.retry_policy = run->retry_policy;
	rs.run_timeout_us = interval_usecs(run->run_timeout);
	rs.execution_timeout_us = interval_usecs(run->execution_timeout);
	rs.execution_deadline = run->has_execution_deadline ?
		run->execution_deadline : 0;
	rs.cron_schedule = run->cron_schedule;
	rs.owner = run->owner;
	if (!queue_start_run(&rs, NULL))
		ereport(WARNING,
				(errmsg("the cron schedule of workflow id \"%s\" ends: another run of the id is open",
						run->workflow_id)));
}

/*
 * What follows every close: the schedule's reaction (pause on failure, last
 * result, its buffer: SEMANTICS.md 3), under the schedule lock the caller
 * took before the run's, and the next run of a cron chain when
 * continue_chain.  message is the error or reason, result the completion
 * result.
 */
static void
run_after_close(const RunRow *run, bool schedule_locked, const char *status,
				const char *message, Jsonb *result, bool continue_chain)
{
	if (schedule_locked)
		schedule_run_closed(run->schedule_id, run->workflow_id, status,
							message, result);
	if (continue_chain)
		chain_continue(run, status, result);

	/*
	 * No wake-up of the scheduler for the close itself: a closed run only
	 * takes deadlines away, so the scheduler's next one can only move
	 * later.  What the close starts (a buffered action, the next run of a
	 * chain) wakes it where it is started.  Waking it at every completion
	 * had it look for its next deadline once per run, competing with the
	 * workers for the CPU (bench/README.md, figure 5).
	 */
}

/* A retry: the locked run waits for its next try from due. */
static void
run_retry(const RunRow *run, TimestampTz due, const char *error,
		  const char *error_type)
{
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	values[0] = UUIDPGetDatum(&run->run_id);
	values[1] = TimestampTzGetDatum(due);
	values[2] = text_datum_or_null(error, &nulls[2]);
	values[3] = text_datum_or_null(error_type, &nulls[3]);
	if (queue_exec(&q_retry_run, values, nulls, false) != 1)
		elog(ERROR, "a locked open run was not found");
	/* its due time is a new deadline */
	scheduler_wake_at_commit();
}

/*
 * Closes a running run on its worker's report: status is "completed",
 * "failed" or "canceled"; result the result (completed) or the details
 * (canceled); error and error_type the failure's message and type.  A
 * failure that the run's retry policy retries makes the run scheduled again
 * instead (the banner).
 *
 * The schedule is locked before the run (the banner's lock order), so a
 * run of a schedule is looked up first, without a lock, for its schedule
 * id, which never changes.  The run is then locked, which reads its latest
 * version: if another transaction closed the run, or its lease expired,
 * meanwhile, the report is refused.  A run whose lease expired and that
 * another worker claimed again is running again: the report then closes
 * that claim, as any report of an at-least-once run may.
 */
static void
run_close_reported(const pg_uuid_t *run_id, const char *status,
				   Jsonb *result, const char *error, const char *error_type,
				   bool non_retryable, Oid caller)
{
	char	   *cur_status;
	char	   *schedule_id;
	bool		schedule_locked = false;
	RunRow		run;
	char	   *close_reason;
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		failed = strcmp(status, "failed") == 0;

	SPI_connect();

	run_lookup(run_id, caller, &cur_status, &schedule_id);
	if (cur_status == NULL || strcmp(cur_status, "running") != 0)
		report_refused(run_id, cur_status);

	if (schedule_id != NULL)
		schedule_locked = schedule_lock(schedule_id);

	if (!run_load(&q_run_lock, run_id, 0, &run))
		report_refused(run_id, NULL);
	if (strcmp(run.status, "running") != 0)
		report_refused(run_id, run.status);

	if (failed && !run.cancel_requested)
	{
		TimestampTz due;

		if (workflow_retry_due(run.retry_policy, run.retries, error_type,
							   non_retryable, GetCurrentTimestamp(),
							   run.has_execution_deadline,
							   run.execution_deadline, &due))
		{
			run_retry(&run, due, error, error_type);
			SPI_finish();
			return;
		}
	}

	values[0] = UUIDPGetDatum(run_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = result ? JsonbPGetDatum(result) : (Datum) 0;
	nulls[2] = result ? ' ' : 'n';
	values[3] = text_datum_or_null(error, &nulls[3]);
	values[4] = text_datum_or_null(error_type, &nulls[4]);
	if (queue_exec(&q_close_running, values, nulls, false) != 1)
		elog(ERROR, "a locked running run was not found");
	close_reason = result_text(0, 1);

	run_after_close(&run, schedule_locked, status,
					failed ? error : close_reason,
					strcmp(status, "completed") == 0 ? result : NULL,
					strcmp(status, "canceled") != 0);

	SPI_finish();
}

/*
 * "run_timeout of PT30S exceeded" (the error of a timed-out run), in the
 * ISO 8601 form of every duration pg_sched shows.  A deadline set by hand,
 * without its timeout, is only "passed".
 */
static char *
timeout_message(const char *kind, const Interval *timeout)
{
	if (timeout == NULL)
		return psprintf("%.*s_deadline passed", (int) (strlen(kind) - 8),
						kind);
	return psprintf("%s of %s exceeded", kind,
					jsonin_format_duration_ms(interval_usecs(timeout) / 1000));
}

/*
 * One run past a deadline (queue_expire_leases): its schedule and then the
 * run are locked without waiting; a locked one is left for the next tick
 * (false).  Past its execution deadline the whole workflow ends: the run
 * closes as timed_out, no retry, no next cron run.  Past its run deadline,
 * the retry policy may give it another try (error type "run_timeout");
 * otherwise it closes as timed_out and a cron chain goes on.
 */
static bool
run_time_out(const pg_uuid_t *run_id, const char *schedule_id,
			 TimestampTz now)
{
	bool		schedule_locked = false;
	RunRow		run;
	bool		execution;
	char	   *message;
	const char *error_type;
	Datum		values[3];

	if (schedule_id != NULL)
	{
		values[0] = CStringGetTextDatum(schedule_id);
		if (queue_exec(&q_schedule_try_lock, values, NULL, false) == 1)
			schedule_locked = true;
		else if (queue_exec(&q_schedule_exists, values, NULL, false) == 1)
			return false;
	}
	if (!run_load(&q_run_lock_timeout, run_id, now, &run))
		return false;

	execution = run.has_execution_deadline && run.execution_deadline <= now;
	if (execution)
	{
		error_type = "execution_timeout";
		message = timeout_message(error_type, run.execution_timeout);
	}
	else
	{
		TimestampTz due;

		error_type = "run_timeout";
		message = timeout_message(error_type, run.run_timeout);
		if (!run.cancel_requested &&
			workflow_retry_due(run.retry_policy, run.retries, error_type,
							   false, now, run.has_execution_deadline,
							   run.execution_deadline, &due))
		{
			run_retry(&run, due, message, error_type);
			return true;
		}
	}

	values[0] = UUIDPGetDatum(run_id);
	values[1] = CStringGetTextDatum(message);
	values[2] = CStringGetTextDatum(error_type);
	if (queue_exec(&q_time_out_run, values, NULL, false) != 1)
		elog(ERROR, "a locked open run was not found");
	run_after_close(&run, schedule_locked, "timed_out", message, NULL,
					!execution);
	return true;
}

/*
 * run_time_out() in a subtransaction: a run whose timeout cannot be
 * processed is logged and left for the next tick, and never holds back the
 * lease expiry and promotions of the same call (or the other timeouts).  A
 * query cancel is not swallowed.
 */
typedef struct TimeOutArgs
{
	const pg_uuid_t *run_id;
	const char *schedule_id;
	TimestampTz now;
	bool		acted;
} TimeOutArgs;

static void
run_time_out_fn(void *arg)
{
	TimeOutArgs *a = (TimeOutArgs *) arg;

	SPI_connect();
	a->acted = run_time_out(a->run_id, a->schedule_id, a->now);
	SPI_finish();
}

static bool
run_time_out_guarded(const pg_uuid_t *run_id, const char *schedule_id,
					 TimestampTz now)
{
	TimeOutArgs args = {run_id, schedule_id, now, false};
	ErrorData  *edata = sched_try_subxact(run_time_out_fn, &args);

	if (edata == NULL)
		return args.acted;
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("could not time out run %s: %s",
					run_id_string(run_id), edata->message),
			 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
			 errhint("The scheduler tries again at its next tick.")));
	FreeErrorData(edata);
	return false;
}

/* The timeouts of queue_expire_leases: up to TIMEOUT_BATCH runs. */
static int
enforce_timeouts(TimestampTz now)
{
	Datum		values[2] = {TimestampTzGetDatum(now),
	Int32GetDatum(TIMEOUT_BATCH)};
	uint64		n;
	pg_uuid_t  *run_ids;
	char	  **schedule_ids;
	int			acted = 0;

	n = queue_exec(&q_timeout_candidates, values, NULL, false);
	if (n == 0)
		return 0;
	/* copied out: every candidate runs queries of its own */
	run_ids = palloc(sizeof(pg_uuid_t) * n);
	schedule_ids = palloc(sizeof(char *) * n);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		run_ids[i] = *DatumGetUUIDP(result_datum(i, 1, &isnull));
		schedule_ids[i] = result_text(i, 2);
	}
	for (uint64 i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (run_time_out_guarded(&run_ids[i], schedule_ids[i], now))
			acted++;
	}
	return acted;
}

/*
 * The error of a request for the open run of a workflow id that has none:
 * 42704 if the id has no run at all, else 55000.  id_value is the id as a
 * text datum.  Only the runs that the caller may read count.
 */
static void
no_open_run(const char *workflow_id, Datum *id_value, Oid caller)
{
	Datum		values[4];

	values[0] = id_value[0];
	priv_run_filter(caller, &values[1], &values[2], &values[3]);
	if (queue_exec(&q_latest_visible_run, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workflow id \"%s\" does not exist", workflow_id)));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("workflow id \"%s\" has no open run", workflow_id),
			 errdetail("Its latest run %s is %s.",
					   result_text(0, 1), result_text(0, 2))));
}

/*
 * Cancel, terminate and signal need the open run's owner (or sched_admin):
 * a role that may only read the run as a worker of its task queue gets
 * 42501, one that may not read it at all "no open run" among its own runs.
 * "what" is the verb for the message.
 */
static void
check_control(const char *workflow_id, Datum *id_value, Oid caller,
			  const char *owner, const char *task_queue, const char *what)
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
	no_open_run(workflow_id, id_value, caller);
}

/*
 * cancel_workflow and terminate_workflow: the open run of workflow_id gets
 * the request, or is closed.  Its schedule (if any) is locked first; the
 * open run is then read again under that lock, since it may have closed,
 * or (rarely) another run of the id may have opened, meanwhile.  The
 * UPDATE re-checks that the run is still open; if it closed in between,
 * the loop looks again and reports "no open run" the second time round.
 */
static void
workflow_cancel_or_terminate(const char *workflow_id, const char *reason,
							 bool terminate, Oid caller)
{
	char	   *locked_schedule = NULL;
	bool		schedule_locked = false;
	Datum		id_value[1];
	char	   *new_status = NULL;

	SPI_connect();
	id_value[0] = CStringGetTextDatum(workflow_id);

	for (;;)
	{
		Datum		values[2];
		char		nulls[2] = {' ', ' '};
		bool		isnull;
		pg_uuid_t	run_id;
		char	   *schedule_id;

		CHECK_FOR_INTERRUPTS();
		if (queue_exec(&q_open_run, id_value, NULL, false) == 0)
			no_open_run(workflow_id, id_value, caller);
		run_id = *DatumGetUUIDP(result_datum(0, 1, &isnull));
		schedule_id = result_text(0, 3);
		check_control(workflow_id, id_value, caller, result_text(0, 4),
					  result_text(0, 5),
					  terminate ? "terminate" : "cancel");

		if (schedule_id != NULL &&
			(locked_schedule == NULL || strcmp(schedule_id, locked_schedule) != 0))
		{
			schedule_locked = schedule_lock(schedule_id);
			locked_schedule = schedule_id;
			continue;
		}

		values[0] = UUIDPGetDatum(&run_id);
		values[1] = text_datum_or_null(reason, &nulls[1]);
		if (terminate)
		{
			if (queue_exec(&q_terminate_run, values, nulls, false) == 1)
			{
				new_status = "terminated";
				break;
			}
		}
		else if (queue_exec(&q_cancel_run, values, nulls, false) == 1)
		{
			new_status = result_text(0, 1);
			break;
		}
	}

	/* A cancellation request leaves the run running: nothing closed. */
	if (strcmp(new_status, "running") != 0)
	{
		if (schedule_locked)
			schedule_run_closed(locked_schedule, workflow_id, new_status,
								reason, NULL);
		scheduler_wake_at_commit();
	}

	SPI_finish();
}

/*
 * Runs q (an UPDATE ... RETURNING task_queue) and notifies sched_tasks once
 * per task queue (PostgreSQL folds equal notifications of a transaction
 * into one).  Returns the number of runs.
 */
static int
make_pending(QueueQuery *q, TimestampTz now)
{
	Datum		values[1] = {TimestampTzGetDatum(now)};
	uint64		n = queue_exec(q, values, NULL, false);

	for (uint64 i = 0; i < n; i++)
	{
		char	   *task_queue = result_text(i, 1);

		Async_Notify(QUEUE_NOTIFY_CHANNEL, task_queue);
		pfree(task_queue);
	}
	return (int) n;
}

/* ---- queue.h ---- */

/* Microseconds as an interval of days and time (no months). */
static Interval *
usecs_interval(int64 usecs)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->day = (int32) (usecs / USECS_PER_DAY);
	iv->time = usecs % USECS_PER_DAY;
	return iv;
}

bool
queue_start_run(const RunStart *rs, pg_uuid_t *run_id)
{
	Datum		values[20];
	char		nulls[20];
	bool		started;
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
	values[6] = text_datum_or_null(rs->schedule_id, &nulls[6]);
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
	values[11] = TimestampTzGetDatum(rs->pending ?
									 Min(rs->due_at, GetCurrentTimestamp()) :
									 rs->due_at);
	values[12] = CStringGetTextDatum(rs->pending ? "pending" : "scheduled");
	values[13] = rs->retry_policy ? JsonbPGetDatum(rs->retry_policy) : (Datum) 0;
	nulls[13] = rs->retry_policy ? ' ' : 'n';
	values[14] = IntervalPGetDatum(usecs_interval(rs->run_timeout_us));
	nulls[14] = rs->run_timeout_us > 0 ? ' ' : 'n';
	values[15] = IntervalPGetDatum(usecs_interval(rs->execution_timeout_us));
	nulls[15] = rs->execution_timeout_us > 0 ? ' ' : 'n';
	/* a new workflow's deadline counts from now, its delay included */
	if (execution_deadline == 0 && rs->execution_timeout_us > 0)
		execution_deadline = GetCurrentTimestamp() + rs->execution_timeout_us;
	values[16] = TimestampTzGetDatum(execution_deadline);
	nulls[16] = rs->execution_timeout_us > 0 ? ' ' : 'n';
	values[17] = text_datum_or_null(rs->cron_schedule, &nulls[17]);
	values[18] = rs->start_delay ? IntervalPGetDatum(rs->start_delay) : (Datum) 0;
	nulls[18] = rs->start_delay ? ' ' : 'n';
	values[19] = text_datum_or_null(rs->owner, &nulls[19]);

	SPI_connect();
	started = queue_exec(&q_start_run, values, nulls, false) == 1;
	if (started)
	{
		bool		isnull;

		if (run_id != NULL)
			*run_id = *DatumGetUUIDP(result_datum(0, 1, &isnull));
		if (rs->pending)
			Async_Notify(QUEUE_NOTIFY_CHANNEL, rs->task_queue);
		/* a due_at to wait for, or a deadline, is a new deadline */
		if (!rs->pending || rs->run_timeout_us > 0 ||
			rs->execution_timeout_us > 0)
			scheduler_wake_at_commit();
	}
	SPI_finish();
	return started;
}

bool
queue_open_run(const char *workflow_id, pg_uuid_t *run_id, char **owner)
{
	Datum		values[1];
	bool		found;

	values[0] = CStringGetTextDatum(workflow_id);
	SPI_connect();
	found = queue_exec(&q_open_run, values, NULL, false) > 0;
	if (found)
	{
		bool		isnull;
		char	   *o = result_text(0, 4);

		*run_id = *DatumGetUUIDP(result_datum(0, 1, &isnull));
		/* out of SPI's memory, which SPI_finish frees */
		*owner = SPI_palloc(strlen(o) + 1);
		strcpy(*owner, o);
	}
	SPI_finish();
	return found;
}

char *
queue_latest_status(const char *workflow_id, char **owner)
{
	Datum		values[1];
	char	   *status = NULL;

	values[0] = CStringGetTextDatum(workflow_id);
	SPI_connect();
	if (queue_exec(&q_latest_run, values, NULL, false) > 0)
	{
		char	   *s = result_text(0, 2);
		char	   *o = result_text(0, 3);

		/* out of SPI's memory, which SPI_finish frees */
		status = SPI_palloc(strlen(s) + 1);
		strcpy(status, s);
		*owner = SPI_palloc(strlen(o) + 1);
		strcpy(*owner, o);
	}
	SPI_finish();
	return status;
}

void
queue_terminate_workflow(const char *workflow_id, const char *reason,
						 Oid caller)
{
	workflow_cancel_or_terminate(workflow_id, reason, true, caller);
}

void
queue_signal_workflow(const char *workflow_id, const char *signal,
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
	while (queue_exec(&q_signal_lock, id_value, NULL, false) == 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (queue_exec(&q_open_run, id_value, NULL, false) == 0)
			no_open_run(workflow_id, id_value, caller);
	}
	check_control(workflow_id, id_value, caller, result_text(0, 3),
				  result_text(0, 4), "signal");
	if (DatumGetInt32(result_datum(0, 5, &isnull)) >= SCHED_SIGNALS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("workflow id \"%s\" has received the maximum of %d signals on its open run",
						workflow_id, SCHED_SIGNALS_MAX),
				 errhint("Signals are kept on the run; start a new run to signal it again.")));
	values[0] = result_datum(0, 1, &isnull);
	delayed = DatumGetBool(result_datum(0, 2, &isnull));
	values[1] = CStringGetTextDatum(signal);
	values[2] = payload ? JsonbPGetDatum(payload) : (Datum) 0;
	nulls[2] = payload ? ' ' : 'n';
	values[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[4] = BoolGetDatum(delayed);
	if (queue_exec(&q_signal_run, values, nulls, false) != 1)
		elog(ERROR, "a locked open run was not found");
	if (delayed)
	{
		/* SEMANTICS.md 7: a signal ends the start delay */
		Async_Notify(QUEUE_NOTIFY_CHANNEL, result_text(0, 1));
		scheduler_wake_at_commit();
	}
	SPI_finish();
}

int
queue_schedule_open_runs(const char *schedule_id, TimestampTz since)
{
	Datum		values[2];
	bool		isnull;
	int			n;

	values[0] = CStringGetTextDatum(schedule_id);
	values[1] = TimestampTzGetDatum(since);
	SPI_connect();
	queue_exec(&q_schedule_open_runs, values, NULL, false);
	n = DatumGetInt32(result_datum(0, 1, &isnull));
	SPI_finish();
	return n;
}

int
queue_cancel_schedule_runs(const char *schedule_id, TimestampTz since,
						   const char *reason)
{
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	uint64		n;
	int			closed = 0;

	values[0] = CStringGetTextDatum(schedule_id);
	values[1] = text_datum_or_null(reason, &nulls[1]);
	values[2] = TimestampTzGetDatum(since);
	SPI_connect();
	n = queue_exec(&q_cancel_schedule_runs, values, nulls, false);
	for (uint64 i = 0; i < n; i++)
	{
		char	   *status = result_text(i, 1);

		if (strcmp(status, "canceled") == 0)
			closed++;
	}
	SPI_finish();
	if (closed > 0)
		scheduler_wake_at_commit();
	return closed;
}

int
queue_terminate_schedule_runs(const char *schedule_id, TimestampTz since,
							  const char *reason)
{
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	uint64		n;

	values[0] = CStringGetTextDatum(schedule_id);
	values[1] = text_datum_or_null(reason, &nulls[1]);
	values[2] = TimestampTzGetDatum(since);
	SPI_connect();
	n = queue_exec(&q_terminate_schedule_runs, values, nulls, false);
	SPI_finish();
	if (n > 0)
		scheduler_wake_at_commit();
	return (int) n;
}

/*
 * Enforces run and execution timeouts, then puts runs with lapsed leases
 * back to pending and makes pending the scheduled runs whose due time has
 * come: queue_next_deadline() includes all those times, so this is the call
 * the scheduler makes when that deadline arrives.  Pending runs notify.
 */
int
queue_expire_leases(TimestampTz now)
{
	int			n;

	SPI_connect();
	/* first: a running run past its deadline times out, not back to pending */
	n = enforce_timeouts(now);
	n += make_pending(&q_expire_leases, now);
	n += make_pending(&q_promote_scheduled, now);
	SPI_finish();
	return n;
}

int
queue_purge_closed(TimestampTz closed_before, int limit)
{
	Datum		values[2];
	uint64		n;

	values[0] = TimestampTzGetDatum(closed_before);
	values[1] = Int32GetDatum(limit);
	SPI_connect();
	n = queue_exec(&q_purge_closed, values, NULL, false);
	SPI_finish();
	return (int) n;
}

TimestampTz
queue_next_deadline(TimestampTz after)
{
	bool		isnull;
	Datum		d;
	TimestampTz deadline;
	Datum		values[1] = {TimestampTzGetDatum(after)};

	SPI_connect();
	queue_exec(&q_next_deadline, values, NULL, false);
	d = result_datum(0, 1, &isnull);
	deadline = isnull ? DT_NOEND : DatumGetTimestampTz(d);
	SPI_finish();
	return deadline;
}

/* ---- SQL functions ---- */

/*
 * sched.poll(task_queue text, worker text, max_tasks integer,
 *			  lease interval) RETURNS TABLE (...)
 *
 * Claims up to max_tasks due pending runs of task_queue, oldest due first,
 * skipping runs that other pollers are claiming, under a lease.
 */
Datum
sched_poll(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		max_tasks;
	Interval   *lease;
	Interval	min_lease = {.time = USECS_PER_SEC};
	Interval	max_lease = {.day = 200 * 366};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	uint64		n;
	char	   *task_queue;
	PrivState	ps;
	Oid			caller;

	require_arg(fcinfo, 0, "task_queue");
	require_arg(fcinfo, 2, "max_tasks");
	require_arg(fcinfo, 3, "lease");
	max_tasks = PG_GETARG_INT32(2);
	lease = PG_GETARG_INTERVAL_P(3);
	if (max_tasks < 1 || max_tasks > POLL_MAX_TASKS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid max_tasks %d: it must be between 1 and %d",
						max_tasks, POLL_MAX_TASKS)));
	if (DatumGetBool(DirectFunctionCall2(interval_lt,
										 IntervalPGetDatum(lease),
										 IntervalPGetDatum(&min_lease))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lease \"%s\": it must be at least 1 second",
						jsonin_format_interval(lease)),
				 errhint("The lease is how long the run stays claimed without a heartbeat.")));
	/* as every other duration: now() + lease must stay a timestamp */
	if (DatumGetBool(DirectFunctionCall2(interval_gt,
										 IntervalPGetDatum(lease),
										 IntervalPGetDatum(&max_lease))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lease \"%s\": it must be at most 200 years",
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(lease)))),
				 errhint("The lease is how long the run stays claimed without a heartbeat.")));

	task_queue = text_to_cstring(PG_GETARG_TEXT_PP(0));
	sched_check_length(task_queue, "task_queue", SCHED_NAME_MAX);
	if (!PG_ARGISNULL(1))
		sched_check_length(text_to_cstring(PG_GETARG_TEXT_PP(1)), "worker",
						   SCHED_NAME_MAX);

	InitMaterializedSRF(fcinfo, 0);

	caller = priv_enter(&ps);
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';
	values[2] = Int32GetDatum(max_tasks);
	values[3] = IntervalPGetDatum(lease);
	/* a worker of the queue claims every run, others their roles' runs */
	values[4] = BoolGetDatum(priv_may_work_queue(caller, task_queue));
	values[5] = ObjectIdGetDatum(caller);

	SPI_connect();
	n = queue_exec(&q_poll, values, nulls, false);
	for (uint64 i = 0; i < n; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
	SPI_finish();
	priv_exit(&ps);

	return (Datum) 0;
}

/*
 * sched.heartbeat(run_id uuid, details jsonb) RETURNS boolean
 *
 * Renews the lease of a running run by the lease it was claimed with,
 * records the details, and returns whether cancellation was requested.
 */
Datum
sched_heartbeat(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *run_id;
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		isnull;
	bool		cancel_requested;

	char	   *status;
	char	   *schedule_id;
	PrivState	ps;
	Oid			caller;

	require_arg(fcinfo, 0, "run_id");
	run_id = PG_GETARG_UUID_P(0);
	values[0] = UUIDPGetDatum(run_id);
	values[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';
	if (!PG_ARGISNULL(1))
		sched_check_payload(PG_GETARG_JSONB_P(1), "details");

	caller = priv_enter(&ps);
	SPI_connect();
	/* the caller may report on the run (its owner never changes) */
	run_lookup(run_id, caller, &status, &schedule_id);
	if (status == NULL)
		report_refused(run_id, status);
	/* loops only if the run was given back and claimed again meanwhile */
	while (queue_exec(&q_heartbeat, values, nulls, false) == 0)
	{
		CHECK_FOR_INTERRUPTS();
		run_lookup(run_id, caller, &status, &schedule_id);
		if (status == NULL || strcmp(status, "running") != 0)
			report_refused(run_id, status);
	}
	cancel_requested = DatumGetBool(result_datum(0, 1, &isnull));
	SPI_finish();
	priv_exit(&ps);

	PG_RETURN_BOOL(cancel_requested);
}

/* sched.complete(run_id uuid, result jsonb) RETURNS void */
Datum
sched_complete(PG_FUNCTION_ARGS)
{
	Jsonb	   *result = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	PrivState	ps;
	Oid			caller;

	require_arg(fcinfo, 0, "run_id");
	sched_check_payload(result, "result");
	caller = priv_enter(&ps);
	run_close_reported(PG_GETARG_UUID_P(0), "completed", result, NULL,
					   NULL, false, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/*
 * sched.fail(run_id uuid, error text, non_retryable boolean,
 *			  error_type text) RETURNS void
 *
 * Closes the run as failed, unless its retry policy gives it another try
 * (SEMANTICS.md 8: "no retry policy: no retry"): non_retryable, or an
 * error_type listed in the policy's non_retryable_error_types, makes the
 * failure final.  error_type is the application's name for the kind of
 * failure (Temporal's ApplicationError type, such as an exception's class
 * name); NULL matches no listed type.  non_retryable NULL means false.
 */
Datum
sched_fail(PG_FUNCTION_ARGS)
{
	char	   *error;
	char	   *error_type = NULL;
	bool		non_retryable = false;
	PrivState	ps;
	Oid			caller;

	require_arg(fcinfo, 0, "run_id");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("error must not be null"),
				 errhint("Pass the failure's message, or an empty string.")));
	error = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
		non_retryable = PG_GETARG_BOOL(2);
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
		error_type = text_to_cstring(PG_GETARG_TEXT_PP(3));
	sched_check_length(error, "error", SCHED_PAYLOAD_MAX);
	sched_check_length(error_type, "error_type", SCHED_NAME_MAX);
	caller = priv_enter(&ps);
	run_close_reported(PG_GETARG_UUID_P(0), "failed", NULL, error,
					   error_type, non_retryable, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* sched.canceled(run_id uuid, details jsonb) RETURNS void */
Datum
sched_canceled(PG_FUNCTION_ARGS)
{
	Jsonb	   *details = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	PrivState	ps;
	Oid			caller;

	require_arg(fcinfo, 0, "run_id");
	sched_check_payload(details, "details");
	caller = priv_enter(&ps);
	run_close_reported(PG_GETARG_UUID_P(0), "canceled", details, NULL,
					   NULL, false, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* sched.cancel_workflow(workflow_id text, reason text) RETURNS void */
Datum
sched_cancel_workflow(PG_FUNCTION_ARGS)
{
	char	   *reason = NULL;
	PrivState	ps;
	Oid			caller;

	require_arg(fcinfo, 0, "workflow_id");
	if (!PG_ARGISNULL(1))
		reason = text_to_cstring(PG_GETARG_TEXT_PP(1));
	sched_check_length(reason, "reason", SCHED_NAME_MAX);
	caller = priv_enter(&ps);
	workflow_cancel_or_terminate(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								 reason, false, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* sched.terminate_workflow(workflow_id text, reason text) RETURNS void */
Datum
sched_terminate_workflow(PG_FUNCTION_ARGS)
{
	char	   *reason = NULL;
	PrivState	ps;
	Oid			caller;

	require_arg(fcinfo, 0, "workflow_id");
	if (!PG_ARGISNULL(1))
		reason = text_to_cstring(PG_GETARG_TEXT_PP(1));
	sched_check_length(reason, "reason", SCHED_NAME_MAX);
	caller = priv_enter(&ps);
	workflow_cancel_or_terminate(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								 reason, true, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* sched.describe_workflow(workflow_id text) RETURNS jsonb */
Datum
sched_describe_workflow(PG_FUNCTION_ARGS)
{
	char	   *workflow_id;
	Datum		values[4];
	bool		isnull;
	Datum		doc;
	int			nestlevel;
	PrivState	ps;
	Oid			caller;

	require_arg(fcinfo, 0, "workflow_id");
	workflow_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	values[0] = PG_GETARG_DATUM(0);
	caller = priv_enter(&ps);
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
	if (queue_exec(&q_describe_workflow, values, NULL, true) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workflow id \"%s\" does not exist", workflow_id)));
	doc = SPI_datumTransfer(result_datum(0, 1, &isnull), false, -1);
	SPI_finish();
	AtEOXact_GUC(true, nestlevel);
	priv_exit(&ps);

	PG_RETURN_DATUM(doc);
}

/*
 * sched.expire_leases() RETURNS integer
 *
 * What the scheduler does on its own: runs past their run or execution
 * deadline time out (or are retried), runs whose lease has expired go back
 * to pending, and due scheduled runs become pending.  For operators (after
 * a clock change, or with the scheduler stopped) and for tests: superusers
 * and sched_admin members, since it acts on every role's runs.
 */
Datum
sched_expire_leases(PG_FUNCTION_ARGS)
{
	PrivState	ps;
	int			n;

	/* it changes every role's runs */
	priv_require_admin(GetUserId(), "call sched.expire_leases()");
	priv_enter(&ps);
	n = queue_expire_leases(GetCurrentTransactionStartTimestamp());
	priv_exit(&ps);
	PG_RETURN_INT32(n);
}
