-- Runs of a schedule, closed by workers and operators (SEMANTICS.md 3.1,
-- 3.3, 8): every close of a run that a schedule started tells the schedule
-- at once, in the closing transaction (the schedule's row is locked before
-- the run's).  So the schedule's buffer is processed at the close, not at
-- the next tick; a failure pauses a pause_on_failure schedule, a
-- cancellation or termination does not; a completion's result is the next
-- run's last_completion_result.
--
-- Workflow ids end with the trigger time (<id>-<RFC 3339 time>): shown as
-- <id>-<time>.  The specs fire in 2099 only, so the scheduler never starts
-- a run of its own here.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.mask(t text) RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(t, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<time>', 'g')
$$;
CREATE FUNCTION pg_temp.schedule(id text, overlap text) RETURNS text
LANGUAGE sql AS $$
    SELECT sched.create_schedule(id, jsonb_build_object(
        'action', jsonb_build_object('workflow', 'Report', 'id', id,
                                     'task_queue', 'qs-q'),
        'spec', '{"cron_expressions": ["0 0 1 1 *"],
                  "start_at": "2099-01-01T00:00:00Z"}'::jsonb,
        'policy', jsonb_build_object('overlap', overlap,
                                     'pause_on_failure', true)))
$$;
CREATE VIEW pg_temp.runs AS
    SELECT schedule_id, pg_temp.mask(workflow_id) AS workflow_id, status,
           last_completion_result, result, error, close_reason
      FROM sched.executions WHERE task_queue = 'qs-q'
     ORDER BY schedule_id, created_at, status;
CREATE VIEW pg_temp.schedules AS
    SELECT schedule_id, paused, pg_temp.mask(note) AS note,
           last_completion_result,
           (SELECT count(*) FROM sched.buffer b
             WHERE b.schedule_id = s.schedule_id) AS buffered
      FROM sched.schedules s WHERE schedule_id LIKE 'qs-%'
     ORDER BY schedule_id;

-- ---- complete: the buffered start follows at once, with the result ----
SELECT pg_temp.schedule('qs-one', 'buffer_one');
SELECT sched.trigger('qs-one');
SELECT sched.trigger('qs-one');
SELECT * FROM pg_temp.runs;
SELECT * FROM pg_temp.schedules;
SELECT sched.complete(run_id, '{"rows": 1}')
  FROM sched.poll('qs-q', 'w1', 1, '1 hour');
SELECT * FROM pg_temp.runs;
SELECT * FROM pg_temp.schedules;
-- The new run gets the last completion result when it is claimed.
SELECT pg_temp.mask(workflow_id), attempt, last_completion_result
  FROM sched.poll('qs-q', 'w1', 1, '1 hour');

-- ---- fail: pause_on_failure pauses the schedule with a note ----
SELECT sched.fail(run_id, 'disk full')
  FROM sched.executions WHERE schedule_id = 'qs-one' AND status = 'running';
SELECT * FROM pg_temp.runs;
SELECT * FROM pg_temp.schedules;

-- ---- cancel and terminate do not pause it ----
SELECT pg_temp.schedule('qs-two', 'skip');
-- a running run: cancellation requested, then reported by its worker
SELECT sched.trigger('qs-two');
SELECT count(*) FROM sched.poll('qs-q', 'w2', 1, '1 hour');
SELECT sched.cancel_workflow(workflow_id, 'user asked')
  FROM sched.executions WHERE schedule_id = 'qs-two' AND status = 'running';
SELECT sched.canceled(run_id)
  FROM sched.executions WHERE schedule_id = 'qs-two' AND status = 'running';
-- a pending run, canceled at once
SELECT sched.trigger('qs-two');
SELECT sched.cancel_workflow(workflow_id)
  FROM sched.executions WHERE schedule_id = 'qs-two' AND status = 'pending';
-- a running run, terminated
SELECT sched.trigger('qs-two');
SELECT count(*) FROM sched.poll('qs-q', 'w2', 1, '1 hour');
SELECT sched.terminate_workflow(workflow_id, 'stuck')
  FROM sched.executions WHERE schedule_id = 'qs-two' AND status = 'running';
SELECT * FROM pg_temp.runs WHERE schedule_id = 'qs-two';
SELECT * FROM pg_temp.schedules WHERE schedule_id = 'qs-two';

-- ---- cancel_workflow of a pending run lets the next buffered one start ----
SELECT pg_temp.schedule('qs-all', 'buffer_all');
SELECT sched.trigger('qs-all');
SELECT sched.trigger('qs-all');
SELECT sched.trigger('qs-all');
SELECT * FROM pg_temp.schedules WHERE schedule_id = 'qs-all';
SELECT sched.cancel_workflow(workflow_id)
  FROM sched.executions WHERE schedule_id = 'qs-all' AND status = 'pending';
SELECT * FROM pg_temp.runs WHERE schedule_id = 'qs-all';
SELECT * FROM pg_temp.schedules WHERE schedule_id = 'qs-all';

SELECT sched.delete(schedule_id) FROM sched.schedules
 WHERE schedule_id LIKE 'qs-%';
DELETE FROM sched.executions WHERE task_queue = 'qs-q';
