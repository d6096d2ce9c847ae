-- Roles and privileges (README "Security model"): a schedule and its runs
-- belong to the role that created the schedule, a started workflow to the
-- role that started it; a role sees and changes only what belongs to roles
-- it is a member of; sched_admin members and superusers see everything;
-- sched_worker members, and members of a role granted a task queue, claim
-- and report on the runs of every queue, or of that queue.  Objects a role
-- may not see do not exist for it (42704).
--
-- Roles are cluster-wide: the ones made here are prefixed regress_sched_
-- and dropped at the end.  Every check runs as the role itself (SET
-- SESSION AUTHORIZATION from the superuser of the test).
SET timezone = 'UTC';

-- the install script made the two roles, without login
SELECT rolname, rolcanlogin FROM pg_roles
 WHERE rolname IN ('sched_admin', 'sched_worker') ORDER BY 1;

CREATE ROLE regress_sched_alice;
CREATE ROLE regress_sched_bob;
CREATE ROLE regress_sched_team;
CREATE ROLE regress_sched_carol IN ROLE regress_sched_team;
CREATE ROLE regress_sched_worker1;
CREATE ROLE regress_sched_ops IN ROLE sched_admin;
CREATE ROLE regress_sched_anyworker IN ROLE sched_worker;
-- using pg_sched at all takes USAGE on the schema (the two roles have it)
GRANT USAGE ON SCHEMA sched TO regress_sched_alice, regress_sched_bob,
    regress_sched_team, regress_sched_worker1;

-- Errors with the run ids (random) masked.
CREATE FUNCTION public.regress_sched_try(sql text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM,
        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
        '<run>', 'g');
END $$;

-- ---- each role's schedules and runs ----
SET SESSION AUTHORIZATION regress_sched_alice;
SELECT sched.create_schedule('alice-s',
    '{"action": {"workflow": "Report", "id": "alice-wf",
                 "task_queue": "regress-shared", "args": ["alice secret"]},
      "spec": {"intervals": [{"every": "1h"}],
               "end_at": "2000-01-02T00:00:00Z"}}');
SELECT sched.start_workflow('Job', 'alice-job', 'regress-alice',
                            '["alice job secret"]') IS NOT NULL AS started;
SELECT sched.start_workflow('Job', 'alice-closed', 'regress-alice')
       IS NOT NULL AS started;
SELECT sched.terminate_workflow('alice-closed');
SELECT sched.trigger('alice-s');
-- a backfill of allow_all starts its runs in batches: alice's too
SELECT sched.backfill('alice-s', '2000-01-01 00:00Z', '2000-01-01 02:00Z',
                      'allow_all');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_sched_bob;
SELECT sched.create_schedule('bob-s',
    '{"action": {"workflow": "Report", "id": "bob-wf",
                 "task_queue": "regress-shared"},
      "spec": {}}');
SELECT sched.trigger('bob-s');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_sched_team;
SELECT sched.create_schedule('team-s',
    '{"action": {"workflow": "Report", "id": "team-wf",
                 "task_queue": "regress-team"}, "spec": {}}',
    trigger_immediately => true);
RESET SESSION AUTHORIZATION;

-- every run carries its schedule's owner, whoever started it
SELECT coalesce(schedule_id, workflow_id) AS what, start_kind, owner,
       count(*)
  FROM sched.executions WHERE owner::text LIKE 'regress_sched_%'
 GROUP BY 1, 2, 3 ORDER BY 1, 2;

-- ---- bob cannot see or change alice's schedule ----
SET SESSION AUTHORIZATION regress_sched_bob;
SELECT schedule_id FROM sched.list_schedules();
SELECT sched.describe('alice-s');
SELECT sched.pause('alice-s');
SELECT sched.unpause('alice-s');
SELECT sched.trigger('alice-s');
SELECT sched.backfill('alice-s', '2000-01-01 00:00Z', '2000-01-01 01:00Z');
SELECT sched.backfill('alice-s', '[]');
SELECT sched.update('alice-s', '{"state": {"note": "mine now"}}');
SELECT sched.delete('alice-s');
SELECT sched.describe('team-s');
-- an existing id is still taken (ids are unique in the database)
SELECT sched.create_schedule('alice-s',
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}');
-- the tables and views show bob's rows only
SELECT schedule_id, owner FROM sched.schedules;
SELECT schedule_id FROM sched.schedule_overview;
SELECT workflow_id ~ '^bob-wf-' AS bobs, owner FROM sched.executions;
SELECT task_queue, status, count FROM sched.run_counts;
SELECT count(*) FROM sched.buffer;
-- alice's runs: not polled, not reported on, not read
SELECT workflow_id ~ '^bob-wf-' AS bobs, args
  FROM sched.poll('regress-shared', 'bob', 10);
SELECT count(*) FROM sched.poll('regress-alice', 'bob', 10);
RESET SESSION AUTHORIZATION;
SELECT run_id AS alice_job FROM sched.executions
 WHERE workflow_id = 'alice-job' \gset
SELECT run_id AS alice_run FROM sched.executions
 WHERE workflow_id ~ '^alice-wf-' AND start_kind = 'trigger' \gset
SET SESSION AUTHORIZATION regress_sched_bob;
SELECT regress_sched_try(format('SELECT sched.complete(%L, %L)',
                                :'alice_run', '{"stolen": true}'));
SELECT regress_sched_try(format('SELECT sched.fail(%L, %L)',
                                :'alice_run', 'boom'));
SELECT regress_sched_try(format('SELECT sched.heartbeat(%L)', :'alice_run'));
SELECT regress_sched_try(format('SELECT sched.canceled(%L)', :'alice_run'));
SELECT sched.describe_workflow('alice-job');
SELECT sched.cancel_workflow('alice-job');
SELECT sched.terminate_workflow('alice-job');
SELECT sched.signal_workflow('alice-job', 'hello');
SELECT sched.start_workflow('Job', 'alice-job', 'regress-bob',
                            id_conflict_policy => 'use_existing');
SELECT sched.start_workflow('Job', 'alice-job', 'regress-bob',
                            id_conflict_policy => 'terminate_existing');
-- a closed run of another role: reuse policies that look at it refuse,
-- without saying how it closed
SELECT sched.start_workflow('Job', 'alice-closed', 'regress-bob',
                            id_reuse_policy => 'allow_duplicate_failed_only');
SELECT sched.start_workflow('Job', 'alice-closed', 'regress-bob',
                            id_reuse_policy => 'reject_duplicate');
-- the tables are read-only: changes go through the functions
UPDATE sched.schedules SET note = 'x';
DELETE FROM sched.executions;
INSERT INTO sched.task_queue_grants VALUES ('regress-alice', 'regress_sched_bob', 'regress_sched_bob');
-- operators' functions
SELECT sched.expire_leases();
SELECT sched.grant_task_queue('regress-alice', 'regress_sched_bob');
RESET SESSION AUTHORIZATION;

-- ---- members of a role see that role's objects ----
SET SESSION AUTHORIZATION regress_sched_carol;
SELECT schedule_id FROM sched.list_schedules();
SELECT sched.describe('team-s') -> 'schedule' -> 'action' ->> 'id' AS team;
SELECT sched.pause('team-s', 'paused by carol');
SELECT schedule_id, owner, note FROM sched.schedules;
RESET SESSION AUTHORIZATION;

-- ---- a worker granted one task queue ----
SET SESSION AUTHORIZATION regress_sched_worker1;
-- before the grant: nothing of the queue
SELECT count(*) FROM sched.poll('regress-shared', 'w1', 10);
SELECT count(*) FROM sched.executions;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_sched_ops;
SELECT sched.grant_task_queue('regress-shared', 'regress_sched_worker1');
SELECT sched.grant_task_queue('regress-shared', 'regress_sched_worker1');
SELECT sched.grant_task_queue('regress-shared', 'regress_sched_nobody');
SELECT task_queue, grantee, granted_by FROM sched.task_queue_grants;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_sched_worker1;
-- alice's trigger run (bob's was claimed by bob), oldest due first
SELECT workflow_id ~ '^alice-wf-' AS alices, args
  FROM sched.poll('regress-shared', 'w1', 1);
SELECT regress_sched_try(format('SELECT sched.heartbeat(%L, %L)',
                                :'alice_run', '{"progress": 1}'));
SELECT regress_sched_try(format('SELECT sched.complete(%L, %L)',
                                :'alice_run', '{"rows": 42}'));
-- it reads the runs of its queue, whoever owns them, and nothing else
SELECT DISTINCT task_queue, owner FROM sched.executions ORDER BY 2;
SELECT count(*) FROM sched.poll('regress-alice', 'w1', 10);
SELECT sched.describe_workflow('alice-job');
SELECT schedule_id FROM sched.list_schedules();
RESET SESSION AUTHORIZATION;

-- alice reads her run's result; bob does not
SET SESSION AUTHORIZATION regress_sched_alice;
SELECT status, result FROM sched.executions WHERE run_id = :'alice_run';
SELECT sched.start_workflow('Job', 'alice-shared', 'regress-shared')
       IS NOT NULL AS started;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sched_bob;
SELECT count(*) FROM sched.executions WHERE run_id = :'alice_run';
RESET SESSION AUTHORIZATION;

-- a queue grant is not ownership: no cancel, terminate or signal
SET SESSION AUTHORIZATION regress_sched_worker1;
SELECT sched.describe_workflow('alice-shared') ->> 'status' AS status;
SELECT sched.cancel_workflow('alice-shared');
SELECT sched.terminate_workflow('alice-shared');
SELECT sched.signal_workflow('alice-shared', 'hello');
RESET SESSION AUTHORIZATION;

-- revoked: the queue is closed to it again
SET SESSION AUTHORIZATION regress_sched_ops;
SELECT sched.revoke_task_queue('regress-shared', 'regress_sched_worker1');
SELECT sched.revoke_task_queue('regress-shared', 'regress_sched_worker1');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sched_worker1;
SELECT count(*) FROM sched.poll('regress-shared', 'w1', 10);
SELECT count(*) FROM sched.executions;
RESET SESSION AUTHORIZATION;

-- ---- sched_worker members work every queue ----
SET SESSION AUTHORIZATION regress_sched_anyworker;
SELECT workflow_id, args FROM sched.poll('regress-alice', 'any', 10);
SELECT workflow_id FROM sched.poll('regress-shared', 'any', 10) ORDER BY 1;
SELECT count(*) FROM sched.list_schedules();
RESET SESSION AUTHORIZATION;

-- ---- sched_admin members see and do everything ----
SET SESSION AUTHORIZATION regress_sched_ops;
SELECT schedule_id FROM sched.list_schedules() WHERE schedule_id ~ '-s$';
SELECT schedule_id, owner FROM sched.schedules WHERE schedule_id ~ '-s$'
 ORDER BY 1;
SELECT sched.describe('alice-s') -> 'schedule' -> 'action' ->> 'id' AS alice;
SELECT sched.pause('bob-s', 'paused by ops');
-- a run an admin starts for a schedule belongs to the schedule's owner
SELECT sched.trigger('alice-s', 'allow_all');
SELECT sched.cancel_workflow('alice-shared');
SELECT sched.describe_workflow('alice-job') ->> 'status' AS status;
SELECT count(*) > 0 AS expired_ok FROM (SELECT sched.expire_leases()) e;
RESET SESSION AUTHORIZATION;
SELECT start_kind, owner, count(*) FROM sched.executions
 WHERE schedule_id = 'alice-s' GROUP BY 1, 2 ORDER BY 1;

-- ---- may_access and may_work say the same ----
SET SESSION AUTHORIZATION regress_sched_carol;
SELECT sched.may_access('regress_sched_team') AS team,
       sched.may_access('regress_sched_alice') AS alice,
       sched.may_access('regress_sched_gone') AS gone,
       sched.may_work('regress-shared') AS shared;
RESET SESSION AUTHORIZATION;

-- ---- the caller's search_path cannot capture the functions' SQL ----
-- (they run it as the extension's owner, with search_path pinned)
CREATE SCHEMA regress_sched_evil;
CREATE FUNCTION regress_sched_evil.now() RETURNS timestamptz
LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'captured: now() ran as %', current_user; END $$;
CREATE FUNCTION regress_sched_evil.gen_random_uuid() RETURNS uuid
LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'captured: gen_random_uuid() ran as %', current_user; END $$;
GRANT USAGE ON SCHEMA regress_sched_evil TO PUBLIC;
SET SESSION AUTHORIZATION regress_sched_bob;
SET search_path = regress_sched_evil, pg_catalog;
SELECT now();
SELECT sched.start_workflow('Job', 'bob-evil', 'regress-bob') IS NOT NULL
       AS started;
SELECT workflow_id FROM sched.poll('regress-bob', 'bob');
RESET search_path;
RESET SESSION AUTHORIZATION;
DROP SCHEMA regress_sched_evil CASCADE;

-- ---- clean up: rows, then roles ----
DELETE FROM sched.schedules WHERE owner::text LIKE 'regress_sched_%';
DELETE FROM sched.executions WHERE owner::text LIKE 'regress_sched_%';
DELETE FROM sched.task_queue_grants WHERE grantee::text LIKE 'regress_sched_%';
DROP FUNCTION public.regress_sched_try(text);
DROP OWNED BY regress_sched_alice, regress_sched_bob, regress_sched_team,
    regress_sched_worker1;
DROP ROLE regress_sched_alice, regress_sched_bob, regress_sched_carol,
    regress_sched_team, regress_sched_worker1, regress_sched_ops,
    regress_sched_anyworker;
