-- Last days of the month and n-th weekdays (issue 14; Temporal cannot
-- express them, temporal #5811): cron "L", "L-n", "5L", "FRIL", "MON#3",
-- and in calendars negative day_of_month values and {"nth": n} ranges of
-- day_of_week.  validate_spec shows cron's forms in the calendar form,
-- which reads back to itself.
SET timezone = 'UTC';

CREATE PROCEDURE pg_temp.bad(spec jsonb) LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    PERFORM sched.validate_spec(spec);
    RAISE NOTICE 'accepted: %', sched.validate_spec(spec);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RAISE NOTICE '%: % [%] [%]', st, msg, det, hnt;
END $$;
-- the canonical form is a fixed point
CREATE FUNCTION pg_temp.fixed(spec jsonb) RETURNS boolean LANGUAGE sql AS $$
    SELECT sched.validate_spec(sched.validate_spec(spec)) = sched.validate_spec(spec)
$$;

-- L: the last day of every month (leap February included)
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 0 L * *"]}', '2023-12-15Z', 4) AS t;
SELECT * FROM sched.next_times('{"cron_expressions": ["0 0 L 2 *"]}', '2023-01-01Z', 3);
-- L-n: n days before the last day (Quartz: L-3 in January is the 28th)
SELECT * FROM sched.next_times('{"cron_expressions": ["0 0 L-3 * *"]}', '2024-01-01Z', 3);
-- in a list
SELECT * FROM sched.next_times('{"cron_expressions": ["0 0 1,15,L * *"]}', '2024-02-10Z', 4);
-- 5L / FRIL: the last Friday; 0L and 7L: the last Sunday
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 18 * * 5L"]}', '2024-01-01Z', 3) AS t;
SELECT sched.validate_spec('{"cron_expressions": ["0 18 * * FRIL"]}') = sched.validate_spec('{"cron_expressions": ["0 18 * * 5L"]}') AS same;
SELECT sched.validate_spec('{"cron_expressions": ["0 0 * * 7L"]}') = sched.validate_spec('{"cron_expressions": ["0 0 * * 0L"]}') AS same;
-- d#n: the third Monday; the fifth Thursday only in months that have one
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 9 * * MON#3"]}', '2024-01-01Z', 3) AS t;
SELECT * FROM sched.next_times('{"cron_expressions": ["0 9 * * 4#5"]}', '2024-01-01Z', 4);
-- day_of_month AND day_of_week, as everywhere in specs: the 31st when it is the last Friday
SELECT * FROM sched.next_times('{"cron_expressions": ["0 0 L * 5L"]}', '2024-01-01Z', 3);
-- local wall clock: the last day in Kolkata starts at 18:30 UTC the day before
SELECT t, t AT TIME ZONE 'Asia/Kolkata' AS local FROM sched.next_times('{"cron_expressions": ["0 0 L * *"], "time_zone_name": "Asia/Kolkata"}', '2024-01-15Z', 2) AS t;

-- canonical form: cron L is {"start": -1}, 5L is {"start": 5, "nth": -1}, MON#3 {"start": 1, "nth": 3}
SELECT sched.validate_spec('{"cron_expressions": ["0 0 1,L-1,L * *", "0 12 * * MON#3,5L,sun"]}') -> 'calendars';
SELECT pg_temp.fixed('{"cron_expressions": ["0 0 1,L-1,L * *", "0 12 * * MON#3,5L,sun"]}');
-- calendars: negative day_of_month counts from the end; ranges and steps too
SELECT * FROM sched.next_times('{"calendars": [{"day_of_month": -1, "hour": 17}]}', '2024-01-01Z', 3);
SELECT * FROM sched.next_times('{"calendars": [{"day_of_month": [{"start": -3, "end": -1}]}]}', '2024-01-01Z', 4);
SELECT sched.validate_spec('{"calendars": [{"day_of_month": [{"start": -7, "end": -1, "step": 3}, {"start": 1}]}]}') -> 'calendars' -> 0 -> 'day_of_month';
-- the n-th weekday: nth 1..5, or -1..-5 from the end of the month
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"calendars": [{"day_of_week": [{"start": 1, "nth": 1}, {"start": 5, "nth": -1}]}]}', '2024-01-01Z', 4) AS t;
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"calendars": [{"day_of_week": [{"start": 1, "end": 5, "nth": -1}]}]}', '2024-01-20Z', 6) AS t;
SELECT * FROM sched.next_times('{"calendars": [{"day_of_week": [{"start": 2, "nth": -2}]}]}', '2024-01-01Z', 3);
SELECT sched.validate_spec('{"calendars": [{"day_of_week": [{"start": 1, "end": 5, "nth": 2}, {"start": 0}]}]}') -> 'calendars' -> 0 -> 'day_of_week';
SELECT pg_temp.fixed('{"calendars": [{"day_of_week": [{"start": 1, "end": 5, "nth": 2}, {"start": 0, "nth": -5}]}], "skip": [{"day_of_month": -2}]}');
-- field strings in calendars take the cron forms
SELECT sched.validate_spec('{"calendars": [{"day_of_month": "L", "day_of_week": "FRI#2"}]}') -> 'calendars';
-- skip the last day of the month
SELECT * FROM sched.next_times('{"cron_expressions": ["0 0 * * *"], "skip": [{"day_of_month": -1}]}', '2024-01-29Z', 3);

-- mistakes
CALL pg_temp.bad('{"cron_expressions": ["0 0 L/2 * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 15-L * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 L-31 * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 LW * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * L"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * 1#6"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * 1#"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * 1-5#2"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 1#2 * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 L * * *"]}');
CALL pg_temp.bad('{"calendars": [{"day_of_month": -32}]}');
CALL pg_temp.bad('{"calendars": [{"day_of_month": [{"start": -3, "end": 5}]}]}');
CALL pg_temp.bad('{"calendars": [{"day_of_week": [{"start": 1, "nth": 6}]}]}');
CALL pg_temp.bad('{"calendars": [{"day_of_week": [{"start": 1, "nth": 0}]}]}');
CALL pg_temp.bad('{"calendars": [{"day_of_week": [{"start": 1, "nth": "3"}]}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [{"start": 1, "nth": 3}]}]}');

-- standard cron (start_workflow's cron_schedule, with the OR rule) takes them too:
-- the first run waits for the first cron time after the start
SELECT sched.start_workflow('wf', 'relative-L', 'relative-q', cron_schedule => '0 0 L * *') IS NOT NULL AS started;
SELECT status, due_at > now() AS in_future, extract(day FROM due_at + interval '1 day') = 1 AS last_day
  FROM sched.executions WHERE workflow_id = 'relative-L';
SELECT sched.start_workflow('wf', 'relative-hash', 'relative-q', cron_schedule => '0 0 * * MON#1') IS NOT NULL AS started;
SELECT to_char(due_at, 'Dy') AS day, extract(day FROM due_at) <= 7 AS first_week
  FROM sched.executions WHERE workflow_id = 'relative-hash';
