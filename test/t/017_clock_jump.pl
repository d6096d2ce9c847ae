# A wall clock that jumps (issue 5), through the test setting
# pg_sched.debug_clock_offset (the schedules' clock = wall clock + offset),
# changed with ALTER SYSTEM and a reload as an NTP step would change it:
#  - forward within the catch-up window: the times that passed fire once
#    each, in one burst of distinct nominal times;
#  - forward beyond it: the times older than the window are counted as
#    missed and logged, the rest fire once: no silent gap;
#  - backward: nothing fires twice (the cursor is ahead), the scheduler
#    neither spins nor fails, logs the jump once, and fires again once the
#    clock passes the cursor.
# The queue keeps the real clock (now()): under the offset, leases, start
# delays and fresh runs behave as without it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('clock');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# cj: a 30 s catch-up window; cjb: the default window (a year)
sql(q{
	SELECT sched.create_schedule('cj', '{
		"action": {"workflow": "W", "id": "cj", "task_queue": "cjq"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all", "catchup_window": "30 seconds"}}');
	SELECT sched.create_schedule('cjb', '{
		"action": {"workflow": "W", "id": "cjb", "task_queue": "cjbq"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}');
	SELECT sched.create_schedule('cju', '{
		"action": {"workflow": "W", "id": "cju", "task_queue": "cjuq"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(DISTINCT schedule_id) = 3 AND count(*) >= 6 FROM sched.executions"),
	'the schedules fire');

# Sets the offset and waits until the scheduler's cursor of both schedules
# has reached the shifted clock.
sub set_offset
{
	my ($secs) = @_;
	sql("ALTER SYSTEM SET pg_sched.debug_clock_offset = '${secs}s'");
	sql('SELECT pg_reload_conf()');
	ok( $node->poll_query_until(
			'postgres',
			"SELECT bool_and(next_nominal > now() + interval '$secs seconds') "
			  . "FROM sched.schedules"),
		"offset $secs s: the scheduler follows the clock");
}

# Per schedule: runs, distinct nominal times, the seconds from the first
# run to the cursor, missed and skipped.
sub series
{
	my ($id) = @_;
	my ($runs, $distinct, $times, $missed, $skipped) = split /\|/, sql(
		qq{
		SELECT count(*), count(DISTINCT e.nominal_time),
			   extract(epoch FROM s.next_nominal - min(e.nominal_time))::bigint,
			   s.num_actions_missed_catchup_window, s.num_actions_skipped_overlap
		  FROM sched.schedules s JOIN sched.executions e USING (schedule_id)
		 WHERE schedule_id = '$id'
		 GROUP BY s.schedule_id});
	return { runs => $runs, distinct => $distinct, times => $times,
		missed => $missed, skipped => $skipped };
}

sub check_series
{
	my ($what, $id, $missed) = @_;
	my $s = series($id);
	note "$what, $id: $s->{runs} runs, $s->{times} nominal times, "
	  . "$s->{missed} missed";
	is($s->{distinct}, $s->{runs}, "$what, $id: no nominal time fired twice");
	is($s->{skipped}, '0', "$what, $id: no start refused as a duplicate");
	is($s->{runs} + $s->{missed},
		$s->{times}, "$what, $id: every nominal time fired or counted missed");
	is($s->{missed}, $missed, "$what, $id: missed $missed") if defined $missed;
	return $s;
}

my $log_offset = -s $node->logfile;

# ---- forward 20 s: within the window ----
set_offset(20);
check_series('forward 20 s', 'cj',  0);
check_series('forward 20 s', 'cjb', 0);
ok( $node->wait_for_log(qr/the clock jumped forward by (19|20) seconds/, $log_offset),
	'forward 20 s: the jump is logged');

# ---- forward 180 s more: beyond cj's 30 s window ----
my $last = sql("SELECT max(nominal_time) FROM sched.executions WHERE schedule_id = 'cj'");
$log_offset = -s $node->logfile;
set_offset(200);
my $cj = check_series('forward 180 s', 'cj');
cmp_ok($cj->{missed}, '>=', 140, 'forward 180 s, cj: the times older than the window are missed');
cmp_ok($cj->{missed}, '<=', 155, 'forward 180 s, cj: and only those');
is( sql(
		"SELECT count(*) FROM sched.executions WHERE schedule_id = 'cj' "
		  . "AND nominal_time > '$last' "
		  . "AND nominal_time <= '$last'::timestamptz + interval '$cj->{missed} seconds'"),
	'0',
	'forward 180 s, cj: the missed times are the oldest ones');
my $cjb = check_series('forward 180 s', 'cjb', 0);
cmp_ok(
	sql(
		"SELECT count(*) FROM sched.executions WHERE schedule_id = 'cjb' "
		  . "AND nominal_time > now() + interval '20 seconds' "
		  . "AND nominal_time <= now() + interval '190 seconds'"),
	'>=', 170,
	'forward 180 s, cjb: the 180 s that passed fired in one burst');
ok( $node->wait_for_log(qr/the clock jumped forward by 1(79|80) seconds/, $log_offset),
	'forward 180 s: the jump is logged');
my $log = slurp_file($node->logfile, $log_offset);
my ($logged_missed) = $log =~ /(\d+) nominal times? missed the catch-up window/;
is($logged_missed, $cj->{missed}, 'the missed times are logged with their number');

# ---- the queue keeps the real clock under the offset ----
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) = 1 FROM sched.poll('cjq', 'w', 1, '20 seconds')"),
	'a run fired under the offset can be claimed at once');
my $claimed = sql(
	"SELECT run_id FROM sched.executions WHERE task_queue = 'cjq' AND status = 'running'");
sql(q{
	SELECT sched.start_workflow('W', 'late', 'sq', start_delay => '20 seconds');
	SELECT sched.start_workflow('W', 'soon', 'sq', start_delay => '1 second')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT status = 'pending' FROM sched.executions WHERE workflow_id = 'soon'"),
	'a start delay of 1 s ends');
my $ticks = sql('SELECT ticks FROM sched.scheduler_status()');
ok( $node->poll_query_until(
		'postgres', "SELECT ticks >= $ticks + 3 FROM sched.scheduler_status()"),
	'the scheduler ticks on');
is(sql("SELECT status FROM sched.executions WHERE run_id = '$claimed'"),
	'running', 'a 20 s lease is not expired by the offset');
is(sql("SELECT status FROM sched.executions WHERE workflow_id = 'late'"),
	'scheduled', 'a 20 s start delay is not ended by the offset');

# ---- backward 15 s ----
$last = sql("SELECT max(nominal_time) FROM sched.executions WHERE schedule_id = 'cjb'");
my $missed_before = series('cj')->{missed};
$log_offset = -s $node->logfile;
my ($ticks0, $t0) = split /\|/,
  sql("SELECT ticks, extract(epoch FROM clock_timestamp()) FROM sched.scheduler_status()");
sql("ALTER SYSTEM SET pg_sched.debug_clock_offset = '185s'");
sql('SELECT pg_reload_conf()');
ok( $node->wait_for_log(qr/the clock went back by 1[45] seconds/, $log_offset),
	'backward 15 s: the jump is logged');
# an update while the clock is behind restarts cju's cursor at the clock:
# the times up to the old cursor have their runs already
sql(q{SELECT sched.update('cju', '{"action": {"workflow": "W2", "id": "cju", "task_queue": "cjuq"}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT max(nominal_time) > '$last'::timestamptz + interval '2 seconds' "
		  . "FROM sched.executions WHERE schedule_id = 'cjb'"),
	'backward 15 s: firing resumes once the clock passes the cursor');
my ($ticks1, $t1) = split /\|/,
  sql("SELECT ticks, extract(epoch FROM clock_timestamp()) FROM sched.scheduler_status()");
note sprintf('%d ticks in %.1f s across the backward jump', $ticks1 - $ticks0, $t1 - $t0);
cmp_ok($ticks1 - $ticks0, '<', 10 * ($t1 - $t0 + 1),
	'backward 15 s: the scheduler does not spin while the clock is behind');
check_series('backward 15 s', 'cj', $missed_before);
check_series('backward 15 s', 'cjb', 0);
my $cju = series('cju');
note "backward 15 s, cju (updated while the clock was behind): $cju->{runs} runs, "
  . "$cju->{skipped} starts refused as duplicates (counted as skipped)";
is($cju->{distinct}, $cju->{runs}, 'backward 15 s, cju: an update fires no time twice');
$log = slurp_file($node->logfile, $log_offset);
my @back = $log =~ /went back/g;
is(scalar(@back), 1, 'backward 15 s: logged once');
unlike($log, qr/WARNING|ERROR/, 'backward 15 s: no warning or error');
is(sql("SELECT count(*) FROM sched.scheduler_status() WHERE state = 'running'"),
	'1', 'the scheduler still runs');

$node->stop;
done_testing();
