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
	/* skipped actions by reason, beside the three above (80_metrics.sql) */
	num_actions_skipped_paused bigint NOT NULL DEFAULT 0,
	num_actions_skipped_limit bigint NOT NULL DEFAULT 0,
	/* typed custom search attributes (22_search.sql), canonical form */
	search_attributes jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT schedules_search_attributes_object
		CHECK (jsonb_typeof(search_attributes) = 'object'),
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
 * Retries, timeouts and cron chains (SEMANTICS.md 7 and 8; src/run_store.c, src/run_close.c):
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
	/* the schedule's search attributes when it started the run (NULL: none) */
	search_attributes jsonb,
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
 * IS NULL (see RUN_OPEN_TRACKED in src/run_store.h), so that no other partial
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
