# Databases in hostile settings, and the extension or the database dropped
# under load (issue 16).
#  - default_transaction_read_only = on for a database: the scheduler works
#    in read-write transactions of its own and fires; a user's session
#    there gets PostgreSQL's own read-only error from a changing function.
#  - session_replication_role = replica for a database: the scheduler and
#    pg_sched's functions work as origin, so ON DELETE CASCADE (a trigger)
#    still empties a deleted schedule's buffer.
#  - functions and an operator that a non-superuser plants in public under
#    the names the scheduler's SQL uses change nothing.
#  - DROP EXTENSION while schedules fire every second and a worker session
#    polls in a loop: it succeeds, the worker's next call fails cleanly
#    (42883: the function is gone; 55000 or 42P01 for a call already under
#    way), the scheduler leaves that database;
#    CREATE EXTENSION again brings the scheduler back and a new schedule
#    fires.
#  - DROP DATABASE ... WITH (FORCE) while schedules fire and a worker is
#    connected: it succeeds at once; the other databases fire on.
# The too-small max_worker_processes case is test 010's (the launcher says
# so once and serves a database as soon as a slot frees).
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('settings');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_sched'\ntimezone = 'UTC'");
$node->start;

sub tick_schedule
{
	my ($db, $id) = @_;
	$node->safe_psql($db, qq{
		SELECT sched.create_schedule('$id', '{
			"action": {"workflow": "W", "id": "$id", "task_queue": "q"},
			"spec": {"intervals": [{"every": 1}]},
			"policy": {"overlap": "allow_all"}}')});
}

sub fires
{
	my ($db, $id, $what) = @_;
	my $n = $node->safe_psql($db,
		"SELECT count(*) FROM sched.executions WHERE schedule_id = '$id'");
	ok( $node->poll_query_until(
			$db,
			"SELECT count(*) >= $n + 2 FROM sched.executions WHERE schedule_id = '$id'"),
		$what);
}

for my $db (qw(ro rep dropext dropdb))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION pg_sched');
	tick_schedule($db, "t-$db");
}

# ---- a read-only database ----
$node->safe_psql('postgres', 'ALTER DATABASE ro SET default_transaction_read_only = on');
# the scheduler reads database settings at its start: restart it
$node->safe_psql('postgres', q{
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	 WHERE backend_type = 'pg_sched scheduler' AND datname = 'ro'});
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 1 FROM pg_stat_activity
					   WHERE backend_type = 'pg_sched scheduler' AND datname = 'ro'}),
	'read-only database: a scheduler runs there again');
fires('ro', 't-ro', 'read-only database: its schedules fire');
my ($rc, $out, $err) = $node->psql('ro', q{SELECT sched.pause('t-ro')},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/25006: cannot execute .* in a read-only transaction/,
	'read-only database: a session there gets the read-only error (25006)');
is($node->safe_psql('ro', q{SET default_transaction_read_only = off; SELECT sched.pause('t-ro'); SELECT paused FROM sched.schedules}),
	"\nt", '... and can pause in a read-write transaction');

# ---- a replica-role database ----
$node->safe_psql('postgres', 'ALTER DATABASE rep SET session_replication_role = replica');
$node->safe_psql('postgres', q{
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	 WHERE backend_type = 'pg_sched scheduler' AND datname = 'rep'});
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 1 FROM pg_stat_activity
					   WHERE backend_type = 'pg_sched scheduler' AND datname = 'rep'}),
	'replica-role database: a scheduler runs there again');
fires('rep', 't-rep', 'replica-role database: its schedules fire');
is( $node->safe_psql(
		'rep', q{
	SHOW session_replication_role;
	SELECT sched.create_schedule('rep-buf', '{
		"action": {"workflow": "W", "id": "rep-buf", "task_queue": "rq"},
		"spec": {"intervals": [{"every": 3600}]},
		"policy": {"overlap": "buffer_all"}}',
		backfill => '[{"start_at": "2026-01-01T00:00:00Z", "end_at": "2026-01-01T05:00:00Z"}]');
	SELECT count(*) > 0 FROM sched.buffer WHERE schedule_id = 'rep-buf';
	SELECT sched.delete('rep-buf');
	SELECT count(*) FROM sched.buffer WHERE schedule_id = 'rep-buf'}),
	"replica\nrep-buf\nt\n\n0",
	'replica-role database: a deleted schedule takes its buffer with it');

# ---- names a non-superuser can plant ----
# mallory may create in public (PostgreSQL 15 no longer lets every role);
# functions and an operator named as what the scheduler's SQL calls change
# nothing: the scheduler's search_path is pg_catalog, sched, and sched is
# writable only by the extension's owner.
$node->safe_psql('rep', q{
	CREATE ROLE mallory LOGIN;
	GRANT CREATE ON SCHEMA public TO mallory;
	SET ROLE mallory;
	CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql
		AS $$ SELECT '1999-01-01'::timestamptz $$;
	CREATE FUNCTION public.gen_random_uuid() RETURNS uuid LANGUAGE sql
		AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;
	CREATE FUNCTION public.coalesce(timestamptz, timestamptz) RETURNS timestamptz
		LANGUAGE sql AS $$ SELECT '1999-01-01'::timestamptz $$;
	CREATE FUNCTION public.evil_eq(text, text) RETURNS boolean LANGUAGE sql
		AS $$ SELECT true $$;
	CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_eq);
	RESET ROLE});
is( $node->safe_psql('rep', q{
	SELECT has_schema_privilege('mallory', 'sched', 'CREATE')
		OR has_schema_privilege('public', 'sched', 'CREATE')}),
	'f', 'no role but the owner may create objects in schema sched');
fires('rep', 't-rep', 'with those planted in public, the schedules fire');
is( $node->safe_psql('rep', q{
	SELECT count(*) FILTER (WHERE run_id = '00000000-0000-0000-0000-000000000000')
		 + count(*) FILTER (WHERE created_at < '2000-01-01' OR due_at < '2000-01-01')
	  FROM sched.executions WHERE schedule_id = 't-rep'}),
	'0', '... with run ids and times of PostgreSQL\'s own functions');

# ---- DROP EXTENSION under load ----
$node->safe_psql('dropext', q{
	CREATE PROCEDURE poller() LANGUAGE plpgsql AS $$
	BEGIN
		LOOP
			PERFORM sched.complete(p.run_id) FROM sched.poll('q', 'w', 10) p;
			COMMIT;
			PERFORM pg_sleep(0.01);
		END LOOP;
	END $$});
my ($wout, $werr) = ('', '');
my $worker = IPC::Run::start(
	[
		$node->installed_command('psql'), '-XAtq', '-v', 'VERBOSITY=verbose',
		'-d', $node->connstr('dropext'), '-c', 'CALL poller()'
	],
	'>', \$wout, '2>', \$werr);
ok( $node->poll_query_until(
		'dropext',
		"SELECT count(*) >= 2 FROM sched.executions WHERE status = 'completed'"),
	'DROP EXTENSION: the worker completes runs as they fire');
($rc, $out, $err) = $node->psql('dropext', 'DROP EXTENSION pg_sched');
is($rc, 0, 'DROP EXTENSION while schedules fire and a worker polls succeeds') or diag $err;
$worker->finish;
# the next call fails cleanly, depending on where the DROP caught it: the
# function is gone (42883), a call under way finds the extension gone
# (55000) or, having waited for the DROP, its table gone (42P01)
like($werr, qr/(42883: function sched\.(poll|complete)\(.*\) does not exist|55000: extension "pg_sched" is not installed in this database|42P01: relation "sched\.executions" does not exist)/,
	"... the worker's next call fails cleanly (42883, 55000 or 42P01)");
unlike($werr, qr/server closed the connection|terminated abnormally/,
	'... without a crash');
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 0 FROM pg_stat_activity
					   WHERE backend_type = 'pg_sched scheduler' AND datname = 'dropext'}),
	'... and the scheduler leaves that database');
$node->safe_psql('dropext', 'CREATE EXTENSION pg_sched');
tick_schedule('dropext', 't-again');
fires('dropext', 't-again', 'CREATE EXTENSION again: the new schedule fires');

# ---- DROP DATABASE ... WITH (FORCE) under load ----
my ($dout, $derr) = ('', '');
my $dworker = IPC::Run::start(
	[
		$node->installed_command('psql'), '-XAtq',
		'-d', $node->connstr('dropdb'),
		'-c', q{SELECT count(*) FROM sched.poll('q', 'w', 1); SELECT pg_sleep(600)}
	],
	'>', \$dout, '2>', \$derr);
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 1 FROM pg_stat_activity
					   WHERE datname = 'dropdb' AND query LIKE '%pg_sleep(600)%'}),
	'DROP DATABASE: a worker session is connected');
($rc, $out, $err) = $node->psql('postgres', 'DROP DATABASE dropdb WITH (FORCE)');
is($rc, 0, 'DROP DATABASE WITH (FORCE) while schedules fire and a worker is connected succeeds')
  or diag $err;
$dworker->finish;
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE datname = 'dropdb'"),
	'0', '... nothing of it is left running');
fires('rep', 't-rep', 'the other databases fire on');
$node->stop;
done_testing();
