# Issue 14 with the scheduler firing: workflow ids of scheduled runs (the
# action's id_time_format, keep_original_workflow_id across runs), the last
# failure handed to the next scheduled run through a worker that polls,
# fails and completes, and the audit trail's retention applied by the
# scheduler.  Short intervals and polling, no long sleeps.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ids_failure');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

# ---- id_time_format: every second, its own id in the given format ----
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('fmt', '{
		"action": {"workflow": "W", "id": "fmt", "task_queue": "fq",
				   "id_time_format": "YYYYMMDD\"T\"HH24MISS"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) >= 3 FROM sched.executions WHERE schedule_id = 'fmt'"),
	'the scheduler fires a schedule with an id_time_format');
$node->safe_psql('postgres', "SELECT sched.pause('fmt')");
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FILTER (WHERE workflow_id <> 'fmt-' || to_char(nominal_time AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS')),
			   count(DISTINCT workflow_id) = count(*)
		  FROM sched.executions WHERE schedule_id = 'fmt'}),
	'0|t',
	'each run is named by its nominal time in the format, one id per run');

# ---- keep_original_workflow_id: one open run at a time, same id ----
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('keep', '{
		"action": {"workflow": "W", "id": "keep", "task_queue": "kq",
				   "keep_original_workflow_id": true},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}')});
ok( $node->poll_query_until(
		'postgres',
		"SELECT (sched.describe('keep')->'info'->>'num_actions_skipped_overlap')::int >= 2"),
	'under allow_all, the times that meet the open run of the id are skipped');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*), min(workflow_id) FROM sched.executions WHERE schedule_id = 'keep'"),
	'1|keep',
	'only one run of the id exists while it is open');
# a worker completes it: the next time starts a new run under the same id
my $run1 = $node->safe_psql('postgres',
	"SELECT run_id FROM sched.poll('kq', 'w1', 1, '1 minute')");
$node->safe_psql('postgres', "SELECT sched.complete('$run1', '{\"n\": 1}')");
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 2 FROM sched.executions WHERE workflow_id = 'keep'"),
	'after the close, the next time starts the id again');
is( $node->safe_psql(
		'postgres', q{
		SELECT string_agg(status, ',' ORDER BY created_at),
			   count(*) FILTER (WHERE status IN ('scheduled', 'pending', 'running'))
		  FROM sched.executions WHERE workflow_id = 'keep'}),
	'completed,pending|1',
	'the closed run and one open run, never two open');
$node->safe_psql('postgres', "SELECT sched.pause('keep')");

# ---- the last failure, handed to the next scheduled run ----
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('lf', '{
		"action": {"workflow": "W", "id": "lf", "task_queue": "lq"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "skip"}}')});

# the worker: claim the next run of lq, wait for one if needed
sub claim
{
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) > 0 FROM sched.executions WHERE task_queue = 'lq' AND status = 'pending'"),
		'a run of the schedule is pending');
	my $row = $node->safe_psql(
		'postgres', q{
		SELECT run_id, coalesce(last_failure->>'message', '-'),
			   coalesce(last_failure->>'error_type', '-'),
			   coalesce(last_completion_result::text, '-')
		  FROM sched.poll('lq', 'perl-worker', 1, '1 minute')});
	return split /\|/, $row;
}

my ($r1, $f1, $t1, $c1) = claim();
is("$f1|$c1", '-|-', 'the first run gets no last failure or result');
$node->safe_psql('postgres',
	"SELECT sched.fail('$r1', 'upstream down', error_type => 'ConnectionError')");
my ($r2, $f2, $t2, $c2) = claim();
isnt($r2, $r1, 'the scheduler started the next run');
is("$f2|$t2|$c2", 'upstream down|ConnectionError|-',
	'the next scheduled run receives the failure of the one before');
is( $node->safe_psql(
		'postgres', "SELECT last_failure->>'run_id' FROM sched.executions WHERE run_id = '$r2'"),
	$r1,
	'naming the failed run');
$node->safe_psql('postgres', "SELECT sched.complete('$r2', '{\"rows\": 7}')");
my ($r3, $f3, $t3, $c3) = claim();
is("$f3|$c3", '-|{"rows": 7}',
	'after a completion: the result, and no failure any more');
$node->safe_psql('postgres', "SELECT sched.pause('lf')");

# ---- the audit trail's retention ----
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(operation, ',' ORDER BY audit_id) FROM sched.schedule_audit WHERE schedule_id = 'lf'"),
	'create,pause',
	'the audit trail has the changes, kept under the default retention');
$node->safe_psql('postgres', "ALTER SYSTEM SET pg_sched.audit_retention = '2s'");
$node->reload;
ok( $node->poll_query_until(
		'postgres', "SELECT current_setting('pg_sched.audit_retention') = '2s'"),
	'the retention changes with a reload');
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) = 0 FROM sched.audit_log"),
	'the scheduler deletes entries older than pg_sched.audit_retention');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM sched.schedules WHERE schedule_id IN ('lf', 'keep', 'fmt')"),
	'3',
	'the schedules stay');

$node->stop;
done_testing();
