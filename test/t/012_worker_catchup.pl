# Catch-up after the scheduler was stopped: with the server down for longer
# than the catch-up window (10 s) of a schedule every second, the times
# within the window are fired after the restart and the older ones are
# counted as missed; nothing is fired twice, nothing else is skipped.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('catchup');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('cu', '{
		"action": {"workflow": "W", "id": "cu", "task_queue": "q"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all", "catchup_window": "10 seconds"}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) >= 2 FROM sched.executions WHERE schedule_id = 'cu'"),
	'the schedule fires');

# Down for 14 s: 4 s more than the window.  The server is down, so there is
# nothing to poll but the clock.
$node->stop('fast');
my $down_at = time();
usleep(100_000) while time() < $down_at + 14;
$node->start;

ok( $node->poll_query_until(
		'postgres',
		"SELECT max(nominal_time) >= pg_postmaster_start_time() + interval '2 seconds' "
		  . "FROM sched.executions WHERE schedule_id = 'cu'"),
	'after the restart the schedule fires again');

# One statement, one snapshot: the schedule keeps firing while we look.
my ($count, $distinct, $span, $missed, $num_actions) = split /\|/,
  $node->safe_psql(
	'postgres', q{
	SELECT count(*), count(DISTINCT nominal_time),
		   extract(epoch FROM max(nominal_time) - min(nominal_time))::int + 1,
		   (SELECT num_actions_missed_catchup_window FROM sched.schedules
			WHERE schedule_id = 'cu'),
		   (SELECT num_actions FROM sched.schedules WHERE schedule_id = 'cu')
	FROM sched.executions WHERE schedule_id = 'cu'});
note "$count runs over $span seconds, $missed missed, num_actions $num_actions";
is($distinct, $count, 'no nominal time fired twice');
cmp_ok($missed, '>=', 2, 'the times older than the window are counted as missed');
cmp_ok($missed, '<=', 8, 'and only those');
is($count + $missed, $span,
	'every second is either fired or counted missed: nothing else is skipped');
is($num_actions, $count, 'num_actions counts every run started');

is( $node->safe_psql(
		'postgres', q{
	SELECT bool_and(created_at - nominal_time < interval '11 seconds')
	FROM sched.executions
	WHERE schedule_id = 'cu' AND created_at > pg_postmaster_start_time()}),
	't',
	'what was caught up lay within the window');
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) >= 8 FROM sched.executions
	WHERE schedule_id = 'cu' AND created_at > pg_postmaster_start_time()
	  AND nominal_time < pg_postmaster_start_time()}),
	't',
	'the window of times before the restart was caught up');

$node->stop;
done_testing();
