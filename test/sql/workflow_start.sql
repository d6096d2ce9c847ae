-- sched.start_workflow (SEMANTICS.md 7 and 9): one run under a workflow
-- id, pending at once, or scheduled until its start delay ends (a signal
-- ends it early) or its first cron time comes; a cron_schedule makes a
-- chain of runs under the id, each closed run starting the next at the
-- first cron time after its own that is not in the past, with the previous
-- result; cancel and terminate end the chain.
--
-- The scheduler runs in the regress server: delays are an hour or more and
-- cron times far away (or compared, not shown), so it never acts on a run
-- here; runs are made claimable inside a transaction, where it cannot see
-- them.  Times are shown relative to the start.
SET timezone = 'UTC';

-- Errors are shown by pg_temp.try_masked(statement): "ok", or "SQLSTATE: message"
-- and the detail, with run ids shown as <run>.
\i test/sql/include/fixtures.sql
-- Makes the open run of a workflow id claimable now and claims it (as the
-- scheduler and a worker would once its due time has come).
CREATE FUNCTION pg_temp.claim(wf text) RETURNS uuid LANGUAGE sql AS $$
    UPDATE sched.executions SET due_at = now() - interval '1 second'
     WHERE workflow_id = wf AND status = 'scheduled';
    SELECT sched.expire_leases();
    SELECT run_id FROM sched.poll((SELECT task_queue FROM sched.executions
                                    WHERE workflow_id = wf
                                      AND status = 'pending'),
                                  'w1', 1, '1 hour')
$$;

-- Another session listens, as a worker waiting for work would.
CREATE EXTENSION dblink;
SELECT dblink_connect('listener', 'dbname=' || current_database());
SELECT dblink_exec('listener', 'LISTEN sched_tasks');
-- What the listener heard from this file's task queues (ws-*): waits until
-- it has heard n notifications (at most 60 s), then shows them.
CREATE FUNCTION pg_temp.heard(n int)
RETURNS TABLE (payload text) LANGUAGE plpgsql AS $$
DECLARE
    got text[] := '{}';
BEGIN
    FOR i IN 1..6000 LOOP
        got := got || ARRAY(SELECT extra FROM dblink_get_notify('listener')
                             WHERE extra LIKE 'ws-%');
        EXIT WHEN cardinality(got) >= n;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN QUERY SELECT unnest(got) ORDER BY 1;
END $$;

-- ---- at once ----
-- The run id returned is the run's; the run is pending and claimable now,
-- and NOTIFY sched_tasks names its task queue.
SELECT sched.start_workflow('Report', 'ws-now', 'ws-a',
                            args => '["eu", 3]', memo => '{"team": "data"}')
       AS now_run \gset
SELECT run_id = :'now_run' AS returns_run_id FROM sched.executions
 WHERE workflow_id = 'ws-now';
SELECT * FROM pg_temp.heard(1);
SELECT workflow_id, workflow, task_queue, args, memo, status, start_kind,
       schedule_id, nominal_time, attempt, retries,
       due_at >= created_at AND due_at < created_at + interval '1 minute' AS due_now,
       scheduled_at = due_at AS scheduled_at_due, owner = current_user AS owner
  FROM sched.executions WHERE workflow_id = 'ws-now';
SELECT workflow_id, workflow, args, attempt, schedule_id, nominal_time,
       last_completion_result
  FROM sched.poll('ws-a', 'w1');
-- args default to [], and a zero start delay is no delay
SELECT sched.start_workflow('Report', 'ws-zero', 'ws-a',
                            start_delay => '0 seconds') IS NOT NULL AS started;
SELECT workflow_id, args, status, start_delay FROM sched.executions
 WHERE workflow_id = 'ws-zero';
SELECT * FROM pg_temp.heard(1);

-- ---- start_delay ----
-- The run exists at once (its id is taken, describe_workflow shows it) but
-- is scheduled until now + delay: no worker can claim it before.
SELECT sched.start_workflow('Report', 'ws-delay', 'ws-b',
                            start_delay => '2 hours') IS NOT NULL AS started;
SELECT workflow_id, status, start_delay,
       due_at - created_at BETWEEN interval '2 hours'
                               AND interval '2 hours 1 minute' AS due_after_delay,
       scheduled_at = due_at AS scheduled_at_due
  FROM sched.executions WHERE workflow_id = 'ws-delay';
SELECT count(*) AS claimed FROM sched.poll('ws-b', 'w1');
SELECT pg_temp.try_masked($$SELECT sched.start_workflow('Report', 'ws-delay', 'ws-b')$$);
SELECT d->>'status' AS status, d->>'start_delay' AS start_delay
  FROM sched.describe_workflow('ws-delay') d;

-- ---- signal_workflow ----
-- A signal ends the delay: the run is pending at once (and notifies); the
-- signal is recorded on the run, and so are later ones.
SELECT sched.signal_workflow('ws-delay', 'approve', '{"by": "ana"}');
SELECT * FROM pg_temp.heard(1);
SELECT workflow_id, status, due_at <= clock_timestamp() AS due_now,
       jsonb_path_query_array(signals, '$[*].signal') AS signals,
       signals->0->'payload' AS payload,
       (signals->0->>'at')::timestamptz <= clock_timestamp() AS at_set
  FROM sched.executions WHERE workflow_id = 'ws-delay';
SELECT workflow_id FROM sched.poll('ws-b', 'w1');
SELECT sched.signal_workflow('ws-delay', 'progress');
SELECT sched.signal_workflow('ws-delay', 'progress', '[1, null]');
SELECT status, jsonb_path_query_array(signals, '$[*].signal') AS signals,
       jsonb_path_query_array(signals, '$[*].payload') AS payloads
  FROM sched.executions WHERE workflow_id = 'ws-delay';
-- the same on a pending run
SELECT sched.signal_workflow('ws-zero', 'poke');
SELECT status, signals->0->>'signal' AS signal FROM sched.executions
 WHERE workflow_id = 'ws-zero';

-- ---- describe_workflow ----
-- The options of a start appear when set: delay, timeouts and their
-- deadlines, the retry policy (with its defaults) and the retries so far,
-- the signals.
SELECT sched.start_workflow('Report', 'ws-opts', 'ws-c',
                            start_delay => '1 hour',
                            run_timeout => '10 minutes',
                            execution_timeout => '1 day',
                            retry_policy => '{"maximum_attempts": 5}') IS NOT NULL AS started;
SELECT sched.signal_workflow('ws-opts', 'hello');
SELECT k, CASE WHEN k IN ('run_deadline', 'execution_deadline', 'signals')
               THEN jsonb_typeof(v) ELSE v::text END AS value
  FROM sched.describe_workflow('ws-opts') d, jsonb_each(d) e(k, v)
 WHERE k IN ('status', 'start_delay', 'run_timeout', 'execution_timeout',
             'run_deadline', 'execution_deadline', 'retry_policy', 'retries',
             'signals', 'cron_schedule', 'error_type')
 ORDER BY k;
-- the run's deadline counts from its due time, the execution's from the start
SELECT run_deadline = due_at + interval '10 minutes' AS run_deadline,
       execution_deadline - created_at BETWEEN interval '1 day'
                                           AND interval '1 day 1 minute' AS execution_deadline
  FROM sched.executions WHERE workflow_id = 'ws-opts';
-- a run without options shows none of these keys
SELECT count(*) AS option_keys
  FROM sched.describe_workflow('ws-zero') d, jsonb_object_keys(d) k
 WHERE k IN ('start_delay', 'run_timeout', 'execution_timeout', 'run_deadline',
             'execution_deadline', 'retry_policy', 'retries', 'cron_schedule',
             'error_type');

-- ---- cron_schedule: the first run ----
-- Standard cron: the first run is scheduled at the first cron time after
-- the start (due_at = scheduled_at = nominal_time).  Each string is
-- compared with sched.next_times of a spec with the same times: a spec's
-- cron strings combine the day fields with AND, so the OR rule of standard
-- cron is written there as two strings.
CREATE TEMP TABLE cron_cases (n int, cron text, spec jsonb);
INSERT INTO cron_cases VALUES
 (1, '0 12 13 * 5', '{"cron_expressions": ["0 12 13 * *", "0 12 * * 5"]}'),
 (2, '30 6 ? * MON-FRI', '{"cron_expressions": ["30 6 * * mon-fri"]}'),
 (3, '15 3 1,15 * ?', '{"cron_expressions": ["15 3 1,15 * *"]}'),
 (4, '0 0 1 jan,jul *', '{"cron_expressions": ["0 0 1 1,7 *"]}'),
 (5, '@weekly', '{"cron_expressions": ["0 0 * * 0"]}'),
 (6, '@every 90m', '{"intervals": [{"every": "90 minutes"}]}'),
 (7, 'CRON_TZ=Asia/Kolkata 0 9 1,15 * sun',
     '{"cron_expressions": ["0 9 1,15 * *", "0 9 * * 0"], "time_zone_name": "Asia/Kolkata"}'),
 (8, '  0 0 29 2 *  # leap days', '{"cron_expressions": ["0 0 29 2 *"]}');
SELECT n, sched.start_workflow('Report', 'ws-cron-' || n, 'ws-cron',
                               cron_schedule => cron) IS NOT NULL AS started
  FROM cron_cases ORDER BY n;
SELECT c.n, e.cron_schedule, e.status,
       e.due_at IN (SELECT sched.next_times(c.spec, e.created_at, 2)) AS first_time,
       e.due_at = e.scheduled_at AND e.due_at = e.nominal_time AS nominal
  FROM cron_cases c JOIN sched.executions e ON e.workflow_id = 'ws-cron-' || c.n
 ORDER BY c.n;
SELECT sched.terminate_workflow('ws-cron-' || n) FROM cron_cases;
-- a signal does not end the wait for a cron time
SELECT sched.start_workflow('Report', 'ws-cron-sig', 'ws-cron',
                            cron_schedule => '0 0 1 1 *') IS NOT NULL AS started;
SELECT sched.signal_workflow('ws-cron-sig', 'hurry');
SELECT status, jsonb_array_length(signals) AS signals FROM sched.executions
 WHERE workflow_id = 'ws-cron-sig';
SELECT sched.terminate_workflow('ws-cron-sig');

-- ---- cron chains ----
-- A yearly chain: each closed run starts the next run of the id, a year
-- after the closed run's cron time, after a completion, a failure and a
-- timeout alike.  Every run gets the result of the last completed one.
-- (Claiming a run here makes it due early: its due time is not shown.)
SELECT sched.start_workflow('Report', 'ws-chain', 'ws-ch', args => '[7]',
                            cron_schedule => '0 0 1 1 *', run_timeout => '1 hour',
                            memo => '{"m": 1}') AS first_run \gset
CREATE VIEW pg_temp.chain AS
    SELECT row_number() OVER (ORDER BY nominal_time) AS n, status,
           extract(year FROM nominal_time) - extract(year FROM min(nominal_time) OVER ()) AS year,
           to_char(nominal_time, 'MM-DD HH24:MI:SS') AS cron_time,
           args, memo, last_completion_result, result, error
      FROM sched.executions WHERE workflow_id = 'ws-chain' ORDER BY nominal_time;
BEGIN;
SELECT pg_temp.claim('ws-chain') = :'first_run' AS claimed_first;
SELECT sched.complete(:'first_run', '{"rows": 1}');
COMMIT;
BEGIN;
SELECT sched.fail(pg_temp.claim('ws-chain'), 'disk full');
COMMIT;
BEGIN;
SELECT pg_temp.claim('ws-chain') IS NOT NULL AS claimed;
UPDATE sched.executions SET run_deadline = now() - interval '1 second'
 WHERE workflow_id = 'ws-chain' AND status = 'running';
SELECT sched.expire_leases() >= 1 AS timed_out;
COMMIT;
SELECT * FROM pg_temp.chain;
-- the open one waits for its cron time, with the chain's options
SELECT status, due_at = nominal_time AND scheduled_at = nominal_time AS due,
       cron_schedule, run_timeout, run_deadline = due_at + run_timeout AS run_deadline
  FROM sched.executions WHERE workflow_id = 'ws-chain' AND status = 'scheduled';
-- a worker polling a chain's run sees its cron time and the last result
BEGIN;
UPDATE sched.executions SET due_at = now() - interval '1 second'
 WHERE workflow_id = 'ws-chain' AND status = 'scheduled';
SELECT sched.expire_leases() >= 1 AS pending;
SELECT workflow_id, args, nominal_time > now() AS future_cron_time,
       last_completion_result
  FROM sched.poll('ws-ch', 'w1', 1, '1 hour');
ROLLBACK;
-- cancel ends the chain: no next run
SELECT sched.cancel_workflow('ws-chain', 'no more reports');
SELECT n, status, year FROM pg_temp.chain;
SELECT d->>'status' AS status, d->'runs' AS runs
  FROM sched.describe_workflow('ws-chain') d;

-- Missed times are skipped: the next run is at the first cron time after
-- the closed run's that is not in the past.
SELECT sched.start_workflow('Report', 'ws-hourly', 'ws-ch',
                            cron_schedule => '0 * * * *') AS hourly \gset
BEGIN;
UPDATE sched.executions SET nominal_time = nominal_time - interval '5 hours'
 WHERE run_id = :'hourly';
SELECT sched.complete(pg_temp.claim('ws-hourly'));
SELECT count(*) AS runs,
       max(nominal_time) > clock_timestamp()
         AND max(nominal_time) <= clock_timestamp() + interval '1 hour' AS next_hour,
       extract(minute FROM max(nominal_time)) AS minute
  FROM sched.executions WHERE workflow_id = 'ws-hourly';
SELECT sched.terminate_workflow('ws-hourly');
COMMIT;
-- terminate ends a chain too
SELECT status, count(*) FROM sched.executions WHERE workflow_id = 'ws-hourly'
 GROUP BY status ORDER BY status;
-- a report on the closed run is refused and starts nothing
SELECT pg_temp.try_masked(format($$SELECT sched.complete(%L)$$, :'hourly'));

-- ---- clean up ----
SELECT dblink_disconnect('listener');
DROP EXTENSION dblink;
DELETE FROM sched.executions WHERE workflow_id LIKE 'ws-%';
