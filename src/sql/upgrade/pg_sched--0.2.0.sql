/*
 * 00_spec.sql: the spec functions.
 *
 * The install script pg_sched--<version>.sql is built by concatenating
 * the files of src/sql in name order (see the Makefile); each holds one area.
 */

\echo Use "CREATE EXTENSION pg_sched" to load this file. \quit

-- The schema "sched" comes from the control file (schema = sched).

CREATE FUNCTION sched.next_times(spec jsonb,
								 after timestamptz DEFAULT now(),
								 count integer DEFAULT 10)
RETURNS SETOF timestamptz
AS 'MODULE_PATHNAME', 'sched_next_times'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;

COMMENT ON FUNCTION sched.next_times(jsonb, timestamptz, integer) IS
'The first count (at most 100000) nominal times of a spec strictly after "after" (floored to the second), without jitter';

CREATE FUNCTION sched.validate_spec(spec jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sched_validate_spec'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION sched.validate_spec(jsonb) IS
'The canonical form of a spec (cron strings as calendars or intervals, the zone in time_zone_name), or an error naming what is invalid';
/*
 * 10_tables.sql: the data model of schedules and workflow runs.
 *
 * Glossary: a *schedule* holds a spec (when), an action (what to start), a
 * policy and a state; each matching instant is a *nominal time*, which
 * jitter delays to the *actual time*; each action starts a *run* (a row of
 * sched.executions) that application workers claim with sched.poll().
 *
 * Every change goes through the sched.* functions, which keep the
 * invariants below under a lock on the schedule's row; the tables are for
 * reading and monitoring.  Constraints make the invalid states impossible
 * even so.
 */

/*
 * One row per schedule.  spec, action and policy hold the canonical
 * documents (what sched.describe() shows).  next_nominal is the scheduler's
 * cursor: the first nominal time not yet processed (NULL when the spec is
 * exhausted).  next_due is when the scheduler must look at the schedule
 * again (the actual time of next_nominal, or sooner); NULL when nothing
 * timed is pending.  The scheduler finds due schedules through its index
 * only, so a tick costs what is due, not what exists.
 */
CREATE TABLE sched.schedules (
	schedule_id		text PRIMARY KEY
		CHECK (schedule_id <> '' AND octet_length(schedule_id) <= 1000),
	owner			name NOT NULL DEFAULT current_user,
	spec			jsonb NOT NULL,
	action			jsonb NOT NULL,
	policy			jsonb NOT NULL,
	paused			boolean NOT NULL DEFAULT false,
	note			text NOT NULL DEFAULT ''
		CHECK (octet_length(note) <= 1000),
	limited_actions boolean NOT NULL DEFAULT false,
	remaining_actions bigint NOT NULL DEFAULT 0
		CHECK (remaining_actions >= 0),
	memo			jsonb,
	last_completion_result jsonb,
	conflict_token	bigint NOT NULL,
	next_nominal	timestamptz,
	next_due		timestamptz,
	num_actions		bigint NOT NULL DEFAULT 0,
	num_actions_missed_catchup_window bigint NOT NULL DEFAULT 0,
	num_actions_skipped_overlap bigint NOT NULL DEFAULT 0,
	num_buffer_dropped bigint NOT NULL DEFAULT 0,
	created_at		timestamptz NOT NULL DEFAULT now(),
	last_updated_at timestamptz NOT NULL DEFAULT now(),
	last_event_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (limited_actions OR remaining_actions = 0)
);

CREATE INDEX schedules_next_due ON sched.schedules (next_due)
	WHERE next_due IS NOT NULL;
/* auto-deletion of schedules with nothing left to do (SEMANTICS.md 4) */
CREATE INDEX schedules_idle ON sched.schedules (last_event_at)
	WHERE next_due IS NULL AND NOT paused;

COMMENT ON TABLE sched.schedules IS
'Schedules: spec, action, policy, state, the scheduler''s cursor and the counters of sched.describe()';

/*
 * Actions waiting to start: the schedule's ordered buffer (SEMANTICS.md
 * 3.1).  seq orders it.  At most 1000 rows per schedule; scheduled items
 * (manual = false) are dropped when they come up while the schedule is
 * paused.
 */
CREATE TABLE sched.buffer (
	schedule_id		text NOT NULL
		REFERENCES sched.schedules ON DELETE CASCADE,
	seq				bigint GENERATED ALWAYS AS IDENTITY,
	nominal_time	timestamptz NOT NULL,
	actual_time		timestamptz NOT NULL,
	overlap			text NOT NULL CHECK (overlap IN ('skip', 'buffer_one',
		'buffer_all', 'cancel_other', 'terminate_other', 'allow_all')),
	start_kind		text NOT NULL
		CHECK (start_kind IN ('schedule', 'trigger', 'backfill')),
	PRIMARY KEY (schedule_id, seq)
);

COMMENT ON TABLE sched.buffer IS
'Actions of each schedule waiting for their overlap policy to let them start, in order';

/*
 * Backfills still being fed into the buffer: a cursor per requested range,
 * so a year of minutes never holds 525,600 buffer rows (SEMANTICS.md 5).
 * next_time is the first actual time of the range not yet buffered.
 */
CREATE TABLE sched.backfills (
	schedule_id		text NOT NULL
		REFERENCES sched.schedules ON DELETE CASCADE,
	seq				bigint GENERATED ALWAYS AS IDENTITY,
	next_time		timestamptz NOT NULL,
	end_at			timestamptz NOT NULL,
	overlap			text NOT NULL CHECK (overlap IN ('skip', 'buffer_one',
		'buffer_all', 'cancel_other', 'terminate_other', 'allow_all')),
	PRIMARY KEY (schedule_id, seq)
);

COMMENT ON TABLE sched.backfills IS
'Backfill ranges of each schedule not yet fully fed into its buffer';

/*
 * Workflow runs: the queue.  Status moves
 *
 *	 scheduled -> pending -> running -> completed | failed | canceled |
 *										terminated | timed_out
 *
 * (scheduled: exists, not yet claimable; pending: claimable from due_at;
 * running: claimed under a lease; the rest are closed).  A lease that
 * expires puts a running run back to pending.  Open = scheduled, pending or
 * running; at most one open run per workflow_id.  Runs outlive their
 * schedule, so schedule_id is not a foreign key.  overlap_tracked marks the
 * runs that count as "running" for their schedule's overlap policy (all of
 * a schedule's starts except those under allow_all).
 *
 * Retries, timeouts and cron chains (SEMANTICS.md 7 and 8; src/queue.c):
 * retry_policy is the canonical Temporal RetryPolicy (NULL: no retry); a
 * failure or run timeout that it allows puts the run back to scheduled
 * after its backoff, retries + 1 (Temporal's attempt is retries + 1;
 * attempt counts claims).  run_deadline is due_at + run_timeout of the
 * current try, execution_deadline the whole workflow's (start time +
 * execution_timeout, inherited along a cron chain); the scheduler closes
 * open runs past either as timed_out.  A run with a cron_schedule starts
 * the next run of its chain when it closes (nominal_time is its cron
 * time).  signals is the list of {signal, payload, at} received.
 */
CREATE TABLE sched.executions (
	run_id			uuid PRIMARY KEY,
	workflow_id		text NOT NULL
		CHECK (workflow_id <> '' AND octet_length(workflow_id) <= 1000),
	workflow		text NOT NULL CHECK (workflow <> ''),
	task_queue		text NOT NULL
		CHECK (task_queue <> '' AND octet_length(task_queue) <= 1000),
	args			jsonb NOT NULL DEFAULT '[]'
		CHECK (jsonb_typeof(args) = 'array'),
	memo			jsonb,
	owner			name NOT NULL DEFAULT current_user,
	status			text NOT NULL CHECK (status IN ('scheduled', 'pending',
		'running', 'completed', 'failed', 'canceled', 'terminated',
		'timed_out')),
	start_kind		text NOT NULL
		CHECK (start_kind IN ('schedule', 'trigger', 'backfill', 'start')),
	schedule_id		text,
	nominal_time	timestamptz,
	scheduled_at	timestamptz,
	overlap_tracked boolean NOT NULL DEFAULT false,
	due_at			timestamptz NOT NULL,
	attempt			integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
	worker			text,
	lease_expires_at timestamptz,
	lease_duration	interval,		/* of the last claim; heartbeats renew it */
	cancel_requested boolean NOT NULL DEFAULT false,
	heartbeat_details jsonb,
	last_heartbeat_at timestamptz,
	last_completion_result jsonb,
	result			jsonb,
	error			text,
	close_reason	text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	started_at		timestamptz,
	closed_at		timestamptz,
	error_type		text,
	cron_schedule	text,
	start_delay		interval,
	retry_policy	jsonb CHECK (jsonb_typeof(retry_policy) = 'object'),
	retries			integer NOT NULL DEFAULT 0 CHECK (retries >= 0),
	run_timeout		interval,
	execution_timeout interval,
	run_deadline	timestamptz,
	execution_deadline timestamptz,
	signals			jsonb CHECK (jsonb_typeof(signals) = 'array'),
	CHECK ((status IN ('completed', 'failed', 'canceled', 'terminated',
					   'timed_out')) = (closed_at IS NOT NULL)),
	CHECK (cron_schedule IS NULL OR start_delay IS NULL),
	CHECK (cron_schedule IS NULL OR start_kind = 'start'),
	CHECK ((status = 'running') = (lease_expires_at IS NOT NULL)),
	CHECK ((start_kind = 'start') = (schedule_id IS NULL)),
	CHECK (start_kind <> 'schedule' OR nominal_time IS NOT NULL)
);

/* describe_workflow, and ids whose runs are all closed: the latest run */
CREATE INDEX executions_workflow_id
	ON sched.executions (workflow_id, created_at);
/* a nominal time of a schedule fires at most once */
CREATE UNIQUE INDEX executions_schedule_nominal
	ON sched.executions (schedule_id, nominal_time)
	WHERE start_kind = 'schedule';
/* poll: the oldest due pending run of a task queue */
CREATE INDEX executions_poll ON sched.executions (task_queue, due_at)
	WHERE status = 'pending';
/*
 * overlap: the open tracked runs of a schedule (this incarnation's:
 * created_at >= the schedule's).  Its predicate says "open" as closed_at
 * IS NULL (see QUEUE_OPEN_TRACKED in src/queue.h), so that no other partial
 * index on open runs can serve its queries.
 */
CREATE INDEX executions_schedule_open
	ON sched.executions (schedule_id, created_at)
	WHERE overlap_tracked AND closed_at IS NULL;
/* describe: recent actions of a schedule */
CREATE INDEX executions_schedule_recent
	ON sched.executions (schedule_id, scheduled_at)
	WHERE schedule_id IS NOT NULL;
/* the scheduler: expiring leases and runs becoming pending */
CREATE INDEX executions_lease ON sched.executions (lease_expires_at)
	WHERE status = 'running';
CREATE INDEX executions_scheduled_due ON sched.executions (due_at)
	WHERE status = 'scheduled';
/*
 * the scheduler: timeouts of open runs.  Only runs with a timeout have an
 * entry: most runs have none, and an entry per open run would be written
 * for nothing (the queries' "deadline <= $1" and min() imply NOT NULL).
 */
CREATE INDEX executions_run_deadline ON sched.executions (run_deadline)
	WHERE run_deadline IS NOT NULL
	AND status IN ('scheduled', 'pending', 'running');
CREATE INDEX executions_execution_deadline
	ON sched.executions (execution_deadline)
	WHERE execution_deadline IS NOT NULL
	AND status IN ('scheduled', 'pending', 'running');
/* retention of closed runs */
CREATE INDEX executions_closed ON sched.executions (closed_at)
	WHERE closed_at IS NOT NULL;
/*
 * one open run per workflow id.  Created after the other partial indexes on
 * open runs on purpose: its predicate is implied by their queries too, and
 * where the planner finds two paths of equal cost (on an empty table's
 * statistics, all of these indexes are empty) it keeps the one of the index
 * created first, which must be the narrow one (a lease, a deadline) rather
 * than a scan of every open run.
 */
CREATE UNIQUE INDEX executions_open_workflow_id
	ON sched.executions (workflow_id)
	WHERE status IN ('scheduled', 'pending', 'running');

COMMENT ON TABLE sched.executions IS
'Workflow runs (the queue): one row per run, claimed by workers with sched.poll()';

/* pg_dump keeps schedules and runs (the extension's own rows are data) */
SELECT pg_catalog.pg_extension_config_dump('sched.schedules', '');
SELECT pg_catalog.pg_extension_config_dump('sched.buffer', '');
SELECT pg_catalog.pg_extension_config_dump('sched.backfills', '');
SELECT pg_catalog.pg_extension_config_dump('sched.executions', '');
SELECT pg_catalog.pg_extension_config_dump(
	pg_catalog.pg_get_serial_sequence('sched.buffer', 'seq')::regclass, '');
SELECT pg_catalog.pg_extension_config_dump(
	pg_catalog.pg_get_serial_sequence('sched.backfills', 'seq')::regclass, '');
/*
 * 20_schedules.sql: the SQL functions of schedules (SEMANTICS.md 5 and 9).
 *
 * All are C functions in schedule_api.c.  None is STRICT: a NULL schedule
 * id or required argument is an error (SQLSTATE 22023) rather than a
 * silent no-op, and a NULL optional argument means its default.  They
 * change data, so they are VOLATILE; describe and list read the clock.
 */

CREATE FUNCTION sched.create_schedule(schedule_id text,
									  schedule jsonb,
									  trigger_immediately boolean DEFAULT false,
									  backfill jsonb DEFAULT '[]',
									  memo jsonb DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'sched_create_schedule'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.create_schedule(text, jsonb, boolean, jsonb, jsonb) IS
'Creates a schedule from {"action", "spec", "policy", "state"}; trigger_immediately starts one action now, backfill takes [{"start_at", "end_at", "overlap"}]; returns the id';

CREATE FUNCTION sched.describe(schedule_id text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sched_describe'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.describe(text) IS
'The canonical schedule document, its info (counters, running, recent and next actions), memo and conflict token';

CREATE FUNCTION sched.list_schedules()
RETURNS TABLE (schedule_id text, workflow text, paused boolean, note text,
			   spec jsonb, recent_actions jsonb,
			   next_action_times timestamptz[], memo jsonb)
AS 'MODULE_PATHNAME', 'sched_list_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.list_schedules() IS
'Every schedule with its spec, workflow type, pause state, last 5 actions and next 5 action times';

CREATE FUNCTION sched.pause(schedule_id text,
							note text DEFAULT 'Paused via SQL')
RETURNS void
AS 'MODULE_PATHNAME', 'sched_pause'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.pause(text, text) IS
'Pauses a schedule with a note: its times pass without actions and without being counted as missed';

CREATE FUNCTION sched.unpause(schedule_id text,
							  note text DEFAULT 'Unpaused via SQL')
RETURNS void
AS 'MODULE_PATHNAME', 'sched_unpause'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.unpause(text, text) IS
'Unpauses a schedule with a note; the paused period is not replayed';

CREATE FUNCTION sched.trigger(schedule_id text, overlap text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_trigger'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.trigger(text, text) IS
'One action now under the given overlap policy (default the schedule''s), also while paused or out of remaining actions';

CREATE FUNCTION sched.backfill(schedule_id text, start_at timestamptz,
							   end_at timestamptz, overlap text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sched_backfill'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.backfill(text, timestamptz, timestamptz, text) IS
'Buffers an action for every actual time from start_at to end_at (both included) under the given overlap policy; returns how many';

CREATE FUNCTION sched.backfill(schedule_id text, backfills jsonb)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sched_backfill_list'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.backfill(text, jsonb) IS
'Backfills a list of ranges [{"start_at", "end_at", "overlap"}]; returns how many actions they buffered';

CREATE FUNCTION sched.update(schedule_id text, schedule jsonb,
							 conflict_token bigint DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sched_update'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.update(text, jsonb, bigint) IS
'Replaces the parts of a schedule given (action, spec, policy, state), if conflict_token is NULL or current; returns the new token';

CREATE FUNCTION sched.delete(schedule_id text)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_delete'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.delete(text) IS
'Deletes a schedule with its buffer and backfills; the runs it started are left alone';
/*
 * 30_queue.sql: the run queue's SQL functions (src/queue.c), SEMANTICS.md
 * parts 8 and 9.
 *
 * Workers: sched.poll claims runs under a lease, sched.heartbeat renews it
 * (and says whether cancellation was requested), sched.complete, sched.fail
 * and sched.canceled close the run.  Operators: cancel_workflow,
 * terminate_workflow, describe_workflow, expire_leases.  A report on a run
 * that is not running is refused (SQLSTATE 55000) and changes nothing; an
 * unknown run or workflow id is 42704; invalid arguments are 22023.  None
 * is STRICT: a NULL where a value is required is an error, not a silent
 * NULL.
 */

CREATE FUNCTION sched.poll(task_queue text,
						   worker text DEFAULT NULL,
						   max_tasks integer DEFAULT 1,
						   lease interval DEFAULT '30 seconds')
RETURNS TABLE (run_id uuid, workflow_id text, workflow text, args jsonb,
			   attempt integer, schedule_id text, nominal_time timestamptz,
			   last_completion_result jsonb)
AS 'MODULE_PATHNAME', 'sched_poll'
LANGUAGE C VOLATILE ROWS 1;

COMMENT ON FUNCTION sched.poll(text, text, integer, interval) IS
'Claims up to max_tasks (1-1000) due pending runs of a task queue, oldest due first, without waiting for other pollers; each becomes running under a lease (at least 1 second) that heartbeats renew';

CREATE FUNCTION sched.heartbeat(run_id uuid, details jsonb DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_heartbeat'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.heartbeat(uuid, jsonb) IS
'Renews the lease of a running run by the lease it was claimed with and records the details (NULL keeps the last ones); true when cancellation was requested';

CREATE FUNCTION sched.complete(run_id uuid, result jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_complete'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.complete(uuid, jsonb) IS
'Closes a running run as completed with its result';

CREATE FUNCTION sched.fail(run_id uuid, error text,
						   non_retryable boolean DEFAULT false,
						   error_type text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_fail'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.fail(uuid, text, boolean, text) IS
'Closes a running run as failed with the error message, unless its retry policy gives it another try (not when non_retryable, or when error_type is one of the policy''s non_retryable_error_types): it is then scheduled again after the backoff';

CREATE FUNCTION sched.canceled(run_id uuid, details jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_canceled'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.canceled(uuid, jsonb) IS
'Closes a running run as canceled (the worker honoured a cancellation); the details are kept as its result';

CREATE FUNCTION sched.cancel_workflow(workflow_id text, reason text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_cancel_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.cancel_workflow(text, text) IS
'Cancels the open run of a workflow id: a scheduled or pending run closes as canceled at once; a running one gets a cancellation request, which its worker sees in sched.heartbeat';

CREATE FUNCTION sched.terminate_workflow(workflow_id text, reason text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_terminate_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.terminate_workflow(text, text) IS
'Closes the open run of a workflow id as terminated at once; its worker''s later reports are refused';

CREATE FUNCTION sched.describe_workflow(workflow_id text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sched_describe_workflow'
LANGUAGE C STABLE;

COMMENT ON FUNCTION sched.describe_workflow(text) IS
'The latest run of a workflow id with its status, times, lease, result or error, and "runs": how many runs the id has had';

CREATE FUNCTION sched.expire_leases()
RETURNS integer
AS 'MODULE_PATHNAME', 'sched_expire_leases'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.expire_leases() IS
'What the scheduler does on its own: open runs past their run or execution deadline time out (or are retried), running runs whose lease has expired and scheduled runs that are due become pending (NOTIFY sched_tasks); returns how many runs changed';
/*
 * 40_worker.sql: the background workers as SQL sees them.
 *
 * The workers need no set-up: with the library in shared_preload_libraries,
 * a launcher starts one scheduler in every database where this extension is
 * installed (see src/launcher.c and src/scheduler.c).
 */

CREATE FUNCTION sched.wake_scheduler()
RETURNS void
AS 'MODULE_PATHNAME', 'sched_wake_scheduler'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.wake_scheduler() IS
'At commit, wakes this database''s scheduler (to re-read the earliest due time) and the launcher (to start a scheduler where none runs); sched.* functions do it themselves';

/* Waking the launcher makes it check every database without a scheduler. */
REVOKE ALL ON FUNCTION sched.wake_scheduler() FROM PUBLIC;

CREATE FUNCTION sched.scheduler_status(
	OUT database name,
	OUT pid integer,
	OUT state text,
	OUT started_at timestamptz,
	OUT last_tick_at timestamptz,
	OUT next_wake_at timestamptz,
	OUT ticks bigint,
	OUT schedules_processed bigint,
	OUT errors bigint,
	OUT actions_fired bigint,
	OUT actions_skipped bigint,
	OUT actions_missed bigint,
	OUT lateness_p50_ms double precision,
	OUT lateness_p99_ms double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sched_scheduler_status'
LANGUAGE C VOLATILE STRICT ROWS 10;

COMMENT ON FUNCTION sched.scheduler_status() IS
'One row per pg_sched scheduler process of the cluster (every database): its state (starting, running, exited), last tick, next wake-up and counters since it started (ticks, schedules processed, errors, actions fired, skipped by overlap, missed beyond the catch-up window, p50/p99 lateness of fired runs in ms as the upper bound of a histogram bucket); no rows when the library is not preloaded';

/* So that CREATE EXTENSION starts this database's scheduler at once. */
SELECT sched.wake_scheduler();
/*
 * 50_workflow.sql: starting workflows directly (src/workflow.c),
 * SEMANTICS.md parts 7 and 9.
 *
 * sched.start_workflow starts one run under a workflow id: at once, after a
 * start delay, or as a cron job (a chain of runs under the id, one per cron
 * time); the id policies decide what happens when the id has runs already.
 * Retry policy and timeouts apply to the run (and to every run of a cron
 * chain).  sched.signal_workflow records a signal on the open run and ends
 * a start delay.  Unknown workflow ids are 42704, invalid arguments 22023,
 * an id that the policies do not let start again 23505.
 */

CREATE FUNCTION sched.start_workflow(workflow text,
									 id text,
									 task_queue text,
									 args jsonb DEFAULT '[]',
									 cron_schedule text DEFAULT NULL,
									 start_delay interval DEFAULT NULL,
									 id_reuse_policy text DEFAULT 'allow_duplicate',
									 id_conflict_policy text DEFAULT 'fail',
									 execution_timeout interval DEFAULT NULL,
									 run_timeout interval DEFAULT NULL,
									 retry_policy jsonb DEFAULT NULL,
									 memo jsonb DEFAULT NULL)
RETURNS uuid
AS 'MODULE_PATHNAME', 'sched_start_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.start_workflow(text, text, text, jsonb, text, interval, text, text, interval, interval, jsonb, jsonb) IS
'Starts a workflow run and returns its run id: pending at once, or scheduled until start_delay has passed or, with cron_schedule (standard cron, UTC unless CRON_TZ=), until its first cron time, each closed run of the chain starting the next; id_conflict_policy (fail, use_existing, terminate_existing) and id_reuse_policy (allow_duplicate, allow_duplicate_failed_only, reject_duplicate) decide about ids with runs';

CREATE FUNCTION sched.signal_workflow(workflow_id text, signal text,
									  payload jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_signal_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.signal_workflow(text, text, jsonb) IS
'Records a signal ({signal, payload, at}) on the open run of a workflow id, shown by sched.describe_workflow; a run waiting for its start delay becomes pending at once';
/*
 * 60_monitoring.sql: views for operators.
 *
 * Plain views over the tables of 10_tables.sql, so they cost what their
 * queries cost and need no upkeep.  Each is written to use the existing
 * indexes: the last run of a schedule is one backward step of
 * executions_schedule_recent (LATERAL ... LIMIT 1), its buffer size and
 * running count are index-only counts on the primary key of sched.buffer
 * and on executions_schedule_open, and recent failures are a range of
 * executions_closed.  sched.run_counts is the exception: counting runs by
 * status reads the whole queue table (bounded by pg_sched.run_retention).
 *
 * 70_security.sql makes them security_invoker and readable by PUBLIC:
 * each role sees, through the tables' row-level security, what it may see.
 */

/*
 * One row per schedule: its state, when it acts next, its last action and
 * that run's current status, its counters.  As sched.describe() does, runs
 * of an earlier schedule deleted under the same id are ignored
 * (created_at >= the schedule's created_at).
 */
CREATE VIEW sched.schedule_overview AS
SELECT s.schedule_id,
	   s.action ->> 'workflow' AS workflow,
	   s.action ->> 'task_queue' AS task_queue,
	   s.paused,
	   s.note,
	   s.next_due AS next_action_at,
	   s.next_nominal AS next_nominal_time,
	   l.scheduled_at AS last_action_at,
	   l.status AS last_status,
	   s.num_actions,
	   s.num_actions_missed_catchup_window,
	   s.num_actions_skipped_overlap,
	   s.num_buffer_dropped,
	   CASE WHEN s.limited_actions THEN s.remaining_actions END
		   AS remaining_actions,
	   (SELECT count(*) FROM sched.buffer b
		 WHERE b.schedule_id = s.schedule_id) AS buffer_size,
	   (SELECT count(*) FROM sched.executions r
		 WHERE r.schedule_id = s.schedule_id
		   AND r.overlap_tracked
		   AND r.status IN ('scheduled', 'pending', 'running')
		   AND r.created_at >= s.created_at) AS running_actions,
	   s.created_at,
	   s.last_updated_at
  FROM sched.schedules s
  LEFT JOIN LATERAL (
	  SELECT e.scheduled_at, e.status
		FROM sched.executions e
	   WHERE e.schedule_id = s.schedule_id
		 AND e.scheduled_at IS NOT NULL
		 AND e.created_at >= s.created_at
	   ORDER BY e.scheduled_at DESC
	   LIMIT 1) l ON true;

COMMENT ON VIEW sched.schedule_overview IS
'One row per schedule: paused, note, next action time, last action time and the status of its run, counters, buffer size and running actions';

/*
 * Runs by task queue and status.  For pending runs, oldest_due_at is the
 * due time of the one waiting longest and max_wait how long it has waited
 * (the backlog's lateness: no worker claimed it since); NULL for the
 * other statuses.
 */
CREATE VIEW sched.run_counts AS
SELECT e.task_queue,
	   e.status,
	   count(*) AS count,
	   min(e.due_at) FILTER (WHERE e.status = 'pending') AS oldest_due_at,
	   max(greatest(now() - e.due_at, interval '0'))
		   FILTER (WHERE e.status = 'pending') AS max_wait
  FROM sched.executions e
 GROUP BY e.task_queue, e.status;

COMMENT ON VIEW sched.run_counts IS
'Runs per task queue and status, with the oldest due time of pending runs and how long it has waited';

/*
 * Runs that closed badly (failed, timed out, terminated) in the last 24
 * hours, newest first: a range of the executions_closed index.  Failures
 * that a retry policy retried are not here (the run went back to
 * scheduled); their last one is.
 */
CREATE VIEW sched.recent_failures AS
SELECT e.closed_at,
	   e.status,
	   e.workflow_id,
	   e.workflow,
	   e.task_queue,
	   e.schedule_id,
	   e.run_id,
	   e.attempt,
	   e.retries,
	   e.error_type,
	   coalesce(e.error, e.close_reason) AS error
  FROM sched.executions e
 WHERE e.closed_at IS NOT NULL
   AND e.closed_at > now() - interval '24 hours'
   AND e.status IN ('failed', 'timed_out', 'terminated')
 ORDER BY e.closed_at DESC;

COMMENT ON VIEW sched.recent_failures IS
'Runs closed as failed, timed_out or terminated in the last 24 hours, newest first, with their error';
/*
 * 70_security.sql: who may see and do what (src/privileges.c; the README's
 * "Security model").
 *
 * A schedule and its runs belong to the role that created the schedule; a
 * run of sched.start_workflow to the role that started it.  A role sees and
 * changes what belongs to roles it is a member of; superusers and members
 * of sched_admin see and do everything; members of sched_worker, and of a
 * role granted a task queue (sched.grant_task_queue), read, claim and
 * report on the runs of every queue, or of that queue.
 *
 * The functions check these rules themselves and do their table work as
 * the extension's owner.  Other roles may only read the tables and views,
 * through row-level security policies that state the same rules.  To let a
 * role use pg_sched at all, GRANT USAGE ON SCHEMA sched TO it.
 */

/*
 * The two roles.  Roles belong to the cluster, not to a database: they are
 * created here only if they do not exist yet, and DROP EXTENSION leaves
 * them (other databases may use them).
 */
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
					WHERE rolname = 'sched_admin') THEN
		CREATE ROLE sched_admin NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
					WHERE rolname = 'sched_worker') THEN
		CREATE ROLE sched_worker NOLOGIN;
	END IF;
END
$roles$;

GRANT USAGE ON SCHEMA sched TO sched_admin, sched_worker;

/*
 * Whether the current role (or the role member) may see and change what
 * owner owns: a member of owner, a member of sched_admin, or a superuser.
 * A role that no longer exists owns nothing but what admins see.
 */
CREATE FUNCTION sched.may_access(owner name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_may_access'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION sched.may_access(name) IS
'Whether the current role may see and change what the role owner owns: a member of it or of sched_admin, or a superuser';

CREATE FUNCTION sched.may_access(owner name, member oid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_may_access'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION sched.may_access(name, oid) IS
'Whether the role member may see and change what the role owner owns: a member of it or of sched_admin, or a superuser';

/*
 * Task queues granted to roles: members of grantee may read, claim and
 * report on every run of task_queue, whoever owns it.
 */
CREATE TABLE sched.task_queue_grants (
	task_queue		text NOT NULL
		CHECK (task_queue <> '' AND octet_length(task_queue) <= 1000),
	grantee			name NOT NULL,
	granted_by		name NOT NULL,
	granted_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (task_queue, grantee)
);

COMMENT ON TABLE sched.task_queue_grants IS
'Task queues whose runs the members of a role may claim and report on without owning them (sched.grant_task_queue)';

SELECT pg_catalog.pg_extension_config_dump('sched.task_queue_grants', '');

/*
 * Whether the current role may read, claim and report on every run of
 * task_queue: a member of sched_worker (or an admin), or of a role granted
 * the queue.  A standard SQL body: resolved once, here, whatever the
 * caller's search_path.
 */
CREATE FUNCTION sched.may_work(task_queue text)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN sched.may_access('sched_worker')
	OR EXISTS (SELECT FROM sched.task_queue_grants g
				WHERE g.task_queue = may_work.task_queue
				  AND sched.may_access(g.grantee));

COMMENT ON FUNCTION sched.may_work(text) IS
'Whether the current role may claim and report on every run of a task queue: a member of sched_worker or sched_admin, of a role granted the queue, or a superuser';

CREATE FUNCTION sched.grant_task_queue(task_queue text, role name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_grant_task_queue'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.grant_task_queue(text, name) IS
'Lets the members of role claim and report on every run of task_queue (superusers and sched_admin members only); true if the grant is new';

CREATE FUNCTION sched.revoke_task_queue(task_queue text, role name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_revoke_task_queue'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.revoke_task_queue(text, name) IS
'Removes a grant of sched.grant_task_queue (superusers and sched_admin members only); true if there was one';

/*
 * Row-level security: what a role reads directly.  Only the extension's
 * owner writes (through the functions); it is the tables' owner, so the
 * policies do not apply to it, nor to the scheduler (a superuser).
 */
ALTER TABLE sched.schedules ENABLE ROW LEVEL SECURITY;
CREATE POLICY schedules_read ON sched.schedules FOR SELECT
	USING (sched.may_access(owner));

ALTER TABLE sched.buffer ENABLE ROW LEVEL SECURITY;
CREATE POLICY buffer_read ON sched.buffer FOR SELECT
	USING (EXISTS (SELECT FROM sched.schedules s
					WHERE s.schedule_id = buffer.schedule_id
					  AND sched.may_access(s.owner)));

ALTER TABLE sched.backfills ENABLE ROW LEVEL SECURITY;
CREATE POLICY backfills_read ON sched.backfills FOR SELECT
	USING (EXISTS (SELECT FROM sched.schedules s
					WHERE s.schedule_id = backfills.schedule_id
					  AND sched.may_access(s.owner)));

ALTER TABLE sched.executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY executions_read ON sched.executions FOR SELECT
	USING (sched.may_access(owner) OR sched.may_work(task_queue));

ALTER TABLE sched.task_queue_grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_queue_grants_read ON sched.task_queue_grants FOR SELECT
	USING (sched.may_access(grantee));

GRANT SELECT ON sched.schedules, sched.buffer, sched.backfills,
	sched.executions, sched.task_queue_grants TO PUBLIC;

/* The views read the tables as the role that queries them: no leak. */
ALTER VIEW sched.schedule_overview SET (security_invoker = true);
ALTER VIEW sched.run_counts SET (security_invoker = true);
ALTER VIEW sched.recent_failures SET (security_invoker = true);
GRANT SELECT ON sched.schedule_overview, sched.run_counts,
	sched.recent_failures TO PUBLIC;
