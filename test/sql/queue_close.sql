-- Workers close their runs (SEMANTICS.md 8): sched.complete, sched.fail and
-- sched.canceled close a running run as completed, failed or canceled.  A
-- report on a run that is not running (closed, terminated, or pending) is
-- refused with SQLSTATE 55000 and changes nothing.
--
-- Errors are shown by pg_temp.try(statement): it runs the statement in a
-- subtransaction and returns "ok", or "SQLSTATE: message" and the detail,
-- so each expected line names the SQLSTATE (the queue_* files all do so).
SET timezone = 'UTC';

CREATE PROCEDURE pg_temp.run(n int, wf text, sched_id text DEFAULT NULL)
LANGUAGE sql AS $$
    INSERT INTO sched.executions (run_id, workflow_id, workflow, task_queue,
                                  status, start_kind, schedule_id,
                                  nominal_time, due_at)
    VALUES (format('00000000-0000-0000-0002-%s', lpad(n::text, 12, '0'))::uuid,
            wf, 'Report', 'close-q', 'pending',
            CASE WHEN sched_id IS NULL THEN 'start' ELSE 'trigger' END,
            sched_id, CASE WHEN sched_id IS NOT NULL THEN timestamptz '2024-01-01Z' END,
            '2024-01-01Z')
$$;
SELECT set_config('pg_sched_test.id_block', '2', false) IS NOT NULL AS id_block;
\i test/sql/include/fixtures.sql

-- Seven runs, all claimed by w1; run 6 was triggered by a schedule that no
-- longer exists (runs outlive their schedule: the close ignores it).
CALL pg_temp.run(1, 'close-1');
CALL pg_temp.run(2, 'close-2');
CALL pg_temp.run(3, 'close-3');
CALL pg_temp.run(4, 'close-4');
CALL pg_temp.run(5, 'close-5');
CALL pg_temp.run(6, 'close-6', 'close-deleted-schedule');
CALL pg_temp.run(7, 'close-7');
SELECT count(*) FROM sched.poll('close-q', 'w1', 10, '1 hour');

SELECT sched.complete(pg_temp.id(1), '{"rows": 42}');
SELECT sched.fail(pg_temp.id(2), 'connection refused');
SELECT sched.canceled(pg_temp.id(3), '{"cleaned_up": true}');
SELECT sched.complete(pg_temp.id(4));
SELECT sched.fail(pg_temp.id(5), 'bad input', non_retryable => true);
SELECT sched.complete(pg_temp.id(6), '"done"');

-- Closed: the status, the result (a cancellation's details are its
-- result), the error; no lease; the worker and attempt are kept.
SELECT workflow_id, status, result, error, worker, attempt,
       closed_at IS NOT NULL AS closed, lease_expires_at IS NULL AS no_lease,
       closed_at >= started_at AS closed_after_start
  FROM sched.executions WHERE task_queue = 'close-q'
 ORDER BY workflow_id;

-- Run 7 is terminated under its worker; run 8 is pending, never claimed.
SELECT sched.terminate_workflow('close-7', 'operator');
CALL pg_temp.run(8, 'close-8');

-- Every report on a run that is not running is refused, and nothing
-- changes (the table is compared with a copy taken before).
CREATE TEMP TABLE before AS
    SELECT * FROM sched.executions WHERE task_queue = 'close-q';
SELECT pg_temp.try($$SELECT sched.complete(pg_temp.id(1), '{"again": true}')$$);
SELECT pg_temp.try($$SELECT sched.fail(pg_temp.id(1), 'late failure')$$);
SELECT pg_temp.try($$SELECT sched.canceled(pg_temp.id(2))$$);
SELECT pg_temp.try($$SELECT sched.complete(pg_temp.id(3))$$);
SELECT pg_temp.try($$SELECT sched.heartbeat(pg_temp.id(4), '{"p": 1}')$$);
SELECT pg_temp.try($$SELECT sched.fail(pg_temp.id(5), 'again')$$);
SELECT pg_temp.try($$SELECT sched.complete(pg_temp.id(7), '{"late": true}')$$);
SELECT pg_temp.try($$SELECT sched.fail(pg_temp.id(7), 'late')$$);
SELECT pg_temp.try($$SELECT sched.canceled(pg_temp.id(7))$$);
SELECT pg_temp.try($$SELECT sched.heartbeat(pg_temp.id(7))$$);
SELECT pg_temp.try($$SELECT sched.complete(pg_temp.id(8))$$);
SELECT pg_temp.try($$SELECT sched.complete('00000000-0000-0000-0002-000000000099')$$);
SELECT count(*) AS changed FROM (
    (SELECT * FROM sched.executions WHERE task_queue = 'close-q'
     EXCEPT SELECT * FROM before)
    UNION ALL
    (SELECT * FROM before
     EXCEPT SELECT * FROM sched.executions WHERE task_queue = 'close-q')) d;

-- The status is checked again once the row lock is held: another session
-- reports on run 9 while this one terminates it in an open transaction;
-- the report waits for the lock, then finds the run terminated and is
-- refused.
CALL pg_temp.run(9, 'close-9');
SELECT workflow_id FROM sched.poll('close-q', 'w1', 10, '1 hour') ORDER BY 1;
CREATE EXTENSION dblink;
SELECT dblink_connect('other', 'dbname=' || current_database());
SELECT pid AS other_pid FROM dblink('other', 'SELECT pg_backend_pid()') AS t(pid int) \gset
BEGIN;
SELECT sched.terminate_workflow('close-9');
SELECT dblink_send_query('other',
    $$SELECT sched.complete('00000000-0000-0000-0002-000000000009')$$);
-- wait (at most 60 s) until the other session waits for this one's lock
SET test.other_pid = :other_pid;
DO $$
BEGIN
    FOR i IN 1..6000 LOOP
        EXIT WHEN EXISTS (SELECT FROM pg_locks
                           WHERE pid = current_setting('test.other_pid')::int
                             AND NOT granted);
        PERFORM pg_sleep(0.01);
    END LOOP;
END $$;
SELECT count(*) AS other_waits FROM pg_locks
 WHERE pid = :other_pid AND NOT granted;
COMMIT;
SELECT pg_temp.try($$SELECT * FROM dblink_get_result('other') AS t(r text)$$);
SELECT dblink_disconnect('other');
DROP EXTENSION dblink;
SELECT status, result FROM sched.executions WHERE run_id = pg_temp.id(9);

DELETE FROM sched.executions WHERE task_queue = 'close-q';
