# pg_dump / pg_restore into a new cluster: the schedules come back with the
# same specs, state and counters, their buffers and runs with them, and the
# schedule that fires every second goes on firing on the new cluster from
# where the dump left it, without firing again a nominal time the dump
# already has a run for.  The extension's tables and sequences are
# configuration objects (pg_extension_config_dump), so their rows are data
# of the dump: the test also checks that every table and sequence of the
# extension is registered.
#
# Log levels (README "Operating"): the new cluster's server log, with a
# schedule firing every second for several seconds, holds no pg_sched line
# besides the launcher's start-up line.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

sub new_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
	# only what the server says by itself goes to the log
	$node->append_conf('postgresql.conf', <<'EOC');
shared_preload_libraries = 'pg_sched'
timezone = 'UTC'
log_statement = none
log_connections = off
log_disconnections = off
EOC
	$node->start;
	return $node;
}

my $old = new_node('old');
$old->safe_psql('postgres', 'CREATE DATABASE app');
$old->safe_psql('app',      'CREATE EXTENSION pg_sched');

is( $old->safe_psql(
		'app', q{
	SELECT string_agg(c.oid::regclass::text, ', ' ORDER BY c.oid::regclass::text)
	FROM pg_depend d
	JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
	JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
	WHERE e.extname = 'pg_sched' AND d.deptype = 'e' AND c.relkind IN ('r', 'S')
	  AND c.oid <> ALL (e.extconfig)}),
	'',
	'every table and sequence of the extension is registered with pg_extension_config_dump'
);

# Schedules of several kinds.  "tick" fires every second (allow_all, since
# no worker completes its runs); the others are in the future or paused,
# so that only this test changes them.
$old->safe_psql(
	'app', q{
	SELECT sched.create_schedule('tick', '{
		"action": {"workflow": "Tick", "id": "tick", "task_queue": "q"},
		"spec": {"intervals": [{"every": 1}]},
		"policy": {"overlap": "allow_all"}}');
	SELECT sched.create_schedule('nightly', '{
		"action": {"workflow": "Report", "id": "nightly", "task_queue": "reports",
				   "args": ["all", {"depth": 2}]},
		"spec": {"cron_expressions": ["0 3 * * *"], "time_zone_name": "Europe/Paris",
				 "start_at": "2099-01-01T00:00:00Z"},
		"policy": {"overlap": "buffer_all", "catchup_window": "1 hour"},
		"state": {"note": "reports at 3am Paris time"}}',
		memo => '{"team": "finance"}');
	SELECT sched.create_schedule('held', '{
		"action": {"workflow": "Held", "id": "held", "task_queue": "q2"},
		"spec": {"calendars": [{"hour": "12", "minute": "30", "day_of_week": "mon-fri"}],
				 "skip": [{"month": "12", "day_of_month": "25",
						   "hour": "*", "minute": "*", "second": "*"}]},
		"state": {"paused": true, "note": "on hold until the audit"}}');
	SELECT sched.create_schedule('limited', '{
		"action": {"workflow": "Once", "id": "limited", "task_queue": "q2"},
		"spec": {"intervals": [{"every": "1 hour", "offset": "5 minutes"}],
				 "start_at": "2099-01-01T00:00:00Z"},
		"state": {"limited_actions": true, "remaining_actions": 3}}');
	-- three manual actions under buffer_all: one run, two buffered
	SELECT sched.trigger('nightly');
	SELECT sched.trigger('nightly');
	SELECT sched.trigger('nightly');
	SELECT sched.backfill('held', '2025-01-06T00:00:00Z', '2025-01-08T00:00:00Z', 'allow_all');
	SELECT sched.start_workflow('Later', 'later-1', 'q3', '[1]', start_delay => '1 day');
	SELECT sched.start_workflow('Now', 'now-1', 'q3', '[2]');
});
# a completed run and a failed one; the rest stay pending
$old->safe_psql(
	'app', q{
	SELECT sched.complete(run_id, '{"ok": true}') FROM sched.poll('q2', 'w1');
	SELECT sched.fail(run_id, 'boom', true) FROM sched.poll('q2', 'w1');
});
ok( $old->poll_query_until(
		'app',
		"SELECT count(*) >= 3 FROM sched.executions WHERE schedule_id = 'tick'"),
	'the old cluster fires');
is( $old->safe_psql(
		'app', q{
	SELECT string_agg(status || ':' || n, ' ' ORDER BY status)
	FROM (SELECT status, count(*) n FROM sched.executions
		  WHERE schedule_id IS DISTINCT FROM 'tick' GROUP BY status) s}),
	'completed:1 failed:1 pending:2 scheduled:1',
	'runs of every state exist');
is($old->safe_psql('app', 'SELECT count(*) FROM sched.buffer'),
	'2', 'and buffered actions');

# ---- the dump, taken while the scheduler goes on firing ----
my $dump = "$PostgreSQL::Test::Utils::tmp_check/app.dump";
command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $old->connstr('app') ],
	'pg_dump -Fc');

# What the dump must bring back: every column of every row but those of
# "tick", whose cursor and counters move on while the old cluster runs.
my $schedules_q = q{
	SELECT s.*, sched.describe(schedule_id) - 'info' AS doc
	FROM sched.schedules s WHERE schedule_id <> 'tick' ORDER BY schedule_id};
my $runs_q = q{
	SELECT * FROM sched.executions
	WHERE schedule_id IS DISTINCT FROM 'tick' ORDER BY run_id};
my $buffer_q = 'SELECT * FROM sched.buffer ORDER BY schedule_id, seq';
my %before = map { $_ => $old->safe_psql('app', $_) }
  ($schedules_q, $runs_q, $buffer_q);
my $old_buffer_seq = $old->safe_psql('app',
	"SELECT last_value FROM sched.buffer_seq_seq");
$old->stop;

# ---- the restore, into a new cluster with the library preloaded ----
my $new = new_node('new');
$new->safe_psql('postgres', 'CREATE DATABASE app');
command_ok(
	[
		'pg_restore', '--single-transaction', '--exit-on-error',
		'-d', $new->connstr('app'), $dump
	],
	'pg_restore --single-transaction into a new cluster');
my $restored_at = $new->safe_psql('app', 'SELECT clock_timestamp()');
my $log_from = -s $new->logfile;

for my $q ($schedules_q, $runs_q, $buffer_q)
{
	my ($what) = $q =~ /FROM (sched\.\w+)/;
	is($new->safe_psql('app', $q), $before{$q},
		"every row of $what comes back as it was");
}
is($new->safe_psql('app', "SELECT last_value FROM sched.buffer_seq_seq"),
	$old_buffer_seq, 'and the sequence of the buffer');

my ($tick_runs, $tick_max, $tick_next, $tick_num) = split /\|/,
  $new->safe_psql(
	'app', q{
	SELECT (SELECT count(*) FROM sched.executions WHERE schedule_id = 'tick'
			AND nominal_time < s.next_nominal),
		   (SELECT max(nominal_time) FROM sched.executions WHERE schedule_id = 'tick'
			AND nominal_time < s.next_nominal),
		   next_nominal, num_actions
	FROM sched.schedules s WHERE schedule_id = 'tick'});
note "the dump has $tick_runs runs of \"tick\", up to $tick_max";
cmp_ok($tick_runs, '>=', 3, 'the runs of "tick" are in the dump');
is($tick_num, $tick_runs, 'its counter in the dump matches its runs');

# Buffered actions go on with their sequence: two more, then the running
# one closes and the buffer drains in order.
$new->safe_psql('app', "SELECT sched.trigger('nightly'); SELECT sched.trigger('nightly')");
is($new->safe_psql('app',
		"SELECT count(*), count(DISTINCT seq) FROM sched.buffer WHERE schedule_id = 'nightly'"),
	'4|4', 'new buffered actions take new sequence numbers');

# ---- the new cluster fires on ----
ok( $new->poll_query_until(
		'app',
		"SELECT max(nominal_time) >= '$restored_at'::timestamptz + interval '5 seconds' "
		  . "FROM sched.executions WHERE schedule_id = 'tick'"),
	'the schedule fires on the new cluster');
is( $new->safe_psql(
		'app', qq{
	SELECT count(*) = count(DISTINCT nominal_time),
		   max(nominal_time) - min(nominal_time) = (count(*) - 1) * interval '1 second',
		   min(nominal_time) FILTER (WHERE nominal_time > '$tick_max') = '$tick_next',
		   count(*) = (SELECT num_actions FROM sched.schedules WHERE schedule_id = 'tick')
	FROM sched.executions WHERE schedule_id = 'tick'}),
	't|t|t|t',
	'it went on from the dump\'s cursor: no nominal time twice, none missing, counter matching'
);
is( $new->safe_psql(
		'app', q{
	SELECT count(*) FROM sched.executions WHERE schedule_id = 'tick' AND start_kind <> 'schedule'}),
	'0', 'only scheduled runs');

# ---- log levels: normal operation writes no pg_sched line ----
my $log = slurp_file($new->logfile);
my @ours = grep { /pg_sched/i } split /\n/, $log;
is_deeply([ grep { !/LOG:  pg_sched launcher started$/ } @ours ],
	[], 'the server log has no pg_sched line but the launcher\'s start')
  or diag join "\n", @ours;
my $pid = $new->safe_psql('app',
	"SELECT pid FROM sched.scheduler_status() WHERE database = 'app'");
my @from_scheduler = grep { /\[$pid\]/ } split /\n/, substr($log, $log_from);
is_deeply(\@from_scheduler, [],
	'a scheduler firing every second writes nothing to the log');

$new->stop;
done_testing();
