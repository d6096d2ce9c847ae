-- Search attributes of schedules (README "Find and count schedules"):
-- registered with a type before use, as Temporal's AddSearchAttributes;
-- set at create and replaced by update; shown by describe; validated
-- against their type; copied to every run a schedule starts; and the bulk
-- pause, unpause and delete of what a list query matches.
SET timezone = 'UTC';

-- the built-in attributes, then the registered ones
SELECT * FROM sched.search_attributes();
SELECT sched.add_search_attribute('Env', 'Keyword');
SELECT sched.add_search_attribute('Notes', 'Text');
SELECT sched.add_search_attribute('Priority', 'Int');
SELECT sched.add_search_attribute('Score', 'Double');
SELECT sched.add_search_attribute('Critical', 'Bool');
SELECT sched.add_search_attribute('Due', 'Datetime');
SELECT sched.add_search_attribute('Tags', 'KeywordList');
-- again with the same type: nothing to do
SELECT sched.add_search_attribute('Env', 'Keyword');
SELECT * FROM sched.search_attributes();

-- registry mistakes
SELECT sched.add_search_attribute('Env', 'Int');
SELECT sched.add_search_attribute('Size', 'Integer');
SELECT sched.add_search_attribute('TemporalFoo', 'Keyword');
SELECT sched.add_search_attribute('ScheduleId', 'Keyword');
SELECT sched.add_search_attribute('WorkflowId', 'Keyword');
SELECT sched.add_search_attribute('my attr', 'Keyword');
SELECT sched.add_search_attribute('1st', 'Keyword');
SELECT sched.add_search_attribute('', 'Keyword');
SELECT sched.add_search_attribute(NULL, 'Keyword');
SELECT sched.add_search_attribute(repeat('x', 65), 'Keyword');

-- set at create: canonical form (Int whole, Datetime in UTC, nulls dropped);
-- an unregistered attribute is refused even when null
SELECT sched.add_search_attribute('Score2', 'Double');
SELECT sched.create_schedule('sa-1', '{
    "action": {"workflow": "Report", "id": "sa-1", "task_queue": "saq"},
    "spec": {"cron_expressions": ["0 3 1 1 * 2099"]}}',
    search_attributes => '{"Env": "prod", "Priority": 5.0, "Score": 0.75,
        "Critical": true, "Due": "2026-12-03T18:30:00+01:00",
        "Tags": ["billing", "eu"], "Notes": "monthly invoice run",
        "Score2": null}');
SELECT sched.create_schedule('sa-1b', '{
    "action": {"workflow": "Report", "id": "sa-1b", "task_queue": "saq"},
    "spec": {"cron_expressions": ["0 3 1 1 * 2099"]}}',
    search_attributes => '{"Env": null}');
SELECT sched.describe('sa-1')->'search_attributes' AS attrs,
       sched.describe('sa-1b')->'search_attributes' AS none;
-- without the argument: none
SELECT sched.create_schedule('sa-2', '{
    "action": {"workflow": "Sync", "id": "sa-2", "task_queue": "saq"},
    "spec": {"cron_expressions": ["0 3 1 1 * 2099"]}}');
SELECT sched.describe('sa-2')->'search_attributes';

-- validation: 22023 naming the attribute and the value; nothing stored
\set VERBOSITY default
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Priority": "high"}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Priority": 1.5}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Priority": 99999999999999999999}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Score": "0.5"}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Critical": "yes"}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Due": "tomorrow"}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Due": "2026-12-03T18:30:00"}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Env": 5}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Tags": "billing"}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Tags": ["a", 1]}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"Owner": "me"}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '{"TemporalSchedulePaused": true}');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => '["Env"]');
SELECT sched.create_schedule('sa-bad', '{"action": {"workflow": "W", "id": "b", "task_queue": "q"}, "spec": {}}',
    search_attributes => jsonb_build_object('Env', repeat('x', 2049)));
\set VERBOSITY terse
SELECT count(*) FROM sched.schedules WHERE schedule_id = 'sa-bad';

-- update replaces them (Temporal's UpdateSchedule); NULL keeps them, {} clears
SELECT sched.update('sa-2', '{}', search_attributes => '{"Env": "dev", "Tags": ["eu"]}') > 0 AS updated;
SELECT sched.describe('sa-2')->'search_attributes';
SELECT sched.update('sa-2', '{"state": {"note": "kept"}}') > 0 AS updated;
SELECT sched.describe('sa-2')->'search_attributes';
SELECT sched.update('sa-2', '{}', search_attributes => '{"Priority": "x"}');
SELECT sched.describe('sa-2')->'search_attributes';
SELECT sched.update('sa-1b', '{}', search_attributes => '{}') > 0 AS cleared;
SELECT sched.describe('sa-1b')->'search_attributes';

-- copied to each run the schedule starts (trigger, backfill, the tick);
-- a run started otherwise has none; an update does not change past runs
SELECT sched.trigger('sa-1');
SELECT sched.backfill('sa-2', '2099-01-01T03:00:00Z', '2099-01-01T03:00:00Z', 'allow_all');
-- the scheduler's tick (its batched INSERT) copies them too; the schedule
-- starts paused and a bulk unpause wakes the scheduler, as sched.unpause does
SELECT sched.create_schedule('sa-tick', '{
    "action": {"workflow": "Tick", "id": "sa-tick", "task_queue": "saq"},
    "spec": {"intervals": [{"every": 1}]}, "policy": {"overlap": "allow_all"},
    "state": {"paused": true}}',
    search_attributes => '{"Env": "tick", "Priority": 1}');
SELECT count(*) FROM sched.executions WHERE schedule_id = 'sa-tick';
SELECT * FROM sched.unpause_schedules('Env = ''tick''', 'go');
DO $$
BEGIN
    FOR i IN 1 .. 400 LOOP
        EXIT WHEN EXISTS (SELECT FROM sched.executions
                           WHERE schedule_id = 'sa-tick' AND start_kind = 'schedule');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT * FROM sched.pause_schedules('Env = ''tick''');
SELECT next_due IS NULL AS not_due FROM sched.schedules WHERE schedule_id = 'sa-tick';
SELECT DISTINCT start_kind, search_attributes FROM sched.executions
 WHERE schedule_id = 'sa-tick';
SELECT sched.delete('sa-tick');
SELECT sched.start_workflow('Once', 'sa-once', 'saq') IS NOT NULL AS started;
SELECT schedule_id, start_kind, search_attributes FROM sched.executions
 WHERE task_queue = 'saq' AND schedule_id IS DISTINCT FROM 'sa-tick'
 ORDER BY schedule_id NULLS LAST, start_kind;
SELECT sched.update('sa-2', '{}', search_attributes => '{"Env": "staging"}') > 0 AS updated;
SELECT schedule_id, search_attributes FROM sched.executions
 WHERE schedule_id = 'sa-2';

-- a registered attribute in use cannot be removed; an unused one can
SELECT sched.remove_search_attribute('Env');
SELECT sched.remove_search_attribute('Score');
SELECT sched.update('sa-1', '{}', search_attributes => '{"Env": "prod"}') > 0 AS updated;
SELECT sched.remove_search_attribute('Score');
SELECT sched.remove_search_attribute('Score');
SELECT sched.add_search_attribute('Score', 'Double');

-- only superusers and sched_admin members manage the registry; every role
-- reads it; a role lists, counts and changes only its own schedules
CREATE ROLE regress_sa_alice;
CREATE ROLE regress_sa_bob;
CREATE ROLE regress_sa_ops IN ROLE sched_admin;
GRANT USAGE ON SCHEMA sched TO regress_sa_alice, regress_sa_bob;
SET SESSION AUTHORIZATION regress_sa_alice;
SELECT sched.add_search_attribute('Team', 'Keyword');
SELECT count(*) > 0 AS reads FROM sched.search_attributes();
SELECT sched.create_schedule('sa-alice', '{
    "action": {"workflow": "Report", "id": "sa-alice", "task_queue": "saq2"},
    "spec": {"cron_expressions": ["0 3 1 1 * 2099"]}}',
    search_attributes => '{"Env": "prod"}');
SELECT schedule_id FROM sched.list_schedules('Env = ''prod''');
SELECT sched.count_schedules('Env = ''prod''');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sa_bob;
SELECT schedule_id FROM sched.list_schedules('Env = ''prod''');
SELECT sched.count_schedules('');
SELECT sched.pause_schedules('Env = ''prod''');
SELECT sched.delete_schedules('ScheduleId STARTS_WITH ''sa-''');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sa_ops;
SELECT sched.add_search_attribute('Team', 'Keyword');
SELECT schedule_id FROM sched.list_schedules('Env = ''prod''');
RESET SESSION AUTHORIZATION;
SELECT schedule_id FROM sched.list_schedules('Env = ''prod''');

-- bulk pause, unpause, delete: the ids acted on, through the same path as
-- sched.pause (note, conflict token, next times), in one transaction
SELECT sched.describe('sa-1')->'conflict_token' AS token_before \gset
SELECT * FROM sched.pause_schedules('Env = ''prod''', 'maintenance');
SELECT schedule_id, paused, note FROM sched.schedules
 WHERE schedule_id LIKE 'sa-%' ORDER BY 1;
SELECT (sched.describe('sa-1')->'conflict_token')::bigint <> :token_before AS new_token,
       sched.describe('sa-1')->'schedule'->'state' AS state;
SELECT * FROM sched.pause_schedules('Env = ''nothing''');
SELECT * FROM sched.unpause_schedules('TemporalSchedulePaused = true AND ScheduleId STARTS_WITH ''sa-'' AND ScheduleId != ''sa-1''');
SELECT schedule_id, paused, note FROM sched.schedules
 WHERE schedule_id LIKE 'sa-%' ORDER BY 1;
-- in the caller's transaction: a rollback undoes all of it
BEGIN;
SELECT * FROM sched.delete_schedules('Env = ''prod''');
SELECT count(*) FROM sched.schedules WHERE schedule_id LIKE 'sa-%';
ROLLBACK;
SELECT count(*) FROM sched.schedules WHERE schedule_id LIKE 'sa-%';
-- a bad query changes nothing
SELECT * FROM sched.delete_schedules('Env = ');
SELECT * FROM sched.pause_schedules('Env = ''prod'' ORDER BY Env');
SELECT * FROM sched.pause_schedules(NULL);
SELECT * FROM sched.delete_schedules('Env = ''prod''');
SELECT schedule_id FROM sched.schedules WHERE schedule_id LIKE 'sa-%' ORDER BY 1;
-- the runs stay, as with sched.delete
SELECT count(*) FROM sched.executions WHERE schedule_id = 'sa-1';

SELECT * FROM sched.delete_schedules('ScheduleId STARTS_WITH ''sa-''');
SELECT sched.remove_search_attribute(name) FROM sched.search_attributes()
 WHERE NOT builtin ORDER BY name;
REVOKE USAGE ON SCHEMA sched FROM regress_sa_alice, regress_sa_bob;
DROP ROLE regress_sa_alice;
DROP ROLE regress_sa_bob;
DROP ROLE regress_sa_ops;
