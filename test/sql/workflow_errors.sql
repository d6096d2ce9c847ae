-- Invalid input to sched.start_workflow and sched.signal_workflow
-- (SEMANTICS.md 6, 7, 9): refused before anything is stored, with SQLSTATE
-- 22023 and a message naming the argument and the value; an unknown
-- workflow id is 42704, an id whose runs are all closed 55000.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hint text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN st || ': ' || msg
           || CASE WHEN det <> '' THEN E'\n  detail: ' || det ELSE '' END
           || CASE WHEN hint <> '' THEN E'\n  hint: ' || hint ELSE '' END;
END $$;
-- sched.start_workflow('Report', 'we-1', 'we-q', <args>)
CREATE FUNCTION pg_temp.start(args text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.try('SELECT sched.start_workflow(''Report'', ''we-1'', ''we-q'', '
                       || args || ')')
$$;

-- ---- workflow, id, task_queue ----
SELECT pg_temp.try($$SELECT sched.start_workflow(NULL, 'we-1', 'we-q')$$);
SELECT pg_temp.try($$SELECT sched.start_workflow('Report', NULL, 'we-q')$$);
SELECT pg_temp.try($$SELECT sched.start_workflow('Report', 'we-1', NULL)$$);
SELECT pg_temp.try($$SELECT sched.start_workflow('', 'we-1', 'we-q')$$);
SELECT pg_temp.try($$SELECT sched.start_workflow('Report', '', 'we-q')$$);
SELECT pg_temp.try($$SELECT sched.start_workflow('Report', 'we-1', '')$$);
SELECT pg_temp.try($$SELECT sched.start_workflow('Report', repeat('x', 1001), 'we-q')$$);
SELECT pg_temp.try($$SELECT sched.start_workflow('Report', 'we-1', repeat('q', 1001))$$);

-- ---- args, memo ----
SELECT pg_temp.start($$args => '{"a": 1}'$$);
SELECT pg_temp.start($$args => '"eu"'$$);
SELECT pg_temp.start($$memo => '[1]'$$);
SELECT pg_temp.start($$memo => '1'$$);

-- ---- cron_schedule ----
-- The spec engine's messages, with the character of the problem.
SELECT pg_temp.start($$cron_schedule => ''$$);
SELECT pg_temp.start($$cron_schedule => '* * * *'$$);
SELECT pg_temp.start($$cron_schedule => '0 0 * * * 2030'$$);
SELECT pg_temp.start($$cron_schedule => '0 0 0 12 1 * 2030'$$);
SELECT pg_temp.start($$cron_schedule => '60 * * * *'$$);
SELECT pg_temp.start($$cron_schedule => '*/0 * * * *'$$);
SELECT pg_temp.start($$cron_schedule => '0 0 * * fryday'$$);
-- L and # in their valid forms are accepted since 0.3.0 (spec_relative.sql)
SELECT pg_temp.start($$cron_schedule => '0 0 L-31 * *'$$);
SELECT pg_temp.start($$cron_schedule => '0 0 * * 5#0'$$);
SELECT pg_temp.start($$cron_schedule => '? 0 * * *'$$);
SELECT pg_temp.start($$cron_schedule => '@fortnightly'$$);
SELECT pg_temp.start($$cron_schedule => '@every 0s'$$);
SELECT pg_temp.start($$cron_schedule => '@every 1.5s'$$);
SELECT pg_temp.start($$cron_schedule => 'CRON_TZ=Mars/Olympus 0 0 * * *'$$);
SELECT pg_temp.start($$cron_schedule => repeat(' ', 4097)$$);
-- a schedule that never fires
SELECT regexp_replace(pg_temp.start($$cron_schedule => '0 0 30 2 *'$$),
                      '\d{4}-[0-9T:.-]+Z', '<now>');
SELECT regexp_replace(pg_temp.start($$cron_schedule => '0 0 31 4,6,9,11 ?'$$),
                      '\d{4}-[0-9T:.-]+Z', '<now>');

-- ---- start_delay ----
SELECT pg_temp.start($$start_delay => '-1 second'$$);
SELECT pg_temp.start($$start_delay => '1 day -25 hours'$$);
SELECT pg_temp.start($$start_delay => '1 month'$$);
SELECT pg_temp.start($$start_delay => '1.5 milliseconds'$$);
SELECT pg_temp.start($$start_delay => '201 years'$$);
SELECT pg_temp.start($$start_delay => '75000 days'$$);
-- with cron_schedule: refused whatever the delay
SELECT pg_temp.start($$cron_schedule => '@daily', start_delay => '1 hour'$$);
SELECT pg_temp.start($$cron_schedule => '@daily', start_delay => '0'$$);

-- ---- policies ----
SELECT pg_temp.start($$id_reuse_policy => 'allow'$$);
SELECT pg_temp.start($$id_reuse_policy => ''$$);
SELECT pg_temp.start($$id_conflict_policy => 'terminate_if_running'$$);

-- ---- timeouts ----
SELECT pg_temp.start($$execution_timeout => '0'$$);
SELECT pg_temp.start($$execution_timeout => '-5 minutes'$$);
SELECT pg_temp.start($$execution_timeout => '1 year'$$);
SELECT pg_temp.start($$run_timeout => '0 seconds'$$);
SELECT pg_temp.start($$run_timeout => '0.0001 seconds'$$);

-- ---- retry_policy ----
-- Read as a schedule action's retry_policy is (the same parser).
SELECT pg_temp.start($$retry_policy => '[]'$$);
SELECT pg_temp.start($$retry_policy => 'null'$$);
SELECT pg_temp.start($$retry_policy => '{"max_attempts": 3}'$$);
SELECT pg_temp.start($$retry_policy => '{"initial_interval": "-1s"}'$$);
SELECT pg_temp.start($$retry_policy => '{"initial_interval": "fast"}'$$);
SELECT pg_temp.start($$retry_policy => '{"backoff_coefficient": 0.5}'$$);
SELECT pg_temp.start($$retry_policy => '{"backoff_coefficient": "2"}'$$);
SELECT pg_temp.start($$retry_policy => '{"initial_interval": 10, "maximum_interval": 5}'$$);
SELECT pg_temp.start($$retry_policy => '{"maximum_attempts": -1}'$$);
SELECT pg_temp.start($$retry_policy => '{"maximum_attempts": 1.5}'$$);
SELECT pg_temp.start($$retry_policy => '{"non_retryable_error_types": "Fatal"}'$$);
SELECT pg_temp.start($$retry_policy => '{"non_retryable_error_types": ["Fatal", 3]}'$$);

-- nothing was stored
SELECT count(*) AS runs FROM sched.executions WHERE workflow_id LIKE 'we-%';

-- ---- signal_workflow ----
SELECT pg_temp.try($$SELECT sched.signal_workflow(NULL, 'go')$$);
SELECT pg_temp.try($$SELECT sched.signal_workflow('we-1', NULL)$$);
SELECT pg_temp.try($$SELECT sched.signal_workflow('we-1', '')$$);
SELECT pg_temp.try($$SELECT sched.signal_workflow('we-unknown', 'go')$$);
SELECT sched.start_workflow('Report', 'we-closed', 'we-q', start_delay => '1 hour')
       IS NOT NULL AS started;
SELECT sched.terminate_workflow('we-closed');
SELECT regexp_replace(pg_temp.try($$SELECT sched.signal_workflow('we-closed', 'go')$$),
                      '[0-9a-f]{8}-[0-9a-f-]{27}', '<run>');
SELECT signals FROM sched.executions WHERE workflow_id = 'we-closed';

-- ---- sched.fail ----
-- error_type is a new optional argument: the old calls work as before.
SELECT pg_temp.try($$SELECT sched.fail('00000000-0000-0000-0009-000000000001', 'x')$$);
SELECT pg_temp.try($$SELECT sched.fail('00000000-0000-0000-0009-000000000001', 'x', true)$$);
SELECT pg_temp.try($$SELECT sched.fail('00000000-0000-0000-0009-000000000001', 'x', error_type => 'IOError')$$);

DELETE FROM sched.executions WHERE workflow_id LIKE 'we-%';
