# Concurrency stress (issue 5): test/stress/stress.c runs 16 client and 6
# worker connections for STRESS_SECONDS (default 20) against a cluster whose
# scheduler fires every second, then checks the invariants itself (see its
# banner).  Here: it exits 0 (no unexpected error, in particular no 40P01,
# and every invariant holds), and the server log shows no deadlock and no
# crash.  Longer: STRESS_SECONDS=600 make tap PROVE_TESTS=test/t/060_stress.pl
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $seconds = $ENV{STRESS_SECONDS} || 20;
my $bin     = "$PostgreSQL::Test::Utils::tmp_check/stress";

my ($out, $err) = ('', '');
my $cflags = `pkg-config --cflags libpq`;
my $libs   = `pkg-config --libs libpq`;
chomp($cflags, $libs);
ok( IPC::Run::run(
		[
			'cc', '-O2', '-Wall', '-Wextra', '-Werror', '-pthread',
			split(' ', $cflags), 'test/stress/stress.c',
			'-o', $bin, split(' ', $libs)
		],
		'>', \$out, '2>', \$err),
	'the stress driver builds')
  or diag($err);

my $node = PostgreSQL::Test::Cluster->new('stress');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'pg_sched'
max_connections = 60
log_lock_waits = on
deadlock_timeout = '100ms'
log_min_messages = warning
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql('app',      'CREATE EXTENSION pg_sched');
my $started = $node->safe_psql('app', 'SELECT pg_postmaster_start_time()');
my $log_offset = -s $node->logfile;

($out, $err) = ('', '');
my $seed = $ENV{STRESS_SEED} || time;
my $rc = IPC::Run::run(
	[
		$bin, '-d', $node->connstr('app'), '-s', $seconds, '-c', 16,
		'-w', 6, '-r', $seed
	],
	'>', \$out, '2>', \$err);
note $out;
diag($err) if $err ne '';
ok($rc, "the stress driver passes (no unexpected error, invariants hold; seed $seed)")
  or diag($out);
unlike($out, qr/40P01/, 'no deadlock error reached a caller');
like($out, qr/^ok invariant no lost update on ctr-0/m, 'the lost-update probe ran');
my ($rate) = $out =~ /: (\d+) ops\/s/;
cmp_ok($rate // 0, '>', 100, 'the driver did work (ops/s)');

my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/deadlock detected/, 'the server log shows no deadlock');
unlike($log, qr/terminated by signal|server process .* was terminated/,
	'no backend crashed');
is($node->safe_psql('app', 'SELECT pg_postmaster_start_time()'),
	$started, 'the postmaster did not restart');

$node->stop;
done_testing();
