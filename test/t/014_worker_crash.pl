# Crashes lose and duplicate nothing: kill -9 of the scheduler (the
# postmaster restarts the cluster) and then an immediate shutdown, under a
# schedule every second with the default (long) catch-up window.  The
# nominal times in sched.executions must be exactly every second between
# the first and the last: no gap, no duplicate.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('cr', '{
		"action": {"workflow": "W", "id": "cr", "task_queue": "q"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) >= 3 FROM sched.executions WHERE schedule_id = 'cr'"),
	'the schedule fires');

sub check_sequence
{
	my ($what) = @_;
	my ($count, $distinct, $span, $missed, $num_actions) = split /\|/,
	  $node->safe_psql(
		'postgres', q{
		SELECT count(*), count(DISTINCT nominal_time),
			   extract(epoch FROM max(nominal_time) - min(nominal_time))::int + 1,
			   (SELECT num_actions_missed_catchup_window FROM sched.schedules
				WHERE schedule_id = 'cr'),
			   (SELECT num_actions FROM sched.schedules WHERE schedule_id = 'cr')
		FROM sched.executions WHERE schedule_id = 'cr'});
	note "$what: $count runs over $span seconds";
	is($distinct, $count, "$what: no nominal time fired twice");
	is($span,     $count, "$what: no second lost");
	is($missed,   '0',    "$what: nothing counted as missed");
	is($num_actions, $count, "$what: num_actions matches the runs");
}

# kill -9 of the scheduler: the postmaster restarts every process
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'");
ok($pid =~ /^\d+$/, 'the scheduler runs');
my $before = $node->safe_psql('postgres',
	"SELECT max(nominal_time) FROM sched.executions WHERE schedule_id = 'cr'");
kill 'KILL', $pid;
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched scheduler' AND pid <> $pid"),
	'after kill -9 the cluster restarts with a new scheduler');
ok( $node->poll_query_until(
		'postgres',
		"SELECT max(nominal_time) >= '$before'::timestamptz + interval '3 seconds' "
		  . "FROM sched.executions WHERE schedule_id = 'cr'"),
	'and the schedule fires again');
check_sequence('after kill -9');

# immediate shutdown: crash recovery at the next start
$before = $node->safe_psql('postgres',
	"SELECT max(nominal_time) FROM sched.executions WHERE schedule_id = 'cr'");
$node->stop('immediate');
$node->start;
ok( $node->poll_query_until(
		'postgres',
		"SELECT max(nominal_time) >= pg_postmaster_start_time() + interval '2 seconds' "
		  . "FROM sched.executions WHERE schedule_id = 'cr'"),
	'after an immediate shutdown the schedule fires again');
check_sequence('after an immediate shutdown');

$node->stop;
done_testing();
