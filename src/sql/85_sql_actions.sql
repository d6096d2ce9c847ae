/*
 * 85_sql_actions.sql: SQL actions ({"sql": ...}) and their executors
 * (src/executor.c).
 *
 * A run of an SQL action is a run of workflow type 'sql' in the reserved
 * task queue 'pg_sched.sql', with args [command, transaction]; the
 * executors alone claim them (sched.poll refuses the queue).  The result
 * of a completed run is {"command": tag, "rows": n[, "row": {...}]}; a
 * failed run has the SQLSTATE as error_type and the error as psql shows it.
 */

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

/*
 * sched.import_pg_cron(): every job of pg_cron's cron.job as a schedule
 * with an SQL action, in the job's database, owned by the job's user, paused
 * if the job is inactive; run in pg_cron's database (cron.database_name).
 * Jobs of other databases are created there through dblink when this
 * database has it (and that one has pg_sched); each job is imported in a
 * subtransaction of its own, so one that cannot be imported is reported
 * and the others go on.  The schedules keep pg_cron's behaviour: a run
 * waits for the previous one (buffer_one), nothing missed while the server
 * was down is run (the shortest catch-up window), pg_cron's time zone, and
 * every command outside a transaction block (transaction false, at least
 * once) as pg_cron runs it.  deactivate: the imported pg_cron jobs are
 * made inactive (cron.alter_job), so that no command runs twice.
 */
CREATE FUNCTION sched.import_pg_cron(deactivate boolean DEFAULT true)
RETURNS TABLE (jobid bigint, jobname text, database text, username text,
			   schedule_id text, imported boolean, paused boolean,
			   message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $import$
DECLARE
	j record;
	doc jsonb;
	spec jsonb;
	tz text := coalesce(current_setting('cron.timezone', true), 'GMT');
	dblink_schema name;
	old_role text := current_setting('role');
	m text;
BEGIN
	IF to_regclass('cron.job') IS NULL THEN
		RAISE EXCEPTION 'there is no table cron.job in database "%"', current_database()
			USING ERRCODE = 'undefined_table',
				  HINT = 'Run sched.import_pg_cron() in the database of pg_cron (cron.database_name).';
	END IF;
	SELECT n.nspname INTO dblink_schema FROM pg_extension e
	  JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dblink';

	FOR j IN EXECUTE
		'SELECT jobid, jobname, schedule, command, database, username, active'
		'  FROM cron.job ORDER BY jobid'
	LOOP
		jobid := j.jobid;
		jobname := j.jobname;
		database := j.database;
		username := j.username;
		schedule_id := coalesce(j.jobname, 'pg_cron-' || j.jobid);
		paused := NOT j.active;
		imported := false;
		message := NULL;
		IF j.schedule ~* '^\s*\d+\s*seconds?\s*$' THEN
			spec := jsonb_build_object('intervals', jsonb_build_array(
				jsonb_build_object('every', trim(j.schedule))));
		ELSE
			spec := jsonb_build_object('cron_expressions',
				jsonb_build_array(j.schedule), 'time_zone_name', tz);
		END IF;
		doc := jsonb_build_object(
			'spec', spec,
			'action', jsonb_build_object('sql', j.command, 'id', schedule_id,
										 'transaction', false,
										 'memo', jsonb_build_object('pg_cron_jobid', j.jobid)),
			'policy', '{"overlap": "buffer_one", "catchup_window": "10 seconds"}'::jsonb,
			'state', jsonb_build_object('paused', NOT j.active,
				'note', CASE WHEN j.active THEN 'imported from pg_cron job ' || j.jobid
							 ELSE 'imported from pg_cron job ' || j.jobid || ', inactive' END));
		BEGIN
			IF j.database = current_database() THEN
				PERFORM set_config('role', j.username, true);
				PERFORM sched.create_schedule(schedule_id, doc);
				PERFORM set_config('role', old_role, true);
			ELSIF dblink_schema IS NULL THEN
				RAISE EXCEPTION 'the job runs in database "%", and this database has no dblink to create its schedule there', j.database
					USING ERRCODE = 'feature_not_supported';
			ELSE
				EXECUTE format('SELECT * FROM %I.dblink(%L, %L) AS t(id text)', dblink_schema,
					format('dbname=%s', quote_literal(j.database)),
					format('SET search_path = pg_catalog, pg_temp; SET ROLE %I;'
						   ' SELECT sched.create_schedule(%L, %L)',
						   j.username, schedule_id, doc));
			END IF;
			imported := true;
			IF deactivate AND j.active THEN
				EXECUTE 'SELECT cron.alter_job(job_id => $1, active => false)' USING j.jobid;
				message := 'pg_cron job deactivated';
			END IF;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS m = MESSAGE_TEXT;
			message := m;
		END;
		RETURN NEXT;
	END LOOP;
END
$import$;

COMMENT ON FUNCTION sched.import_pg_cron(boolean) IS
'Imports every job of pg_cron''s cron.job as a schedule with an SQL action in the job''s database (others through dblink), owned by the job''s user, paused if inactive, and deactivates the imported jobs (deactivate => false keeps them); one row per job says what was imported and why not';
