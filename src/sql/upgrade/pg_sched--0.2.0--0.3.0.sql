-- pg_sched 0.2.0 -> 0.3.0 (ALTER EXTENSION pg_sched UPDATE).
--
-- Every change to src/sql/*.sql since 0.2.0 is repeated here, so that an
-- updated installation ends up with the same objects as a fresh one
-- (test/t/100_upgrade.pl compares the two, updating from 0.1.0 through
-- every version in between).

\echo Use "ALTER EXTENSION pg_sched UPDATE TO '0.3.0'" to load this file. \quit

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
