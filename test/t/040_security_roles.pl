# Roles on a live cluster (README "Security model"): a schedule created by
# a login role that is not a superuser fires on time through the scheduler
# (which runs as the bootstrap superuser), its runs belong to that role, a
# worker role granted the task queue claims and completes them, and a third
# role sees none of it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('security_roles');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_sched;
	CREATE ROLE app LOGIN;
	CREATE ROLE worker LOGIN;
	CREATE ROLE other LOGIN;
	GRANT USAGE ON SCHEMA sched TO app, worker, other;
	SELECT sched.grant_task_queue('reports', 'worker');});

sub sql { return $node->safe_psql('postgres', $_[0]); }
sub as
{
	my ($role, $query) = @_;
	return $node->safe_psql('postgres', $query,
		extra_params => [ '-U', $role ]);
}

is(as('app', 'SELECT current_user, usesuper FROM pg_user WHERE usename = current_user'),
	'app|f', 'the schedule owner is a plain login role');

# every second, so the scheduler fires it within the test
as('app', q{
	SELECT sched.create_schedule('nightly', '{
		"action": {"workflow": "Report", "id": "nightly",
		           "task_queue": "reports", "args": ["eu"]},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}')});
ok( $node->poll_query_until(
		'postgres',
		q{SELECT count(*) >= 2 FROM sched.executions
		   WHERE schedule_id = 'nightly' AND start_kind = 'schedule'}),
	"the scheduler fires a non-superuser's schedule");
is( sql(q{
	SELECT string_agg(DISTINCT owner::text, ',')
	  FROM sched.executions WHERE schedule_id = 'nightly'}),
	'app',
	"the runs the scheduler starts belong to the schedule's owner");

# another role: nothing to see, nothing to claim
is(as('other', q{SELECT count(*) FROM sched.poll('reports', 'o', 100)}),
	'0', 'another role claims none of its runs');
is(as('other', q{SELECT count(*) FROM sched.executions}),
	'0', 'and reads none of them');
my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT sched.pause('nightly')}, extra_params => [ '-U', 'other' ]);
like($err, qr/schedule "nightly" does not exist/,
	'nor can it pause the schedule');

# the granted worker claims and completes them
my $claimed = as('worker', q{
	SELECT string_agg(run_id::text, ',')
	  FROM sched.poll('reports', 'w1', 2)});
my @runs = split /,/, $claimed;
is(scalar(@runs), 2, 'the worker granted the queue claims its runs');
as('worker', join '', map { "SELECT sched.complete('$_', '{\"ok\": true}');" } @runs);
is( as('app', qq{
	SELECT count(*) FROM sched.executions
	 WHERE run_id IN ('$runs[0]', '$runs[1]') AND status = 'completed'
	   AND worker = 'w1' AND result = '{"ok": true}'}),
	'2',
	'it completes them, and the owner reads the results');
($rc, $out, $err) = $node->psql('postgres',
	q{SELECT sched.delete('nightly')}, extra_params => [ '-U', 'worker' ]);
like($err, qr/schedule "nightly" does not exist/,
	'the worker cannot touch the schedule');

# the owner stops it; the scheduler then starts nothing more for it
as('app', q{SELECT sched.pause('nightly')});
is( as('app', q{SELECT paused FROM sched.schedules WHERE schedule_id = 'nightly'}),
	't', 'the owner pauses its schedule');

$node->stop;
done_testing();
