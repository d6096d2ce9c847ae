-- The workers as SQL sees them: GUCs, wake-up, status.  The scheduler of
-- this database runs during the tests (the library is preloaded), so
-- nothing here depends on its timing or its pid.
SET timezone = 'UTC';

-- GUCs: seconds, 7 days by default, set in the server's configuration only
SHOW pg_sched.schedule_retention;
SHOW pg_sched.run_retention;
SELECT name, setting, unit, context, vartype, min_val, max_val
FROM pg_settings WHERE name LIKE 'pg_sched.%' ORDER BY name;
SET pg_sched.run_retention = '1h';
SET pg_sched.no_such_setting = 1;

-- the status of every scheduler of the cluster; the columns
SELECT * FROM sched.scheduler_status() WHERE false;
SELECT count(*) <= 1 AS at_most_one_here
FROM sched.scheduler_status() WHERE database = current_database();

-- waking is harmless and transactional
SELECT sched.wake_scheduler();
BEGIN;
SELECT sched.wake_scheduler();
ROLLBACK;

-- only superusers (and roles granted it) may wake the launcher
CREATE ROLE regress_worker_user;
GRANT USAGE ON SCHEMA sched TO regress_worker_user;
SET ROLE regress_worker_user;
SELECT sched.wake_scheduler();
SELECT count(*) >= 0 AS anyone_may_look FROM sched.scheduler_status();
RESET ROLE;
REVOKE USAGE ON SCHEMA sched FROM regress_worker_user;
DROP ROLE regress_worker_user;
