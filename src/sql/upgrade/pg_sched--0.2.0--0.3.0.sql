-- pg_sched 0.2.0 -> 0.3.0 (ALTER EXTENSION pg_sched UPDATE).
--
-- Every change to src/sql/*.sql since 0.2.0 is repeated here, so that an
-- updated installation ends up with the same objects as a fresh one
-- (test/t/100_upgrade.pl compares the two, updating from 0.1.0 through
-- every version in between).

\echo Use "ALTER EXTENSION pg_sched UPDATE TO '0.3.0'" to load this file. \quit

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
