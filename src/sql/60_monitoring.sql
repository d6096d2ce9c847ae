/*
 * 60_monitoring.sql: views for operators.
 *
 * Plain views over the tables of 10_tables.sql, so they cost what their
 * queries cost and need no upkeep.  Each is written to use the existing
 * indexes: the last run of a schedule is one backward step of
 * executions_schedule_recent (LATERAL ... LIMIT 1), its buffer size and
 * running count are index-only counts on the primary key of sched.buffer
 * and on executions_schedule_open, and recent failures are a range of
 * executions_closed.  sched.run_counts is the exception: counting runs by
 * status reads the whole queue table (bounded by pg_sched.run_retention).
 *
 * 70_security.sql makes them security_invoker and readable by PUBLIC:
 * each role sees, through the tables' row-level security, what it may see.
 */

/*
 * One row per schedule: its state, when it acts next, its last action and
 * that run's current status, its counters.  last_action_at is the actual
 * time of the latest action, or when it was taken if that is earlier (a
 * backfill of future times starts their runs now): never in the future.
 * lateness is how long after its actual time that action's run was
 * written; overdue how long ago next_due passed (NULL if it has not): a
 * healthy scheduler keeps it at a few milliseconds.  As sched.describe() does, runs
 * of an earlier schedule deleted under the same id are ignored
 * (created_at >= the schedule's created_at).
 */
CREATE VIEW sched.schedule_overview AS
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

/*
 * Runs by task queue and status.  For pending runs, oldest_due_at is the
 * due time of the one waiting longest and max_wait how long it has waited
 * (the backlog's lateness: no worker claimed it since); NULL for the
 * other statuses.
 */
CREATE VIEW sched.run_counts AS
SELECT e.task_queue,
	   e.status,
	   count(*) AS count,
	   min(e.due_at) FILTER (WHERE e.status = 'pending') AS oldest_due_at,
	   max(greatest(now() - e.due_at, interval '0'))
		   FILTER (WHERE e.status = 'pending') AS max_wait
  FROM sched.executions e
 GROUP BY e.task_queue, e.status;

COMMENT ON VIEW sched.run_counts IS
'Runs per task queue and status, with the oldest due time of pending runs and how long it has waited';

/*
 * Runs that closed badly (failed, timed out, terminated) in the last 24
 * hours, newest first: a range of the executions_closed index.  Failures
 * that a retry policy retried are not here (the run went back to
 * scheduled); their last one is.
 */
CREATE VIEW sched.recent_failures AS
SELECT e.closed_at,
	   e.status,
	   e.workflow_id,
	   e.workflow,
	   e.task_queue,
	   e.schedule_id,
	   e.run_id,
	   e.attempt,
	   e.retries,
	   e.error_type,
	   coalesce(e.error, e.close_reason) AS error
  FROM sched.executions e
 WHERE e.closed_at IS NOT NULL
   AND e.closed_at > now() - interval '24 hours'
   AND e.status IN ('failed', 'timed_out', 'terminated')
 ORDER BY e.closed_at DESC;

COMMENT ON VIEW sched.recent_failures IS
'Runs closed as failed, timed_out or terminated in the last 24 hours, newest first, with their error';
