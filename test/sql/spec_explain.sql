-- sched.explain (issue 14): every time of a range with UTC, local wall time
-- and offset, a DST note, what matched it (calendar and comment), what
-- removed it (a skip calendar, the DST policy), the jitter, and for a
-- stored schedule the outcome predicted from now.
SET timezone = 'UTC';

-- New York around fall-back: 01:30 twice; dst.repeated = first drops the second pass
SELECT nominal_time, utc, local_time, utc_offset, dst, matched, outcome, reason
  FROM sched.explain('{"cron_expressions": ["30 1 * * * # nightly"], "time_zone_name": "America/New_York", "dst": {"repeated": "first"}}'::jsonb,
                     '2022-11-05 00:00Z', '2022-11-07 23:59Z');
-- ... and around spring-forward: 02:30 does not exist; removed by default, fired at 03:00 with next_valid
SELECT utc, local_time, utc_offset, dst, outcome, reason
  FROM sched.explain('{"cron_expressions": ["30 2 * * *"], "time_zone_name": "America/New_York"}'::jsonb,
                     '2022-03-12 00:00Z', '2022-03-14 23:59Z');
SELECT utc, local_time, utc_offset, dst, outcome, reason
  FROM sched.explain('{"cron_expressions": ["30 2 * * *"], "time_zone_name": "America/New_York", "dst": {"skipped": "next_valid"}}'::jsonb,
                     '2022-03-12 00:00Z', '2022-03-14 23:59Z');
-- Lord_Howe's 30-minute shift: offsets +11:00 and +10:30, both passes shown
SELECT utc, local_time, utc_offset, dst, outcome
  FROM sched.explain('{"cron_expressions": ["45 1 * * *"], "time_zone_name": "Australia/Lord_Howe"}'::jsonb,
                     '2022-04-02 00:00Z', '2022-04-03 23:59Z');

-- which part matched (calendars with comments, cron strings, intervals), and skip calendars
SELECT utc, matched, outcome, reason
  FROM sched.explain('{"calendars": [{"hour": 12, "comment": "noon"}, {"hour": "12,18"}],
                       "cron_expressions": ["0 12 * * *", "@every 6h"],
                       "intervals": [{"every": "12 hours"}],
                       "skip": [{"month": 12, "day_of_month": 25, "hour": "*", "minute": "*", "second": "*", "comment": "Christmas"}]}'::jsonb,
                     '2022-12-24 11:00Z', '2022-12-26 12:00Z');
-- last days and n-th weekdays are explained like any calendar
SELECT utc, matched, outcome
  FROM sched.explain('{"cron_expressions": ["0 0 L * * # month end", "0 0 * * MON#1 # first monday"]}'::jsonb,
                     '2024-01-01Z', '2024-02-29Z');
-- start_at and end_at bound the rows; the range is inclusive at both ends
SELECT utc FROM sched.explain('{"intervals": [{"every": "1 hour"}], "start_at": "2022-01-01T02:00:00Z", "end_at": "2022-01-01T04:00:00Z"}'::jsonb,
                              '2022-01-01 00:00Z', '2022-01-01 10:00Z');
SELECT utc FROM sched.explain('{"intervals": [{"every": "1 hour"}]}'::jsonb, '2022-01-01 01:00Z', '2022-01-01 03:00Z');
-- jitter as the schedule named would get it: deterministic, below the bound and the next time
SELECT utc, jitter, actual_time, jitter < interval '10 minutes' AS below_bound
  FROM sched.explain('{"cron_expressions": ["*/10 * * * *"], "jitter": "30 minutes"}'::jsonb,
                     '2022-01-01 00:00Z', '2022-01-01 00:30Z', 'jittered');
SELECT count(*) AS no_jitter_without_id
  FROM sched.explain('{"cron_expressions": ["*/10 * * * *"], "jitter": "30 minutes"}'::jsonb, '2022-01-01 00:00Z', '2022-01-01 00:30Z')
 WHERE jitter IS NULL AND actual_time IS NULL;

-- the range: finite, in order, at most 1000 times
DO $$
DECLARE msg text; st text; hnt text;
BEGIN
    BEGIN
        PERFORM sched.explain('{"cron_expressions": ["* * * * *"]}'::jsonb, '2022-01-01Z', '2022-01-02Z');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hnt = PG_EXCEPTION_HINT;
        RAISE NOTICE '%: % [%]', st, msg, hnt;
    END;
    BEGIN
        PERFORM sched.explain('{}'::jsonb, '2022-01-02Z', '2022-01-01Z');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        RAISE NOTICE '%: %', st, msg;
    END;
    BEGIN
        PERFORM sched.explain('{}'::jsonb, '2022-01-02Z', 'infinity');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        RAISE NOTICE '%: %', st, msg;
    END;
    BEGIN
        PERFORM sched.explain('no-such-schedule', '2022-01-01Z', '2022-01-02Z');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        RAISE NOTICE '%: %', st, msg;
    END;
    BEGIN
        PERFORM sched.explain('{"cron_expressions": ["0 0 L/2 * *"]}'::jsonb, '2022-01-01Z', '2022-01-02Z');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        RAISE NOTICE '%: %', st, msg;
    END;
END $$;
SELECT count(*) FROM sched.explain('{"cron_expressions": ["* * * * *"]}'::jsonb, '2022-01-01 00:00Z', '2022-01-01 16:39Z');

-- ---- stored schedules: the outcome predicted from now ----
CREATE FUNCTION pg_temp.sched(id text, spec jsonb, extra jsonb DEFAULT '{}') RETURNS text
LANGUAGE sql AS $$
    SELECT sched.create_schedule(id, jsonb_build_object('spec', spec,
        'action', jsonb_build_object('workflow', 'w', 'id', id, 'task_queue', 'explain-q')) || extra)
$$;
-- future times fire; times before the schedule existed were never its to process
SELECT pg_temp.sched('ex-plain', '{"cron_expressions": ["0 12 * * *"], "jitter": "1 hour"}');
SELECT utc, outcome, jitter IS NOT NULL AS has_jitter, actual_time = nominal_time + jitter AS actual
  FROM sched.explain('ex-plain', '2035-01-01Z', '2035-01-02 23:59Z');
SELECT DISTINCT outcome, reason FROM sched.explain('ex-plain', '2020-01-01Z', '2020-01-05Z');
-- the jitter is the schedule's own: the same as the spec form with its id
SELECT (SELECT array_agg(jitter) FROM sched.explain('ex-plain', '2035-01-01Z', '2035-01-05Z')) =
       (SELECT array_agg(jitter) FROM sched.explain((sched.describe('ex-plain') #> '{schedule,spec}'), '2035-01-01Z', '2035-01-05Z', 'ex-plain')) AS same_jitter;
-- limited: the remaining actions go to the first times
SELECT pg_temp.sched('ex-limited', '{"cron_expressions": ["0 12 * * *"]}', '{"state": {"limited_actions": true, "remaining_actions": 2}}');
SELECT utc, outcome, reason FROM sched.explain('ex-limited', '2035-01-01Z', '2035-01-04 23:59Z');
-- paused: every time is dropped
SELECT pg_temp.sched('ex-paused', '{"cron_expressions": ["0 12 * * *"]}', '{"state": {"paused": true}}');
SELECT utc, outcome, reason FROM sched.explain('ex-paused', '2035-01-01Z', '2035-01-01 23:59Z');
-- an open run and the overlap policy: the first time meets it
SELECT pg_temp.sched('ex-overlap', '{"cron_expressions": ["0 12 * * *"]}', '{"policy": {"overlap": "skip"}}');
SELECT count(*) > 0 AS triggered FROM (SELECT sched.trigger('ex-overlap')) AS t;
SELECT utc, outcome, reason FROM sched.explain('ex-overlap', '2035-01-01Z', '2035-01-02 23:59Z');
SELECT pg_temp.sched('ex-buffer', '{"cron_expressions": ["0 12 * * *"]}', '{"policy": {"overlap": "buffer_one"}}');
SELECT count(*) > 0 AS triggered FROM (SELECT sched.trigger('ex-buffer')) AS t;
SELECT utc, outcome, reason FROM sched.explain('ex-buffer', '2035-01-01Z', '2035-01-02 23:59Z');
-- missed: the cursor three days back and a catch-up window of one day (the
-- scheduler is kept off the row with next_due = NULL); times older than now
-- - 1 day are missed, the rest would fire at the next tick
SELECT pg_temp.sched('ex-missed', '{"cron_expressions": ["30 30 * * * * *"]}', '{"policy": {"catchup_window": "1 day"}}');
UPDATE sched.schedules SET next_nominal = date_trunc('hour', now()) - interval '3 days' + interval '30 min 30 s',
       next_due = NULL WHERE schedule_id = 'ex-missed';
SELECT outcome, count(*) > 0 AS some,
       bool_and(CASE outcome WHEN 'missed_catchup_window' THEN nominal_time < now() - interval '1 day'
                             WHEN 'fire' THEN nominal_time > now() - interval '1 day' END) AS right_side
  FROM sched.explain('ex-missed', now() - interval '3 days', now() + interval '1 day')
 GROUP BY outcome ORDER BY outcome;
-- processed times show their run: the cursor two hours back, caught up
-- (sched.backfill processes what is due, as a tick would): the first time
-- starts a run, the second is skipped by that open run (overlap skip)
UPDATE sched.schedules SET next_nominal = date_trunc('hour', now()) - interval '2 hours' + interval '30 min 30 s',
       next_due = NULL WHERE schedule_id = 'ex-missed';
SELECT count(*) > 0 AS processed FROM (SELECT sched.backfill('ex-missed', '[]')) AS b;
SELECT outcome, reason ~ '^already processed: run ex-missed-.*Z \((pending|running|scheduled)\)$' AS shows_run, reason ~ 'no run' AS no_run
  FROM sched.explain('ex-missed', date_trunc('hour', now()) - interval '2 hours', date_trunc('hour', now()) - interval '29 minutes')
 ORDER BY nominal_time;

-- a schedule the caller may not see does not exist (42704), as everywhere
CREATE ROLE regress_sched_explainer;
GRANT USAGE ON SCHEMA sched TO regress_sched_explainer;
SET ROLE regress_sched_explainer;
DO $$
DECLARE st text; msg text;
BEGIN
    PERFORM sched.explain('ex-plain', '2035-01-01Z', '2035-01-02Z');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RAISE NOTICE '%: %', st, msg;
END $$;
-- the spec form needs no table
SELECT count(*) FROM sched.explain('{"cron_expressions": ["0 12 * * *"]}'::jsonb, '2035-01-01Z', '2035-01-02 23:59Z');
RESET ROLE;
DROP OWNED BY regress_sched_explainer;
DROP ROLE regress_sched_explainer;
-- NULL arguments explain nothing (the spec form is not STRICT, for schedule_id)
SELECT count(*) FROM sched.explain(NULL::jsonb, '2022-01-01Z', '2022-01-02Z');
SELECT count(*) FROM sched.explain('{"cron_expressions": ["@daily"]}'::jsonb, NULL, '2022-01-02Z');
