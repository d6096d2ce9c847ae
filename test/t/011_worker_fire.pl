# The scheduler fires schedules on time: a schedule every second lands in
# the queue with the right workflow ids, schedule id and nominal time, a few
# milliseconds after its time; two databases are served at once; pause
# stops it, trigger works while paused, unpause does not replay the paused
# period; a schedule that fails is logged and skipped, the others go on.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('fire');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;

foreach my $db ('app', 'other')
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db,        'CREATE EXTENSION pg_sched');
}

# A schedule every second; allow_all, so that open runs never hold back the
# next start (no application worker completes them here).
sub every_second
{
	my ($db, $id, $queue) = @_;
	$node->safe_psql(
		$db, qq{
		SELECT sched.create_schedule('$id', jsonb_build_object(
			'action', jsonb_build_object('workflow', 'Tick', 'id', '$id',
										 'task_queue', '$queue'),
			'spec', '{"intervals": [{"every": 1}]}'::jsonb,
			'policy', '{"overlap": "allow_all"}'::jsonb))});
}

sub runs
{
	my ($db, $id, $kind) = @_;
	return $node->safe_psql($db,
		"SELECT count(*) FROM sched.executions WHERE schedule_id = '$id' "
		  . "AND start_kind = '$kind'");
}

every_second('app',   'tick',  'q');
every_second('other', 'tock', 'q2');

ok( $node->poll_query_until(
		'app',
		"SELECT count(*) >= 5 FROM sched.executions WHERE schedule_id = 'tick'"),
	'a schedule every second fires into the queue');
ok( $node->poll_query_until(
		'other',
		"SELECT count(*) >= 5 FROM sched.executions WHERE schedule_id = 'tock'"),
	'and one in another database at the same time');

is( $node->safe_psql(
		'app', q{
	SELECT count(*) FILTER (WHERE workflow_id <> 'tick-' || to_char(nominal_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
		   count(*) FILTER (WHERE start_kind <> 'schedule' OR workflow <> 'Tick' OR task_queue <> 'q'),
		   count(*) FILTER (WHERE nominal_time <> date_trunc('second', nominal_time)),
		   count(*) FILTER (WHERE scheduled_at <> nominal_time),
		   count(*) FILTER (WHERE status NOT IN ('pending', 'scheduled'))
	FROM sched.executions WHERE schedule_id = 'tick'}),
	'0|0|0|0|0',
	'workflow ids are <id>-<RFC 3339 nominal time>; runs record schedule and nominal time');

is( $node->safe_psql(
		'app', q{
	SELECT count(*) = count(DISTINCT nominal_time)
	   AND max(nominal_time) - min(nominal_time) = (count(*) - 1) * interval '1 second'
	FROM sched.executions WHERE schedule_id = 'tick'}),
	't',
	'every second fires once, none skipped');

# Lateness: created_at is when the scheduler inserted the run,
# scheduled_at the time it was due.  Only a generous bound is asserted.
my ($late_max, $late_avg) = split /\|/, $node->safe_psql(
	'app', q{
	SELECT round(max(extract(epoch FROM created_at - scheduled_at)) * 1000, 3),
		   round(avg(extract(epoch FROM created_at - scheduled_at)) * 1000, 3)
	FROM sched.executions WHERE schedule_id = 'tick'});
note "lateness of scheduled actions: max $late_max ms, average $late_avg ms";
cmp_ok($late_max, '<', 1000, 'actions land well within a second of their time');
cmp_ok($late_max, '>=', 0,   'and never before it');

# Pause: nothing more is fired.  Wait for two more seconds of ticks.
$node->safe_psql('app', "SELECT sched.pause('tick', 'testing')");
my $paused_at  = $node->safe_psql('app', 'SELECT clock_timestamp()');
my $last_before = $node->safe_psql('app',
	"SELECT max(nominal_time) FROM sched.executions WHERE schedule_id = 'tick'");
my $count_paused = runs('app', 'tick', 'schedule');
ok( $node->poll_query_until(
		'app',
		"SELECT bool_or(last_tick_at > '$paused_at'::timestamptz + interval '2.5 seconds') "
		  . "FROM sched.scheduler_status() WHERE database = 'app'"),
	'the scheduler ticks on while the schedule is paused');
is(runs('app', 'tick', 'schedule'), $count_paused, 'a paused schedule fires nothing');

# trigger works while paused, synchronously
$node->safe_psql('app', "SELECT sched.trigger('tick')");
is(runs('app', 'tick', 'trigger'), '1', 'trigger starts an action while paused');

# unpause: fires again, without the paused period
my $unpaused_at = $node->safe_psql('app', 'SELECT clock_timestamp()');
$node->safe_psql('app', "SELECT sched.unpause('tick')");
ok( $node->poll_query_until(
		'app',
		"SELECT count(*) >= 2 FROM sched.executions WHERE schedule_id = 'tick' "
		  . "AND start_kind = 'schedule' AND nominal_time > '$unpaused_at'"),
	'unpause: the schedule fires again');
is( $node->safe_psql(
		'app',
		"SELECT count(*) FROM sched.executions WHERE schedule_id = 'tick' "
		  . "AND start_kind = 'schedule' AND nominal_time > '$last_before' "
		  . "AND nominal_time < '$unpaused_at'"),
	'0',
	'unpause does not replay the paused period');
is( $node->safe_psql(
		'app',
		"SELECT num_actions_missed_catchup_window FROM sched.schedules "
		  . "WHERE schedule_id = 'tick'"),
	'0',
	'nor counts it as missed');

# A schedule whose row is broken fails alone: logged, skipped, the others go on
every_second('app', 'broken', 'q3');
ok( $node->poll_query_until(
		'app',
		"SELECT count(*) >= 1 FROM sched.executions WHERE schedule_id = 'broken'"),
	'a second schedule fires');
my $log_offset = -s $node->logfile;
$node->safe_psql('app',
	q{UPDATE sched.schedules SET spec = '{"no such field": 1}' WHERE schedule_id = 'broken'});
my $broken_at = $node->safe_psql('app', 'SELECT clock_timestamp()');
ok( $node->poll_query_until(
		'app',
		"SELECT count(*) >= 3 FROM sched.executions WHERE schedule_id = 'tick' "
		  . "AND nominal_time > '$broken_at'"),
	'the other schedules go on firing past a failing one');
ok($node->log_contains(qr/WARNING:.*broken/, $log_offset),
	'the failing schedule is logged as a WARNING naming it');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched scheduler' AND datname = 'app'"),
	'1',
	'the scheduler did not die of it');

$node->stop;
done_testing();
