/*
 * 30_queue.sql: the run queue's SQL functions (src/queue_api.c), SEMANTICS.md
 * parts 8 and 9.
 *
 * Workers: sched.poll claims runs under a lease, sched.heartbeat renews it
 * (and says whether cancellation was requested), sched.complete, sched.fail
 * and sched.canceled close the run.  Operators: cancel_workflow,
 * terminate_workflow, describe_workflow, expire_leases.  A report on a run
 * that is not running is refused (SQLSTATE 55000) and changes nothing; an
 * unknown run or workflow id is 42704; invalid arguments are 22023.  None
 * is STRICT: a NULL where a value is required is an error, not a silent
 * NULL.
 */

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

CREATE FUNCTION sched.heartbeat(run_id uuid, details jsonb DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_heartbeat'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.heartbeat(uuid, jsonb) IS
'Renews the lease of a running run by the lease it was claimed with and records the details (NULL keeps the last ones); true when cancellation was requested';

CREATE FUNCTION sched.complete(run_id uuid, result jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_complete'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.complete(uuid, jsonb) IS
'Closes a running run as completed with its result';

CREATE FUNCTION sched.fail(run_id uuid, error text,
						   non_retryable boolean DEFAULT false,
						   error_type text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_fail'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.fail(uuid, text, boolean, text) IS
'Closes a running run as failed with the error message, unless its retry policy gives it another try (not when non_retryable, or when error_type is one of the policy''s non_retryable_error_types): it is then scheduled again after the backoff';

CREATE FUNCTION sched.canceled(run_id uuid, details jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_canceled'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.canceled(uuid, jsonb) IS
'Closes a running run as canceled (the worker honoured a cancellation); the details are kept as its result';

CREATE FUNCTION sched.complete_runs(run_ids uuid[], results jsonb[] DEFAULT NULL)
RETURNS TABLE (run_id uuid, status text, sqlstate text, message text)
AS 'MODULE_PATHNAME', 'sched_complete_runs'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.complete_runs(uuid[], jsonb[]) IS
'sched.complete for many runs in one call (results NULL, or one per run): one row per run id, in input order, with the run''s status after the call, or the SQLSTATE and message of the refusal that sched.complete would have raised for it; a refusal never stops the others';

CREATE FUNCTION sched.fail_runs(run_ids uuid[], errors text[],
								non_retryable boolean[] DEFAULT NULL,
								error_types text[] DEFAULT NULL)
RETURNS TABLE (run_id uuid, status text, sqlstate text, message text)
AS 'MODULE_PATHNAME', 'sched_fail_runs'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.fail_runs(uuid[], text[], boolean[], text[]) IS
'sched.fail for many runs in one call (one error, and optionally one non_retryable flag and one error_type, per run): one row per run id, in input order; status is scheduled when a retry was scheduled, failed when the run closed, NULL with the SQLSTATE and message when refused';

CREATE FUNCTION sched.cancel_workflow(workflow_id text, reason text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_cancel_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.cancel_workflow(text, text) IS
'Cancels the open run of a workflow id: a scheduled or pending run closes as canceled at once; a running one gets a cancellation request, which its worker sees in sched.heartbeat';

CREATE FUNCTION sched.terminate_workflow(workflow_id text, reason text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_terminate_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.terminate_workflow(text, text) IS
'Closes the open run of a workflow id as terminated at once; its worker''s later reports are refused';

CREATE FUNCTION sched.describe_workflow(workflow_id text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sched_describe_workflow'
LANGUAGE C STABLE;

COMMENT ON FUNCTION sched.describe_workflow(text) IS
'The latest run of a workflow id with its status, times, lease, result or error, and "runs": how many runs the id has had';

CREATE FUNCTION sched.expire_leases()
RETURNS integer
AS 'MODULE_PATHNAME', 'sched_expire_leases'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.expire_leases() IS
'What the scheduler does on its own: open runs past their run or execution deadline time out (or are retried), running runs whose lease has expired and scheduled runs that are due become pending (NOTIFY sched_tasks); returns how many runs changed';
