-- Leases (SEMANTICS.md 8): a run whose lease expires goes back to pending
-- (at-least-once delivery) and its next claim is attempt + 1; heartbeats
-- renew the lease by the lease it was claimed with.  The scheduler expires
-- leases on its own; sched.expire_leases() does the same on demand (it
-- also makes due scheduled runs pending) and returns how many runs it
-- changed.  Every run that becomes pending sends NOTIFY sched_tasks with
-- its task queue as payload.
--
-- The scheduler runs in the regress server, so each expiry below is made
-- in one transaction: the lease is moved into the past and expired before
-- anyone else can see it (a first sched.expire_leases() call takes what
-- other tests might have left, so the second one counts only ours).
--
-- Errors are shown by pg_temp.try(statement): it runs the statement in a
-- subtransaction and returns "ok", or "SQLSTATE: message" and the detail.
SET timezone = 'UTC';

CREATE PROCEDURE pg_temp.run(n int, wf text, tq text, st text DEFAULT 'pending',
                             due timestamptz DEFAULT '2024-01-01Z')
LANGUAGE sql AS $$
    INSERT INTO sched.executions (run_id, workflow_id, workflow, task_queue,
                                  status, start_kind, due_at)
    VALUES (format('00000000-0000-0000-0004-%s', lpad(n::text, 12, '0'))::uuid,
            wf, 'Report', tq, st, 'start', due)
$$;
SELECT set_config('pg_sched_test.id_block', '4', false) IS NOT NULL AS id_block;
\i test/sql/include/fixtures.sql

-- Another session listens, as a worker waiting for work would.
CREATE EXTENSION dblink;
SELECT dblink_connect('listener', 'dbname=' || current_database());
SELECT dblink_exec('listener', 'LISTEN sched_tasks');
CREATE TEMP TABLE heard (channel text, payload text);
-- Collects what the listener has heard from this file's task queues
-- (exp-*) until it has n notifications (waiting at most 60 s), then shows
-- them and forgets them.
CREATE FUNCTION pg_temp.heard(n int)
RETURNS TABLE (channel text, payload text) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..6000 LOOP
        INSERT INTO heard SELECT notify_name, extra
          FROM dblink_get_notify('listener') WHERE extra LIKE 'exp-%';
        EXIT WHEN (SELECT count(*) FROM heard) >= n;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN QUERY DELETE FROM heard RETURNING *;
END $$;

-- Runs 1 and 2 (queue exp-a) and 3 (exp-b) are claimed with a lease of an
-- hour; run 4 (exp-a) with ten minutes.
CALL pg_temp.run(1, 'exp-1', 'exp-a');
CALL pg_temp.run(2, 'exp-2', 'exp-a');
CALL pg_temp.run(3, 'exp-3', 'exp-b');
SELECT workflow_id FROM sched.poll('exp-a', 'w1', 2, '1 hour') ORDER BY 1;
SELECT workflow_id FROM sched.poll('exp-b', 'w1', 1, '1 hour');
CALL pg_temp.run(4, 'exp-4', 'exp-a');
SELECT workflow_id FROM sched.poll('exp-a', 'w1', 1, '10 minutes');

-- Heartbeats renew the lease by the claim's lease, from now.
BEGIN;
UPDATE sched.executions SET lease_expires_at = now() + interval '1 second'
 WHERE task_queue IN ('exp-a', 'exp-b');
SELECT sched.heartbeat(pg_temp.id(1), '{"done": 10}');
SELECT sched.heartbeat(pg_temp.id(4));
SELECT workflow_id, lease_expires_at - now() AS lease_left, heartbeat_details,
       last_heartbeat_at = now() AS beat_now
  FROM sched.executions WHERE task_queue IN ('exp-a', 'exp-b') ORDER BY 1;
COMMIT;

-- A lease that has run out but was not expired yet still belongs to its
-- worker: its heartbeat is accepted and renews it.
BEGIN;
UPDATE sched.executions SET lease_expires_at = now() - interval '1 minute'
 WHERE run_id = pg_temp.id(4);
SELECT sched.heartbeat(pg_temp.id(4));
SELECT lease_expires_at - now() AS lease_left FROM sched.executions
 WHERE run_id = pg_temp.id(4);
COMMIT;

-- Runs 1, 2 and 3 lapse: expired, they are pending again, due now, with no
-- worker and no lease; attempt, started_at, the heartbeat details and the
-- lease duration stay.  Run 4 (lease still valid) is untouched.
BEGIN;
SELECT sched.expire_leases() >= 0 AS flushed;
UPDATE sched.executions SET lease_expires_at = now() - interval '1 second'
 WHERE run_id IN (pg_temp.id(1), pg_temp.id(2), pg_temp.id(3));
SELECT sched.expire_leases();
SELECT workflow_id, status, worker, lease_expires_at IS NULL AS no_lease,
       due_at = now() AS due_now,
       attempt, started_at IS NOT NULL AS started, heartbeat_details,
       lease_duration
  FROM sched.executions WHERE task_queue IN ('exp-a', 'exp-b') ORDER BY 1;
COMMIT;
-- One notification per task queue at commit.
SELECT * FROM pg_temp.heard(2) ORDER BY payload;

-- The old worker's reports are refused: the run is pending again.
SELECT pg_temp.try($$SELECT sched.heartbeat(pg_temp.id(1))$$);
SELECT pg_temp.try($$SELECT sched.complete(pg_temp.id(1), '{"late": true}')$$);

-- The next claim is attempt 2, by the new worker; started_at stays the
-- first claim's.
CREATE TEMP TABLE first_start AS
    SELECT run_id, started_at FROM sched.executions
     WHERE run_id IN (pg_temp.id(1), pg_temp.id(2));
SELECT run_id, workflow_id, attempt FROM sched.poll('exp-a', 'w2', 10, '1 hour')
 ORDER BY run_id;
SELECT e.workflow_id, e.worker, e.attempt, e.started_at = f.started_at AS same_start
  FROM sched.executions e JOIN first_start f USING (run_id) ORDER BY 1;
-- Its worker completes it.
SELECT sched.complete(pg_temp.id(1), '{"rows": 1}');

-- Scheduled runs become pending once due (run 5), not before (run 6), and
-- notify too.
BEGIN;
SELECT sched.expire_leases() >= 0 AS flushed;
CALL pg_temp.run(5, 'exp-5', 'exp-c', 'scheduled', now() - interval '1 minute');
CALL pg_temp.run(6, 'exp-6', 'exp-c', 'scheduled', '2099-01-01Z');
SELECT sched.expire_leases();
SELECT workflow_id, status, due_at = now() - interval '1 minute' AS due_kept
  FROM sched.executions WHERE task_queue = 'exp-c' ORDER BY 1;
COMMIT;
SELECT * FROM pg_temp.heard(1);

-- Nothing else was heard.
SELECT count(*) FROM dblink_get_notify('listener') WHERE extra LIKE 'exp-%';
SELECT dblink_disconnect('listener');
DROP EXTENSION dblink;

DELETE FROM sched.executions WHERE workflow_id LIKE 'exp-%';
