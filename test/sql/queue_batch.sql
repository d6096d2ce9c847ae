-- The batched worker API: sched.complete_runs, sched.fail_runs and
-- sched.start_workflows do what sched.complete, sched.fail and
-- sched.start_workflow do, for many runs in one call, with the same checks.
-- One row per input element, in input order; a refusal is that row's
-- sqlstate and message (the error the one-run function would have raised)
-- and never stops the others.
--
-- Run ids are shown as <run> where they are random.  The specs fire in
-- 2099 only, so the scheduler never starts a run of its own here.
SET timezone = 'UTC';

\i test/sql/include/fixtures.sql
CREATE FUNCTION pg_temp.mask(t text) RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(regexp_replace(t,
               '[0-9a-f]{8}-[0-9a-f-]{27}', '<run>', 'g'),
               '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<time>', 'g')
$$;
-- Starts n workflows qb-<prefix>-1..n on queue q (through the batch).
CREATE FUNCTION pg_temp.start(prefix text, n int, q text,
                              extra jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*) FROM sched.start_workflows(
        (SELECT jsonb_agg(jsonb_build_object('workflow', 'Report',
                                             'id', 'qb-' || prefix || '-' || i,
                                             'task_queue', q) || extra
                          ORDER BY i)
           FROM generate_series(1, n) i))
     WHERE run_id IS NOT NULL
$$;
-- The run id of workflow id wf (its latest run).
CREATE FUNCTION pg_temp.run(wf text) RETURNS uuid LANGUAGE sql AS $$
    SELECT run_id FROM sched.executions WHERE workflow_id = wf
     ORDER BY created_at DESC LIMIT 1
$$;
CREATE VIEW pg_temp.runs AS
    SELECT pg_temp.mask(workflow_id) AS workflow_id, status, result, error,
           retries
      FROM sched.executions WHERE task_queue LIKE 'qb-%'
     ORDER BY workflow_id, created_at;

-- ---- complete_runs: success, in input order ----
SELECT pg_temp.start('ok', 4, 'qb-q1');
SELECT count(*) AS claimed FROM sched.poll('qb-q1', 'w1', 10, '1 hour');
SELECT pg_temp.mask(run_id::text) AS run_id, status, sqlstate, message
  FROM sched.complete_runs(
         ARRAY[pg_temp.run('qb-ok-3'), pg_temp.run('qb-ok-1'),
               pg_temp.run('qb-ok-2')],
         ARRAY['{"n": 3}', '{"n": 1}', NULL]::jsonb[]);
-- results may be left out
SELECT status, sqlstate FROM sched.complete_runs(ARRAY[pg_temp.run('qb-ok-4')]);
SELECT * FROM pg_temp.runs WHERE workflow_id LIKE 'qb-ok-%';
-- the rows come in input order: run ids given back as they were passed
SELECT run_id = pg_temp.run('qb-ok-2') AS second
  FROM sched.complete_runs(ARRAY[pg_temp.run('qb-ok-1'), pg_temp.run('qb-ok-2')])
  WITH ORDINALITY AS r(run_id, status, sqlstate, message, n)
 WHERE n = 2;

-- ---- complete_runs: each kind of refusal, with the others closing ----
SELECT pg_temp.start('part', 3, 'qb-q2');
SELECT count(*) AS claimed FROM sched.poll('qb-q2', 'w1', 2, '1 hour');
SELECT pg_temp.mask(workflow_id) AS workflow_id, status FROM sched.executions
 WHERE task_queue = 'qb-q2' ORDER BY workflow_id;
SELECT n, pg_temp.mask(run_id::text) AS run_id, status, sqlstate,
       pg_temp.mask(message) AS message
  FROM sched.complete_runs(ARRAY[
         pg_temp.run('qb-part-1'),                       -- running: closes
         '00000000-0000-0000-0009-000000000001'::uuid,   -- unknown
         pg_temp.run('qb-part-3'),                       -- pending: not running
         pg_temp.run('qb-ok-1'),                         -- closed already
         pg_temp.run('qb-part-2'),                       -- running: closes
         pg_temp.run('qb-part-1'),                       -- given twice
         NULL])                                          -- null element
  WITH ORDINALITY AS r(run_id, status, sqlstate, message, n);
-- what one-at-a-time calls say about the same runs, for comparison
SELECT pg_temp.try_masked(format('SELECT sched.complete(%L)', pg_temp.run('qb-part-1')));
SELECT pg_temp.try_masked(format('SELECT sched.complete(%L)', pg_temp.run('qb-part-3')));
SELECT pg_temp.try('SELECT sched.complete(NULL)');
SELECT * FROM pg_temp.runs WHERE workflow_id LIKE 'qb-part-%';

-- ---- complete_runs: errors of the call as a whole ----
SELECT pg_temp.try('SELECT * FROM sched.complete_runs(NULL)');
SELECT pg_temp.try($$SELECT * FROM sched.complete_runs(
    ARRAY['00000000-0000-0000-0009-000000000001']::uuid[],
    ARRAY['{}', '{}']::jsonb[])$$);
SELECT pg_temp.try($$SELECT * FROM sched.complete_runs(
    ARRAY[['00000000-0000-0000-0009-000000000001']]::uuid[])$$);
-- an empty batch is no error
SELECT count(*) FROM sched.complete_runs('{}');
-- an oversized result refuses its run only
SELECT pg_temp.start('big', 2, 'qb-q3');
SELECT count(*) AS claimed FROM sched.poll('qb-q3', 'w1', 2, '1 hour');
SELECT status, sqlstate, message
  FROM sched.complete_runs(ARRAY[pg_temp.run('qb-big-1'), pg_temp.run('qb-big-2')],
                           ARRAY[jsonb_build_array(repeat('x', 2200000)), '1']);

-- ---- fail_runs: retries, final failures, refusals ----
SELECT pg_temp.start('fail', 3, 'qb-q4',
       '{"retry_policy": {"initial_interval": "1 hour", "maximum_attempts": 3}}');
SELECT pg_temp.start('fail-plain', 1, 'qb-q4');
SELECT count(*) AS claimed FROM sched.poll('qb-q4', 'w1', 10, '1 hour');
SELECT n, status, sqlstate, pg_temp.mask(message) AS message
  FROM sched.fail_runs(ARRAY[pg_temp.run('qb-fail-1'),      -- retried
                             pg_temp.run('qb-fail-2'),      -- non_retryable
                             pg_temp.run('qb-fail-plain-1'),-- no policy
                             pg_temp.run('qb-fail-3')],     -- null error
                       ARRAY['boom', 'fatal', 'plain', NULL],
                       ARRAY[false, true, NULL, false])
  WITH ORDINALITY AS r(run_id, status, sqlstate, message, n);
SELECT * FROM pg_temp.runs WHERE workflow_id LIKE 'qb-fail-%';
-- a run waiting for its retry is not running: refused, as sched.fail would
SELECT status, sqlstate, pg_temp.mask(message) AS message
  FROM sched.fail_runs(ARRAY[pg_temp.run('qb-fail-1')], ARRAY['again']);
SELECT pg_temp.try($$SELECT * FROM sched.fail_runs(ARRAY[NULL::uuid], NULL)$$);
SELECT pg_temp.try($$SELECT * FROM sched.fail_runs(ARRAY[NULL::uuid], ARRAY['a', 'b'])$$);
SELECT pg_temp.try($$SELECT * FROM sched.fail_runs(ARRAY[NULL::uuid], ARRAY['a'], ARRAY[true, false])$$);
-- error types, one per run, as sched.fail's error_type: a type the policy
-- lists as non-retryable makes the failure final, another one is retried;
-- the type is kept on the run either way
SELECT pg_temp.start('etype', 4, 'qb-q9',
       '{"retry_policy": {"initial_interval": "1 hour", "maximum_attempts": 3,
                          "non_retryable_error_types": ["Fatal"]}}');
SELECT count(*) AS claimed FROM sched.poll('qb-q9', 'w1', 10, '1 hour');
SELECT n, status, sqlstate, pg_temp.mask(message) AS message
  FROM sched.fail_runs(ARRAY[pg_temp.run('qb-etype-1'),     -- listed: final
                             pg_temp.run('qb-etype-2'),     -- not listed: retried
                             pg_temp.run('qb-etype-3')],    -- too long: refused
                       ARRAY['no disk', 'timeout', 'x'],
                       NULL,
                       ARRAY['Fatal', 'Transient', repeat('T', 1001)])
  WITH ORDINALITY AS r(run_id, status, sqlstate, message, n);
-- the same through sched.fail, for comparison
SELECT sched.fail(pg_temp.run('qb-etype-4'), 'no disk', false, 'Fatal');
SELECT pg_temp.mask(workflow_id) AS workflow_id, status, error, error_type, retries
  FROM sched.executions WHERE task_queue = 'qb-q9' ORDER BY workflow_id;
SELECT pg_temp.try($$SELECT * FROM sched.fail_runs(ARRAY[NULL::uuid], ARRAY['a'], NULL, ARRAY['A', 'B'])$$);

-- ---- schedule reactions ----
-- buffer_all: the buffered start follows at once when a batch closes the
-- running run; pause_on_failure pauses the schedule on a batch's failure.
SELECT sched.create_schedule('qb-buf', '{
    "action": {"workflow": "Report", "id": "qb-buf", "task_queue": "qb-qs"},
    "spec": {"cron_expressions": ["0 0 1 1 *"], "start_at": "2099-01-01T00:00:00Z"},
    "policy": {"overlap": "buffer_all"}}');
SELECT sched.create_schedule('qb-pause', '{
    "action": {"workflow": "Report", "id": "qb-pause", "task_queue": "qb-qs"},
    "spec": {"cron_expressions": ["0 0 1 1 *"], "start_at": "2099-01-01T00:00:00Z"},
    "policy": {"overlap": "allow_all", "pause_on_failure": true}}');
SELECT sched.trigger('qb-buf');
SELECT sched.trigger('qb-buf');
SELECT sched.trigger('qb-pause');
SELECT schedule_id, status, count(*) FROM sched.executions
 WHERE task_queue = 'qb-qs' GROUP BY 1, 2 ORDER BY 1, 2;
SELECT (SELECT count(*) FROM sched.buffer WHERE schedule_id = 'qb-buf') AS buffered;
SELECT count(*) AS claimed FROM sched.poll('qb-qs', 'w1', 10, '1 hour');
-- one batch: the buffer_all run completes, the pause_on_failure run fails
SELECT r.status, r.sqlstate FROM sched.executions e,
       LATERAL sched.complete_runs(ARRAY[e.run_id], ARRAY['{"done": true}'::jsonb]) r
 WHERE e.schedule_id = 'qb-buf' AND e.status = 'running';
SELECT r.status, r.sqlstate FROM sched.executions e,
       LATERAL sched.fail_runs(ARRAY[e.run_id], ARRAY['disk full']) r
 WHERE e.schedule_id = 'qb-pause' AND e.status = 'running';
SELECT schedule_id, status, last_completion_result, count(*)
  FROM sched.executions WHERE task_queue = 'qb-qs'
 GROUP BY 1, 2, 3 ORDER BY 1, 2;
SELECT (SELECT count(*) FROM sched.buffer WHERE schedule_id = 'qb-buf') AS buffered;
SELECT schedule_id, paused, pg_temp.mask(note) AS note, last_completion_result
  FROM sched.schedules WHERE schedule_id LIKE 'qb-%' ORDER BY 1;
-- the buffered start got the last completion result of its schedule
SELECT last_completion_result FROM sched.poll('qb-qs', 'w1', 1, '1 hour');
-- runs of two schedules and runs without one in one batch
SELECT sched.trigger('qb-buf');
SELECT pg_temp.start('mix', 1, 'qb-qs');
SELECT count(*) AS claimed FROM sched.poll('qb-qs', 'w1', 10, '1 hour');
SELECT count(*) FILTER (WHERE r.status = 'completed') AS completed,
       count(*) FILTER (WHERE r.sqlstate IS NOT NULL) AS refused
  FROM sched.complete_runs(ARRAY(SELECT run_id FROM sched.executions
                                  WHERE task_queue = 'qb-qs'
                                    AND status = 'running'
                                  ORDER BY run_id)) r;
SELECT schedule_id, status, count(*) FROM sched.executions
 WHERE task_queue = 'qb-qs' GROUP BY 1, 2 ORDER BY 1, 2;

-- several runs of one schedule in one batch: the schedule is locked once;
-- the first failure pauses it (with its note), the others find it paused
SELECT sched.create_schedule('qb-many', '{
    "action": {"workflow": "Report", "id": "qb-many", "task_queue": "qb-qm"},
    "spec": {"cron_expressions": ["0 0 1 1 *"], "start_at": "2099-01-01T00:00:00Z"},
    "policy": {"overlap": "allow_all", "pause_on_failure": true}}');
SELECT sched.trigger('qb-many'), pg_sleep(1.1), sched.trigger('qb-many'),
       pg_sleep(1.1), sched.trigger('qb-many');
SELECT count(*) AS claimed FROM sched.poll('qb-qm', 'w1', 10, '1 hour');
SELECT n, r.status, r.sqlstate
  FROM sched.fail_runs(ARRAY(SELECT run_id FROM sched.executions
                              WHERE schedule_id = 'qb-many' ORDER BY workflow_id),
                       ARRAY['first', 'second', 'third'])
  WITH ORDINALITY AS r(run_id, status, sqlstate, message, n);
SELECT paused, pg_temp.mask(note) AS note FROM sched.schedules
 WHERE schedule_id = 'qb-many';
SELECT status, error FROM sched.executions WHERE schedule_id = 'qb-many'
 ORDER BY workflow_id;

-- ---- start_workflows ----
SELECT ordinality, run_id IS NOT NULL AS started, sqlstate,
       pg_temp.mask(message) AS message
  FROM sched.start_workflows('[
    {"workflow": "Report", "id": "qb-s-1", "task_queue": "qb-q5",
     "args": ["eu", 3], "memo": {"k": 1}},
    {"workflow": "Report", "id": "qb-s-1", "task_queue": "qb-q5"},
    {"workflow": "Report", "id": "qb-s-1", "task_queue": "qb-q5",
     "id_conflict_policy": "use_existing"},
    {"workflow": "Report", "id": "qb-s-2", "task_queue": "qb-q5",
     "start_delay": "1 hour", "run_timeout": "10 minutes",
     "retry_policy": {"maximum_attempts": 2}},
    {"workflow": "Report", "id": "qb-s-3", "task_queue": "qb-q5",
     "cron_schedule": "0 0 1 1 *"},
    {"workflow": "Report", "id": "qb-s-4", "task_queue": "qb-q5",
     "start_delay": "1 month"},
    {"workflow": "Report", "id": "qb-s-5", "task_queue": "qb-q5", "colour": "red"},
    {"workflow": null, "id": "qb-s-6", "task_queue": "qb-q5"},
    {"workflow": "Report", "id": 7, "task_queue": "qb-q5"},
    "qb-s-8",
    {"workflow": "Report", "id": "qb-s-9", "task_queue": "qb-q5",
     "start_delay": "soon"}
  ]');
-- use_existing gave back the open run's id
SELECT count(DISTINCT run_id) AS ids FROM sched.start_workflows('[
    {"workflow": "Report", "id": "qb-s-1", "task_queue": "qb-q5",
     "id_conflict_policy": "use_existing"}]')
 WHERE run_id = pg_temp.run('qb-s-1');
SELECT workflow_id, status, args, memo, run_timeout, retry_policy IS NOT NULL AS retries,
       cron_schedule, start_delay
  FROM sched.executions WHERE task_queue = 'qb-q5' ORDER BY workflow_id;
-- with the default id policies the batch is inserted by one statement: an
-- id given twice, or one with an open run, is still refused as one at a
-- time would refuse it, and nothing is started twice
SELECT ordinality, run_id IS NOT NULL AS started, sqlstate,
       pg_temp.mask(message) AS message
  FROM sched.start_workflows('[
    {"workflow": "Report", "id": "qb-d-1", "task_queue": "qb-q7"},
    {"workflow": "Report", "id": "qb-d-2", "task_queue": "qb-q7",
     "start_delay": "1 hour", "execution_timeout": "2 hours"},
    {"workflow": "Report", "id": "qb-d-1", "task_queue": "qb-q7"},
    {"workflow": "Report", "id": "qb-s-1", "task_queue": "qb-q7",
     "id_reuse_policy": "ALLOW_DUPLICATE"}]');
SELECT workflow_id, status, start_delay, execution_timeout,
       execution_deadline - created_at > interval '1 hour' AS deadline_set,
       count(*)
  FROM sched.executions WHERE task_queue = 'qb-q7'
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1;
SELECT count(*) AS started FROM sched.start_workflows('[
    {"workflow": "Report", "id": "qb-d-3", "task_queue": "qb-q7", "args": [1]},
    {"workflow": "Report", "id": "qb-d-4", "task_queue": "qb-q7", "memo": {"m": 2}}]')
 WHERE run_id IS NOT NULL;
SELECT workflow_id, status, args, memo, owner FROM sched.executions
 WHERE workflow_id IN ('qb-d-3', 'qb-d-4') ORDER BY 1;
SELECT pg_temp.try('SELECT * FROM sched.start_workflows(NULL)');
SELECT pg_temp.try($$SELECT * FROM sched.start_workflows('{"workflow": "x"}')$$);
SELECT count(*) FROM sched.start_workflows('[]');

-- ---- privileges: the same rules as the one-run functions ----
CREATE ROLE regress_qb_alice;
CREATE ROLE regress_qb_bob;
GRANT USAGE ON SCHEMA sched TO regress_qb_alice, regress_qb_bob;
SET ROLE regress_qb_alice;
SELECT ordinality, run_id IS NOT NULL AS started, sqlstate
  FROM sched.start_workflows('[{"workflow": "Report", "id": "qb-alice-1", "task_queue": "qb-q6"},
                               {"workflow": "Report", "id": "qb-alice-2", "task_queue": "qb-q6"}]');
SELECT count(*) AS claimed FROM sched.poll('qb-q6', 'alice', 10, '1 hour');
RESET ROLE;
SELECT workflow_id, owner, status FROM sched.executions
 WHERE task_queue = 'qb-q6' ORDER BY workflow_id;
-- bob may not see alice's runs: unknown to him, and they stay running
SELECT pg_temp.run('qb-alice-1') AS alice1, pg_temp.run('qb-alice-2') AS alice2 \gset
SET ROLE regress_qb_bob;
SELECT status, sqlstate, pg_temp.mask(message) AS message
  FROM sched.complete_runs(ARRAY[:'alice1', :'alice2']::uuid[]);
SELECT status, sqlstate, pg_temp.mask(message) AS message
  FROM sched.fail_runs(ARRAY[:'alice1']::uuid[], ARRAY['no']);
SELECT pg_temp.try_masked(format('SELECT sched.complete(%L)', :'alice1'));
SELECT count(*) AS visible FROM sched.executions WHERE task_queue = 'qb-q6';
-- nor take over alice's id
SELECT ordinality, sqlstate, message FROM sched.start_workflows(
    '[{"workflow": "Report", "id": "qb-alice-1", "task_queue": "qb-q6",
       "id_conflict_policy": "use_existing"}]');
RESET ROLE;
SELECT workflow_id, status FROM sched.executions
 WHERE task_queue = 'qb-q6' ORDER BY workflow_id;
-- with a grant of the queue bob may report on them
SELECT sched.grant_task_queue('qb-q6', 'regress_qb_bob');
SET ROLE regress_qb_bob;
SELECT status, sqlstate FROM sched.complete_runs(ARRAY[:'alice1', :'alice2']::uuid[]);
RESET ROLE;
SELECT workflow_id, status FROM sched.executions
 WHERE task_queue = 'qb-q6' ORDER BY workflow_id;
SELECT sched.revoke_task_queue('qb-q6', 'regress_qb_bob');
DELETE FROM sched.executions WHERE task_queue = 'qb-q6';
REVOKE USAGE ON SCHEMA sched FROM regress_qb_alice, regress_qb_bob;
DROP ROLE regress_qb_alice;
DROP ROLE regress_qb_bob;

-- runs of one schedule closed by one batch react as they would one after
-- the other: the last completion result is the latest completed run's (in
-- input order), and the buffer is processed once, after all of them: of
-- two buffered actions, one starts when two untracked (allow_all backfill)
-- runs and the running run close together, and it gets the latest result.
-- qb-last closes them in one batch, qb-last1 one at a time, in one order.
SELECT sched.create_schedule(id, jsonb_build_object(
    'action', jsonb_build_object('workflow', 'Report', 'id', id, 'task_queue', 'qb-ql'),
    'spec', '{"intervals": [{"every": 60}]}'::jsonb,
    'policy', '{"overlap": "buffer_all"}'::jsonb,
    'state', '{"paused": true}'::jsonb))
  FROM unnest(ARRAY['qb-last', 'qb-last1']) id;
SELECT sched.trigger(id), sched.trigger(id), sched.trigger(id),
       sched.backfill(id, '2030-01-01 00:00Z', '2030-01-01 00:01Z', 'allow_all')
  FROM unnest(ARRAY['qb-last', 'qb-last1']) id;
SELECT schedule_id, count(*) AS buffered FROM sched.buffer
 WHERE schedule_id LIKE 'qb-last%' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS claimed FROM sched.poll('qb-ql', 'w1', 10, '1 hour');
CREATE VIEW pg_temp.last_runs AS
    SELECT schedule_id, run_id FROM sched.executions
     WHERE schedule_id LIKE 'qb-last%' AND status = 'running'
     ORDER BY overlap_tracked, workflow_id;
SELECT n, r.status, r.sqlstate
  FROM sched.complete_runs(
         ARRAY(SELECT run_id FROM pg_temp.last_runs WHERE schedule_id = 'qb-last'),
         ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}']::jsonb[])
  WITH ORDINALITY AS r(run_id, status, sqlstate, message, n);
SELECT sched.complete(run_id, jsonb_build_object('n', n))
  FROM (SELECT run_id, row_number() OVER () AS n FROM pg_temp.last_runs
         WHERE schedule_id = 'qb-last1') r
 ORDER BY n;
SELECT schedule_id, last_completion_result FROM sched.schedules
 WHERE schedule_id LIKE 'qb-last%' ORDER BY 1;
SELECT schedule_id, count(*) AS buffered FROM sched.buffer
 WHERE schedule_id LIKE 'qb-last%' GROUP BY 1 ORDER BY 1;
SELECT schedule_id, status, overlap_tracked, last_completion_result, count(*)
  FROM sched.executions WHERE schedule_id LIKE 'qb-last%'
 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3;
