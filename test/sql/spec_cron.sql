-- Cron expressions (SEMANTICS.md 1.2) through sched.next_times and
-- sched.validate_spec: field counts, field syntax, names, shorthands,
-- @every, comments and zone prefixes.  Errors are in spec_errors.
SET timezone = 'UTC';

-- 5 fields: minute hour day_of_month month day_of_week
SELECT * FROM sched.next_times('{"cron_expressions": ["*/15 * * * *"]}', '2022-06-15 10:07:00Z', 4);
-- lists and ranges
SELECT * FROM sched.next_times('{"cron_expressions": ["5,10-12 6 * * *"]}', '2022-06-15 00:00:00Z', 5);
-- x-z/y and x/y (x to the field's maximum)
SELECT * FROM sched.next_times('{"cron_expressions": ["0-30/10 9 * * *"]}', '2022-06-15 00:00:00Z', 5);
SELECT * FROM sched.next_times('{"cron_expressions": ["50/4 9 * * *"]}', '2022-06-15 00:00:00Z', 4);
-- 6 fields: the sixth is the year (not seconds); nothing after the last year
SELECT * FROM sched.next_times('{"cron_expressions": ["30 12 1 1 * 2030,2032"]}', '2022-06-15 00:00:00Z', 5);
-- 7 fields: second minute hour day_of_month month day_of_week year
SELECT * FROM sched.next_times('{"cron_expressions": ["*/20 30 9 * * * *"]}', '2022-06-15 00:00:00Z', 4);
SELECT * FROM sched.next_times('{"cron_expressions": ["0 0 0 29 2 * 2023-2030"]}', '2022-01-01 00:00:00Z', 3);

-- month names by a prefix of 3+ letters, case-insensitive, also in ranges
SELECT * FROM sched.next_times('{"cron_expressions": ["0 0 1 jan,Jul,SEPT *"]}', '2022-02-01 00:00:00Z', 4);
SELECT * FROM sched.next_times('{"cron_expressions": ["0 0 1 Oct-December *"]}', '2022-02-01 00:00:00Z', 4);
-- day names by a prefix of 2+ letters; 2022-06-15 is a Wednesday
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 9 * * mo-TUES,fr"]}', '2022-06-15 00:00:00Z', 4) AS t;
-- 7 is Sunday too: alone, and ending a range (5-7 = Fri, Sat, Sun)
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 12 * * 7"]}', '2022-06-15 00:00:00Z', 2) AS t;
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 0 * * 5-7"]}', '2022-06-15 00:00:00Z', 4) AS t;
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 0 * * fri-sun"]}', '2022-06-15 00:00:00Z', 4) AS t;
-- day_of_month AND day_of_week (not cron's OR): Friday the 13th only
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 0 13 * fri"]}', '2022-01-01 00:00:00Z', 3) AS t;
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"cron_expressions": ["0 0 */10 * mon"]}', '2022-01-01 00:00:00Z', 3) AS t;

-- shorthands, as validate_spec shows them
SELECT s AS shorthand, sched.validate_spec(jsonb_build_object('cron_expressions', jsonb_build_array(s)))->'calendars' AS calendars
  FROM unnest(ARRAY['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@DAILY']) AS s;
-- 2022-06-15 is a Wednesday: @weekly fires on Sunday at midnight
SELECT * FROM sched.next_times('{"cron_expressions": ["@weekly"]}', '2022-06-15 00:00:00Z', 2);
SELECT * FROM sched.next_times('{"cron_expressions": ["@yearly"]}', '2022-06-15 00:00:00Z', 2);
SELECT * FROM sched.next_times('{"cron_expressions": ["@hourly"]}', '2022-06-15 10:00:00Z', 2);

-- @every: an interval from the Unix epoch (1.3), with an optional offset
SELECT * FROM sched.next_times('{"cron_expressions": ["@every 90m"]}', '2022-03-23 12:53:02Z', 3);
SELECT * FROM sched.next_times('{"cron_expressions": ["@every 1h30m/5m44s"]}', '2022-03-23 12:53:02Z', 3);
SELECT * FROM sched.next_times('{"cron_expressions": ["@every 14h/3h"]}', '2022-03-23 00:00:00Z', 3);
SELECT * FROM sched.next_times('{"cron_expressions": ["@every 5d"]}', '2022-03-23 00:00:00Z', 2);
SELECT * FROM sched.next_times('{"cron_expressions": ["@every 1.5h"]}', '2022-03-23 00:00:00Z', 2);
SELECT sched.validate_spec('{"cron_expressions": ["@every 90m", "@every 1d/1h", "@every 45s"]}')->'intervals' AS intervals;

-- a "#" after white space starts a comment, kept as the calendar's comment
SELECT sched.validate_spec('{"cron_expressions": ["0 9 * * mon-fri # stand-up meeting"]}')->'calendars'->0->'comment' AS comment;
SELECT sched.validate_spec('{"cron_expressions": ["@daily #nightly"]}')->'calendars'->0->'comment' AS comment;
-- white space around and between fields is trimmed
SELECT * FROM sched.next_times(E'{"cron_expressions": ["  0\\t9   * * *\\n"]}', '2022-06-15 00:00:00Z', 1);

-- zone prefixes: the fields are read on that zone's wall clock
SELECT t, t AT TIME ZONE 'Asia/Kolkata' AS local
  FROM sched.next_times('{"cron_expressions": ["TZ=Asia/Kolkata 30 9 * * *"]}', '2022-06-15 00:00:00Z', 2) AS t;
SELECT t, t AT TIME ZONE 'America/New_York' AS local
  FROM sched.next_times('{"cron_expressions": ["CRON_TZ=America/New_York 0 9 * * *"]}', '2022-06-15 00:00:00Z', 2) AS t;
-- ... and the zone moves into time_zone_name (canonical spelling)
SELECT sched.validate_spec('{"cron_expressions": ["CRON_TZ=america/new_york 0 9 * * *"]}')->'time_zone_name' AS zone;
-- strings that agree with each other and with time_zone_name
SELECT sched.validate_spec('{"cron_expressions": ["TZ=Europe/London 0 9 * * *", "CRON_TZ=europe/london 0 17 * * *"], "time_zone_name": "Europe/London"}')->'time_zone_name' AS zone;
-- without a prefix a string uses time_zone_name
SELECT t, t AT TIME ZONE 'Asia/Tokyo' AS local
  FROM sched.next_times('{"cron_expressions": ["0 9 * * *"], "time_zone_name": "Asia/Tokyo"}', '2022-06-15 00:00:00Z', 2) AS t;
-- a prefix on @every is ignored: intervals are UTC
SELECT sched.validate_spec('{"cron_expressions": ["TZ=Asia/Kolkata @every 1h"]}');
SELECT * FROM sched.next_times('{"cron_expressions": ["TZ=Asia/Kolkata @every 1h"]}', '2022-06-15 00:10:00Z', 2);
-- ... so entirely that even an unknown zone there is not looked up
SELECT sched.validate_spec('{"cron_expressions": ["TZ=Mars/Olympus @every 1h"]}')->'intervals' AS intervals;

-- several strings: one union, identical instants only once
SELECT * FROM sched.next_times('{"cron_expressions": ["0 9 * * *", "0 9 * * mon", "0 9,10 15 6 *"]}', '2022-06-15 00:00:00Z', 4);
-- cron strings and calendars together
SELECT * FROM sched.next_times('{"calendars": [{"hour": [{"start": 5}, {"start": 7}], "minute": [{"start": 23}]}], "cron_expressions": ["55 11,13 * * *"]}', '2022-03-23 03:00:00Z', 5);
