# Bulk pause of what a list query matches, under concurrent callers: the
# matching schedules are locked in the order of their ids and held until the
# caller's transaction ends; a schedule locked by another transaction is
# waited for, one deleted meanwhile is skipped, and each schedule goes
# through sched.pause's own path (its note, a new conflict token).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('search_bulk');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION pg_sched;
	SELECT sched.add_search_attribute('Env', 'Keyword');
	SELECT sched.create_schedule('sb-' || i, jsonb_build_object(
		'action', jsonb_build_object('workflow', 'W', 'id', 'sb-' || i, 'task_queue', 'sbq'),
		'spec', '{"cron_expressions": ["0 3 1 1 * 2099"]}'::jsonb),
		search_attributes => '{"Env": "prod"}')
	  FROM generate_series(1, 3) i;
	SELECT sched.create_schedule('sb-dev', '{
		"action": {"workflow": "W", "id": "sb-dev", "task_queue": "sbq"},
		"spec": {"cron_expressions": ["0 3 1 1 * 2099"]}}',
		search_attributes => '{"Env": "dev"}');
});
my %token = map { $_ => $node->safe_psql('postgres',
		"SELECT sched.describe('$_')->>'conflict_token'") } qw(sb-1 sb-2);

# another transaction holds sb-2 (a pause of its own, not committed)
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN');
$locker->query_safe("SELECT sched.pause('sb-2', 'by the locker')");

# the bulk pause locks sb-1, then waits for sb-2
my $bulk = $node->background_psql('postgres');
my $bulk_pid = $bulk->query_safe('SELECT pg_backend_pid()');
$bulk->{stdin} .=
  "SELECT string_agg(id, ',') FROM sched.pause_schedules('Env = ''prod''', 'bulk') id;\n";
$bulk->{run}->pump_nb();
ok( $node->poll_query_until(
		'postgres',
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $bulk_pid"),
	'the bulk pause waits for the schedule another transaction holds');

my ($rc, $out, $err) = $node->psql('postgres',
	"SELECT 1 FROM sched.schedules WHERE schedule_id = 'sb-1' FOR UPDATE NOWAIT");
like($err, qr/could not obtain lock/,
	'meanwhile it holds sb-1, the first id, which it locked before');
($rc, $out, $err) = $node->psql('postgres',
	"SELECT 1 FROM sched.schedules WHERE schedule_id = 'sb-3' FOR UPDATE NOWAIT");
is($rc, 0, 'and has not locked sb-3 yet: schedules are locked in the order of their ids');

# the locker deletes sb-3 and commits: the bulk pause goes on without it
$locker->query_safe("SELECT sched.delete('sb-3')");
$locker->query_safe('COMMIT');
# the session runs statements in order: this returns once the bulk pause is done
$bulk->query_safe('SELECT 1');
$bulk->quit;
$locker->quit;

is( $node->safe_psql('postgres',
		"SELECT string_agg(schedule_id || ':' || paused || ':' || note, ' ' ORDER BY schedule_id)"
		  . " FROM sched.schedules"),
	'sb-1:true:bulk sb-2:true:bulk sb-dev:false:',
	'both remaining matches are paused with the bulk note, the deleted one is skipped, the others untouched');
for my $id (qw(sb-1 sb-2))
{
	isnt( $node->safe_psql('postgres',
			"SELECT sched.describe('$id')->>'conflict_token'"),
		$token{$id}, "$id has a new conflict token, as after sched.pause");
}
is( $node->safe_psql('postgres',
		"SELECT string_agg(id, ',') FROM sched.unpause_schedules('Env = ''prod''') id"),
	'sb-1,sb-2', 'a bulk unpause returns the ids it acted on, in id order');

done_testing();
