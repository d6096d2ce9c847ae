-- pg_sched 0.2.0 -> 0.3.0 (ALTER EXTENSION pg_sched UPDATE).
--
-- Every change to src/sql/*.sql since 0.2.0 is repeated here, so that an
-- updated installation ends up with the same objects as a fresh one
-- (test/t/100_upgrade.pl compares the two, updating from 0.1.0 through
-- every version in between).

\echo Use "ALTER EXTENSION pg_sched UPDATE TO '0.3.0'" to load this file. \quit

-- ---- issue 15 (helper ops) (helper ops): metrics for monitoring -------------------------
-- sched.schedules: skipped actions of paused and limited schedules.
ALTER TABLE sched.schedules
	ADD COLUMN num_actions_skipped_paused bigint NOT NULL DEFAULT 0,
	ADD COLUMN num_actions_skipped_limit bigint NOT NULL DEFAULT 0;

-- sched.schedule_overview: last_action_at never in the future; new columns
-- at the end (num_actions_skipped_paused, num_actions_skipped_limit,
-- lateness, overdue).
CREATE OR REPLACE VIEW sched.schedule_overview AS
SELECT s.schedule_id,
	   s.action ->> 'workflow' AS workflow,
	   s.action ->> 'task_queue' AS task_queue,
	   s.paused,
	   s.note,
	   s.next_due AS next_action_at,
	   s.next_nominal AS next_nominal_time,
	   least(l.scheduled_at, l.created_at) AS last_action_at,
	   l.status AS last_status,
	   s.num_actions,
	   s.num_actions_missed_catchup_window,
	   s.num_actions_skipped_overlap,
	   s.num_buffer_dropped,
	   CASE WHEN s.limited_actions THEN s.remaining_actions END
		   AS remaining_actions,
	   (SELECT count(*) FROM sched.buffer b
		 WHERE b.schedule_id = s.schedule_id) AS buffer_size,
	   (SELECT count(*) FROM sched.executions r
		 WHERE r.schedule_id = s.schedule_id
		   AND r.overlap_tracked
		   AND r.status IN ('scheduled', 'pending', 'running')
		   AND r.created_at >= s.created_at) AS running_actions,
	   s.created_at,
	   s.last_updated_at,
	   s.num_actions_skipped_paused,
	   s.num_actions_skipped_limit,
	   greatest(l.created_at - l.scheduled_at, interval '0') AS lateness,
	   CASE WHEN NOT s.paused AND s.next_due < now()
		   THEN now() - s.next_due END AS overdue
  FROM sched.schedules s
  LEFT JOIN LATERAL (
	  SELECT e.scheduled_at, e.status, e.created_at
		FROM sched.executions e
	   WHERE e.schedule_id = s.schedule_id
		 AND e.scheduled_at IS NOT NULL
		 AND e.created_at >= s.created_at
	   ORDER BY e.scheduled_at DESC
	   LIMIT 1) l ON true;

COMMENT ON VIEW sched.schedule_overview IS
'One row per schedule: paused, note, next action time, last action time and the status of its run, counters, buffer size and running actions';
ALTER VIEW sched.schedule_overview SET (security_invoker = true);

-- src/sql/80_metrics.sql, whole
/*
 * Outcomes of runs that were deleted, per task queue and schedule
 * (schedule_id '' for runs of sched.start_workflow, or of a schedule that
 * was deleted or created again since).  lease_expiries also counts the
 * lapsed leases of runs still present (the expiry writes it: the run
 * row does not keep that count).
 */
CREATE TABLE sched.run_totals (
	task_queue		text NOT NULL,
	schedule_id		text NOT NULL DEFAULT '',
	runs			bigint NOT NULL DEFAULT 0,
	claims			bigint NOT NULL DEFAULT 0,
	retries			bigint NOT NULL DEFAULT 0,
	completed		bigint NOT NULL DEFAULT 0,
	failed			bigint NOT NULL DEFAULT 0,
	canceled		bigint NOT NULL DEFAULT 0,
	terminated		bigint NOT NULL DEFAULT 0,
	timed_out		bigint NOT NULL DEFAULT 0,
	lease_expiries	bigint NOT NULL DEFAULT 0,
	CONSTRAINT run_totals_pkey PRIMARY KEY (task_queue, schedule_id)
);

COMMENT ON TABLE sched.run_totals IS
'Counts of runs deleted by retention (and lease expiries), so that the metrics of sched.queue_metrics and sched.schedule_metrics never decrease';

SELECT pg_catalog.pg_extension_config_dump('sched.run_totals', '');

/* AFTER DELETE ... FOR EACH STATEMENT: adds the deleted runs to run_totals. */
CREATE FUNCTION sched.fold_deleted_runs()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO sched.run_totals AS t
		(task_queue, schedule_id, runs, claims, retries, completed, failed,
		 canceled, terminated, timed_out)
	SELECT d.task_queue, coalesce(s.schedule_id, ''), count(*),
		   sum(d.attempt), sum(d.retries),
		   count(*) FILTER (WHERE d.status = 'completed'),
		   count(*) FILTER (WHERE d.status = 'failed'),
		   count(*) FILTER (WHERE d.status = 'canceled'),
		   count(*) FILTER (WHERE d.status = 'terminated'),
		   count(*) FILTER (WHERE d.status = 'timed_out')
	  FROM deleted_runs d
	  LEFT JOIN sched.schedules s
		ON s.schedule_id = d.schedule_id AND d.created_at >= s.created_at
	 GROUP BY 1, 2
	ON CONFLICT (task_queue, schedule_id) DO UPDATE
	   SET runs = t.runs + excluded.runs,
		   claims = t.claims + excluded.claims,
		   retries = t.retries + excluded.retries,
		   completed = t.completed + excluded.completed,
		   failed = t.failed + excluded.failed,
		   canceled = t.canceled + excluded.canceled,
		   terminated = t.terminated + excluded.terminated,
		   timed_out = t.timed_out + excluded.timed_out;
	RETURN NULL;
END
$$;

COMMENT ON FUNCTION sched.fold_deleted_runs() IS
'Trigger of sched.executions: adds the runs a DELETE removes to sched.run_totals';

CREATE TRIGGER executions_fold_deleted
	AFTER DELETE ON sched.executions
	REFERENCING OLD TABLE AS deleted_runs
	FOR EACH STATEMENT EXECUTE FUNCTION sched.fold_deleted_runs();

/*
 * A deleted schedule's totals move to schedule_id '' (runs outlive their
 * schedule): a schedule created again under the same id starts from zero,
 * as its num_* columns do.
 */
CREATE FUNCTION sched.fold_deleted_schedules()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	WITH moved AS (
		DELETE FROM sched.run_totals t
		 USING deleted_schedules d
		 WHERE t.schedule_id = d.schedule_id
		RETURNING t.*)
	INSERT INTO sched.run_totals AS t
		(task_queue, schedule_id, runs, claims, retries, completed, failed,
		 canceled, terminated, timed_out, lease_expiries)
	SELECT m.task_queue, '', sum(m.runs), sum(m.claims), sum(m.retries),
		   sum(m.completed), sum(m.failed), sum(m.canceled),
		   sum(m.terminated), sum(m.timed_out), sum(m.lease_expiries)
	  FROM moved m
	 GROUP BY 1
	ON CONFLICT (task_queue, schedule_id) DO UPDATE
	   SET runs = t.runs + excluded.runs,
		   claims = t.claims + excluded.claims,
		   retries = t.retries + excluded.retries,
		   completed = t.completed + excluded.completed,
		   failed = t.failed + excluded.failed,
		   canceled = t.canceled + excluded.canceled,
		   terminated = t.terminated + excluded.terminated,
		   timed_out = t.timed_out + excluded.timed_out,
		   lease_expiries = t.lease_expiries + excluded.lease_expiries;
	RETURN NULL;
END
$$;

COMMENT ON FUNCTION sched.fold_deleted_schedules() IS
'Trigger of sched.schedules: moves a deleted schedule''s sched.run_totals to schedule_id ''''';

CREATE TRIGGER schedules_fold_deleted
	AFTER DELETE ON sched.schedules
	REFERENCING OLD TABLE AS deleted_schedules
	FOR EACH STATEMENT EXECUTE FUNCTION sched.fold_deleted_schedules();

/*
 * One row per schedule: what its actions became (counters since it was
 * created), its runs' outcomes (this incarnation's), the runs of it waiting
 * for a worker, and start lateness: of its latest action, and the 50th and
 * 99th percentiles over the scheduled actions of the last hour.
 */
CREATE VIEW sched.schedule_metrics AS
SELECT s.schedule_id,
	   s.action ->> 'task_queue' AS task_queue,
	   s.paused,
	   s.num_actions AS actions,
	   s.num_actions_skipped_overlap AS skipped_overlap,
	   s.num_buffer_dropped AS skipped_buffer_full,
	   s.num_actions_skipped_paused AS skipped_paused,
	   s.num_actions_skipped_limit AS skipped_limit,
	   s.num_actions_missed_catchup_window AS missed_catchup_window,
	   (r.completed + coalesce(t.completed, 0))::bigint AS runs_completed,
	   (r.failed + coalesce(t.failed, 0))::bigint AS runs_failed,
	   (r.timed_out + coalesce(t.timed_out, 0))::bigint AS runs_timed_out,
	   (r.canceled + coalesce(t.canceled, 0))::bigint AS runs_canceled,
	   (r.terminated + coalesce(t.terminated, 0))::bigint AS runs_terminated,
	   (r.retries + coalesce(t.retries, 0))::bigint AS runs_retried,
	   r.pending AS runs_pending,
	   r.oldest_pending_wait,
	   greatest(l.created_at - l.scheduled_at, interval '0') AS lateness,
	   r.lateness_p50,
	   r.lateness_p99,
	   CASE WHEN NOT s.paused AND s.next_due < now()
		   THEN now() - s.next_due END AS overdue
  FROM sched.schedules s
  CROSS JOIN LATERAL (
	  SELECT count(*) FILTER (WHERE e.status = 'completed') AS completed,
			 count(*) FILTER (WHERE e.status = 'failed') AS failed,
			 count(*) FILTER (WHERE e.status = 'timed_out') AS timed_out,
			 count(*) FILTER (WHERE e.status = 'canceled') AS canceled,
			 count(*) FILTER (WHERE e.status = 'terminated') AS terminated,
			 coalesce(sum(e.retries), 0) AS retries,
			 count(*) FILTER (WHERE e.status = 'pending') AS pending,
			 max(greatest(now() - e.due_at, interval '0'))
				 FILTER (WHERE e.status = 'pending') AS oldest_pending_wait,
			 percentile_disc(0.5) WITHIN GROUP (ORDER BY
				 greatest(e.created_at - e.scheduled_at, interval '0'))
				 FILTER (WHERE e.start_kind = 'schedule'
						 AND e.scheduled_at > now() - interval '1 hour')
				 AS lateness_p50,
			 percentile_disc(0.99) WITHIN GROUP (ORDER BY
				 greatest(e.created_at - e.scheduled_at, interval '0'))
				 FILTER (WHERE e.start_kind = 'schedule'
						 AND e.scheduled_at > now() - interval '1 hour')
				 AS lateness_p99
		FROM sched.executions e
	   WHERE e.schedule_id = s.schedule_id
		 AND e.created_at >= s.created_at) r
  LEFT JOIN LATERAL (
	  SELECT sum(g.completed) AS completed, sum(g.failed) AS failed,
			 sum(g.timed_out) AS timed_out, sum(g.canceled) AS canceled,
			 sum(g.terminated) AS terminated, sum(g.retries) AS retries
		FROM sched.run_totals g
	   WHERE g.schedule_id = s.schedule_id) t ON true
  LEFT JOIN LATERAL (
	  SELECT e.scheduled_at, e.created_at
		FROM sched.executions e
	   WHERE e.schedule_id = s.schedule_id
		 AND e.scheduled_at IS NOT NULL
		 AND e.created_at >= s.created_at
	   ORDER BY e.scheduled_at DESC
	   LIMIT 1) l ON true;

COMMENT ON VIEW sched.schedule_metrics IS
'One row per schedule: actions started and skipped by reason, run outcomes, retries, runs waiting for a worker, start lateness (latest, p50 and p99 over the last hour), overdue';

/*
 * One row per task queue (that has runs, or had): runs by state now, the
 * oldest pending run's wait, and counters since the extension was
 * installed: claims, retries, closes by status, lease expiries.
 */
CREATE VIEW sched.queue_metrics AS
WITH live AS (
	SELECT e.task_queue,
		   count(*) FILTER (WHERE e.status = 'scheduled') AS scheduled,
		   count(*) FILTER (WHERE e.status = 'pending') AS pending,
		   count(*) FILTER (WHERE e.status = 'running') AS running,
		   min(e.due_at) FILTER (WHERE e.status = 'pending') AS oldest_pending_at,
		   coalesce(sum(e.attempt), 0) AS claims,
		   coalesce(sum(e.retries), 0) AS retries,
		   count(*) FILTER (WHERE e.status = 'completed') AS completed,
		   count(*) FILTER (WHERE e.status = 'failed') AS failed,
		   count(*) FILTER (WHERE e.status = 'canceled') AS canceled,
		   count(*) FILTER (WHERE e.status = 'terminated') AS terminated,
		   count(*) FILTER (WHERE e.status = 'timed_out') AS timed_out
	  FROM sched.executions e
	 GROUP BY e.task_queue),
gone AS (
	SELECT t.task_queue, sum(t.claims) AS claims, sum(t.retries) AS retries,
		   sum(t.completed) AS completed, sum(t.failed) AS failed,
		   sum(t.canceled) AS canceled, sum(t.terminated) AS terminated,
		   sum(t.timed_out) AS timed_out,
		   sum(t.lease_expiries) AS lease_expiries
	  FROM sched.run_totals t
	 GROUP BY t.task_queue)
SELECT coalesce(l.task_queue, g.task_queue) AS task_queue,
	   coalesce(l.scheduled, 0) AS scheduled,
	   coalesce(l.pending, 0) AS pending,
	   coalesce(l.running, 0) AS running,
	   l.oldest_pending_at,
	   greatest(now() - l.oldest_pending_at, interval '0') AS oldest_pending_wait,
	   (coalesce(l.claims, 0) + coalesce(g.claims, 0))::bigint AS claims,
	   (coalesce(l.retries, 0) + coalesce(g.retries, 0))::bigint AS retries,
	   (coalesce(l.completed, 0) + coalesce(g.completed, 0))::bigint AS completed,
	   (coalesce(l.failed, 0) + coalesce(g.failed, 0))::bigint AS failed,
	   (coalesce(l.canceled, 0) + coalesce(g.canceled, 0))::bigint AS canceled,
	   (coalesce(l.terminated, 0) + coalesce(g.terminated, 0))::bigint AS terminated,
	   (coalesce(l.timed_out, 0) + coalesce(g.timed_out, 0))::bigint AS timed_out,
	   coalesce(g.lease_expiries, 0)::bigint AS lease_expiries
  FROM live l
  FULL JOIN gone g ON g.task_queue = l.task_queue;

COMMENT ON VIEW sched.queue_metrics IS
'One row per task queue: runs scheduled, pending and running, the oldest pending run''s wait, and counters of claims, retries, closes by status and lease expiries';

/*
 * Schedules that should have acted and have not: not paused, and their
 * next_due has passed.  The scheduler acts within milliseconds of a due
 * time, so a row whose overdue is more than a few seconds means the
 * scheduler is down, stuck or failing on that schedule (its log says
 * which).  Also shows what the catch-up window made it miss.
 */
CREATE VIEW sched.overdue_schedules AS
SELECT s.schedule_id,
	   s.action ->> 'task_queue' AS task_queue,
	   s.next_due AS next_action_at,
	   now() - s.next_due AS overdue,
	   s.num_actions_missed_catchup_window
  FROM sched.schedules s
 WHERE s.next_due < now()
   AND NOT s.paused;

COMMENT ON VIEW sched.overdue_schedules IS
'Schedules whose next action time has passed without the scheduler acting: overdue is how long ago';

/*
 * sched_monitor: reads every schedule and run, changes nothing (the
 * functions grant it nothing) -- the role for a Prometheus exporter.
 * Created here only if it does not exist, like the roles of 70_security.sql;
 * its policies add to theirs (permissive policies are OR'ed).
 */
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
					WHERE rolname = 'sched_monitor') THEN
		CREATE ROLE sched_monitor NOLOGIN;
	END IF;
END
$roles$;

GRANT USAGE ON SCHEMA sched TO sched_monitor;
CREATE POLICY schedules_monitor ON sched.schedules FOR SELECT
	TO sched_monitor USING (true);
CREATE POLICY buffer_monitor ON sched.buffer FOR SELECT
	TO sched_monitor USING (true);
CREATE POLICY backfills_monitor ON sched.backfills FOR SELECT
	TO sched_monitor USING (true);
CREATE POLICY executions_monitor ON sched.executions FOR SELECT
	TO sched_monitor USING (true);

/* Privileges, as for the views of 60_monitoring.sql (70_security.sql). */
ALTER TABLE sched.run_totals ENABLE ROW LEVEL SECURITY;
CREATE POLICY run_totals_read ON sched.run_totals FOR SELECT
	USING (sched.may_work(task_queue)
		   OR EXISTS (SELECT FROM sched.schedules s
					   WHERE s.schedule_id = run_totals.schedule_id
						 AND sched.may_access(s.owner)));
CREATE POLICY run_totals_monitor ON sched.run_totals FOR SELECT
	TO sched_monitor USING (true);
GRANT SELECT ON sched.run_totals TO PUBLIC;
ALTER VIEW sched.schedule_metrics SET (security_invoker = true);
ALTER VIEW sched.queue_metrics SET (security_invoker = true);
ALTER VIEW sched.overdue_schedules SET (security_invoker = true);
GRANT SELECT ON sched.schedule_metrics, sched.queue_metrics,
	sched.overdue_schedules TO PUBLIC;
-- ---- end of issue 15 (helper ops) -------------------------------------------

-- ==== helper "time" (issue 14, richer time): sched.explain ====
-- The spec changes (L, #, nth, negative day_of_month, dst) need no DDL:
-- specs are jsonb read by the library.  src/sql/25_explain.sql:

CREATE FUNCTION sched.explain(spec jsonb,
							  from_time timestamptz,
							  to_time timestamptz,
							  schedule_id text DEFAULT NULL)
RETURNS TABLE (nominal_time timestamptz, utc text, local_time timestamp,
			   utc_offset text, dst text, matched jsonb, outcome text,
			   reason text, jitter interval, actual_time timestamptz)
AS 'MODULE_PATHNAME', 'sched_explain_spec'
LANGUAGE C STABLE PARALLEL SAFE ROWS 100;

COMMENT ON FUNCTION sched.explain(jsonb, timestamptz, timestamptz, text) IS
'Every candidate time of a spec in [from_time, to_time] (at most 1000): UTC, local wall time and offset, DST note, the calendars or intervals that matched, fire or what removed it (a skip calendar, the DST policy); jitter as schedule_id would get it';

CREATE FUNCTION sched.explain(schedule_id text,
							  from_time timestamptz,
							  to_time timestamptz)
RETURNS TABLE (nominal_time timestamptz, utc text, local_time timestamp,
			   utc_offset text, dst text, matched jsonb, outcome text,
			   reason text, jitter interval, actual_time timestamptz)
AS 'MODULE_PATHNAME', 'sched_explain_schedule'
LANGUAGE C STABLE STRICT ROWS 100;

COMMENT ON FUNCTION sched.explain(text, timestamptz, timestamptz) IS
'Every candidate time of a stored schedule in [from_time, to_time] (at most 1000), as the spec form, with the outcome predicted from now: processed, fire, paused, missed_catchup_window, limit_reached, skipped_overlap, buffered';
-- ==== end of helper "time" ====

-- ---- issue 12 (helper "runs"): batched worker API ----

CREATE FUNCTION sched.complete_runs(run_ids uuid[], results jsonb[] DEFAULT NULL)
RETURNS TABLE (run_id uuid, status text, sqlstate text, message text)
AS 'MODULE_PATHNAME', 'sched_complete_runs'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.complete_runs(uuid[], jsonb[]) IS
'sched.complete for many runs in one call (results NULL, or one per run): one row per run id, in input order, with the run''s status after the call, or the SQLSTATE and message of the refusal that sched.complete would have raised for it; a refusal never stops the others';

CREATE FUNCTION sched.fail_runs(run_ids uuid[], errors text[],
								non_retryable boolean[] DEFAULT NULL)
RETURNS TABLE (run_id uuid, status text, sqlstate text, message text)
AS 'MODULE_PATHNAME', 'sched_fail_runs'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.fail_runs(uuid[], text[], boolean[]) IS
'sched.fail for many runs in one call (one error, and optionally one non_retryable flag, per run): one row per run id, in input order; status is scheduled when a retry was scheduled, failed when the run closed, NULL with the SQLSTATE and message when refused';

CREATE FUNCTION sched.start_workflows(starts jsonb)
RETURNS TABLE ("ordinality" integer, run_id uuid, sqlstate text, message text)
AS 'MODULE_PATHNAME', 'sched_start_workflows'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.start_workflows(jsonb) IS
'sched.start_workflow for each element of a JSON array of objects whose keys are its parameter names (workflow, id, task_queue, args, cron_schedule, start_delay, id_reuse_policy, id_conflict_policy, execution_timeout, run_timeout, retry_policy, memo), in order, with the same checks and id policies: one row per element (ordinality from 1) with the run id, or the SQLSTATE and message of its refusal';
-- ---- end of issue 12 ----

-- ---- SQL actions (issue 13): src/sql/85_sql_actions.sql ----
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

/* ---- issue 14: search attributes and list queries (branch search) ---- */

ALTER TABLE sched.schedules ADD COLUMN search_attributes jsonb NOT NULL
	DEFAULT '{}'
	CONSTRAINT schedules_search_attributes_object
	CHECK (jsonb_typeof(search_attributes) = 'object');
ALTER TABLE sched.executions ADD COLUMN search_attributes jsonb;

/* create_schedule and update take search_attributes (a new last argument) */
DROP FUNCTION sched.create_schedule(text, jsonb, boolean, jsonb, jsonb);
CREATE FUNCTION sched.create_schedule(schedule_id text,
									  schedule jsonb,
									  trigger_immediately boolean DEFAULT false,
									  backfill jsonb DEFAULT '[]',
									  memo jsonb DEFAULT NULL,
									  search_attributes jsonb DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'sched_create_schedule'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.create_schedule(text, jsonb, boolean, jsonb, jsonb, jsonb) IS
'Creates a schedule from {"action", "spec", "policy", "state"}; trigger_immediately starts one action now, backfill takes [{"start_at", "end_at", "overlap"}], search_attributes {"name": value} of registered attributes; returns the id';

DROP FUNCTION sched.update(text, jsonb, bigint);
CREATE FUNCTION sched.update(schedule_id text, schedule jsonb,
							 conflict_token bigint DEFAULT NULL,
							 search_attributes jsonb DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sched_update'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.update(text, jsonb, bigint, jsonb) IS
'Replaces the parts of a schedule given (action, spec, policy, state), and its search attributes unless NULL, if conflict_token is NULL or current; returns the new token';

CREATE TABLE sched.search_attribute_types (
	name			text PRIMARY KEY,
	type			text NOT NULL
		CONSTRAINT search_attribute_types_type
		CHECK (type IN ('Keyword', 'Text', 'Int', 'Double', 'Bool',
						'Datetime', 'KeywordList')),
	created_at		timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE sched.search_attribute_types IS
'Registered custom search attributes of schedules and their types (sched.add_search_attribute)';

SELECT pg_catalog.pg_extension_config_dump('sched.search_attribute_types', '');
GRANT SELECT ON sched.search_attribute_types TO PUBLIC;

/* equality, IN and list membership are containment (@>) on this index */
CREATE INDEX schedules_search_attributes ON sched.schedules
	USING gin (search_attributes jsonb_path_ops);

CREATE FUNCTION sched.add_search_attribute(name text, type text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_add_search_attribute'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.add_search_attribute(text, text) IS
'Registers a custom search attribute of type Keyword, Text, Int, Double, Bool, Datetime or KeywordList (superusers and sched_admin members only); false if it already exists with that type';

CREATE FUNCTION sched.remove_search_attribute(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_remove_search_attribute'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.remove_search_attribute(text) IS
'Removes a custom search attribute that no schedule uses (superusers and sched_admin members only); false if there was none';

CREATE FUNCTION sched.search_attributes()
RETURNS TABLE (name text, type text, builtin boolean)
AS 'MODULE_PATHNAME', 'sched_search_attributes'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.search_attributes() IS
'The search attributes a list query can name: the built-in ones and the registered custom ones, with their types';

CREATE FUNCTION sched.list_schedules(query text)
RETURNS TABLE (schedule_id text, workflow text, paused boolean, note text,
			   spec jsonb, recent_actions jsonb,
			   next_action_times timestamptz[], memo jsonb)
AS 'MODULE_PATHNAME', 'sched_list_schedules_query'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.list_schedules(text) IS
'The schedules a list query matches (Temporal''s list filter: =, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS NULL, AND, OR, NOT, ORDER BY), as sched.list_schedules()';

CREATE FUNCTION sched.count_schedules(query text DEFAULT '')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sched_count_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.count_schedules(text) IS
'Counts the schedules a list query matches: {"count": n, "groups": [{"group_values": [v], "count": n}]}, the groups with GROUP BY';

CREATE FUNCTION sched.pause_schedules(query text,
									  note text DEFAULT 'Paused via SQL')
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sched_pause_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.pause_schedules(text, text) IS
'Pauses every schedule a list query matches, as sched.pause does, in one transaction; returns their ids';

CREATE FUNCTION sched.unpause_schedules(query text,
										note text DEFAULT 'Unpaused via SQL')
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sched_unpause_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.unpause_schedules(text, text) IS
'Unpauses every schedule a list query matches, as sched.unpause does, in one transaction; returns their ids';

CREATE FUNCTION sched.delete_schedules(query text)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sched_delete_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.delete_schedules(text) IS
'Deletes every schedule a list query matches, as sched.delete does, in one transaction; returns their ids';

/* ---- issue 14: trigger/backfill overrides, ids, last failure, audit (branch start) ---- */

/* the last failure (Temporal's ContinuedFailure), on schedules and runs */
ALTER TABLE sched.schedules ADD COLUMN last_failure jsonb;
ALTER TABLE sched.executions ADD COLUMN last_failure jsonb;

/* a trigger's or backfill's overrides of the action's args and memo */
ALTER TABLE sched.buffer
	ADD COLUMN args jsonb CHECK (jsonb_typeof(args) = 'array'),
	ADD COLUMN memo jsonb CHECK (jsonb_typeof(memo) = 'object');
ALTER TABLE sched.backfills
	ADD COLUMN args jsonb CHECK (jsonb_typeof(args) = 'array'),
	ADD COLUMN memo jsonb CHECK (jsonb_typeof(memo) = 'object');

/* poll hands the last failure to workers: a new result column */
DROP FUNCTION sched.poll(text, text, integer, interval);
CREATE FUNCTION sched.poll(task_queue text,
						   worker text DEFAULT NULL,
						   max_tasks integer DEFAULT 1,
						   lease interval DEFAULT '30 seconds')
RETURNS TABLE (run_id uuid, workflow_id text, workflow text, args jsonb,
			   attempt integer, schedule_id text, nominal_time timestamptz,
			   last_completion_result jsonb, last_failure jsonb)
AS 'MODULE_PATHNAME', 'sched_poll'
LANGUAGE C VOLATILE ROWS 1;

COMMENT ON FUNCTION sched.poll(text, text, integer, interval) IS
'Claims up to max_tasks (1-1000) due pending runs of a task queue, oldest due first, without waiting for other pollers; each becomes running under a lease (at least 1 second) that heartbeats renew';

/* trigger: the time that names the run, overrides; and a variant with a result */
DROP FUNCTION sched.trigger(text, text);
CREATE FUNCTION sched.trigger(schedule_id text, overlap text DEFAULT NULL,
							  scheduled_time timestamptz DEFAULT NULL,
							  args jsonb DEFAULT NULL,
							  memo jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_trigger'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.trigger(text, text, timestamptz, jsonb, jsonb) IS
'One action now under the given overlap policy (default the schedule''s), also while paused or out of remaining actions; scheduled_time names the run (default now), args and memo replace the action''s';

CREATE FUNCTION sched.trigger_immediately(schedule_id text,
										  overlap text DEFAULT NULL,
										  scheduled_time timestamptz DEFAULT NULL,
										  args jsonb DEFAULT NULL,
										  memo jsonb DEFAULT NULL)
RETURNS TABLE (outcome text, run_id uuid, workflow_id text,
			   nominal_time timestamptz)
AS 'MODULE_PATHNAME', 'sched_trigger_immediately'
LANGUAGE C VOLATILE ROWS 1;

COMMENT ON FUNCTION sched.trigger_immediately(text, text, timestamptz, jsonb, jsonb) IS
'sched.trigger that says what it did: outcome started (with the run), buffered or skipped, and the nominal time';

/* backfill: overrides; and a variant that says what it did */
DROP FUNCTION sched.backfill(text, timestamptz, timestamptz, text);
CREATE FUNCTION sched.backfill(schedule_id text, start_at timestamptz,
							   end_at timestamptz, overlap text DEFAULT NULL,
							   args jsonb DEFAULT NULL,
							   memo jsonb DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sched_backfill'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.backfill(text, timestamptz, timestamptz, text, jsonb, jsonb) IS
'Buffers an action for every actual time from start_at to end_at (both included) under the given overlap policy, with args and memo replacing the action''s; returns how many';

COMMENT ON FUNCTION sched.backfill(text, jsonb) IS
'Backfills a list of ranges [{"start_at", "end_at", "overlap", "args", "memo"}]; returns how many actions they buffered';

CREATE FUNCTION sched.backfill_actions(schedule_id text, backfills jsonb)
RETURNS TABLE (actions bigint, started bigint, buffered bigint,
			   skipped bigint, pending bigint)
AS 'MODULE_PATHNAME', 'sched_backfill_actions'
LANGUAGE C VOLATILE ROWS 1;

COMMENT ON FUNCTION sched.backfill_actions(text, jsonb) IS
'sched.backfill of a list of ranges that says what it did: actions in all, started, waiting in the buffer, skipped, and still pending in the ranges';

/* the audit trail of schedule changes (90_audit.sql) */
CREATE TABLE sched.audit_log (
	audit_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at				timestamptz NOT NULL DEFAULT now(),
	schedule_id		text NOT NULL,
	operation		text NOT NULL CHECK (operation IN ('create', 'update',
		'pause', 'unpause', 'trigger', 'backfill', 'delete')),
	role			name NOT NULL,
	session_role	name NOT NULL,
	owner			name NOT NULL,
	note			text,
	detail			jsonb CHECK (jsonb_typeof(detail) = 'object')
);

/* retention, and a schedule's history */
CREATE INDEX audit_log_at ON sched.audit_log (at);
CREATE INDEX audit_log_schedule ON sched.audit_log (schedule_id, at);

COMMENT ON TABLE sched.audit_log IS
'The audit trail of schedule changes: who (role, session_role), when, which operation, with the note and a detail document';

SELECT pg_catalog.pg_extension_config_dump('sched.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump(
	pg_catalog.pg_get_serial_sequence('sched.audit_log', 'audit_id')::regclass, '');

/* Read under the schedules' rules (70_security.sql, 80_metrics.sql). */
ALTER TABLE sched.audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON sched.audit_log FOR SELECT
	USING (sched.may_access(owner));
CREATE POLICY audit_log_monitor ON sched.audit_log FOR SELECT
	TO sched_monitor USING (true);
GRANT SELECT ON sched.audit_log TO PUBLIC;

CREATE VIEW sched.schedule_audit WITH (security_invoker = true) AS
SELECT at, schedule_id, operation, role, session_role, note, detail,
	   owner, audit_id
  FROM sched.audit_log;

COMMENT ON VIEW sched.schedule_audit IS
'The audit trail of the schedules the caller may see, oldest first by audit_id: when, which schedule, the operation, who, the note and the detail';

GRANT SELECT ON sched.schedule_audit TO PUBLIC;
/* ---- issue 14: catch-up modes and open-run limit (branch catchup) ---- */

/*
 * sched.unpause gains catchup (a catch-up mode to replay the paused period
 * with); calls with one or two arguments keep their meaning.  The policy's
 * new fields (catchup_mode, concurrency_limit) live in the policy document:
 * no table changes, and stored policies without them read as the defaults.
 */
DROP FUNCTION sched.unpause(text, text);

CREATE FUNCTION sched.unpause(schedule_id text,
							  note text DEFAULT 'Unpaused via SQL',
							  catchup text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_unpause'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.unpause(text, text, text) IS
'Unpauses a schedule with a note; the paused period is not replayed, unless catchup names a catch-up mode (all, latest, none) to replay it with';

/* the bulk unpause of branch search takes the same catchup */
DROP FUNCTION sched.unpause_schedules(text, text);

CREATE FUNCTION sched.unpause_schedules(query text,
										note text DEFAULT 'Unpaused via SQL',
										catchup text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sched_unpause_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.unpause_schedules(text, text, text) IS
'Unpauses every schedule a list query matches, as sched.unpause does (catchup: the catch-up mode to replay the paused period with), in one transaction; returns their ids';

/* ---- end of issue 14: catch-up modes and open-run limit ---- */
/* ---- issue 12: queue speed (branch queue) ---- */

-- sched.fail_runs takes an error type per run, as sched.fail takes one
DROP FUNCTION sched.fail_runs(uuid[], text[], boolean[]);

CREATE FUNCTION sched.fail_runs(run_ids uuid[], errors text[],
								non_retryable boolean[] DEFAULT NULL,
								error_types text[] DEFAULT NULL)
RETURNS TABLE (run_id uuid, status text, sqlstate text, message text)
AS 'MODULE_PATHNAME', 'sched_fail_runs'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.fail_runs(uuid[], text[], boolean[], text[]) IS
'sched.fail for many runs in one call (one error, and optionally one non_retryable flag and one error_type, per run): one row per run id, in input order; status is scheduled when a retry was scheduled, failed when the run closed, NULL with the SQLSTATE and message when refused';

/* ---- end of issue 12: queue speed (branch queue) ---- */
