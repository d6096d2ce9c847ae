/*
 * 20_schedules.sql: the SQL functions of schedules (SEMANTICS.md 5 and 9).
 *
 * All are C functions in schedule_api.c.  None is STRICT: a NULL schedule
 * id or required argument is an error (SQLSTATE 22023) rather than a
 * silent no-op, and a NULL optional argument means its default.  They
 * change data, so they are VOLATILE; describe and list read the clock.
 */

CREATE FUNCTION sched.create_schedule(schedule_id text,
									  schedule jsonb,
									  trigger_immediately boolean DEFAULT false,
									  backfill jsonb DEFAULT '[]',
									  memo jsonb DEFAULT NULL,
									  search_attributes jsonb DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'sched_create_schedule'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.create_schedule(text, jsonb, boolean, jsonb, jsonb, jsonb) IS
'Creates a schedule from {"action", "spec", "policy", "state"}; trigger_immediately starts one action now, backfill takes [{"start_at", "end_at", "overlap"}], search_attributes {"name": value} of registered attributes; returns the id';

CREATE FUNCTION sched.describe(schedule_id text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sched_describe'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.describe(text) IS
'The canonical schedule document, its info (counters, running, recent and next actions), memo and conflict token';

CREATE FUNCTION sched.list_schedules()
RETURNS TABLE (schedule_id text, workflow text, paused boolean, note text,
			   spec jsonb, recent_actions jsonb,
			   next_action_times timestamptz[], memo jsonb)
AS 'MODULE_PATHNAME', 'sched_list_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.list_schedules() IS
'Every schedule with its spec, workflow type, pause state, last 5 actions and next 5 action times';

CREATE FUNCTION sched.pause(schedule_id text,
							note text DEFAULT 'Paused via SQL')
RETURNS void
AS 'MODULE_PATHNAME', 'sched_pause'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.pause(text, text) IS
'Pauses a schedule with a note: its times pass without actions and without being counted as missed';

CREATE FUNCTION sched.unpause(schedule_id text,
							  note text DEFAULT 'Unpaused via SQL',
							  catchup text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_unpause'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.unpause(text, text, text) IS
'Unpauses a schedule with a note; the paused period is not replayed, unless catchup names a catch-up mode (all, latest, none) to replay it with';

CREATE FUNCTION sched.trigger(schedule_id text, overlap text DEFAULT NULL,
							  scheduled_time timestamptz DEFAULT NULL,
							  args jsonb DEFAULT NULL,
							  memo jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_trigger'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.trigger(text, text, timestamptz, jsonb, jsonb) IS
'One action now under the given overlap policy (default the schedule''s), also while paused or out of remaining actions; scheduled_time names the run (default now), args and memo replace the action''s';

CREATE FUNCTION sched.trigger_immediately(schedule_id text,
										  overlap text DEFAULT NULL,
										  scheduled_time timestamptz DEFAULT NULL,
										  args jsonb DEFAULT NULL,
										  memo jsonb DEFAULT NULL)
RETURNS TABLE (outcome text, run_id uuid, workflow_id text,
			   nominal_time timestamptz)
AS 'MODULE_PATHNAME', 'sched_trigger_immediately'
LANGUAGE C VOLATILE ROWS 1;

COMMENT ON FUNCTION sched.trigger_immediately(text, text, timestamptz, jsonb, jsonb) IS
'sched.trigger that says what it did: outcome started (with the run), buffered or skipped, and the nominal time';

CREATE FUNCTION sched.backfill(schedule_id text, start_at timestamptz,
							   end_at timestamptz, overlap text DEFAULT NULL,
							   args jsonb DEFAULT NULL,
							   memo jsonb DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sched_backfill'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.backfill(text, timestamptz, timestamptz, text, jsonb, jsonb) IS
'Buffers an action for every actual time from start_at to end_at (both included) under the given overlap policy, with args and memo replacing the action''s; returns how many';

CREATE FUNCTION sched.backfill(schedule_id text, backfills jsonb)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sched_backfill_list'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.backfill(text, jsonb) IS
'Backfills a list of ranges [{"start_at", "end_at", "overlap", "args", "memo"}]; returns how many actions they buffered';

CREATE FUNCTION sched.backfill_actions(schedule_id text, backfills jsonb)
RETURNS TABLE (actions bigint, started bigint, buffered bigint,
			   skipped bigint, pending bigint)
AS 'MODULE_PATHNAME', 'sched_backfill_actions'
LANGUAGE C VOLATILE ROWS 1;

COMMENT ON FUNCTION sched.backfill_actions(text, jsonb) IS
'sched.backfill of a list of ranges that says what it did: actions in all, started, waiting in the buffer, skipped, and still pending in the ranges';

CREATE FUNCTION sched.update(schedule_id text, schedule jsonb,
							 conflict_token bigint DEFAULT NULL,
							 search_attributes jsonb DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sched_update'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.update(text, jsonb, bigint, jsonb) IS
'Replaces the parts of a schedule given (action, spec, policy, state), and its search attributes unless NULL, if conflict_token is NULL or current; returns the new token';

CREATE FUNCTION sched.delete(schedule_id text)
RETURNS void
AS 'MODULE_PATHNAME', 'sched_delete'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.delete(text) IS
'Deletes a schedule with its buffer and backfills; the runs it started are left alone';
