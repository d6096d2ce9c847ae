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
	WHERE overlap_tracked AND closed_at IS NULL;

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

-- ---- roles and privileges (src/sql/70_security.sql) ----

DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
					WHERE rolname = 'sched_admin') THEN
		CREATE ROLE sched_admin NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
					WHERE rolname = 'sched_worker') THEN
		CREATE ROLE sched_worker NOLOGIN;
	END IF;
END
$roles$;

GRANT USAGE ON SCHEMA sched TO sched_admin, sched_worker;

/*
 * Whether the current role (or the role member) may see and change what
 * owner owns: a member of owner, a member of sched_admin, or a superuser.
 * A role that no longer exists owns nothing but what admins see.
 */
CREATE FUNCTION sched.may_access(owner name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_may_access'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION sched.may_access(name) IS
'Whether the current role may see and change what the role owner owns: a member of it or of sched_admin, or a superuser';

CREATE FUNCTION sched.may_access(owner name, member oid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_may_access'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION sched.may_access(name, oid) IS
'Whether the role member may see and change what the role owner owns: a member of it or of sched_admin, or a superuser';

/*
 * Task queues granted to roles: members of grantee may read, claim and
 * report on every run of task_queue, whoever owns it.
 */
CREATE TABLE sched.task_queue_grants (
	task_queue		text NOT NULL
		CHECK (task_queue <> '' AND octet_length(task_queue) <= 1000),
	grantee			name NOT NULL,
	granted_by		name NOT NULL,
	granted_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (task_queue, grantee)
);

COMMENT ON TABLE sched.task_queue_grants IS
'Task queues whose runs the members of a role may claim and report on without owning them (sched.grant_task_queue)';

SELECT pg_catalog.pg_extension_config_dump('sched.task_queue_grants', '');

/*
 * Whether the current role may read, claim and report on every run of
 * task_queue: a member of sched_worker (or an admin), or of a role granted
 * the queue.  A standard SQL body: resolved once, here, whatever the
 * caller's search_path.
 */
CREATE FUNCTION sched.may_work(task_queue text)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN sched.may_access('sched_worker')
	OR EXISTS (SELECT FROM sched.task_queue_grants g
				WHERE g.task_queue = may_work.task_queue
				  AND sched.may_access(g.grantee));

COMMENT ON FUNCTION sched.may_work(text) IS
'Whether the current role may claim and report on every run of a task queue: a member of sched_worker or sched_admin, of a role granted the queue, or a superuser';

CREATE FUNCTION sched.grant_task_queue(task_queue text, role name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_grant_task_queue'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.grant_task_queue(text, name) IS
'Lets the members of role claim and report on every run of task_queue (superusers and sched_admin members only); true if the grant is new';

CREATE FUNCTION sched.revoke_task_queue(task_queue text, role name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_revoke_task_queue'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.revoke_task_queue(text, name) IS
'Removes a grant of sched.grant_task_queue (superusers and sched_admin members only); true if there was one';

/*
 * Row-level security: what a role reads directly.  Only the extension's
 * owner writes (through the functions); it is the tables' owner, so the
 * policies do not apply to it, nor to the scheduler (a superuser).
 */
ALTER TABLE sched.schedules ENABLE ROW LEVEL SECURITY;
CREATE POLICY schedules_read ON sched.schedules FOR SELECT
	USING (sched.may_access(owner));

ALTER TABLE sched.buffer ENABLE ROW LEVEL SECURITY;
CREATE POLICY buffer_read ON sched.buffer FOR SELECT
	USING (EXISTS (SELECT FROM sched.schedules s
					WHERE s.schedule_id = buffer.schedule_id
					  AND sched.may_access(s.owner)));

ALTER TABLE sched.backfills ENABLE ROW LEVEL SECURITY;
CREATE POLICY backfills_read ON sched.backfills FOR SELECT
	USING (EXISTS (SELECT FROM sched.schedules s
					WHERE s.schedule_id = backfills.schedule_id
					  AND sched.may_access(s.owner)));

ALTER TABLE sched.executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY executions_read ON sched.executions FOR SELECT
	USING (sched.may_access(owner) OR sched.may_work(task_queue));

ALTER TABLE sched.task_queue_grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_queue_grants_read ON sched.task_queue_grants FOR SELECT
	USING (sched.may_access(grantee));

GRANT SELECT ON sched.schedules, sched.buffer, sched.backfills,
	sched.executions, sched.task_queue_grants TO PUBLIC;

/* The views read the tables as the role that queries them: no leak. */
ALTER VIEW sched.schedule_overview SET (security_invoker = true);
ALTER VIEW sched.run_counts SET (security_invoker = true);
ALTER VIEW sched.recent_failures SET (security_invoker = true);
GRANT SELECT ON sched.schedule_overview, sched.run_counts,
	sched.recent_failures TO PUBLIC;

/*
 * 0.1.0 wrote the scheduler's role (the bootstrap superuser) as the owner
 * of the runs its ticks started: a schedule's runs belong to the
 * schedule's owner.
 */
UPDATE sched.executions e
   SET owner = s.owner
  FROM sched.schedules s
 WHERE e.schedule_id = s.schedule_id
   AND e.created_at >= s.created_at
   AND e.owner <> s.owner;

-- One open run per workflow id: recreated after the narrower partial
-- indexes on open runs (see 10_tables.sql for why the order matters).
DROP INDEX sched.executions_open_workflow_id;
CREATE UNIQUE INDEX executions_open_workflow_id
	ON sched.executions (workflow_id)
	WHERE status IN ('scheduled', 'pending', 'running');
