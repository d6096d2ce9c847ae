/*
 * 90_audit.sql: the audit trail of schedule changes (src/audit_store.c, the
 * only writer).
 *
 * One row per change made through the SQL functions: create, update,
 * pause, unpause, trigger, backfill, delete.  role is current_user of the
 * call (whose rights the change used), session_role session_user (who
 * logged in); owner is the schedule's owner, which decides who may read
 * the row, as for the schedule itself.  Rows outlive their schedule and
 * are deleted by the scheduler after pg_sched.audit_retention.
 */
CREATE TABLE sched.audit_log (
	audit_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at				timestamptz NOT NULL DEFAULT now(),
	schedule_id		text NOT NULL,
	operation		text NOT NULL CHECK (operation IN ('create', 'update',
		'pause', 'unpause', 'trigger', 'backfill', 'delete')),
	role			name NOT NULL,
	session_role	name NOT NULL,
	owner			name NOT NULL,
	note			text,
	detail			jsonb CHECK (jsonb_typeof(detail) = 'object')
);

/* retention, and a schedule's history */
CREATE INDEX audit_log_at ON sched.audit_log (at);
CREATE INDEX audit_log_schedule ON sched.audit_log (schedule_id, at);

COMMENT ON TABLE sched.audit_log IS
'The audit trail of schedule changes: who (role, session_role), when, which operation, with the note and a detail document';

SELECT pg_catalog.pg_extension_config_dump('sched.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump(
	pg_catalog.pg_get_serial_sequence('sched.audit_log', 'audit_id')::regclass, '');

/* Read under the schedules' rules (70_security.sql, 80_metrics.sql). */
ALTER TABLE sched.audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON sched.audit_log FOR SELECT
	USING (sched.may_access(owner));
CREATE POLICY audit_log_monitor ON sched.audit_log FOR SELECT
	TO sched_monitor USING (true);
GRANT SELECT ON sched.audit_log TO PUBLIC;

CREATE VIEW sched.schedule_audit WITH (security_invoker = true) AS
SELECT at, schedule_id, operation, role, session_role, note, detail,
	   owner, audit_id
  FROM sched.audit_log;

COMMENT ON VIEW sched.schedule_audit IS
'The audit trail of the schedules the caller may see, oldest first by audit_id: when, which schedule, the operation, who, the note and the detail';

GRANT SELECT ON sched.schedule_audit TO PUBLIC;
