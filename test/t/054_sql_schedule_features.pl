# SQL actions (issue 13) with the schedule features that decide when and how
# often their command runs, on a preloaded cluster: execution_timeout (a long
# command is stopped and its run closed timed_out at the execution deadline,
# its tries retried by the retry policy meanwhile, nothing committed);
# run_timeout retries up to maximum_attempts; limited actions (each SQL run
# takes one, none runs at 0, a trigger still does); jitter (the command starts
# at the jittered actual time, $1 is the nominal time); trigger and backfill
# of an SQL schedule ($1 = the trigger time, each backfilled time once).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sql_features');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
pg_sched.max_sql_executors = 4
max_worker_processes = 16
timezone = 'UTC'
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub wait_for
{
	my ($query, $what) = @_;
	ok($node->poll_query_until('postgres', $query), $what)
	  or diag(sql(q{SELECT schedule_id, status, attempt, retries, error_type, return_message
	                  FROM sched.sql_run_details ORDER BY schedule_id, nominal_time}));
}

sub settle
{
	my ($id) = @_;
	sql(qq{SELECT sched.pause('$id')});
	wait_for(qq{SELECT count(*) = 0 FROM sched.executions
	             WHERE schedule_id = '$id' AND closed_at IS NULL},
		"$id: no run left open after the pause");
}

sql(q{
	CREATE EXTENSION pg_sched;
	CREATE TABLE marks (schedule_id text, nominal timestamptz,
	                    at timestamptz DEFAULT clock_timestamp());
});

# ---- execution_timeout: the whole workflow's deadline, across retries ----
# Each try sleeps 60 s; run_timeout stops it after 1 s and the retry policy
# tries again, until the execution deadline (3 s after the start) closes
# the run timed_out for good.
sql(q{SELECT sched.create_schedule('exec_timeout', '{
	"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
	"action": {"sql": "INSERT INTO marks (schedule_id, nominal) VALUES (''exec_timeout'', $1); SELECT pg_sleep(60)",
	           "id": "exec_timeout", "execution_timeout": "3s", "run_timeout": "1s",
	           "retry_policy": {"maximum_attempts": 20, "initial_interval": "0.2s",
	                            "backoff_coefficient": 1}}}')});
sql(q{SELECT sched.trigger('exec_timeout')});
wait_for(q{SELECT status = 'timed_out' FROM sched.executions WHERE schedule_id = 'exec_timeout'},
	'execution_timeout closes the run of a long command');
is( sql(q{SELECT error_type, error, retries >= 1, attempt >= 2,
                 closed_at >= execution_deadline,
                 closed_at < created_at + interval '30 seconds'
            FROM sched.executions WHERE schedule_id = 'exec_timeout'}),
	'execution_timeout|execution_timeout of PT3S exceeded|t|t|t|t',
	'timed out at its execution deadline, long before the command would end, after retried tries');
wait_for(q{SELECT count(*) = 0 FROM sched.sql_executors() WHERE schedule_id = 'exec_timeout'},
	'the command no longer runs');
is(sql(q{SELECT count(*) FROM marks WHERE schedule_id = 'exec_timeout'}),
	'0', 'no try of the timed-out command committed');

# run_timeout alone: retried up to maximum_attempts, then timed out
sql(q{SELECT sched.create_schedule('run_timeout', '{
	"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
	"action": {"sql": "INSERT INTO marks (schedule_id, nominal) VALUES (''run_timeout'', $1); SELECT pg_sleep(60)",
	           "id": "run_timeout", "run_timeout": "1s",
	           "retry_policy": {"maximum_attempts": 2, "initial_interval": "0.2s"}}}')});
sql(q{SELECT sched.trigger('run_timeout')});
wait_for(q{SELECT status = 'timed_out' FROM sched.executions WHERE schedule_id = 'run_timeout'},
	'run_timeout closes the run after its last try');
is( sql(q{SELECT error_type, retries, attempt FROM sched.executions
           WHERE schedule_id = 'run_timeout'}),
	'run_timeout|1|2', 'two tries (maximum_attempts 2), one retry');
is(sql(q{SELECT count(*) FROM marks WHERE schedule_id = 'run_timeout'}),
	'0', 'neither try committed');

# ---- jitter: started at the actual time, $1 the nominal time ----
sql(q{SELECT sched.create_schedule('jittered', '{
	"spec": {"intervals": [{"every": "2s"}], "jitter": "1.5s"},
	"policy": {"overlap": "allow_all"},
	"action": {"sql": "INSERT INTO marks (schedule_id, nominal) VALUES (''jittered'', $1)",
	           "id": "jittered"}}')});
wait_for(q{SELECT count(*) >= 6 FROM marks WHERE schedule_id = 'jittered'},
	'a jittered SQL schedule runs');
settle('jittered');
is( sql(q{SELECT count(*) FILTER (WHERE e.run_id IS NULL OR m.nominal IS NULL
                                   OR e.status <> 'completed'),
                 count(*) FILTER (WHERE m.at < e.scheduled_at OR e.started_at < e.scheduled_at),
                 count(*) FILTER (WHERE e.scheduled_at < e.nominal_time
                                     OR e.scheduled_at >= e.nominal_time + interval '1.5 seconds'),
                 count(*) FILTER (WHERE e.scheduled_at > e.nominal_time) > 0
            FROM (SELECT * FROM marks WHERE schedule_id = 'jittered') m
            FULL JOIN (SELECT * FROM sched.executions WHERE schedule_id = 'jittered') e
              ON e.nominal_time = m.nominal}),
	'0|0|0|t',
	'each run wrote its nominal time once, no command started before its jittered time, the jitter within 1.5 s');
is( sql(q{SELECT bool_and(extract(epoch FROM nominal_time) % 2 = 0) FROM sched.executions
           WHERE schedule_id = 'jittered'}),
	't', '$1 is the nominal time (on the 2-second grid), not the jittered one');

# ---- trigger and backfill: $1 of each run ----
sql(q{SELECT sched.create_schedule('filled', '{
	"spec": {"intervals": [{"every": "1m"}]}, "state": {"paused": true},
	"action": {"sql": "INSERT INTO marks (schedule_id, nominal) VALUES (''filled'', $1)",
	           "id": "filled"}}')});
is( sql(q{SELECT sched.backfill('filled', '2026-01-01 00:00:00+00', '2026-01-01 00:09:00+00',
                                'buffer_all')}),
	'10', 'a backfill of ten minutes buffers ten actions (while paused)');
wait_for(q{SELECT count(*) = 10 FROM sched.executions WHERE schedule_id = 'filled'
            AND status = 'completed'}, 'the backfilled runs complete one after another');
is( sql(q{SELECT count(*) FILTER (WHERE m.nominal IS NULL OR g.t IS NULL), count(*)
            FROM (SELECT nominal FROM marks WHERE schedule_id = 'filled') m
            FULL JOIN generate_series(timestamptz '2026-01-01 00:00:00+00',
                                      '2026-01-01 00:09:00+00', '1 minute') g(t)
              ON g.t = m.nominal}),
	'0|10', 'each backfilled minute ran once with $1 = that minute');
is( sql(q{SELECT bool_and(start_kind = 'backfill') FROM sched.executions
           WHERE schedule_id = 'filled'}), 't', 'as backfill runs');
sql(q{SELECT sched.trigger('filled')});
wait_for(q{SELECT count(*) = 1 FROM sched.executions WHERE schedule_id = 'filled'
            AND start_kind = 'trigger' AND status = 'completed'}, 'a triggered run completes');
is( sql(q{SELECT count(*) FROM marks m JOIN sched.executions e
              ON e.schedule_id = 'filled' AND e.start_kind = 'trigger'
             AND m.schedule_id = 'filled' AND m.nominal = e.nominal_time
           WHERE e.nominal_time > '2026-01-02' AND e.nominal_time <= e.started_at}),
	'1', 'the trigger ran once with $1 = the trigger time');

# ---- limited actions: each SQL run takes one, none at 0 ----
# A control schedule with the same spec shows that time went on.
sql(q{SELECT sched.create_schedule('limited', '{
	"spec": {"intervals": [{"every": "1s"}]},
	"state": {"limited_actions": true, "remaining_actions": 3},
	"policy": {"overlap": "allow_all"},
	"action": {"sql": "INSERT INTO marks (schedule_id, nominal) VALUES (''limited'', $1)",
	           "id": "limited"}}')});
wait_for(q{SELECT remaining_actions = 0 FROM sched.schedules WHERE schedule_id = 'limited'},
	'the limited schedule uses its actions');
sql(q{SELECT sched.create_schedule('unlimited', '{
	"spec": {"intervals": [{"every": "1s"}]}, "policy": {"overlap": "allow_all"},
	"action": {"sql": "INSERT INTO marks (schedule_id, nominal) VALUES (''unlimited'', $1)",
	           "id": "unlimited"}}')});
wait_for(q{SELECT count(*) >= 3 FROM marks WHERE schedule_id = 'unlimited'},
	'the control schedule runs three times meanwhile');
settle('unlimited');
wait_for(q{SELECT count(*) = 0 FROM sched.executions WHERE schedule_id = 'limited'
            AND closed_at IS NULL}, 'the limited runs close');
is( sql(q{SELECT count(*), count(*) FILTER (WHERE status = 'completed'),
                 (SELECT count(*) FROM marks WHERE schedule_id = 'limited'),
                 (SELECT next_due IS NULL FROM sched.schedules WHERE schedule_id = 'limited'),
                 jsonb_array_length(sched.describe('limited') -> 'info' -> 'next_action_times')
            FROM sched.executions WHERE schedule_id = 'limited'}),
	'3|3|3|t|0', 'three SQL runs, three rows, and nothing more at 0 remaining');
sql(q{SELECT sched.trigger('limited')});
wait_for(q{SELECT count(*) = 4 FROM marks WHERE schedule_id = 'limited'},
	'a trigger at 0 remaining still runs the command');
is(sql(q{SELECT remaining_actions FROM sched.schedules WHERE schedule_id = 'limited'}),
	'0', 'and takes no action of the limit');

$node->stop;
done_testing();
