# The launcher: one scheduler per database with pg_sched, none elsewhere;
# DROP EXTENSION stops it, CREATE EXTENSION starts it at once; DROP DATABASE
# and the other commands that need an idle database are not blocked; a
# terminated scheduler or launcher comes back; without preloading the
# library still works, with no workers.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('launcher');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;

# pid of the scheduler of a database, '' when there is none
sub scheduler_pid
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(pid::text, ',') FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched scheduler' AND datname = '$db'");
}

sub wait_scheduler
{
	my ($db, $msg) = @_;
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) = 1 FROM pg_stat_activity "
			  . "WHERE backend_type = 'pg_sched scheduler' AND datname = '$db' "
			  . "AND query LIKE 'sleeping%'"),
		$msg);
}

sub wait_no_scheduler
{
	my ($db, $msg) = @_;
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) = 0 FROM pg_stat_activity "
			  . "WHERE backend_type = 'pg_sched scheduler' AND datname = '$db'"),
		$msg);
}

ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched launcher' "
		  . "AND application_name = 'pg_sched launcher' AND datname IS NULL"),
	'the launcher runs, connected to no database');

$node->safe_psql('postgres', 'CREATE DATABASE db1');
$node->safe_psql('postgres', 'CREATE DATABASE db2');
$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->safe_psql('db1',      'CREATE EXTENSION pg_sched');
$node->safe_psql('db2',      'CREATE EXTENSION pg_sched');

wait_scheduler('db1', 'CREATE EXTENSION starts a scheduler in db1');
wait_scheduler('db2', 'and in db2: two databases served at once');
is( $node->safe_psql(
		'postgres',
		"SELECT application_name FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched scheduler' AND datname = 'db1'"),
	'pg_sched scheduler',
	'the scheduler shows as "pg_sched scheduler" in pg_stat_activity');
is( $node->safe_psql(
		'db1',
		"SELECT string_agg(database || ':' || state, ',' ORDER BY database) "
		  . "FROM sched.scheduler_status()"),
	'db1:running,db2:running',
	'sched.scheduler_status() lists the schedulers of every database');
is(scheduler_pid('plain'),    '', 'no scheduler where pg_sched is not installed');
is(scheduler_pid('postgres'), '', 'nor in postgres');
is(scheduler_pid('template1'), '', 'nor in a template');

my $db1_pid = scheduler_pid('db1');

# DROP EXTENSION stops the scheduler; CREATE EXTENSION brings it back
$node->safe_psql('db2', 'DROP EXTENSION pg_sched');
wait_no_scheduler('db2', 'DROP EXTENSION stops the scheduler');
is(scheduler_pid('db1'), $db1_pid, 'the scheduler of db1 is untouched');
$node->safe_psql('db2', 'CREATE EXTENSION pg_sched');
wait_scheduler('db2', 'CREATE EXTENSION after a drop starts it again');

# DROP DATABASE stops the scheduler first, and is not kept waiting
my $start = time();
my ($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE db2');
my $elapsed = time() - $start;
is($ret, 0, 'DROP DATABASE of a database with a scheduler succeeds')
  or diag $err;
note sprintf('DROP DATABASE took %.3f s', $elapsed);
cmp_ok($elapsed, '<', 5, 'DROP DATABASE is not blocked for long');
wait_no_scheduler('db2', 'no scheduler is left for the dropped database');
is(scheduler_pid('db1'), $db1_pid, 'the scheduler of db1 is still the same');

# copying, renaming and moving a database also need it idle
($ret, $out, $err) =
  $node->psql('postgres', 'CREATE DATABASE db3 TEMPLATE db1');
is($ret, 0, 'CREATE DATABASE ... TEMPLATE of a database with a scheduler succeeds')
  or diag $err;
wait_scheduler('db1', 'the template database gets its scheduler back');
wait_scheduler('db3', 'the copy, which has pg_sched, gets one too');

($ret, $out, $err) =
  $node->psql('postgres', 'ALTER DATABASE db3 RENAME TO db4');
is($ret, 0, 'ALTER DATABASE ... RENAME of a database with a scheduler succeeds')
  or diag $err;
wait_scheduler('db4', 'the renamed database gets its scheduler back');

my $tsdir = PostgreSQL::Test::Utils::tempdir_short();
$node->safe_psql('postgres', "CREATE TABLESPACE ts LOCATION '$tsdir'");
($ret, $out, $err) =
  $node->psql('postgres', 'ALTER DATABASE db4 SET TABLESPACE ts');
is($ret, 0, 'ALTER DATABASE ... SET TABLESPACE of a database with a scheduler succeeds')
  or diag $err;
wait_scheduler('db4', 'the moved database gets its scheduler back');

# a database that stops allowing connections loses its scheduler
$node->safe_psql('postgres', 'ALTER DATABASE db4 ALLOW_CONNECTIONS false');
wait_no_scheduler('db4', 'ALLOW_CONNECTIONS false stops the scheduler');
$node->safe_psql('postgres', 'ALTER DATABASE db4 ALLOW_CONNECTIONS true');
wait_scheduler('db4', 'ALLOW_CONNECTIONS true starts it again');

# a cancel request while it sleeps changes nothing
$db1_pid = scheduler_pid('db1');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($db1_pid)");
$node->safe_psql('db1', 'SELECT sched.wake_scheduler()');
ok( $node->poll_query_until(
		'db1',
		"SELECT ticks > 2 FROM sched.scheduler_status() WHERE pid = $db1_pid"),
	'the scheduler goes on ticking after pg_cancel_backend');
is(scheduler_pid('db1'), $db1_pid, 'and is the same process');

# a terminated scheduler is restarted by the launcher
$node->safe_psql('postgres', "SELECT pg_terminate_backend($db1_pid)");
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched scheduler' AND datname = 'db1' "
		  . "AND pid <> $db1_pid"),
	'a terminated scheduler is started again');

# a terminated launcher comes back and adopts the running schedulers
my $launcher_pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_sched launcher'");
$db1_pid = scheduler_pid('db1');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($launcher_pid)");
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched launcher' AND pid <> $launcher_pid"),
	'a terminated launcher is started again');
$node->safe_psql('db1', 'SELECT sched.wake_scheduler()');
is(scheduler_pid('db1'), $db1_pid, 'the schedulers kept running meanwhile');
$node->safe_psql('postgres', 'CREATE DATABASE db5');
$node->safe_psql('db5',      'CREATE EXTENSION pg_sched');
wait_scheduler('db5', 'the new launcher starts schedulers');
is(scheduler_pid('db1'), $db1_pid, 'and adopted the old ones (no second scheduler)');

# DROP DATABASE while a scheduler is starting
$node->safe_psql('postgres', 'CREATE DATABASE db6 TEMPLATE db5');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE db6');
is($ret, 0, 'DROP DATABASE right after CREATE DATABASE succeeds') or diag $err;

# Too few worker slots: one scheduler runs (the launcher and the logical
# replication launcher take the other two), the launcher says why the others
# do not, and retries: another database is served once a slot is free.
$node->append_conf('postgresql.conf', 'max_worker_processes = 3');
$node->restart;
my $log_offset = -s $node->logfile;
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched scheduler' AND query LIKE 'sleeping%'"),
	'with one worker slot left, one scheduler runs');
$node->wait_for_log(qr/WARNING:  could not start a pg_sched scheduler for database/);
ok(1, 'the launcher logs a WARNING for the databases it cannot serve');
my $served = $node->safe_psql('postgres',
	"SELECT datname FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'");
$node->safe_psql($served, 'DROP EXTENSION pg_sched');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity "
		  . "WHERE backend_type = 'pg_sched scheduler' AND query LIKE 'sleeping%' "
		  . "AND datname <> '$served'"),
	'once the slot is free, another database is served');
$node->safe_psql($served, 'CREATE EXTENSION pg_sched');
$node->append_conf('postgresql.conf', 'max_worker_processes = 8');

# without shared_preload_libraries: the functions work, no worker runs
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''");
$node->restart;
$node->safe_psql('postgres', 'CREATE DATABASE db7');
$node->safe_psql('db7',      'CREATE EXTENSION pg_sched');
is($node->safe_psql('db7', 'SELECT count(*) FROM sched.scheduler_status()'),
	'0', 'not preloaded: sched.scheduler_status() shows nothing');
is( $node->safe_psql(
		'db7',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pg_sched%'}
	),
	'0',
	'and no pg_sched process runs');
is( $node->safe_psql(
		'db7',
		q{SELECT sched.wake_scheduler(); SELECT count(*) FROM sched.next_times('{"intervals": [{"every": 60}]}', now(), 3)}
	),
	"\n3",
	'wake-ups do nothing, other functions work');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE db7');
is($ret, 0, 'DROP DATABASE works without the workers too');

$node->stop;
done_testing();
