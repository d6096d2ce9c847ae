-- pg_sched 0.2.0 -> 0.3.0 (ALTER EXTENSION pg_sched UPDATE).
--
-- Every change to src/sql/*.sql since 0.2.0 is repeated here, so that an
-- updated installation ends up with the same objects as a fresh one
-- (test/t/100_upgrade.pl compares the two, updating from 0.1.0 through
-- every version in between).

\echo Use "ALTER EXTENSION pg_sched UPDATE TO '0.3.0'" to load this file. \quit

-- ---- SQL actions (issue 13): src/sql/80_sql_actions.sql ----
CREATE FUNCTION sched.sql_executors(
	OUT database name,
	OUT role name,
	OUT pid integer,
	OUT schedule_id text,
	OUT run_id uuid,
	OUT started_at timestamptz,
	OUT run_started_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sched_sql_executors'
LANGUAGE C VOLATILE STRICT ROWS 10;

COMMENT ON FUNCTION sched.sql_executors() IS
'One row per SQL executor of the cluster (every database): its database, the role it runs as, its process (NULL while starting), the schedule and run of the command it runs (NULL between runs)';

CREATE FUNCTION sched.sql_executor_status(
	OUT max_executors integer,
	OUT executors integer,
	OUT executors_started bigint,
	OUT runs bigint,
	OUT waits bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sched_sql_executor_status'
LANGUAGE C VOLATILE STRICT ROWS 1;

COMMENT ON FUNCTION sched.sql_executor_status() IS
'The SQL executors of the cluster: pg_sched.max_sql_executors, executors now, executors started and commands run since the server started, and waits (times a due run found no free executor at a scheduler''s dispatch; the run stays in the queue)';

/*
 * pg_cron's cron.job_run_details, for the runs of SQL actions: one row per
 * run (a retried run shows its latest try), newest first.
 */
CREATE VIEW sched.sql_run_details AS
SELECT e.schedule_id,
	   e.run_id,
	   e.workflow_id,
	   e.args ->> 0 AS command,
	   e.owner AS username,
	   e.status,
	   e.nominal_time,
	   e.started_at AS start_time,
	   e.closed_at AS end_time,
	   e.attempt,
	   e.retries,
	   e.error_type,
	   CASE WHEN e.error_type ~ '^[0-9A-Z]{5}$' THEN e.error_type END
		   AS sqlstate,
	   CASE WHEN e.status = 'completed'
			THEN concat_ws(' ', e.result ->> 'command', e.result ->> 'rows')
			ELSE coalesce(e.error, e.close_reason) END AS return_message,
	   e.result
  FROM sched.executions e
 WHERE e.task_queue = 'pg_sched.sql';

COMMENT ON VIEW sched.sql_run_details IS
'Runs of SQL actions, as pg_cron''s cron.job_run_details: command, role, status, start and end time, the command tag and rows or the error';

ALTER VIEW sched.sql_run_details SET (security_invoker = true);
GRANT SELECT ON sched.sql_run_details TO PUBLIC;
