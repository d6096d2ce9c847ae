-- Metrics for monitoring (src/sql/80_metrics.sql): sched.schedule_metrics,
-- sched.queue_metrics, sched.overdue_schedules and sched.run_totals, which
-- keeps counters from going down when retention deletes runs; and what a
-- new user tripped on (issue 15): NOTICEs of a trigger that starts
-- nothing and of a spec whose bounds leave no time, interval arguments
-- shown as typed, last_action_at never in the future, lateness.
-- Deterministic: schedules fire in 2099 only; runs come from triggers.
SET timezone = 'UTC';

SELECT sched.create_schedule('met-a', '{
  "action": {"workflow": "Report", "id": "met-a", "task_queue": "met-q"},
  "spec": {"calendars": [{"year": 2099, "month": 1, "day_of_month": 1}]},
  "policy": {"overlap": "skip"}}');

-- A trigger starts a run; a second one is skipped by the overlap policy,
-- and says so.
SELECT sched.trigger('met-a');
SELECT sched.trigger('met-a', 'skip');
SELECT schedule_id, task_queue, actions, skipped_overlap, skipped_buffer_full,
       skipped_paused, skipped_limit, missed_catchup_window, runs_pending,
       oldest_pending_wait >= interval '0' AS waited, overdue
  FROM sched.schedule_metrics WHERE schedule_id = 'met-a';
SELECT run_id AS run1 FROM sched.poll('met-q', 'w1') \gset
-- Two triggers within the same second: even under allow_all the second
-- finds its workflow id (the action's id and time, to the second) taken.
BEGIN;
SELECT sched.create_schedule('met-t', '{
  "action": {"workflow": "Report", "id": "met-t", "task_queue": "met-tq"},
  "spec": {}}');
SELECT sched.trigger('met-t', 'allow_all') FROM generate_series(1, 2);
SELECT actions, skipped_overlap FROM sched.schedule_metrics WHERE schedule_id = 'met-t';
ROLLBACK;

-- The run fails: counted per schedule and per queue.  A second run
-- completes.
SELECT sched.fail(:'run1', 'boom');
SELECT sched.trigger('met-a');
SELECT run_id AS run2 FROM sched.poll('met-q', 'w1') \gset
SELECT sched.complete(:'run2');
SELECT actions, skipped_overlap, runs_completed, runs_failed, runs_timed_out,
       runs_retried, runs_pending, lateness < interval '1 minute' AS on_time
  FROM sched.schedule_metrics WHERE schedule_id = 'met-a';
SELECT task_queue, scheduled, pending, running, claims, completed, failed,
       lease_expiries
  FROM sched.queue_metrics WHERE task_queue = 'met-q';

-- Retention deletes the closed runs: the counters stay where they were.
DELETE FROM sched.executions WHERE task_queue = 'met-q' AND closed_at IS NOT NULL;
SELECT count(*) AS runs_left FROM sched.executions WHERE task_queue = 'met-q';
SELECT task_queue, schedule_id, runs, claims, completed, failed
  FROM sched.run_totals WHERE task_queue = 'met-q';
SELECT actions, runs_completed, runs_failed FROM sched.schedule_metrics
 WHERE schedule_id = 'met-a';
SELECT task_queue, claims, completed, failed FROM sched.queue_metrics
 WHERE task_queue = 'met-q';

-- Deleting the schedule moves its totals to schedule_id '': one created
-- again under the same id starts from zero, the queue's counts stay.
SELECT sched.delete('met-a');
SELECT task_queue, schedule_id, runs, completed, failed
  FROM sched.run_totals WHERE task_queue = 'met-q';
SELECT sched.create_schedule('met-a', '{
  "action": {"workflow": "Report", "id": "met-a", "task_queue": "met-q"},
  "spec": {"calendars": [{"year": 2099, "month": 1, "day_of_month": 1}]}}');
SELECT actions, runs_completed, runs_failed FROM sched.schedule_metrics
 WHERE schedule_id = 'met-a';
SELECT claims, completed, failed FROM sched.queue_metrics
 WHERE task_queue = 'met-q';

-- A backfill of future times starts their runs now: last_action_at shows
-- when, not the future time.
SELECT sched.backfill('met-a', '2099-01-01 00:00Z', '2099-01-01 00:00Z', 'allow_all');
SELECT last_action_at <= now() AS not_future, lateness FROM sched.schedule_overview
 WHERE schedule_id = 'met-a';

-- Overdue: a schedule whose next_due passed without the scheduler acting
-- (made so by hand, in a transaction the scheduler does not see).
SELECT sched.create_schedule('met-late', '{
  "action": {"workflow": "Report", "id": "met-late", "task_queue": "met-q"},
  "spec": {"intervals": [{"every": 3600}]}}');
SELECT count(*) AS overdue_now FROM sched.overdue_schedules WHERE schedule_id = 'met-late';
BEGIN;
UPDATE sched.schedules SET next_due = now() - interval '1 hour'
 WHERE schedule_id = 'met-late';
SELECT schedule_id, task_queue, overdue = interval '1 hour' AS one_hour
  FROM sched.overdue_schedules WHERE schedule_id = 'met-late';
SELECT overdue = interval '1 hour' AS one_hour FROM sched.schedule_overview
 WHERE schedule_id = 'met-late';
ROLLBACK;

-- A spec that can never act is accepted with a NOTICE.
SELECT sched.create_schedule('met-bounds', '{
  "action": {"workflow": "Report", "id": "met-bounds", "task_queue": "met-q"},
  "spec": {"intervals": [{"every": 60}], "start_at": "2099-01-02T00:00:00Z", "end_at": "2099-01-01T00:00:00Z"}}');
SELECT sched.update('met-bounds', '{
  "action": {"workflow": "Report", "id": "met-bounds", "task_queue": "met-q"},
  "spec": {"intervals": [{"every": 60}], "end_at": "2020-01-01T00:00:00Z"}}') > 0 AS updated;
SELECT next_action_at FROM sched.schedule_overview WHERE schedule_id = 'met-bounds';

-- Interval arguments are shown as typed, not as interval_out rewrites them.
SET IntervalStyle = 'postgres';
SELECT sched.start_workflow('W', 'met-neg', 'met-q', start_delay => '-1 hour');
SELECT sched.start_workflow('W', 'met-neg', 'met-q', start_delay => '-1 day 90 minutes');
SELECT sched.start_workflow('W', 'met-neg', 'met-q', start_delay => '1 year 2 months');
SELECT * FROM sched.poll('met-q', lease => '0.25 seconds');
RESET IntervalStyle;

-- What a role without rights sees: nothing of others' runs.
CREATE ROLE met_nobody;
GRANT USAGE ON SCHEMA sched TO met_nobody;
SET ROLE met_nobody;
SELECT count(*) FROM sched.schedule_metrics;
SELECT count(*) FROM sched.queue_metrics;
SELECT count(*) FROM sched.run_totals;
SELECT count(*) FROM sched.overdue_schedules;
RESET ROLE;
DROP OWNED BY met_nobody;
DROP ROLE met_nobody;

SELECT count(sched.delete(schedule_id)) AS deleted FROM sched.schedules
 WHERE schedule_id LIKE 'met-%';
