# The per-spec DST policy (issue 14) with the real scheduler, under the test
# clock (pg_sched.debug_clock_offset): the schedules' clock is moved to just
# before a New York transition, schedules are created there, and the runs the
# scheduler starts are compared with the default policy's.
#  - spring forward (2027-03-14 02:00 EST -> 03:00 EDT): "30 2 * * *" does not
#    fire that day by default; with skipped = next_valid it fires at 03:00 EDT
#    (07:00Z), the first instant after the gap;
#  - fall back (2027-11-07 02:00 EDT -> 01:00 EST): "30 1 * * *" fires at
#    05:30Z and 06:30Z by default, only at 05:30Z with repeated = first, only
#    at 06:30Z with repeated = second.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dst');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_sched'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_sched');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# Moves the schedules' clock to $at (an instant ten seconds before the time
# under test: the schedules created next must exist before it) and waits
# until a fresh session sees the setting.
sub clock_to
{
	my ($at) = @_;
	my $secs = sql("SELECT ceil(extract(epoch FROM timestamptz '$at' - now()))::int");
	sql("ALTER SYSTEM SET pg_sched.debug_clock_offset = '${secs}s'");
	sql('SELECT pg_reload_conf()');
	ok( $node->poll_query_until(
			'postgres',
			"SELECT current_setting('pg_sched.debug_clock_offset') = '${secs}s'"),
		"clock moved to about $at");
}

sub create
{
	my ($id, $cron, $dst) = @_;
	my $d = $dst ? qq{, "dst": $dst} : '';
	sql(qq{SELECT sched.create_schedule('$id', '{
		"action": {"workflow": "W", "id": "$id", "task_queue": "dstq"},
		"spec": {"cron_expressions": ["$cron"], "time_zone_name": "America/New_York"$d},
		"policy": {"overlap": "allow_all"}}')});
}

# The nominal times of a schedule's runs, as UTC text, in order.
sub runs
{
	my ($id) = @_;
	return sql(qq{SELECT coalesce(string_agg(to_char(nominal_time AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ' ' ORDER BY nominal_time), '')
		FROM sched.executions WHERE schedule_id = '$id'});
}

sub cursor
{
	my ($id) = @_;
	return sql(qq{SELECT to_char(next_nominal AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		FROM sched.schedules WHERE schedule_id = '$id'});
}

# ---- spring forward ----
clock_to('2027-03-14 06:59:50Z');
create('gap-skip', '30 2 * * *', undef);
create('gap-next', '30 2 * * *', '{"skipped": "next_valid"}');
is(cursor('gap-skip'), '2027-03-15T06:30:00Z', 'default: 02:30 on the 14th does not exist, next is the 15th');
is(cursor('gap-next'), '2027-03-14T07:00:00Z', 'next_valid: 02:30 fires at 03:00 EDT');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM sched.executions WHERE schedule_id = 'gap-next'"),
	'next_valid: the scheduler starts it');
is(runs('gap-next'), '2027-03-14T07:00:00Z', 'next_valid: one run, at the transition');
is(cursor('gap-next'), '2027-03-15T06:30:00Z', 'next_valid: then the 15th');
is(runs('gap-skip'), '', 'default: no run on the 14th');
sql("SELECT sched.delete('gap-skip'), sched.delete('gap-next')");

# ---- fall back ----
clock_to('2027-11-07 05:29:50Z');
create('rep-both', '30 1 * * *', undef);
create('rep-first', '30 1 * * *', '{"repeated": "first"}');
create('rep-second', '30 1 * * *', '{"repeated": "second"}');
is(cursor('rep-second'), '2027-11-07T06:30:00Z', 'second: the first pass is passed over');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM sched.executions WHERE schedule_id IN ('rep-both', 'rep-first')"),
	'01:30 EDT fires for both and first');
is(cursor('rep-first'), '2027-11-08T06:30:00Z', 'first: the second pass is passed over');
is(cursor('rep-both'), '2027-11-07T06:30:00Z', 'both: the second pass comes next');

clock_to('2027-11-07 06:29:50Z');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM sched.executions WHERE schedule_id IN ('rep-both', 'rep-second') "
		  . "AND nominal_time = '2027-11-07 06:30Z'"),
	'01:30 EST fires for both and second');
is(runs('rep-both'), '2027-11-07T05:30:00Z 2027-11-07T06:30:00Z', 'both: two runs an hour apart');
is(runs('rep-first'), '2027-11-07T05:30:00Z', 'first: one run, 01:30 EDT');
is(runs('rep-second'), '2027-11-07T06:30:00Z', 'second: one run, 01:30 EST');

# explain agrees with what happened
is(sql(q{SELECT string_agg(dst || ':' || outcome, ' ' ORDER BY nominal_time)
	FROM sched.explain('rep-first', '2027-11-07 05:00Z', '2027-11-07 07:00Z')}),
	'first_pass:processed second_pass:dst_policy', 'explain: the first pass processed, the second dropped by the policy');

$node->stop;
done_testing();
