# The Python client installs the usual way and the README's example does
# real work: clients/python is pip-installed into a virtual environment of
# Debian's /usr/bin/python3 that sees the system's packages (python3-psycopg),
# offline (--no-build-isolation --no-index: Debian's python3-setuptools and
# python3-wheel build it), then the README's Python example runs from
# outside the tree against a real server, and its worker completes the run
# it waits for.
use strict;
use warnings;
use FindBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $python = '/usr/bin/python3';
plan skip_all => "$python with psycopg 3 is not installed (apt-get install python3-psycopg)"
  unless system($python, '-c', 'import psycopg') == 0;

my $root = "$FindBin::RealBin/../..";
my $tmp  = PostgreSQL::Test::Utils::tempdir('python_install');

# pip builds in the source directory (build/, *.egg-info): a copy of it
system('cp', '-r', "$root/clients/python", "$tmp/src") == 0
  or die "cannot copy clients/python";

my ($out, $err) = ('', '');
ok( IPC::Run::run(
		[ $python, '-m', 'venv', '--system-site-packages', "$tmp/venv" ],
		'>', \$out, '2>', \$err),
	'a virtual environment of /usr/bin/python3 with the system packages')
  or diag("$out\n$err (apt-get install python3-venv)");
ok( IPC::Run::run(
		[
			"$tmp/venv/bin/pip", 'install', '--no-build-isolation',
			'--no-index', "$tmp/src"
		],
		'>', \$out, '2>', \$err),
	'pip install ./clients/python')
  or diag("$out\n$err");
like($out, qr/Successfully installed pgsched-/, 'pip installed pgsched');

# importable from anywhere, from the environment (not the checkout)
($out, $err) = ('', '');
IPC::Run::run(
	[
		"$tmp/venv/bin/python", '-c',
		'import pgsched, pgsched.worker; print(pgsched.__file__)'
	],
	init => sub { chdir $tmp },
	'>', \$out, '2>', \$err);
like($out, qr{^\Q$tmp\E/venv/lib/python[0-9.]+/site-packages/pgsched/__init__\.py$}m,
	'pgsched is imported from the environment')
  or diag($err);

# ---- the README's example ----
my $node = PostgreSQL::Test::Cluster->new('python_install');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE pg_sched');
$node->safe_psql('pg_sched', 'CREATE EXTENSION pg_sched');

open my $fh, '<', "$root/README.md" or die "README.md: $!";
my $readme = do { local $/; <$fh> };
close $fh;
my ($section) = $readme =~ /^## Python client\n(.*?)^## /ms;
my ($example) = ($section // '') =~ /^```python\n(.*?)^```/ms;
ok(defined $example, "the README's Python section has an example");
$example //= '';
my $dsn = 'host=' . $node->host . ' port=' . $node->port . ' dbname=pg_sched';
ok($example =~ s/Client\.connect\("[^"]*"\)/Client.connect("$dsn")/,
	'the example connects with a connection string');
open my $py, '>', "$tmp/example.py" or die;
print $py $example;
close $py;

($out, $err) = ('', '');
my $ran = IPC::Run::run(
	[ "$tmp/venv/bin/python", "$tmp/example.py" ],
	init => sub { chdir $tmp },
	'>', \$out, '2>', \$err,
	IPC::Run::timeout(120));
ok($ran, 'the example runs to its end') or diag("$out\n$err");
like($out, qr/^\{'sent': 'csv', 'schedule': None\}$/m,
	'it prints the result that its worker produced');
is( $node->safe_psql(
		'pg_sched',
		"SELECT status || ' ' || result::text || ' ' || (worker IS NOT NULL)
		   FROM sched.executions WHERE workflow_id = 'report-now'"),
	'completed {"sent": "csv", "schedule": null} true',
	'the run was claimed and completed by the worker');
is( $node->safe_psql(
		'pg_sched',
		"SELECT action->>'workflow' || ' ' || (spec->'intervals'->0->>'every')
		   FROM sched.schedules WHERE schedule_id = 'report-every-2-min'"),
	'SendReport PT2M',
	'and the schedule exists, every 2 minutes');

$node->stop;
done_testing();
