# At most N open runs (policy.concurrency_limit, issue 14) under load:
# four sessions backfill 120 distinct hours and trigger 20 times, at once,
# into a buffer_all schedule with concurrency_limit 3, while two worker
# sessions claim and complete runs.  A test trigger on sched.executions
# counts, in the inserting transaction (under the schedule's lock, as every
# start and close is), the open tracked runs of the schedule after each
# insert: it must never see more than 3.  At the end every backfilled hour
# has exactly one run, every trigger started a run or was counted as
# skipped (its workflow id, named by the second, was taken), and nothing is
# left waiting.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('concurrency_limit');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{
	SELECT sched.create_schedule('lim', '{
		"action": {"workflow": "W", "id": "lim", "task_queue": "limq"},
		"spec": {"cron_expressions": ["0 * * * * 2023,2099"]},
		"policy": {"overlap": "buffer_all", "concurrency_limit": 3}}');
	CREATE TABLE open_seen (n int, at timestamptz DEFAULT clock_timestamp());
	CREATE TABLE clients_done (c int);
	CREATE FUNCTION count_open() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO public.open_seen (n)
		SELECT count(*) FROM sched.executions
		 WHERE schedule_id = 'lim' AND overlap_tracked AND closed_at IS NULL;
		RETURN NULL;
	END $$;
	CREATE TRIGGER count_open AFTER INSERT ON sched.executions
		FOR EACH ROW WHEN (NEW.schedule_id = 'lim') EXECUTE FUNCTION count_open();
	-- a worker: claims and completes runs until the clients are done and
	-- the schedule has nothing open, buffered or left to backfill
	CREATE PROCEDURE work(w text) LANGUAGE plpgsql AS $$
	DECLARE
		r record;
		idle int := 0;
	BEGIN
		LOOP
			SELECT * INTO r FROM sched.poll('limq', w, 1);
			IF r.run_id IS NULL THEN
				idle := idle + 1;
				EXIT WHEN idle > 20 AND (SELECT count(*) FROM clients_done) = 4
					AND NOT EXISTS (SELECT FROM sched.buffer WHERE schedule_id = 'lim')
					AND NOT EXISTS (SELECT FROM sched.backfills WHERE schedule_id = 'lim')
					AND NOT EXISTS (SELECT FROM sched.executions
									 WHERE schedule_id = 'lim' AND closed_at IS NULL);
				EXIT WHEN idle > 3000;
				PERFORM pg_sleep(0.01);
			ELSE
				idle := 0;
				PERFORM pg_sleep(0.005);
				PERFORM sched.complete(r.run_id);
			END IF;
			COMMIT;
		END LOOP;
	END $$;
	-- a client: 10 backfills of 3 distinct hours of 2023, and 5 triggers
	CREATE PROCEDURE client(c int) LANGUAGE plpgsql AS $$
	BEGIN
		FOR i IN 0..9 LOOP
			PERFORM sched.backfill('lim',
				'2023-01-01Z'::timestamptz + ((c * 30 + i * 3) * interval '1 hour'),
				'2023-01-01Z'::timestamptz + ((c * 30 + i * 3 + 2) * interval '1 hour'));
			COMMIT;
			IF i % 2 = 0 THEN
				PERFORM sched.trigger('lim');
				COMMIT;
			END IF;
		END LOOP;
		INSERT INTO clients_done VALUES (c);
	END $$});

my @procs;
for my $call ("CALL work('w1')", "CALL work('w2')", "CALL client(0)",
	"CALL client(1)", "CALL client(2)", "CALL client(3)")
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
is($failed, 0, 'no session failed (no deadlock, no error)');

my ($inserts, $max) = split /\|/, sql('SELECT count(*), max(n) FROM open_seen');
note "$inserts starts, at most $max open runs seen after a start";
cmp_ok($max, '<=', 3, 'never more than 3 open runs');
is($max, '3', 'the limit is used: 3 runs were open at once');
is( sql(
		"SELECT count(*) || ' ' || count(DISTINCT nominal_time) FROM sched.executions "
		  . "WHERE schedule_id = 'lim' AND start_kind = 'backfill'"),
	'120 120',
	'every backfilled hour has exactly one run');
my ($trig, $skipped, $taken) = split /\|/, sql(
	q{SELECT (SELECT count(*) FROM sched.executions
			   WHERE schedule_id = 'lim' AND start_kind = 'trigger'),
			 num_actions_skipped_overlap, num_actions
		FROM sched.schedules WHERE schedule_id = 'lim'});
note "triggers: $trig started, $skipped skipped (workflow id taken)";
is($trig + $skipped, 20, 'every trigger started a run or was counted as skipped');
is( sql(
		q{SELECT count(*) FILTER (WHERE closed_at IS NULL) || ' '
			  || count(*) FILTER (WHERE status = 'completed')
			  || ' ' || (SELECT count(*) FROM sched.buffer)
			  || ' ' || (SELECT count(*) FROM sched.backfills)
			FROM sched.executions WHERE schedule_id = 'lim'}),
	"0 " . (120 + $trig) . " 0 0",
	'all runs completed, nothing left waiting');
is(sql("SELECT num_actions FROM sched.schedules WHERE schedule_id = 'lim'"),
	120 + $trig, 'num_actions counts every start');

$node->stop;
done_testing();
