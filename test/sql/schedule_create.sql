-- sched.create_schedule: the schedule document, its defaults, the
-- canonical form that sched.describe() shows, trigger_immediately, the
-- initial backfill, the memo, and duplicate ids (SEMANTICS.md 2-5, 9).
-- Specs fire in 2099 only, so the scheduler never acts during the test.
SET timezone = 'UTC';

-- describe without what depends on the clock (shown separately below)
CREATE FUNCTION pg_temp.d(id text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT sched.describe(id) - 'conflict_token'
           #- '{info,created_at}' #- '{info,last_updated_at}'
$$;

-- The smallest schedule: the action's three required keys and a spec.
SELECT clock_timestamp() AS before \gset
SELECT sched.create_schedule('cr-min', '{
    "action": {"workflow": "Report", "id": "report", "task_queue": "reports"},
    "spec": {"cron_expressions": ["0 12 1 1 * 2099"]}}');
-- Defaults filled in: args [], policy skip / 365 days / no pause on
-- failure, state not paused, empty note, not limited.  The cron string is
-- shown as a calendar; next_action_times lists the one time there is.
SELECT jsonb_pretty(pg_temp.d('cr-min'));

-- What the clock gives: creation and update times agree, the token is a
-- positive number, and nothing before the creation time is due.
SELECT (i->>'created_at') = (i->>'last_updated_at') AS same_times,
       (i->>'created_at')::timestamptz BETWEEN :'before' AND clock_timestamp() AS created_now,
       jsonb_typeof(d->'conflict_token') AS token_type,
       (d->>'conflict_token')::bigint > 0 AS token_positive
  FROM (SELECT sched.describe('cr-min') AS d) s, LATERAL (SELECT d->'info' AS i) i;
SELECT schedule_id, paused, note, limited_actions, remaining_actions,
       next_nominal, next_due, num_actions, memo, owner = current_user AS owner_ok
  FROM sched.schedules WHERE schedule_id = 'cr-min';

-- Every key of the document, with values the canonical form rewrites:
-- durations as ISO 8601, the overlap name in lower case, a catch-up
-- window below 10 seconds raised to 10 seconds, the retry policy with its
-- defaults filled in.  JSON null means "absent".
SELECT sched.create_schedule('cr-full', '{
    "action": {"workflow": "Sync", "id": "sync", "task_queue": "q",
               "args": [1, "two", {"three": 3}],
               "execution_timeout": "2 hours", "run_timeout": 90,
               "retry_policy": {"initial_interval": "PT2S",
                                "maximum_attempts": 5,
                                "non_retryable_error_types": ["Fatal"]},
               "memo": {"team": "data"}},
    "spec": {"calendars": [{"hour": 3, "year": 2099, "comment": "nightly"}],
             "time_zone_name": "Europe/Paris", "jitter": "30s",
             "skip": null},
    "policy": {"overlap": "BUFFER_ALL", "catchup_window": "5 seconds",
               "pause_on_failure": true},
    "state": {"paused": true, "note": "not yet",
              "limited_actions": true, "remaining_actions": 3}}',
    memo => '{"owner": "ops"}');
SELECT jsonb_pretty(pg_temp.d('cr-full')->'schedule');
SELECT d->'memo' AS memo, d->'info'->'next_action_times' AS next3
  FROM (SELECT sched.describe('cr-full') AS d) s;

-- More canonical values: a retry policy given whole, durations in every
-- form, a catch-up window above the minimum, intervals.
SELECT sched.create_schedule('cr-forms', '{
    "action": {"workflow": "W", "id": "forms", "task_queue": "q",
               "run_timeout": "PT1H30M", "execution_timeout": 0.25,
               "retry_policy": {"initial_interval": 1.5,
                                "backoff_coefficient": 1.5,
                                "maximum_interval": "1 day",
                                "maximum_attempts": 0}},
    "spec": {"intervals": [{"every": "1 day", "offset": "12 hours"}],
             "start_at": "2099-01-01T00:00:00Z"},
    "policy": {"overlap": "Terminate_Other", "catchup_window": "1 day 2 hours"}}');
SELECT d->'action' AS action, d->'policy' AS policy
  FROM (SELECT sched.describe('cr-forms')->'schedule' AS d) s;

-- Reading the canonical document back gives the same document: the
-- describe output is valid input (the update idiom relies on it).
SELECT sched.update('cr-full', sched.describe('cr-full')->'schedule') > 0 AS updated;
SELECT pg_temp.d('cr-full')->'schedule' = s AS fixed_point
  FROM (SELECT sched.describe('cr-full')->'schedule' AS s) x;

-- A spec with no times: the schedule only acts when triggered or
-- backfilled; next_action_times is empty and next_due NULL.
SELECT sched.create_schedule('cr-empty', '{
    "action": {"workflow": "W", "id": "empty", "task_queue": "q"},
    "spec": {}}');
SELECT pg_temp.d('cr-empty')->'info'->'next_action_times' AS next_times,
       next_nominal, next_due
  FROM sched.schedules WHERE schedule_id = 'cr-empty';

-- trigger_immediately: one action at once, named after the trigger time
-- (the nominal time of a trigger), under the schedule's overlap policy.
SELECT sched.create_schedule('cr-trig', '{
    "action": {"workflow": "W", "id": "trig", "task_queue": "q",
               "args": ["a"]},
    "spec": {"cron_expressions": ["0 0 1 1 * 2099"]}}',
    trigger_immediately => true);
SELECT workflow_id = 'trig-' || to_char(nominal_time, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS id_is_nominal,
       nominal_time = scheduled_at AS nominal_is_actual,
       nominal_time = date_trunc('second', nominal_time) AS whole_second,
       workflow, task_queue, args, status, start_kind, overlap_tracked,
       last_completion_result
  FROM sched.executions WHERE schedule_id = 'cr-trig';
SELECT pg_temp.d('cr-trig')->'info'->'num_actions' AS num_actions;

-- An initial backfill: every time of the range, both ends included.
SELECT sched.create_schedule('cr-bf', '{
    "action": {"workflow": "W", "id": "bf", "task_queue": "q"},
    "spec": {"cron_expressions": ["0 * * * * 2024,2099"]},
    "policy": {"overlap": "allow_all"}}',
    backfill => '[{"start_at": "2024-05-01T10:00:00Z",
                   "end_at": "2024-05-01T12:00:00Z"}]');
SELECT workflow_id, nominal_time, scheduled_at, start_kind, overlap_tracked
  FROM sched.executions WHERE schedule_id = 'cr-bf' ORDER BY nominal_time;

-- A duplicate id is refused, whatever the document, and changes nothing.
SELECT sched.create_schedule('cr-min', '{
    "action": {"workflow": "Other", "id": "other", "task_queue": "q"},
    "spec": {}}');
SELECT action->>'workflow' AS workflow FROM sched.schedules
 WHERE schedule_id = 'cr-min';
-- The same id in another transaction after a delete is a new schedule
-- with a new conflict token.
SELECT sched.describe('cr-min')->'conflict_token' AS old_token \gset
SELECT sched.delete('cr-min');
SELECT sched.create_schedule('cr-min', '{
    "action": {"workflow": "Report", "id": "report", "task_queue": "reports"},
    "spec": {}}');
SELECT (sched.describe('cr-min')->>'conflict_token')::bigint <> :old_token AS new_token;

-- clean up
SELECT sched.delete(schedule_id) FROM sched.schedules
 WHERE schedule_id LIKE 'cr-%' ORDER BY schedule_id;
DELETE FROM sched.executions WHERE schedule_id LIKE 'cr-%';
