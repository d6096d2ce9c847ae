# A long outage replayed through the test clock (issue 16): the schedules'
# clock jumps forward by hours, then by a year, as after a server that was
# down that long.  The catch-up respects each schedule's window, every
# nominal time is either started once or counted missed, and the
# scheduler's memory stays bounded (its private resident size, sampled
# from /proc while it catches up, stays within a fixed amount however many
# times it walks).
#
# Schedules every second (allow_all):
#   h-all-1..10  the default window (365 days): a 6-hour outage starts all
#                21,600 missed times each, in nominal order (216,000 runs:
#                the tick's batch stops at 10,000 runs, or it would hold
#                100,000 in memory at once)
#                (deleted before the year: they would start a year of it)
#   y-1h         a 1-hour window: of a year, the last hour starts, the rest
#                (about 31.5 million times) is counted missed
#   y-10m-1..2   a 10-minute window
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('outage');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_sched'\ntimezone = 'UTC'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub mk
{
	my ($id, $window) = @_;
	my $policy = $window ? qq{"overlap": "allow_all", "catchup_window": "$window"}
	  : q{"overlap": "allow_all"};
	sql(qq{
		SELECT sched.create_schedule('$id', '{
			"action": {"workflow": "W", "id": "$id", "task_queue": "oq"},
			"spec": {"intervals": [{"every": 1}]},
			"policy": {$policy}}')});
}
mk("h-all-$_") for 1 .. 10;
mk('y-1h', '1 hour');
mk("y-10m-$_", '10 minutes') for 1 .. 2;
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(DISTINCT schedule_id) = 13 FROM sched.executions"),
	'the schedules fire');

my $spid = sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'");

# The scheduler's private memory in kB: RssAnon of /proc (VmRSS also counts
# the pages of shared buffers it touched, which grow with the tables).
# Sampled every 50 ms while it catches up; $peak keeps the largest.
my $peak = 0;
sub memory
{
	open my $fh, '<', "/proc/$spid/status" or die "no /proc/$spid/status: $!";
	my $anon;
	while (<$fh>)
	{
		$anon = $1 if /^RssAnon:\s+(\d+) kB/;
	}
	close $fh;
	$peak = $anon if $anon > $peak;
	return $anon;
}
my $mem0 = memory();
note "scheduler before the outages: $mem0 kB private";

# Sets the offset and waits until every schedule's cursor has passed the
# shifted clock (the catch-up is done), sampling the scheduler's memory.
sub set_offset
{
	my ($secs) = @_;
	sql("ALTER SYSTEM SET pg_sched.debug_clock_offset = '${secs}s'");
	sql('SELECT pg_reload_conf()');
	my $done = 0;
	for (1 .. 3600)
	{
		memory();
		$done = sql("SELECT bool_and(next_nominal > now() + interval '$secs seconds') "
			  . "FROM sched.schedules") eq 't';
		last if $done;
		usleep(50_000);
	}
	ok($done, "offset $secs s: the catch-up is done");
}

# Per schedule: runs, distinct nominal times, missed, and the seconds from
# the first run to the cursor.
sub series
{
	my ($id) = @_;
	my ($runs, $distinct, $missed, $span) = split /\|/, sql(qq{
		SELECT count(*), count(DISTINCT e.nominal_time),
			   s.num_actions_missed_catchup_window,
			   extract(epoch FROM s.next_nominal - min(e.nominal_time))::bigint
		  FROM sched.schedules s JOIN sched.executions e USING (schedule_id)
		 WHERE schedule_id = '$id' GROUP BY s.schedule_id,
			   s.num_actions_missed_catchup_window, s.next_nominal});
	return { runs => $runs, distinct => $distinct, missed => $missed, span => $span };
}

# ---- a 6-hour outage ----
set_offset(6 * 3600);
for my $id (map { "h-all-$_" } 1 .. 10)
{
	my $s = series($id);
	is($s->{missed}, '0', "6 h: $id (window 365 days) missed nothing");
	is($s->{distinct}, $s->{runs}, "6 h: $id: no time started twice");
	is($s->{runs}, $s->{span}, "6 h: $id: every second has its run ($s->{runs})");
	cmp_ok($s->{runs}, '>=', 6 * 3600, "6 h: $id: the 21,600 seconds of the outage are caught up");
}
is( sql(q{
	SELECT count(*) FROM (
		SELECT nominal_time < lag(nominal_time) OVER (ORDER BY created_at, nominal_time) AS back
		  FROM sched.executions WHERE schedule_id = 'h-all-1') x WHERE back}),
	'0', '6 h: the catch-up started the times in nominal order');
for my $id ('y-1h', 'y-10m-1', 'y-10m-2')
{
	my $s = series($id);
	is($s->{runs} + $s->{missed}, $s->{span}, "6 h: $id: every second started or counted missed");
}
my $peak1 = $peak;
note "scheduler during the 6 h catch-up: at most $peak1 kB private";

# ---- a one-year outage ----
# (without the schedules of a year's window: they would start a year of
# seconds each; delete leaves their runs)
sql("SELECT sched.delete('h-all-' || i) FROM generate_series(1, 10) i");
my %before = map { $_ => series($_) } ('y-1h', 'y-10m-1', 'y-10m-2');
my $year = 365 * 86400;
set_offset(6 * 3600 + $year);
for my $id ('y-1h', 'y-10m-1', 'y-10m-2')
{
	my $window = $id eq 'y-1h' ? 3600 : 600;
	my $s = series($id);
	my $new_runs = $s->{runs} - $before{$id}{runs};
	my $new_missed = $s->{missed} - $before{$id}{missed};
	is($s->{distinct}, $s->{runs}, "1 year: $id: no time started twice");
	is($s->{runs} + $s->{missed}, $s->{span}, "1 year: $id: every second started or counted missed");
	cmp_ok($new_missed, '>=', $year - $window - 60,
		"1 year: $id: the times older than the window are missed ($new_missed)");
	cmp_ok($new_runs, '>=', $window,
		"1 year: $id: the window's times started ($new_runs)");
	cmp_ok($new_runs, '<=', $window + 120, "1 year: $id: and hardly more than them");
}
note "scheduler during the year's catch-up: at most $peak kB private";
cmp_ok($peak - $mem0, '<', 64 * 1024,
	"the scheduler's private memory stayed within 64 MB of its size before the outages "
	  . "($mem0 kB before, at most $peak1 kB for 6 h, $peak kB for a year)");
diag "outage replay: scheduler private memory $mem0 kB before, at most $peak1 kB while "
  . "catching up 6 h (216,000 runs), at most $peak kB while a year passed "
  . "(about 94 million times missed)";

# the schedules go on firing at the shifted clock
my $n = sql("SELECT count(*) FROM sched.executions WHERE schedule_id = 'y-1h'");
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) >= $n + 2 FROM sched.executions WHERE schedule_id = 'y-1h'"),
	'after the outages the schedules fire every second again');

$node->stop;
done_testing();
