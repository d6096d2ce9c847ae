-- start_at, end_at and skip (SEMANTICS.md 1.4), and the 2100 limit (1).
SET timezone = 'UTC';

-- start_at is inclusive: it can be the first time
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 hour"}], "start_at": "2022-03-23T12:00:00Z"}', '2022-03-23 08:00:00Z', 3);
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 hour"}], "start_at": "2022-03-23T12:00:00Z"}', '2022-03-23 11:59:59Z', 2);
-- ... but after stays exclusive
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 hour"}], "start_at": "2022-03-23T12:00:00Z"}', '2022-03-23 12:00:00Z', 1);
-- start_at between two times: the next one
SELECT * FROM sched.next_times('{"intervals": [{"every": "PT1H30M"}], "start_at": "2022-03-23T12:00:00Z"}', '2022-03-23 08:00:00Z', 3);
-- end_at is inclusive; a candidate after it ends the sequence
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 hour"}], "end_at": "2022-03-23T14:00:00Z"}', '2022-03-23 11:00:00Z', 10);
SELECT * FROM sched.next_times('{"intervals": [{"every": "PT1H30M"}], "end_at": "2022-03-23T14:00:00Z"}', '2022-03-23 11:00:00Z', 10);
-- both: a window; start_at = end_at is a single instant
SELECT * FROM sched.next_times('{"cron_expressions": ["*/10 * * * *"], "start_at": "2022-03-23T12:00:00Z", "end_at": "2022-03-23T12:30:00Z"}', '2022-01-01 00:00:00Z', 10);
SELECT * FROM sched.next_times('{"cron_expressions": ["*/10 * * * *"], "start_at": "2022-03-23T12:00:00Z", "end_at": "2022-03-23T12:00:00Z"}', '2022-01-01 00:00:00Z', 10);
-- start_at after end_at yields nothing
SELECT count(*) FROM sched.next_times('{"cron_expressions": ["*/10 * * * *"], "start_at": "2022-03-23T12:30:00Z", "end_at": "2022-03-23T12:00:00Z"}', '2022-01-01 00:00:00Z', 10);
-- bounds with an offset are instants: 14:00+02:00 is 12:00 UTC
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 hour"}], "start_at": "2022-03-23T14:00:00+02:00", "end_at": "2022-03-23 09:00:00-05:00"}', '2022-01-01 00:00:00Z', 10);
-- instants are whole seconds: a fractional start_at rounds up, end_at down
SELECT * FROM sched.next_times('{"intervals": [{"every": 1}], "start_at": "2022-03-23T12:00:00.5Z", "end_at": "2022-03-23T12:00:03.9Z"}', '2022-01-01 00:00:00Z', 10);
SELECT sched.validate_spec('{"start_at": "2022-03-23T12:00:00.000001Z", "end_at": "2022-03-23T12:00:00.999999Z"}');

-- skip: a candidate matching a skip calendar is dropped, the search goes on
SELECT * FROM sched.next_times('{"intervals": [{"every": "PT1H30M"}], "skip": [{"hour": [{"start": 12, "end": 14}], "minute": [{"start": 0, "end": 59}], "second": [{"start": 0, "end": 59}]}]}', '2022-03-23 08:00:00Z', 4);
-- skip uses calendar defaults: {month: 12, day_of_month: 25} skips only 00:00:00 that day
SELECT * FROM sched.next_times('{"cron_expressions": ["0 */8 * * *"], "skip": [{"month": 12, "day_of_month": 25}]}', '2022-12-24 12:00:00Z', 5);
-- to skip the whole day, give full hour, minute and second ranges
SELECT * FROM sched.next_times('{"cron_expressions": ["0 */8 * * *"], "skip": [{"month": 12, "day_of_month": 25, "hour": "*", "minute": "*", "second": "*"}]}', '2022-12-24 12:00:00Z', 4);
-- weekends off; several skip calendars
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 9 * * *"], "skip": [{"day_of_week": "sat,sun", "hour": "*", "minute": "*", "second": "*"}, {"month": 6, "day_of_month": 20, "hour": "*", "minute": "*", "second": "*"}]}', '2022-06-15 12:00:00Z', 4) AS t;
-- a skip calendar never adds times
SELECT * FROM sched.next_times('{"cron_expressions": ["0 9 * * *"], "skip": [{"hour": 10}]}', '2022-06-15 12:00:00Z', 2);
-- skip and bounds together
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 hour"}], "skip": [{"hour": 13}], "start_at": "2022-03-23T12:00:00Z", "end_at": "2022-03-23T15:00:00Z"}', '2022-03-23 08:00:00Z', 10);
-- long runs of skipped times are crossed quickly: every second, but not in 2022
SELECT * FROM sched.next_times('{"intervals": [{"every": 1}], "skip": [{"year": 2022, "month": "*", "day_of_month": "*", "hour": "*", "minute": "*", "second": "*"}]}', '2022-01-01 00:00:00Z', 2);
-- skip everything: the sequence ends (no endless search)
SELECT count(*) FROM sched.next_times('{"cron_expressions": ["* * * * *"], "skip": [{"hour": "*", "minute": "*", "second": "*"}]}', '2022-06-15 00:00:00Z', 5);
-- a pathological skip set is refused rather than searched for ever
SELECT * FROM sched.next_times('{"intervals": [{"every": 1}], "skip": [{"second": "*/2", "minute": "*", "hour": "*"}, {"second": "1-59/2", "minute": "*", "hour": "*", "year": "2000-2099"}]}', '2022-01-01 00:00:00Z', 1);

-- the 2100 limit: nothing after 2100-12-31 23:59:59 local time
SELECT * FROM sched.next_times('{"cron_expressions": ["@yearly"]}', '2098-06-01 00:00:00Z', 5);
SELECT * FROM sched.next_times('{"calendars": [{"year": 2100, "month": 12, "day_of_month": 31, "hour": 23, "minute": 59, "second": "58,59"}]}', '2022-01-01 00:00:00Z', 5);
-- intervals too, on the spec zone's wall clock
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 hour"}]}', '2100-12-31 20:30:00Z', 10);
SELECT t, t AT TIME ZONE 'America/New_York' AS local FROM sched.next_times('{"intervals": [{"every": "1 hour"}], "time_zone_name": "America/New_York"}', '2101-01-01 01:30:00Z', 10) AS t;
SELECT t, t AT TIME ZONE 'Pacific/Kiritimati' AS local FROM sched.next_times('{"cron_expressions": ["0 23 * * *"], "time_zone_name": "Pacific/Kiritimati"}', '2100-12-29 00:00:00Z', 10) AS t;
-- after beyond the limit, or far in the past
SELECT count(*) FROM sched.next_times('{"cron_expressions": ["@daily"]}', '2150-01-01 00:00:00Z', 5);
SELECT count(*) FROM sched.next_times('{"cron_expressions": ["@daily"]}', 'infinity', 5);
SELECT * FROM sched.next_times('{"cron_expressions": ["@daily"], "start_at": "2022-01-01T00:00:00Z"}', '-infinity', 2);
-- end_at beyond 2100 changes nothing
SELECT * FROM sched.next_times('{"cron_expressions": ["@yearly"], "end_at": "2500-01-01T00:00:00Z"}', '2099-06-01 00:00:00Z', 5);

-- Bounds review (issue 14): every value of a calendar range is held to its
-- field's documented bounds (SEMANTICS.md 1.1).  Until 0.3.0 an end below
-- the field's minimum was taken as "end = start", and day_of_week took 7
-- in ranges (documented 0-6; 7 is Sunday in cron field syntax only).
CREATE FUNCTION pg_temp.err(spec jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sched.validate_spec(spec);
    RETURN 'accepted';
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN '22023: ' || SQLERRM;
END $$;
SELECT pg_temp.err('{"calendars": [{"minute": [{"start": 5, "end": -1}]}]}');
SELECT pg_temp.err('{"calendars": [{"hour": [{"start": 3, "end": -100}]}]}');
SELECT pg_temp.err('{"calendars": [{"month": [{"start": 2, "end": -5}]}]}');
SELECT pg_temp.err('{"calendars": [{"year": [{"start": 2030, "end": 1999}]}]}');
SELECT pg_temp.err('{"calendars": [{"day_of_week": 7}]}');
SELECT pg_temp.err('{"calendars": [{"day_of_week": [{"start": 5, "end": 7}]}]}');
SELECT pg_temp.err('{"calendars": [{"second": [{"start": 0, "end": 60}]}]}');
-- still accepted: a smaller end within bounds means end = start, an end of 0 is "no end"
SELECT pg_temp.err('{"calendars": [{"minute": [{"start": 30, "end": 10}]}]}');
SELECT sched.validate_spec('{"calendars": [{"minute": [{"start": 30, "end": 10}], "day_of_month": [{"start": 5, "end": 0}]}]}') -> 'calendars' -> 0 -> 'minute';
-- 7 stays Sunday in field syntax, in cron and in calendar strings alike
SELECT sched.validate_spec('{"calendars": [{"day_of_week": "5-7"}]}') -> 'calendars' -> 0 -> 'day_of_week';
SELECT sched.validate_spec('{"cron_expressions": ["0 0 * * 7"]}') -> 'calendars' -> 0 -> 'day_of_week';
-- the largest and smallest documented values of each field are accepted
SELECT pg_temp.err('{"calendars": [{"second": [{"start": 0, "end": 59}], "minute": [{"start": 0, "end": 59}], "hour": [{"start": 0, "end": 23}], "day_of_month": [{"start": 1, "end": 31}], "month": [{"start": 1, "end": 12}], "day_of_week": [{"start": 0, "end": 6}], "year": [{"start": 2000, "end": 2100}]}]}');

-- A calendar field holds at most 1,000 range objects (issue 16)
SELECT pg_temp.err(jsonb_build_object('calendars', jsonb_build_array(jsonb_build_object('minute',
    (SELECT jsonb_agg(jsonb_build_object('start', i % 60)) FROM generate_series(1, 1001) i)))));
SELECT pg_temp.err(jsonb_build_object('calendars', jsonb_build_array(jsonb_build_object('minute',
    (SELECT jsonb_agg(jsonb_build_object('start', i % 60)) FROM generate_series(1, 1000) i)))));
-- One next-time computation does bounded work (issue 16): candidates x parts
-- of the spec, at most 500,000; 1,000 calendars and 1,000 skip calendars that
-- skip every candidate fail after 250 skips (it searched 100,000 before,
-- for seconds), with the "too many exclusions" error and its hint
DO $$
DECLARE spec jsonb; msg text; hnt text;
BEGIN
    spec := jsonb_build_object(
        'calendars', (SELECT jsonb_agg(jsonb_build_object('second', '*', 'minute', '*', 'hour', '*', 'day_of_month', 1 + i % 28)) FROM generate_series(0, 999) i),
        'skip', (SELECT jsonb_agg(jsonb_build_object('second', i % 60, 'minute', '*', 'hour', '*')) FROM generate_series(0, 999) i));
    PERFORM sched.next_times(spec, '2026-01-01', 1);
    RAISE NOTICE 'no error';
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hnt = PG_EXCEPTION_HINT;
    RAISE NOTICE '22023: % [%]', msg, hnt;
END $$;
