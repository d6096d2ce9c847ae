-- Baseline of start.sql: the INSERT of the same run-shaped row (the columns
-- bench.insert_runs writes for kind 'start') into a copy of sched.executions
-- (LIKE ... INCLUDING ALL: same defaults, checks and indexes).
INSERT INTO bench.e_base (run_id, workflow_id, workflow, task_queue, args,
                          status, start_kind, overlap_tracked, due_at)
VALUES (gen_random_uuid(), 'e-' || nextval('bench.sid'), 'BenchWorkflow', 'eq',
        '[]', 'pending', 'start', false, now());
