-- The last failure handed to the next run (Temporal's last failure,
-- ContinuedFailure): a schedule's run that fails (after its retries) makes
-- its failure the schedule's last_failure, which every later run of the
-- schedule receives (sched.poll's last_failure, describe_workflow) until a
-- run completes: a completion sets last_completion_result and clears it.
-- Timed-out, canceled and terminated runs change neither, and allow_all
-- runs receive neither, as in Temporal.  Cron chains hand it on the same
-- way.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.mask(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE WHEN j IS NULL THEN NULL
                ELSE j || jsonb_build_object('run_id', CASE WHEN j ? 'run_id' THEN '<run>' END,
                                             'failed_at', CASE WHEN j ? 'failed_at' THEN '<time>' END)
           END
$$;
-- claims the schedule's next pending run, shows what the worker gets
CREATE FUNCTION pg_temp.claim(q text) RETURNS TABLE (
    workflow_id text, last_completion_result jsonb, last_failure jsonb)
LANGUAGE sql AS $$
    SELECT workflow_id, last_completion_result, pg_temp.mask(last_failure)
      FROM sched.poll(q, 'w1', 1, '1 hour')
$$;
CREATE FUNCTION pg_temp.run(wf text) RETURNS uuid LANGUAGE sql AS $$
    SELECT run_id FROM sched.executions WHERE workflow_id = wf
     ORDER BY created_at DESC LIMIT 1
$$;

SELECT sched.create_schedule('lf-1', '{
    "action": {"workflow": "W", "id": "lf", "task_queue": "lf-q",
               "retry_policy": {"maximum_attempts": 2, "initial_interval": "1 hour"}},
    "spec": {}, "policy": {"overlap": "buffer_all"}}');

-- The first run gets neither.
SELECT sched.trigger('lf-1', scheduled_time => '2030-01-01 00:00+00');
SELECT * FROM pg_temp.claim('lf-q');
-- A failure that the retry policy retries is not a close: nothing yet.
SELECT sched.fail(pg_temp.run('lf-2030-01-01T00:00:00Z'), 'disk full', error_type => 'IOError');
SELECT last_failure FROM sched.schedules WHERE schedule_id = 'lf-1';
-- The final failure is the schedule's last failure.
UPDATE sched.executions SET due_at = now() WHERE workflow_id = 'lf-2030-01-01T00:00:00Z';
-- (the scheduler may promote it first: either way it is pending)
SELECT sched.expire_leases() >= 0 AS promoted;
SELECT workflow_id FROM sched.poll('lf-q', 'w1', 1, '1 hour');
SELECT sched.fail(pg_temp.run('lf-2030-01-01T00:00:00Z'), 'disk still full', error_type => 'IOError');
SELECT pg_temp.mask(last_failure) AS last_failure, last_completion_result
  FROM sched.schedules WHERE schedule_id = 'lf-1';
-- ... with the run's ids
SELECT (last_failure->>'run_id')::uuid = pg_temp.run('lf-2030-01-01T00:00:00Z') AS its_run,
       (last_failure->>'failed_at')::timestamptz <= clock_timestamp() AS failed_before_now
  FROM sched.schedules WHERE schedule_id = 'lf-1';

-- The next run receives it: in poll's output and in describe_workflow.
SELECT sched.trigger('lf-1', scheduled_time => '2030-01-02 00:00+00');
SELECT * FROM pg_temp.claim('lf-q');
SELECT pg_temp.mask(d->'last_failure') AS last_failure
  FROM sched.describe_workflow('lf-2030-01-02T00:00:00Z') AS d;
-- Its completion sets the result and clears the failure.
SELECT sched.complete(pg_temp.run('lf-2030-01-02T00:00:00Z'), '{"ok": 2}');
SELECT last_failure, last_completion_result FROM sched.schedules WHERE schedule_id = 'lf-1';
SELECT sched.trigger('lf-1', scheduled_time => '2030-01-03 00:00+00');
SELECT * FROM pg_temp.claim('lf-q');
-- A failure keeps the last completion result beside it.
SELECT sched.fail(pg_temp.run('lf-2030-01-03T00:00:00Z'), 'boom', non_retryable => true);
SELECT pg_temp.mask(last_failure) AS last_failure, last_completion_result
  FROM sched.schedules WHERE schedule_id = 'lf-1';
-- A terminated (or canceled, or timed-out) run changes neither.
SELECT sched.trigger('lf-1', scheduled_time => '2030-01-04 00:00+00');
SELECT sched.terminate_workflow('lf-2030-01-04T00:00:00Z', 'stop');
SELECT pg_temp.mask(last_failure) AS last_failure, last_completion_result
  FROM sched.schedules WHERE schedule_id = 'lf-1';
-- An allow_all run receives neither (it does not take part, as in Temporal).
SELECT sched.trigger('lf-1', overlap => 'allow_all', scheduled_time => '2030-01-05 00:00+00');
SELECT * FROM pg_temp.claim('lf-q');
-- Buffered runs get the failure as it is when they start: a run waiting
-- behind a failing one receives that failure.
SELECT sched.trigger('lf-1', scheduled_time => '2030-01-06 00:00+00');
SELECT sched.trigger('lf-1', scheduled_time => '2030-01-07 00:00+00');
SELECT workflow_id FROM sched.poll('lf-q', 'w1', 1, '1 hour');
SELECT sched.fail(pg_temp.run('lf-2030-01-06T00:00:00Z'), 'sixth', non_retryable => true);
SELECT * FROM pg_temp.claim('lf-q');

-- Cron chains: a failed run hands its failure to the next run of the id,
-- a completed one its result and no failure.
SELECT sched.start_workflow('C', 'lf-cron', 'lf-cq', cron_schedule => '@hourly') IS NOT NULL AS started;
UPDATE sched.executions SET due_at = now() WHERE workflow_id = 'lf-cron';
-- (the scheduler may promote it first: either way it is pending)
SELECT sched.expire_leases() >= 0 AS promoted;
SELECT * FROM pg_temp.claim('lf-cq');
SELECT sched.fail(pg_temp.run('lf-cron'), 'cron failed', error_type => 'E');
SELECT status, pg_temp.mask(last_failure) AS last_failure, last_completion_result
  FROM sched.executions WHERE workflow_id = 'lf-cron' ORDER BY created_at;
UPDATE sched.executions SET due_at = now() WHERE workflow_id = 'lf-cron' AND status = 'scheduled';
-- (the scheduler may promote it first: either way it is pending)
SELECT sched.expire_leases() >= 0 AS promoted;
SELECT * FROM pg_temp.claim('lf-cq');
SELECT sched.complete(pg_temp.run('lf-cron'), '{"n": 1}');
SELECT status, pg_temp.mask(last_failure) AS last_failure, last_completion_result
  FROM sched.executions WHERE workflow_id = 'lf-cron' ORDER BY created_at;
SELECT sched.terminate_workflow('lf-cron', 'enough');

SELECT sched.delete('lf-1');
