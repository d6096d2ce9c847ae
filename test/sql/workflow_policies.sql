-- Workflow id policies of sched.start_workflow (SEMANTICS.md 7), as
-- Temporal's: id_conflict_policy when the id has an open run (fail,
-- use_existing, terminate_existing), id_reuse_policy when all its runs are
-- closed (allow_duplicate, allow_duplicate_failed_only: only after a run
-- that did not complete, reject_duplicate).  Refusals are 23505 and name
-- the id.  Policy names are case-insensitive.
SET timezone = 'UTC';

-- Errors are shown by pg_temp.try(statement): "ok", or "SQLSTATE: message"
-- and the detail, with run ids shown as <run> and times as <time>.
\i test/sql/include/fixtures.sql
-- Starts wf on queue wp-q with the given policies (an hour's delay keeps
-- the scheduler away); "ok" or the error.
CREATE FUNCTION pg_temp.start(wf text, reuse text DEFAULT NULL,
                              conflict text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT pg_temp.try_masked(format(
        $s$SELECT sched.start_workflow('Report', %L, 'wp-q',
                                       start_delay => '1 hour',
                                       id_reuse_policy => %L,
                                       id_conflict_policy => %L)$s$,
        wf, reuse, conflict), true)
$$;
-- Closes the open run of wf as status (completed, failed, timed_out,
-- canceled or terminated), as a worker, a timeout or an operator would.
CREATE PROCEDURE pg_temp.close(wf text, st text) LANGUAGE plpgsql AS $$
BEGIN
    IF st IN ('canceled', 'terminated') THEN
        IF st = 'canceled' THEN
            PERFORM sched.cancel_workflow(wf);
        ELSE
            PERFORM sched.terminate_workflow(wf);
        END IF;
        RETURN;
    END IF;
    UPDATE sched.executions SET due_at = now() - interval '1 second'
     WHERE workflow_id = wf AND status = 'scheduled';
    PERFORM sched.expire_leases();
    IF st = 'timed_out' THEN
        UPDATE sched.executions SET run_deadline = now() - interval '1 second'
         WHERE workflow_id = wf AND status = 'pending';
        PERFORM sched.expire_leases();
        RETURN;
    END IF;
    -- the only pending run of the queue (every start here is delayed)
    IF st = 'completed' THEN
        PERFORM sched.complete(run_id) FROM sched.poll('wp-q', 'w1', 1, '1 hour');
    ELSE
        PERFORM sched.fail(run_id, 'boom') FROM sched.poll('wp-q', 'w1', 1, '1 hour');
    END IF;
END $$;
CREATE VIEW pg_temp.runs AS
    SELECT workflow_id, status, close_reason FROM sched.executions
     WHERE task_queue = 'wp-q' ORDER BY workflow_id, created_at, status;

-- ---- id_conflict_policy: the id has an open run ----
SELECT pg_temp.start('wp-1');
-- fail (the default)
SELECT pg_temp.start('wp-1');
SELECT pg_temp.start('wp-1', conflict => 'fail');
-- use_existing: the open run's id; nothing else happens
SELECT sched.start_workflow('Other', 'wp-1', 'another-q',
                            id_conflict_policy => 'use_existing')
       = (SELECT run_id FROM sched.executions
           WHERE workflow_id = 'wp-1' AND status = 'scheduled') AS open_run;
SELECT pg_temp.start('wp-1', conflict => 'USE_Existing');
SELECT * FROM pg_temp.runs WHERE workflow_id = 'wp-1';
-- terminate_existing: the open run is terminated, a new one started
SELECT sched.start_workflow('Report', 'wp-1', 'wp-q', start_delay => '1 hour',
                            id_conflict_policy => 'terminate_existing')
       AS new_run \gset
SELECT * FROM pg_temp.runs WHERE workflow_id = 'wp-1';
SELECT run_id = :'new_run' AS returned_new, status FROM sched.executions
 WHERE workflow_id = 'wp-1' AND status <> 'terminated';
-- ... whatever the reuse policy says: the run was open
SELECT pg_temp.start('wp-1', 'reject_duplicate', 'terminate_existing');
SELECT * FROM pg_temp.runs WHERE workflow_id = 'wp-1';

-- ---- id_reuse_policy: every run of the id is closed ----
-- allow_duplicate (the default): always
CALL pg_temp.close('wp-1', 'completed');
SELECT pg_temp.start('wp-1');
CALL pg_temp.close('wp-1', 'completed');
SELECT pg_temp.start('wp-1', 'Allow_Duplicate');
-- reject_duplicate: never (a new id is fine)
CALL pg_temp.close('wp-1', 'failed');
SELECT pg_temp.start('wp-1', 'reject_duplicate');
SELECT pg_temp.start('wp-2', 'reject_duplicate');
SELECT * FROM pg_temp.runs;
-- allow_duplicate_failed_only: only after a run that did not complete
CREATE TEMP TABLE closes (n int, st text);
INSERT INTO closes VALUES (1, 'completed'), (2, 'failed'), (3, 'timed_out'),
                          (4, 'canceled'), (5, 'terminated');
SELECT n, pg_temp.start('wp-reuse-' || n) FROM closes ORDER BY n;
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM closes ORDER BY n LOOP
        CALL pg_temp.close('wp-reuse-' || c.n, c.st);
    END LOOP;
END $$;
SELECT n, st AS latest_run, pg_temp.start('wp-reuse-' || n, 'allow_duplicate_failed_only')
  FROM closes ORDER BY n;

-- ---- a schedule's run ----
-- The policies look at every run of the id, a schedule's included;
-- terminate_existing terminates it the way terminate_workflow does
-- (schedule first), and the schedule goes on.
SELECT sched.create_schedule('wp-sched', '{
    "action": {"workflow": "Report", "id": "wp-s", "task_queue": "wp-sq"},
    "spec": {"cron_expressions": ["0 0 1 1 *"], "start_at": "2099-01-01T00:00:00Z"},
    "policy": {"pause_on_failure": true}}');
SELECT sched.trigger('wp-sched');
SELECT workflow_id AS sched_wf FROM sched.executions
 WHERE schedule_id = 'wp-sched' \gset
SELECT pg_temp.start(:'sched_wf');
SELECT pg_temp.start(:'sched_wf', conflict => 'terminate_existing');
SELECT schedule_id IS NOT NULL AS of_schedule, status, close_reason
  FROM sched.executions WHERE workflow_id = :'sched_wf' ORDER BY created_at;
SELECT paused, jsonb_array_length(sched.describe('wp-sched')->'info'->'running_actions') AS running
  FROM sched.schedules WHERE schedule_id = 'wp-sched';
SELECT sched.terminate_workflow(:'sched_wf');
SELECT sched.delete('wp-sched');

-- ---- clean up ----
DELETE FROM sched.executions WHERE task_queue IN ('wp-q', 'wp-sq');
