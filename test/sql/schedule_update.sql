-- sched.update (SEMANTICS.md 5): replaces the parts given, keeps the rest,
-- the counters, the runs and the buffer; discards the times before the
-- update; compares the conflict token; returns the new token.  The SQL
-- idiom of building the update from sched.describe() works.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.doc(id text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT sched.describe(id)->'schedule'
$$;
CREATE FUNCTION pg_temp.token(id text) RETURNS bigint LANGUAGE sql AS $$
    SELECT (sched.describe(id)->>'conflict_token')::bigint
$$;

SELECT sched.create_schedule('up-1', '{
    "action": {"workflow": "W", "id": "up", "task_queue": "uq", "args": [1]},
    "spec": {"cron_expressions": ["0 12 * * * 2023,2099"]},
    "policy": {"overlap": "buffer_all", "pause_on_failure": true},
    "state": {"note": "first"}}');
SELECT pg_temp.token('up-1') AS t0 \gset
SELECT created_at AS created, last_updated_at AS updated FROM sched.schedules
 WHERE schedule_id = 'up-1' \gset

-- some history: a run open, one waiting in the buffer
SELECT sched.backfill('up-1', '2023-01-01Z', '2023-01-02 23:00Z');
SELECT (i->>'num_actions')::int AS num_actions, (i->>'buffer_size')::int AS buffer_size
  FROM (SELECT sched.describe('up-1')->'info' AS i) d;

-- Only the policy: action, spec and state stay; keys of the policy left
-- out take their defaults (a part is replaced whole).
SELECT sched.update('up-1', '{"policy": {"overlap": "skip"}}') AS t1 \gset
SELECT :t1 > :t0 AS new_token, pg_temp.token('up-1') = :t1 AS returned_current;
SELECT d->'policy' AS policy, d->'action' AS action, d->'state' AS state,
       d->'spec'->'calendars'->0->'hour' AS spec_hour
  FROM pg_temp.doc('up-1') d;
-- counters, runs and buffer are kept; created_at too; last_updated_at moves
SELECT (i->>'num_actions')::int AS num_actions, (i->>'buffer_size')::int AS buffer_size,
       jsonb_array_length(i->'running_actions') AS running,
       jsonb_array_length(i->'recent_actions') AS recent
  FROM (SELECT sched.describe('up-1')->'info' AS i) d;
SELECT created_at = :'created' AS created_kept,
       last_updated_at > :'updated' AS updated_moved
  FROM sched.schedules WHERE schedule_id = 'up-1';

-- The spec and the action; the new action names the next runs.
SELECT sched.update('up-1', '{
    "spec": {"cron_expressions": ["30 6 * * * 2023,2099"]},
    "action": {"workflow": "W2", "id": "up2", "task_queue": "uq"}}') > :t1 AS newer;
SELECT d->'action' AS action, d->'spec'->'calendars'->0->'hour' AS spec_hour,
       d->'policy'->>'overlap' AS overlap
  FROM pg_temp.doc('up-1') d;
SELECT next_nominal FROM sched.schedules WHERE schedule_id = 'up-1';
SELECT sched.terminate_workflow('up-2023-01-01T12:00:00Z');
SELECT workflow_id, status FROM sched.executions
 WHERE schedule_id = 'up-1' ORDER BY nominal_time;

-- The state: pause through update, then back.
SELECT sched.update('up-1', '{"state": {"paused": true, "note": "by update"}}') > 0 AS ok;
SELECT paused, note, next_due FROM sched.schedules WHERE schedule_id = 'up-1';
SELECT sched.update('up-1', '{"state": {"limited_actions": true, "remaining_actions": 5}}') > 0 AS ok;
SELECT paused, note, limited_actions, remaining_actions, next_due
  FROM sched.schedules WHERE schedule_id = 'up-1';
SELECT jsonb_array_length(sched.describe('up-1')->'info'->'next_action_times') AS next_times;

-- An empty update changes nothing but the token (and the cursor).
SELECT pg_temp.doc('up-1') AS before \gset
SELECT sched.update('up-1', '{}') > 0 AS ok;
SELECT pg_temp.doc('up-1') = :'before'::jsonb AS same_document;

-- The conflict token: the current one passes, a stale one fails (40001)
-- and changes nothing, NULL skips the comparison.
SELECT pg_temp.token('up-1') AS cur \gset
SELECT sched.update('up-1', '{"policy": {"overlap": "buffer_one"}}', :cur) > :cur AS passed;
DO $$ BEGIN
    PERFORM sched.update('up-1', '{"policy": {"overlap": "allow_all"}}',
                         pg_temp.token('up-1') - 1);
EXCEPTION WHEN serialization_failure THEN
    RAISE NOTICE 'refused: %', SQLERRM;
END $$;
SELECT policy->>'overlap' AS overlap FROM sched.schedules WHERE schedule_id = 'up-1';
SELECT sched.update('up-1', '{"policy": {"overlap": "allow_all"}}', NULL) > 0 AS ok;
-- a token read before another change is stale
SELECT pg_temp.token('up-1') AS cur \gset
SELECT sched.pause('up-1', 'someone else');
SET my.cur = :cur;
DO $$ BEGIN
    PERFORM sched.update('up-1', '{}', current_setting('my.cur')::bigint);
EXCEPTION WHEN serialization_failure THEN
    RAISE NOTICE 'refused: %', SQLERRM;
END $$;
RESET my.cur;

-- The idiom of the README: describe, change one value, update with the
-- token that came with the description.
SELECT sched.update('up-1',
    jsonb_set((sched.describe('up-1'))->'schedule', '{policy,overlap}', '"buffer_all"'),
    (sched.describe('up-1')->>'conflict_token')::bigint) > 0 AS ok;
SELECT pg_temp.doc('up-1')->'policy' AS policy;
-- and for the state: unpause with a note of one's own
SELECT sched.update('up-1',
    jsonb_set(jsonb_set((sched.describe('up-1'))->'schedule', '{state,paused}', 'false'),
              '{state,note}', '"resumed"'),
    (sched.describe('up-1')->>'conflict_token')::bigint) > 0 AS ok;
SELECT pg_temp.doc('up-1')->'state' AS state;

-- Times before the update are discarded: with the cursor back in 2023
-- (as if the scheduler had been down), an update restarts it after now;
-- nothing starts and nothing counts as missed.
SELECT num_actions, num_actions_missed_catchup_window AS missed
  FROM sched.schedules WHERE schedule_id = 'up-1' \gset
BEGIN;
UPDATE sched.schedules SET next_nominal = '2023-01-01 06:30Z'
 WHERE schedule_id = 'up-1';
SELECT sched.update('up-1', '{"policy": {"overlap": "allow_all"}}') > 0 AS ok;
COMMIT;
SELECT next_nominal > now() AS restarted_after_now,
       num_actions = :num_actions AS no_action,
       num_actions_missed_catchup_window = :missed AS none_missed
  FROM sched.schedules WHERE schedule_id = 'up-1';

-- clean up
SELECT sched.delete('up-1');
DELETE FROM sched.executions WHERE schedule_id = 'up-1';
