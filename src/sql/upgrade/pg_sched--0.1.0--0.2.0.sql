-- pg_sched 0.1.0 -> 0.2.0 (ALTER EXTENSION pg_sched UPDATE).
--
-- Every change to src/sql/*.sql since 0.1.0 is repeated here, so that an
-- updated installation ends up with the same objects as a fresh one
-- (test/t/100_upgrade.pl compares the two).

\echo Use "ALTER EXTENSION pg_sched UPDATE TO '0.2.0'" to load this file. \quit

-- The open tracked runs of a schedule: created_at joins the key, so that
-- both conditions of the overlap lookup are index conditions.
DROP INDEX sched.executions_schedule_open;
CREATE INDEX executions_schedule_open
	ON sched.executions (schedule_id, created_at)
	WHERE overlap_tracked AND status IN ('scheduled', 'pending', 'running');

-- Timeouts: only runs that have one are indexed.
DROP INDEX sched.executions_run_deadline;
CREATE INDEX executions_run_deadline ON sched.executions (run_deadline)
	WHERE run_deadline IS NOT NULL
	AND status IN ('scheduled', 'pending', 'running');
DROP INDEX sched.executions_execution_deadline;
CREATE INDEX executions_execution_deadline
	ON sched.executions (execution_deadline)
	WHERE execution_deadline IS NOT NULL
	AND status IN ('scheduled', 'pending', 'running');
