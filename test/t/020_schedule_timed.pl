# Schedules fired by the scheduler: jitter delays each action to the actual
# time describe announced (and never past the next nominal time); the
# buffer under a firing schedule (buffer_one keeps one, later ones are
# skipped; a close starts the waiting one at once); a catch-up longer than
# one call's bound (10,000 times) continues over the next ticks without
# losing or repeating a time.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('schedule_timed');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# ---- jitter ----
# Every 2 seconds with up to 1.5 s of jitter: describe's next action times
# (read in the creating transaction, before the scheduler can act) are the
# actual times, and the runs are scheduled exactly at them.
my $announced = sql(q{
	BEGIN;
	SELECT sched.create_schedule('jit', '{
		"action": {"workflow": "W", "id": "jit", "task_queue": "jq"},
		"spec": {"intervals": [{"every": 2}], "jitter": "1.5 seconds"},
		"policy": {"overlap": "allow_all"}}') IS NULL;
	SELECT array_agg(t::timestamptz ORDER BY t)
	  FROM (SELECT jsonb_array_elements_text(
	                   sched.describe('jit')->'info'->'next_action_times') AS t
	         LIMIT 3) x;
	COMMIT;});
$announced = (split /\n/, $announced)[-1];
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) >= 3 FROM sched.executions WHERE schedule_id = 'jit'"),
	'a jittered schedule fires');
sql("SELECT sched.pause('jit')");
is( sql(qq{
	SELECT array_agg(scheduled_at ORDER BY scheduled_at) = '$announced'::timestamptz[]
	  FROM (SELECT scheduled_at FROM sched.executions
	         WHERE schedule_id = 'jit' ORDER BY scheduled_at LIMIT 3) x}),
	't',
	'the runs are scheduled at the announced actual times');
is( sql(q{
	SELECT count(*) FILTER (WHERE scheduled_at < nominal_time
	                           OR scheduled_at >= nominal_time + interval '1.5 seconds'),
	       count(*) FILTER (WHERE created_at < scheduled_at),
	       count(*) FILTER (WHERE scheduled_at > nominal_time)
	  FROM sched.executions WHERE schedule_id = 'jit'}) =~ /^0\|0\|[1-9]/ ? 1 : 0,
	1,
	'jitter lies in [0, 1.5 s), actions never fire before their actual time, and some are delayed');
is( sql(q{
	SELECT count(*) FROM sched.executions
	 WHERE schedule_id = 'jit'
	   AND workflow_id <> 'jit-' || to_char(nominal_time AT TIME ZONE 'UTC',
	                                        'YYYY-MM-DD"T"HH24:MI:SS"Z"')}),
	'0',
	'workflow ids carry the nominal time, not the jittered one');

# ---- the buffer of a firing schedule ----
# buffer_one every second while the first run stays open: one waits, the
# later ones are skipped; closing the open run starts the waiting one at
# once, in the closing transaction.
sql(q{
	SELECT sched.create_schedule('buf', '{
		"action": {"workflow": "W", "id": "buf", "task_queue": "bq"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "buffer_one"}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT (sched.describe('buf')->'info'->>'num_actions_skipped_overlap')::int >= 2"),
	'while a run is open, later times are skipped');
sql("SELECT sched.pause('buf')");
is( sql(q{
	SELECT (i->>'num_actions')::int, (i->>'buffer_size')::int,
	       jsonb_array_length(i->'running_actions')
	  FROM (SELECT sched.describe('buf')->'info' AS i) d}),
	'1|1|1',
	'one run open, one waiting');
my $waiting = sql("SELECT nominal_time FROM sched.buffer WHERE schedule_id = 'buf'");
my $first = sql("SELECT min(nominal_time) FROM sched.executions WHERE schedule_id = 'buf'");
is( sql("SELECT '$waiting'::timestamptz = '$first'::timestamptz + interval '1 second'"),
	't', 'the waiting one is the earliest (buffer_one keeps the first)');
# the paused schedule drops its scheduled item when it comes up: unpause
# first, and close the run in the same transaction as a check
sql("SELECT sched.unpause('buf')");
my $started = sql(q{
	BEGIN;
	SELECT sched.terminate_workflow(workflow_id) FROM sched.executions
	 WHERE schedule_id = 'buf' AND nominal_time = (SELECT min(nominal_time)
	       FROM sched.executions WHERE schedule_id = 'buf');
	SELECT count(*) FROM sched.executions
	 WHERE schedule_id = 'buf' AND nominal_time = '} . $waiting . q{'
	   AND status = 'pending';
	COMMIT;});
is((split /\n/, $started)[-1], '1',
	'a run that closes starts the waiting one in the same transaction');
sql("SELECT sched.delete('buf')");

# ---- catch-up beyond one call's bound ----
# A schedule every second, with a run open under skip and its cursor moved
# six hours back: 21,600 due times, more than one call takes (10,000), are
# all looked at over a few ticks, each exactly once (skipped), and the
# cursor catches up with the clock.
sql(q{
	SELECT sched.create_schedule('far', '{
		"action": {"workflow": "W", "id": "far", "task_queue": "fq"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "skip"},
		"state": {"paused": true}}', trigger_immediately => true)});
my $moved_to = sql(q{
	UPDATE sched.schedules
	   SET paused = false,
	       next_nominal = date_trunc('second', now()) - interval '6 hours',
	       next_due = date_trunc('second', now()) - interval '6 hours'
	 WHERE schedule_id = 'far'
	RETURNING next_nominal});
sql('SELECT sched.wake_scheduler()');
ok( $node->poll_query_until(
		'postgres',
		"SELECT next_nominal > now() - interval '2 seconds' FROM sched.schedules WHERE schedule_id = 'far'"),
	'the cursor catches up with the clock');
sql("SELECT sched.pause('far')");
my ($skipped, $actions, $missed, $dropped, $cursor) = split /\|/, sql(q{
	SELECT num_actions_skipped_overlap, num_actions,
	       num_actions_missed_catchup_window, num_buffer_dropped, next_nominal
	  FROM sched.schedules WHERE schedule_id = 'far'});
my $expected = sql("SELECT extract(epoch FROM '$cursor'::timestamptz - '$moved_to'::timestamptz)::bigint");
is($skipped, $expected, "every due time was looked at exactly once ($expected skipped)");
is("$actions|$missed|$dropped", '1|0|0',
	'nothing started beside the open run, nothing missed, nothing dropped');

$node->stop;
done_testing();
