-- sched.poll (SEMANTICS.md 8): claims up to max_tasks due pending runs of
-- one task queue, oldest due first, without waiting for other pollers
-- (SKIP LOCKED); each becomes running with attempt + 1, the worker, a lease
-- and started_at at its first claim.
--
-- Runs are plain INSERTs (sched.start_workflow comes later), with fixed
-- run ids and due times long past.  Leases are 30 seconds or more, far
-- longer than the test, so the scheduler (running in the regress server)
-- expires none of them.  Errors of poll are in queue_errors.
SET timezone = 'UTC';

-- run(n, workflow_id, task_queue, due_at, status): a run with id
-- 00000000-0000-0000-0001-<n>.
CREATE PROCEDURE pg_temp.run(n int, wf text, tq text, due timestamptz,
                             st text DEFAULT 'pending')
LANGUAGE sql AS $$
    INSERT INTO sched.executions (run_id, workflow_id, workflow, task_queue,
                                  status, start_kind, due_at)
    VALUES (format('00000000-0000-0000-0001-%s', lpad(n::text, 12, '0'))::uuid,
            wf, 'Report', tq, st, 'start', due)
$$;
SELECT set_config('pg_sched_test.id_block', '1', false) IS NOT NULL AS id_block;
\i test/sql/include/fixtures.sql

-- Five due runs of queue poll-a, inserted out of due order; one of another
-- queue; one not due before 2099; one scheduled (not claimable either).
CALL pg_temp.run(3, 'poll-3', 'poll-a', '2024-01-01 00:03Z');
CALL pg_temp.run(1, 'poll-1', 'poll-a', '2024-01-01 00:01Z');
CALL pg_temp.run(5, 'poll-5', 'poll-a', '2024-01-01 00:05Z');
CALL pg_temp.run(2, 'poll-2', 'poll-a', '2024-01-01 00:02Z');
CALL pg_temp.run(4, 'poll-4', 'poll-a', '2024-01-01 00:04Z');
CALL pg_temp.run(6, 'poll-6', 'poll-b', '2024-01-01 00:00Z');
CALL pg_temp.run(7, 'poll-7', 'poll-a', '2099-01-01 00:00Z');
CALL pg_temp.run(8, 'poll-8', 'poll-a', '2099-01-01 00:00Z', 'scheduled');
-- A run claimed before, back in the queue: attempt 2, first claimed in 2024.
CALL pg_temp.run(9, 'poll-9', 'poll-c', '2024-01-01 00:00Z');
UPDATE sched.executions
   SET attempt = 2, started_at = '2024-01-01 00:00:30Z', worker = 'old',
       args = '[1, "x"]', schedule_id = 'nightly', start_kind = 'trigger',
       nominal_time = '2024-01-01 00:00Z',
       last_completion_result = '{"rows": 42}'
 WHERE run_id = pg_temp.id(9);

-- Default max_tasks 1: the oldest due run.
SELECT * FROM sched.poll('poll-a', 'w1');
-- The next two, oldest first; then what is left that is due (not the 2099
-- run, not the scheduled one).
SELECT run_id, workflow_id, attempt FROM sched.poll('poll-a', 'w1', 2);
SELECT run_id, workflow_id, attempt FROM sched.poll('poll-a', 'w2', 1000);
-- Nothing due is left in poll-a; poll-b still has its run.
SELECT count(*) FROM sched.poll('poll-a', 'w1', 1000);
SELECT run_id, workflow_id FROM sched.poll('poll-b', 'w3', 10, '1 hour');

-- What a claim wrote: running, attempt 1, the worker, a lease of the
-- default 30 seconds from the claim (poll-6: one hour), started_at = the
-- claim; the other runs are untouched.
SELECT workflow_id, status, attempt, worker, lease_duration,
       lease_expires_at = started_at + interval '30 seconds' AS lease_from_claim,
       closed_at IS NULL AS open
  FROM sched.executions WHERE task_queue IN ('poll-a', 'poll-b')
 ORDER BY workflow_id;

-- A scheduled run is not claimed even when due (the scheduler makes it
-- pending first: queue_expiry).  Uncommitted, so the scheduler cannot.
BEGIN;
CALL pg_temp.run(14, 'poll-14', 'poll-f', '2024-01-01 00:00Z', 'scheduled');
SELECT count(*) FROM sched.poll('poll-f', 'w1', 10);
ROLLBACK;

-- The lease is now() + lease, in the claiming transaction.
BEGIN;
CALL pg_temp.run(10, 'poll-10', 'poll-d', '2024-01-01 00:00Z');
SELECT workflow_id FROM sched.poll('poll-d', NULL, 1, '1 hour 30 minutes');
SELECT status, worker IS NULL AS no_worker, lease_duration,
       lease_expires_at - now() AS lease_left, started_at = now() AS started_now
  FROM sched.executions WHERE run_id = pg_temp.id(10);
COMMIT;

-- A run claimed before: attempt 3, started_at kept from its first claim,
-- the new worker; poll returns its args, schedule, nominal time and the
-- last completion result.
SELECT * FROM sched.poll('poll-c', 'w4', 1, '1 hour');
SELECT attempt, worker, started_at FROM sched.executions
 WHERE run_id = pg_temp.id(9);

-- SKIP LOCKED, seen from two sessions: another session claims run 11 in
-- an open transaction; this session's poll does not wait for it and takes
-- run 12, the next one; once the other commits, each has its own.
CALL pg_temp.run(11, 'poll-11', 'poll-e', '2024-01-01 00:01Z');
CALL pg_temp.run(12, 'poll-12', 'poll-e', '2024-01-01 00:02Z');
CALL pg_temp.run(13, 'poll-13', 'poll-e', '2024-01-01 00:03Z');
CREATE EXTENSION dblink;
SELECT dblink_connect('other', 'dbname=' || current_database());
SELECT dblink_exec('other', 'BEGIN');
SELECT * FROM dblink('other',
    $$SELECT run_id FROM sched.poll('poll-e', 'other', 1, '1 hour')$$)
    AS t(run_id uuid);
SET lock_timeout = '10s';
SELECT run_id, workflow_id FROM sched.poll('poll-e', 'w5', 1, '1 hour');
RESET lock_timeout;
SELECT dblink_exec('other', 'COMMIT');
SELECT dblink_disconnect('other');
DROP EXTENSION dblink;
SELECT workflow_id, status, worker, attempt FROM sched.executions
 WHERE task_queue = 'poll-e' ORDER BY workflow_id;

DELETE FROM sched.executions WHERE workflow_id LIKE 'poll-%';
