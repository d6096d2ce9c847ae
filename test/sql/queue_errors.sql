-- Every error of the queue's SQL functions, with its SQLSTATE
-- (SEMANTICS.md 6 and 8): invalid or missing arguments are 22023, an
-- unknown run or workflow id 42704, a report on a run that is not running
-- or a cancellation of an id without an open run 55000.
--
-- Errors are shown by pg_temp.try(statement): it runs the statement in a
-- subtransaction and returns "ok", or "SQLSTATE: message" and the detail
-- and hint, so each expected line names the SQLSTATE.
SET timezone = 'UTC';

\i test/sql/include/fixtures.sql

-- Runs: 1 pending, 2 running, 3 completed, 4 terminated, 5 scheduled.
INSERT INTO sched.executions (run_id, workflow_id, workflow, task_queue,
                              status, start_kind, due_at)
SELECT format('00000000-0000-0000-0005-%s', lpad(n::text, 12, '0'))::uuid,
       'err-' || n, 'Report', 'err-q', 'pending', 'start', '2024-01-01Z'
  FROM generate_series(1, 5) n;
UPDATE sched.executions SET status = 'scheduled', due_at = '2099-01-01Z'
 WHERE workflow_id = 'err-5';
SELECT count(*) FROM sched.poll('err-q', 'w', 10, '1 hour');
SELECT sched.complete('00000000-0000-0000-0005-000000000003');
SELECT sched.terminate_workflow('err-4');
UPDATE sched.executions SET status = 'pending', lease_expires_at = NULL
 WHERE workflow_id = 'err-1';

-- ---- poll ----
SELECT pg_temp.try($$SELECT sched.poll(NULL)$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', NULL)$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1, NULL)$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 0)$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', -1)$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1001)$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1000)$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1, '0.5 seconds')$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1, '0')$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1, '-1 hour')$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1, '1 day -86399.5 seconds')$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1, '1 second')$$);
SELECT pg_temp.try($$SELECT sched.poll('err-none', 'w', 1, 'PT2M')$$);

-- ---- heartbeat ----
SELECT pg_temp.try($$SELECT sched.heartbeat(NULL)$$);
SELECT pg_temp.try($$SELECT sched.heartbeat('00000000-0000-0000-0005-000000000099')$$);
SELECT pg_temp.try($$SELECT sched.heartbeat('00000000-0000-0000-0005-000000000001')$$);
SELECT pg_temp.try($$SELECT sched.heartbeat('00000000-0000-0000-0005-000000000003')$$);
SELECT pg_temp.try($$SELECT sched.heartbeat('00000000-0000-0000-0005-000000000004')$$);
SELECT pg_temp.try($$SELECT sched.heartbeat('00000000-0000-0000-0005-000000000005')$$);
SELECT pg_temp.try($$SELECT sched.heartbeat('00000000-0000-0000-0005-000000000002', '{"ok": true}')$$);

-- ---- complete, fail, canceled ----
SELECT pg_temp.try($$SELECT sched.complete(NULL)$$);
SELECT pg_temp.try($$SELECT sched.fail(NULL, 'x')$$);
SELECT pg_temp.try($$SELECT sched.canceled(NULL)$$);
SELECT pg_temp.try($$SELECT sched.fail('00000000-0000-0000-0005-000000000002', NULL)$$);
SELECT pg_temp.try($$SELECT sched.complete('00000000-0000-0000-0005-000000000099')$$);
SELECT pg_temp.try($$SELECT sched.fail('00000000-0000-0000-0005-000000000099', 'x')$$);
SELECT pg_temp.try($$SELECT sched.canceled('00000000-0000-0000-0005-000000000099')$$);
SELECT pg_temp.try($$SELECT sched.complete('00000000-0000-0000-0005-000000000001')$$);
SELECT pg_temp.try($$SELECT sched.fail('00000000-0000-0000-0005-000000000003', 'x')$$);
SELECT pg_temp.try($$SELECT sched.canceled('00000000-0000-0000-0005-000000000004')$$);
SELECT pg_temp.try($$SELECT sched.complete('00000000-0000-0000-0005-000000000005')$$);
-- run 2 is still running after all of that
SELECT status FROM sched.executions WHERE workflow_id = 'err-2';

-- ---- cancel_workflow, terminate_workflow ----
SELECT pg_temp.try($$SELECT sched.cancel_workflow(NULL)$$);
SELECT pg_temp.try($$SELECT sched.terminate_workflow(NULL, 'why')$$);
SELECT pg_temp.try($$SELECT sched.cancel_workflow('err-unknown')$$);
SELECT pg_temp.try($$SELECT sched.terminate_workflow('err-unknown')$$);
SELECT pg_temp.try($$SELECT sched.cancel_workflow('err-3')$$);
SELECT pg_temp.try($$SELECT sched.terminate_workflow('err-4')$$);

-- ---- describe_workflow ----
SELECT pg_temp.try($$SELECT sched.describe_workflow(NULL)$$);
SELECT pg_temp.try($$SELECT sched.describe_workflow('err-unknown')$$);
SELECT pg_temp.try($$SELECT sched.describe_workflow('err-3')$$);

DELETE FROM sched.executions WHERE task_queue = 'err-q';
