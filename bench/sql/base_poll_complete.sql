-- Baseline of poll_complete.sql: the bare claim and close on a copy of
-- sched.executions (@TABLE@, LIKE ... INCLUDING ALL).  The claim uses the
-- same = ANY (ARRAY(SELECT ... FOR NO KEY UPDATE SKIP LOCKED LIMIT 1)) form
-- as sched.poll: with IN (SELECT ...), a generic plan can become a hash
-- join over a sequential scan.  Same columns set as sched.poll and
-- sched.complete.
UPDATE @TABLE@ e
   SET status = 'running', attempt = e.attempt + 1, worker = 'pgbench',
       started_at = coalesce(e.started_at, now()),
       lease_expires_at = now() + interval '30 seconds',
       lease_duration = interval '30 seconds'
 WHERE e.run_id = ANY (ARRAY(
         SELECT run_id FROM @TABLE@
          WHERE task_queue = 'qq' AND status = 'pending' AND due_at <= now()
          ORDER BY due_at LIMIT 1
          FOR NO KEY UPDATE SKIP LOCKED))
RETURNING e.run_id \gset
UPDATE @TABLE@
   SET status = 'completed', closed_at = now(), lease_expires_at = NULL,
       result = NULL, error = NULL, error_type = NULL
 WHERE run_id = :run_id AND status = 'running';
