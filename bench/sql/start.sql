-- Figure 9c: one workflow start per transaction through the API (a new id
-- each time, the default id policies), as a producer calls it.
SELECT sched.start_workflow('BenchWorkflow', 'e-' || nextval('bench.sid'), 'eq');
