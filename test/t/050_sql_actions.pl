# SQL actions (issue 13) on a preloaded cluster: a 1-second schedule writes
# every nominal time exactly once with $1 equal to it; the outcome on the
# run (command tag, rows, one-row result; SQLSTATE and error); retries and
# pause_on_failure; overlap policies with a command longer than the
# interval; run_timeout, cancel_workflow and terminate_workflow stop a
# running command (a terminated command is rolled back); the owner's
# privileges, settings and search_path, and nothing more (three roles);
# more runs due than executors allowed (they wait, none lost); commands
# outside a transaction block; the reserved task queue.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sql_actions');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
pg_sched.max_sql_executors = 3
max_worker_processes = 16
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub wait_for
{
	my ($query, $what) = @_;
	ok($node->poll_query_until('postgres', $query), $what)
	  or diag(sql(q{SELECT schedule_id, status, attempt, error_type, return_message
	                  FROM sched.sql_run_details ORDER BY nominal_time}));
}

sql(q{
	CREATE EXTENSION pg_sched;
	CREATE TABLE ticks (nominal timestamptz, written_at timestamptz DEFAULT clock_timestamp());
	CREATE TABLE marks (schedule_id text, nominal timestamptz);
});

# ---- every nominal time exactly once, $1 = the nominal time ----
sql(q{SELECT sched.create_schedule('every_second', '{
	"spec": {"intervals": [{"every": "1s"}]},
	"action": {"sql": "INSERT INTO ticks (nominal) VALUES ($1)", "id": "tick"},
	"policy": {"overlap": "allow_all"}}')});
wait_for(q{SELECT count(*) >= 5 FROM ticks}, 'a 1-second SQL schedule writes its rows');
sql(q{SELECT sched.pause('every_second')});
wait_for(q{SELECT count(*) = 0 FROM sched.executions
            WHERE schedule_id = 'every_second' AND closed_at IS NULL},
	'its runs close after the pause');
is( sql(q{
	SELECT count(*) FILTER (WHERE t.nominal IS NULL OR e.nominal_time IS NULL
	                           OR e.status <> 'completed')
	  FROM ticks t FULL JOIN sched.executions e
	    ON e.nominal_time = t.nominal AND e.schedule_id = 'every_second'}),
	'0', 'every row is the nominal time of one completed run, and the reverse');
is( sql(q{
	SELECT count(*) = count(DISTINCT nominal)
	   AND count(*) = extract(epoch FROM max(nominal) - min(nominal)) + 1
	  FROM ticks}),
	't', 'every second from the first to the last, each once');
is( sql(q{SELECT result FROM sched.executions WHERE schedule_id = 'every_second'
           ORDER BY nominal_time LIMIT 1}),
	'{"rows": 1, "command": "INSERT"}', 'a completed run has the command tag and rows');
like(
	sql(q{SELECT sched.describe('every_second') -> 'schedule' -> 'action'}),
	qr/^\{"id": "tick", "sql": "INSERT INTO ticks \(nominal\) VALUES \(\$1\)"\}$/,
	'describe shows the SQL action in canonical form');
is( sql(q{SELECT count(*) > 0 FROM sched.sql_run_details
           WHERE schedule_id = 'every_second' AND status = 'completed'
             AND return_message = 'INSERT 1' AND start_time <= end_time}),
	't', 'sql_run_details shows the runs as pg_cron shows job runs');

# ---- a one-row result, as jsonb ----
sql(q{SELECT sched.create_schedule('one_row', '{
	"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
	"action": {"sql": "SELECT 42 AS answer, $1 AS nominal, ''x'' AS s", "id": "one_row"}}')});
sql(q{SELECT sched.trigger('one_row')});
wait_for(q{SELECT status = 'completed' FROM sched.executions WHERE schedule_id = 'one_row'},
	'a triggered SQL run completes');
is( sql(q{SELECT result -> 'row' ->> 'answer', result -> 'row' ->> 'nominal' = to_jsonb(nominal_time) ->> 0,
                 result ->> 'command'
            FROM sched.executions WHERE schedule_id = 'one_row'}),
	'42|t|SELECT', 'a one-row SELECT keeps its row; $1 of a trigger is the trigger time');

# ---- a failing command: SQLSTATE, retries, pause_on_failure ----
sql(q{SELECT sched.create_schedule('failing', '{
	"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
	"policy": {"pause_on_failure": true},
	"action": {"sql": "SELECT 1 / 0", "id": "failing",
	           "retry_policy": {"maximum_attempts": 3, "initial_interval": "1s",
	                            "backoff_coefficient": 1}}}')});
sql(q{SELECT sched.unpause('failing')});
sql(q{SELECT sched.trigger('failing')});
wait_for(q{SELECT status = 'failed' FROM sched.executions WHERE schedule_id = 'failing'},
	'a failing command fails its run after its retries');
is( sql(q{SELECT error_type, retries, attempt, split_part(error, E'\n', 1)
            FROM sched.executions WHERE schedule_id = 'failing'}),
	'22012|2|3|division by zero', 'the SQLSTATE and the message, after 3 tries');
like(sql(q{SELECT error FROM sched.recent_failures WHERE schedule_id = 'failing'}),
	qr/division by zero\nCONTEXT:  SQL statement "SELECT 1 \/ 0"/,
	'recent_failures shows the error with its context');
is( sql(q{SELECT paused, note LIKE 'paused due to workflow failure%division by zero%'
            FROM sched.schedules WHERE schedule_id = 'failing'}),
	't|t', 'pause_on_failure pauses the schedule after the last try');

# ---- overlap: a command longer than the interval ----
# Each command records its nominal time, then sleeps 2.5 s, every second.
sub overlap_schedule
{
	my ($id, $overlap) = @_;
	sql(qq{SELECT sched.create_schedule('$id', '{
		"spec": {"intervals": [{"every": "1s"}]},
		"policy": {"overlap": "$overlap"},
		"action": {"sql": "INSERT INTO marks VALUES (''$id'', \$1); SELECT pg_sleep(2.5)",
		           "id": "$id"}}')});
}

sub settle
{
	my ($id) = @_;
	sql(qq{SELECT sched.pause('$id')});
	wait_for(qq{SELECT count(*) = 0 FROM sched.executions
	             WHERE schedule_id = '$id' AND closed_at IS NULL},
		"$id: no run left open after the pause");
}

overlap_schedule('ov_skip', 'skip');
overlap_schedule('ov_allow', 'allow_all');
wait_for(q{SELECT count(*) >= 2 FROM sched.sql_executors() WHERE schedule_id = 'ov_allow'},
	'allow_all: two commands of one schedule run at once');
wait_for(q{SELECT num_actions_skipped_overlap >= 2 FROM sched.schedules
            WHERE schedule_id = 'ov_skip'}, 'skip: times are skipped while the command runs');
settle('ov_skip');
settle('ov_allow');
is( sql(q{SELECT count(*) FROM (
	  SELECT a.run_id FROM sched.executions a JOIN sched.executions b
	    ON a.schedule_id = 'ov_skip' AND b.schedule_id = 'ov_skip' AND a.run_id < b.run_id
	   AND a.started_at < b.closed_at AND b.started_at < a.closed_at) o}),
	'0', 'skip: no two runs of the schedule overlapped');
is( sql(q{SELECT count(*) FROM sched.executions e
           WHERE schedule_id IN ('ov_skip', 'ov_allow') AND status = 'completed'
             AND NOT EXISTS (SELECT FROM marks m WHERE m.schedule_id = e.schedule_id
                                                   AND m.nominal = e.nominal_time)}),
	'0', 'every completed run left its row');

overlap_schedule('ov_buffer', 'buffer_one');
wait_for(q{SELECT count(*) >= 2 FROM sched.executions WHERE schedule_id = 'ov_buffer'
            AND status = 'completed'}, 'buffer_one: the buffered run starts after the first');
settle('ov_buffer');
is( sql(q{SELECT bool_and(b.started_at >= a.closed_at)
            FROM sched.executions a JOIN sched.executions b
              ON a.schedule_id = 'ov_buffer' AND b.schedule_id = 'ov_buffer'
             AND b.nominal_time > a.nominal_time}),
	't', 'buffer_one: each run started after the earlier ones closed');

overlap_schedule('ov_cancel', 'cancel_other');
wait_for(q{SELECT count(*) >= 2 FROM sched.executions WHERE schedule_id = 'ov_cancel'
            AND status = 'canceled'}, 'cancel_other: a running command is canceled');
overlap_schedule('ov_term', 'terminate_other');
wait_for(q{SELECT count(*) >= 2 FROM sched.executions WHERE schedule_id = 'ov_term'
            AND status = 'terminated'}, 'terminate_other: a running command is terminated');
settle('ov_cancel');
settle('ov_term');
is( sql(q{SELECT count(*) FROM sched.executions e
           WHERE schedule_id IN ('ov_cancel', 'ov_term')
             AND status IN ('canceled', 'terminated')
             AND EXISTS (SELECT FROM marks m WHERE m.schedule_id = e.schedule_id
                                               AND m.nominal = e.nominal_time)}),
	'0', 'a canceled or terminated command is rolled back');
is( sql(q{SELECT error_type FROM sched.executions WHERE schedule_id = 'ov_cancel'
           AND status = 'canceled' LIMIT 1}),
	'57014', 'a canceled command failed with query_canceled');

# ---- timeouts, cancel_workflow, terminate_workflow ----
sql(q{SELECT sched.create_schedule('slow_timeout', '{
	"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
	"action": {"sql": "INSERT INTO marks VALUES (''slow_timeout'', $1); SELECT pg_sleep(60)",
	           "id": "slow_timeout", "run_timeout": "1s"}}')});
sql(q{SELECT sched.trigger('slow_timeout')});
wait_for(q{SELECT status = 'timed_out' FROM sched.executions WHERE schedule_id = 'slow_timeout'},
	'run_timeout stops the command');
wait_for(q{SELECT count(*) = 0 FROM sched.sql_executors() WHERE schedule_id = 'slow_timeout'},
	'the timed-out command no longer runs');

foreach my $how ('cancel', 'terminate')
{
	sql(qq{SELECT sched.create_schedule('slow_$how', '{
		"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
		"action": {"sql": "INSERT INTO marks VALUES (''slow_$how'', \$1); SELECT pg_sleep(60)",
		           "id": "slow_$how"}}')});
	sql(qq{SELECT sched.trigger('slow_$how')});
	wait_for(qq{SELECT count(*) = 1 FROM sched.sql_executors() WHERE schedule_id = 'slow_$how'
	             AND run_id IS NOT NULL}, "$how: the command runs");
	sql(qq{SELECT sched.${how}_workflow(workflow_id) FROM sched.executions
	        WHERE schedule_id = 'slow_$how'});
	wait_for(qq{SELECT count(*) = 0 FROM sched.sql_executors() WHERE schedule_id = 'slow_$how'},
		"${how}_workflow stops the command");
}
is( sql(q{SELECT string_agg(schedule_id || ':' || status, ',' ORDER BY schedule_id)
            FROM sched.executions WHERE schedule_id LIKE 'slow_%'}),
	'slow_cancel:canceled,slow_terminate:terminated,slow_timeout:timed_out',
	'each closed as it was stopped');
is(sql(q{SELECT count(*) FROM marks WHERE schedule_id LIKE 'slow_%'}),
	'0', 'and none of their commands committed');

# ---- more runs due than executors (pg_sched.max_sql_executors = 3) ----
sql(q{SELECT sched.create_schedule('many_' || i, jsonb_build_object(
	'spec', '{"intervals": [{"every": "1h"}]}'::jsonb, 'state', '{"paused": true}'::jsonb,
	'action', jsonb_build_object(
	    'sql', 'INSERT INTO marks VALUES (''many'', $1); SELECT pg_sleep(0.5)',
	    'id', 'many_' || i))) FROM generate_series(1, 8) i});
sql(q{SELECT sched.trigger('many_' || i) FROM generate_series(1, 8) i});
wait_for(q{SELECT count(*) = 8 FROM sched.executions WHERE schedule_id LIKE 'many_%'
            AND status = 'completed'}, '8 runs with 3 executors all complete');
is(sql(q{SELECT count(*) FROM marks WHERE schedule_id = 'many'}), '8', 'each once');
is(sql(q{SELECT waits > 0, max_executors FROM sched.sql_executor_status()}),
	't|3', 'runs that found no free executor waited and were counted');

# ---- outside a transaction block ----
sql(q{SELECT sched.create_schedule('vacuum', '{
	"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
	"action": {"sql": "VACUUM marks", "id": "vacuum", "transaction": false}}')});
sql(q{SELECT sched.create_schedule('vacuum_tx', '{
	"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
	"action": {"sql": "VACUUM marks", "id": "vacuum_tx"}}')});
sql(q{CREATE PROCEDURE two_commits(t timestamptz) LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO marks VALUES ('proc1', t); COMMIT;
		INSERT INTO marks VALUES ('proc2', t); COMMIT;
	END $$});
sql(q{SELECT sched.create_schedule('proc', '{
	"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
	"action": {"sql": "CALL two_commits($1)", "id": "proc", "transaction": false}}')});
sql(q{SELECT sched.trigger(s) FROM unnest(ARRAY['vacuum', 'vacuum_tx', 'proc']) s});
wait_for(q{SELECT count(*) = 3 FROM sched.executions
            WHERE schedule_id IN ('vacuum', 'vacuum_tx', 'proc') AND closed_at IS NOT NULL},
	'the three runs close');
is( sql(q{SELECT string_agg(schedule_id || ':' || status || ':' || coalesce(error_type, result ->> 'command'),
                            ',' ORDER BY schedule_id)
            FROM sched.executions WHERE schedule_id IN ('vacuum', 'vacuum_tx', 'proc')}),
	'proc:completed:CALL,vacuum:completed:VACUUM,vacuum_tx:failed:25001',
	'VACUUM and a committing procedure run with transaction false, VACUUM fails in one');
is(sql(q{SELECT count(*) FROM marks WHERE schedule_id IN ('proc1', 'proc2')}),
	'2', 'the procedure committed both of its transactions');

# ---- the reserved task queue ----
my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT * FROM sched.poll('pg_sched.sql', 'w')});
like($err, qr/invalid value for task_queue: task queue "pg_sched.sql" is reserved for the runs of SQL actions/,
	'sched.poll refuses the queue of SQL runs');
($rc, $out, $err) = $node->psql('postgres',
	q{SELECT sched.start_workflow('sql', 'x', 'pg_sched.sql', '["SELECT 1", true]')});
like($err, qr/is reserved for the runs of SQL actions/, 'so does sched.start_workflow');

$node->stop;
done_testing();
