-- The six overlap policies (SEMANTICS.md 3.1), the buffer pass when a run
-- closes, and the 1000-item buffer.  "Running" is an open run the schedule
-- started (not under allow_all): a pending run, not yet claimed, counts.
-- Backfills of 2023 give each action a workflow id of its own; closing a
-- run with the worker functions processes the buffer at once.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.mk(id text, overlap text) RETURNS text LANGUAGE sql AS $$
    SELECT sched.create_schedule(id, jsonb_build_object(
        'action', jsonb_build_object('workflow', 'W', 'id', id, 'task_queue', id),
        'spec', '{"cron_expressions": ["0 * * * * 2023,2099"]}'::jsonb,
        'policy', jsonb_build_object('overlap', overlap)))
$$;
-- runs of a schedule: the hour of their nominal time and their state
CREATE FUNCTION pg_temp.runs(id text) RETURNS TABLE (
    hour int, status text, tracked boolean, cancel_requested boolean)
    LANGUAGE sql AS $$
    SELECT extract(hour FROM nominal_time)::int, status, overlap_tracked,
           cancel_requested
      FROM sched.executions WHERE schedule_id = id ORDER BY nominal_time
$$;
CREATE FUNCTION pg_temp.info(id text) RETURNS TABLE (
    num_actions int, skipped int, dropped int, buffered int[],
    running int[]) LANGUAGE sql AS $$
    SELECT (i->>'num_actions')::int, (i->>'num_actions_skipped_overlap')::int,
           (i->>'num_buffer_dropped')::int,
           (SELECT array_agg(extract(hour FROM nominal_time)::int ORDER BY seq)
              FROM sched.buffer WHERE schedule_id = id),
           (SELECT array_agg(extract(hour FROM e.nominal_time)::int ORDER BY e.nominal_time)
              FROM jsonb_array_elements(i->'running_actions') r
              JOIN sched.executions e ON e.run_id = (r->>'run_id')::uuid)
      FROM (SELECT sched.describe(id)->'info' AS i) d
$$;
-- backfill the hours from..to of 2023-01-01
CREATE FUNCTION pg_temp.bf(id text, h1 int, h2 int, overlap text DEFAULT NULL)
    RETURNS bigint LANGUAGE sql AS $$
    SELECT sched.backfill(id, '2023-01-01Z'::timestamptz + h1 * interval '1 hour',
                          '2023-01-01Z'::timestamptz + h2 * interval '1 hour', overlap)
$$;
-- claim every pending run of a schedule (its task queue is its id)
CREATE FUNCTION pg_temp.claim(id text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM sched.poll(id, 'worker-1', 100)
$$;
CREATE FUNCTION pg_temp.run_id(id text, h int) RETURNS uuid LANGUAGE sql AS $$
    SELECT run_id FROM sched.executions
     WHERE schedule_id = id AND extract(hour FROM nominal_time) = h
       AND status IN ('pending', 'running')
$$;

-- ---- skip: what comes while a run is open is dropped and counted ----
SELECT pg_temp.mk('ov-skip', 'skip');
SELECT pg_temp.bf('ov-skip', 0, 2);
SELECT * FROM pg_temp.runs('ov-skip');
SELECT * FROM pg_temp.info('ov-skip');
-- after the run closes, the next action starts again
SELECT pg_temp.claim('ov-skip');
SELECT sched.complete(pg_temp.run_id('ov-skip', 0));
SELECT pg_temp.bf('ov-skip', 3, 3);
SELECT * FROM pg_temp.runs('ov-skip');
SELECT * FROM pg_temp.info('ov-skip');

-- ---- buffer_one: one waits, the earliest; later ones are dropped ----
SELECT pg_temp.mk('ov-one', 'buffer_one');
-- nothing runs: 0 starts, 1 waits beside it, 2 is dropped
SELECT pg_temp.bf('ov-one', 0, 2);
SELECT * FROM pg_temp.info('ov-one');
-- later actions do not replace the waiting one
SELECT pg_temp.bf('ov-one', 3, 4);
SELECT * FROM pg_temp.info('ov-one');
-- a close starts the waiting one at once
SELECT pg_temp.claim('ov-one');
SELECT sched.complete(pg_temp.run_id('ov-one', 0), '"done"');
SELECT * FROM pg_temp.runs('ov-one');
SELECT * FROM pg_temp.info('ov-one');
-- the started run got the last completion result
SELECT last_completion_result FROM sched.executions
 WHERE run_id = pg_temp.run_id('ov-one', 1);

-- ---- buffer_all: all wait, and run one after another ----
SELECT pg_temp.mk('ov-all', 'buffer_all');
SELECT pg_temp.bf('ov-all', 0, 3);
SELECT * FROM pg_temp.info('ov-all');
SELECT sched.terminate_workflow('ov-all-2023-01-01T00:00:00Z');
SELECT * FROM pg_temp.info('ov-all');
SELECT pg_temp.claim('ov-all');
SELECT sched.fail(pg_temp.run_id('ov-all', 1), 'boom');
SELECT * FROM pg_temp.info('ov-all');
SELECT sched.cancel_workflow('ov-all-2023-01-01T02:00:00Z');
SELECT * FROM pg_temp.runs('ov-all');
SELECT * FROM pg_temp.info('ov-all');

-- ---- cancel_other: cancel the running run, start once it has closed ----
SELECT pg_temp.mk('ov-cancel', 'cancel_other');
SELECT pg_temp.bf('ov-cancel', 0, 0);
SELECT pg_temp.claim('ov-cancel');
-- the run is running: cancellation is requested, the new action waits
SELECT pg_temp.bf('ov-cancel', 1, 1);
SELECT * FROM pg_temp.runs('ov-cancel');
SELECT * FROM pg_temp.info('ov-cancel');
SELECT sched.heartbeat(pg_temp.run_id('ov-cancel', 0)) AS cancel_requested;
-- the worker acknowledges: the run closes as canceled, the next starts
SELECT sched.canceled(pg_temp.run_id('ov-cancel', 0));
SELECT * FROM pg_temp.runs('ov-cancel');
SELECT * FROM pg_temp.info('ov-cancel');
-- a run nobody claimed yet is canceled at once, and the new one starts
SELECT pg_temp.bf('ov-cancel', 2, 2);
SELECT * FROM pg_temp.runs('ov-cancel');
SELECT * FROM pg_temp.info('ov-cancel');
-- two cancel_other actions while a run is running: both wait; when the
-- run closes, nothing runs, the first is chosen and the second replaces
-- it (Temporal's ProcessBuffer: the replaced one is dropped uncounted)
SELECT pg_temp.claim('ov-cancel');
SELECT pg_temp.bf('ov-cancel', 3, 4);
SELECT * FROM pg_temp.info('ov-cancel');
SELECT sched.canceled(pg_temp.run_id('ov-cancel', 2));
SELECT * FROM pg_temp.runs('ov-cancel');
SELECT * FROM pg_temp.info('ov-cancel');

-- ---- terminate_other: terminate the running run, start at once ----
SELECT pg_temp.mk('ov-term', 'terminate_other');
SELECT pg_temp.bf('ov-term', 0, 0);
SELECT pg_temp.claim('ov-term');
SELECT pg_temp.bf('ov-term', 1, 1);
SELECT * FROM pg_temp.runs('ov-term');
SELECT * FROM pg_temp.info('ov-term');
SELECT close_reason FROM sched.executions
 WHERE workflow_id = 'ov-term-2023-01-01T00:00:00Z';
-- several at once: the first terminates what runs; the pass after the
-- termination chooses 2, then 3 and 4, with nothing running, each replace
-- the chosen one: 4 starts (2 and 3 are dropped uncounted, as Temporal's
-- ProcessBuffer does)
SELECT pg_temp.bf('ov-term', 2, 4);
SELECT * FROM pg_temp.runs('ov-term');
SELECT * FROM pg_temp.info('ov-term');

-- ---- allow_all: start whatever runs, never counted as running ----
SELECT pg_temp.mk('ov-allow', 'allow_all');
SELECT pg_temp.bf('ov-allow', 0, 0, 'skip');
SELECT pg_temp.bf('ov-allow', 1, 3);
SELECT * FROM pg_temp.runs('ov-allow');
SELECT * FROM pg_temp.info('ov-allow');
-- any run's completion is the schedule's last completion result, but
-- allow_all runs do not receive it
SELECT pg_temp.claim('ov-allow');
SELECT sched.complete(pg_temp.run_id('ov-allow', 1), '{"r": 1}');
SELECT last_completion_result FROM sched.schedules WHERE schedule_id = 'ov-allow';
SELECT pg_temp.bf('ov-allow', 4, 4);
SELECT extract(hour FROM nominal_time)::int AS hour, overlap_tracked,
       last_completion_result
  FROM sched.executions WHERE schedule_id = 'ov-allow' AND nominal_time >= '2023-01-01 04:00Z'
 ORDER BY 1;

-- ---- mixed policies in one buffer, processed in order ----
SELECT pg_temp.mk('ov-mix', 'skip');
SELECT pg_temp.bf('ov-mix', 0, 0);
SELECT pg_temp.claim('ov-mix');
SELECT sched.backfill('ov-mix', '[
    {"start_at": "2023-01-01T01:00:00Z", "end_at": "2023-01-01T01:00:00Z", "overlap": "buffer_all"},
    {"start_at": "2023-01-01T02:00:00Z", "end_at": "2023-01-01T02:00:00Z", "overlap": "skip"},
    {"start_at": "2023-01-01T03:00:00Z", "end_at": "2023-01-01T04:00:00Z", "overlap": "buffer_one"},
    {"start_at": "2023-01-01T05:00:00Z", "end_at": "2023-01-01T05:00:00Z", "overlap": "allow_all"},
    {"start_at": "2023-01-01T06:00:00Z", "end_at": "2023-01-01T06:00:00Z", "overlap": "buffer_all"}]');
SELECT * FROM pg_temp.info('ov-mix');
-- the close: 1 starts; 3 and 6 wait (3 is the buffer_one seen first)
SELECT sched.complete(pg_temp.run_id('ov-mix', 0));
SELECT * FROM pg_temp.runs('ov-mix');
SELECT * FROM pg_temp.info('ov-mix');

-- ---- the 1000-item buffer ----
-- A schedule every minute of 2020-01-01 00:00-18:00 (1081 times), caught
-- up at once while a run is open: 1000 wait, the other 81 are dropped and
-- counted, and so is a trigger that finds the buffer full.  (The cursor
-- is moved back to 2020 in the transaction of the trigger, whose
-- processing does the catch-up.)
SELECT sched.create_schedule('ov-limit', '{
    "action": {"workflow": "W", "id": "ov-limit", "task_queue": "ov-limit"},
    "spec": {"intervals": [{"every": 60}],
             "start_at": "2020-01-01T00:00:00Z", "end_at": "2020-01-01T18:00:00Z"},
    "policy": {"overlap": "buffer_all", "catchup_window": "3650 days"}}');
SELECT next_nominal, next_due FROM sched.schedules WHERE schedule_id = 'ov-limit';
SELECT sched.trigger('ov-limit');
BEGIN;
UPDATE sched.schedules SET next_nominal = '2020-01-01Z', next_due = '2020-01-01Z'
 WHERE schedule_id = 'ov-limit';
SELECT sched.trigger('ov-limit');
COMMIT;
SELECT (i->>'num_actions')::int AS num_actions,
       (i->>'num_buffer_dropped')::int AS dropped,
       (i->>'buffer_size')::int AS buffer_size,
       (i->>'num_actions_missed_catchup_window')::int AS missed
  FROM (SELECT sched.describe('ov-limit')->'info' AS i) d;
SELECT min(nominal_time), max(nominal_time), count(*),
       bool_and(start_kind = 'schedule' AND overlap = 'buffer_all') AS all_scheduled
  FROM sched.buffer WHERE schedule_id = 'ov-limit';
SELECT next_nominal, next_due FROM sched.schedules WHERE schedule_id = 'ov-limit';
-- the trigger's run closes: the earliest waiting time starts
SELECT sched.terminate_workflow(workflow_id) FROM sched.executions
 WHERE schedule_id = 'ov-limit' AND start_kind = 'trigger' AND status = 'pending';
SELECT workflow_id, start_kind, status FROM sched.executions
 WHERE schedule_id = 'ov-limit' AND start_kind = 'schedule';
SELECT (sched.describe('ov-limit')->'info'->>'buffer_size')::int AS buffer_size;

-- clean up
SELECT sched.delete(schedule_id) FROM sched.schedules
 WHERE schedule_id LIKE 'ov-%' ORDER BY schedule_id;
DELETE FROM sched.executions WHERE schedule_id LIKE 'ov-%';
