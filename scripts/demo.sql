-- The quick start's demonstration (scripts/quickstart.sh runs it with psql).
-- sched.next_times(spec, after, count) returns a spec's next nominal fire
-- times strictly after "after".  Each spec below starts from a fixed instant
-- chosen to show one rule; the times are shown in UTC and on the wall clock of
-- the spec's time zone.
\pset footer off
SET timezone = 'UTC';

WITH demo(n, what, zone, after, count, spec) AS (VALUES
	(1, 'weekdays 09:00 New York (DST starts Mar 10)', 'America/New_York',
	 timestamptz '2024-03-07 12:00Z', 4,
	 '{"cron_expressions": ["CRON_TZ=America/New_York 0 9 * * mon-fri"]}'),
	(2, 'every 90 minutes, offset 15 minutes', 'UTC',
	 timestamptz '2024-01-01 00:00Z', 4,
	 '{"intervals": [{"every": "90 minutes", "offset": "15 minutes"}]}'),
	(3, 'daily 01:30 London: gap, no fire Mar 31', 'Europe/London',
	 timestamptz '2024-03-29 00:00Z', 3,
	 '{"cron_expressions": ["30 1 * * *"], "time_zone_name": "Europe/London"}'),
	(4, 'daily 01:30 London: overlap, fires twice', 'Europe/London',
	 timestamptz '2024-10-26 12:00Z', 3,
	 '{"cron_expressions": ["30 1 * * *"], "time_zone_name": "Europe/London"}'),
	(5, 'last Friday of the month, 17:00 London', 'Europe/London',
	 timestamptz '2036-01-01 00:00Z', 4,
	 '{"time_zone_name": "Europe/London",
	   "calendars": [
	     {"month": "jan,mar,may,jul,aug,oct,dec", "day_of_month": "25-31", "day_of_week": "fri", "hour": 17},
	     {"month": "apr,jun,sep,nov", "day_of_month": "24-30", "day_of_week": "fri", "hour": 17},
	     {"month": "feb", "day_of_month": "22-29", "day_of_week": "fri", "hour": 17}],
	   "skip": [{"comment": "Feb 22 is not the last Friday in leap years",
	             "year": "2000/4", "month": 2, "day_of_month": 22, "hour": 17}]}'),
	(6, 'last hour of Feb 29 when it is a Monday', 'UTC',
	 timestamptz '2024-01-01 00:00Z', 3,
	 '{"calendars": [{"month": 2, "day_of_month": 29, "day_of_week": "mon", "hour": 23, "minute": "*"}]}')
)
SELECT CASE WHEN row_number() OVER w = 1 THEN d.what ELSE '' END AS spec,
	   CASE WHEN row_number() OVER w = 1 THEN to_char(d.after, 'YYYY-MM-DD HH24:MI"Z"') ELSE '' END AS after,
	   to_char(t, 'YYYY-MM-DD HH24:MI:SS"Z"') AS "fires at (UTC)",
	   to_char(t AT TIME ZONE d.zone, 'Dy YYYY-MM-DD HH24:MI') AS "local time",
	   d.zone AS "time zone"
FROM demo d, LATERAL sched.next_times(d.spec::jsonb, d.after, d.count) AS t
WINDOW w AS (PARTITION BY d.n ORDER BY t)
ORDER BY d.n, t;
