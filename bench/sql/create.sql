-- One schedule per transaction through the API, none ever due.
SELECT sched.create_schedule('s-' || nextval('bench.sid'),
  '{"action": {"workflow": "BenchWorkflow", "id": "s", "task_queue": "sq"},
    "spec": {"intervals": [{"every": 60}], "start_at": "2099-01-01T00:00:00Z"}}');
