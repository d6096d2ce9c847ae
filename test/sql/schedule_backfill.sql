-- sched.backfill (SEMANTICS.md 3.1, 5): every actual time of a range, both
-- ends included, enters the buffer with the range's overlap policy or the
-- schedule's; the spec's start_at, end_at and skip hold; paused, remaining
-- actions and the catch-up window do not matter; large ranges are fed
-- incrementally (a year of minutes under allow_all starts in one call).
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.counts(id text) RETURNS TABLE (
    num_actions int, skipped int, dropped int, buffer_size int,
    running int, cursors bigint) LANGUAGE sql AS $$
    SELECT (i->>'num_actions')::int, (i->>'num_actions_skipped_overlap')::int,
           (i->>'num_buffer_dropped')::int, (i->>'buffer_size')::int,
           jsonb_array_length(i->'running_actions'),
           (SELECT count(*) FROM sched.backfills WHERE schedule_id = id)
      FROM (SELECT sched.describe(id)->'info' AS i) d
$$;
CREATE FUNCTION pg_temp.runs(id text) RETURNS TABLE (
    workflow_id text, nominal_time timestamptz, scheduled_at timestamptz,
    status text, start_kind text, tracked boolean) LANGUAGE sql AS $$
    SELECT workflow_id, nominal_time, scheduled_at, status, start_kind,
           overlap_tracked
      FROM sched.executions WHERE schedule_id = id
     ORDER BY nominal_time, created_at
$$;

-- Hourly in 2023 and 2099 (6 cron fields: the sixth is the year); the
-- cursor is in 2099, so only backfills act.
SELECT sched.create_schedule('bf-h', '{
    "action": {"workflow": "W", "id": "bfh", "task_queue": "bq"},
    "spec": {"cron_expressions": ["0 * * * * 2023,2099"]},
    "policy": {"overlap": "allow_all"}}');

-- Both ends included: 00:00 to 03:00 is four actions; the return value
-- counts them.  allow_all starts them all at once, untracked.
SELECT sched.backfill('bf-h', '2023-01-01 00:00Z', '2023-01-01 03:00Z');
SELECT * FROM pg_temp.runs('bf-h');
SELECT * FROM pg_temp.counts('bf-h');
-- A range between two times holds one of them; a range without times
-- holds none; a single instant on a time holds that time.
SELECT sched.backfill('bf-h', '2023-02-01 00:30Z', '2023-02-01 01:30Z');
SELECT sched.backfill('bf-h', '2023-02-01 02:00:01Z', '2023-02-01 02:59:59Z');
SELECT sched.backfill('bf-h', '2023-02-01 05:00Z', '2023-02-01 05:00Z');
SELECT workflow_id FROM sched.executions
 WHERE schedule_id = 'bf-h' AND nominal_time >= '2023-02-01' ORDER BY 1;
-- A time whose workflow id has an open run cannot start: skipped.
SELECT sched.backfill('bf-h', '2023-01-01 03:00Z', '2023-01-01 04:00Z');
SELECT * FROM pg_temp.counts('bf-h');

-- skip: the first starts, the others find it running.
SELECT sched.create_schedule('bf-skip', '{
    "action": {"workflow": "W", "id": "bfs", "task_queue": "bq"},
    "spec": {"cron_expressions": ["0 * * * * 2023,2099"]}}');
SELECT sched.backfill('bf-skip', '2023-01-01 00:00Z', '2023-01-01 03:00Z');
SELECT workflow_id, status, tracked FROM pg_temp.runs('bf-skip');
SELECT * FROM pg_temp.counts('bf-skip');

-- buffer_all (given for the range): one runs, the rest wait in order and
-- start one by one as the runs close.
SELECT sched.backfill('bf-skip', '2023-03-01 00:00Z', '2023-03-01 03:00Z',
                      'buffer_all');
SELECT * FROM pg_temp.counts('bf-skip');
SELECT nominal_time, overlap, start_kind FROM sched.buffer
 WHERE schedule_id = 'bf-skip' ORDER BY seq;
SELECT sched.terminate_workflow('bfs-2023-01-01T00:00:00Z');
SELECT workflow_id, status FROM pg_temp.runs('bf-skip');
SELECT sched.terminate_workflow('bfs-2023-03-01T00:00:00Z');
SELECT sched.terminate_workflow('bfs-2023-03-01T01:00:00Z');
SELECT sched.terminate_workflow('bfs-2023-03-01T02:00:00Z');
SELECT workflow_id, status FROM pg_temp.runs('bf-skip')
 WHERE nominal_time >= '2023-03-01';
SELECT * FROM pg_temp.counts('bf-skip');

-- The list form: several ranges, each with its own policy or the
-- schedule's (skip); they enter the buffer in order.
SELECT sched.terminate_workflow('bfs-2023-03-01T03:00:00Z');
SELECT sched.backfill('bf-skip', '[
    {"start_at": "2023-04-01T00:00:00Z", "end_at": "2023-04-01T01:00:00Z"},
    {"start_at": "2023-04-02T00:00:00+02:00", "end_at": "2023-04-01T23:00:00Z",
     "overlap": "buffer_one"},
    {"start_at": "2023-04-03T00:00:00Z", "end_at": "2023-04-03T00:00:00Z",
     "overlap": "ALLOW_ALL"}]');
SELECT workflow_id, status, tracked FROM pg_temp.runs('bf-skip')
 WHERE nominal_time >= '2023-04-01';
SELECT nominal_time, overlap FROM sched.buffer WHERE schedule_id = 'bf-skip';
SELECT sched.backfill('bf-skip', '[]');
SELECT sched.terminate_workflow('bfs-2023-04-01T00:00:00Z');
SELECT sched.terminate_workflow('bfs-2023-04-01T22:00:00Z');

-- The spec's bounds and skip hold: start_at and end_at cut the range,
-- and a skipped hour is not backfilled.  Jitter moves actual times: the
-- range is about actual times, and workflow ids keep the nominal time.
SELECT sched.create_schedule('bf-spec', '{
    "action": {"workflow": "W", "id": "bfsp", "task_queue": "bq"},
    "spec": {"cron_expressions": ["0 * * * *"],
             "skip": [{"hour": 2, "minute": "*", "second": "*"}],
             "start_at": "2023-01-01T01:00:00Z",
             "end_at": "2023-01-01T04:00:00Z",
             "jitter": "10 minutes"},
    "policy": {"overlap": "allow_all"}}');
SELECT sched.backfill('bf-spec', '2023-01-01 00:00Z', '2023-01-01 23:00Z');
SELECT workflow_id, nominal_time, scheduled_at,
       scheduled_at - nominal_time < interval '10 minutes' AS jitter_ok
  FROM pg_temp.runs('bf-spec');
-- the range starts after the jittered 01:00 action: it is not included
SELECT sched.backfill('bf-spec', '2023-01-02 00:00Z', '2023-01-02 23:00Z');
SELECT (SELECT scheduled_at FROM sched.executions
         WHERE workflow_id = 'bfsp-2023-01-01T01:00:00Z') AS first_actual \gset
SELECT sched.backfill('bf-spec', :'first_actual'::timestamptz + interval '1 millisecond',
                      '2023-01-01 03:00Z');
SELECT sched.backfill('bf-spec', :'first_actual'::timestamptz,
                      :'first_actual'::timestamptz);

-- Paused or out of remaining actions: a backfill does not care.
SELECT sched.create_schedule('bf-paused', '{
    "action": {"workflow": "W", "id": "bfp", "task_queue": "bq"},
    "spec": {"cron_expressions": ["0 0 * * * 2020,2099"]},
    "policy": {"overlap": "allow_all", "catchup_window": "10 seconds"},
    "state": {"paused": true, "limited_actions": true, "remaining_actions": 1}}');
SELECT sched.backfill('bf-paused', '2020-01-01Z', '2020-01-03Z');
SELECT workflow_id, status FROM pg_temp.runs('bf-paused');
SELECT remaining_actions, num_actions_missed_catchup_window AS missed
  FROM sched.schedules WHERE schedule_id = 'bf-paused';

-- More than the buffer holds: the backfill waits in its cursor and feeds
-- the buffer as it drains, never dropping anything.  1500 minutes under
-- buffer_all: one runs, 1000 wait, 499 are still in the cursor (the next
-- at 16:41).
SELECT sched.create_schedule('bf-big', '{
    "action": {"workflow": "W", "id": "bfb", "task_queue": "bq"},
    "spec": {"cron_expressions": ["* * * * * 2023,2099"]},
    "policy": {"overlap": "buffer_all"}}');
SELECT sched.backfill('bf-big', '2023-01-01 00:00Z', '2023-01-02 00:59Z');
SELECT * FROM pg_temp.counts('bf-big');
SELECT next_time, end_at, overlap FROM sched.backfills WHERE schedule_id = 'bf-big';
-- a close starts the next one and refills the buffer from the cursor
-- (the next at 16:42)
SELECT sched.terminate_workflow('bfb-2023-01-01T00:00:00Z');
SELECT * FROM pg_temp.counts('bf-big');
SELECT next_time FROM sched.backfills WHERE schedule_id = 'bf-big';
SELECT workflow_id, status FROM pg_temp.runs('bf-big');
-- the scheduler has nothing to do for it until a run closes
SELECT next_due FROM sched.schedules WHERE schedule_id = 'bf-big';
-- the same under skip: every time is looked at in one call, waiting
-- behind the first backfill (the buffer is full: nothing is dropped)
SELECT sched.backfill('bf-big', '2023-02-01 00:00Z', '2023-02-02 00:59Z', 'skip');
SELECT * FROM pg_temp.counts('bf-big');

-- A year of minutes under allow_all: 525,600 runs, started in one call.
SELECT sched.create_schedule('bf-year', '{
    "action": {"workflow": "W", "id": "bfy", "task_queue": "bq-year"},
    "spec": {"cron_expressions": ["* * * * * 2023,2099"]},
    "policy": {"overlap": "allow_all"}}');
SELECT sched.backfill('bf-year', '2023-01-01 00:00Z', '2023-12-31 23:59Z');
SELECT count(*) AS runs, count(DISTINCT workflow_id) AS ids,
       min(nominal_time), max(nominal_time),
       bool_and(status = 'pending' AND start_kind = 'backfill'
                AND NOT overlap_tracked AND nominal_time = scheduled_at
                AND workflow_id = 'bfy-' || to_char(nominal_time, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
           AS all_ok
  FROM sched.executions WHERE schedule_id = 'bf-year';
SELECT * FROM pg_temp.counts('bf-year');

-- clean up
SELECT sched.delete(schedule_id) FROM sched.schedules
 WHERE schedule_id LIKE 'bf-%' ORDER BY schedule_id;
DELETE FROM sched.executions WHERE schedule_id LIKE 'bf-%';
