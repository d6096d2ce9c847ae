# sched.import_pg_cron() against Debian's postgresql-15-cron (issue 13):
# every job of cron.job becomes a schedule with an SQL action in the job's
# database (another one through dblink), owned by the job's user, paused
# when the job is inactive; what cannot be imported is reported; imported
# jobs are deactivated in pg_cron; an imported schedule runs its command
# as its user.  Skipped when pg_cron is not installed (scripts/install-deps.sh
# installs it).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pg_cron_import');
my $libdir = $node->config_data('--pkglibdir');
plan skip_all => "pg_cron is not installed in $libdir"
  unless -f "$libdir/pg_cron.so";

$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
timezone = 'UTC'
shared_preload_libraries = 'pg_sched,pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
cron.timezone = 'Europe/Paris'
});
$node->start;

sub sql { return $node->safe_psql($_[1] // 'postgres', $_[0]); }

sql(q{
	CREATE DATABASE db2;
	CREATE DATABASE db3;
	CREATE ROLE alice LOGIN;
	CREATE EXTENSION pg_sched;
	CREATE EXTENSION pg_cron;
	CREATE EXTENSION dblink;
	GRANT USAGE ON SCHEMA sched, cron TO alice;
	CREATE TABLE alice_log (who name, at timestamptz);
	GRANT INSERT ON alice_log TO alice;
});
sql(q{CREATE EXTENSION pg_sched; CREATE TABLE t (n int);}, 'db2');
sql(q{GRANT USAGE ON SCHEMA sched TO alice}, 'db2');

# the jobs: one of alice's, an inactive one, one in db2 (pg_sched and
# dblink), one in db3 (no pg_sched there), one pg_sched cannot read
sql(q{SELECT cron.schedule('nightly-vacuum', '30 3 * * *', 'VACUUM')});
sql(q{SET ROLE alice; SELECT cron.schedule('alice-log', '*/5 * * * *',
	'INSERT INTO alice_log VALUES (current_user, now())')});
sql(q{SELECT cron.schedule('inactive', '0 12 * * 1-5', 'SELECT 1')});
sql(q{SELECT cron.alter_job(jobid, active => false) FROM cron.job WHERE jobname = 'inactive'});
sql(q{SELECT cron.schedule_in_database('in-db2', '@hourly', 'INSERT INTO t VALUES (1)', 'db2')});
sql(q{SELECT cron.schedule_in_database('in-db3', '@daily', 'SELECT 1', 'db3')});
sql(q{SELECT cron.schedule('bad-spec', '@reboot', 'SELECT 1')});

my $out = sql(q{SELECT jobname, database, username, schedule_id, imported, paused,
                       coalesce(message, '')
                  FROM sched.import_pg_cron() ORDER BY jobid});
my %row = map { my @f = split /\|/; ($f[0] => $_) } split /\n/, $out;
is($row{'nightly-vacuum'},
	'nightly-vacuum|postgres|postgres|nightly-vacuum|t|f|pg_cron job deactivated',
	'a job of this database is imported');
is($row{'alice-log'}, 'alice-log|postgres|alice|alice-log|t|f|pg_cron job deactivated',
	"alice's job is imported");
is($row{'inactive'}, 'inactive|postgres|postgres|inactive|t|t|', 'an inactive job is imported paused');
is($row{'in-db2'}, 'in-db2|db2|postgres|in-db2|t|f|pg_cron job deactivated',
	"a job of another database is imported there");
like($row{'in-db3'}, qr/^in-db3\|db3\|postgres\|in-db3\|f\|f\|.*sched/,
	'a job of a database without pg_sched is reported, not imported');
like($row{'bad-spec'}, qr/^bad-spec\|postgres\|postgres\|bad-spec\|f\|f\|.+/,
	'a job whose schedule pg_sched refuses is reported with the reason');
note $row{'bad-spec'};

is( sql(q{SELECT string_agg(schedule_id || ':' || owner || ':' || CASE WHEN paused THEN 't' ELSE 'f' END,
                            ',' ORDER BY schedule_id)
            FROM sched.schedules}),
	'alice-log:alice:f,inactive:postgres:t,nightly-vacuum:postgres:f',
	'the schedules, with the jobs\' users as owners');
is( sql(q{SELECT action FROM sched.schedules WHERE schedule_id = 'nightly-vacuum'}),
	'{"id": "nightly-vacuum", "sql": "VACUUM", "memo": {"pg_cron_jobid": 1}, "transaction": false}',
	'the command, run outside a transaction block as pg_cron runs it');
is( sql(q{SELECT spec ->> 'time_zone_name', sched.next_times(spec, '2026-06-01 00:00+00', 1),
                 policy ->> 'overlap'
            FROM sched.schedules WHERE schedule_id = 'nightly-vacuum'}),
	'Europe/Paris|2026-06-01 01:30:00+00|buffer_one',
	"pg_cron's time zone, and a run waits for the previous one");
is(sql(q{SELECT schedule_id, owner FROM sched.schedules}, 'db2'), 'in-db2|postgres',
	'the schedule of the db2 job is in db2');
is( sql(q{SELECT string_agg(jobname || ':' || CASE WHEN active THEN 't' ELSE 'f' END, ',' ORDER BY jobid)
            FROM cron.job}),
	'nightly-vacuum:f,alice-log:f,inactive:f,in-db2:f,in-db3:t,bad-spec:t',
	'the imported jobs are deactivated, the others kept');

# an imported schedule runs its command as its user
sql(q{SET ROLE alice; SELECT sched.trigger('alice-log')});
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM alice_log WHERE who = 'alice'}),
	"alice's imported job runs as alice");

# importing again: the schedules exist, nothing is changed
$out = sql(q{SELECT count(*) FILTER (WHERE imported), count(*) FILTER (WHERE message LIKE '%already exists%')
               FROM sched.import_pg_cron(deactivate => false)});
is($out, '0|4', 'a second import reports the schedules that exist');

$node->stop;
done_testing();
