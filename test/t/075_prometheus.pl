# Monitoring with Prometheus (monitoring/, README "Monitoring with Prometheus
# and Grafana"), end to end: Debian's prometheus-postgres-exporter with
# monitoring/queries.yaml, connected as a login role in sched_monitor, is
# scraped over loopback while schedules of another role fire, skip (overlap,
# paused, limit), fail to process, lose a lease and have their closed runs
# deleted by retention; every pg_sched sample it serves is checked against
# the database.  Then a Prometheus server scrapes it and evaluates every
# expression of the Grafana dashboard (each must return series) and loads the
# alert rules (each must evaluate); promtool checks and unit-tests the rules.
# The packages come from scripts/install-deps.sh (prometheus-postgres-exporter,
# prometheus).
use strict;
use warnings;
use FindBin;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root       = "$FindBin::RealBin/../..";
my $monitoring = "$root/monitoring";
my $exporter   = '/usr/bin/prometheus-postgres-exporter';
my $prometheus = '/usr/bin/prometheus';
my $promtool   = '/usr/bin/promtool';
for my $bin ($exporter, $prometheus, $promtool)
{
	BAIL_OUT("$bin is missing: run scripts/install-deps.sh as root "
		  . "(prometheus-postgres-exporter, prometheus)")
	  unless -x $bin;
}
my $tmp = PostgreSQL::Test::Utils::tempdir('prometheus');

# ---- the rules, offline ----
my ($out, $err) = ('', '');
ok(IPC::Run::run([ $promtool, 'check', 'rules', "$monitoring/alerts.yml" ],
		'>', \$out, '2>', \$err),
	'promtool check rules monitoring/alerts.yml')
  or diag("$out\n$err");
($out, $err) = ('', '');
ok( IPC::Run::run(
		[ $promtool, 'test', 'rules', "$monitoring/alerts_test.yml" ],
		'>', \$out, '2>', \$err),
	'promtool test rules monitoring/alerts_test.yml')
  or diag("$out\n$err");

# ---- a cluster whose schedules do a bit of everything ----
my $node = PostgreSQL::Test::Cluster->new('prometheus');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
pg_sched.run_retention = 0
});
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION pg_sched;
	CREATE ROLE app LOGIN;
	GRANT USAGE ON SCHEMA sched TO app;
	CREATE ROLE prometheus LOGIN IN ROLE sched_monitor;});

sub sql { return $node->safe_psql('postgres', $_[0]); }
sub as_app
{
	return $node->safe_psql('postgres', $_[0], extra_params => [ '-U', 'app' ]);
}

sub every_second
{
	my ($id, $queue, $policy, $state) = @_;
	as_app(
		qq{SELECT sched.create_schedule('$id', jsonb_build_object(
			'action', jsonb_build_object('workflow', 'Job', 'id', '$id', 'task_queue', '$queue'),
			'spec', '{"intervals": [{"every": 1}]}'::jsonb,
			'policy', '$policy'::jsonb, 'state', '$state'::jsonb))});
}

every_second('tick',     'tq', '{"overlap": "allow_all"}', '{}');
every_second('skipper',  'sq', '{"overlap": "skip"}',      '{}');
every_second('buffered', 'bq', '{"overlap": "buffer_all"}', '{}');
every_second('limited', 'lq', '{"overlap": "buffer_all"}',
	'{"limited_actions": true, "remaining_actions": 2}');
every_second('broken', 'xq', '{}', '{}');

# broken: a stored spec that no longer reads fails to process (a WARNING,
# retried a minute later): the scheduler's errors
sql(q{UPDATE sched.schedules SET spec = '{"intervals": "bad"}', next_due = now()
	   WHERE schedule_id = 'broken'});
ok( $node->poll_query_until(
		'postgres',
		q{SELECT errors >= 1 FROM sched.scheduler_status()
		   WHERE database = current_database()}),
	'a schedule that fails to process counts as an error of the scheduler');
sql(q{DELETE FROM sched.schedules WHERE schedule_id = 'broken'});

# pause on failure is logged: a LOG line names the schedule and the failure
as_app(q{SELECT sched.create_schedule('fragile', '{
	"action": {"workflow": "Job", "id": "fragile", "task_queue": "fq"},
	"spec": {"calendars": [{"year": 2099}]}, "policy": {"pause_on_failure": true}}')});
as_app(q{SELECT sched.trigger('fragile')});
my $frun = sql(q{SELECT run_id FROM sched.poll('fq', 'w0')});
sql(qq{SELECT sched.fail('$frun', 'disk full')});
ok( $node->wait_for_log(
		qr/LOG:  pg_sched paused schedule "fragile": paused due to workflow failure: fragile-\S+: disk full/),
	'an automatic pause on failure is logged');
is(sql(q{SELECT paused FROM sched.schedules WHERE schedule_id = 'fragile'}), 't',
	'and the schedule is paused');

# tick: a worker completes some runs and fails others; retention deletes
# them (run_retention = 0) and the counters keep them
ok($node->poll_query_until('postgres',
		q{SELECT count(*) >= 4 FROM sched.executions WHERE task_queue = 'tq'}),
	'tick fires');
for my $i (1 .. 4)
{
	my $run = sql(q{SELECT run_id FROM sched.poll('tq', 'w1')});
	sql($i % 2
		? qq{SELECT sched.complete('$run', '{"ok": true}')}
		: qq{SELECT sched.fail('$run', 'boom')});
}
ok( $node->poll_query_until(
		'postgres',
		q{SELECT coalesce(sum(completed), 0) >= 2 AND coalesce(sum(failed), 0) >= 2
			FROM sched.run_totals WHERE schedule_id = 'tick'}),
	'retention deleted the closed runs into sched.run_totals');

# buffered: its first run is claimed with a 1-second lease and abandoned
# (the lease expires); times buffer behind it; paused, and the run then
# completed: the scheduled items waiting are dropped as paused
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM sched.executions WHERE task_queue = 'bq'}),
	'buffered starts its first run');
sql(q{SELECT run_id FROM sched.poll('bq', 'w2', 1, '1 second')});
ok( $node->poll_query_until(
		'postgres',
		q{SELECT lease_expiries >= 1 FROM sched.queue_metrics WHERE task_queue = 'bq'}),
	'an abandoned lease expires and is counted');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) >= 2 FROM sched.buffer WHERE schedule_id = 'buffered'}),
	'times buffer behind the open run');
as_app(q{SELECT sched.pause('buffered')});
my $brun = sql(q{SELECT run_id FROM sched.poll('bq', 'w2')});
sql(qq{SELECT sched.complete('$brun')});
cmp_ok(sql(q{SELECT num_actions_skipped_paused FROM sched.schedules WHERE schedule_id = 'buffered'}),
	'>=', 2, 'the buffered scheduled actions of a paused schedule are skipped as paused');

# skipper and limited skip by themselves
ok( $node->poll_query_until(
		'postgres',
		q{SELECT skipped_overlap >= 2 FROM sched.schedule_metrics WHERE schedule_id = 'skipper'}),
	'skip counts the overlapping times');
ok( $node->poll_query_until(
		'postgres',
		q{SELECT skipped_limit >= 2 FROM sched.schedule_metrics WHERE schedule_id = 'limited'}),
	'a limited schedule counts the times no remaining action is left for');

# quiet: every schedule paused, so the counters hold still while compared
as_app(q{SELECT sched.pause(schedule_id) FROM sched.schedules WHERE NOT paused});
sql(q{SELECT pg_sleep(0.3)});

# ---- the exporter, on loopback ----
my $eport = PostgreSQL::Test::Cluster::get_free_port();
my $dsn   = 'host=' . $node->host . ' port=' . $node->port
  . ' user=prometheus dbname=postgres sslmode=disable';
my ($eout, $eerr) = ('', '');
my $eh = IPC::Run::start(
	[
		$exporter, "--extend.query-path=$monitoring/queries.yaml",
		"--web.listen-address=127.0.0.1:$eport", '--disable-default-metrics',
		'--disable-settings-metrics'
	],
	init => sub { $ENV{DATA_SOURCE_NAME} = $dsn },
	'>', \$eout, '2>', \$eerr);

my $http = HTTP::Tiny->new(timeout => 10);
my $body = '';
for (1 .. 100)
{
	my $r = $http->get("http://127.0.0.1:$eport/metrics");
	$body = $r->{content} if $r->{success};
	last if $body =~ /^pg_sched_queue_pending\{/m;
	select(undef, undef, undef, 0.2);
}
like($body, qr/^pg_sched_scheduler_up\{/m, 'the exporter serves pg_sched metrics')
  or diag("exporter: $eerr");

# samples: name => { "label=value,..." (sorted, without server) => value }
my %samples;
for my $line (split /\n/, $body)
{
	next unless $line =~ /^(pg_sched_\w+)(?:\{(.*)\})?\s+(\S+)$/;
	my ($name, $labels, $value) = ($1, $2 // '', $3);
	my %l = $labels =~ /(\w+)="((?:[^"\\]|\\.)*)"/g;
	delete $l{server};
	my $key = join ',', map { "$_=$l{$_}" } sort keys %l;
	$samples{$name}{$key} = $value;
}

# expected: the same metrics computed from the views, in SQL
my %expected;
sub expect
{
	my ($name, $query) = @_;
	for my $row (split /\n/, sql($query))
	{
		my ($key, $value) = split /\|/, $row;
		$expected{$name}{$key} = $value;
	}
}
expect('pg_sched_actions_total',
	q{SELECT 'schedule_id=' || schedule_id || ',task_queue=' || task_queue, actions
		FROM sched.schedule_metrics});
expect('pg_sched_actions_skipped_total',
	q{SELECT 'reason=' || r || ',schedule_id=' || schedule_id || ',task_queue=' || task_queue, n
		FROM sched.schedule_metrics,
		LATERAL (VALUES ('overlap', skipped_overlap), ('buffer_full', skipped_buffer_full),
			('paused', skipped_paused), ('limit', skipped_limit),
			('catchup_window', missed_catchup_window)) v(r, n)});
expect('pg_sched_runs_closed_total',
	q{SELECT 'schedule_id=' || schedule_id || ',status=' || st || ',task_queue=' || task_queue, n
		FROM sched.schedule_metrics,
		LATERAL (VALUES ('completed', runs_completed), ('failed', runs_failed),
			('timed_out', runs_timed_out), ('canceled', runs_canceled),
			('terminated', runs_terminated)) v(st, n)});
for my $col (qw(paused pending_runs retries_total))
{
	my $expr = { paused => 'paused::int', pending_runs => 'runs_pending',
		retries_total => 'runs_retried' }->{$col};
	expect("pg_sched_schedule_$col",
		qq{SELECT 'schedule_id=' || schedule_id || ',task_queue=' || task_queue, $expr
			FROM sched.schedule_metrics});
}
for my $col (qw(scheduled pending running claims_total retries_total lease_expiries_total))
{
	(my $c = $col) =~ s/_total$//;
	expect("pg_sched_queue_$col",
		qq{SELECT 'task_queue=' || task_queue, $c FROM sched.queue_metrics});
}
expect('pg_sched_queue_runs_closed_total',
	q{SELECT 'status=' || st || ',task_queue=' || task_queue, n
		FROM sched.queue_metrics,
		LATERAL (VALUES ('completed', completed), ('failed', failed),
			('timed_out', timed_out), ('canceled', canceled),
			('terminated', terminated)) v(st, n)});
expect('pg_sched_scheduler_up', q{SELECT 'database=postgres', 1});
expect('pg_sched_scheduler_errors_total',
	q{SELECT 'database=postgres', errors FROM sched.scheduler_status()
	   WHERE database = current_database()});

for my $name (sort keys %expected)
{
	is_deeply($samples{$name}, $expected{$name},
		"$name: every series and value as in the database");
}

# what they say
my $s = \%samples;
cmp_ok($s->{pg_sched_actions_skipped_total}{'reason=overlap,schedule_id=skipper,task_queue=sq'},
	'>=', 2, 'skipped by overlap, with the reason');
cmp_ok($s->{pg_sched_actions_skipped_total}{'reason=paused,schedule_id=buffered,task_queue=bq'},
	'>=', 2, 'skipped because paused');
cmp_ok($s->{pg_sched_actions_skipped_total}{'reason=limit,schedule_id=limited,task_queue=lq'},
	'>=', 2, 'skipped for the limit');
cmp_ok($s->{pg_sched_queue_runs_closed_total}{'status=completed,task_queue=tq'},
	'>=', 2, 'closes of runs that retention deleted are still counted');
cmp_ok($s->{pg_sched_queue_runs_closed_total}{'status=failed,task_queue=tq'},
	'>=', 2, 'and failures');
cmp_ok($s->{pg_sched_queue_lease_expiries_total}{'task_queue=bq'}, '>=', 1, 'lease expiries');
cmp_ok($s->{pg_sched_scheduler_errors_total}{'database=postgres'}, '>=', 1,
	'errors of the scheduler');
cmp_ok($s->{pg_sched_queue_claims_total}{'task_queue=tq'}, '>=', 4, 'claims');
ok(!exists $s->{pg_sched_actions_total}{'schedule_id=broken,task_queue=xq'},
	'a deleted schedule has no series');

# time-dependent gauges: within the time the comparison took
my $age = sql(q{SELECT extract(epoch FROM oldest_pending_wait) FROM sched.queue_metrics WHERE task_queue = 'sq'});
cmp_ok(abs($s->{pg_sched_queue_oldest_pending_age_seconds}{'task_queue=sq'} - $age),
	'<', 5, 'the oldest pending run\'s wait, in seconds');
my $lat = sql(q{SELECT extract(epoch FROM lateness) FROM sched.schedule_metrics WHERE schedule_id = 'skipper'});
cmp_ok(abs($s->{pg_sched_schedule_lateness_seconds}{'schedule_id=skipper,task_queue=sq'} - $lat),
	'<', 0.001, 'the latest start lateness, in seconds');
cmp_ok($s->{pg_sched_scheduler_last_tick_age_seconds}{'database=postgres'}, '<', 5,
	'the scheduler ticked within seconds');
is($s->{pg_sched_schedule_overdue_seconds}{'schedule_id=tick,task_queue=tq'}, 0,
	'a paused schedule is not overdue');

# every metric that the queries file defines is served
open my $qf, '<', "$monitoring/queries.yaml" or die;
my (%defined, $ns);
while (<$qf>)
{
	$ns = $1 if /^(pg_sched\w*):\s*$/;
	$defined{"${ns}_$1"} = 1
	  if $ns && /^\s+- (\w+):\s*$/ && !/^\s+- (schedule_id|task_queue|reason|status|database):/;
}
close $qf;
is_deeply([ sort grep { !exists $samples{$_} } keys %defined ], [],
	'every metric of queries.yaml is served');

# ---- Grafana dashboard and alerts: names, then a real Prometheus ----
open my $df, '<', "$monitoring/grafana-dashboard.json" or die;
my $dashboard = decode_json(do { local $/; <$df> });
close $df;
my @exprs;
sub walk
{
	my ($v) = @_;
	if (ref $v eq 'HASH')
	{
		push @exprs, $v->{expr} if defined $v->{expr} && !ref $v->{expr};
		walk($_) for values %$v;
	}
	elsif (ref $v eq 'ARRAY') { walk($_) for @$v; }
}
walk($dashboard->{panels});
cmp_ok(scalar(@exprs), '>=', 15, 'the dashboard has panels with queries');
my @vars = map { $_->{definition} // () } @{ $dashboard->{templating}{list} };
my %used;
for my $e (@exprs, @vars)
{
	$used{$1} = 1 while $e =~ /\b(pg_sched_\w+)/g;
}
open my $af, '<', "$monitoring/alerts.yml" or die;
my $alerts = do { local $/; <$af> };
close $af;
$used{$1} = 1 while $alerts =~ /\b(pg_sched_\w+)/g;
is_deeply([ sort grep { !exists $samples{$_} } keys %used ], [],
	'every metric name in the dashboard and the alert rules is one the exporter serves');

my $pport = PostgreSQL::Test::Cluster::get_free_port();
open my $pc, '>', "$tmp/prometheus.yml" or die;
print $pc <<"EOF";
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $monitoring/alerts.yml
scrape_configs:
  - job_name: pg_sched
    static_configs:
      - targets: ['127.0.0.1:$eport']
EOF
close $pc;
my ($pout, $perr) = ('', '');
my $ph = IPC::Run::start(
	[
		$prometheus, "--config.file=$tmp/prometheus.yml",
		"--storage.tsdb.path=$tmp/tsdb", "--web.listen-address=127.0.0.1:$pport"
	],
	'>', \$pout, '2>', \$perr);

sub promql
{
	my ($q) = @_;
	my $r = $http->get("http://127.0.0.1:$pport/api/v1/query?query="
		  . join('', map { sprintf('%%%02X', ord) } split //, $q));
	return undef unless $r->{success};
	return decode_json($r->{content});
}
# three scrapes at least, so that rate() has points
my $ready = 0;
for (1 .. 150)
{
	my $r = promql('count_over_time(pg_sched_scheduler_up[1m])');
	if ($r && $r->{status} eq 'success' && @{ $r->{data}{result} }
		&& $r->{data}{result}[0]{value}[1] >= 4)
	{
		$ready = 1;
		last;
	}
	select(undef, undef, undef, 0.2);
}
ok($ready, 'Prometheus scrapes the exporter') or diag("prometheus: $perr");

for my $e (@exprs)
{
	(my $q = $e) =~ s/\$__rate_interval/10s/g;
	$q =~ s/\$(server|schedule_id|task_queue)/.*/g;
	my $r = promql($q);
	ok($r && $r->{status} eq 'success' && @{ $r->{data}{result} },
		"dashboard query returns series: $e")
	  or diag(explain($r));
}
for my $v (@vars)
{
	next unless $v =~ /^label_values\((.*), (\w+)\)$/;
	my ($sel, $label) = ($1, $2);
	$sel =~ s/\$server/.*/g;
	my $r = promql("count by ($label) ($sel)");
	ok($r && @{ $r->{data}{result} }, "dashboard variable has values: $v");
}

my $rules;
for (1 .. 50)
{
	my $r = $http->get("http://127.0.0.1:$pport/api/v1/rules");
	$rules = decode_json($r->{content}) if $r->{success};
	last if $rules && @{ $rules->{data}{groups} // [] }
	  && !grep { !$_->{lastEvaluation} || $_->{lastEvaluation} =~ /^0001/ }
	  map { @{ $_->{rules} } } @{ $rules->{data}{groups} };
	select(undef, undef, undef, 0.2);
}
my @rules = map { @{ $_->{rules} } } @{ $rules->{data}{groups} // [] };
cmp_ok(scalar(@rules), '>=', 8, 'Prometheus loaded the alert rules');
is_deeply([ map { "$_->{name}: $_->{health}" } grep { $_->{health} ne 'ok' } @rules ], [],
	'every alert rule evaluates');
# a healthy system raises no alert: the scheduler is up and ticking, the
# schedules are paused (not overdue), the counters no longer move
is_deeply([ sort map { "$_->{name}: $_->{state}" } grep { $_->{state} ne 'inactive' } @rules ],
	[], 'no alert is pending or firing');

$ph->kill_kill;
$eh->kill_kill;
$node->stop;
done_testing();
