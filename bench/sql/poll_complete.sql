-- pg_sched worker loop, one run per iteration: claim, then complete
-- (autocommit: one call per transaction, as workers use them).
SELECT run_id FROM sched.poll('qq', 'pgbench', 1) \gset
SELECT sched.complete(:run_id);
