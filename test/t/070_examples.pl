# Workers in other shapes: the trigger-driven examples of the README.
# An AFTER INSERT trigger on orders starts a ShipOrder workflow for each new
# order, in the inserting transaction (a rollback takes the run with it);
# another trigger acts a schedule with sched.trigger() when a row says so.
# The running scheduler must not get in the way: those schedules fire in
# 2099 only, so every run of theirs comes from a trigger.  Last, a schedule
# every second feeds the scheduler's statistics (sched.scheduler_status:
# ticks, actions fired, lateness percentiles).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('examples');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

# ---- sched.start_workflow from a table trigger ----
$node->safe_psql(
	'postgres', q{
	CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL);
	CREATE FUNCTION orders_ship() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM sched.start_workflow('ShipOrder', 'ship-' || NEW.id, 'shipping',
									 jsonb_build_array(NEW.id));
		RETURN NULL;
	END $$;
	CREATE TRIGGER orders_ship AFTER INSERT ON orders
		FOR EACH ROW EXECUTE FUNCTION orders_ship();
});

$node->safe_psql('postgres', "INSERT INTO orders VALUES (1, 'ada'), (2, 'bob')");
is( $node->safe_psql(
		'postgres', q{
	SELECT string_agg(workflow_id || ' ' || workflow || ' ' || task_queue || ' '
					  || args::text || ' ' || status, ', ' ORDER BY workflow_id)
	  FROM sched.executions WHERE task_queue = 'shipping'}),
	'ship-1 ShipOrder shipping [1] pending, ship-2 ShipOrder shipping [2] pending',
	'inserting orders starts one pending ShipOrder run each');

# In the same transaction: visible before commit, gone with a rollback.
is( $node->safe_psql(
		'postgres', q{
	BEGIN;
	INSERT INTO orders VALUES (3, 'cy');
	SELECT count(*) FROM sched.executions WHERE workflow_id = 'ship-3';
	ROLLBACK;}),
	'1',
	'the run is there in the inserting transaction');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM sched.executions WHERE workflow_id = 'ship-3'"),
	'0', 'and rolled back with it');

# A failing start (a duplicate workflow id with an open run) fails the insert.
my ($rc, $out, $err) = $node->psql('postgres',
	"BEGIN; DELETE FROM orders WHERE id = 1; INSERT INTO orders VALUES (1, 'ada again'); COMMIT",
	on_error_stop => 1);
like($err, qr/ship-1/, 'a duplicate order id is refused with its workflow id');
is($node->safe_psql('postgres', 'SELECT customer FROM orders WHERE id = 1'),
	'ada', 'and the insert is rolled back');

# A worker in SQL: poll, complete.
is( $node->safe_psql(
		'postgres', q{
	SELECT count(sched.complete(run_id, jsonb_build_object('shipped', args->0)))
	  FROM sched.poll('shipping', 'w1', 10) \\g /dev/null
	SELECT count(*) FROM sched.executions
	 WHERE task_queue = 'shipping' AND status = 'completed'}),
	'2',
	'a SQL worker ships both orders');

# ---- sched.trigger from a table trigger ----
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('rebuild-index', '{
	  "action": {"workflow": "RebuildIndex", "id": "rebuild", "task_queue": "search"},
	  "spec": {"calendars": [{"year": 2099, "month": 1, "day_of_month": 1}]},
	  "policy": {"overlap": "buffer_one"}}');
	CREATE TABLE catalog_imports (id bigserial PRIMARY KEY, rows integer NOT NULL);
	CREATE FUNCTION catalog_imported() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM sched.trigger('rebuild-index');
		RETURN NULL;
	END $$;
	CREATE TRIGGER catalog_imported AFTER INSERT ON catalog_imports
		FOR EACH STATEMENT EXECUTE FUNCTION catalog_imported();
});

$node->safe_psql('postgres', 'INSERT INTO catalog_imports (rows) VALUES (100), (200)');
is( $node->safe_psql(
		'postgres', q{
	SELECT start_kind || ' ' || workflow || ' ' || status || ' '
		   || (workflow_id LIKE 'rebuild-%')
	  FROM sched.executions WHERE schedule_id = 'rebuild-index'}),
	'trigger RebuildIndex pending true',
	'a statement inserting into catalog_imports triggers the schedule once');

$node->safe_psql('postgres', 'BEGIN; INSERT INTO catalog_imports (rows) VALUES (1); ROLLBACK');
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) || ' ' || (sched.describe('rebuild-index')->'info'->>'num_actions')
	  FROM sched.executions WHERE schedule_id = 'rebuild-index'}),
	'1 1',
	'a rolled-back import triggers nothing');

# Under buffer_one, a second import while the first rebuild runs waits.
$node->safe_psql('postgres', 'INSERT INTO catalog_imports (rows) VALUES (5)');
is( $node->safe_psql(
		'postgres', q{
	SELECT buffer_size || ' ' || running_actions || ' ' || num_actions
	  FROM sched.schedule_overview WHERE schedule_id = 'rebuild-index'}),
	'1 1 1',
	'a second import waits in the buffer (buffer_one)');

# ---- the scheduler's statistics (sched.scheduler_status) ----
$node->safe_psql(
	'postgres', q{
	SELECT sched.create_schedule('every-second', '{
	  "action": {"workflow": "Tick", "id": "every-second", "task_queue": "ticks"},
	  "spec": {"intervals": [{"every": 1}]},
	  "policy": {"overlap": "allow_all"}}')});
ok( $node->poll_query_until(
		'postgres', q{
	SELECT ticks > 0 AND schedules_processed >= 3 AND actions_fired >= 3
	   AND lateness_p50_ms IS NOT NULL AND lateness_p99_ms >= lateness_p50_ms
	  FROM sched.scheduler_status() WHERE database = 'postgres'}),
	'scheduler_status counts ticks, fired actions and their lateness');
# every run the scheduler wrote is counted, nothing else (the triggered
# run of rebuild-index is not a scheduler action); polled, because the
# counts reach the slot just after the tick's commit
$node->safe_psql('postgres', "SELECT sched.pause('every-second')");
ok( $node->poll_query_until(
		'postgres', q{
	SELECT s.actions_fired = (SELECT count(*) FROM sched.executions
							   WHERE start_kind = 'schedule')
		   AND s.actions_skipped = 0 AND s.actions_missed = 0
	  FROM sched.scheduler_status() s WHERE database = 'postgres'}),
	'actions_fired is the number of runs the scheduler wrote');
note $node->safe_psql('postgres',
	'SELECT ticks, schedules_processed, actions_fired, lateness_p50_ms, lateness_p99_ms '
	  . 'FROM sched.scheduler_status()');

$node->stop;
done_testing();
