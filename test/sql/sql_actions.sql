-- SQL actions ({"sql": ...}, issue 13): the document, its errors (22023
-- naming the field, in the wording of the other action errors), its
-- canonical form, and the reserved task queue of its runs.  The runs
-- themselves need the executors: test/t/050_sql_actions.pl.
SET timezone = 'UTC';

CREATE PROCEDURE pg_temp.bad(stmt text) LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    BEGIN
        EXECUTE stmt;
        RAISE NOTICE 'accepted';
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    END;
    RAISE NOTICE '%: %', st, msg USING DETAIL = coalesce(det, ''), HINT = coalesce(hnt, '');
END $$;

-- create_schedule('e', doc) with the action given
CREATE PROCEDURE pg_temp.bada(action text) LANGUAGE plpgsql AS $$
BEGIN
    CALL pg_temp.bad(format($q$SELECT sched.create_schedule('e', '{"spec": {"intervals": [{"every": "1h"}]}, "action": %s}')$q$, action));
END $$;

-- a valid SQL action, in canonical form
SELECT sched.create_schedule('s', '{"spec": {"intervals": [{"every": "1h"}]},
  "action": {"sql": "SELECT $1", "id": "s", "run_timeout": "10 seconds",
             "retry_policy": {"maximum_attempts": 2}, "memo": {"team": "x"}},
  "state": {"paused": true}}');
SELECT jsonb_pretty(sched.describe('s') -> 'schedule' -> 'action');
SELECT workflow, paused FROM sched.list_schedules() WHERE schedule_id = 's';
-- transaction false is kept, true is the default and not shown
SELECT sched.update('s', '{"action": {"sql": "VACUUM", "id": "s", "transaction": false}}') > 0;
SELECT sched.describe('s') -> 'schedule' -> 'action';
SELECT sched.update('s', '{"action": {"sql": "VACUUM", "id": "s", "transaction": true}}') > 0;
SELECT sched.describe('s') -> 'schedule' -> 'action';
-- an action can become a workflow action again, and back
SELECT sched.update('s', '{"action": {"workflow": "w", "id": "s", "task_queue": "q"}}') > 0;
SELECT sched.describe('s') -> 'schedule' -> 'action';
SELECT sched.update('s', '{"action": {"sql": "SELECT 1; SELECT 2", "id": "s"}}') > 0;
SELECT sched.describe('s') -> 'schedule' -> 'action';

-- errors: one of sql or workflow, task_queue, args
CALL pg_temp.bada('{"sql": "SELECT 1", "id": "x", "workflow": "w"}');
CALL pg_temp.bada('{"sql": "SELECT 1", "id": "x", "task_queue": "q"}');
CALL pg_temp.bada('{"sql": "SELECT 1", "id": "x", "args": []}');
CALL pg_temp.bada('{"sql": "SELECT 1"}');
CALL pg_temp.bada('{"id": "x"}');
-- the command
CALL pg_temp.bada('{"sql": 42, "id": "x"}');
CALL pg_temp.bada('{"sql": "", "id": "x"}');
CALL pg_temp.bada('{"sql": "SELEC 1", "id": "x"}');
CALL pg_temp.bada('{"sql": "SELECT 1; SELECT (", "id": "x"}');
CALL pg_temp.bada('{"sql": "-- nothing", "id": "x"}');
CALL pg_temp.bada('{"sql": null, "id": "x"}');
-- transaction
CALL pg_temp.bada('{"sql": "SELECT 1", "id": "x", "transaction": "no"}');
CALL pg_temp.bada('{"workflow": "w", "id": "x", "task_queue": "q", "transaction": false}');
-- the reserved task queue
CALL pg_temp.bada('{"workflow": "w", "id": "x", "task_queue": "pg_sched.sql"}');
CALL pg_temp.bad($$SELECT * FROM sched.poll('pg_sched.sql')$$);
CALL pg_temp.bad($$SELECT sched.start_workflow('w', 'x', 'pg_sched.sql')$$);
-- update checks the same way, and nothing was stored by the failures
CALL pg_temp.bad($$SELECT sched.update('s', '{"action": {"sql": "SELEC", "id": "s"}}')$$);
SELECT sched.describe('s') -> 'schedule' -> 'action' ->> 'sql';
SELECT count(*) FROM sched.schedules WHERE schedule_id IN ('s', 'e');

-- the view of runs for pg_cron users exists and is empty
SELECT count(*) FROM sched.sql_run_details;
SELECT max_executors >= 0 FROM sched.sql_executor_status();

-- the features that decide when and how often an SQL action runs are those
-- of every action: limited actions cut the next times, jitter moves them
-- (deterministically), the timeouts and the retry policy stay on the action
SELECT sched.create_schedule('lim', '{
  "spec": {"intervals": [{"every": "1h"}], "start_at": "2090-01-01T00:00:00Z", "jitter": "30m"},
  "action": {"sql": "INSERT INTO t VALUES ($1)", "id": "lim", "execution_timeout": "10 minutes",
             "run_timeout": "1 minute", "retry_policy": {"maximum_attempts": 3}},
  "state": {"limited_actions": true, "remaining_actions": 2}}');
SELECT jsonb_pretty(sched.describe('lim') -> 'schedule' -> 'action');
SELECT sched.describe('lim') -> 'schedule' -> 'state';
SELECT t, t <> date_trunc('hour', t) AS jittered
  FROM jsonb_array_elements_text(sched.describe('lim') -> 'info' -> 'next_action_times') t0(t0),
       LATERAL (SELECT t0::timestamptz AS t) x;
SELECT sched.delete('lim');
SELECT sched.delete('s');
