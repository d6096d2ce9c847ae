-- The audit trail of schedule changes (sched.schedule_audit): who (role =
-- current_user, whose rights the change used; session_role =
-- session_user, who logged in), when, which operation, with the note and a
-- detail document; read under the schedules' rules.  Entries commit and
-- roll back with their change.
SET timezone = 'UTC';

CREATE ROLE regress_sched_audit_team;
CREATE ROLE regress_sched_audit_alice IN ROLE regress_sched_audit_team;
CREATE ROLE regress_sched_audit_bob;
CREATE ROLE regress_sched_audit_mon IN ROLE sched_monitor;
GRANT USAGE ON SCHEMA sched TO regress_sched_audit_team, regress_sched_audit_alice,
    regress_sched_audit_bob;

CREATE FUNCTION public.regress_sched_audit_rows() RETURNS TABLE (
    schedule_id text, operation text, role name, session_role name,
    note text, detail jsonb, recent boolean)
LANGUAGE sql AS $$
    SELECT schedule_id, operation, role, session_role, note,
           detail - 'run_id' - 'conflict_token', at >= now() - interval '1 hour'
      FROM sched.schedule_audit
     WHERE schedule_id LIKE 'aud-%' ORDER BY audit_id
$$;
GRANT EXECUTE ON FUNCTION public.regress_sched_audit_rows() TO PUBLIC;

SET SESSION AUTHORIZATION regress_sched_audit_alice;
SELECT sched.create_schedule('aud-1', '{
    "action": {"workflow": "W", "id": "aud", "task_queue": "aud-q"},
    "spec": {"cron_expressions": ["0 * 1 1 * 2023"]},
    "state": {"note": "made for the audit test"}}', trigger_immediately => true);
SELECT sched.pause('aud-1', 'maintenance');
SELECT sched.unpause('aud-1');
SELECT sched.update('aud-1', '{"policy": {"overlap": "allow_all"}}') > 0 AS updated;
SELECT outcome FROM sched.trigger_immediately('aud-1', scheduled_time => '2030-01-01 00:00+00',
                                              args => '["audited"]');
SELECT sched.backfill('aud-1', '2023-01-01 00:00+00', '2023-01-01 01:00+00', memo => '{"why": "gap"}');
-- a change through SET ROLE: role is the role set, session_role who logged in
SET ROLE regress_sched_audit_team;
SELECT sched.create_schedule('aud-team', '{"action": {"workflow": "W", "id": "aud-team",
    "task_queue": "aud-q"}, "spec": {}}');
RESET ROLE;
-- a call that fails, or a transaction rolled back, leaves no entry
SELECT sched.pause('aud-missing');
SELECT sched.trigger('aud-1', args => '5');
BEGIN;
SELECT sched.pause('aud-1', 'never committed');
ROLLBACK;
SELECT * FROM public.regress_sched_audit_rows();

-- visibility: bob sees none of it, nor may he change the schedule (42704)
SET SESSION AUTHORIZATION regress_sched_audit_bob;
SELECT count(*) AS bob_sees FROM sched.schedule_audit WHERE schedule_id LIKE 'aud-%';
SELECT sched.pause('aud-1', 'bob was here');
-- sched_monitor reads every entry
SET SESSION AUTHORIZATION regress_sched_audit_mon;
SELECT count(*) > 0 AS monitor_sees FROM sched.schedule_audit WHERE schedule_id LIKE 'aud-%';
SELECT count(*) AS monitor_writes FROM (SELECT 1) x WHERE has_table_privilege('sched.audit_log', 'INSERT');
RESET SESSION AUTHORIZATION;

-- bulk changes go through the same per-schedule paths: one entry each
SET SESSION AUTHORIZATION regress_sched_audit_alice;
SELECT * FROM sched.pause_schedules('ScheduleId STARTS_WITH ''aud-''', 'bulk pause') ORDER BY 1;
SELECT schedule_id, operation, note FROM public.regress_sched_audit_rows()
 WHERE note = 'bulk pause';

-- entries outlive their schedule: a delete is one more (bulk too)
SELECT sched.delete('aud-1');
SELECT * FROM sched.delete_schedules('ScheduleId = ''aud-team''');
SELECT schedule_id, operation, role, session_role FROM public.regress_sched_audit_rows()
 WHERE operation = 'delete';
SELECT count(*) AS alice_sees FROM sched.schedule_audit WHERE schedule_id LIKE 'aud-%';
-- only the extension's owner writes the table
INSERT INTO sched.audit_log (schedule_id, operation, role, session_role, owner)
VALUES ('aud-1', 'create', 'x', 'x', 'x');
DELETE FROM sched.audit_log;
RESET SESSION AUTHORIZATION;

-- the retention setting (the scheduler applies it: test/t/027_schedule_ids_failure.pl)
SHOW pg_sched.audit_retention;

DROP FUNCTION public.regress_sched_audit_rows();
DELETE FROM sched.audit_log WHERE schedule_id LIKE 'aud-%';
DELETE FROM sched.executions WHERE schedule_id LIKE 'aud-%';
REVOKE USAGE ON SCHEMA sched FROM regress_sched_audit_team, regress_sched_audit_alice,
    regress_sched_audit_bob;
DROP ROLE regress_sched_audit_alice, regress_sched_audit_bob, regress_sched_audit_mon,
    regress_sched_audit_team;
