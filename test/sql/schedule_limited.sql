-- Limited actions (SEMANTICS.md 4): each scheduled start consumes one
-- remaining action; at 0 no more scheduled actions (the times pass, not
-- counted as missed); trigger and backfill neither need nor consume them;
-- scheduled items waiting in the buffer hold their action; a paused
-- schedule drops scheduled items when they come up.
--
-- Scheduled times are made due without waiting: the cursor is moved back
-- to 2023 and the schedule processed by sched.backfill(id, '[]'), whose
-- processing catches up what is due (as the scheduler's tick would).
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.catch_up(id text, t timestamptz) RETURNS void
    LANGUAGE sql AS $$
    UPDATE sched.schedules SET next_nominal = t, next_due = t
     WHERE schedule_id = id;
    SELECT sched.backfill(id, '[]');
    SELECT;
$$;
CREATE FUNCTION pg_temp.state(id text) RETURNS TABLE (
    remaining bigint, num_actions bigint, missed bigint, skipped bigint,
    buffer_size int, next_nominal timestamptz, next_due timestamptz,
    next_times jsonb) LANGUAGE sql AS $$
    SELECT s.remaining_actions, s.num_actions,
           s.num_actions_missed_catchup_window, s.num_actions_skipped_overlap,
           (d->'info'->>'buffer_size')::int, s.next_nominal, s.next_due,
           d->'info'->'next_action_times'
      FROM sched.schedules s, LATERAL (SELECT sched.describe(id) AS d) x
     WHERE s.schedule_id = id
$$;
CREATE FUNCTION pg_temp.runs(id text) RETURNS TABLE (
    workflow_id text, start_kind text, status text) LANGUAGE sql AS $$
    SELECT regexp_replace(workflow_id, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$',
                          CASE WHEN start_kind = 'trigger' THEN '<now>'
                               ELSE to_char(nominal_time, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END),
           start_kind, status
      FROM sched.executions WHERE schedule_id = id ORDER BY nominal_time
$$;

-- Every hour from 00:00 to 05:00 on 1 January 2023 and 2099, limited to
-- two actions.  next_action_times is cut to the remaining actions.
SELECT sched.create_schedule('li-1', '{
    "action": {"workflow": "W", "id": "li", "task_queue": "lq"},
    "spec": {"cron_expressions": ["0 0-5 1 1 * 2023,2099"]},
    "policy": {"overlap": "allow_all", "catchup_window": "3650 days"},
    "state": {"limited_actions": true, "remaining_actions": 2}}');
SELECT * FROM pg_temp.state('li-1');
SELECT (sched.describe('li-1')->>'conflict_token')::bigint AS token0 \gset

-- Six times are due: two start and consume the two actions, the other
-- four pass (not missed).  At 0 remaining next_due is NULL and the next
-- times are empty; the decrements changed the conflict token.
SELECT pg_temp.catch_up('li-1', '2023-01-01 00:00Z');
SELECT * FROM pg_temp.runs('li-1');
SELECT * FROM pg_temp.state('li-1');
SELECT (sched.describe('li-1')->>'conflict_token')::bigint > :token0 AS token_changed;
SELECT sched.describe('li-1')->'schedule'->'state' AS state;

-- At 0 remaining, trigger and backfill still act, and consume nothing.
SELECT sched.trigger('li-1');
SELECT sched.backfill('li-1', '2023-01-01 04:00Z', '2023-01-01 05:00Z');
SELECT * FROM pg_temp.runs('li-1');
SELECT * FROM pg_temp.state('li-1');

-- An update with a new count restarts the cursor after now.
SELECT sched.update('li-1', '{"state": {"limited_actions": true, "remaining_actions": 3}}') > 0 AS ok;
SELECT * FROM pg_temp.state('li-1');

-- Scheduled items waiting in the buffer hold their remaining action:
-- limited to 3 under buffer_all with a run open, six due times buffer
-- three and pass the other three; each start then consumes one.
SELECT sched.create_schedule('li-2', '{
    "action": {"workflow": "W", "id": "li2", "task_queue": "lq"},
    "spec": {"cron_expressions": ["0 0-5 1 1 * 2023,2099"]},
    "policy": {"overlap": "buffer_all", "catchup_window": "3650 days"},
    "state": {"limited_actions": true, "remaining_actions": 3}}');
SELECT sched.backfill('li-2', '2023-01-01 05:00Z', '2023-01-01 05:00Z');
SELECT pg_temp.catch_up('li-2', '2023-01-01 00:00Z');
SELECT * FROM pg_temp.state('li-2');
SELECT nominal_time, start_kind FROM sched.buffer WHERE schedule_id = 'li-2' ORDER BY seq;
SELECT sched.terminate_workflow('li2-2023-01-01T05:00:00Z');
SELECT * FROM pg_temp.runs('li-2');
SELECT * FROM pg_temp.state('li-2');

-- Paused: buffered scheduled items are dropped when they come up (not
-- started, not counted, consuming nothing); a backfilled item behind them
-- starts.
SELECT sched.pause('li-2');
SELECT sched.backfill('li-2', '2023-01-01 04:00Z', '2023-01-01 04:00Z', 'buffer_all');
SELECT nominal_time, start_kind FROM sched.buffer WHERE schedule_id = 'li-2' ORDER BY seq;
SELECT sched.terminate_workflow('li2-2023-01-01T00:00:00Z');
SELECT * FROM pg_temp.runs('li-2');
SELECT * FROM pg_temp.state('li-2');

-- Unpause: the cursor restarts after now, next times cut to the 2 left.
SELECT sched.unpause('li-2');
SELECT * FROM pg_temp.state('li-2');
-- no longer limited: the full list of next times
SELECT sched.update('li-2', '{"state": {}}') > 0 AS ok;
SELECT limited_actions, remaining_actions,
       jsonb_array_length(sched.describe('li-2')->'info'->'next_action_times') AS next_times
  FROM sched.schedules WHERE schedule_id = 'li-2';

-- clean up
SELECT sched.delete('li-1'), sched.delete('li-2');
DELETE FROM sched.executions WHERE schedule_id LIKE 'li-%';
