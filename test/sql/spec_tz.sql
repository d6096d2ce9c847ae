-- Time zones and DST (SEMANTICS.md 1.6): calendars match the zone's wall
-- clock; a local time in a spring-forward gap does not fire that day, a
-- local time in a fall-back overlap fires twice.  Zones west and east of
-- UTC, a 30-minute DST shift (Australia/Lord_Howe) and a zone without DST.
SET timezone = 'UTC';

-- How many times a spec fires on one local day of its zone.
CREATE FUNCTION pg_temp.fires_on(spec jsonb, zone text, day date) RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*)
      FROM sched.next_times(spec || jsonb_build_object('time_zone_name', zone),
                            (day::timestamp AT TIME ZONE zone) - interval '1 day', 200) AS t
     WHERE (t AT TIME ZONE zone)::date = day
$$;
-- Times of a spec around a date, with the zone's wall clock and offset.
CREATE FUNCTION pg_temp.around(spec jsonb, zone text, after timestamptz, n integer)
RETURNS TABLE (utc timestamptz, local timestamp, utc_offset interval)
LANGUAGE sql AS $$
    SELECT t, t AT TIME ZONE zone, (t AT TIME ZONE zone) - (t AT TIME ZONE 'UTC')
      FROM sched.next_times(spec || jsonb_build_object('time_zone_name', zone), after, n) AS t
$$;

-- America/New_York (UTC-5, DST UTC-4): 2022-03-13 02:00 -> 03:00, 2022-11-06 02:00 -> 01:00
SELECT day, pg_temp.fires_on('{"cron_expressions": ["0 * * * *"]}', 'America/New_York', day) AS hourly
  FROM unnest(ARRAY['2022-03-12', '2022-03-13', '2022-03-14', '2022-11-05', '2022-11-06', '2022-11-07']::date[]) AS day;
-- 02:30 does not exist on 2022-03-13: no action that day
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"]}', 'America/New_York', '2022-03-12 00:00Z', 3);
-- 01:30 happens twice on 2022-11-06: two actions, an hour apart
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 1 * * *"]}', 'America/New_York', '2022-11-05 00:00Z', 4);
-- every 20 minutes through the overlap: 01:00-01:40 twice
SELECT * FROM pg_temp.around('{"calendars": [{"minute": "*/20", "hour": "0-2"}]}', 'America/New_York', '2022-11-06 04:00Z', 12);

-- Europe/London (UTC+0, DST UTC+1): 2022-03-27 01:00 -> 02:00, 2022-10-30 02:00 -> 01:00
SELECT day, pg_temp.fires_on('{"cron_expressions": ["0 * * * *"]}', 'Europe/London', day) AS hourly
  FROM unnest(ARRAY['2022-03-26', '2022-03-27', '2022-03-28', '2022-10-29', '2022-10-30', '2022-10-31']::date[]) AS day;
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 1 * * *"]}', 'Europe/London', '2022-03-26 00:00Z', 3);
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 1 * * *"]}', 'Europe/London', '2022-10-29 00:00Z', 4);

-- Australia/Lord_Howe (UTC+10:30, DST UTC+11, a 30-minute shift):
-- 2022-04-03 02:00 -> 01:30 (01:30-01:59 twice), 2022-10-02 02:00 -> 02:30 (02:00-02:29 missing)
SELECT day, pg_temp.fires_on('{"cron_expressions": ["0 * * * *"]}', 'Australia/Lord_Howe', day) AS hourly,
            pg_temp.fires_on('{"cron_expressions": ["*/30 * * * *"]}', 'Australia/Lord_Howe', day) AS half_hourly
  FROM unnest(ARRAY['2022-04-02', '2022-04-03', '2022-04-04', '2022-10-01', '2022-10-02', '2022-10-03']::date[]) AS day;
SELECT * FROM pg_temp.around('{"cron_expressions": ["45 1 * * *"]}', 'Australia/Lord_Howe', '2022-04-01 00:00Z', 4);
SELECT * FROM pg_temp.around('{"cron_expressions": ["15 2 * * *"]}', 'Australia/Lord_Howe', '2022-09-30 00:00Z', 3);
-- 02:30 exists on the spring-forward day (it is the first instant after the gap)
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"]}', 'Australia/Lord_Howe', '2022-09-30 00:00Z', 3);

-- Asia/Kolkata (UTC+5:30, no DST): every day alike
SELECT day, pg_temp.fires_on('{"cron_expressions": ["0 * * * *"]}', 'Asia/Kolkata', day) AS hourly
  FROM unnest(ARRAY['2022-03-13', '2022-03-27', '2022-11-06']::date[]) AS day;
SELECT * FROM pg_temp.around('{"cron_expressions": ["0 9 * * *"]}', 'Asia/Kolkata', '2022-06-15 00:00Z', 2);
-- day_of_week is the local day: Monday 01:00 in Kolkata is Sunday in UTC
SELECT utc, to_char(utc, 'Dy') AS utc_day, local, to_char(local, 'Dy') AS local_day
  FROM pg_temp.around('{"calendars": [{"hour": 1, "day_of_week": 1}]}', 'Asia/Kolkata', '2022-06-15 00:00Z', 2);

-- Pacific/Auckland (UTC+12, DST UTC+13, east of UTC):
-- 2022-04-03 03:00 -> 02:00 (02:00-02:59 twice), 2022-09-25 02:00 -> 03:00 (02:00-02:59 missing)
SELECT day, pg_temp.fires_on('{"cron_expressions": ["0 * * * *"]}', 'Pacific/Auckland', day) AS hourly
  FROM unnest(ARRAY['2022-04-02', '2022-04-03', '2022-04-04', '2022-09-24', '2022-09-25', '2022-09-26']::date[]) AS day;
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"]}', 'Pacific/Auckland', '2022-04-01 00:00Z', 4);
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"]}', 'Pacific/Auckland', '2022-09-23 00:00Z', 3);
-- day_of_month is the local day: the 1st at 08:00 in Auckland is the last day of the month before in UTC
SELECT * FROM pg_temp.around('{"calendars": [{"hour": 8, "day_of_month": 1}]}', 'Pacific/Auckland', '2022-06-15 00:00Z', 2);

-- US/Pacific, the sample's cases: 02:33:33 is skipped on 2022-03-13,
-- 01:33:33 and 01:44:33 fire twice on 2021-11-07
SELECT * FROM sched.next_times('{"cron_expressions": ["CRON_TZ=US/Pacific 33 33 2 * * * *"]}', '2022-03-12 04:00:00Z', 2);
SELECT * FROM sched.next_times('{"cron_expressions": ["CRON_TZ=US/Pacific 33 33,44 1 * * * *"]}', '2021-11-07 07:15:15Z', 5);

-- a whole day of seconds across a fall-back: 25 hours of them
SELECT count(*) AS seconds FROM sched.next_times('{"calendars": [{"second": "*", "minute": "*", "hour": "*", "day_of_month": 6, "month": 11, "year": 2022}], "time_zone_name": "America/New_York"}', '2022-11-06 00:00Z', 100000);

-- zone names are matched case-insensitively and shown canonically
SELECT z AS given, sched.validate_spec(jsonb_build_object('time_zone_name', z))->>'time_zone_name' AS canonical
  FROM unnest(ARRAY['america/new_york', 'EUROPE/LONDON', 'utc', 'Etc/UTC', 'US/Pacific', '']) AS z;
-- "" and no time_zone_name both mean UTC
SELECT * FROM sched.next_times('{"cron_expressions": ["0 9 * * *"], "time_zone_name": ""}', '2022-06-15 00:00Z', 1);
-- skip calendars use the spec's zone as well
SELECT * FROM pg_temp.around('{"calendars": [{"hour": "8-10"}], "skip": [{"hour": 9}]}', 'Asia/Kolkata', '2022-06-15 00:00Z', 3);
