/*
 * 25_explain.sql: sched.explain, why a spec or a schedule fires when it
 * does (src/explain_sql.c).  Both forms return every time of the range
 * [from_time, to_time], at most 1000 (more is an error, SQLSTATE 54000).
 */

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
