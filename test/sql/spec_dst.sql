-- Per-spec DST policy (issue 14, temporal #8205): "dst": {"repeated":
-- "both" | "first" | "second", "skipped": "skip" | "next_valid"}.  The
-- default (both, skip) is SEMANTICS.md 1.6, unchanged (spec_tz.sql).
-- Zones west and east of UTC and Lord_Howe's 30-minute shift.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.around(spec jsonb, zone text, after timestamptz, n integer)
RETURNS TABLE (utc timestamptz, local timestamp, utc_offset interval)
LANGUAGE sql AS $$
    SELECT t, t AT TIME ZONE zone, (t AT TIME ZONE zone) - (t AT TIME ZONE 'UTC')
      FROM sched.next_times(spec || jsonb_build_object('time_zone_name', zone), after, n) AS t
$$;
CREATE FUNCTION pg_temp.fires_on(spec jsonb, zone text, day date) RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*)
      FROM sched.next_times(spec || jsonb_build_object('time_zone_name', zone),
                            (day::timestamp AT TIME ZONE zone) - interval '1 day', 200) AS t
     WHERE (t AT TIME ZONE zone)::date = day
$$;

-- America/New_York: 2022-11-06 02:00 EDT -> 01:00 EST; 2022-03-13 02:00 EST -> 03:00 EDT
-- repeated: both (default) fires 01:30 twice, first once (EDT), second once (EST)
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 1 * * *"]}', 'America/New_York', '2022-11-05 12:00Z', 2);
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 1 * * *"], "dst": {"repeated": "first"}}', 'America/New_York', '2022-11-05 12:00Z', 2);
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 1 * * *"], "dst": {"repeated": "second"}}', 'America/New_York', '2022-11-05 12:00Z', 2);
-- an hourly cron on fall-back day: 25 actions, or 24 with first or second
SELECT policy, pg_temp.fires_on(jsonb_build_object('cron_expressions', jsonb_build_array('0 * * * *'), 'dst', jsonb_build_object('repeated', policy)),
                                'America/New_York', '2022-11-06') AS hourly
  FROM unnest(ARRAY['both', 'first', 'second']) AS policy;
-- skipped: skip (default) drops 02:30 on 2022-03-13; next_valid fires it at 03:00 EDT
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"]}', 'America/New_York', '2022-03-12 12:00Z', 2);
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"], "dst": {"skipped": "next_valid"}}', 'America/New_York', '2022-03-12 12:00Z', 2);
-- several times in one gap collapse into the one instant after it (never a double action)
SELECT * FROM pg_temp.around('{"cron_expressions": ["*/20 2-3 * * *"], "dst": {"skipped": "next_valid"}}', 'America/New_York', '2022-03-13 06:00Z', 4);
-- hourly at :30 on spring-forward day: 23 actions, 24 with next_valid (02:30 at 03:00);
-- hourly at :00 stays at 23, as 02:00 moves to 03:00, which fires anyway (one action)
SELECT policy, pg_temp.fires_on(jsonb_build_object('cron_expressions', jsonb_build_array('30 * * * *'), 'dst', jsonb_build_object('skipped', policy)),
                                'America/New_York', '2022-03-13') AS hourly
  FROM unnest(ARRAY['skip', 'next_valid']) AS policy;
SELECT pg_temp.fires_on('{"cron_expressions": ["0 * * * *"], "dst": {"skipped": "next_valid"}}', 'America/New_York', '2022-03-13') AS hourly_on_the_hour;

-- Europe/Berlin (east of UTC): 2022-10-30 03:00 CEST -> 02:00 CET; 2022-03-27 02:00 CET -> 03:00 CEST
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"], "dst": {"repeated": "first"}}', 'Europe/Berlin', '2022-10-29 12:00Z', 2);
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"], "dst": {"repeated": "second"}}', 'Europe/Berlin', '2022-10-29 12:00Z', 2);
SELECT * FROM pg_temp.around('{"cron_expressions": ["30 2 * * *"], "dst": {"skipped": "next_valid"}}', 'Europe/Berlin', '2022-03-26 12:00Z', 2);

-- Australia/Lord_Howe (30-minute shift): 2022-04-03 02:00 +11 -> 01:30 +10:30; 2022-10-02 02:00 +10:30 -> 02:30 +11
SELECT * FROM pg_temp.around('{"cron_expressions": ["45 1 * * *"]}', 'Australia/Lord_Howe', '2022-04-02 00:00Z', 3);
SELECT * FROM pg_temp.around('{"cron_expressions": ["45 1 * * *"], "dst": {"repeated": "first"}}', 'Australia/Lord_Howe', '2022-04-02 00:00Z', 2);
SELECT * FROM pg_temp.around('{"cron_expressions": ["45 1 * * *"], "dst": {"repeated": "second"}}', 'Australia/Lord_Howe', '2022-04-02 00:00Z', 2);
SELECT * FROM pg_temp.around('{"cron_expressions": ["15 2 * * *"], "dst": {"skipped": "next_valid"}}', 'Australia/Lord_Howe', '2022-10-01 00:00Z', 2);

-- intervals are UTC and never see a transition: the policy changes nothing for them
SELECT * FROM pg_temp.around('{"intervals": [{"every": "1 hour"}], "dst": {"repeated": "first", "skipped": "next_valid"}}', 'America/New_York', '2022-11-06 04:30Z', 3);

-- canonical form: dst only when not the default, with both keys; a fixed point
SELECT sched.validate_spec('{"cron_expressions": ["0 1 * * *"], "dst": {"repeated": "first"}}');
SELECT sched.validate_spec('{"cron_expressions": ["0 1 * * *"], "dst": {"repeated": "both", "skipped": "skip"}}') ? 'dst' AS shows_default;
SELECT sched.validate_spec(sched.validate_spec('{"dst": {"skipped": "next_valid"}}')) = sched.validate_spec('{"dst": {"skipped": "next_valid"}}') AS fixed_point;

-- mistakes: 22023 naming the field and the value
DO $$
DECLARE
    s jsonb;
    msg text; hnt text;
BEGIN
    FOREACH s IN ARRAY ARRAY['{"dst": {"repeated": "last"}}', '{"dst": {"skipped": "shift"}}',
                             '{"dst": {"repeat": "first"}}', '{"dst": "first"}', '{"dst": {"repeated": 1}}']::jsonb[] LOOP
        BEGIN
            PERFORM sched.validate_spec(s);
            RAISE NOTICE 'accepted %', s;
        EXCEPTION WHEN invalid_parameter_value THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hnt = PG_EXCEPTION_HINT;
            RAISE NOTICE '22023: % [%]', msg, hnt;
        END;
    END LOOP;
END $$;

-- a schedule keeps its policy: describe shows it
SELECT sched.create_schedule('dst-sched', '{"spec": {"cron_expressions": ["30 1 * * *"], "time_zone_name": "America/New_York", "dst": {"repeated": "first"}},
   "action": {"workflow": "w", "id": "dst", "task_queue": "dst-q"}}');
SELECT sched.describe('dst-sched') #> '{schedule,spec,dst}' AS dst;
