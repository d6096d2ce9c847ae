-- sched.pause and sched.unpause (SEMANTICS.md 3.2, 4, 5): the note, the
-- conflict token, next_due, next_action_times while paused, and unpause
-- not replaying the paused period.
SET timezone = 'UTC';

CREATE FUNCTION pg_temp.state(id text) RETURNS TABLE (
    paused boolean, note text, next_due timestamptz,
    next_times jsonb) LANGUAGE sql AS $$
    SELECT s.paused, s.note, s.next_due,
           sched.describe(id)->'info'->'next_action_times'
      FROM sched.schedules s WHERE s.schedule_id = id
$$;

-- A schedule that fires at noon on 1 January 2020 and 2099: the 2020 time
-- lies before the creation, so the cursor starts at 2099.
SELECT sched.create_schedule('pa-1', '{
    "action": {"workflow": "W", "id": "pa", "task_queue": "q"},
    "spec": {"cron_expressions": ["0 12 1 1 * 2020,2099"]}}');
SELECT * FROM pg_temp.state('pa-1');
SELECT (sched.describe('pa-1')->>'conflict_token')::bigint AS t0 \gset

-- pause: the default note; next_due NULL (the scheduler forgets it);
-- describe still shows the next times; every change moves the token on.
SELECT sched.pause('pa-1');
SELECT * FROM pg_temp.state('pa-1');
SELECT (sched.describe('pa-1')->>'conflict_token')::bigint AS t1 \gset
SELECT :t1 > :t0 AS token_changed;

-- pausing again changes the note (and the token)
SELECT sched.pause('pa-1', 'maintenance window');
SELECT * FROM pg_temp.state('pa-1');
SELECT (sched.describe('pa-1')->>'conflict_token')::bigint > :t1 AS token_changed;
-- a NULL note means the default note
SELECT sched.pause('pa-1', NULL);
SELECT note FROM sched.schedules WHERE schedule_id = 'pa-1';

-- unpause: the default note, next_due back
SELECT sched.unpause('pa-1');
SELECT * FROM pg_temp.state('pa-1');

-- unpause with a note
SELECT sched.pause('pa-1');
SELECT sched.unpause('pa-1', 'back to work');
SELECT * FROM pg_temp.state('pa-1');
-- unpausing a schedule that is not paused only sets the note
SELECT sched.unpause('pa-1', 'still running');
SELECT * FROM pg_temp.state('pa-1');

-- Unpause does not replay the paused period.  To have a paused period
-- that covers a nominal time without waiting, move the cursor back to
-- 2020 while paused (the scheduler ignores paused schedules): on unpause
-- the cursor restarts after now, nothing starts, nothing counts as missed.
SELECT sched.pause('pa-1');
UPDATE sched.schedules SET next_nominal = '2020-01-01 12:00Z'
 WHERE schedule_id = 'pa-1';
SELECT sched.unpause('pa-1');
SELECT next_nominal, next_due, num_actions,
       num_actions_missed_catchup_window AS missed
  FROM sched.schedules WHERE schedule_id = 'pa-1';
SELECT count(*) AS runs FROM sched.executions WHERE schedule_id = 'pa-1';

-- The contrast: the same cursor on a running schedule is caught up (here
-- by the processing that sched.trigger does first), and the 2020 time,
-- older than the 365-day catch-up window, counts as missed.
BEGIN;
UPDATE sched.schedules SET next_nominal = '2020-01-01 12:00Z',
                           next_due = '2020-01-01 12:00Z'
 WHERE schedule_id = 'pa-1';
SELECT sched.trigger('pa-1');
COMMIT;
SELECT next_nominal, next_due, num_actions,
       num_actions_missed_catchup_window AS missed
  FROM sched.schedules WHERE schedule_id = 'pa-1';

-- While paused, times are neither caught up nor counted: the processing
-- of a trigger on a paused schedule leaves the old cursor alone (and the
-- trigger itself starts: close the first trigger's run, whose workflow id
-- the second one may share within the same second).
SELECT sched.terminate_workflow(workflow_id) FROM sched.executions
 WHERE schedule_id = 'pa-1';
SELECT sched.pause('pa-1');
BEGIN;
UPDATE sched.schedules SET next_nominal = '2020-01-01 12:00Z'
 WHERE schedule_id = 'pa-1';
SELECT sched.trigger('pa-1', 'allow_all');
COMMIT;
SELECT next_nominal, next_due, num_actions,
       num_actions_missed_catchup_window AS missed
  FROM sched.schedules WHERE schedule_id = 'pa-1';
SELECT sched.unpause('pa-1');

-- A paused schedule created paused: next_due NULL from the start, and the
-- next times shown are those after now.
SELECT sched.create_schedule('pa-2', '{
    "action": {"workflow": "W", "id": "pa2", "task_queue": "q"},
    "spec": {"cron_expressions": ["0 12 1 1 * 2020,2099"]},
    "state": {"paused": true, "note": "created paused"}}');
SELECT * FROM pg_temp.state('pa-2');

-- pause_on_failure (SEMANTICS.md 3.3): a run of the schedule that fails
-- pauses it, with a note naming the run and the error; canceled and
-- terminated runs do not; a paused schedule keeps its note.
SELECT sched.create_schedule('pa-f', '{
    "action": {"workflow": "W", "id": "paf", "task_queue": "pa-q"},
    "spec": {"cron_expressions": ["0 * 1 1 * 2023,2099"]},
    "policy": {"overlap": "allow_all", "pause_on_failure": true}}');
SELECT (sched.describe('pa-f')->>'conflict_token')::bigint AS tf \gset
SELECT sched.backfill('pa-f', '2023-01-01 00:00Z', '2023-01-01 03:00Z');
SELECT count(*) AS claimed FROM sched.poll('pa-q', 'w', 10);
SELECT sched.canceled(run_id) FROM sched.executions
 WHERE workflow_id = 'paf-2023-01-01T00:00:00Z';
SELECT sched.terminate_workflow('paf-2023-01-01T01:00:00Z');
SELECT paused, note FROM sched.schedules WHERE schedule_id = 'pa-f';
SELECT sched.fail(run_id, 'disk full') FROM sched.executions
 WHERE workflow_id = 'paf-2023-01-01T02:00:00Z';
SELECT paused, note, next_due FROM sched.schedules WHERE schedule_id = 'pa-f';
SELECT (sched.describe('pa-f')->>'conflict_token')::bigint > :tf AS token_changed;
-- already paused: a second failure leaves the note alone
SELECT sched.fail(run_id, 'again') FROM sched.executions
 WHERE workflow_id = 'paf-2023-01-01T03:00:00Z';
SELECT note FROM sched.schedules WHERE schedule_id = 'pa-f';
-- a note longer than 1000 bytes is cut (on a character boundary)
SELECT sched.unpause('pa-f');
SELECT sched.backfill('pa-f', '2023-01-01 04:00Z', '2023-01-01 04:00Z');
SELECT count(*) AS claimed FROM sched.poll('pa-q', 'w', 10);
SELECT sched.fail(run_id, repeat('é', 600)) FROM sched.executions
 WHERE workflow_id = 'paf-2023-01-01T04:00:00Z';
SELECT paused, octet_length(note) AS bytes, left(note, 62) AS note_start
  FROM sched.schedules WHERE schedule_id = 'pa-f';
-- without pause_on_failure nothing happens
SELECT sched.update('pa-f', '{"policy": {"overlap": "allow_all"},
                              "state": {"note": "fine"}}') > 0 AS ok;
SELECT sched.backfill('pa-f', '2023-01-01 05:00Z', '2023-01-01 05:00Z');
SELECT count(*) AS claimed FROM sched.poll('pa-q', 'w', 10);
SELECT sched.fail(run_id, 'ignored') FROM sched.executions
 WHERE workflow_id = 'paf-2023-01-01T05:00:00Z';
SELECT paused, note FROM sched.schedules WHERE schedule_id = 'pa-f';

-- clean up
SELECT sched.delete('pa-1'), sched.delete('pa-2'), sched.delete('pa-f');
DELETE FROM sched.executions WHERE schedule_id LIKE 'pa-%';
