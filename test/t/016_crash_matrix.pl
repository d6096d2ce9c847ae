# The crash matrix under load (issue 5, "nothing lost, nothing doubled"):
# CRASH_SCHEDULES schedules (default 100) fire every second, a tenth of them
# under overlap skip and the rest under allow_all, with the default catch-up
# window (365 days), while three workers poll and complete without pause.
# Each of CRASH_ROUNDS rounds (default 3) then crashes the server three ways:
#   (a) kill -9 of the scheduler,
#   (b) kill -9 of a client backend in the middle of sched.poll or
#       sched.complete: in turn a poll inside an open transaction, a
#       complete blocked on its schedule's row lock, and a complete that
#       returned inside an open transaction,
#   (c) an immediate shutdown of the whole server, then a start.
# (a) and (b) make the postmaster restart every process.  Afterwards, with
# the load drained, for every schedule in one snapshot: every nominal time
# from its first run up to its cursor has exactly one run (allow_all) or is
# counted as skipped (skip), none twice and none after the cursor; nothing
# is counted as missed; no run is left open; the counters of sched.describe
# match the runs that exist; its recent_actions are the latest runs.
# Longer: CRASH_ROUNDS=10 CRASH_SCHEDULES=200 make tap PROVE_TESTS=test/t/016_crash_matrix.pl
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);

my $nsched   = $ENV{CRASH_SCHEDULES} || 100;
my $rounds   = $ENV{CRASH_ROUNDS}    || 3;
my $nskip    = int(($nsched + 9) / 10);
my $nworkers = 3;

my $node = PostgreSQL::Test::Cluster->new('crash_matrix');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
restart_after_crash = on
max_connections = 40
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# A worker: poll up to 20 runs with a 3 s lease, complete each, every call
# its own transaction (COMMIT in a procedure); a report refused because the
# lease lapsed and someone else closed the run (55000) is expected.
sql(q{
	CREATE TABLE cm_stop ();
	CREATE PROCEDURE cm_worker(w text) LANGUAGE plpgsql AS $$
	DECLARE
		ids uuid[];
		id uuid;
	BEGIN
		LOOP
			EXIT WHEN EXISTS (SELECT FROM cm_stop);
			SELECT array_agg(p.run_id) INTO ids
			  FROM sched.poll('cm', w, 20, '3 seconds') p;
			COMMIT;
			IF ids IS NULL THEN
				PERFORM pg_sleep(0.05);
				CONTINUE;
			END IF;
			FOREACH id IN ARRAY ids LOOP
				BEGIN
					PERFORM sched.complete(id, '{"ok": true}');
				EXCEPTION WHEN object_not_in_prerequisite_state THEN
					NULL;
				END;
				COMMIT;
			END LOOP;
		END LOOP;
	END $$});

# Returns the scheduler's pid while it is in a firing step (within about
# 5 s), so that a crash lands in the middle of one more often than not.
sql(q{
	CREATE FUNCTION cm_firing_pid() RETURNS integer LANGUAGE plpgsql AS $$
	DECLARE
		p integer;
	BEGIN
		FOR i IN 1 .. 5000 LOOP
			PERFORM pg_stat_clear_snapshot();
			SELECT pid INTO p FROM pg_stat_activity
			 WHERE backend_type = 'pg_sched scheduler' AND state = 'active'
			   AND query = 'firing due schedules';
			IF p IS NOT NULL THEN
				RETURN p;
			END IF;
			PERFORM pg_sleep(0.001);
		END LOOP;
		RETURN NULL;
	END $$});
my $mid_tick = 0;

sql(qq{
	SELECT sched.create_schedule(format('cm-%s', lpad(i::text, 3, '0')),
		jsonb_build_object(
			'action', jsonb_build_object('workflow', 'W',
				'id', format('cm-%s', lpad(i::text, 3, '0')), 'task_queue', 'cm'),
			'spec', '{"intervals": [{"every": 1}]}'::jsonb,
			'policy', jsonb_build_object('overlap',
				CASE WHEN i <= $nskip THEN 'skip' ELSE 'allow_all' END)))
	FROM generate_series(1, $nsched) i});

my @workers;

sub start_workers
{
	for my $i (1 .. $nworkers)
	{
		my ($out, $err) = ('', '');
		my $h = IPC::Run::start(
			[
				$node->installed_command('psql'), '-XAtq',
				'-d', $node->connstr('postgres'),
				'-c', "CALL cm_worker('w$i')"
			],
			'>', \$out, '2>', \$err);
		push @workers, { h => $h, err => \$err };
	}
}

# Workers lose their connection in every crash; returns how many exited
# with an error.
sub finish_workers
{
	my $failed = 0;
	for my $w (@workers)
	{
		eval { $w->{h}->finish; };
		$failed++ if $@ || $w->{h}->result != 0;
	}
	my @errs = map { ${ $_->{err} } } @workers;
	@workers = ();
	return ($failed, join('', @errs));
}

sub scheduler_pid
{
	my $pid;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'"
	) or die 'no scheduler';
	$pid = sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'");
	return $pid;
}

# After a crash: a new scheduler fires again (2 s past the crash), and the
# workers run again.
# poll_query_until() right after a crash: its psql may find the server
# still restarting and exit before reading the query, which IPC::Run
# reports by dying ("ack Broken pipe"); poll again then.
sub poll_after_crash
{
	my ($query) = @_;
	for (my $try = 0; $try < 20; $try++)
	{
		my $ok = eval { $node->poll_query_until('postgres', $query) };
		return $ok if defined $ok;
		diag("polling again after: $@");
		usleep(100_000);
	}
	return 0;
}

sub wait_recovered
{
	my ($what, $old_pid, $before) = @_;
	ok( poll_after_crash(
			"SELECT count(*) = 1 FROM pg_stat_activity "
			  . "WHERE backend_type = 'pg_sched scheduler' AND pid <> $old_pid"),
		"$what: a new scheduler runs");
	ok( $node->poll_query_until(
			'postgres',
			"SELECT max(nominal_time) >= '$before'::timestamptz + interval '2 seconds' "
			  . "FROM sched.executions"),
		"$what: the schedules fire again");
	my ($failed, $errs) = finish_workers();
	note "$what: $failed of $nworkers workers lost their connection";
	start_workers();
}

start_workers();
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(DISTINCT schedule_id) = $nsched AND count(*) FILTER (WHERE status = 'completed') > 0 "
		  . "FROM sched.executions"),
	"$nsched schedules fire and the workers complete runs");
my $first_crash = sql('SELECT now()');

# (b) one of three ways to kill a backend in the middle of poll or complete
my @victim_runs;    # runs whose report died with a killed backend

sub kill_backend
{
	my ($variant, $what) = @_;
	my $v = $node->background_psql('postgres', on_error_stop => 0);
	my $vpid = $v->query_safe('SELECT pg_backend_pid()');
	my $locker;

	# claims at least one run; in an open transaction for variant 0,
	# committed with a 2 s lease for the others
	my $run;
	for (my $try = 0; $try < 500 && !defined $run; $try++)
	{
		$v->query_safe('BEGIN');
		my $got = $v->query_safe(
			$variant == 0
			? "SELECT run_id FROM sched.poll('cm', 'victim', 5, '1 hour') LIMIT 1"
			: "SELECT run_id FROM sched.poll('cm', 'victim', 1, '2 seconds')");
		if ($got =~ /^[0-9a-f-]{36}$/m)
		{
			($run) = $got =~ /^([0-9a-f-]{36})$/m;
			last;
		}
		$v->query_safe('ROLLBACK');
		usleep(20_000);
	}
	die "the victim never claimed a run" unless defined $run;

	if ($variant == 1)
	{
		$v->query_safe('COMMIT');
		my $schedule =
		  sql("SELECT schedule_id FROM sched.executions WHERE run_id = '$run'");
		$locker = $node->background_psql('postgres', on_error_stop => 0);
		$locker->query_safe('BEGIN');
		$locker->query_safe(
			"SELECT 1 FROM sched.schedules WHERE schedule_id = '$schedule' FOR UPDATE");
		# complete waits for the schedule's row lock
		$v->{stdin} .= "SELECT sched.complete('$run');\n";
		$v->{run}->pump_nb();
		ok( $node->poll_query_until(
				'postgres',
				"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $vpid"),
			"$what: sched.complete waits for the schedule's lock");
		push @victim_runs, $run;
	}
	elsif ($variant == 2)
	{
		$v->query_safe('COMMIT');
		$v->query_safe('BEGIN');
		$v->query_safe("SELECT sched.complete('$run')");
		push @victim_runs, $run;
	}
	my $before = sql('SELECT now()');
	my $old    = sql(
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'");
	kill 'KILL', $vpid;
	for my $s ($v, $locker)
	{
		next unless defined $s;
		eval { $s->quit; };
	}
	wait_recovered($what, $old || 0, $before);
	if ($variant == 0)
	{
		is(sql("SELECT count(*) FROM sched.executions WHERE worker = 'victim'"),
			'0', "$what: the uncommitted claim is gone");
	}
	else
	{
		isnt(sql("SELECT status FROM sched.executions WHERE run_id = '$run' AND attempt = 1"),
			'completed', "$what: the uncommitted complete is gone");
	}
}

for my $round (1 .. $rounds)
{
	# (a) kill -9 of the scheduler, during a firing step if we catch one
	my $pid    = scheduler_pid();
	my $before = sql('SELECT now()');
	my $firing = sql('SELECT cm_firing_pid()');
	$mid_tick++ if $firing ne '';
	kill 'KILL', $pid;
	wait_recovered("round $round, kill -9 of the scheduler", $pid, $before);

	# (b) kill -9 of a backend in poll or complete
	my $variant = ($round - 1) % 3;
	kill_backend($variant,
		"round $round, kill -9 of a backend "
		  . ( ('in an open transaction after poll',
				'in complete, waiting for a lock',
				'in an open transaction after complete')[$variant]));

	# (c) immediate shutdown, from a firing step if we catch one
	$pid    = scheduler_pid();
	$before = sql('SELECT now()');
	$firing = sql('SELECT cm_firing_pid()');
	$mid_tick++ if $firing ne '';
	$node->stop('immediate');
	$node->start;
	wait_recovered("round $round, immediate shutdown", $pid, $before);
}

# Drain: every run older than a few seconds ends completed (the leases of
# runs claimed by killed backends lapse, and the workers take them again).
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM sched.executions "
		  . "WHERE status <> 'completed' AND nominal_time < now() - interval '10 seconds'"),
	'every run of the crashes ends completed');
sql('INSERT INTO cm_stop DEFAULT VALUES');
my ($failed, $errs) = finish_workers();
is($failed, 0, 'the workers met no error and stop cleanly') or diag($errs);

is( sql(
		"SELECT count(*) FROM sched.executions WHERE run_id = ANY ('{"
		  . join(',', @victim_runs)
		  . "}'::uuid[]) AND status = 'completed' AND attempt >= 2"),
	scalar(@victim_runs),
	'the runs whose complete died were claimed again and completed');

sql('SELECT sched.expire_leases()');
is( sql(
		"SELECT count(*) FROM sched.executions "
		  . "WHERE status = 'running' AND lease_expires_at <= now()"),
	'0',
	'no run is running past its lease');

# One snapshot: the scheduler goes on firing while we look.
my $check = $node->safe_psql(
	'postgres', qq{
	BEGIN ISOLATION LEVEL REPEATABLE READ;
	CREATE TEMP VIEW per_schedule AS
	SELECT s.schedule_id, s.policy->>'overlap' AS overlap,
		   r.runs, r.distinct_times, r.first_time, r.after_cursor,
		   extract(epoch FROM s.next_nominal - r.first_time)::bigint AS times,
		   s.num_actions, s.num_actions_skipped_overlap AS skipped,
		   s.num_actions_missed_catchup_window AS missed,
		   r.open_tracked, r.latest, sched.describe(s.schedule_id)->'info' AS info
	  FROM sched.schedules s
	  CROSS JOIN LATERAL (
		SELECT count(*) AS runs, count(DISTINCT nominal_time) AS distinct_times,
			   min(nominal_time) AS first_time,
			   count(*) FILTER (WHERE nominal_time >= s.next_nominal) AS after_cursor,
			   count(*) FILTER (WHERE overlap_tracked
								AND status IN ('scheduled', 'pending', 'running')) AS open_tracked,
			   (SELECT jsonb_agg(workflow_id ORDER BY nominal_time)
				  FROM (SELECT workflow_id, nominal_time FROM sched.executions e2
						 WHERE e2.schedule_id = s.schedule_id
						 ORDER BY nominal_time DESC LIMIT 10) l) AS latest
		  FROM sched.executions e WHERE e.schedule_id = s.schedule_id) r
	 WHERE s.schedule_id LIKE 'cm-%';
	SELECT count(*),
		   count(*) FILTER (WHERE first_time < '$first_crash'),
		   count(*) FILTER (WHERE distinct_times <> runs),
		   count(*) FILTER (WHERE after_cursor <> 0),
		   count(*) FILTER (WHERE overlap = 'allow_all' AND (runs <> times OR skipped <> 0)),
		   count(*) FILTER (WHERE overlap = 'skip' AND runs + skipped <> times),
		   count(*) FILTER (WHERE missed <> 0),
		   count(*) FILTER (WHERE num_actions <> runs
							 OR (info->>'num_actions')::bigint <> runs
							 OR (info->>'num_actions_skipped_overlap')::bigint <> skipped
							 OR (info->>'num_actions_missed_catchup_window')::bigint <> 0
							 OR (info->>'buffer_size')::bigint <> 0
							 OR jsonb_array_length(info->'running_actions') <> open_tracked),
		   count(*) FILTER (WHERE (SELECT jsonb_agg(a->'workflow_id')
									 FROM jsonb_array_elements(info->'recent_actions') a)
								  IS DISTINCT FROM latest),
		   sum(times), sum(runs), sum(skipped),
		   (SELECT count(*) FROM sched.executions WHERE attempt > 1)
	  FROM per_schedule;
	COMMIT;});
my ($n, $started_before, $dup, $after, $gap_all, $gap_skip, $missed, $counters,
	$recent, $times, $runs, $skipped, $redelivered)
  = split /\|/, $check;
note "$n schedules, $rounds rounds of 3 crashes (the scheduler was seen firing "
  . "just before $mid_tick of its "
  . (2 * $rounds)
  . " kills and shutdowns): $times nominal times checked, "
  . "$runs runs, $skipped skipped by overlap, $redelivered runs delivered more than once";
is($n,              $nsched, 'every schedule is checked');
is($started_before, $nsched, 'each from a first run before the first crash');
is($dup,            '0',     'no nominal time has two runs');
is($after,          '0',     'no run lies past its schedule\'s cursor');
is($gap_all, '0',
	'allow_all: every nominal time up to the cursor has its run, none is skipped');
is($gap_skip, '0', 'skip: every nominal time has a run or is counted as skipped');
is($missed,   '0', 'nothing is counted as missed (the window is a year)');
is($counters, '0',
	'describe and the counters match the runs (actions, skipped, missed, buffer, running)');
is($recent, '0', 'describe\'s recent_actions are the latest runs');

my $log = slurp_file($node->logfile);
unlike($log, qr/PANIC|TRAP:/, 'no PANIC or assertion failure in the log');
unlike($log, qr/missed the catch-up window/, 'the scheduler logged nothing missed');

$node->stop;
done_testing();
