# The batched reports under concurrency (issue 12): four workers claim 20
# runs at a time and close them with sched.complete_runs or
# sched.fail_runs, while a fifth session reports on random runs (running,
# pending or closed ones: stale and duplicate reports), every call in its
# own transaction.  The runs belong to five schedules (tracked, so every
# close locks its schedule and processes it) or to none.  Every run must be
# closed exactly once, by exactly one successful report; every refusal is
# "not running" (55000); no session may fail (a deadlock between batches
# that lock several schedules would abort one with 40P01).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('batchconc');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

my $nruns = 1500;
$node->safe_psql(
	'postgres', qq{
	SELECT sched.create_schedule('bc-' || i, jsonb_build_object(
		'action', jsonb_build_object('workflow', 'W', 'id', 'bc-' || i,
									 'task_queue', 'bc-other'),
		'spec', '{"cron_expressions": ["0 0 1 1 *"], "start_at": "2099-01-01T00:00:00Z"}'::jsonb,
		'policy', '{"overlap": "buffer_all"}'::jsonb,
		'state', '{"paused": true}'::jsonb))
	  FROM generate_series(1, 5) i;
	INSERT INTO sched.executions (run_id, workflow_id, workflow, task_queue, status,
								  start_kind, schedule_id, nominal_time,
								  overlap_tracked, due_at)
	SELECT gen_random_uuid(), 'bc-run-' || i, 'W', 'bc', 'pending',
		   CASE WHEN i % 3 = 0 THEN 'start' ELSE 'trigger' END,
		   CASE WHEN i % 3 = 0 THEN NULL ELSE 'bc-' || (i % 5 + 1) END,
		   CASE WHEN i % 3 = 0 THEN NULL ELSE now() END,
		   i % 3 <> 0, now() - interval '1 minute'
	  FROM generate_series(1, $nruns) i;
	CREATE TABLE bc_log (who text, run_id uuid, status text, sqlstate text);
	CREATE PROCEDURE bc_worker(w text) LANGUAGE plpgsql AS \$\$
	DECLARE
		ids uuid[];
	BEGIN
		LOOP
			SELECT array_agg(run_id) INTO ids
			  FROM sched.poll('bc', w, 20, '10 minutes');
			EXIT WHEN ids IS NULL;
			IF random() < 0.5 THEN
				INSERT INTO bc_log SELECT w, r.run_id, r.status, r.sqlstate
				  FROM sched.complete_runs(ids) r;
			ELSE
				INSERT INTO bc_log SELECT w, r.run_id, r.status, r.sqlstate
				  FROM sched.fail_runs(ids, array_fill('boom'::text,
												ARRAY[cardinality(ids)])) r;
			END IF;
			COMMIT;
		END LOOP;
	END \$\$;
	CREATE PROCEDURE bc_stale(n int) LANGUAGE plpgsql AS \$\$
	DECLARE
		ids uuid[];
	BEGIN
		FOR k IN 1..n LOOP
			SELECT array_agg(run_id) INTO ids
			  FROM (SELECT run_id FROM sched.executions
					 WHERE task_queue = 'bc' ORDER BY random() LIMIT 30) s;
			INSERT INTO bc_log SELECT 'stale', r.run_id, r.status, r.sqlstate
			  FROM sched.complete_runs(ids || ids[1:3]) r;
			COMMIT;
		END LOOP;
	END \$\$;
});

my @procs;
for my $call ("CALL bc_worker('w1')", "CALL bc_worker('w2')",
	"CALL bc_worker('w3')", "CALL bc_worker('w4')", "CALL bc_stale(60)")
{
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			$node->installed_command('psql'), '-XAtq', '-v',
			'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-c', $call
		],
		'>', \$out, '2>', \$err);
	push @procs, { h => $h, err => \$err, call => $call };
}
my $failed = 0;
for my $p (@procs)
{
	eval { $p->{h}->finish; };
	if ($@ || $p->{h}->result != 0)
	{
		$failed++;
		diag("$p->{call} failed: " . ${ $p->{err} });
	}
}
is($failed, 0, 'no session failed (no deadlock, no unexpected error)');

is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM sched.executions WHERE task_queue = 'bc' AND status IN ('completed', 'failed')"
	),
	$nruns,
	'every run is closed');
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) FROM (SELECT run_id FROM bc_log WHERE status IS NOT NULL
						   GROUP BY run_id HAVING count(*) <> 1) x}),
	'0',
	'no run was closed twice');
is( $node->safe_psql(
		'postgres', "SELECT count(DISTINCT run_id) FROM bc_log WHERE status IS NOT NULL"),
	$nruns,
	'each run was closed by one successful report');
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) FROM bc_log l JOIN sched.executions e USING (run_id)
	 WHERE l.status IS NOT NULL AND l.status <> e.status}),
	'0',
	'the status each report returned is the run\'s');
is( $node->safe_psql(
		'postgres',
		"SELECT coalesce(string_agg(DISTINCT sqlstate, ','), '') FROM bc_log WHERE status IS NULL"
	),
	'55000',
	'every refusal is "not running" (55000)');
ok( $node->safe_psql(
		'postgres', "SELECT count(*) FROM bc_log WHERE who = 'stale' AND status IS NULL") > 0,
	'the stale reports were refused');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM sched.executions WHERE task_queue = 'bc-other'"),
	'0',
	'the paused schedules started nothing when their runs closed');

$node->stop;
done_testing();
