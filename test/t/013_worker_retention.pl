# What the scheduler maintains besides firing: limited actions run out and
# the exhausted schedule is deleted after pg_sched.schedule_retention (its
# runs stay); an expired lease makes a run pending again (attempt 2 on the
# next poll); closed runs are deleted after pg_sched.run_retention, open
# ones never.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('retention');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
pg_sched.schedule_retention = '2s'
pg_sched.run_retention = '3s'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

is($node->safe_psql('postgres', 'SHOW pg_sched.schedule_retention'),
	'2s', 'pg_sched.schedule_retention is a GUC in seconds');

# ---- limited actions, then auto-deletion ----
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('lim', '{
		"action": {"workflow": "W", "id": "lim", "task_queue": "lq"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"},
		"state": {"limited_actions": true, "remaining_actions": 3}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 3 FROM sched.executions WHERE schedule_id = 'lim'"),
	'a schedule limited to 3 actions fires 3 times');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM sched.schedules WHERE schedule_id = 'lim'"),
	'then, with nothing left to do, it is deleted after the retention');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*), count(DISTINCT nominal_time) FROM sched.executions "
		  . "WHERE schedule_id = 'lim'"),
	'3|3',
	'exactly 3 actions, and its runs stay');

# ---- lease expiry re-delivers ----
# A paused schedule, started by hand: trigger works while paused.
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('manual', '{
		"action": {"workflow": "W", "id": "manual", "task_queue": "mq"},
		"spec": {"intervals": [{"every": 86400}]},
		"policy": {"overlap": "allow_all"},
		"state": {"paused": true}}')});
$node->safe_psql('postgres', "SELECT sched.trigger('manual')");
my ($run_id, $attempt) = split /\|/, $node->safe_psql('postgres',
	"SELECT run_id, attempt FROM sched.poll('mq', 'w1', 1, '1 second')");
is($attempt, '1', 'the first poll claims attempt 1');
ok( $node->poll_query_until(
		'postgres',
		"SELECT status = 'pending' FROM sched.executions WHERE run_id = '$run_id'"),
	'once its lease has expired the run is pending again');
my ($run_id2, $attempt2) = split /\|/, $node->safe_psql('postgres',
	"SELECT run_id, attempt FROM sched.poll('mq', 'w2', 1, '30 seconds')");
is($run_id2, $run_id, 'the next poll gets the same run');
is($attempt2, '2', 'as attempt 2');

# ---- retention of closed runs ----
$node->safe_psql('postgres', "SELECT sched.complete('$run_id', '{\"ok\": true}')");
is( $node->safe_psql(
		'postgres', "SELECT status FROM sched.executions WHERE run_id = '$run_id'"),
	'completed',
	'the run is closed');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM sched.executions WHERE run_id = '$run_id'"),
	'a closed run is deleted after pg_sched.run_retention');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM sched.executions WHERE schedule_id = 'lim' "
		  . "AND status = 'pending'"),
	'3',
	'open runs are kept, however old');

# retention applies to a reload at once
$node->safe_psql('postgres', "ALTER SYSTEM SET pg_sched.run_retention = '1h'");
$node->reload;
ok( $node->poll_query_until(
		'postgres', "SELECT current_setting('pg_sched.run_retention') = '1h'"),
	'the retention can be changed with a reload');

$node->stop;
done_testing();
