/*
 * 40_worker.sql: the background workers as SQL sees them.
 *
 * The workers need no set-up: with the library in shared_preload_libraries,
 * a launcher starts one scheduler in every database where this extension is
 * installed (see src/launcher.c and src/scheduler.c).
 */

CREATE FUNCTION sched.wake_scheduler()
RETURNS void
AS 'MODULE_PATHNAME', 'sched_wake_scheduler'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.wake_scheduler() IS
'At commit, wakes this database''s scheduler (to re-read the earliest due time) and the launcher (to start a scheduler where none runs); sched.* functions do it themselves';

/* Waking the launcher makes it check every database without a scheduler. */
REVOKE ALL ON FUNCTION sched.wake_scheduler() FROM PUBLIC;

CREATE FUNCTION sched.scheduler_status(
	OUT database name,
	OUT pid integer,
	OUT state text,
	OUT started_at timestamptz,
	OUT last_tick_at timestamptz,
	OUT next_wake_at timestamptz,
	OUT ticks bigint,
	OUT schedules_processed bigint,
	OUT errors bigint,
	OUT actions_fired bigint,
	OUT actions_skipped bigint,
	OUT actions_missed bigint,
	OUT lateness_p50_ms double precision,
	OUT lateness_p99_ms double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sched_scheduler_status'
LANGUAGE C VOLATILE STRICT ROWS 10;

COMMENT ON FUNCTION sched.scheduler_status() IS
'One row per pg_sched scheduler process of the cluster (every database): its state (starting, running, exited), last tick, next wake-up and counters since it started (ticks, schedules processed, errors, actions fired, skipped by overlap, missed beyond the catch-up window, p50/p99 lateness of fired runs in ms as the upper bound of a histogram bucket); no rows when the library is not preloaded';

/* So that CREATE EXTENSION starts this database's scheduler at once. */
SELECT sched.wake_scheduler();
