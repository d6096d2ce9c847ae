-- sched.trigger and sched.backfill with overrides of the action's args and
-- memo, the time that names a trigger's run (Temporal's
-- TriggerImmediatelyRequest scheduled_time), and the variants that say
-- what they did: sched.trigger_immediately and sched.backfill_actions.
SET timezone = 'UTC';

SELECT sched.create_schedule('ovr-1', '{
    "action": {"workflow": "W", "id": "ovr", "task_queue": "ovr-q",
               "args": [1], "memo": {"team": "a"}},
    "spec": {"cron_expressions": ["0 * 1 1 * 2023"]}}');

-- A trigger that names its run: the time, to the second, is the nominal
-- time and the workflow id's suffix; args and memo replace the action's.
SELECT outcome, run_id IS NOT NULL AS has_run, workflow_id, nominal_time
  FROM sched.trigger_immediately('ovr-1', scheduled_time => '2030-05-01 12:00:00.75+00',
                                 args => '["override"]', memo => '{"team": "b"}');
SELECT workflow_id, args, memo, start_kind, nominal_time, scheduled_at, status
  FROM sched.executions WHERE schedule_id = 'ovr-1' ORDER BY nominal_time;

-- The run is open: under skip a second trigger is skipped (no run), under
-- buffer_one it waits in the buffer with its overrides.
SELECT outcome, run_id, workflow_id, nominal_time
  FROM sched.trigger_immediately('ovr-1', scheduled_time => '2030-05-02 00:00+00');
SELECT outcome, run_id, workflow_id, nominal_time
  FROM sched.trigger_immediately('ovr-1', overlap => 'buffer_one',
                                 scheduled_time => '2030-05-03 00:00+00',
                                 args => '["waited"]');
SELECT nominal_time, overlap, start_kind, args, memo FROM sched.buffer
 WHERE schedule_id = 'ovr-1';

-- When the open run closes, the buffered trigger starts with its own args
-- and the action's memo (only args were overridden).
SELECT sched.terminate_workflow('ovr-2030-05-01T12:00:00Z', 'next');
SELECT workflow_id, args, memo, status FROM sched.executions
 WHERE schedule_id = 'ovr-1' ORDER BY nominal_time;
SELECT count(*) AS buffered FROM sched.buffer WHERE schedule_id = 'ovr-1';

-- The same id twice (a trigger naming a time whose run is open) is skipped.
SELECT outcome, run_id FROM sched.trigger_immediately('ovr-1', overlap => 'allow_all',
                                                      scheduled_time => '2030-05-03 00:00+00');

-- sched.trigger keeps returning nothing, with the same new arguments.
SELECT sched.trigger('ovr-1', 'allow_all', '2030-06-01 00:00+00', '[2]', '{"via": "trigger"}');
SELECT workflow_id, args, memo FROM sched.executions
 WHERE schedule_id = 'ovr-1' AND nominal_time = '2030-06-01 00:00+00';

-- Backfills with overrides: each range's args and memo go with its
-- actions, through the buffer (buffer_all) or at once (allow_all).
SELECT sched.terminate_workflow('ovr-2030-05-03T00:00:00Z', 'free');
SELECT sched.terminate_workflow('ovr-2030-06-01T00:00:00Z', 'free');
SELECT * FROM sched.backfill_actions('ovr-1', '[
    {"start_at": "2023-01-01T00:00:00Z", "end_at": "2023-01-01T02:00:00Z",
     "overlap": "buffer_all", "args": ["bf"], "memo": {"range": 1}},
    {"start_at": "2023-01-01T10:00:00Z", "end_at": "2023-01-01T11:00:00Z",
     "overlap": "allow_all", "memo": {"range": 2}},
    {"start_at": "2023-01-01T20:00:00Z", "end_at": "2023-01-01T21:00:00Z"}]');
SELECT nominal_time, args, memo FROM sched.buffer WHERE schedule_id = 'ovr-1' ORDER BY seq;
SELECT workflow_id, args, memo, status FROM sched.executions
 WHERE schedule_id = 'ovr-1' AND start_kind = 'backfill' ORDER BY nominal_time;

-- sched.backfill's count is unchanged; its one-range form takes overrides too.
SELECT sched.backfill('ovr-1', '2023-01-01 05:00+00', '2023-01-01 06:00+00',
                      'allow_all', '["five"]', '{"h": 5}');
SELECT sched.backfill('ovr-1', '[{"start_at": "2023-01-01T07:00:00Z",
                                  "end_at": "2023-01-01T07:00:00Z", "overlap": "allow_all",
                                  "args": ["seven"]}]');
SELECT workflow_id, args, memo FROM sched.executions
 WHERE schedule_id = 'ovr-1' AND nominal_time BETWEEN '2023-01-01 05:00+00' AND '2023-01-01 07:00+00'
 ORDER BY nominal_time;

-- A large allow_all range: every time counted, all started.
SELECT * FROM sched.backfill_actions('ovr-1', '[{"start_at": "2023-01-01T12:00:00Z",
    "end_at": "2023-01-01T19:00:00Z", "overlap": "allow_all"}]');

-- Errors: the same validation and wording as the action's args and memo.
SELECT sched.trigger('ovr-1', args => '{"a": 1}');
SELECT sched.trigger('ovr-1', args => '"x"');
SELECT sched.trigger('ovr-1', memo => '[1]');
SELECT sched.trigger('ovr-1', memo => '7');
SELECT sched.trigger('ovr-1', args => jsonb_build_array(repeat('x', 2 * 1024 * 1024)));
SELECT sched.trigger('ovr-1', scheduled_time => 'infinity');
SELECT sched.trigger('ovr-1', scheduled_time => '1999-12-31 23:59:59+00');
SELECT sched.trigger('ovr-1', scheduled_time => '2101-01-01 00:00+00');
SELECT * FROM sched.trigger_immediately('ovr-1', overlap => 'sometimes');
SELECT * FROM sched.trigger_immediately('ovr-missing');
SELECT * FROM sched.trigger_immediately(NULL);
SELECT sched.backfill('ovr-1', '2023-01-01 00:00+00', '2023-01-01 01:00+00', NULL, '{}');
SELECT sched.backfill('ovr-1', '2023-01-01 00:00+00', '2023-01-01 01:00+00', NULL, NULL, '[]');
SELECT * FROM sched.backfill_actions('ovr-1', '[{"start_at": "2023-01-01T00:00:00Z",
    "end_at": "2023-01-01T01:00:00Z", "args": {"no": "array"}}]');
SELECT * FROM sched.backfill_actions('ovr-1', '[{"start_at": "2023-01-01T00:00:00Z",
    "end_at": "2023-01-01T01:00:00Z", "memo": "text"}]');
SELECT * FROM sched.backfill_actions('ovr-1', '[{"start_at": "2023-01-01T00:00:00Z",
    "end_at": "2023-01-01T01:00:00Z", "argz": []}]');
SELECT * FROM sched.backfill_actions('ovr-missing', '[]');
-- nothing was stored by the refused calls
SELECT count(*) AS runs FROM sched.executions WHERE schedule_id = 'ovr-1';

SELECT sched.delete('ovr-1');
