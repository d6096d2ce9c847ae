-- sched.list_schedules (SEMANTICS.md 5, 9): every schedule, at once, with
-- its spec, workflow type, note, pause state, last 5 actions (oldest
-- first) and next 5 action times.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.list() RETURNS TABLE (
    schedule_id text, workflow text, paused boolean, note text,
    spec_hours jsonb, recent jsonb, next_action_times timestamptz[],
    memo jsonb) LANGUAGE sql AS $$
    SELECT l.schedule_id, l.workflow, l.paused, l.note,
           l.spec->'calendars'->0->'hour',
           (SELECT jsonb_agg(jsonb_build_array(r->>'workflow_id', r->>'status',
                                               r->>'scheduled_at'))
              FROM jsonb_array_elements(l.recent_actions) r),
           l.next_action_times, l.memo
      FROM sched.list_schedules() l
     WHERE l.schedule_id LIKE 'list-%'
$$;

SELECT * FROM pg_temp.list();

SELECT sched.create_schedule('list-b', '{
    "action": {"workflow": "Billing", "id": "bill", "task_queue": "lq"},
    "spec": {"cron_expressions": ["0 6 * * * 2023,2099"]},
    "policy": {"overlap": "allow_all"}}',
    memo => '{"team": "finance"}');
SELECT sched.create_schedule('list-a', '{
    "action": {"workflow": "Audit", "id": "audit", "task_queue": "lq"},
    "spec": {"cron_expressions": ["0 1 1 1 * 2099"]},
    "state": {"paused": true, "note": "on hold"}}');
-- new schedules show at once, ordered by id
SELECT * FROM pg_temp.list();

-- the last five actions, oldest first (of seven)
SELECT sched.backfill('list-b', '2023-01-01Z', '2023-01-07 23:00Z');
SELECT schedule_id, recent FROM pg_temp.list() WHERE schedule_id = 'list-b';
-- describe shows the last ten, oldest first, with the same fields
SELECT jsonb_array_length(d->'recent_actions') AS recent,
       d->'recent_actions'->0->>'workflow_id' AS oldest,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(d->'recent_actions'->0) k) AS fields
  FROM (SELECT sched.describe('list-b')->'info' AS d) x;

-- a paused schedule lists its next times too, limited ones are cut
SELECT sched.update('list-a', '{"state": {"paused": true, "note": "on hold",
    "limited_actions": true, "remaining_actions": 1}}') > 0 AS ok;
SELECT schedule_id, paused, note, next_action_times FROM pg_temp.list();

-- a deleted schedule is gone at once
SELECT sched.delete('list-b');
SELECT schedule_id FROM pg_temp.list();

-- clean up
SELECT sched.delete('list-a');
DELETE FROM sched.executions WHERE schedule_id LIKE 'list-%';
