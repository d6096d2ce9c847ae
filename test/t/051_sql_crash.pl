# SQL actions survive crashes exactly once (issue 13): SQL_CRASH_SCHEDULES
# schedules (default 10) run every second under allow_all, each command
# writing its schedule and nominal time to a table and then sleeping 0.2 s,
# while each of SQL_CRASH_ROUNDS rounds (default 2) crashes the server
# four ways: kill -9 of an executor in the middle of its statement, kill -9
# of the scheduler, an immediate shutdown, and kill -9 of an executor just
# after runs closed (a run's transaction commits without waiting for its
# WAL flush, so the crash restart may lose the last closes together with
# their commands' rows; those runs must run again).  Afterwards, with the schedules
# paused and every run closed: every nominal time from a schedule's first
# run to its last has exactly one run, completed, and exactly one row
# written by its command (none lost, none applied twice), and runs cut
# short by a crash were run again (attempt > 1).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $nsched = $ENV{SQL_CRASH_SCHEDULES} || 10;
my $rounds = $ENV{SQL_CRASH_ROUNDS}    || 2;

my $node = PostgreSQL::Test::Cluster->new('sql_crash');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
restart_after_crash = on
pg_sched.max_sql_executors = 6
max_worker_processes = 16
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{CREATE EXTENSION pg_sched});
sql(q{CREATE TABLE applied (schedule_id text, nominal timestamptz)});
sql(qq{SELECT sched.create_schedule('crash_' || i, jsonb_build_object(
	'spec', '{"intervals": [{"every": "1s"}]}'::jsonb,
	'policy', '{"overlap": "allow_all"}'::jsonb,
	'action', jsonb_build_object(
	    'sql', format('INSERT INTO applied VALUES (%L, \$1); SELECT pg_sleep(0.2)',
	                  'crash_' || i),
	    'id', 'crash_' || i))) FROM generate_series(1, $nsched) i});

# The pid of a process matching $where, polling (an executor's statement
# may end between two looks).
sub pid_of
{
	my ($where) = @_;
	for (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
	{
		my $pid = sql("SELECT pid FROM pg_stat_activity WHERE $where LIMIT 1");
		return $pid if $pid ne '';
		usleep(100_000);
	}
	die "no process where $where";
}

# After a crash: a new scheduler, and commands complete again.
sub wait_recovered
{
	my ($what, $log_offset) = @_;
	my $since;
	# the postmaster restarts every process after a crash: wait for that
	$node->wait_for_log(qr/database system is ready to accept connections/,
		$log_offset);
	$since = sql('SELECT now()');
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) >= $nsched FROM sched.executions "
			  . "WHERE status = 'completed' AND closed_at > '$since'"),
		"$what: SQL runs complete again");
}

ok($node->poll_query_until('postgres',
		"SELECT count(*) >= 2 * $nsched FROM applied"), 'the commands run');

for my $round (1 .. $rounds)
{
	# (a) an executor in the middle of its statement
	my $pid = pid_of(q{backend_type = 'pg_sched executor' AND state = 'active'
	                   AND query LIKE '%pg_sleep%'});
	my $offset = -s $node->logfile;
	kill 'KILL', $pid;
	wait_recovered("round $round, kill -9 of an executor", $offset);

	# (b) the scheduler
	$pid = pid_of(q{backend_type = 'pg_sched scheduler'});
	$offset = -s $node->logfile;
	kill 'KILL', $pid;
	wait_recovered("round $round, kill -9 of the scheduler", $offset);

	# (c) an immediate shutdown while commands run
	pid_of(q{backend_type = 'pg_sched executor' AND state = 'active'});
	$node->stop('immediate');
	$offset = -s $node->logfile;
	$node->start;
	wait_recovered("round $round, immediate shutdown", $offset);

	# (d) an executor, as soon as another run has closed (within a poll)
	$pid = pid_of(q{backend_type = 'pg_sched executor'});
	my $done = sql(q{SELECT count(*) FROM sched.executions WHERE status = 'completed'});
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) > $done FROM sched.executions WHERE status = 'completed'"),
		"round $round: a run has just closed");
	$offset = -s $node->logfile;
	kill 'KILL', $pid;
	wait_recovered("round $round, kill -9 after a close", $offset);
}

sql(q{SELECT sched.pause(schedule_id) FROM sched.schedules});
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM sched.executions WHERE closed_at IS NULL"),
	'every run closes once the schedules are paused');

is( sql(q{SELECT count(*) FROM (SELECT schedule_id, nominal FROM applied
           GROUP BY 1, 2 HAVING count(*) > 1) d}),
	'0', 'no nominal time was applied twice');
is( sql(q{SELECT count(*) FROM sched.executions WHERE status <> 'completed'}),
	'0', 'every run completed')
  or diag(sql(q{SELECT schedule_id, nominal_time, status, attempt, error_type, error
                  FROM sched.executions WHERE status <> 'completed'}));
is( sql(q{SELECT count(*) FROM sched.executions e FULL JOIN applied a
	        ON a.schedule_id = e.schedule_id AND a.nominal = e.nominal_time
	     WHERE e.run_id IS NULL OR a.nominal IS NULL}),
	'0', 'every completed run wrote its row, and every row is a completed run');
is( sql(q{SELECT count(*) FROM (
	  SELECT schedule_id FROM sched.executions GROUP BY schedule_id
	  HAVING count(*) <> extract(epoch FROM max(nominal_time) - min(nominal_time)) + 1
	      OR count(*) <> count(DISTINCT nominal_time)) g}),
	'0', 'every second from the first run to the last has one run: none lost');
is( sql(q{SELECT count(*) > 0 FROM sched.executions WHERE attempt > 1}),
	't', 'runs cut short by a crash were run again');
note sql(q{SELECT count(*) || ' runs, ' || count(*) FILTER (WHERE attempt > 1) || ' run again'
             FROM sched.executions});

$node->stop;
done_testing();
