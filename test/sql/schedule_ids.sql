-- The workflow id of a schedule's runs: "<id>-<nominal time, RFC 3339 UTC>"
-- by default; the action's id_time_format gives the suffix as a to_char()
-- pattern of the UTC nominal time; keep_original_workflow_id (Temporal's)
-- gives the id as is, so at most one run of the schedule is open at a
-- time, whatever the overlap policy: what each policy does with an action
-- that meets an open run of the same id is below.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.mk(id text, action jsonb, overlap text DEFAULT 'skip')
RETURNS text LANGUAGE sql AS $$
    SELECT sched.create_schedule(id, jsonb_build_object(
        'action', '{"workflow": "W", "task_queue": "ids-q"}'::jsonb || action,
        'spec', '{"cron_expressions": ["0 * 1 1 * 2023"]}'::jsonb,
        'policy', jsonb_build_object('overlap', overlap)))
$$;
CREATE FUNCTION pg_temp.runs(id text) RETURNS TABLE (
    workflow_id text, hour int, status text, kind text) LANGUAGE sql AS $$
    SELECT workflow_id, extract(hour FROM nominal_time)::int, status, start_kind
      FROM sched.executions WHERE schedule_id = runs.id
     ORDER BY created_at, nominal_time
$$;
CREATE FUNCTION pg_temp.info(id text) RETURNS TABLE (
    num_actions int, skipped int, buffer_size int) LANGUAGE sql AS $$
    SELECT (i->>'num_actions')::int, (i->>'num_actions_skipped_overlap')::int,
           (i->>'buffer_size')::int
      FROM (SELECT sched.describe(id)->'info' AS i) d
$$;

-- the default, and a time format: compact, or coarser than the schedule
SELECT pg_temp.mk('ids-default', '{"id": "dflt"}');
SELECT pg_temp.mk('ids-fmt', '{"id": "fmt", "id_time_format": "YYYYMMDD\"T\"HH24MI"}', 'allow_all');
SELECT pg_temp.mk('ids-day', '{"id": "day", "id_time_format": "YYYY-MM-DD"}', 'allow_all');
SELECT sched.describe('ids-fmt')->'schedule'->'action' AS action;
SELECT sched.backfill('ids-default', '2023-01-01 00:00+00', '2023-01-01 01:00+00', 'allow_all');
SELECT sched.backfill('ids-fmt', '2023-01-01 00:00+00', '2023-01-01 01:00+00');
SELECT * FROM pg_temp.runs('ids-default');
SELECT * FROM pg_temp.runs('ids-fmt');
-- one id per day: the second hour of the day meets the open run of the
-- first and is skipped (counted), even under allow_all
SELECT * FROM sched.backfill_actions('ids-day', '[{"start_at": "2023-01-01T00:00:00Z",
    "end_at": "2023-01-01T01:00:00Z"}]');
SELECT * FROM pg_temp.runs('ids-day');
SELECT * FROM pg_temp.info('ids-day');
-- a trigger's id takes the format too
SELECT workflow_id FROM sched.trigger_immediately('ids-fmt', scheduled_time => '2030-07-04 09:30:15+00');

-- keep_original_workflow_id: every run is "keep"
SELECT pg_temp.mk('ids-keep-skip', '{"id": "keep-skip", "keep_original_workflow_id": true}', 'skip');
SELECT sched.describe('ids-keep-skip')->'schedule'->'action' AS action;
-- skip: the open run makes the next actions skipped by overlap
SELECT * FROM sched.backfill_actions('ids-keep-skip', '[{"start_at": "2023-01-01T00:00:00Z",
    "end_at": "2023-01-01T02:00:00Z"}]');
SELECT * FROM pg_temp.runs('ids-keep-skip');
-- buffer_all: they wait, and start one after another under the same id
-- as each run closes (a closed id may be used again)
SELECT pg_temp.mk('ids-keep-buf', '{"id": "keep-buf", "keep_original_workflow_id": true}', 'buffer_all');
SELECT * FROM sched.backfill_actions('ids-keep-buf', '[{"start_at": "2023-01-01T00:00:00Z",
    "end_at": "2023-01-01T02:00:00Z"}]');
SELECT sched.terminate_workflow('keep-buf', 'next');
SELECT * FROM pg_temp.runs('ids-keep-buf');
SELECT * FROM pg_temp.info('ids-keep-buf');
-- terminate_other: the open run is terminated and the new one starts
-- under the same id, in the same call
SELECT pg_temp.mk('ids-keep-term', '{"id": "keep-term", "keep_original_workflow_id": true}', 'terminate_other');
SELECT sched.backfill('ids-keep-term', '2023-01-01 00:00+00', '2023-01-01 00:00+00');
SELECT sched.backfill('ids-keep-term', '2023-01-01 01:00+00', '2023-01-01 01:00+00');
SELECT * FROM pg_temp.runs('ids-keep-term');
-- cancel_other: the pending run is canceled at once, then the new one starts
SELECT pg_temp.mk('ids-keep-cancel', '{"id": "keep-cancel", "keep_original_workflow_id": true}', 'cancel_other');
SELECT sched.backfill('ids-keep-cancel', '2023-01-01 00:00+00', '2023-01-01 00:00+00');
SELECT sched.backfill('ids-keep-cancel', '2023-01-01 01:00+00', '2023-01-01 01:00+00');
SELECT * FROM pg_temp.runs('ids-keep-cancel');
-- allow_all: the policy lets it start, but the id has an open run: skipped
-- (counted), as a trigger's NOTICE says
SELECT pg_temp.mk('ids-keep-all', '{"id": "keep-all", "keep_original_workflow_id": true}', 'allow_all');
SELECT * FROM sched.backfill_actions('ids-keep-all', '[{"start_at": "2023-01-01T00:00:00Z",
    "end_at": "2023-01-01T02:00:00Z"}]');
SELECT outcome FROM sched.trigger_immediately('ids-keep-all');
SELECT * FROM pg_temp.runs('ids-keep-all');
SELECT * FROM pg_temp.info('ids-keep-all');
-- a direct start of the same id follows its own id_conflict_policy
\set VERBOSITY terse
SELECT sched.start_workflow('W', 'keep-all', 'ids-q');
\set VERBOSITY default
SELECT sched.start_workflow('W', 'keep-all', 'ids-q', id_conflict_policy => 'use_existing')
       = (SELECT run_id FROM sched.executions WHERE workflow_id = 'keep-all'
           AND status = 'pending') AS same_run;
-- and a schedule's action meeting a direct start's open run is skipped
SELECT sched.terminate_workflow('keep-all', 'done');
SELECT sched.start_workflow('W', 'keep-all', 'ids-q') IS NOT NULL AS started;
SELECT outcome FROM sched.trigger_immediately('ids-keep-all');

-- Errors (22023), before anything is stored
SELECT pg_temp.mk('ids-bad', '{"id": "x", "keep_original_workflow_id": true, "id_time_format": "YYYY"}');
SELECT pg_temp.mk('ids-bad', '{"id": "x", "keep_original_workflow_id": "yes"}');
SELECT pg_temp.mk('ids-bad', '{"id": "x", "id_time_format": ""}');
SELECT pg_temp.mk('ids-bad', '{"id": "x", "id_time_format": 5}');
SELECT pg_temp.mk('ids-bad', jsonb_build_object('id', 'x', 'id_time_format', repeat('Y', 101)));
-- names translated by the session's lc_time would make ids differ by session
SELECT pg_temp.mk('ids-bad', '{"id": "x", "id_time_format": "YYYY-TMMonth"}');
SELECT pg_temp.mk('ids-quoted', '{"id": "x", "id_time_format": "YYYY\"TM\"MM"}');
SELECT workflow_id FROM sched.trigger_immediately('ids-quoted', scheduled_time => '2030-07-04 00:00+00');
-- the id plus the longest suffix the format can give must fit 1000 bytes
SELECT pg_temp.mk('ids-bad', jsonb_build_object('id', repeat('x', 985), 'id_time_format', 'FMDay FMMonth'));
SELECT pg_temp.mk('ids-long', jsonb_build_object('id', repeat('x', 979), 'id_time_format', 'FMDay FMMonth'));
-- the id as given may use the whole 1000 bytes, not more
SELECT pg_temp.mk('ids-bad', jsonb_build_object('id', repeat('x', 1001), 'keep_original_workflow_id', true));
SELECT pg_temp.mk('ids-long2', jsonb_build_object('id', repeat('x', 1000), 'keep_original_workflow_id', true));
SELECT sched.update('ids-default', '{"action": {"workflow": "W", "id": "d", "task_queue": "q", "id_time_format": ""}}');
SELECT count(*) FROM sched.schedules WHERE schedule_id LIKE 'ids-bad%';
-- an SQL action takes the options too
SELECT sched.create_schedule('ids-sql', '{"spec": {}, "action": {"sql": "SELECT 1", "id": "ids-sql",
    "keep_original_workflow_id": true}, "state": {"paused": true}}');
SELECT sched.describe('ids-sql')->'schedule'->'action' AS action;

SELECT count(*) AS deleted FROM (SELECT sched.delete(schedule_id) FROM sched.schedules
                                   WHERE schedule_id LIKE 'ids-%') d;
