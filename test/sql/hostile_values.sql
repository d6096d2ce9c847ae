-- Hostile values and settings (issue 16): extreme retry policies and
-- durations are refused or bounded before anything is stored, never a
-- "timestamp out of range" or a double overflow later inside fail or poll;
-- a session under session_replication_role = replica cannot make a deleted
-- schedule leave its buffer behind (the cascade is a trigger).
SET timezone = 'UTC';
\set VERBOSITY default

-- ---- retry policies ----
-- A coefficient beyond a double's range was accepted, and then every fail
-- of the run raised 22003 (the run could never fail, only lapse and come
-- back): it is refused at the start.
SELECT sched.start_workflow('W', 'hv-coef-inf', 'hv-q',
       retry_policy => '{"backoff_coefficient": 1e309}');
SELECT sched.start_workflow('W', 'hv-coef-neg', 'hv-q',
       retry_policy => '{"backoff_coefficient": 0.5}');
-- the same check for a schedule's action
SELECT sched.create_schedule('hv-sched', '{
    "action": {"workflow": "W", "id": "hv", "task_queue": "hv-q",
               "retry_policy": {"backoff_coefficient": 1e400}},
    "spec": {"intervals": [{"every": 60}]}}');
-- Every duration is bounded by 200 years, which no timestamp arithmetic of
-- the queue can overflow (now() + 200 years + 200 years is in 2426).
SELECT sched.start_workflow('W', 'hv-big', 'hv-q',
       retry_policy => '{"initial_interval": "73201 days"}');
SELECT sched.start_workflow('W', 'hv-big', 'hv-q',
       retry_policy => '{"maximum_interval": "36500000 days"}');
SELECT sched.start_workflow('W', 'hv-big', 'hv-q',
       retry_policy => '{"initial_interval": 1e300}');
SELECT sched.start_workflow('W', 'hv-big', 'hv-q',
       retry_policy => '{"initial_interval": "PT9999999999999999999H"}');
SELECT sched.start_workflow('W', 'hv-big', 'hv-q', start_delay => '73201 days');
SELECT sched.start_workflow('W', 'hv-big', 'hv-q', run_timeout => '73201 days');
SELECT sched.start_workflow('W', 'hv-big', 'hv-q', execution_timeout => '73201 days');
SELECT count(*) AS stored FROM sched.executions WHERE task_queue = 'hv-q';
-- a lease past the timestamp range failed inside poll's UPDATE with 22008
-- ("timestamp out of range") for every poller of the queue
SELECT sched.start_workflow('W', 'hv-lease', 'hv-q') IS NOT NULL AS started;
SELECT * FROM sched.poll('hv-q', 'w', 1, '300000 years');
SELECT * FROM sched.poll('hv-q', 'w', 1, '73201 days');
SELECT workflow_id, attempt FROM sched.poll('hv-q', 'w', 1, '200 years');
SELECT sched.terminate_workflow('hv-lease');

-- At the bounds everything works: the largest coefficient with the longest
-- intervals, the longest start delay, lease, timeouts.
SELECT sched.start_workflow('W', 'hv-max', 'hv-max-q',
       retry_policy => '{"backoff_coefficient": 1e308,
                         "initial_interval": "73000 days",
                         "maximum_interval": "73000 days"}',
       run_timeout => '73000 days') IS NOT NULL AS started;
SELECT workflow_id FROM sched.poll('hv-max-q', 'w', 1, '73000 days');
SELECT round(extract(epoch FROM lease_expires_at - now()) / 86400) AS lease_days FROM sched.executions WHERE workflow_id = 'hv-max';
SELECT sched.heartbeat(run_id) FROM sched.executions WHERE workflow_id = 'hv-max';
SELECT sched.fail(run_id, 'boom') FROM sched.executions WHERE workflow_id = 'hv-max';
SELECT status, round(extract(epoch FROM due_at - now()) / 86400) AS backoff_days, retries
  FROM sched.executions WHERE workflow_id = 'hv-max';
SELECT sched.start_workflow('W', 'hv-delay', 'hv-max-q', start_delay => '73000 days') IS NOT NULL AS started;
SELECT status, round(extract(epoch FROM due_at - now()) / 86400) AS delay_days FROM sched.executions WHERE workflow_id = 'hv-delay';
-- The default maximum_interval (100 x initial_interval) is capped at 200
-- years: the stored policy must read again at every fail.  With an
-- execution timeout the retry would come after it: no retry.
SELECT sched.start_workflow('W', 'hv-exec', 'hv-max-q',
       retry_policy => '{"initial_interval": "73000 days"}',
       execution_timeout => '73000 days') IS NOT NULL AS started;
SELECT workflow_id FROM sched.poll('hv-max-q', 'w', 1);
SELECT sched.fail(run_id, 'boom') FROM sched.executions WHERE workflow_id = 'hv-exec';
SELECT status, retries FROM sched.executions WHERE workflow_id = 'hv-exec';
SELECT sched.terminate_workflow('hv-max');
SELECT sched.terminate_workflow('hv-delay');

-- A coefficient of 1e308 overflows the backoff to infinity at the second
-- retry: it is capped by maximum_interval, as any other.
SELECT sched.start_workflow('W', 'hv-cap', 'hv-cap-q',
       retry_policy => '{"backoff_coefficient": 1e308, "initial_interval": "1s",
                         "maximum_interval": "1 hour", "maximum_attempts": 3}') IS NOT NULL AS started;
SELECT workflow_id, attempt FROM sched.poll('hv-cap-q', 'w', 1);
SELECT sched.fail(run_id, 'boom') FROM sched.executions WHERE workflow_id = 'hv-cap';
SELECT status, round(extract(epoch FROM due_at - now())) AS backoff_s FROM sched.executions WHERE workflow_id = 'hv-cap';
-- the scheduler makes it pending after the second
DO $$
BEGIN
    FOR i IN 1 .. 200 LOOP
        PERFORM pg_sleep(0.05);
        EXIT WHEN (SELECT status FROM sched.executions WHERE workflow_id = 'hv-cap') = 'pending';
    END LOOP;
END $$;
SELECT workflow_id, attempt FROM sched.poll('hv-cap-q', 'w', 1);
SELECT sched.fail(run_id, 'boom') FROM sched.executions WHERE workflow_id = 'hv-cap';
SELECT status, round(extract(epoch FROM due_at - now())) AS backoff_s, retries FROM sched.executions WHERE workflow_id = 'hv-cap';
SELECT sched.terminate_workflow('hv-cap');

-- ---- session_replication_role = replica ----
-- Triggers, the ON DELETE CASCADE of sched.buffer and sched.backfills
-- among them, do not fire under replica; pg_sched's table work runs as
-- origin, so a deleted schedule takes its buffer and backfills with it.
SET session_replication_role = replica;
SELECT sched.create_schedule('hv-replica', '{
    "action": {"workflow": "W", "id": "hv-replica", "task_queue": "hv-r-q"},
    "spec": {"intervals": [{"every": 3600}]},
    "policy": {"overlap": "buffer_all"}}',
    backfill => '[{"start_at": "2026-01-01T00:00:00Z", "end_at": "2026-01-01T05:00:00Z"}]');
SELECT count(*) AS buffered FROM sched.buffer WHERE schedule_id = 'hv-replica';
SELECT sched.backfill('hv-replica', '2025-01-01T00:00:00Z', '2025-12-31T00:00:00Z') > 0 AS backfilling;
SELECT sched.delete('hv-replica');
SELECT (SELECT count(*) FROM sched.buffer WHERE schedule_id = 'hv-replica') AS buffer_left,
       (SELECT count(*) FROM sched.backfills WHERE schedule_id = 'hv-replica') AS backfills_left;
SHOW session_replication_role;
-- a new schedule of the same id starts empty
SELECT sched.create_schedule('hv-replica', '{
    "action": {"workflow": "W", "id": "hv-replica", "task_queue": "hv-r-q"},
    "spec": {"intervals": [{"every": 3600}]}}');
SELECT sched.describe('hv-replica')->'info'->>'buffer_size' AS buffer_size;
SELECT sched.delete('hv-replica');
RESET session_replication_role;
SELECT sched.terminate_workflow(workflow_id) FROM sched.executions
 WHERE task_queue = 'hv-r-q' AND closed_at IS NULL;
