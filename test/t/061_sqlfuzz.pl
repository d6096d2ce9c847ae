# SQL-level fuzzer (issue 5, "Hostile input"): test/stress/sqlfuzz.c sends
# random and mutated specs, schedules, cron strings, durations, times and
# policies to the functions that read them for SQLFUZZ_SECONDS (default 20)
# and requires clean errors only (class 22 and the documented ones), no
# crash, and stored schedules that round-trip.  The regression inputs in
# test/stress/corpus (if any) are replayed first.  Longer:
# SQLFUZZ_SECONDS=600 make tap PROVE_TESTS=test/t/061_sqlfuzz.pl
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $seconds = $ENV{SQLFUZZ_SECONDS} || 20;
my $bin     = "$PostgreSQL::Test::Utils::tmp_check/sqlfuzz";

my ($out, $err) = ('', '');
my $cflags = `pkg-config --cflags libpq`;
my $libs   = `pkg-config --libs libpq`;
chomp($cflags, $libs);
ok( IPC::Run::run(
		[
			'cc', '-O2', '-Wall', '-Wextra', '-Werror',
			split(' ', $cflags), 'test/stress/sqlfuzz.c',
			'-o', $bin, split(' ', $libs)
		],
		'>', \$out, '2>', \$err),
	'the fuzzer builds')
  or diag($err);

my $node = PostgreSQL::Test::Cluster->new('sqlfuzz');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql('app',      'CREATE EXTENSION pg_sched');
my $log_offset = -s $node->logfile;

my @corpus = glob('test/stress/corpus/*');
if (@corpus)
{
	($out, $err) = ('', '');
	my $rc = IPC::Run::run([ $bin, '-d', $node->connstr('app'), @corpus ],
		'>', \$out, '2>', \$err);
	note $out;
	ok($rc, scalar(@corpus) . ' regression inputs give clean outcomes') or diag($out);
}

# -b: backfill ranges at most an hour long, to keep the run fast: one call
# may add up to 1,000,000 actions (more is refused with 54000), which takes
# seconds each.
($out, $err) = ('', '');
my $seed = $ENV{SQLFUZZ_SEED} || time;
my $findings = "$PostgreSQL::Test::Utils::tmp_check/sqlfuzz-findings";
my $rc = IPC::Run::run(
	[
		$bin, '-d', $node->connstr('app'), '-s', $seconds, '-r', $seed,
		'-b', ($ENV{SQLFUZZ_BACKFILL_CAP} || '1 hour'),
		'-v', 'test/data/spec-vectors-sample.json', '-o', $findings
	],
	'>', \$out, '2>', \$err);
note $out;
diag($err) if $err ne '';
ok($rc, "the fuzzer finds nothing (seed $seed; findings go to $findings)")
  or diag($out);
my ($execs) = $out =~ /^executions (\d+)/m;
cmp_ok($execs // 0, '>', 1000, 'the fuzzer ran (executions)');
like($out, qr/not round-tripping: 0/, 'every stored schedule round-trips');

my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/terminated by signal|server process .* was terminated|PANIC/,
	'no backend crashed');

$node->stop;
done_testing();
