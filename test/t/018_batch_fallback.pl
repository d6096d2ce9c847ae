# The scheduler fires due schedules in batches (schedule_tick.c):
# their runs go in with one INSERT, and when that fails the batch is done
# again schedule by schedule.  Here two schedules share an action id, so at
# every second both want the same workflow id: the batch's INSERT fails on
# the unique index of open workflow ids, and the fallback starts one of the
# two and counts the other as skipped, while a third schedule of the same
# batch fires as usual.  A schedule whose stored document no longer reads
# fails alone in the fallback too (logged with its id) and the others fire.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('batch');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

# Every second, all three starting at the same second so that they share
# every batch; allow_all, so that open runs never hold back a start.
my $start = $node->safe_psql('postgres',
	"SELECT to_char((date_trunc('second', now()) + interval '2 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
);
foreach my $s ([ 'twin1', 'dup' ], [ 'twin2', 'dup' ], [ 'solo', 'solo' ])
{
	my ($id, $action) = @$s;
	$node->safe_psql(
		'postgres', qq{
		SELECT sched.create_schedule('$id', jsonb_build_object(
			'action', jsonb_build_object('workflow', 'W', 'id', '$action',
										 'task_queue', 'q'),
			'spec', jsonb_build_object('intervals', '[{"every": 1}]'::jsonb,
									   'start_at', '$start'),
			'policy', '{"overlap": "allow_all"}'::jsonb))});
}

ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) >= 5 FROM sched.executions WHERE schedule_id = 'solo'"),
	'a schedule batched with two that collide fires');

# A consistent look, with the scheduler held off the rows meanwhile.
my $check = $node->safe_psql(
	'postgres', q{
	BEGIN;
	SELECT 1 FROM sched.schedules FOR UPDATE;
	WITH twins AS (
		SELECT s.schedule_id, s.next_nominal, s.num_actions,
			   s.num_actions_skipped_overlap AS skipped
		  FROM sched.schedules s WHERE s.schedule_id IN ('twin1', 'twin2')),
	times AS (
		SELECT nominal_time, count(*) AS n
		  FROM sched.executions WHERE schedule_id IN ('twin1', 'twin2')
		 GROUP BY nominal_time)
	SELECT (SELECT count(*) FROM times),
		   (SELECT count(*) FROM times WHERE n <> 1),
		   (SELECT sum(num_actions) FROM twins)
			 = (SELECT count(*) FROM sched.executions
				 WHERE schedule_id IN ('twin1', 'twin2')),
		   (SELECT sum(skipped) FROM twins) > 0,
		   (SELECT count(DISTINCT workflow_id) = count(*)
			  FROM sched.executions WHERE schedule_id IN ('twin1', 'twin2')),
		   (SELECT bool_and(next_nominal = (SELECT next_nominal FROM twins LIMIT 1))
			  FROM twins);
	COMMIT;});
my ($times, $doubled, $counted, $skipped, $distinct, $same_cursor) =
  split /\|/, (split /\n/, $check)[-1];
cmp_ok($times, '>=', 4, 'the colliding pair fired at every second');
is($doubled,     0, '... once per nominal time between them, never twice');
is($counted,     't', '... their describe counters match their runs');
is($skipped,     't', '... and the refused starts are counted as skipped');
is($distinct,    't', 'no workflow id was started twice');
is($same_cursor, 't', 'both cursors moved on together');

# A stored document that no longer reads: the batch fails on it, the
# fallback logs it with its id and the other schedules of the batch fire.
my $offset = -s $node->logfile;
$node->safe_psql('postgres',
	q{UPDATE sched.schedules SET policy = '{"overlap": "sometimes"}' WHERE schedule_id = 'twin2'}
);
my $solo_before = $node->safe_psql('postgres',
	"SELECT count(*) FROM sched.executions WHERE schedule_id = 'solo'");
ok( $node->wait_for_log(qr/WARNING:  could not process schedule "twin2"/,
		$offset),
	'a schedule whose document no longer reads is logged with its id');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) >= $solo_before + 3 FROM sched.executions WHERE schedule_id = 'solo'"
	),
	'... and the others of its batch go on firing');

$node->stop;
done_testing();
