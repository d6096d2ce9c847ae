-- Baseline of create.sql: INSERT of the same row (the canonical documents
-- and cursor of the template schedule 'tmpl', made by sched.create_schedule)
-- into a copy of sched.schedules (LIKE ... INCLUDING ALL).
INSERT INTO bench.s_base (schedule_id, spec, action, policy, conflict_token,
                          next_nominal, next_due)
SELECT 's-' || nextval('bench.sid'), spec, action, policy, conflict_token,
       next_nominal, next_due
  FROM sched.schedules WHERE schedule_id = 'tmpl';
