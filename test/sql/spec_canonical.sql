-- sched.validate_spec: the canonical spec.  Cron strings become calendars
-- or intervals, the zone moves into time_zone_name, field values become
-- normalised ranges, durations ISO 8601 and times RFC 3339 UTC.  The
-- canonical form is a fixed point and describes the same times.
SET timezone = 'UTC';

-- the empty spec: the three lists and the zone are always there
SELECT sched.validate_spec('{}');
-- null is the same as a missing key, at every level
SELECT sched.validate_spec('{"calendars": null, "cron_expressions": null, "intervals": null, "skip": null, "start_at": null, "end_at": null, "jitter": null, "time_zone_name": null}');
SELECT sched.validate_spec('{"calendars": [{"second": null, "minute": null, "hour": null, "day_of_month": null, "month": null, "day_of_week": null, "year": null, "comment": null}]}')
     = sched.validate_spec('{"calendars": [{}]}') AS same;

-- a calendar shows every field but year as a list of ranges: single values
-- {start}, runs {start, end}, progressions of 3 or more {start, end, step}
SELECT jsonb_pretty(sched.validate_spec('{"calendars": [{"second": "*/15", "minute": "0,1,2,3,30,45", "hour": [{"start": 9, "end": 17, "step": 4}, {"start": 20}], "day_of_month": "1,15", "month": "jan-mar,jun,sep,dec", "day_of_week": "mon-fri", "comment": "a comment"}]}'));
-- year only when not every year 2000-2100
SELECT sched.validate_spec('{"calendars": [{"year": "*"}]}')->'calendars'->0 ? 'year' AS has_year;
SELECT sched.validate_spec('{"calendars": [{"year": "2000-2099"}]}')->'calendars'->0->'year' AS year;
SELECT sched.validate_spec('{"calendars": [{"year": [{"start": 2030}, {"start": 2040}, {"start": 2050}, {"start": 2051}]}]}')->'calendars'->0->'year' AS year;
-- day_of_week 7 is Sunday, shown as 0
SELECT sched.validate_spec('{"cron_expressions": ["0 0 * * 5-7"]}')->'calendars'->0->'day_of_week' AS day_of_week;
-- a step that is larger than the range, or ends early, is normalised
SELECT (sched.validate_spec('{"calendars": [{"minute": [{"start": 10, "end": 59, "step": 20}], "hour": [{"start": 5, "end": 6, "step": 7}]}]}')->'calendars'->0)
       - '{second, day_of_month, month, day_of_week}'::text[] AS calendar;

-- a cron string: its calendar, its comment, its zone
SELECT jsonb_pretty(sched.validate_spec('{"cron_expressions": ["CRON_TZ=europe/london 30 9 * * mon-fri # weekdays"]}'));
-- 7 fields with a year
SELECT sched.validate_spec('{"cron_expressions": ["15 30 9 1 1 * 2025-2027"]}')->'calendars';
-- @every turns into an interval
SELECT sched.validate_spec('{"cron_expressions": ["@every 36h/90m"]}')->'intervals';

-- durations in ISO 8601, days of 24 hours, milliseconds for jitter
SELECT d AS given, sched.validate_spec(jsonb_build_object('jitter', d))->>'jitter' AS jitter
  FROM jsonb_array_elements('[0.5, 0.001, 1.25, 59, 60, 61, 3599.999, 3600, 86399, 86400, 90061.5, "1 day 2 hours 3 minutes 4.5 seconds", "P1W", "PT36H"]') AS d;
-- a jitter of 0 is no jitter
SELECT sched.validate_spec('{"jitter": 0}') ? 'jitter' AS has_jitter;
-- intervals always show their offset
SELECT sched.validate_spec('{"intervals": [{"every": 60}, {"every": "1 day", "offset": "12 hours"}]}')->'intervals';

-- times in RFC 3339 UTC
SELECT sched.validate_spec('{"start_at": "2022-03-23T14:00:00+02:00", "end_at": "2022-03-23 07:30:00-05:30"}');
SELECT sched.validate_spec('{"start_at": "2022-03-23t12:00:00z"}')->>'start_at' AS start_at;

-- the zone: canonical spelling; UTC when not set
SELECT sched.validate_spec('{"time_zone_name": "asia/kolkata"}')->>'time_zone_name' AS zone;
SELECT sched.validate_spec('{"cron_expressions": ["TZ=Asia/Kolkata 0 9 * * *"], "time_zone_name": "ASIA/KOLKATA"}')->>'time_zone_name' AS zone;

-- order is kept: calendars, then cron calendars; intervals, then @every
SELECT jsonb_path_query_array(sched.validate_spec('{"calendars": [{"hour": 1}, {"hour": 2}], "cron_expressions": ["0 3 * * *", "@every 2h", "0 4 * * *"], "intervals": [{"every": 60}]}'),
                              '$.calendars[*].hour[0].start') AS calendar_hours,
       jsonb_path_query_array(sched.validate_spec('{"calendars": [{"hour": 1}, {"hour": 2}], "cron_expressions": ["0 3 * * *", "@every 2h", "0 4 * * *"], "intervals": [{"every": 60}]}'),
                              '$.intervals[*].every') AS intervals;

-- skip calendars have the calendar shape
SELECT sched.validate_spec('{"skip": [{"month": 12, "day_of_month": 25, "hour": "*", "minute": "*", "second": "*", "comment": "Christmas"}]}')->'skip';

-- the fixed point, and the same times, over a range of specs
CREATE TEMP TABLE specs (spec jsonb);
INSERT INTO specs VALUES
    ('{}'),
    ('{"calendars": [{}]}'),
    ('{"cron_expressions": ["*/15 * * * *"]}'),
    ('{"cron_expressions": ["0 9 * * mon-fri # weekdays", "@every 90m/7m"], "jitter": "1.5 s"}'),
    ('{"cron_expressions": ["CRON_TZ=America/New_York 30 2 * * *"]}'),
    ('{"cron_expressions": ["0 0 0 29 2 * 2023-2030", "@yearly", "@weekly"]}'),
    ('{"calendars": [{"second": "*/7", "minute": "1-59/3", "hour": "0-22/2", "day_of_month": "1-31/3", "month": "1-11/2", "day_of_week": "0,3-6"}]}'),
    ('{"calendars": [{"year": [{"start": 2025}, {"start": 2030, "end": 2040, "step": 5}], "month": 6}], "time_zone_name": "Australia/Lord_Howe"}'),
    ('{"intervals": [{"every": "PT1H30M", "offset": "PT5M44S"}, {"every": 86400}], "start_at": "2022-03-23T12:00:00.5Z", "end_at": "2030-01-01T00:00:00.9+01:00"}'),
    ('{"cron_expressions": ["@hourly"], "skip": [{"day_of_week": "sat,sun", "hour": "*", "minute": "*", "second": "*"}], "time_zone_name": "Pacific/Auckland"}'),
    ('{"calendars": [{"minute": "*", "hour": "*", "comment": "every minute"}], "skip": [{"minute": "*/2", "hour": "*"}], "jitter": 30}');
SELECT count(*) AS specs,
       count(*) FILTER (WHERE sched.validate_spec(sched.validate_spec(spec)) = sched.validate_spec(spec)) AS fixed_points,
       count(*) FILTER (WHERE ARRAY(SELECT sched.next_times(spec, '2022-03-01Z', 50))
                            = ARRAY(SELECT sched.next_times(sched.validate_spec(spec), '2022-03-01Z', 50))) AS same_times
  FROM specs;
-- and the canonical text itself does not change on a second pass
SELECT count(*) FILTER (WHERE sched.validate_spec(sched.validate_spec(spec))::text = sched.validate_spec(spec)::text) AS same_text
  FROM specs;
