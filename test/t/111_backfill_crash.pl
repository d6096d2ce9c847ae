# A large backfill and a full buffer interrupted by crashes (issue 16):
# afterwards every nominal time has exactly one run.
#
#  - "bf": two backfills of 60,000 actions each (allow_all: sched.backfill
#    starts them itself, in set-based batches, in its own transaction); the
#    first interrupted by kill -9 of its backend in the middle of the call,
#    the second by an immediate shutdown: nothing of either is stored, and
#    done again, each action starts once.
#  - "fb": a buffer_all schedule with 5,000 backfilled actions: the buffer
#    holds 1,000, the backfill cursor feeds it as it empties; one run at a
#    time, worked off by two worker sessions; interrupted by kill -9 of the
#    scheduler (twice), of a worker's backend, and by an immediate shutdown.
# Checked at the end: "bf" has 120,000 runs, one per second of its ranges;
# "fb" has 5,000 runs, one per hour of its range, all completed (a run whose
# worker died is claimed again after its lease: attempt 2, still one run);
# describe's num_actions counts them; nothing is left in buffer or backfills.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('bfcrash');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
restart_after_crash = on
timezone = 'UTC'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub scheduler_pid
{
	my $pid;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'")
	  or die 'no scheduler';
	$pid = sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'");
	return $pid;
}

sub runs
{
	my ($id) = @_;
	return sql("SELECT count(*) FROM sched.executions WHERE schedule_id = '$id'");
}

# ---- a worker: poll and complete fb's runs, each call its own transaction ----
sql(q{
	CREATE TABLE bf_stop ();
	CREATE PROCEDURE bf_worker(w text) LANGUAGE plpgsql AS $$
	DECLARE
		id uuid;
	BEGIN
		LOOP
			EXIT WHEN EXISTS (SELECT FROM bf_stop);
			SELECT p.run_id INTO id FROM sched.poll('fbq', w, 1, '2 seconds') p;
			COMMIT;
			IF id IS NULL THEN
				PERFORM pg_sleep(0.01);
				CONTINUE;
			END IF;
			BEGIN
				PERFORM sched.complete(id);
			EXCEPTION WHEN object_not_in_prerequisite_state THEN
				NULL;	-- its lease lapsed and the run was closed by another
			END;
			COMMIT;
		END LOOP;
	END $$});

my @workers;
sub start_workers
{
	for my $i (1 .. 2)
	{
		my ($out, $err) = ('', '');
		push @workers, IPC::Run::start(
			[
				$node->installed_command('psql'), '-XAtq',
				'-d', $node->connstr('postgres') . ' application_name=bf_worker',
				'-c', "CALL bf_worker('w$i')"
			],
			'>', \$out, '2>', \$err);
	}
}

sub stop_workers
{
	sql('INSERT INTO bf_stop DEFAULT VALUES');
	$_->finish for @workers;
	@workers = ();
	sql('DELETE FROM bf_stop');
}

# ---- the schedules and their backfills ----
# every second and every hour of a period in the past: only backfills start
sql(q{
	SELECT sched.create_schedule('bf', '{
		"action": {"workflow": "W", "id": "bf", "task_queue": "bfq"},
		"spec": {"intervals": [{"every": 1}], "start_at": "2020-01-01T00:00:00Z",
				 "end_at": "2020-01-03T00:00:00Z"},
		"policy": {"overlap": "allow_all"}}');
	SELECT sched.create_schedule('fb', '{
		"action": {"workflow": "W", "id": "fb", "task_queue": "fbq"},
		"spec": {"intervals": [{"every": 3600}], "start_at": "2020-01-01T00:00:00Z",
				 "end_at": "2021-01-01T00:00:00Z"},
		"policy": {"overlap": "buffer_all"}}');
});
is( sql(q{SELECT sched.backfill('fb', '2020-01-01T00:00:00Z',
					'2020-01-01T00:00:00Z'::timestamptz + interval '4999 hours')}),
	'5000', 'fb: 5,000 actions backfilled');
ok( $node->poll_query_until('postgres',
		"SELECT (sched.describe('fb')->'info'->>'buffer_size')::int >= 990"),
	'fb: its buffer fills up (one runs, the rest wait)');

# Starts sched.backfill of bf's range from $from (60,000 seconds) in a
# session of its own and returns it once the call is running (its runs are
# inserted by the call itself: allow_all ranges start at once, in
# set-based batches, about 2 s for 60,000 here).
sub backfill_in_flight
{
	my ($from) = @_;
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	$s->{stdin} .= "SELECT sched.backfill('bf', '$from', '$from'::timestamptz + interval '59999 seconds');\n";
	$s->{run}->pump_nb();
	$node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE state = 'active' AND query LIKE 'SELECT sched.backfill(''bf''%'})
	  or die 'the backfill did not start';
	return $s;
}

# ---- crash 1: kill -9 of the backend in sched.backfill ----
my $b = backfill_in_flight('2020-01-01T00:00:00Z');
my $bpid = sql(q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT sched.backfill(''bf''%'});
kill 'KILL', $bpid;
$node->poll_query_until('postgres', 'SELECT true') or die;
eval { $b->quit };
is(runs('bf'), '0', 'kill -9 in the middle of a 60,000-action backfill: none of it is stored');
is( sql(q{SELECT sched.backfill('bf', '2020-01-01T00:00:00Z',
					'2020-01-01T00:00:00Z'::timestamptz + interval '59999 seconds')}),
	'60000', 'bf: the backfill done again');

# ---- crash 2: an immediate shutdown in the middle of another ----
$b = backfill_in_flight('2020-01-02T00:00:00Z');
$node->stop('immediate');
eval { $b->quit };
$node->start;
is(runs('bf'), '60000', 'immediate shutdown during a backfill: none of it is stored');
is( sql(q{SELECT sched.backfill('bf', '2020-01-02T00:00:00Z',
					'2020-01-02T00:00:00Z'::timestamptz + interval '59999 seconds')}),
	'60000', 'bf: that backfill done again');

# ---- crash 3: kill -9 of the scheduler while it feeds fb's buffer ----
start_workers();
ok($node->poll_query_until('postgres',
		"SELECT count(*) >= 100 FROM sched.executions WHERE schedule_id = 'fb' AND status = 'completed'"),
	'fb: the workers work off the buffer');
kill 'KILL', scheduler_pid();
$node->poll_query_until('postgres', 'SELECT true') or die;
note 'fb runs after killing the scheduler: ' . runs('fb');
$_->finish for @workers;
@workers = ();
start_workers();

# ---- crash 4: kill -9 of a worker's backend in the middle ----
my $wpid = sql("SELECT pid FROM pg_stat_activity WHERE application_name = 'bf_worker' LIMIT 1");
kill 'KILL', $wpid;
$node->poll_query_until('postgres', 'SELECT true') or die;
note 'fb runs after the kill: ' . runs('fb');
ok(1, 'kill -9 of a worker backend: the server restarted');
$_->finish for @workers;
@workers = ();
start_workers();

# ---- crash 5: kill -9 of the scheduler again, with workers busy ----
ok($node->poll_query_until('postgres',
		"SELECT count(*) >= 2500 FROM sched.executions WHERE schedule_id = 'fb'"),
	'fb: more of the buffer started');
kill 'KILL', scheduler_pid();
$node->poll_query_until('postgres', 'SELECT true') or die;
$_->finish for @workers;
@workers = ();

# ---- crash 6: immediate shutdown, mid-buffer ----
start_workers();
ok($node->poll_query_until('postgres',
		"SELECT count(*) >= 3500 FROM sched.executions WHERE schedule_id = 'fb'"),
	'fb: most of the backfill started');
note 'before the immediate shutdown: bf ' . runs('bf') . ', fb ' . runs('fb');
$node->stop('immediate');
$_->finish for @workers;
@workers = ();
$node->start;
ok(1, 'immediate shutdown and restart');
start_workers();

# ---- the end: everything once ----
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 120000 FROM sched.executions WHERE schedule_id = 'bf'"),
	'bf: 120,000 runs after the crashes');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 5000 AND bool_and(status = 'completed') "
		  . "FROM sched.executions WHERE schedule_id = 'fb'",
		't'),
	'fb: 5,000 runs, all completed');
stop_workers();

is( sql(q{
	SELECT count(DISTINCT nominal_time) = 120000
	   AND count(*) FILTER (WHERE nominal_time BETWEEN '2020-01-01T00:00:00Z'
							AND '2020-01-01T16:39:59Z') = 60000
	   AND count(*) FILTER (WHERE nominal_time BETWEEN '2020-01-02T00:00:00Z'
							AND '2020-01-02T16:39:59Z') = 60000
	  FROM sched.executions WHERE schedule_id = 'bf'}),
	't', 'bf: each of the 120,000 nominal times exactly once');
is( sql(q{
	SELECT count(DISTINCT nominal_time) = 5000
	   AND min(nominal_time) = '2020-01-01T00:00:00Z'
	   AND max(nominal_time) = '2020-01-01T00:00:00Z'::timestamptz + interval '4999 hours'
	  FROM sched.executions WHERE schedule_id = 'fb'}),
	't', 'fb: each of the 5,000 nominal times exactly once');
is( sql(q{
	SELECT (sched.describe('bf')->'info'->>'num_actions') || ' ' ||
		   (sched.describe('fb')->'info'->>'num_actions') || ' ' ||
		   (SELECT count(*) FROM sched.buffer) || ' ' ||
		   (SELECT count(*) FROM sched.backfills)}),
	'120000 5000 0 0', 'describe counts every run; buffer and backfills are empty');
note 'fb runs claimed more than once (a worker or the server died): '
  . sql("SELECT count(*) FROM sched.executions WHERE schedule_id = 'fb' AND attempt > 1");

$node->stop;
done_testing();
