# Head-of-line blocking (issue 16): a long transaction holding the row lock
# of one schedule, or of one run, must not delay the other schedules of the
# database.
#
# 20 schedules fire every second (allow_all).  A session locks the row of a
# 21st schedule (FOR UPDATE) and keeps its transaction open; another locks
# a run whose lease has expired and whose run timeout has passed (FOR
# UPDATE: the scheduler's lease expiry and timeout cannot take it).  While
# both locks are held, every second of the hold has its run for each of the
# 20 schedules (checked before the locks go, so nothing waited for them),
# and the scheduler is never seen waiting on a lock.  After the release, the
# locked schedule catches up each second of the hold exactly once, and the
# locked run is expired or timed out as it should have been.  The start
# lateness of the 20 schedules during the hold is printed for the README's
# reliability section (a figure, not an assertion).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('hol');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_sched'\ntimezone = 'UTC'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $n = 20;
sql(qq{
	SELECT sched.create_schedule('hol-' || i, jsonb_build_object(
		'action', jsonb_build_object('workflow', 'W', 'id', 'hol-' || i,
									 'task_queue', 'holq'),
		'spec', '{"intervals": [{"every": 1}]}'::jsonb,
		'policy', '{"overlap": "allow_all"}'::jsonb))
	FROM generate_series(1, $n) i;
	SELECT sched.create_schedule('held', '{
		"action": {"workflow": "W", "id": "held", "task_queue": "heldq"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}');
});

ok( $node->poll_query_until(
		'postgres',
		"SELECT count(DISTINCT schedule_id) = $n + 1 FROM sched.executions WHERE schedule_id IS NOT NULL"),
	'the schedules fire');

# six seconds of firing before the locks, the lateness baseline
my $t0 = sql('SELECT now()');
ok( $node->poll_query_until(
		'postgres',
		"SELECT now() > '$t0'::timestamptz + interval '7 seconds'"),
	'the baseline seconds pass');

# ---- the locks ----
my $s1 = $node->background_psql('postgres', on_error_stop => 1);
$s1->query_safe('BEGIN');
$s1->query_safe("SELECT 1 FROM sched.schedules WHERE schedule_id = 'held' FOR UPDATE");
# a run of a workflow, claimed with a 1 s lease and a 2 s run timeout, and
# locked at once: both pass during the hold
sql(q{SELECT sched.start_workflow('W', 'locked-run', 'lockq', run_timeout => '2 seconds')});
sql(q{SELECT count(*) FROM sched.poll('lockq', 'w', 1, '1 second')});
my $locked_run = sql("SELECT run_id FROM sched.executions WHERE workflow_id = 'locked-run'");
my $s2 = $node->background_psql('postgres', on_error_stop => 1);
$s2->query_safe('BEGIN');
$s2->query_safe("SELECT 1 FROM sched.executions WHERE run_id = '$locked_run' FOR UPDATE");
my $locked_at = sql('SELECT date_trunc(\'second\', now()) + interval \'1 second\'');
note "locks held from $locked_at";

# The hold: 6 seconds, sampling the scheduler's wait events meanwhile.
my $scheduler_waited_on_lock = 0;
my $samples = 0;
my $until = sql("SELECT '$locked_at'::timestamptz + interval '6 seconds'");
while (sql("SELECT now() < '$until'::timestamptz") eq 't')
{
	$scheduler_waited_on_lock += sql(q{
		SELECT count(*) FROM pg_stat_activity
		 WHERE backend_type = 'pg_sched scheduler' AND wait_event_type = 'Lock'});
	$samples++;
	usleep(50_000);
}
my $hold_end = sql("SELECT '$until'::timestamptz - interval '1 second'");

# Every second of the hold has its run, for every unlocked schedule, while
# the locks are still held.
ok( $node->poll_query_until(
		'postgres', qq{
		SELECT count(*) = $n * (extract(epoch FROM '$hold_end'::timestamptz
										- '$locked_at'::timestamptz) + 1)
		  FROM sched.executions
		 WHERE schedule_id LIKE 'hol-%'
		   AND nominal_time BETWEEN '$locked_at' AND '$hold_end'}),
	'while one schedule and one run are locked, the other schedules fire every second');
is( sql(qq{
		SELECT count(*) FROM (
			SELECT schedule_id, nominal_time FROM sched.executions
			 WHERE schedule_id LIKE 'hol-%' GROUP BY 1, 2 HAVING count(*) > 1) d}),
	'0', '... each time once');
is($scheduler_waited_on_lock, 0,
	"the scheduler never waited on a lock ($samples samples)");
is( sql(qq{
		SELECT count(*) FROM sched.executions
		 WHERE schedule_id = 'held' AND nominal_time >= '$locked_at'}),
	'0', 'the locked schedule did not fire during the hold');
is(sql("SELECT status FROM sched.executions WHERE run_id = '$locked_run'"),
	'running', 'the locked run was left alone (its lease and timeout wait for the lock)');

# Start lateness (due time to insert) of the 20 schedules during the hold,
# and during the same number of seconds before it, as the baseline.
sub lateness
{
	my ($from, $to) = @_;
	return sql(qq{
	SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)::numeric, 1) || ' / ' ||
		   round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)::numeric, 1) || ' / ' ||
		   round(max(l)::numeric, 1)
	  FROM (SELECT extract(epoch FROM created_at - scheduled_at) * 1000 AS l
			  FROM sched.executions
			 WHERE schedule_id LIKE 'hol-%'
			   AND nominal_time BETWEEN '$from' AND '$to') x});
}
my $during = lateness($locked_at, $hold_end);
my $before = lateness(
	sql("SELECT '$locked_at'::timestamptz - interval '6 seconds'"),
	sql("SELECT '$locked_at'::timestamptz - interval '1 second'"));
diag "head-of-line: start lateness p50 / p99 / max of $n schedules every second, "
  . "ms: $during during the hold, $before in the seconds before it";

# ---- release ----
$s1->query_safe('COMMIT');
$s2->query_safe('COMMIT');
my $released = sql('SELECT now()');
ok( $node->poll_query_until(
		'postgres', qq{
		SELECT count(*) >= 6 FROM sched.executions
		 WHERE schedule_id = 'held' AND nominal_time BETWEEN '$locked_at' AND '$released'}),
	'after the release the locked schedule catches up');
is( sql(qq{
		SELECT count(*) = count(DISTINCT nominal_time)
		   AND max(nominal_time) - min(nominal_time) = (count(*) - 1) * interval '1 second'
		  FROM sched.executions WHERE schedule_id = 'held'}),
	't', '... every second of the hold once, no gap');
ok( $node->poll_query_until(
		'postgres',
		"SELECT status IN ('pending', 'timed_out') FROM sched.executions WHERE run_id = '$locked_run'"),
	'... and the locked run is expired or timed out');
ok( $node->poll_query_until(
		'postgres',
		"SELECT status = 'timed_out' FROM sched.executions WHERE run_id = '$locked_run'"),
	'... then timed out (its run timeout passed during the hold)');

$s1->quit;
$s2->quit;
$node->stop;
done_testing();
