-- Hostile strings and the limits that protect the server (README
-- "Limits"): ids, task queues, workflow types, notes, memos, args and
-- results holding quotes, semicolons, backslashes, SQL, emoji, right-to-left
-- text and combining marks are stored and returned byte for byte; values
-- over a limit are refused before anything is stored, naming the argument
-- and the limit.
SET timezone = 'UTC';

-- One hostile string: quotes, a semicolon and SQL, backslashes, a newline,
-- emoji, Hebrew and Arabic, a right-to-left override, a combining accent.
SELECT $h$it's "q"; DROP TABLE sched.executions; -- \x\\ $1 %s
🙂👩‍💻 שלום مرحبا ‮evil‬ e$h$ || U&'\0301' AS h \gset
SELECT length(:'h') AS chars, octet_length(:'h') AS bytes;
-- a megabyte string
SELECT repeat('🙂\";', 150000) AS big \gset
SELECT octet_length(:'big') AS big_bytes;

-- ---- a schedule made of hostile strings ----
SELECT sched.create_schedule(:'h',
    jsonb_build_object(
        'action', jsonb_build_object('workflow', :'h', 'id', :'h',
                                     'task_queue', :'h',
                                     'args', jsonb_build_array(:'h', :'big'),
                                     'memo', jsonb_build_object(:'h', :'h')),
        'spec', '{"calendars": [{"year": 2099, "comment": "x"}]}'::jsonb,
        'state', jsonb_build_object('note', :'h')),
    memo => jsonb_build_object(:'h', :'big')) = :'h' AS same_id;

SELECT d ->> 'id' = :'h' AS id,
       d -> 'schedule' -> 'action' ->> 'workflow' = :'h' AS workflow,
       d -> 'schedule' -> 'action' ->> 'id' = :'h' AS action_id,
       d -> 'schedule' -> 'action' ->> 'task_queue' = :'h' AS task_queue,
       d -> 'schedule' -> 'action' -> 'args' = jsonb_build_array(:'h', :'big') AS args,
       d -> 'schedule' -> 'action' -> 'memo' = jsonb_build_object(:'h', :'h') AS action_memo,
       d -> 'schedule' -> 'state' ->> 'note' = :'h' AS note,
       md5(d -> 'memo' ->> :'h') = md5(:'big') AS memo
  FROM sched.describe(:'h') d;

SELECT schedule_id = :'h' AS id, workflow = :'h' AS workflow,
       note = :'h' AS note, md5(memo ->> :'h') = md5(:'big') AS memo
  FROM sched.list_schedules() WHERE schedule_id = :'h';

SELECT sched.pause(:'h', :'h' || ' (paused)');
SELECT note = :'h' || ' (paused)' AS note FROM sched.schedules
 WHERE schedule_id = :'h';
SELECT sched.update(:'h', jsonb_build_object('state',
           jsonb_build_object('note', :'h'))) > 0 AS updated;

-- its run: claimed from the hostile queue with its arguments intact
SELECT sched.trigger(:'h');
SELECT left(workflow_id, length(:'h') + 1) = :'h' || '-' AND
       substr(workflow_id, length(:'h') + 2) ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
       AS workflow_id,
       workflow = :'h' AS workflow, schedule_id = :'h' AS schedule_id,
       md5(args::text) = md5(jsonb_build_array(:'h', :'big')::text) AS args,
       args ->> 1 = :'big' AS big_arg
  FROM sched.poll(:'h', :'h');
SELECT run_id AS hrun FROM sched.executions WHERE schedule_id = :'h' \gset
SELECT sched.heartbeat(:'hrun', jsonb_build_object(:'h', :'h'));
SELECT sched.complete(:'hrun', jsonb_build_object('out', :'big', 'h', :'h'));
SELECT md5(result::text) = md5(jsonb_build_object('out', :'big', 'h', :'h')::text)
       AS result,
       heartbeat_details = jsonb_build_object(:'h', :'h') AS details
  FROM sched.executions WHERE run_id = :'hrun';
SELECT left(sched.describe(:'h') -> 'info' -> 'recent_actions' -> 0 ->> 'workflow_id',
            length(:'h') + 1) = :'h' || '-' AS recent;

-- ---- a started workflow made of hostile strings ----
SELECT sched.start_workflow(:'h', :'h', :'h' || ' queue',
                            jsonb_build_array(:'big', :'h'),
                            memo => jsonb_build_object('m', :'h'))
       IS NOT NULL AS started;
SELECT workflow_id = :'h' AS workflow_id, workflow = :'h' AS workflow,
       args -> 0 = to_jsonb(:'big'::text) AS big_arg,
       args ->> 1 = :'h' AS h_arg
  FROM sched.poll(:'h' || ' queue');
SELECT sched.signal_workflow(:'h', :'h', jsonb_build_object(:'h', :'big'));
SELECT w -> 'signals' -> 0 ->> 'signal' = :'h' AS signal,
       md5(w -> 'signals' -> 0 -> 'payload' ->> :'h') = md5(:'big') AS payload,
       w ->> 'workflow_id' = :'h' AS workflow_id,
       w -> 'memo' ->> 'm' = :'h' AS memo
  FROM sched.describe_workflow(:'h') w;
SELECT run_id AS wrun FROM sched.executions WHERE workflow_id = :'h' \gset
SELECT sched.fail(:'wrun', :'big', error_type => :'h');
SELECT md5(error) = md5(:'big') AS error, error_type = :'h' AS error_type
  FROM sched.executions WHERE run_id = :'wrun';

-- ---- names: 1000 bytes at most (22023) ----
SELECT repeat('é', 500) AS k1000, repeat('é', 500) || 'x' AS k1001 \gset
SELECT sched.create_schedule(:'big', '{"action": {"workflow": "W", "id": "a", "task_queue": "q"}, "spec": {}}');
SELECT sched.create_schedule(:'k1001', '{"action": {"workflow": "W", "id": "a", "task_queue": "q"}, "spec": {}}');
SELECT sched.create_schedule(:'k1000', '{"action": {"workflow": "W", "id": "a", "task_queue": "q"}, "spec": {}}') = :'k1000' AS k1000_ok;
SELECT sched.pause(:'k1000', :'k1001');
SELECT sched.pause(:'k1000', :'k1000');
SELECT sched.update(:'k1000', jsonb_build_object('state', jsonb_build_object('note', :'big')));
SELECT sched.update(:'k1000', jsonb_build_object('action', jsonb_build_object('workflow', :'k1001', 'id', 'a', 'task_queue', 'q')));
SELECT sched.update(:'k1000', jsonb_build_object('action', jsonb_build_object('workflow', 'W', 'id', :'k1000', 'task_queue', 'q')));
SELECT sched.update(:'k1000', jsonb_build_object('action', jsonb_build_object('workflow', 'W', 'id', 'a', 'task_queue', :'k1001')));
SELECT sched.start_workflow('W', :'k1001', 'q');
SELECT sched.start_workflow(:'k1001', 'x', 'q');
SELECT sched.start_workflow('W', 'x', :'big');
SELECT sched.poll(:'k1001');
SELECT sched.poll('q', worker => :'k1001');
SELECT sched.cancel_workflow('x', :'k1001');
SELECT sched.terminate_workflow('x', :'k1001');
SELECT sched.signal_workflow('x', :'k1001');
SELECT sched.fail('00000000-0000-0000-0000-000000000000', 'e', error_type => :'k1001');
SELECT sched.grant_task_queue(:'k1001', current_user);

-- ---- payloads: 2 MB at most (22023) ----
SELECT repeat('x', 2 * 1024 * 1024) AS huge \gset
SELECT sched.start_workflow('W', 'x', 'q', jsonb_build_array(:'huge'));
SELECT sched.start_workflow('W', 'x', 'q', memo => jsonb_build_object('m', :'huge'));
SELECT sched.create_schedule('huge', jsonb_build_object('action',
    jsonb_build_object('workflow', 'W', 'id', 'a', 'task_queue', 'q',
                       'args', jsonb_build_array(:'huge')), 'spec', '{}'::jsonb));
SELECT sched.create_schedule('huge', '{"action": {"workflow": "W", "id": "a", "task_queue": "q"}, "spec": {}}',
                             memo => jsonb_build_object('m', :'huge'));
SELECT sched.complete('00000000-0000-0000-0000-000000000000', jsonb_build_object('r', :'huge'));
SELECT sched.heartbeat('00000000-0000-0000-0000-000000000000', jsonb_build_object('r', :'huge'));
SELECT sched.canceled('00000000-0000-0000-0000-000000000000', jsonb_build_object('r', :'huge'));
SELECT sched.fail('00000000-0000-0000-0000-000000000000', :'huge' || :'huge');
SELECT sched.signal_workflow('x', 's', jsonb_build_object('r', :'huge'));
SELECT count(*) AS nothing_stored FROM sched.schedules WHERE schedule_id = 'huge';

-- ---- counts: backfill ranges per call, signals per run (54000) ----
SELECT sched.backfill(:'k1000', (SELECT jsonb_agg(jsonb_build_object(
           'start_at', '2000-01-01T00:00:00Z', 'end_at', '2000-01-01T00:00:00Z'))
       FROM generate_series(1, 1001)));
SELECT sched.backfill(:'k1000', (SELECT jsonb_agg(jsonb_build_object(
           'start_at', '2000-01-01T00:00:00Z', 'end_at', '2000-01-01T00:00:00Z'))
       FROM generate_series(1, 1000)));
SELECT sched.start_workflow('W', 'signals', 'q') IS NOT NULL AS started;
DO $$
BEGIN
    FOR i IN 1..1000 LOOP
        PERFORM sched.signal_workflow('signals', 's' || i);
    END LOOP;
END $$;
SELECT sched.signal_workflow('signals', 'one too many');
SELECT jsonb_array_length(signals) FROM sched.executions
 WHERE workflow_id = 'signals';

-- clean up
DELETE FROM sched.schedules;
DELETE FROM sched.executions;
