-- sched.trigger (SEMANTICS.md 2, 3.1, 5): one action now, named after the
-- trigger time, under the schedule's overlap policy or the one given;
-- works while paused and with no remaining actions; processed at once in
-- the caller's transaction.
SET timezone = 'UTC';

-- The runs of a schedule; a trigger's workflow id ends in the trigger
-- time, shown as <now> after checking that it is the nominal time.
CREATE FUNCTION pg_temp.runs(id text) RETURNS TABLE (
    workflow_id text, status text, start_kind text, tracked boolean,
    last_result jsonb) LANGUAGE sql AS $$
    SELECT CASE WHEN e.start_kind = 'trigger'
                 AND e.workflow_id = a.id || '-' || to_char(e.nominal_time, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                 AND e.nominal_time = e.scheduled_at
                 AND e.nominal_time = date_trunc('second', e.nominal_time)
                THEN a.id || '-<now>' ELSE e.workflow_id END,
           e.status, e.start_kind, e.overlap_tracked, e.last_completion_result
      FROM sched.executions e,
           LATERAL (SELECT action->>'id' AS id FROM sched.schedules
                     WHERE schedule_id = e.schedule_id) a
     WHERE e.schedule_id = runs.id
     ORDER BY e.nominal_time, e.created_at
$$;
CREATE FUNCTION pg_temp.counts(id text) RETURNS TABLE (
    num_actions int, skipped int, buffer_size int, running int) LANGUAGE sql AS $$
    SELECT (i->>'num_actions')::int, (i->>'num_actions_skipped_overlap')::int,
           (i->>'buffer_size')::int, jsonb_array_length(i->'running_actions')
      FROM (SELECT sched.describe(id)->'info' AS i) d
$$;

-- The schedule fires on 1 January 2023 at 00:00, 01:00, ... and in 2099;
-- backfills of 2023 give runs with their own workflow ids.
SELECT sched.create_schedule('tr-1', '{
    "action": {"workflow": "W", "id": "tr", "task_queue": "tq", "args": [42]},
    "spec": {"cron_expressions": ["0 * 1 1 * 2023,2099"]}}');

-- A trigger starts at once, tracked, pending; it does not move the cursor.
SELECT sched.trigger('tr-1');
SELECT * FROM pg_temp.runs('tr-1');
SELECT * FROM pg_temp.counts('tr-1');
SELECT next_nominal FROM sched.schedules WHERE schedule_id = 'tr-1';

-- Another trigger while that run is open: skipped under the schedule's
-- policy (skip).  A pending run counts as running.
SELECT sched.trigger('tr-1');
SELECT * FROM pg_temp.counts('tr-1');

-- The run completes with a result; the next trigger receives it as the
-- last completion result (trigger in the same second reuses the closed
-- run's workflow id, which is allowed).
SELECT count(*) AS claimed FROM sched.poll('tq');
SELECT sched.complete(run_id, '{"rows": 7}') FROM sched.executions
 WHERE schedule_id = 'tr-1' AND status = 'running';
SELECT last_completion_result FROM sched.schedules WHERE schedule_id = 'tr-1';
SELECT sched.trigger('tr-1');
SELECT * FROM pg_temp.runs('tr-1');

-- An overlap override: allow_all starts beside the open run, untracked
-- and without the last completion result.  (A backfilled time gives it a
-- workflow id of its own; the trigger's would be the open run's.)
SELECT sched.terminate_workflow(workflow_id) FROM sched.executions
 WHERE schedule_id = 'tr-1' AND status = 'pending';
SELECT sched.backfill('tr-1', '2023-01-01 00:00Z', '2023-01-01 00:00Z');
SELECT sched.trigger('tr-1', 'allow_all');
SELECT * FROM pg_temp.runs('tr-1');
SELECT * FROM pg_temp.counts('tr-1');

-- buffer_all waits for the open run and starts when it closes: a run's
-- close processes the buffer at once.
SELECT sched.terminate_workflow(workflow_id) FROM sched.executions
 WHERE schedule_id = 'tr-1' AND start_kind = 'trigger' AND status = 'pending';
SELECT sched.trigger('tr-1', 'BUFFER_ALL');
SELECT * FROM pg_temp.counts('tr-1');
SELECT start_kind, overlap FROM sched.buffer WHERE schedule_id = 'tr-1';
SELECT sched.terminate_workflow('tr-2023-01-01T00:00:00Z');
SELECT * FROM pg_temp.counts('tr-1');
SELECT * FROM pg_temp.runs('tr-1');

-- While paused, a trigger still starts.
SELECT sched.terminate_workflow(workflow_id) FROM sched.executions
 WHERE schedule_id = 'tr-1' AND status = 'pending';
SELECT sched.pause('tr-1');
SELECT sched.trigger('tr-1');
SELECT status, start_kind FROM sched.executions
 WHERE schedule_id = 'tr-1' AND status = 'pending';
SELECT sched.unpause('tr-1');

-- A trigger neither needs nor consumes remaining actions.
SELECT sched.create_schedule('tr-lim', '{
    "action": {"workflow": "W", "id": "trl", "task_queue": "tq"},
    "spec": {"cron_expressions": ["0 0 1 1 * 2099"]},
    "policy": {"overlap": "allow_all"},
    "state": {"limited_actions": true, "remaining_actions": 1}}');
SELECT sched.trigger('tr-lim');
SELECT remaining_actions, num_actions FROM sched.schedules
 WHERE schedule_id = 'tr-lim';
-- with 0 remaining (the state of an exhausted limited schedule)
UPDATE sched.schedules SET remaining_actions = 0 WHERE schedule_id = 'tr-lim';
SELECT sched.backfill('tr-lim', '2099-01-01Z', '2099-01-01Z');
SELECT remaining_actions, num_actions FROM sched.schedules
 WHERE schedule_id = 'tr-lim';

-- A trigger is an action: it happens in the caller's transaction and is
-- gone with it.
SELECT sched.create_schedule('tr-tx', '{
    "action": {"workflow": "W", "id": "trx", "task_queue": "tq"},
    "spec": {}}');
BEGIN;
SELECT sched.trigger('tr-tx');
SELECT count(*) AS in_transaction FROM sched.executions
 WHERE schedule_id = 'tr-tx';
ROLLBACK;
SELECT count(*) AS after_rollback FROM sched.executions
 WHERE schedule_id = 'tr-tx';
SELECT num_actions FROM sched.schedules WHERE schedule_id = 'tr-tx';

-- clean up
SELECT sched.delete('tr-1'), sched.delete('tr-lim'), sched.delete('tr-tx');
DELETE FROM sched.executions WHERE schedule_id LIKE 'tr-%';
