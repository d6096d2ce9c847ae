/*
 * 80_metrics.sql: counters and metric views for monitoring (Prometheus,
 * monitoring/queries.yaml; the README's "Monitoring with Prometheus and
 * Grafana").
 *
 * Counters are monotonic, as Prometheus' rate() needs, and survive restarts:
 *	- per schedule, what its actions became: sched.schedules' num_* columns,
 *	  written by the statement that already writes the schedule's row;
 *	- per run outcome (claims, retries, closes by status, lease expiries):
 *	  the runs still in sched.executions plus sched.run_totals, into which
 *	  every DELETE of runs (the retention purge) folds what it deletes, in
 *	  the same statement (a statement-level trigger with a transition
 *	  table: nothing on the insert and update paths of the queue), so a
 *	  count never goes down when retention deletes rows.
 * Only sched.scheduler_status() (shared memory: ticks, errors, the
 * lateness histogram) starts again from zero when a scheduler restarts.
 *
 * The views read sched.executions once per query (bounded by
 * pg_sched.run_retention), like sched.run_counts: a scrape every 15 to 60
 * seconds, not a query per action.
 */

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
