# Hot standby: no pg_sched worker runs on a streaming standby, which only
# replays what the primary fired; once promoted it takes over, catching up
# the seconds of the failover without a gap or a duplicate.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1, extra => [ '--no-locale', '-E', 'UTF8' ]);
$primary->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pg_sched');
$primary->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('hs', '{
		"action": {"workflow": "W", "id": "hs", "task_queue": "q"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}')});
ok( $primary->poll_query_until(
		'postgres',
		"SELECT count(*) >= 2 FROM sched.executions WHERE schedule_id = 'hs'"),
	'the primary fires');

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
ok( $standby->poll_query_until(
		'postgres',
		"SELECT count(*) >= 4 FROM sched.executions WHERE schedule_id = 'hs'"),
	'the standby replays what the primary fires');
is( $standby->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pg_sched%'"),
	'0',
	'no pg_sched worker runs on the standby');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM sched.scheduler_status()'),
	'0', 'sched.scheduler_status() shows no scheduler there');

# failover
$primary->stop('fast');
my $last = $standby->safe_psql('postgres',
	"SELECT max(nominal_time) FROM sched.executions WHERE schedule_id = 'hs'");
$standby->promote;
ok( $standby->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_sched scheduler'"),
	'after promotion the scheduler starts');
ok( $standby->poll_query_until(
		'postgres',
		"SELECT max(nominal_time) >= '$last'::timestamptz + interval '3 seconds' "
		  . "FROM sched.executions WHERE schedule_id = 'hs'"),
	'and the schedule fires on the promoted node');
is( $standby->safe_psql(
		'postgres', q{
	SELECT count(*) = count(DISTINCT nominal_time)
	   AND extract(epoch FROM max(nominal_time) - min(nominal_time))::int + 1 = count(*)
	FROM sched.executions WHERE schedule_id = 'hs'}),
	't',
	'across the failover every second fired once');

$standby->stop;
done_testing();
