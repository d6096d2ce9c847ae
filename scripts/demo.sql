-- The quick start's demonstration: scripts/quickstart.sh runs it with psql
-- in database pg_sched, after CREATE EXTENSION pg_sched.  Running it again
-- is safe: part 2 starts by removing what an earlier run left.
--
--  1. When specs fire: sched.next_times(spec, after, count), from fixed
--     instants chosen to show one rule each.
--  2. A schedule every second fires into the queue (sched.executions); the
--     scheduler of this database writes each run within milliseconds of
--     its time.
--  3. A worker claims the runs (sched.poll) and completes them
--     (sched.complete), one report per transaction.
--  4. What the schedule says about itself (sched.describe).
\pset footer off
SET timezone = 'UTC';

\echo
\echo '== 1. When specs fire: sched.next_times(spec, after, count)'
WITH demo(n, what, zone, after, count, spec) AS (VALUES
	(1, 'weekdays 09:00 New York (DST starts Mar 10)', 'America/New_York',
	 timestamptz '2024-03-07 12:00Z', 4,
	 '{"cron_expressions": ["CRON_TZ=America/New_York 0 9 * * mon-fri"]}'),
	(2, 'every 90 minutes, offset 15 minutes', 'UTC',
	 timestamptz '2024-01-01 00:00Z', 4,
	 '{"intervals": [{"every": "90 minutes", "offset": "15 minutes"}]}'),
	(3, 'daily 01:30 London: gap, no fire Mar 31', 'Europe/London',
	 timestamptz '2024-03-29 00:00Z', 3,
	 '{"cron_expressions": ["30 1 * * *"], "time_zone_name": "Europe/London"}'),
	(4, 'daily 01:30 London: overlap, fires twice', 'Europe/London',
	 timestamptz '2024-10-26 12:00Z', 3,
	 '{"cron_expressions": ["30 1 * * *"], "time_zone_name": "Europe/London"}'),
	(5, 'last Friday of the month, 17:00 London', 'Europe/London',
	 timestamptz '2036-01-01 00:00Z', 4,
	 '{"time_zone_name": "Europe/London",
	   "calendars": [
	     {"month": "jan,mar,may,jul,aug,oct,dec", "day_of_month": "25-31", "day_of_week": "fri", "hour": 17},
	     {"month": "apr,jun,sep,nov", "day_of_month": "24-30", "day_of_week": "fri", "hour": 17},
	     {"month": "feb", "day_of_month": "22-29", "day_of_week": "fri", "hour": 17}],
	   "skip": [{"comment": "Feb 22 is not the last Friday in leap years",
	             "year": "2000/4", "month": 2, "day_of_month": 22, "hour": 17}]}'),
	(6, 'last hour of Feb 29 when it is a Monday', 'UTC',
	 timestamptz '2024-01-01 00:00Z', 3,
	 '{"calendars": [{"month": 2, "day_of_month": 29, "day_of_week": "mon", "hour": 23, "minute": "*"}]}')
)
SELECT CASE WHEN row_number() OVER w = 1 THEN d.what ELSE '' END AS spec,
	   CASE WHEN row_number() OVER w = 1 THEN to_char(d.after, 'YYYY-MM-DD HH24:MI"Z"') ELSE '' END AS after,
	   to_char(t, 'YYYY-MM-DD HH24:MI:SS"Z"') AS "fires at (UTC)",
	   to_char(t AT TIME ZONE d.zone, 'Dy YYYY-MM-DD HH24:MI') AS "local time",
	   d.zone AS "time zone"
FROM demo d, LATERAL sched.next_times(d.spec::jsonb, d.after, d.count) AS t
WINDOW w AS (PARTITION BY d.n ORDER BY t)
ORDER BY d.n, t;

\echo
\echo '== 2. A schedule every second fires into the queue (sched.executions)'

-- Start from scratch when the demo ran before.  Runs outlive their
-- schedule (sched.delete leaves them alone), so the previous demo's open
-- runs are terminated and its runs forgotten; the scheduler would purge
-- closed runs itself after pg_sched.run_retention (7 days).
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM sched.schedules WHERE schedule_id = 'demo') THEN
		PERFORM sched.delete('demo');
	END IF;
	PERFORM sched.terminate_workflow(workflow_id, 'quick-start demo restarted')
	   FROM sched.executions
	  WHERE schedule_id = 'demo' AND status IN ('scheduled', 'pending', 'running');
	DELETE FROM sched.executions WHERE schedule_id = 'demo';
END $$;

-- Every second, workflow "Hello" on task queue "demo".  Overlap allow_all:
-- each second starts a run even while earlier ones wait for a worker (under
-- the default, skip, one open run holds back the next ones).
SELECT sched.create_schedule('demo', '{
	"action": {"workflow": "Hello", "id": "hello", "task_queue": "demo",
	           "args": ["world"]},
	"spec":   {"intervals": [{"every": "1 second"}]},
	"policy": {"overlap": "allow_all"}}') AS created;

-- Wait (at most 10 seconds) until the scheduler has fired three runs.
DO $$
DECLARE
	n integer;
BEGIN
	FOR i IN 1 .. 50 LOOP
		SELECT count(*) INTO n FROM sched.executions WHERE schedule_id = 'demo';
		EXIT WHEN n >= 3;
		PERFORM pg_sleep(0.2);
	END LOOP;
	IF n < 3 THEN
		RAISE EXCEPTION 'the demo schedule fired % time(s) in 10 seconds, expected 3', n
			USING HINT = 'Is the scheduler running?  SELECT * FROM sched.scheduler_status();'
						 ' and the server log say.';
	END IF;
END $$;

-- Paused now, so that this database does not collect a run every second
-- from here on (sched.unpause('demo') resumes it, without replaying the
-- paused seconds).  The runs it started wait in the queue.
DO $$ BEGIN PERFORM sched.pause('demo', 'paused by the quick-start demo'); END $$;

-- The runs: workflow id = <action id>-<nominal time>; scheduled_at is when
-- the run was due (the nominal time, as there is no jitter), "late" how long
-- after that the scheduler wrote it.
SELECT workflow_id, to_char(nominal_time, 'HH24:MI:SS') AS nominal_time,
	   to_char(scheduled_at, 'HH24:MI:SS.MS') AS scheduled_at,
	   round(extract(epoch FROM created_at - scheduled_at) * 1000, 1) AS "late (ms)",
	   status
  FROM sched.executions WHERE schedule_id = 'demo'
 ORDER BY nominal_time;

\echo
\echo '== 3. A worker claims the runs (sched.poll) and completes them (sched.complete)'

-- sched.poll claims up to max_tasks pending runs of a task queue under a
-- lease (30 seconds by default); a real worker would do the work now.
CREATE TEMP TABLE claimed AS
	SELECT * FROM sched.poll('demo', worker => 'demo-worker', max_tasks => 100);
SELECT workflow_id, workflow, args, attempt FROM claimed ORDER BY workflow_id;

-- One report per transaction, as workers should: a transaction that holds
-- a claimed run and then reports on it can deadlock with a concurrent
-- cancel_workflow or terminate_workflow of that run.
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT run_id, args FROM claimed LOOP
		PERFORM sched.complete(r.run_id,
							   jsonb_build_object('greeting', 'hello ' || (r.args->>0)));
		COMMIT;
	END LOOP;
END $$;

\echo
\echo '== 4. What the schedule says about itself (sched.describe)'
SELECT d->'info'->>'num_actions' AS num_actions,
	   jsonb_array_length(d->'info'->'running_actions') AS running,
	   d->'info'->>'buffer_size' AS buffered,
	   d->'schedule'->'state'->>'paused' AS paused,
	   d->'schedule'->'state'->>'note' AS note
  FROM sched.describe('demo') AS d;
SELECT a->>'workflow_id' AS "recent action", a->>'status' AS status,
	   (SELECT result FROM sched.executions e WHERE e.run_id = (a->>'run_id')::uuid) AS result
  FROM sched.describe('demo') AS d, jsonb_array_elements(d->'info'->'recent_actions') AS a;
