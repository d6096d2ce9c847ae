-- sched.delete (SEMANTICS.md 5): the schedule goes with its buffer and its
-- backfills; the runs it started are not touched, and closing them later
-- is fine; the id can be used again.
SET timezone = 'UTC';

SELECT sched.create_schedule('de-1', '{
    "action": {"workflow": "W", "id": "de", "task_queue": "dq"},
    "spec": {"cron_expressions": ["* * * * * 2023,2099"]},
    "policy": {"overlap": "buffer_all"}}');
-- a run open, 1000 waiting in the buffer, the rest in a backfill cursor
SELECT sched.backfill('de-1', '2023-01-01 00:00Z', '2023-01-01 23:59Z');
SELECT (SELECT count(*) FROM sched.buffer WHERE schedule_id = 'de-1') AS buffered,
       (SELECT count(*) FROM sched.backfills WHERE schedule_id = 'de-1') AS cursors,
       (SELECT count(*) FROM sched.executions WHERE schedule_id = 'de-1') AS runs;

SELECT sched.delete('de-1');
SELECT (SELECT count(*) FROM sched.schedules WHERE schedule_id = 'de-1') AS schedules,
       (SELECT count(*) FROM sched.buffer WHERE schedule_id = 'de-1') AS buffered,
       (SELECT count(*) FROM sched.backfills WHERE schedule_id = 'de-1') AS cursors;
-- the run is still there, open
SELECT workflow_id, status, schedule_id FROM sched.executions
 WHERE schedule_id = 'de-1';
-- gone for every function
DO $$ BEGIN
    PERFORM sched.describe('de-1');
EXCEPTION WHEN undefined_object THEN
    RAISE NOTICE '%', SQLERRM;
END $$;
DO $$ BEGIN
    PERFORM sched.delete('de-1');
EXCEPTION WHEN undefined_object THEN
    RAISE NOTICE '%', SQLERRM;
END $$;

-- the orphan run can still be claimed and closed
SELECT count(*) AS claimed FROM sched.poll('dq');
SELECT sched.complete(run_id, '{"ok": true}') FROM sched.executions
 WHERE schedule_id = 'de-1';
SELECT workflow_id, status, result FROM sched.executions
 WHERE schedule_id = 'de-1';

-- the id is free again: a new schedule, with nothing of the old one
SELECT sched.create_schedule('de-1', '{
    "action": {"workflow": "W", "id": "de", "task_queue": "dq"},
    "spec": {"cron_expressions": ["0 0 1 1 * 2099"]}}');
SELECT (i->>'num_actions')::int AS num_actions, (i->>'buffer_size')::int AS buffer_size,
       i->'running_actions' AS running
  FROM (SELECT sched.describe('de-1')->'info' AS i) d;

-- a new incarnation ignores the open runs of the old one: they neither
-- count as running for its overlap policy (skip) nor show in describe, and
-- closing them (even as failed) does not touch the new schedule
SELECT sched.delete('de-1');
SELECT sched.create_schedule('de-1', '{
    "action": {"workflow": "W", "id": "de", "task_queue": "dq"},
    "spec": {"cron_expressions": ["0 0 1 1 * 2099"]},
    "policy": {"pause_on_failure": true}}', trigger_immediately => true);
SELECT run_id AS old_run FROM sched.executions
 WHERE schedule_id = 'de-1' AND status = 'pending' \gset
SELECT sched.delete('de-1');
SELECT sched.create_schedule('de-1', '{
    "action": {"workflow": "W", "id": "de2", "task_queue": "dq"},
    "spec": {"cron_expressions": ["0 0 1 1 * 2099"]},
    "policy": {"overlap": "skip"}}');
SELECT sched.trigger('de-1');
SELECT (i->>'num_actions')::int AS num_actions,
       (i->>'num_actions_skipped_overlap')::int AS skipped,
       jsonb_array_length(i->'running_actions') AS running,
       jsonb_array_length(i->'recent_actions') AS recent,
       i->'running_actions'->0->>'workflow_id' LIKE 'de2-%' AS new_run_only
  FROM (SELECT sched.describe('de-1')->'info' AS i) d;
SELECT count(*) AS claimed FROM sched.poll('dq', max_tasks => 10);
SELECT sched.fail(:'old_run', 'boom');
SELECT s->'state'->>'paused' AS paused
  FROM (SELECT sched.describe('de-1')->'schedule' AS s) d;
SELECT sched.complete(run_id) FROM sched.executions
 WHERE schedule_id = 'de-1' AND status = 'running';

-- a delete is undone with its transaction
BEGIN;
SELECT sched.delete('de-1');
ROLLBACK;
SELECT count(*) AS still_there FROM sched.schedules WHERE schedule_id = 'de-1';

-- clean up
SELECT sched.delete('de-1');
DELETE FROM sched.executions WHERE schedule_id = 'de-1';
