-- Every error of the schedule functions (SEMANTICS.md 2-6, 9): SQLSTATE,
-- message, detail and hint.  Bad input is 22023 naming the field and the
-- value, an unknown schedule 42704, a duplicate id 23505, a stale
-- conflict token 40001; nothing is stored by a call that fails.
SET timezone = 'UTC';

-- Runs a statement and shows the error it raises (or that it did not).
CREATE PROCEDURE pg_temp.bad(stmt text) LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    BEGIN
        EXECUTE stmt;
        RAISE NOTICE 'accepted';
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    END;
    IF det <> '' AND hnt <> '' THEN
        RAISE NOTICE '%: %', st, msg USING DETAIL = det, HINT = hnt;
    ELSIF det <> '' THEN
        RAISE NOTICE '%: %', st, msg USING DETAIL = det;
    ELSIF hnt <> '' THEN
        RAISE NOTICE '%: %', st, msg USING HINT = hnt;
    ELSE
        RAISE NOTICE '%: %', st, msg;
    END IF;
END $$;

-- create_schedule('e-x', doc) with a valid action and spec patched by
-- "patch" (jsonb concatenation per part: {"action": {...}} replaces keys
-- of the action), or the whole document when whole is true.
CREATE PROCEDURE pg_temp.badc(patch jsonb, whole boolean DEFAULT false)
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb := '{"action": {"workflow": "W", "id": "x", "task_queue": "q"},
                   "spec": {"cron_expressions": ["0 0 1 1 * 2099"]}}';
    k text;
BEGIN
    IF whole THEN
        doc := patch;
    ELSE
        FOR k IN SELECT jsonb_object_keys(patch) LOOP
            IF jsonb_typeof(doc->k) = 'object' AND jsonb_typeof(patch->k) = 'object' THEN
                doc := jsonb_set(doc, ARRAY[k], (doc->k) || (patch->k));
            ELSE
                doc := jsonb_set(doc, ARRAY[k], patch->k);
            END IF;
        END LOOP;
    END IF;
    CALL pg_temp.bad(format('SELECT sched.create_schedule(%L, %L)', 'e-x', doc));
END $$;

-- the valid document itself
CALL pg_temp.badc('{}');
SELECT sched.delete('e-x');

-- ---- schedule_id ----
CALL pg_temp.bad($$SELECT sched.create_schedule(NULL, '{}')$$);
CALL pg_temp.bad($$SELECT sched.create_schedule('', '{}')$$);
CALL pg_temp.bad(format('SELECT sched.create_schedule(%L, %L)', repeat('x', 1001),
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}'));

-- ---- the document ----
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x', NULL)$$);
CALL pg_temp.badc('"text"', true);
CALL pg_temp.badc('[]', true);
CALL pg_temp.badc('{"spec": {}}', true);
CALL pg_temp.badc('{"action": {"workflow": "W", "id": "x", "task_queue": "q"}}', true);
CALL pg_temp.badc('{"schedule": {}}');
CALL pg_temp.badc('{"actions": {}}');

-- ---- action ----
CALL pg_temp.badc('{"action": 1}');
CALL pg_temp.badc('{"action": {"workflow": null}}');
CALL pg_temp.badc('{"action": {"workflow": "W", "task_queue": "q"}}', true);
CALL pg_temp.badc('{"action": {"workflow": "W", "id": "x"}, "spec": {}}', true);
CALL pg_temp.badc('{"action": {"workflow": 7}}');
CALL pg_temp.badc('{"action": {"workflow": ""}}');
CALL pg_temp.badc('{"action": {"id": ""}}');
CALL pg_temp.badc('{"action": {"task_queue": ["q"]}}');
CALL pg_temp.bad(format('SELECT sched.create_schedule(%L, %L)', 'e-x',
    jsonb_build_object('action', jsonb_build_object('workflow', 'W', 'task_queue', 'q',
                                                    'id', repeat('i', 980)),
                       'spec', '{}'::jsonb)));
CALL pg_temp.bad(format('SELECT sched.create_schedule(%L, %L)', 'e-x',
    jsonb_build_object('action', jsonb_build_object('workflow', 'W', 'id', 'x',
                                                    'task_queue', repeat('q', 1001)),
                       'spec', '{}'::jsonb)));
CALL pg_temp.badc('{"action": {"args": {"a": 1}}}');
CALL pg_temp.badc('{"action": {"args": "a"}}');
CALL pg_temp.badc('{"action": {"memo": [1]}}');
CALL pg_temp.badc('{"action": {"memo": "m"}}');
CALL pg_temp.badc('{"action": {"workflow_type": "W"}}');
-- SEMANTICS.md 2: cron_schedule and start_delay have no place in a schedule
CALL pg_temp.badc('{"action": {"cron_schedule": "* * * * *"}}');
CALL pg_temp.badc('{"action": {"start_delay": "1 minute"}}');
-- timeouts: durations, positive, no months
CALL pg_temp.badc('{"action": {"execution_timeout": "soon"}}');
CALL pg_temp.badc('{"action": {"execution_timeout": "1 month"}}');
CALL pg_temp.badc('{"action": {"execution_timeout": "P1Y"}}');
CALL pg_temp.badc('{"action": {"run_timeout": -5}}');
CALL pg_temp.badc('{"action": {"run_timeout": "-5 minutes"}}');
CALL pg_temp.badc('{"action": {"run_timeout": 0}}');
CALL pg_temp.badc('{"action": {"run_timeout": 0.0001}}');
CALL pg_temp.badc('{"action": {"run_timeout": "1 microsecond"}}');
CALL pg_temp.badc('{"action": {"run_timeout": true}}');
CALL pg_temp.badc('{"action": {"run_timeout": 99999999999}}');
CALL pg_temp.badc('{"action": {"run_timeout": "73201 days"}}');
-- retry_policy: Temporal's RetryPolicy
CALL pg_temp.badc('{"action": {"retry_policy": "none"}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"max_attempts": 3}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"initial_interval": 0}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"backoff_coefficient": 0.5}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"backoff_coefficient": "2"}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"initial_interval": "1 minute", "maximum_interval": "30 seconds"}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"maximum_attempts": -1}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"maximum_attempts": 2.5}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"maximum_attempts": 3000000000}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"non_retryable_error_types": "Fatal"}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"non_retryable_error_types": ["ok", 1]}}}');
CALL pg_temp.badc('{"action": {"retry_policy": {"non_retryable_error_types": [""]}}}');

-- ---- spec (read by spec_json.c; the path starts at schedule.spec) ----
CALL pg_temp.badc('{"spec": []}');
CALL pg_temp.badc('{"spec": {"calendars": [{"hour": 24}]}}');
CALL pg_temp.badc('{"spec": {"cron_expressions": ["0 0 * * * * * *"]}}');
CALL pg_temp.badc('{"spec": {"intervals": [{"every": 0}]}}');
CALL pg_temp.badc('{"spec": {"time_zone_name": "Mars/Olympus"}}');
CALL pg_temp.badc('{"spec": {"cron": "* * * * *"}}');

-- ---- policy ----
CALL pg_temp.badc('{"policy": "skip"}');
CALL pg_temp.badc('{"policy": {"overlap_policy": "skip"}}');
CALL pg_temp.badc('{"policy": {"overlap": "sometimes"}}');
CALL pg_temp.badc('{"policy": {"overlap": "SCHEDULE_OVERLAP_POLICY_SKIP"}}');
CALL pg_temp.badc('{"policy": {"overlap": 1}}');
CALL pg_temp.badc('{"policy": {"catchup_window": "a while"}}');
CALL pg_temp.badc('{"policy": {"catchup_window": "2 years"}}');
CALL pg_temp.badc('{"policy": {"catchup_window": -1}}');
CALL pg_temp.badc('{"policy": {"pause_on_failure": "yes"}}');

-- ---- state ----
CALL pg_temp.badc('{"state": true}');
CALL pg_temp.badc('{"state": {"paused": 1}}');
CALL pg_temp.badc('{"state": {"notes": "x"}}');
CALL pg_temp.badc('{"state": {"note": 5}}');
CALL pg_temp.bad(format('SELECT sched.create_schedule(%L, %L)', 'e-x',
    jsonb_build_object('action', jsonb_build_object('workflow', 'W', 'task_queue', 'q', 'id', 'x'),
                       'spec', '{}'::jsonb,
                       'state', jsonb_build_object('note', repeat('n', 1001)))));
-- SEMANTICS.md 4: limited without a positive count, a count without limited
CALL pg_temp.badc('{"state": {"limited_actions": true}}');
CALL pg_temp.badc('{"state": {"limited_actions": true, "remaining_actions": 0}}');
CALL pg_temp.badc('{"state": {"remaining_actions": 2}}');
CALL pg_temp.badc('{"state": {"limited_actions": false, "remaining_actions": 2}}');
CALL pg_temp.badc('{"state": {"limited_actions": true, "remaining_actions": -1}}');
CALL pg_temp.badc('{"state": {"limited_actions": true, "remaining_actions": 1.5}}');
CALL pg_temp.badc('{"state": {"limited_actions": "yes", "remaining_actions": 1}}');
CALL pg_temp.badc('{"state": {"limited_actions": true, "remaining_actions": "1"}}');

-- ---- the other arguments of create_schedule ----
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x',
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}',
    memo => '[1]')$$);
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x',
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}',
    backfill => '{"start_at": "2024-01-01T00:00:00Z"}')$$);
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x',
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}',
    backfill => '[{"start_at": "2024-01-01T00:00:00Z"}]')$$);
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x',
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}',
    backfill => '[{"start_at": "2024-01-01T00:00:00Z", "end_at": "2024-01-02", "overlap": "skip"}]')$$);
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x',
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}',
    backfill => '[{"start_at": "2024-01-02T00:00:00Z", "end_at": "2024-01-01T00:00:00Z"}]')$$);
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x',
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}',
    backfill => '[{"start_at": "2024-01-01T00:00:00Z", "end_at": "2024-01-01T00:00:00Z", "overlap": "never"}]')$$);
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x',
    '{"action": {"workflow": "W", "id": "x", "task_queue": "q"}, "spec": {}}',
    backfill => '[{"start_at": "2024-01-01T00:00:00Z", "end_at": "2024-01-01T00:00:00Z", "until": 1}]')$$);
-- a backfill of more than 1,000,000 actions in one call: 54000, checked
-- before anything starts (a decade of seconds would hold the lock for hours)
CALL pg_temp.bad($$SELECT sched.create_schedule('e-x', '{
    "action": {"workflow": "W", "id": "x", "task_queue": "q"},
    "spec": {"intervals": [{"every": 1}]}}',
    backfill => '[{"start_at": "2020-01-01T00:00:00Z", "end_at": "2030-01-01T00:00:00Z"}]')$$);

-- none of them stored anything
SELECT count(*) AS schedules FROM sched.schedules WHERE schedule_id = 'e-x';

-- ---- a schedule that exists, for the other functions ----
SELECT sched.create_schedule('e-s', '{
    "action": {"workflow": "W", "id": "es", "task_queue": "q"},
    "spec": {"cron_expressions": ["0 0 1 1 * 2099"]}}');
CALL pg_temp.bad($$SELECT sched.create_schedule('e-s', '{
    "action": {"workflow": "W", "id": "es", "task_queue": "q"}, "spec": {}}')$$);

-- unknown schedules: 42704 everywhere; NULL ids: 22023
CALL pg_temp.bad($$SELECT sched.describe('e-none')$$);
CALL pg_temp.bad($$SELECT sched.pause('e-none')$$);
CALL pg_temp.bad($$SELECT sched.unpause('e-none')$$);
CALL pg_temp.bad($$SELECT sched.trigger('e-none')$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-none', '2024-01-01Z', '2024-01-02Z')$$);
-- the same limit through sched.backfill, both forms; nothing is added
SELECT sched.create_schedule('e-big', '{
    "action": {"workflow": "W", "id": "ebig", "task_queue": "q"},
    "spec": {"intervals": [{"every": 60}], "start_at": "2030-01-01T00:00:00Z"}}');
CALL pg_temp.bad($$SELECT sched.backfill('e-big', '2030-01-01Z', '2032-01-01Z')$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-big', '[{"start_at": "2030-01-01T00:00:00Z", "end_at": "2031-01-01T00:00:00Z"},
    {"start_at": "2031-01-01T00:00:01Z", "end_at": "2032-01-01T00:00:00Z"}]'::jsonb)$$);
SELECT (SELECT count(*) FROM sched.backfills WHERE schedule_id = 'e-big') AS cursors,
       (SELECT count(*) FROM sched.executions WHERE schedule_id = 'e-big') AS runs;
SELECT sched.delete('e-big');
CALL pg_temp.bad($$SELECT sched.backfill('e-none', '[]'::jsonb)$$);
CALL pg_temp.bad($$SELECT sched.update('e-none', '{}')$$);
CALL pg_temp.bad($$SELECT sched.delete('e-none')$$);
CALL pg_temp.bad($$SELECT sched.describe(NULL)$$);
CALL pg_temp.bad($$SELECT sched.pause(NULL)$$);
CALL pg_temp.bad($$SELECT sched.unpause(NULL)$$);
CALL pg_temp.bad($$SELECT sched.trigger(NULL)$$);
CALL pg_temp.bad($$SELECT sched.backfill(NULL, '2024-01-01Z', '2024-01-02Z')$$);
CALL pg_temp.bad($$SELECT sched.backfill(NULL, '[]'::jsonb)$$);
CALL pg_temp.bad($$SELECT sched.update(NULL, '{}')$$);
CALL pg_temp.bad($$SELECT sched.delete(NULL)$$);

-- pause and unpause: notes of at most 1000 bytes
CALL pg_temp.bad(format('SELECT sched.pause(%L, %L)', 'e-s', repeat('n', 1001)));
CALL pg_temp.bad(format('SELECT sched.unpause(%L, %L)', 'e-s', repeat('n', 1001)));

-- trigger: the overlap policy
CALL pg_temp.bad($$SELECT sched.trigger('e-s', 'often')$$);
CALL pg_temp.bad($$SELECT sched.trigger('e-s', '')$$);

-- backfill: a finite range, end not before start, a known policy
CALL pg_temp.bad($$SELECT sched.backfill('e-s', NULL, '2024-01-02Z')$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '2024-01-01Z', NULL)$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '-infinity', '2024-01-02Z')$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '2024-01-01Z', 'infinity')$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '2024-01-02Z', '2024-01-01 23:59:59.999Z')$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '2024-01-01Z', '2024-01-02Z', 'later')$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', NULL::jsonb)$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '{}'::jsonb)$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '[1]'::jsonb)$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '[{"end_at": "2024-01-01T00:00:00Z"}]'::jsonb)$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '[{"start_at": 1, "end_at": "2024-01-01T00:00:00Z"}]'::jsonb)$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '[{"start_at": "2024-01-01T00:00:00Z",
    "end_at": "2024-01-01T00:00:00Z"}, {"start_at": "2024-01-01T00:00:00Z",
    "end_at": "2024-01-01T00:00:00Z", "overlap": "x"}]'::jsonb)$$);
CALL pg_temp.bad($$SELECT sched.backfill('e-s', '[{"start_at": "10000-01-01T00:00:00Z",
    "end_at": "2024-01-01T00:00:00Z"}]'::jsonb)$$);

-- update: the document is checked like create's (every part optional),
-- the conflict token must be the current one
CALL pg_temp.bad($$SELECT sched.update('e-s', NULL)$$);
CALL pg_temp.bad($$SELECT sched.update('e-s', '[]')$$);
CALL pg_temp.bad($$SELECT sched.update('e-s', '{"policy": {"overlap": "x"}}')$$);
CALL pg_temp.bad($$SELECT sched.update('e-s', '{"action": {"workflow": "W"}}')$$);
CALL pg_temp.bad($$SELECT sched.update('e-s', '{"state": {"remaining_actions": 1}}')$$);
-- the detail names both tokens: show it with the current token masked
DO $$
DECLARE
    tok bigint := (sched.describe('e-s')->>'conflict_token')::bigint;
    msg text; det text; st text;
BEGIN
    PERFORM sched.update('e-s', '{}', tok - 1);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RAISE NOTICE '%: % / %', st, msg,
        replace(replace(det, (tok - 1)::text, '<stale>'), tok::text, '<current>');
END $$;
-- nothing changed by the failed calls
SELECT paused, note, policy->>'overlap' AS overlap, num_actions
  FROM sched.schedules WHERE schedule_id = 'e-s';

SELECT sched.delete('e-s');
