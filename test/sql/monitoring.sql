-- The operators' views (src/sql/60_monitoring.sql): sched.schedule_overview,
-- sched.run_counts, sched.recent_failures.  Deterministic: schedules fire
-- in 2099 only, runs come from sched.trigger and are claimed and closed
-- here; times that depend on the clock are shown as checks.
SET timezone = 'UTC';

SELECT sched.create_schedule('mon-a', '{
  "action": {"workflow": "Report", "id": "mon-a", "task_queue": "mon-q1"},
  "spec": {"calendars": [{"year": 2099, "month": 1, "day_of_month": 1, "hour": 3}]},
  "policy": {"overlap": "buffer_one"},
  "state": {"note": "first"}}');
SELECT sched.create_schedule('mon-b', '{
  "action": {"workflow": "Sync", "id": "mon-b", "task_queue": "mon-q2"},
  "spec": {"intervals": [{"every": 3600}], "start_at": "2099-06-01T00:00:00Z"},
  "state": {"paused": true, "note": "paused by the test", "limited_actions": true, "remaining_actions": 5}}');

-- Nothing happened yet: no last action, empty buffer.
SELECT schedule_id, workflow, task_queue, paused, note, next_action_at,
       next_nominal_time, last_action_at, last_status, num_actions,
       remaining_actions, buffer_size, running_actions
  FROM sched.schedule_overview WHERE schedule_id LIKE 'mon-%' ORDER BY 1;

-- Two triggers under buffer_one: one run starts, one waits in the buffer.
SELECT sched.trigger('mon-a');
SELECT sched.trigger('mon-a');
SELECT schedule_id, last_status, num_actions, buffer_size, running_actions,
       last_action_at BETWEEN now() - interval '1 minute' AND now() + interval '1 minute' AS last_recent
  FROM sched.schedule_overview WHERE schedule_id = 'mon-a';

SELECT task_queue, status, count, oldest_due_at IS NOT NULL AS has_oldest,
       max_wait >= interval '0' AS waited
  FROM sched.run_counts WHERE task_queue LIKE 'mon-%' ORDER BY 1, 2;

-- A worker claims and completes it: the buffered action starts at once.
SELECT run_id AS run1 FROM sched.poll('mon-q1', 'w1') \gset
SELECT sched.complete(:'run1', '{"ok": true}');
SELECT schedule_id, last_status, num_actions, buffer_size, running_actions
  FROM sched.schedule_overview WHERE schedule_id = 'mon-a';

-- It fails, without retries: the overview shows the failure, as does
-- sched.recent_failures.
SELECT run_id AS run2 FROM sched.poll('mon-q1', 'w1') \gset
SELECT sched.fail(:'run2', 'disk full', error_type => 'IOError');
SELECT schedule_id, last_status, num_actions, buffer_size, running_actions
  FROM sched.schedule_overview WHERE schedule_id = 'mon-a';
SELECT status, workflow, task_queue, schedule_id, attempt, error_type, error,
       run_id = :'run2' AS is_run2
  FROM sched.recent_failures WHERE task_queue LIKE 'mon-%';

-- A direct start and a start delay: pending and scheduled, by queue.
SELECT sched.start_workflow('Ship', 'mon-ship-1', 'mon-q2') IS NOT NULL AS started;
SELECT sched.start_workflow('Ship', 'mon-ship-2', 'mon-q2', start_delay => '1 day') IS NOT NULL AS started;
SELECT task_queue, status, count, oldest_due_at IS NOT NULL AS has_oldest,
       max_wait IS NOT NULL AS has_wait
  FROM sched.run_counts WHERE task_queue LIKE 'mon-%' ORDER BY 1, 2;

-- The paused schedule is triggered (works while paused).
SELECT sched.trigger('mon-b');
SELECT schedule_id, paused, note, next_action_at, last_status, num_actions,
       remaining_actions, running_actions
  FROM sched.schedule_overview WHERE schedule_id = 'mon-b';

-- The last action of a schedule is one backward step of an index.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT last_action_at, last_status FROM sched.schedule_overview
 WHERE schedule_id = 'mon-a';
RESET enable_seqscan;

-- Clean up, so that later tests see none of these runs.
SELECT sched.delete('mon-a');
SELECT sched.delete('mon-b');
DELETE FROM sched.executions WHERE task_queue LIKE 'mon-%';
SELECT count(*) FROM sched.schedule_overview WHERE schedule_id LIKE 'mon-%';
