-- Invalid specs (SEMANTICS.md 1.2 and 6): every one is refused with
-- SQLSTATE 22023 and a message naming the field and the value, by
-- validate_spec and next_times alike; never a crash, never a default.
SET timezone = 'UTC';

-- Shows the SQLSTATE, message, detail and hint of the error a spec raises
-- (or says that it was accepted), after checking that next_times raises
-- the very same error.
CREATE PROCEDURE pg_temp.bad(spec jsonb) LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
    st2 text; msg2 text;
BEGIN
    BEGIN
        PERFORM sched.validate_spec(spec);
        RAISE NOTICE 'accepted: %', sched.validate_spec(spec);
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    END;
    BEGIN
        PERFORM sched.next_times(spec, '2022-01-01Z', 1);
        st2 := 'none';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st2 = RETURNED_SQLSTATE, msg2 = MESSAGE_TEXT;
    END;
    IF st2 IS DISTINCT FROM st OR msg2 IS DISTINCT FROM msg THEN
        RAISE NOTICE 'next_times differs: % %', st2, msg2;
    END IF;
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

-- ---- cron expressions: every error of SEMANTICS.md 1.2 ----
-- two "/" or two "-" in one element
CALL pg_temp.bad('{"cron_expressions": ["*/5/2 * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * 1-5-7"]}');
CALL pg_temp.bad('{"cron_expressions": ["1-5/2-3 * * * *"]}');
-- a step below 1 or not an integer
CALL pg_temp.bad('{"cron_expressions": ["*/0 * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["*/-1 * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["*/x * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["*/1.5 * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["*/ * * * *"]}');
-- values out of range, in each field
CALL pg_temp.bad('{"cron_expressions": ["60 * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 24 * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 0 * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 32 * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * 13 *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * 0 *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * 8"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 1 2 3 4 2101"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 1 2 3 4 1999"]}');
CALL pg_temp.bad('{"cron_expressions": ["60 0 0 * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0-60 * * *"]}');
-- a range whose end is before its start (ranges do not wrap around)
CALL pg_temp.bad('{"cron_expressions": ["0 18-13 * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 1 Nov-feb *"]}');
-- an empty list element
CALL pg_temp.bad('{"cron_expressions": ["13,18, * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": [",5 * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["1,,5 * * * *"]}');
-- unknown names, and names where none are allowed
CALL pg_temp.bad('{"cron_expressions": ["0 0 * foo *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * ja *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * m"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * mon-xyz"]}');
CALL pg_temp.bad('{"cron_expressions": ["abc * * * *"]}');
-- W, ?, H are not supported; L and # only in their forms (spec_relative.sql has
-- the valid ones: until 0.3.0 "L", "5L" and "5#3" were refused here)
CALL pg_temp.bad('{"cron_expressions": ["0 0 L/2 * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 15W * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 ? * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["H * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 12 * * 5#6"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 12 * * L"]}');
-- a field count other than 5-7
CALL pg_temp.bad('{"cron_expressions": ["0 0 * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 0 * * * * *"]}');
CALL pg_temp.bad('{"cron_expressions": [""]}');
CALL pg_temp.bad('{"cron_expressions": ["   "]}');
CALL pg_temp.bad('{"cron_expressions": ["# only a comment"]}');
-- shorthands and @every
CALL pg_temp.bad('{"cron_expressions": ["@fortnightly"]}');
CALL pg_temp.bad('{"cron_expressions": ["@daily 5"]}');
CALL pg_temp.bad('{"cron_expressions": ["@every"]}');
CALL pg_temp.bad('{"cron_expressions": ["@every 0s"]}');
CALL pg_temp.bad('{"cron_expressions": ["@every 5x"]}');
CALL pg_temp.bad('{"cron_expressions": ["@every 5"]}');
CALL pg_temp.bad('{"cron_expressions": ["@every 1h/2h"]}');
CALL pg_temp.bad('{"cron_expressions": ["@every 1500ms"]}');
CALL pg_temp.bad('{"cron_expressions": ["@every 1000000d"]}');
-- zone prefixes
CALL pg_temp.bad('{"cron_expressions": ["CRON_TZ=UTC"]}');
CALL pg_temp.bad('{"cron_expressions": ["TZ= 0 0 * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["TZ=Mars/Olympus 0 0 * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["  CRON_TZ=Nowhere 0 0 * * *"]}');
-- conflicting zones: between strings, with time_zone_name, and UTC by default
CALL pg_temp.bad('{"cron_expressions": ["CRON_TZ=Europe/London 0 0 * * *", "0 12 * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["CRON_TZ=Europe/London 0 0 * * *", "TZ=Europe/Paris 0 12 * * *"]}');
CALL pg_temp.bad('{"cron_expressions": ["CRON_TZ=Europe/London 0 0 * * *"], "time_zone_name": "Asia/Tokyo"}');
CALL pg_temp.bad('{"cron_expressions": ["0 0 * * *", "CRON_TZ=Etc/UTC 0 0 * * *"]}');
-- not a string
CALL pg_temp.bad('{"cron_expressions": [5]}');
CALL pg_temp.bad('{"cron_expressions": "0 0 * * *"}');
CALL pg_temp.bad('{"cron_expressions": [["0 0 * * *"]]}');

-- ---- the spec object ----
CALL pg_temp.bad('[]');
CALL pg_temp.bad('"0 0 * * *"');
CALL pg_temp.bad('null');
CALL pg_temp.bad('42');
-- unknown keys, at every level, with the valid ones as a hint
CALL pg_temp.bad('{"cron": ["0 0 * * *"]}');
CALL pg_temp.bad('{"calendars": [{"hours": 5}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [{"start": 5, "stop": 7}]}]}');
CALL pg_temp.bad('{"intervals": [{"every": 60, "phase": 5}]}');
CALL pg_temp.bad('{"skip": [{"dayOfWeek": 1}]}');
-- wrong JSON types, named by path
CALL pg_temp.bad('{"calendars": {"hour": 5}}');
CALL pg_temp.bad('{"calendars": [5]}');
CALL pg_temp.bad('{"calendars": [null]}');
CALL pg_temp.bad('{"calendars": [{"hour": true}]}');
CALL pg_temp.bad('{"calendars": [{"hour": {"start": 5}}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [5]}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [[{"start": 5}]]}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [{"start": "5"}]}]}');
CALL pg_temp.bad('{"calendars": [{"comment": 5}]}');
CALL pg_temp.bad('{"intervals": {"every": 60}}');
CALL pg_temp.bad('{"intervals": [60]}');
CALL pg_temp.bad('{"intervals": [{"every": true}]}');
CALL pg_temp.bad('{"intervals": [{"every": [60]}]}');
CALL pg_temp.bad('{"skip": [{"hour": false}]}');
CALL pg_temp.bad('{"start_at": 1648036800}');
CALL pg_temp.bad('{"end_at": {"time": "2022-03-23T12:00:00Z"}}');
CALL pg_temp.bad('{"jitter": true}');
CALL pg_temp.bad('{"time_zone_name": 5}');
CALL pg_temp.bad('{"time_zone_name": ["UTC"]}');

-- ---- calendar values ----
CALL pg_temp.bad('{"calendars": [{"second": [{"start": 30, "end": 60}]}]}');
CALL pg_temp.bad('{"calendars": [{"hour": 24}]}');
CALL pg_temp.bad('{"calendars": [{"hour": -1}]}');
CALL pg_temp.bad('{"calendars": [{"month": [{"start": 0}]}]}');
CALL pg_temp.bad('{"calendars": [{"day_of_month": 0}]}');
CALL pg_temp.bad('{"calendars": [{"day_of_week": 8}]}');
CALL pg_temp.bad('{"calendars": [{"year": [{"start": 1999}]}]}');
CALL pg_temp.bad('{"calendars": [{"year": 2101}]}');
CALL pg_temp.bad('{"calendars": [{"second": [{"start": 30, "end": 40, "step": -3}]}]}');
-- numbers that are not integers, or do not fit
CALL pg_temp.bad('{"calendars": [{"hour": 1.5}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [{"start": 1, "end": 2.5}]}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [{"start": 1, "step": 0.5}]}]}');
CALL pg_temp.bad('{"calendars": [{"hour": 1e300}]}');
CALL pg_temp.bad('{"calendars": [{"hour": -1e300}]}');
CALL pg_temp.bad('{"calendars": [{"hour": 1e-300}]}');
CALL pg_temp.bad('{"calendars": [{"minute": 4294967296}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [{"start": 1, "step": -1e300}]}]}');
-- a range needs a start; an empty list matches nothing
CALL pg_temp.bad('{"calendars": [{"hour": [{"end": 5}]}]}');
CALL pg_temp.bad('{"calendars": [{"hour": [{"start": null}]}]}');
CALL pg_temp.bad('{"calendars": [{"hour": []}]}');
-- field strings
CALL pg_temp.bad('{"calendars": [{"hour": "1-99"}]}');
CALL pg_temp.bad('{"calendars": [{"hour": ""}]}');
CALL pg_temp.bad('{"calendars": [{"day_of_week": "mon-fri/0"}]}');
CALL pg_temp.bad('{"calendars": [{"hour": "monday"}]}');
CALL pg_temp.bad('{"skip": [{"month": "13"}]}');
-- the comment: at most 200 bytes
CALL pg_temp.bad(jsonb_build_object('calendars', jsonb_build_array(jsonb_build_object('comment', repeat('x', 201)))));
CALL pg_temp.bad(jsonb_build_object('cron_expressions', jsonb_build_array('0 0 * * * # ' || repeat('é', 101))));

-- ---- durations ----
CALL pg_temp.bad('{"intervals": [{"offset": 60}]}');
CALL pg_temp.bad('{"intervals": [{"every": null}]}');
CALL pg_temp.bad('{"intervals": [{"every": "PT0S"}]}');
CALL pg_temp.bad('{"intervals": [{"every": 0}]}');
CALL pg_temp.bad('{"intervals": [{"every": "PT3H", "offset": "PT4H"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "PT3H", "offset": "PT3H"}]}');
-- months and years have no fixed length
CALL pg_temp.bad('{"intervals": [{"every": "1 month"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "1 year"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "0.5 months"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "1 mon 2 days"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "P1M"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "P1Y2D"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "P0.5M"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "1-2"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "1 decade"}]}');
CALL pg_temp.bad('{"jitter": "1 month"}');
-- negative
CALL pg_temp.bad('{"intervals": [{"every": "-5 minutes"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "1 hour ago"}]}');
CALL pg_temp.bad('{"intervals": [{"every": -60}]}');
CALL pg_temp.bad('{"intervals": [{"every": 60, "offset": "-1 second"}]}');
CALL pg_temp.bad('{"jitter": "PT-1S"}');
-- whole seconds for intervals, milliseconds for jitter
CALL pg_temp.bad('{"intervals": [{"every": "1.5 seconds"}]}');
CALL pg_temp.bad('{"intervals": [{"every": 90.5}]}');
CALL pg_temp.bad('{"intervals": [{"every": 60, "offset": "PT0.1S"}]}');
CALL pg_temp.bad('{"jitter": "0.0005 seconds"}');
CALL pg_temp.bad('{"jitter": 1.0001}');
-- too long, and not a duration at all
CALL pg_temp.bad('{"intervals": [{"every": "100000 days"}]}');
CALL pg_temp.bad('{"intervals": [{"every": 1e300}]}');
CALL pg_temp.bad('{"intervals": [{"every": "2147483647 days 2147483647 hours"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "90 parsecs"}]}');
CALL pg_temp.bad('{"intervals": [{"every": "P"}]}');
CALL pg_temp.bad('{"intervals": [{"every": ""}]}');
CALL pg_temp.bad('{"intervals": [{"every": "infinity"}]}');
CALL pg_temp.bad('{"jitter": "soon"}');

-- ---- times ----
CALL pg_temp.bad('{"start_at": "2022-03-23T12:00:00"}');
CALL pg_temp.bad('{"start_at": "2022-03-23"}');
CALL pg_temp.bad('{"start_at": "tomorrow"}');
CALL pg_temp.bad('{"end_at": "2022-02-30T00:00:00Z"}');
CALL pg_temp.bad('{"end_at": "2022-03-23T24:00:00Z"}');
CALL pg_temp.bad('{"end_at": "2022-03-23T12:00:00+25:00"}');
CALL pg_temp.bad('{"end_at": "2022-03-23T12:00:00Z garbage"}');
CALL pg_temp.bad('{"start_at": ""}');

-- ---- time zones ----
CALL pg_temp.bad('{"time_zone_name": "Mars/Olympus"}');
CALL pg_temp.bad('{"time_zone_name": "America/New York"}');
CALL pg_temp.bad('{"time_zone_name": "../../etc/passwd"}');
CALL pg_temp.bad('{"time_zone_name": "/usr/share/zoneinfo/UTC"}');
-- POSIX-style zone specifications are not zone names; nor are leap-second zones
CALL pg_temp.bad('{"time_zone_name": "FOO3"}');
CALL pg_temp.bad('{"time_zone_name": "EST5EDT4,M3.2.0,M11.1.0"}');
CALL pg_temp.bad('{"time_zone_name": "right/UTC"}');
CALL pg_temp.bad(jsonb_build_object('time_zone_name', repeat('A', 300)));

-- ---- limits that protect the server ----
-- at most 1000 calendars and cron expressions together
SELECT jsonb_build_object('calendars', (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 600)),
                          'cron_expressions', (SELECT jsonb_agg('@daily'::text) FROM generate_series(1, 401))) AS spec \gset
CALL pg_temp.bad(:'spec');
-- at most 1000 intervals, @every expressions included
SELECT jsonb_build_object('intervals', (SELECT jsonb_agg(jsonb_build_object('every', i)) FROM generate_series(1, 1001) AS i)) AS spec \gset
CALL pg_temp.bad(:'spec');
SELECT jsonb_build_object('intervals', (SELECT jsonb_agg(jsonb_build_object('every', i)) FROM generate_series(1, 999) AS i),
                          'cron_expressions', '["@every 1h", "@every 2h"]'::jsonb) AS spec \gset
CALL pg_temp.bad(:'spec');
-- at most 1000 skip calendars
SELECT jsonb_build_object('skip', (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 1001))) AS spec \gset
CALL pg_temp.bad(:'spec');
-- strings of at most 4096 bytes
CALL pg_temp.bad(jsonb_build_object('cron_expressions', jsonb_build_array(repeat('0,', 2500) || '0 * * * *')));
CALL pg_temp.bad(jsonb_build_object('calendars', jsonb_build_array(jsonb_build_object('minute', repeat('0,', 2500) || '0'))));
-- ... and what is within them works: 60 distinct minutes, 400 @hourly
SELECT jsonb_build_object('calendars', (SELECT jsonb_agg(jsonb_build_object('minute', i % 60, 'hour', '*')) FROM generate_series(1, 600) AS i),
                          'cron_expressions', (SELECT jsonb_agg('@hourly'::text) FROM generate_series(1, 400)),
                          'intervals', (SELECT jsonb_agg(jsonb_build_object('every', i * 60)) FROM generate_series(1, 1000) AS i),
                          'skip', (SELECT jsonb_agg(jsonb_build_object('year', 2000 + i % 20)) FROM generate_series(1, 1000) AS i)) AS spec \gset
SELECT count(*), min(t), max(t) FROM sched.next_times(:'spec', '2022-01-01Z', 100) AS t;
SELECT jsonb_array_length(sched.validate_spec(:'spec')->'calendars') AS calendars,
       jsonb_array_length(sched.validate_spec(:'spec')->'intervals') AS intervals,
       jsonb_array_length(sched.validate_spec(:'spec')->'skip') AS skip;

-- ---- next_times arguments ----
SELECT * FROM sched.next_times('{"cron_expressions": ["@daily"]}', '2022-01-01Z', -1);
SELECT * FROM sched.next_times('{"cron_expressions": ["@daily"]}', '2022-01-01Z', 100001);
-- NULL arguments: no rows (the functions are strict)
SELECT count(*) FROM sched.next_times(NULL, '2022-01-01Z', 1);
SELECT count(*) FROM sched.next_times('{"cron_expressions": ["@daily"]}', NULL, 1);
SELECT sched.validate_spec(NULL) IS NULL AS is_null;
