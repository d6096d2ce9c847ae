-- Catch-up modes (policy.catchup_mode: all, latest, none), catch-up on
-- unpause (sched.unpause(..., catchup => mode)) and the open-run limit
-- (policy.concurrency_limit), README "Catch-up modes" and "At most N open
-- runs".  The clock is the test clock (pg_sched.debug_clock_offset, set so
-- that the schedules' clock reads an explicit instant of 2030, within a
-- second); the scheduler's own clock reads today, when nothing of these
-- schedules is due, so only this session processes them.  Every sched.*
-- call processes its schedule through the one core; sched.backfill(id, '[]')
-- does nothing else.
\i test/sql/include/fixtures.sql
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.at(t timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('pg_sched.debug_clock_offset',
                       round(extract(epoch FROM t - clock_timestamp()))::bigint::text,
                       false);
END $$;
-- an hourly schedule of 2030 with the given policy (its task queue is its id)
CREATE FUNCTION pg_temp.mk(id text, policy jsonb, state jsonb DEFAULT '{}')
    RETURNS text LANGUAGE sql AS $$
    SELECT sched.create_schedule(id, jsonb_build_object(
        'action', jsonb_build_object('workflow', 'W', 'id', id, 'task_queue', id),
        'spec', '{"cron_expressions": ["0 * * * * 2030"]}'::jsonb,
        'policy', policy, 'state', state))
$$;
-- the nominal times (hh:mm) of a schedule's runs, and its counters
CREATE FUNCTION pg_temp.info(id text) RETURNS TABLE (
    runs text[], num_actions int, missed int, skipped int, buffered text[],
    remaining int) LANGUAGE sql AS $$
    SELECT (SELECT array_agg(to_char(nominal_time, 'HH24:MI') ORDER BY nominal_time)
              FROM sched.executions WHERE schedule_id = id),
           (i->>'num_actions')::int,
           (i->>'num_actions_missed_catchup_window')::int,
           (i->>'num_actions_skipped_overlap')::int,
           (SELECT array_agg(to_char(nominal_time, 'HH24:MI') ORDER BY seq)
              FROM sched.buffer WHERE schedule_id = id),
           (d.s->'state'->>'remaining_actions')::int
      FROM (SELECT sched.describe(id)->'info' AS i,
                   sched.describe(id)->'schedule' AS s) d
$$;
CREATE FUNCTION pg_temp.process(id text) RETURNS void LANGUAGE sql AS $$
    SELECT NULL::void FROM sched.backfill(id, '[]')
$$;

-- ---- the policy fields: defaults, canonical form, errors ----
SELECT pg_temp.at('2030-01-01 00:00:30Z');
SELECT pg_temp.mk('cu-default', '{}');
SELECT sched.describe('cu-default')->'schedule'->'policy';
SELECT pg_temp.mk('cu-named', '{"catchup_mode": "LATEST", "concurrency_limit": 3, "overlap": "buffer_all"}');
SELECT sched.describe('cu-named')->'schedule'->'policy';
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"catchup_mode": "one"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"catchup_mode": 1}')$$);
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"concurrency_limit": 0}')$$);
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"concurrency_limit": 1001}')$$);
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"concurrency_limit": 2.5}')$$);
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"concurrency_limit": "2"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"concurrency_limit": 2, "overlap": "allow_all"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"concurrency_limit": 2, "overlap": "cancel_other"}')$$);
SELECT pg_temp.try($$SELECT pg_temp.mk('cu-bad', '{"concurrency_limit": 2, "overlap": "terminate_other"}')$$);
-- limit 1 goes with every policy; update checks the same
SELECT pg_temp.mk('cu-one', '{"concurrency_limit": 1, "overlap": "allow_all"}');
SELECT pg_temp.try($$SELECT sched.update('cu-one', '{"policy": {"overlap": "allow_all", "concurrency_limit": 5}}')$$);
SELECT pg_temp.try($$SELECT sched.unpause('cu-one', NULL, 'sometimes')$$);
SELECT count(*) FROM sched.schedules WHERE schedule_id = 'cu-bad';

-- ---- the modes after an outage: 01:00 to 05:00 are due at 05:30:30 ----
-- allow_all, so that every time that fires starts a run of its own
SELECT pg_temp.mk('cu-all', '{"overlap": "allow_all"}');
SELECT pg_temp.mk('cu-latest', '{"overlap": "allow_all", "catchup_mode": "latest"}');
SELECT pg_temp.mk('cu-none', '{"overlap": "allow_all", "catchup_mode": "none"}');
-- the window still applies: 03:00 is 2 h 30 min late
SELECT pg_temp.mk('cu-all-2h', '{"overlap": "allow_all", "catchup_window": "2 hours"}');
-- the latest late time is older than the window: nothing fires
SELECT pg_temp.mk('cu-latest-20m', '{"overlap": "allow_all", "catchup_mode": "latest", "catchup_window": "20 minutes"}');
-- limited actions: the latest takes one, the missed ones take none
SELECT pg_temp.mk('cu-latest-lim', '{"overlap": "allow_all", "catchup_mode": "latest"}',
                  '{"limited_actions": true, "remaining_actions": 2}');
-- skip under all: one starts, the others meet its open run
SELECT pg_temp.mk('cu-all-skip', '{}');
-- buffer_all under latest: one time enters the buffer, not five
SELECT pg_temp.mk('cu-latest-buf', '{"overlap": "buffer_all", "catchup_mode": "latest"}');
SELECT sched.trigger('cu-latest-buf');
SELECT pg_temp.at('2030-01-01 05:30:30Z');
SELECT pg_temp.process(id) FROM unnest(array['cu-all', 'cu-latest', 'cu-none',
    'cu-all-2h', 'cu-latest-20m', 'cu-latest-lim', 'cu-all-skip', 'cu-latest-buf']) id;
SELECT id, i.* FROM unnest(array['cu-all', 'cu-latest', 'cu-none',
    'cu-all-2h', 'cu-latest-20m', 'cu-latest-lim', 'cu-all-skip']) id,
    pg_temp.info(id) i;
SELECT i.missed, i.buffered, i.num_actions FROM pg_temp.info('cu-latest-buf') i;
-- processing again changes nothing: every due time was decided once
SELECT pg_temp.process(id) FROM unnest(array['cu-all', 'cu-latest', 'cu-none']) id;
SELECT id, i.runs, i.missed FROM unnest(array['cu-all', 'cu-latest', 'cu-none']) id,
    pg_temp.info(id) i;

-- ---- on time: 06:00 processed 5 s late fires in every mode ----
SELECT pg_temp.at('2030-01-01 06:00:05Z');
SELECT pg_temp.process(id) FROM unnest(array['cu-latest', 'cu-none']) id;
SELECT id, i.runs, i.missed FROM unnest(array['cu-latest', 'cu-none']) id,
    pg_temp.info(id) i;
-- a late time followed by an on-time one (latest): the on-time one fires,
-- the late one is missed.  07:00 and 08:00 are due at 08:00:05
SELECT pg_temp.at('2030-01-01 08:00:05Z');
SELECT pg_temp.process('cu-latest');
SELECT i.runs, i.missed FROM pg_temp.info('cu-latest') i;

-- ---- catch-up on unpause ----
-- paused at 08:00:05 (times 09:00 to 12:00 pass), unpaused at 12:30:30
SELECT pg_temp.mk('cu-up-' || m, '{"overlap": "allow_all"}')
  FROM unnest(array['default', 'all', 'latest', 'none', 'over']) m;
SELECT sched.update('cu-up-over', '{"policy": {"overlap": "allow_all", "catchup_mode": "none"}}') > 0;
SELECT sched.pause('cu-up-' || m)
  FROM unnest(array['default', 'all', 'latest', 'none', 'over']) m;
SELECT pg_temp.at('2030-01-01 12:30:30Z');
-- today's signature: the paused period is not replayed, nothing is counted
SELECT sched.unpause('cu-up-default');
SELECT sched.unpause('cu-up-all', 'back', 'all');
SELECT sched.unpause('cu-up-latest', catchup => 'latest');
SELECT sched.unpause('cu-up-none', 'back', 'None');
-- the argument wins over the policy's mode
SELECT sched.unpause('cu-up-over', 'back', 'latest');
SELECT id, i.runs, i.missed FROM unnest(array['cu-up-default', 'cu-up-all',
    'cu-up-latest', 'cu-up-none', 'cu-up-over']) id, pg_temp.info(id) i;
SELECT sched.describe('cu-up-all')->'schedule'->'state'->>'note';
-- the bulk unpause by query takes the same argument (one core)
SELECT pg_temp.at('2030-01-01 12:30:30Z');
SELECT pg_temp.mk('cu-bulk-' || m, '{"overlap": "allow_all"}') FROM unnest(array['a', 'b']) m;
SELECT sched.pause('cu-bulk-' || m) FROM unnest(array['a', 'b']) m;
SELECT pg_temp.at('2030-01-01 15:30:30Z');
SELECT * FROM sched.unpause_schedules('ScheduleId STARTS_WITH ''cu-bulk-''', 'back', 'latest');
SELECT id, i.runs, i.missed FROM unnest(array['cu-bulk-a', 'cu-bulk-b']) id, pg_temp.info(id) i;
SELECT pg_temp.try($$SELECT * FROM sched.unpause_schedules('ScheduleId = ''cu-bulk-a''', NULL, 'one')$$);
SELECT pg_temp.at('2030-01-01 12:30:30Z');
-- unpausing a schedule that is not paused replays nothing
SELECT sched.unpause('cu-up-all', 'again', 'all');
SELECT i.runs, i.missed FROM pg_temp.info('cu-up-all') i;

-- ---- concurrency_limit ----
-- skip, at most 3 open: of five backfilled hours three start, two are skipped
SELECT pg_temp.mk('cu-n-skip', '{"overlap": "skip", "concurrency_limit": 3}');
SELECT sched.backfill('cu-n-skip', '2030-01-01 01:00Z', '2030-01-01 05:00Z');
SELECT i.runs, i.skipped, i.buffered FROM pg_temp.info('cu-n-skip') i;
SELECT jsonb_array_length(sched.describe('cu-n-skip')->'info'->'running_actions');
-- one closes: the next backfilled hour starts beside the two still open
SELECT sched.complete(run_id) FROM sched.poll('cu-n-skip', 'w', 1);
SELECT sched.backfill('cu-n-skip', '2030-01-01 06:00Z', '2030-01-01 07:00Z');
SELECT i.runs, i.skipped FROM pg_temp.info('cu-n-skip') i;
SELECT count(*) FROM sched.executions
 WHERE schedule_id = 'cu-n-skip' AND closed_at IS NULL;
-- buffer_all, at most 2 open: the others wait, and each close starts one
SELECT pg_temp.mk('cu-n-buf', '{"overlap": "buffer_all", "concurrency_limit": 2}');
SELECT sched.backfill('cu-n-buf', '2030-01-01 01:00Z', '2030-01-01 05:00Z');
SELECT i.runs, i.skipped, i.buffered FROM pg_temp.info('cu-n-buf') i;
SELECT sched.complete(run_id) FROM sched.poll('cu-n-buf', 'w', 1);
SELECT i.runs, i.buffered FROM pg_temp.info('cu-n-buf') i;
SELECT sched.fail(run_id, 'boom') FROM sched.poll('cu-n-buf', 'w', 2);
SELECT i.runs, i.buffered FROM pg_temp.info('cu-n-buf') i;
SELECT count(*) FROM sched.executions
 WHERE schedule_id = 'cu-n-buf' AND closed_at IS NULL;
-- buffer_one, at most 2 open: two start, one waits, the rest are skipped
SELECT pg_temp.mk('cu-n-one', '{"overlap": "buffer_one", "concurrency_limit": 2}');
SELECT sched.backfill('cu-n-one', '2030-01-01 01:00Z', '2030-01-01 05:00Z');
SELECT i.runs, i.skipped, i.buffered FROM pg_temp.info('cu-n-one') i;
-- allow_all triggers do not count against the limit, nor meet it
SELECT sched.trigger('cu-n-one', 'allow_all');
SELECT count(*) FILTER (WHERE overlap_tracked) AS tracked,
       count(*) FILTER (WHERE NOT overlap_tracked) AS untracked
  FROM sched.executions WHERE schedule_id = 'cu-n-one';
-- catch-up under the limit: 3 of the 5 due times start, 2 are skipped
SELECT pg_temp.at('2030-01-01 12:30:30Z');
SELECT pg_temp.mk('cu-n-catch', '{"overlap": "skip", "concurrency_limit": 3}');
SELECT pg_temp.at('2030-01-01 17:30:30Z');
SELECT pg_temp.process('cu-n-catch');
SELECT i.runs, i.skipped, i.missed FROM pg_temp.info('cu-n-catch') i;

SELECT count(sched.delete(schedule_id)) FROM sched.schedules
 WHERE schedule_id LIKE 'cu-%';
RESET pg_sched.debug_clock_offset;

-- ---- latest across the per-call budget (1,000,000 late times a call) ----
-- 1,200,000 times of one second each, all late at 2030-02-20: the first
-- call stops after a million and leaves the cursor on the newest late time
-- seen (not counted), the second fires the newest of all
SELECT pg_temp.at('2030-02-01 00:00:00Z');
SELECT sched.create_schedule('cu-big', '{
    "action": {"workflow": "W", "id": "cu-big", "task_queue": "cu-big"},
    "spec": {"intervals": [{"every": 1}], "start_at": "2030-02-01T00:00:01Z",
             "end_at": "2030-02-14T21:20:00Z"},
    "policy": {"overlap": "allow_all", "catchup_mode": "latest"}}');
SELECT pg_temp.at('2030-02-20 00:00:00Z');
SELECT pg_temp.process('cu-big');
SELECT next_nominal, num_actions_missed_catchup_window AS missed,
       (SELECT count(*) FROM sched.executions WHERE schedule_id = 'cu-big') AS runs
  FROM sched.schedules WHERE schedule_id = 'cu-big';
SELECT pg_temp.process('cu-big');
SELECT next_nominal, num_actions_missed_catchup_window AS missed,
       (SELECT array_agg(nominal_time) FROM sched.executions WHERE schedule_id = 'cu-big') AS runs
  FROM sched.schedules WHERE schedule_id = 'cu-big';
SELECT sched.delete('cu-big');

-- ---- sched.explain predicts the modes and the limit ----
SELECT pg_temp.at('2030-01-01 00:00:30Z');
SELECT pg_temp.mk('cu-ex-none', '{"catchup_mode": "none"}');
SELECT pg_temp.mk('cu-ex-latest', '{"catchup_mode": "latest"}');
-- one run open: with limit 1 the next time meets it, with limit 2 it fires
SELECT pg_temp.mk('cu-ex-n', '{"overlap": "skip", "concurrency_limit": 2}');
SELECT pg_temp.mk('cu-ex-1', '{"overlap": "skip"}');
SELECT sched.trigger('cu-ex-n'), sched.trigger('cu-ex-1');
SELECT pg_temp.at('2030-01-01 03:30:30Z');
-- at 03:30:30: none misses 01:00-03:00, latest fires 03:00 only
SELECT id, to_char(nominal_time, 'HH24:MI') AS t, outcome, reason
  FROM unnest(array['cu-ex-none', 'cu-ex-latest', 'cu-ex-n', 'cu-ex-1']) id,
       sched.explain(id, '2030-01-01 01:00Z', '2030-01-01 04:00Z')
 ORDER BY id, nominal_time;
SELECT count(sched.delete(schedule_id)) FROM sched.schedules
 WHERE schedule_id LIKE 'cu-ex-%';
RESET pg_sched.debug_clock_offset;
