# The Python client (clients/python, package pgsched): its unittest suite
# runs against a cluster with the library preloaded, under Debian's
# /usr/bin/python3 with python3-psycopg.  It covers the examples of
# Temporal's Python schedules page (create, backfill, describe, list, pause,
# trigger, update, delete, a cron job, a start delay), each with only the
# import line and the connect string changed, the Worker working a schedule
# that fires every second, and its batched path (claims and completions in
# batches, a worker process killed with runs in hand, heartbeats, refused
# completions).  Each Python test is one TAP assertion;
# a last one checks the counts (no test lost, none failed).
use strict;
use warnings;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $python = '/usr/bin/python3';
my $tests  = abs_path(dirname(__FILE__) . '/../../clients/python/tests');

plan skip_all => "$python with psycopg 3 is not installed (apt-get install python3-psycopg)"
  unless system($python, '-c', 'import psycopg') == 0;

my $node = PostgreSQL::Test::Cluster->new('python');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql('app',      'CREATE EXTENSION pg_sched');

# The Python tests read the libpq connection string from PGSCHED_DSN.
local $ENV{PGSCHED_DSN} = $node->connstr('app');
local $ENV{PYTHONDONTWRITEBYTECODE} = 1;
my ($out, $err) = ('', '');
my $ok = IPC::Run::run([ $python, "$tests/run_tests.py" ],
	'<', \undef, '>', \$out, '2>', \$err,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));

my ($run, $failed) = (0, 0);
foreach my $line (split /\n/, $out)
{
	if ($line =~ /^RESULT (ok|not-ok|skip) (\S+)(?: (.*))?$/)
	{
		if ($1 eq 'skip')
		{
		  SKIP: { skip "$2: $3", 1; }
			next;
		}
		ok($1 eq 'ok', "python: $2");
	}
	elsif ($line =~ /^SUMMARY (\d+) (\d+)$/)
	{
		($run, $failed) = ($1, $2);
	}
}
ok($ok && $run > 0 && $failed == 0,
	"python client suite: $run tests run, $failed failed, exit status "
	  . ($ok ? 0 : 'non-zero'))
  or diag("stdout:\n$out\nstderr:\n$err");

$node->stop;
done_testing();
