/*
 * 50_workflow.sql: starting workflows directly (src/workflow_api.c),
 * SEMANTICS.md parts 7 and 9.
 *
 * sched.start_workflow starts one run under a workflow id: at once, after a
 * start delay, or as a cron job (a chain of runs under the id, one per cron
 * time); the id policies decide what happens when the id has runs already.
 * Retry policy and timeouts apply to the run (and to every run of a cron
 * chain).  sched.signal_workflow records a signal on the open run and ends
 * a start delay.  Unknown workflow ids are 42704, invalid arguments 22023,
 * an id that the policies do not let start again 23505.
 */

CREATE FUNCTION sched.start_workflow(workflow text,
									 id text,
									 task_queue text,
									 args jsonb DEFAULT '[]',
									 cron_schedule text DEFAULT NULL,
									 start_delay interval DEFAULT NULL,
									 id_reuse_policy text DEFAULT 'allow_duplicate',
									 id_conflict_policy text DEFAULT 'fail',
									 execution_timeout interval DEFAULT NULL,
									 run_timeout interval DEFAULT NULL,
									 retry_policy jsonb DEFAULT NULL,
									 memo jsonb DEFAULT NULL)
RETURNS uuid
AS 'MODULE_PATHNAME', 'sched_start_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.start_workflow(text, text, text, jsonb, text, interval, text, text, interval, interval, jsonb, jsonb) IS
'Starts a workflow run and returns its run id: pending at once, or scheduled until start_delay has passed or, with cron_schedule (standard cron, UTC unless CRON_TZ=), until its first cron time, each closed run of the chain starting the next; id_conflict_policy (fail, use_existing, terminate_existing) and id_reuse_policy (allow_duplicate, allow_duplicate_failed_only, reject_duplicate) decide about ids with runs';

CREATE FUNCTION sched.start_workflows(starts jsonb)
RETURNS TABLE ("ordinality" integer, run_id uuid, sqlstate text, message text)
AS 'MODULE_PATHNAME', 'sched_start_workflows'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.start_workflows(jsonb) IS
'sched.start_workflow for each element of a JSON array of objects whose keys are its parameter names (workflow, id, task_queue, args, cron_schedule, start_delay, id_reuse_policy, id_conflict_policy, execution_timeout, run_timeout, retry_policy, memo), in order, with the same checks and id policies: one row per element (ordinality from 1) with the run id, or the SQLSTATE and message of its refusal';

CREATE FUNCTION sched.signal_workflow(workflow_id text, signal text,
									  payload jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_signal_workflow'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.signal_workflow(text, text, jsonb) IS
'Records a signal ({signal, payload, at}) on the open run of a workflow id, shown by sched.describe_workflow; a run waiting for its start delay becomes pending at once';
