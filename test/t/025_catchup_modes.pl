# Catch-up modes (policy.catchup_mode) and catch-up on unpause across an
# outage of the server (issue 14): the server stops in immediate mode (a
# crash), its clock (pg_sched.debug_clock_offset) is two hours further when
# it comes back, and the scheduler decides every time of the outage once:
#  - all: the 12 times fire; with a 20-minute window the 2 newest fire and
#    the 10 older are missed;
#  - latest: the newest fires, the 11 others are missed;
#  - none: all 12 are missed, nothing fires;
#  - a schedule paused before the crash and unpaused after it with
#    catchup => 'latest' replays the outage as latest does;
# and a second crash and restart fires nothing twice and counts nothing
# twice.  The schedules fire every 10 minutes at a phase chosen so that the
# restart lands 5 minutes after a time and 5 minutes before the next: no
# time becomes due while the test looks.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('catchup_modes');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $jump = 7200;
# interval phase: times at now - 300 + k * 600 (now + 300 is the first)
my ($base, $phase) = split /\|/,
  sql("SELECT floor(extract(epoch FROM now()))::bigint, "
	  . "(floor(extract(epoch FROM now()))::bigint - 300) % 600");
my %policy = (
	'cm-all'    => '{"overlap": "allow_all"}',
	'cm-win'    => '{"overlap": "allow_all", "catchup_window": "20 minutes"}',
	'cm-latest' => '{"overlap": "allow_all", "catchup_mode": "latest"}',
	'cm-none'   => '{"overlap": "allow_all", "catchup_mode": "none"}',
	'cm-up'     => '{"overlap": "allow_all", "catchup_mode": "none"}',
	'cm-up-def' => '{"overlap": "allow_all"}');
for my $id (sort keys %policy)
{
	sql(qq{SELECT sched.create_schedule('$id', jsonb_build_object(
		'action', jsonb_build_object('workflow', 'W', 'id', '$id', 'task_queue', 'q'),
		'spec', jsonb_build_object('intervals', jsonb_build_array(
			jsonb_build_object('every', 600, 'offset', $phase))),
		'policy', '$policy{$id}'::jsonb))});
}
sql("SELECT sched.pause('cm-up'), sched.pause('cm-up-def')");
is(sql('SELECT count(*) FROM sched.executions'), '0', 'nothing is due before the crash');

# the crash, and the clock two hours further on restart
$node->stop('immediate');
$node->append_conf('postgresql.conf', "pg_sched.debug_clock_offset = ${jump}s");
$node->start;

ok( $node->poll_query_until(
		'postgres',
		"SELECT bool_and(next_nominal > now() + interval '$jump seconds') "
		  . "FROM sched.schedules WHERE NOT paused"),
	'after the restart the scheduler decides every time of the outage');
sql(q{SELECT sched.unpause('cm-up', 'back', 'latest'),
			 sched.unpause('cm-up-def', 'back')});

# runs and missed per schedule, and the newest nominal time that fired
sub outcome
{
	my ($id) = @_;
	return sql(
		qq{SELECT (SELECT count(*) FROM sched.executions WHERE schedule_id = '$id')
			   || ' ' || num_actions_missed_catchup_window
			   || ' ' || (SELECT count(DISTINCT nominal_time) FROM sched.executions
						  WHERE schedule_id = '$id')
			   || ' ' || coalesce((SELECT extract(epoch FROM max(nominal_time))::bigint - $base
							  FROM sched.executions WHERE schedule_id = '$id')::text, '-')
			 FROM sched.schedules WHERE schedule_id = '$id'});
}

# "runs missed distinct newest": newest in seconds after the creation (the
# times are base + 300 + k * 600; the newest due at base + 7200 is 6900)
my %expect = (
	'cm-all'    => '12 0 12 6900',
	'cm-win'    => '2 10 2 6900',
	'cm-latest' => '1 11 1 6900',
	'cm-none'   => '0 12 0 -',
	'cm-up'     => '1 11 1 6900',
	'cm-up-def' => '0 0 0 -');
my %note = (
	'cm-all'    => 'all: every time of the outage fires',
	'cm-win'    => 'all, 20-minute window: the 2 newest fire, 10 are missed',
	'cm-latest' => 'latest: the newest fires, 11 are missed',
	'cm-none'   => 'none: all 12 are missed',
	'cm-up'     => 'unpause with catchup latest (policy none): as latest',
	'cm-up-def' => 'unpause without catchup: not replayed, not counted');
for my $id (sort keys %expect)
{
	is(outcome($id), $expect{$id}, "$id: $note{$id}");
}

# a second crash: nothing fires twice, nothing is counted twice
$node->stop('immediate');
$node->start;
my $ticks = 0;
ok( $node->poll_query_until(
		'postgres', 'SELECT ticks >= 3 FROM sched.scheduler_status()'),
	'the scheduler ticks after the second restart');
for my $id (sort keys %expect)
{
	is(outcome($id), $expect{$id}, "$id after a second crash: unchanged");
}
my $log = slurp_file($node->logfile);
unlike($log, qr/could not process schedule/, 'no schedule failed');

$node->stop;
done_testing();
