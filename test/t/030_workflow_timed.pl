# Workflow starts driven by the scheduler (SEMANTICS.md 7 and 8): a start
# delay ends on time (the run becomes pending and notifies), a signal ends
# it early; a cron chain (@every 2s) runs three times and more, through a
# completion, a failure and a run timeout, each run getting the last
# result, until a cancellation ends it; retries wait for their backoff;
# run and execution timeouts close runs on time, and a schedule's run that
# times out pauses its schedule; two concurrent starts of one id cannot
# both start it.
#
# A trigger on sched.executions logs every status change with the clock
# time, so lateness is measured where it happens.  Lateness is printed;
# only generous bounds are asserted.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('workflow_timed');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub wait_for
{
	my ($query, $what) = @_;
	ok($node->poll_query_until('postgres', $query), $what);
}

# The log: schema-qualified, as the scheduler's search_path is not ours.
sql(q{
	CREATE TABLE public.wf_log (run_id uuid, workflow_id text, old text,
	                            new text, due_at timestamptz, at timestamptz);
	CREATE FUNCTION public.wf_log() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	    IF OLD.status IS DISTINCT FROM NEW.status THEN
	        INSERT INTO public.wf_log VALUES (NEW.run_id, NEW.workflow_id,
	            OLD.status, NEW.status, NEW.due_at, clock_timestamp());
	    END IF;
	    RETURN NEW;
	END $$;
	CREATE TRIGGER wf_log AFTER UPDATE ON sched.executions
	    FOR EACH ROW EXECUTE FUNCTION public.wf_log();
});

# ---- start delay ----
# A worker session listens for sched_tasks.
my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN sched_tasks');

sql(q{SELECT sched.start_workflow('Report', 'delay', 'dq',
                                  start_delay => '2 seconds')});
is(sql(q{SELECT status FROM sched.executions WHERE workflow_id = 'delay'}),
	'scheduled', 'a delayed run is scheduled at once');
wait_for(q{SELECT status = 'pending' FROM sched.executions WHERE workflow_id = 'delay'},
	'the delayed run becomes pending');
my $late = sql(q{
	SELECT round(extract(epoch FROM at - due_at) * 1000, 1) FROM public.wf_log
	 WHERE workflow_id = 'delay' AND new = 'pending'});
diag("a 2-second start delay became pending $late ms after its due time");
ok($late >= 0 && $late < 1000, 'not before its due time, and within a second of it');
like($listener->query_safe('SELECT 1'),
	qr/Asynchronous notification "sched_tasks" with payload "dq"/,
	'NOTIFY sched_tasks names its task queue');

# ---- a signal ends a start delay ----
sql(q{SELECT sched.start_workflow('Report', 'sig', 'sq', start_delay => '1 hour')});
sql(q{SELECT sched.signal_workflow('sig', 'go', '{"by": "test"}')});
is(sql(q{SELECT workflow_id FROM sched.poll('sq', 'w1')}), 'sig',
	'a signal makes a delayed run claimable at once');
like($listener->query_safe('SELECT 1'),
	qr/Asynchronous notification "sched_tasks" with payload "sq"/,
	'and notifies');
is(sql(q{SELECT signals->0->>'signal' FROM sched.executions WHERE workflow_id = 'sig'}),
	'go', 'the signal is recorded on the run');

# ---- a cron chain ----
# Every 2 seconds, each run with a run timeout of 1.5 s: the first run is
# completed, the second fails (reporting the result it received), the third
# is left to time out; the fourth is canceled, which ends the chain.  A
# worker's claim and report are one statement, repeated until a run is due.
sql(q{SELECT sched.start_workflow('Report', 'chain', 'cq', args => '["x"]',
                                  cron_schedule => '@every 2s',
                                  run_timeout => '1.5 seconds')});
is(sql(q{SELECT status FROM sched.executions WHERE workflow_id = 'chain'}),
	'scheduled', 'a cron workflow waits for its first cron time');
wait_for(q{
	SELECT count(*) = 1 FROM (SELECT sched.complete(run_id, '{"n": 1}')
	                            FROM sched.poll('cq', 'w1')) x},
	'the first run of the chain is claimed and completed');
wait_for(q{
	SELECT count(*) = 1 FROM (
	    SELECT sched.fail(run_id, 'saw ' || coalesce(last_completion_result::text, 'nothing'))
	      FROM sched.poll('cq', 'w1')) x},
	'the second run is claimed and fails');
wait_for(q{SELECT count(*) >= 4 FROM sched.executions WHERE workflow_id = 'chain'},
	'the third run times out and the chain goes on');
sql(q{SELECT sched.cancel_workflow('chain')});
my @chain = split /\n/, sql(q{
	SELECT status, extract(epoch FROM nominal_time - lag(nominal_time)
	                                   OVER (ORDER BY nominal_time)),
	       last_completion_result, error
	  FROM sched.executions WHERE workflow_id = 'chain' ORDER BY nominal_time});
diag("chain: @chain");
is(scalar(@chain), 4, 'four runs');
like($chain[0], qr/^completed\|\|\|$/, 'run 1 completed');
like($chain[1], qr/^failed\|[\d.]+\|\{"n": 1\}\|saw \{"n": 1\}$/,
	'run 2 received the result of run 1, and failed');
like($chain[2], qr/^timed_out\|[\d.]+\|\{"n": 1\}\|run_timeout of PT1\.5S exceeded$/,
	'run 3 timed out, and still had the last successful result');
like($chain[3], qr/^canceled\|[\d.]+\|\{"n": 1\}\|$/, 'run 4 was canceled');
my ($gaps_ok) = sql(q{
	SELECT bool_and(d > interval '0' AND extract(epoch FROM d)::int % 2 = 0)
	  FROM (SELECT nominal_time - lag(nominal_time) OVER (ORDER BY nominal_time) AS d
	          FROM sched.executions WHERE workflow_id = 'chain') x
	 WHERE d IS NOT NULL});
is($gaps_ok, 't', 'runs follow each other on cron times');
is(sql(q{SELECT count(*) FROM sched.executions
          WHERE workflow_id = 'chain' AND status IN ('scheduled', 'pending', 'running')}),
	'0', 'a cancellation ends the chain');

# ---- retries with backoff ----
# 0.5 s, then 1 s; three tries in all.
sql(q{SELECT sched.start_workflow('Report', 'retry', 'rq',
          retry_policy => '{"initial_interval": "0.5 seconds", "backoff_coefficient": 2,
                            "maximum_attempts": 3}')});
for my $try (1 .. 3)
{
	wait_for(qq{
		SELECT count(*) = 1 FROM (SELECT sched.fail(run_id, 'try $try')
		                            FROM sched.poll('rq', 'w1')) x},
		"try $try is claimed and fails");
}
is(sql(q{SELECT status || ' ' || retries || ' ' || attempt FROM sched.executions
          WHERE workflow_id = 'retry'}),
	'failed 2 3', 'the third failure is final');
my @backoff = split /\n/, sql(q{
	SELECT round(extract(epoch FROM due_at - at)::numeric, 1) FROM public.wf_log
	 WHERE workflow_id = 'retry' AND new = 'scheduled' ORDER BY at});
is("@backoff", '0.5 1.0', 'backoffs of 0.5 s and 1 s');
my @retry_late = split /\n/, sql(q{
	SELECT round(extract(epoch FROM at - due_at) * 1000, 1) FROM public.wf_log
	 WHERE workflow_id = 'retry' AND old = 'scheduled' AND new = 'pending'
	 ORDER BY at});
diag("retries became pending @retry_late ms after their due times");
ok(@retry_late == 2 && !grep({ $_ < 0 || $_ >= 1000 } @retry_late),
	'each retry on time');

# ---- timeouts ----
# A run nobody claims, run_timeout 1 s.
sql(q{SELECT sched.start_workflow('Report', 'rt', 'tq', run_timeout => '1 second')});
wait_for(q{SELECT status = 'timed_out' FROM sched.executions WHERE workflow_id = 'rt'},
	'a run not closed within its run timeout times out');
my $rt_late = sql(q{
	SELECT round(extract(epoch FROM l.at - e.run_deadline) * 1000, 1)
	  FROM public.wf_log l JOIN sched.executions e USING (run_id)
	 WHERE l.workflow_id = 'rt' AND l.new = 'timed_out'});
diag("a run timeout closed the run $rt_late ms after its deadline");
ok($rt_late >= 0 && $rt_late < 1000, 'on time');

# Run timeouts retried until the execution timeout ends the workflow.
sql(q{SELECT sched.start_workflow('Report', 'et', 'tq', execution_timeout => '2 seconds',
          run_timeout => '0.5 seconds',
          retry_policy => '{"initial_interval": "0.2 seconds"}')});
wait_for(q{SELECT status = 'timed_out' FROM sched.executions WHERE workflow_id = 'et'},
	'the execution timeout closes the workflow');
my ($et_type, $et_retries, $et_late) = split /\|/, sql(q{
	SELECT e.error_type, e.retries,
	       round(extract(epoch FROM l.at - e.execution_deadline) * 1000, 1)
	  FROM public.wf_log l JOIN sched.executions e USING (run_id)
	 WHERE l.workflow_id = 'et' AND l.new = 'timed_out'});
diag("the execution timeout closed the run $et_late ms after its deadline, after $et_retries retries");
is($et_type, 'execution_timeout', 'as an execution timeout');
ok($et_retries >= 1, 'after run timeouts that were retried');
ok($et_late >= 0 && $et_late < 1000, 'on time');

# A schedule's run: its timeout pauses a pause_on_failure schedule.
sql(q{SELECT sched.create_schedule('st', '{
	"action": {"workflow": "Report", "id": "st", "task_queue": "stq",
	           "run_timeout": "1 second"},
	"spec": {"cron_expressions": ["0 0 1 1 *"], "start_at": "2099-01-01T00:00:00Z"},
	"policy": {"pause_on_failure": true}}', trigger_immediately => true)});
wait_for(q{SELECT paused FROM sched.schedules WHERE schedule_id = 'st'},
	'a schedule\'s run that times out pauses the schedule');
like(sql(q{SELECT note FROM sched.schedules WHERE schedule_id = 'st'}),
	qr/^paused due to workflow timeout: st-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
	'with the note of SEMANTICS.md 3.3');

# ---- two concurrent starts of one id ----
# The first start is not committed yet: a second start of the id waits for
# it, then sees its run (use_existing returns it; fail is refused).
my $first = $node->background_psql('postgres');
$first->query_safe('BEGIN');
my $first_run = $first->query_safe(
	q{SELECT sched.start_workflow('Report', 'race', 'raq', start_delay => '1 hour')});
my $second = $node->background_psql('postgres', on_error_stop => 0);
$second->{stdin} .= q{SELECT sched.start_workflow('Report', 'race', 'raq',
	id_conflict_policy => 'use_existing');} . "\n\\echo 'second done'\n";
$second->{run}->pump_nb();
wait_for(q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE wait_event_type = 'Lock' AND query LIKE '%use_existing%'},
	'a concurrent start of the same id waits for the first');
$first->query_safe('COMMIT');
pump_until($second->{run}, $second->{timeout}, \$second->{stdout}, qr/second done/);
like($second->{stdout}, qr/^\Q$first_run\E$/m,
	'use_existing then returns the run the first start made');
my ($out, $err) = $second->query(
	q{SELECT sched.start_workflow('Report', 'race', 'raq')});
like($second->{stderr}, qr/workflow execution already started: workflow id "race"/,
	'and fail is refused with 23505');
$first->quit;
$second->quit;
$listener->quit;

$node->stop;
done_testing();
