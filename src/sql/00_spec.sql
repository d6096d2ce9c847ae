/*
 * 00_spec.sql: the spec functions.
 *
 * The install script pg_sched--<version>.sql is built by concatenating
 * the files of src/sql in name order (see the Makefile); each holds one area.
 */

\echo Use "CREATE EXTENSION pg_sched" to load this file. \quit

-- The schema "sched" comes from the control file (schema = sched).

CREATE FUNCTION sched.next_times(spec jsonb,
								 after timestamptz DEFAULT now(),
								 count integer DEFAULT 10)
RETURNS SETOF timestamptz
AS 'MODULE_PATHNAME', 'sched_next_times'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;

COMMENT ON FUNCTION sched.next_times(jsonb, timestamptz, integer) IS
'The first count (at most 100000) nominal times of a spec strictly after "after" (floored to the second), without jitter';

CREATE FUNCTION sched.validate_spec(spec jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sched_validate_spec'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION sched.validate_spec(jsonb) IS
'The canonical form of a spec (cron strings as calendars or intervals, the zone in time_zone_name), or an error naming what is invalid';
