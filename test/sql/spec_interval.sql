-- Intervals (SEMANTICS.md 1.3): every instant epoch + n * every + offset,
-- in UTC whatever the spec's zone.  Durations as a number of seconds,
-- PostgreSQL interval text or ISO 8601.  Errors are in spec_errors.
SET timezone = 'UTC';

-- the sample's cases: every 90 minutes, with and without an offset
SELECT * FROM sched.next_times('{"intervals": [{"every": "PT1H30M"}]}', '2022-03-23 12:53:02Z', 4);
SELECT * FROM sched.next_times('{"intervals": [{"every": "PT1H30M", "offset": "PT5M44S"}]}', '2022-03-23 12:53:02Z', 4);
SELECT * FROM sched.next_times('{"intervals": [{"every": "PT1H30M", "offset": "PT5M44S"}, {"every": "PT2H37M", "offset": "PT22M11S"}]}', '2022-03-23 12:53:02Z', 7);

-- the same duration in every accepted form
SELECT d AS every, sched.validate_spec(jsonb_build_object('intervals', jsonb_build_array(jsonb_build_object('every', d))))->'intervals'->0->>'every' AS canonical
  FROM jsonb_array_elements('[5400, 5400.0, "5400", "90 minutes", "1 hour 30 minutes", "1.5 hours", "01:30:00", "1h 30m", "@ 90 mins", "PT1H30M", "PT90M", "PT5400S", "PT1.5H"]') AS d;
-- days are 24 hours; weeks are 7 days
SELECT d AS every, sched.validate_spec(jsonb_build_object('intervals', jsonb_build_array(jsonb_build_object('every', d))))->'intervals'->0->>'every' AS canonical
  FROM jsonb_array_elements('["1 day", "P1D", "86400", "36 hours", "P1DT12H", "1 week", "P2W", "1 day -1 hour", "1 second", 1]') AS d;

-- every 1 day fires at 00:00 UTC, even in another zone; 7 days lands on Thursdays
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 day"}], "time_zone_name": "America/New_York"}', '2022-06-15 12:00:00Z', 2);
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"intervals": [{"every": "7 days"}]}', '2022-06-15 12:00:00Z', 2) AS t;
SELECT t, to_char(t, 'Dy') AS day FROM sched.next_times('{"intervals": [{"every": "7 days", "offset": "4 days 9 hours"}]}', '2022-06-15 12:00:00Z', 2) AS t;
-- every second, and an offset of every - 1 second
SELECT * FROM sched.next_times('{"intervals": [{"every": 1}]}', '2022-06-15 12:00:00Z', 3);
SELECT * FROM sched.next_times('{"intervals": [{"every": 60, "offset": 59}]}', '2022-06-15 12:00:00Z', 3);
-- the offset's default is 0; null means not given
SELECT * FROM sched.next_times('{"intervals": [{"every": "15 minutes", "offset": null}]}', '2022-06-15 12:00:00Z', 2);
-- an interval that does not divide a day drifts against the clock
SELECT * FROM sched.next_times('{"intervals": [{"every": "7 hours"}]}', '2022-06-15 00:00:00Z', 4);
-- long intervals: every 100 days from the epoch
SELECT * FROM sched.next_times('{"intervals": [{"every": "100 days", "offset": "12 hours"}]}', '2022-06-15 00:00:00Z', 2);
-- several intervals: one union, identical instants only once
SELECT * FROM sched.next_times('{"intervals": [{"every": "1 hour"}, {"every": "30 minutes"}, {"every": "20 minutes"}]}', '2022-06-15 12:00:00Z', 6);
-- after is exclusive: an instant equal to after is not returned
SELECT * FROM sched.next_times('{"intervals": [{"every": 3600}]}', '2022-06-15 12:00:00Z', 1);
-- intervals and calendars together
SELECT * FROM sched.next_times('{"calendars": [{"hour": [{"start": 11}, {"start": 13}], "minute": [{"start": 55}]}], "intervals": [{"every": "PT1H30M", "offset": "PT7M"}]}', '2022-03-23 10:00:00Z', 6);
-- before 1970: the epoch alignment holds backwards too
SELECT * FROM sched.next_times('{"intervals": [{"every": "7 hours", "offset": "1 hour"}]}', '1969-12-31 12:00:00Z', 3);
