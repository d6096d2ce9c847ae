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
