# Catch-up after the scheduler was stopped: with the server down for longer
# than the catch-up window (10 s) of a schedule every second, the times
# within the window are fired after the restart and the older ones are
# counted as missed (exactly the oldest ones, counted by describe and by
# the scheduler, and logged); nothing is fired twice, nothing else is
# skipped.  A schedule with the default window (a year) catches up the
# whole outage, and a worker receives those runs in nominal order.
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
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('cu2', '{
		"action": {"workflow": "W", "id": "cu2", "task_queue": "q2"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) >= 2 FROM sched.executions WHERE schedule_id = 'cu'"),
	'the schedule fires');

# Down for 14 s: 4 s more than the window.  The server is down, so there is
# nothing to poll but the clock.
$node->stop('fast');
my $down_at = time();
usleep(100_000) while time() < $down_at + 14;
my $log_offset = -s $node->logfile;
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

# The missed times are one block: the oldest after the stop.
my ($gaps, $gap_len) = split /\|/, $node->safe_psql(
	'postgres', q{
	SELECT count(*), coalesce(sum(extract(epoch FROM next - nominal_time)::int - 1), 0)
	  FROM (SELECT nominal_time, lead(nominal_time) OVER (ORDER BY nominal_time) AS next
			  FROM sched.executions WHERE schedule_id = 'cu') s
	 WHERE next - nominal_time > interval '1 second'});
is($gaps,    '1',     'the missed times form one block');
is($gap_len, $missed, 'and that block is exactly what was counted missed');
is( $node->safe_psql(
		'postgres',
		"SELECT (sched.describe('cu')->'info'->>'num_actions_missed_catchup_window')"),
	$missed,
	'describe shows them');
is($node->safe_psql('postgres', 'SELECT actions_missed FROM sched.scheduler_status()'),
	$missed, 'the scheduler counted them');
my ($logged) = slurp_file($node->logfile, $log_offset)
  =~ /(\d+) nominal times? missed the catch-up window/;
is($logged, $missed, 'and logged them');

# cu2 (a year's window) caught up the whole outage, each time once.
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) = count(DISTINCT nominal_time)
	   AND count(*) = extract(epoch FROM max(nominal_time) - min(nominal_time))::int + 1
	   AND max(s.num_actions_missed_catchup_window) = 0
	   AND max(s.num_actions) = count(*)
	  FROM sched.executions e JOIN sched.schedules s USING (schedule_id)
	 WHERE schedule_id = 'cu2'}),
	't',
	'with a long window the whole outage is caught up, every second once');

# A worker polling 5 at a time receives cu2's runs in nominal order, the
# ones caught up in one burst included.
my @order;
while (1)
{
	my $batch = $node->safe_psql('postgres',
		"SELECT string_agg(extract(epoch FROM nominal_time)::bigint::text, ' ') "
		  . "FROM sched.poll('q2', 'w', 5)");
	last if $batch eq '';
	push @order, split(/ /, $batch);
	last if @order > 1000;
}
my $in_order = 1;
for my $i (1 .. $#order)
{
	$in_order = 0 if $order[$i] <= $order[ $i - 1 ];
}
cmp_ok(scalar(@order), '>=', 15, 'the worker received the caught-up runs');
ok($in_order, 'in nominal order') or diag("@order");

$node->stop;
done_testing();
