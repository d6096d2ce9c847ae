-- Calendars (SEMANTICS.md 1.1) through sched.next_times: ranges, steps,
-- field strings, single integers, defaults, day_of_month AND day_of_week,
-- month ends, leap days and year lists.  Errors are in spec_errors.
SET timezone = 'UTC';

-- defaults: second, minute, hour = 0, the rest all; {} = every day at 00:00:00
SELECT * FROM sched.next_times('{"calendars": [{}]}', '2022-06-15 12:00:00Z', 3);
-- every minute needs minute and hour
SELECT * FROM sched.next_times('{"calendars": [{"minute": "*", "hour": "*"}]}', '2022-06-15 12:00:30Z', 3);
-- every second
SELECT * FROM sched.next_times('{"calendars": [{"second": "*", "minute": "*", "hour": "*"}]}', '2022-06-15 12:59:58Z', 3);

-- ranges: {start, end, step}, inclusive
SELECT * FROM sched.next_times('{"calendars": [{"minute": [{"start": 0, "end": 59, "step": 20}], "hour": [{"start": 9, "end": 10}]}]}', '2022-06-15 00:00:00Z', 7);
-- a missing or smaller end means end = start; step 0 means 1
SELECT * FROM sched.next_times('{"calendars": [{"hour": [{"start": 5, "end": 0}, {"start": 20, "end": 21, "step": 0}]}]}', '2022-06-15 00:00:00Z', 4);
-- a step larger than the range keeps only the start
SELECT * FROM sched.next_times('{"calendars": [{"hour": [{"start": 7, "end": 23, "step": 1000000}]}]}', '2022-06-15 00:00:00Z', 2);
-- a field as a single integer, or as a string in cron field syntax
SELECT * FROM sched.next_times('{"calendars": [{"hour": 7, "minute": "*/20", "day_of_week": "sat,sun"}]}', '2022-06-15 00:00:00Z', 4);
SELECT * FROM sched.next_times('{"calendars": [{"hour": "9-17/4", "day_of_month": "1,15", "month": "jan-mar"}]}', '2022-02-14 00:00:00Z', 4);
-- null is the same as leaving a field out
SELECT * FROM sched.next_times('{"calendars": [{"hour": null, "minute": 30, "comment": null}]}', '2022-06-15 00:00:00Z', 2);
-- duplicated values collapse
SELECT * FROM sched.next_times('{"calendars": [{"hour": [{"start": 3}, {"start": 1, "end": 3}, {"start": 3}]}]}', '2022-06-15 00:00:00Z', 4);

-- day_of_month AND day_of_week: Friday the 13th only
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"calendars": [{"day_of_month": 13, "day_of_week": 5}]}', '2022-01-01 00:00:00Z', 3) AS t;
-- day_of_week on its own: 0 = Sunday ... 6 = Saturday
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"calendars": [{"day_of_week": [{"start": 0}, {"start": 6}]}]}', '2022-06-15 00:00:00Z', 3) AS t;

-- month ends: day 31 skips the shorter months, day 30 skips February
SELECT * FROM sched.next_times('{"calendars": [{"day_of_month": 31}]}', '2022-01-01 00:00:00Z', 4);
SELECT * FROM sched.next_times('{"calendars": [{"day_of_month": 30, "month": "jan-apr"}]}', '2022-01-01 00:00:00Z', 3);
-- leap days: February 29 only in leap years (2100 is not one)
SELECT * FROM sched.next_times('{"calendars": [{"month": 2, "day_of_month": 29}]}', '2022-01-01 00:00:00Z', 3);
SELECT * FROM sched.next_times('{"calendars": [{"month": 2, "day_of_month": 29}]}', '2096-03-01 00:00:00Z', 3);
-- the last hour of February 29 in years where that day is a Monday
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"calendars": [{"month": 2, "day_of_month": 29, "day_of_week": 1, "hour": 23, "minute": [{"start": 0, "end": 59, "step": 30}]}]}', '2000-01-01 00:00:00Z', 7) AS t;

-- year lists: nothing after the last year given
SELECT * FROM sched.next_times('{"calendars": [{"year": [{"start": 2030}, {"start": 2035, "end": 2036}], "month": 6, "day_of_month": 1}]}', '2022-01-01 00:00:00Z', 5);
SELECT * FROM sched.next_times('{"calendars": [{"year": "2025-2100/25", "month": 1, "day_of_month": 1}]}', '2022-01-01 00:00:00Z', 5);
SELECT * FROM sched.next_times('{"calendars": [{"year": 2021, "month": 1, "day_of_month": 1}]}', '2022-01-01 00:00:00Z', 5);

-- several calendars: one union, identical instants only once
SELECT * FROM sched.next_times('{"calendars": [{"hour": [{"start": 5}, {"start": 7}], "minute": 23}, {"hour": "7,11", "minute": 23}, {"hour": 11, "minute": 55}]}', '2022-03-23 03:00:00Z', 5);
-- the sample's single run in a given year
SELECT * FROM sched.next_times('{"calendars": [{"hour": [{"start": 13}], "minute": [{"start": 55}], "day_of_month": [{"start": 7}], "month": [{"start": 4}], "year": [{"start": 2022}]}]}', '2022-03-23 11:00:00Z', 3);
-- after is exclusive: a matching instant equal to after is not returned
SELECT * FROM sched.next_times('{"calendars": [{"hour": 12}]}', '2022-06-15 12:00:00Z', 1);
-- ... and its fraction of a second is dropped
SELECT * FROM sched.next_times('{"calendars": [{"second": "*", "minute": "*", "hour": "*"}]}', '2022-06-15 12:00:00.999999Z', 1);
SELECT * FROM sched.next_times('{"calendars": [{"hour": 12}]}', '2022-06-15 11:59:59.999999Z', 1);
-- count 0: no rows; the default count is 10
SELECT count(*) FROM sched.next_times('{"calendars": [{}]}', '2022-06-15 00:00:00Z', 0);
SELECT count(*) FROM sched.next_times('{"calendars": [{}]}', '2022-06-15 00:00:00Z');
-- after defaults to now(): the times are in the future
SELECT count(*), bool_and(t > now()) AS all_future FROM sched.next_times('{"calendars": [{"minute": "*", "hour": "*"}]}') AS t;
-- an empty spec never fires
SELECT count(*) FROM sched.next_times('{}', '2022-06-15 00:00:00Z', 5);
SELECT count(*) FROM sched.next_times('{"calendars": [], "cron_expressions": [], "intervals": []}', '2022-06-15 00:00:00Z', 5);
