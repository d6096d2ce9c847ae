-- Cancel, terminate and describe a workflow (SEMANTICS.md 8 and 9):
-- cancel_workflow closes a scheduled or pending run as canceled at once and
-- only requests cancellation of a running one (its worker sees it in
-- sched.heartbeat and reports sched.canceled); terminate_workflow closes any
-- open run as terminated at once.  describe_workflow shows the latest run
-- of an id and how many runs it has had.
--
-- Errors are shown by pg_temp.try(statement): it runs the statement in a
-- subtransaction and returns "ok", or "SQLSTATE: message" and the detail.
SET timezone = 'UTC';

CREATE PROCEDURE pg_temp.run(n int, wf text, st text DEFAULT 'pending',
                             due timestamptz DEFAULT '2024-01-01Z')
LANGUAGE sql AS $$
    INSERT INTO sched.executions (run_id, workflow_id, workflow, task_queue,
                                  status, start_kind, due_at)
    VALUES (format('00000000-0000-0000-0003-%s', lpad(n::text, 12, '0'))::uuid,
            wf, 'Report', 'cancel-q', st, 'start', due)
$$;
SELECT set_config('pg_sched_test.id_block', '3', false) IS NOT NULL AS id_block;
\i test/sql/include/fixtures.sql
CREATE VIEW pg_temp.runs AS
    SELECT workflow_id, status, cancel_requested, close_reason, result,
           closed_at IS NOT NULL AS closed, lease_expires_at IS NOT NULL AS leased
      FROM sched.executions WHERE task_queue = 'cancel-q';

-- Runs 3 and 4 are claimed (running); 1 and 5 pending; 2 and 6 scheduled
-- (not due before 2099).
CALL pg_temp.run(3, 'cancel-3');
CALL pg_temp.run(4, 'cancel-4');
SELECT workflow_id FROM sched.poll('cancel-q', 'w1', 10, '1 hour') ORDER BY 1;
CALL pg_temp.run(1, 'cancel-1');
CALL pg_temp.run(2, 'cancel-2', 'scheduled', '2099-01-01Z');
CALL pg_temp.run(5, 'cancel-5');
CALL pg_temp.run(6, 'cancel-6', 'scheduled', '2099-01-01Z');

-- ---- cancel_workflow ----
-- Pending and scheduled runs close as canceled at once.
SELECT sched.cancel_workflow('cancel-1', 'not needed any more');
SELECT sched.cancel_workflow('cancel-2');
SELECT * FROM pg_temp.runs WHERE workflow_id IN ('cancel-1', 'cancel-2')
 ORDER BY 1;

-- A running run gets the request; the worker learns of it in its next
-- heartbeat (false before, true after) and reports the cancellation.
SELECT sched.heartbeat(pg_temp.id(3), '{"step": 1}');
SELECT sched.cancel_workflow('cancel-3', 'user asked');
SELECT * FROM pg_temp.runs WHERE workflow_id = 'cancel-3';
SELECT sched.heartbeat(pg_temp.id(3));
-- Asking again is harmless; without a reason the first reason stays.
SELECT sched.cancel_workflow('cancel-3');
SELECT sched.canceled(pg_temp.id(3), '{"cleaned_up": true}');
SELECT * FROM pg_temp.runs WHERE workflow_id = 'cancel-3';
SELECT heartbeat_details FROM sched.executions WHERE run_id = pg_temp.id(3);

-- ---- terminate_workflow ----
-- Running, pending and scheduled runs alike close as terminated at once,
-- and the worker's later reports are refused.
SELECT sched.terminate_workflow('cancel-4', 'stuck');
SELECT sched.terminate_workflow('cancel-5');
SELECT sched.terminate_workflow('cancel-6', 'obsolete');
SELECT * FROM pg_temp.runs WHERE workflow_id IN ('cancel-4', 'cancel-5', 'cancel-6')
 ORDER BY 1;
SELECT pg_temp.try($$SELECT sched.heartbeat(pg_temp.id(4))$$);
SELECT pg_temp.try($$SELECT sched.complete(pg_temp.id(4))$$);

-- Neither touches an id without an open run.
SELECT pg_temp.try($$SELECT sched.cancel_workflow('cancel-4')$$);
SELECT pg_temp.try($$SELECT sched.terminate_workflow('cancel-1')$$);
SELECT pg_temp.try($$SELECT sched.cancel_workflow('cancel-unknown')$$);

-- ---- describe_workflow ----
-- Every field of a closed run (the times vary: shown as present or not).
CREATE FUNCTION pg_temp.describe(wf text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT d - '{created_at,started_at,closed_at,lease_expires_at,last_heartbeat_at}'::text[]
           || jsonb_build_object('times',
                  (SELECT jsonb_object_agg(k, d->>k IS NOT NULL)
                     FROM unnest('{created_at,started_at,closed_at,lease_expires_at,last_heartbeat_at}'::text[]) k))
      FROM sched.describe_workflow(wf) d
$$;
SELECT jsonb_pretty(pg_temp.describe('cancel-3'));

-- An id run twice: the latest run (here the open one), and "runs": 2.
CALL pg_temp.run(7, 'cancel-1');
SELECT d->>'run_id' AS run_id, d->>'status' AS status, d->'runs' AS runs
  FROM sched.describe_workflow('cancel-1') d;
SELECT sched.terminate_workflow('cancel-1');
SELECT d->>'run_id' AS run_id, d->>'status' AS status, d->'runs' AS runs
  FROM sched.describe_workflow('cancel-1') d;
-- A running run of a schedule: schedule, nominal time, memo, the last
-- completion result, the lease.
INSERT INTO sched.executions (run_id, workflow_id, workflow, task_queue,
                              status, start_kind, schedule_id, nominal_time,
                              scheduled_at, overlap_tracked, args, memo,
                              last_completion_result, due_at)
VALUES (pg_temp.id(8), 'hourly-2024-01-01T10:00:00Z', 'Report', 'cancel-q',
        'pending', 'schedule', 'hourly', '2024-01-01 10:00Z',
        '2024-01-01 10:00:07Z', true, '["eu"]', '{"team": "data"}',
        '{"rows": 7}', '2024-01-01 10:00:07Z');
SELECT workflow_id FROM sched.poll('cancel-q', 'w2', 1, '1 hour');
SELECT jsonb_pretty(pg_temp.describe('hourly-2024-01-01T10:00:00Z'));
SELECT pg_temp.try($$SELECT sched.describe_workflow('cancel-unknown')$$);

DELETE FROM sched.executions WHERE task_queue = 'cancel-q';
