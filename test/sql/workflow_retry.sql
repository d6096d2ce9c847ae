-- Retry policies and timeouts (SEMANTICS.md 8, Temporal's RetryPolicy):
-- a failure or a run timeout that the policy allows makes the run
-- scheduled again after min(initial_interval * backoff_coefficient^retries,
-- maximum_interval), under the same run id, retries + 1; maximum_attempts
-- counts the first try; non_retryable, a listed error_type, a cancellation
-- request or a try that would start after the execution deadline end it.
-- run_timeout counts from each try's due time, execution_timeout from the
-- start and covers everything.  Schedules' runs get their action's policy
-- and timeouts, and pause_on_failure sees only the last close.
--
-- The scheduler runs in the regress server: backoffs are hours long, and
-- runs are made due, and deadlines moved into the past, inside a
-- transaction that then calls sched.expire_leases() itself, so the
-- scheduler never sees them early.
SET timezone = 'UTC';

\i test/sql/include/fixtures.sql
-- Claims the open run of wf now: made due (it may be waiting for a
-- backoff), made pending, polled.  Returns its run id.
CREATE FUNCTION pg_temp.claim(wf text) RETURNS uuid LANGUAGE sql AS $$
    UPDATE sched.executions SET due_at = now() - interval '1 second'
     WHERE workflow_id = wf AND status = 'scheduled';
    SELECT sched.expire_leases();
    SELECT run_id FROM sched.poll((SELECT task_queue FROM sched.executions
                                    WHERE workflow_id = wf
                                      AND status = 'pending'),
                                  'w1', 1, '1 hour')
$$;
-- The open or latest run of wf: the backoff is due_at - now in hours.
CREATE VIEW pg_temp.run AS
    SELECT workflow_id, status, attempt, retries, error, error_type,
           CASE WHEN status = 'scheduled'
                THEN round(extract(epoch FROM due_at - now()) / 3600, 2) END AS backoff_h,
           CASE WHEN status = 'scheduled'
                THEN run_deadline = due_at + run_timeout END AS new_run_deadline
      FROM sched.executions;
CREATE FUNCTION pg_temp.start(wf text, policy jsonb, run_timeout interval DEFAULT NULL,
                              execution_timeout interval DEFAULT NULL)
RETURNS uuid LANGUAGE sql AS $$
    SELECT sched.start_workflow('Report', wf, 'wr-q', start_delay => '1 hour',
                                retry_policy => policy, run_timeout => run_timeout,
                                execution_timeout => execution_timeout)
$$;

-- ---- backoff ----
-- 1 h, then x3 (3 h), then capped at 5 h; five tries in all.
SELECT pg_temp.start('wr-1', '{"initial_interval": "1 hour", "backoff_coefficient": 3,
                                "maximum_interval": "5 hours", "maximum_attempts": 5}',
                     run_timeout => '1 day') AS r1 \gset
SELECT sched.fail(pg_temp.claim('wr-1'), 'try 1');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-1';
-- a worker's late report on a run waiting for its retry is refused
SELECT pg_temp.try_masked(format($$SELECT sched.complete(%L)$$, :'r1'));
SELECT sched.fail(pg_temp.claim('wr-1'), 'try 2');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-1';
SELECT sched.fail(pg_temp.claim('wr-1'), 'try 3');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-1';
SELECT sched.fail(pg_temp.claim('wr-1'), 'try 4');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-1';
-- the fifth failure is the last: closed as failed
SELECT pg_temp.claim('wr-1') = :'r1' AS same_run;
SELECT sched.fail(:'r1', 'try 5');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-1';
SELECT d->'attempt' AS attempt, d->'retries' AS retries, d->>'status' AS status,
       d->'retry_policy' AS retry_policy
  FROM sched.describe_workflow('wr-1') d;
-- a success after a retry clears the error
SELECT pg_temp.start('wr-2', '{"initial_interval": "1 hour"}') IS NOT NULL AS started;
SELECT sched.fail(pg_temp.claim('wr-2'), 'flaky', error_type => 'IOError');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-2';
SELECT sched.complete(pg_temp.claim('wr-2'), '{"ok": true}');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-2';

-- ---- what is not retried ----
SELECT pg_temp.start('wr-nr-' || n, '{"initial_interval": "1 hour", "non_retryable_error_types": ["Fatal", "AuthError"]}')
       IS NOT NULL AS started
  FROM generate_series(1, 4) n;
SELECT pg_temp.start('wr-nr-5', '{"initial_interval": "1 hour", "maximum_attempts": 1}')
       IS NOT NULL AS started;
SELECT pg_temp.start('wr-nr-6', NULL) IS NOT NULL AS started;
-- non_retryable; a listed type (exact match); an unlisted type is retried
SELECT sched.fail(pg_temp.claim('wr-nr-1'), 'no', non_retryable => true);
SELECT sched.fail(pg_temp.claim('wr-nr-2'), 'denied', error_type => 'AuthError');
SELECT sched.fail(pg_temp.claim('wr-nr-3'), 'denied', error_type => 'autherror');
-- a cancellation was requested: the failure is final
SELECT pg_temp.claim('wr-nr-4') IS NOT NULL AS claimed;
SELECT sched.cancel_workflow('wr-nr-4');
SELECT sched.fail((SELECT run_id FROM sched.executions WHERE workflow_id = 'wr-nr-4'), 'stopped');
-- maximum_attempts 1: no retry; no policy: no retry
SELECT sched.fail(pg_temp.claim('wr-nr-5'), 'once');
SELECT sched.fail(pg_temp.claim('wr-nr-6'), 'once');
SELECT * FROM pg_temp.run WHERE workflow_id LIKE 'wr-nr-%' ORDER BY workflow_id;

-- ---- the execution deadline ----
-- A try that would start after it is not made.
SELECT pg_temp.start('wr-exp', '{"initial_interval": "2 hours"}',
                     execution_timeout => '3 hours') IS NOT NULL AS started;
SELECT sched.fail(pg_temp.claim('wr-exp'), 'first');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-exp';
SELECT sched.fail(pg_temp.claim('wr-exp'), 'second');
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-exp';

-- ---- run timeout ----
-- A try past its run deadline (running or not yet claimed) times out; the
-- policy retries it (error type run_timeout), with a new run deadline.
SELECT pg_temp.start('wr-rt', '{"initial_interval": "1 hour", "maximum_attempts": 3}',
                     run_timeout => '30 minutes') AS rt \gset
BEGIN;
SELECT pg_temp.claim('wr-rt') IS NOT NULL AS claimed;
UPDATE sched.executions SET run_deadline = now() - interval '1 second'
 WHERE workflow_id = 'wr-rt';
SELECT sched.expire_leases() >= 1 AS acted;
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-rt';
COMMIT;
-- its worker's late report is refused
SELECT pg_temp.try_masked(format($$SELECT sched.complete(%L)$$, :'rt'));
-- the second try times out in the queue, never claimed
BEGIN;
UPDATE sched.executions SET due_at = now() - interval '1 second'
 WHERE workflow_id = 'wr-rt';
SELECT sched.expire_leases() >= 1 AS pending;
UPDATE sched.executions SET run_deadline = now() - interval '1 second'
 WHERE workflow_id = 'wr-rt';
SELECT sched.expire_leases() >= 1 AS acted;
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-rt';
COMMIT;
-- the third is the last: timed_out
BEGIN;
SELECT pg_temp.claim('wr-rt') IS NOT NULL AS claimed;
UPDATE sched.executions SET run_deadline = now() - interval '1 second'
 WHERE workflow_id = 'wr-rt';
SELECT sched.expire_leases() >= 1 AS acted;
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-rt';
COMMIT;
SELECT pg_temp.try_masked(format($$SELECT sched.fail(%L, 'late')$$, :'rt'));
SELECT status, attempt, retries, error FROM sched.executions WHERE run_id = :'rt';
-- "run_timeout" among non_retryable_error_types: a run timeout is final
SELECT pg_temp.start('wr-rt2', '{"non_retryable_error_types": ["run_timeout"]}',
                     run_timeout => '30 minutes') IS NOT NULL AS started;
BEGIN;
SELECT pg_temp.claim('wr-rt2') IS NOT NULL AS claimed;
UPDATE sched.executions SET run_deadline = now() - interval '1 second'
 WHERE workflow_id = 'wr-rt2';
SELECT sched.expire_leases() >= 1 AS acted;
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-rt2';
COMMIT;

-- ---- execution timeout ----
-- The whole workflow: no retry, whatever the state of the run (here one
-- still waiting for its start delay).
SELECT pg_temp.start('wr-et', '{"initial_interval": "1 hour"}',
                     execution_timeout => '2 hours') IS NOT NULL AS started;
BEGIN;
UPDATE sched.executions SET execution_deadline = now() - interval '1 second'
 WHERE workflow_id = 'wr-et';
SELECT sched.expire_leases() >= 1 AS acted;
SELECT * FROM pg_temp.run WHERE workflow_id = 'wr-et';
COMMIT;
-- ... and it ends a cron chain: no next run
SELECT sched.start_workflow('Report', 'wr-cron', 'wr-q', cron_schedule => '0 0 1 1 *',
                            execution_timeout => '400 days',
                            retry_policy => '{"initial_interval": "1 hour"}')
       IS NOT NULL AS started;
BEGIN;
SELECT pg_temp.claim('wr-cron') IS NOT NULL AS claimed;
UPDATE sched.executions SET execution_deadline = now() - interval '1 second'
 WHERE workflow_id = 'wr-cron';
SELECT sched.expire_leases() >= 1 AS acted;
COMMIT;
SELECT status, error, error_type FROM sched.executions WHERE workflow_id = 'wr-cron';
-- a cron run that fails is retried first; the chain goes on after its
-- last try, with the execution deadline of the whole workflow
SELECT sched.start_workflow('Report', 'wr-cron2', 'wr-q', cron_schedule => '0 0 1 1 *',
                            execution_timeout => '4000 days',
                            retry_policy => '{"initial_interval": "1 hour", "maximum_attempts": 2}')
       IS NOT NULL AS started;
SELECT sched.fail(pg_temp.claim('wr-cron2'), 'one');
SELECT sched.fail(pg_temp.claim('wr-cron2'), 'two');
SELECT status, retries, error,
       count(*) OVER () AS runs,
       execution_deadline = first_value(execution_deadline) OVER (ORDER BY created_at) AS same_deadline
  FROM sched.executions WHERE workflow_id = 'wr-cron2' ORDER BY created_at;
SELECT sched.terminate_workflow('wr-cron2');

-- ---- schedules ----
-- A schedule's runs carry its action's retry policy and timeouts.  A retry
-- is not a close: the run still counts as running for the overlap policy,
-- and pause_on_failure waits for the last try.
SELECT sched.create_schedule('wr-sched', '{
    "action": {"workflow": "Report", "id": "wr-s", "task_queue": "wr-sq",
               "run_timeout": "30 minutes", "execution_timeout": "1 day",
               "retry_policy": {"initial_interval": "1 hour", "maximum_attempts": 2}},
    "spec": {"cron_expressions": ["0 0 1 1 *"], "start_at": "2099-01-01T00:00:00Z"},
    "policy": {"pause_on_failure": true}}');
SELECT sched.trigger('wr-sched');
SELECT workflow_id AS swf FROM sched.executions WHERE schedule_id = 'wr-sched' \gset
SELECT retry_policy, run_timeout, execution_timeout,
       run_deadline = due_at + run_timeout AS run_deadline,
       execution_deadline > now() + interval '23 hours' AS execution_deadline
  FROM sched.executions WHERE schedule_id = 'wr-sched';
SELECT sched.fail(pg_temp.claim(:'swf'), 'first');
SELECT status, retries, (SELECT paused FROM sched.schedules WHERE schedule_id = 'wr-sched') AS paused,
       jsonb_array_length(sched.describe('wr-sched')->'info'->'running_actions') AS running
  FROM sched.executions WHERE schedule_id = 'wr-sched';
-- the second try times out: the schedule pauses
BEGIN;
SELECT pg_temp.claim(:'swf') IS NOT NULL AS claimed;
UPDATE sched.executions SET run_deadline = now() - interval '1 second'
 WHERE schedule_id = 'wr-sched';
SELECT sched.expire_leases() >= 1 AS acted;
COMMIT;
SELECT e.status, e.retries, e.error, s.paused,
       regexp_replace(s.note, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<time>') AS note
  FROM sched.executions e JOIN sched.schedules s USING (schedule_id)
 WHERE schedule_id = 'wr-sched';
-- allow_all backfill runs (started in batches) carry them too
SELECT sched.backfill('wr-sched', '2099-01-01Z', '2101-01-01Z', 'allow_all');
SELECT count(*) AS runs, count(*) FILTER (WHERE retry_policy IS NOT NULL
                                            AND run_deadline = due_at + run_timeout
                                            AND execution_deadline = due_at + execution_timeout) AS with_options
  FROM sched.executions WHERE schedule_id = 'wr-sched' AND start_kind = 'backfill';
SELECT sched.delete('wr-sched');

-- ---- clean up ----
DELETE FROM sched.executions WHERE task_queue IN ('wr-q', 'wr-sq');
