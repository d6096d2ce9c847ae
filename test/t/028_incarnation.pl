# A transaction that began before a schedule was deleted and created again
# under the same id, and then starts runs of the new one, makes runs of the
# new incarnation: the overlap policy sees them (skip starts one, not two)
# and num_actions counts them, although the transaction's now() is older
# than the schedule's created_at.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('incarnation');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
my $doc = q{'{"action": {"workflow": "W", "id": "inc", "task_queue": "incq"},
	"spec": {"cron_expressions": ["0 3 1 1 * 2099"]},
	"policy": {"overlap": "skip"}}'};
$node->safe_psql('postgres',
	"CREATE EXTENSION pg_sched; SELECT sched.create_schedule('inc', $doc)");

# the old transaction: its now() is fixed before the schedule is recreated
my $old = $node->background_psql('postgres');
$old->query_safe('BEGIN ISOLATION LEVEL READ COMMITTED');
$old->query_safe('SET client_min_messages = warning');
$old->query_safe('SELECT now()');
$node->safe_psql('postgres', 'SELECT pg_sleep(0.05)');
$node->safe_psql('postgres',
	"SELECT sched.delete('inc'); SELECT sched.create_schedule('inc', $doc)");

$old->query_safe("SELECT sched.trigger('inc')");
$old->query_safe("SELECT sched.trigger('inc')");
$old->query_safe('COMMIT');
$old->quit;

is( $node->safe_psql('postgres',
		"SELECT count(*) FROM sched.executions WHERE schedule_id = 'inc'"),
	'1', 'skip started one run of the new incarnation, not two');
is( $node->safe_psql('postgres',
		"SELECT (sched.describe('inc')->'info'->>'num_actions')::int"
		  . " = (SELECT count(*) FROM sched.executions e, sched.schedules s"
		  . "     WHERE s.schedule_id = 'inc' AND e.schedule_id = s.schedule_id"
		  . "       AND e.created_at >= s.created_at)"),
	't', 'num_actions equals the runs of the incarnation');
is( $node->safe_psql('postgres',
		"SELECT jsonb_array_length(sched.describe('inc')->'info'->'running_actions')"),
	'1', 'describe shows the run as running');

$node->stop;
done_testing();
