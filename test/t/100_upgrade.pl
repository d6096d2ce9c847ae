# ALTER EXTENSION pg_sched UPDATE from the first released version (0.1.0).
#
# Database "upgraded": CREATE EXTENSION pg_sched VERSION '0.1.0' (the frozen
# install script of src/sql/upgrade/, loaded with the current library, which
# must therefore still export every C symbol that script names), filled
# with the rows of schedules and runs (made by the current functions in
# another database, copied by 0.1.0's columns), then ALTER EXTENSION
# pg_sched UPDATE: the version is the default one, the schedules and runs
# are intact, and the schedule that fires every second goes on without a
# duplicate or a gap.  Before the update, the library refuses to work with
# the 0.1.0 objects: clear errors, and a scheduler that waits.
#
# Database "fresh": CREATE EXTENSION pg_sched.  Then every member object of
# the extension in both databases is listed with its definition (catalog
# queries: functions, columns in order with types, defaults and identity,
# constraints, indexes, triggers, policies, row security, views, sequences,
# types, comments, ACLs and the initial privileges pg_dump relies on,
# configuration tables) and the two listings must be equal: any drift
# between the update scripts and a fresh install fails here, with a diff.
use strict;
use warnings;
use File::Temp ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_sched'\ntimezone = 'UTC'");
$node->start;

my $default_version = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'pg_sched'");
note "default version $default_version";

# ---- the rows: made by the current functions in database "source" ----
# Schedules of several kinds.  "tick" fires every second (allow_all: no
# worker completes its runs); the others are far in the future or paused,
# so that only what this test does changes them.
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('source',   'CREATE EXTENSION pg_sched');
$node->safe_psql(
	'source', q{
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
		"state": {"note": "reports at 3am Paris time"}}');
	SELECT sched.create_schedule('held', '{
		"action": {"workflow": "Held", "id": "held", "task_queue": "q2"},
		"spec": {"calendars": [{"hour": 12, "minute": 30}]},
		"state": {"paused": true, "note": "on hold"}}');
	SELECT sched.trigger('nightly');
	SELECT sched.trigger('nightly');
	SELECT sched.trigger('nightly');
	SELECT sched.backfill('held', '2025-01-01T00:00:00Z', '2025-01-03T00:00:00Z', 'allow_all');
	SELECT sched.start_workflow('Once', 'once-1', 'q2', '[1]');
});
# one run claimed and completed, one claimed and failed
$node->safe_psql(
	'source', q{
	SELECT sched.complete(run_id, '{"ok": true}') FROM sched.poll('reports', 'w1');
	SELECT sched.fail(run_id, 'boom', true) FROM sched.poll('q2', 'w1');
});
ok( $node->poll_query_until(
		'source',
		"SELECT count(*) >= 3 FROM sched.executions WHERE schedule_id = 'tick'"),
	'the schedules fire');

# ---- database "upgraded": 0.1.0, the rows, update ----
$node->safe_psql('postgres', 'CREATE DATABASE upgraded');
my ($rc, $out, $err) = $node->psql('upgraded',
	"CREATE EXTENSION pg_sched VERSION '0.1.0'");
is($rc, 0,
	'the 0.1.0 install script loads with the current library (every C symbol it names exists)'
) or diag $err;
is($node->safe_psql('upgraded',
		"SELECT extversion FROM pg_extension WHERE extname = 'pg_sched'"),
	'0.1.0', 'version 0.1.0 installed');

# The rows go into the 0.1.0 tables by their 0.1.0 columns (identity
# columns renumbered), from one snapshot of "source", so that every
# schedule's cursor and counters agree with its runs: the state a 0.1.0
# installation is in when the new library is installed.  They are copied
# rather than made by 0.1.0's functions here, because those run the
# current library against 0.1.0's objects (checked below, as a known issue).
my $dir = PostgreSQL::Test::Utils::tempdir;
my @tables = qw(schedules buffer backfills executions);
my %cols = map {
	$_ => $node->safe_psql(
		'upgraded', qq{
		SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'sched.$_'::regclass
		AND attnum > 0 AND NOT attisdropped AND attidentity = ''})
} @tables;
my %order = (buffer => 'seq', backfills => 'seq');
$node->safe_psql('source',
	join "\n", 'BEGIN ISOLATION LEVEL REPEATABLE READ;',
	(map { "\\copy (SELECT $cols{$_} FROM sched.$_ ORDER BY " . ($order{$_} // '1')
		  . ") TO '$dir/$_.copy'" } @tables),
	'COMMIT;');
$node->safe_psql('upgraded',
	join "\n", 'BEGIN;',
	(map { "\\copy sched.$_ ($cols{$_}) FROM '$dir/$_.copy'" } @tables),
	'COMMIT;');
is( $node->safe_psql(
		'upgraded', q{
	SELECT (SELECT count(*) FROM sched.schedules) || ' ' ||
		   (SELECT count(*) FROM sched.buffer) || ' ' ||
		   (SELECT count(*) FROM sched.executions WHERE schedule_id IS DISTINCT FROM 'tick')}),
	'3 1 5',
	'the 0.1.0 database holds schedules, a buffered action and runs');
my $copied_max = $node->safe_psql('upgraded',
	"SELECT max(nominal_time) FROM sched.executions WHERE schedule_id = 'tick'");

# Between the restart on a new library and ALTER EXTENSION UPDATE, the new
# library meets the previous version's objects.  It refuses cleanly: every
# function errors with the versions and the hint to update (SQLSTATE 55000),
# and the scheduler waits, saying so once, without touching the schedules.
{
	my ($wrc, $wout, $werr) = $node->psql(
		'upgraded', q{
		SELECT sched.create_schedule('window', '{
			"action": {"workflow": "W", "id": "window", "task_queue": "wq"},
			"spec": {"intervals": [{"every": 1}], "start_at": "2099-01-01T00:00:00Z"}}',
			trigger_immediately => true);},
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($wrc, 0, 'before the update, the functions refuse to run');
	like(
		$werr,
		qr/55000: extension "pg_sched" is at version 0\.1\.0 in this database, but its loaded library is version \Q$default_version\E.*HINT:  Run ALTER EXTENSION pg_sched UPDATE\./s,
		'... with the two versions and the hint to update');
	($wrc, $wout, $werr) =
	  $node->psql('upgraded', q{SELECT * FROM sched.poll('wq', 'w1')});
	like($werr, qr/is at version 0\.1\.0/, '... sched.poll too');
	ok( $node->wait_for_log(
			qr/WARNING:  pg_sched scheduler for database "upgraded" is waiting: the extension is at version 0\.1\.0 there, its library at \Q$default_version\E/,
			0),
		'the scheduler says once that it waits for the update');
	is( $node->safe_psql(
			'upgraded',
			"SELECT count(*) FROM sched.executions WHERE schedule_id = 'tick' "
			  . "AND nominal_time > '$copied_max'"),
		'0',
		'... and fires nothing before the update');
}

# What must survive the update: the 0.1.0 columns of every row, except the
# cursor and counters of "tick", which the scheduler moves on.
my $schedules_q = q{
	SELECT schedule_id, owner, spec, action, policy, paused, note,
		   limited_actions, remaining_actions, memo, conflict_token,
		   CASE WHEN schedule_id = 'tick' THEN NULL ELSE next_nominal END,
		   CASE WHEN schedule_id = 'tick' THEN NULL ELSE num_actions END,
		   num_actions_missed_catchup_window, num_actions_skipped_overlap,
		   num_buffer_dropped, created_at
	FROM sched.schedules ORDER BY schedule_id};
my $runs_q = q{
	SELECT run_id, workflow_id, workflow, task_queue, args, owner, status,
		   start_kind, schedule_id, nominal_time, scheduled_at, due_at,
		   attempt, worker, result, error, error_type, created_at, closed_at
	FROM sched.executions WHERE schedule_id IS DISTINCT FROM 'tick'
	ORDER BY run_id};
my $buffer_q =
  'SELECT schedule_id, nominal_time, overlap, start_kind FROM sched.buffer ORDER BY schedule_id, seq';
my $backfills_q =
  'SELECT schedule_id, next_time, end_at, overlap FROM sched.backfills ORDER BY schedule_id, seq';
my %before = map { $_ => $node->safe_psql('upgraded', $_) }
  ($schedules_q, $runs_q, $buffer_q, $backfills_q);
my $tick_runs_before = $node->safe_psql('upgraded',
	"SELECT string_agg(run_id::text || nominal_time, ',' ORDER BY nominal_time) "
	  . "FROM sched.executions WHERE schedule_id = 'tick'");

($rc, $out, $err) = $node->psql('upgraded', 'ALTER EXTENSION pg_sched UPDATE');
is($rc, 0, 'ALTER EXTENSION pg_sched UPDATE succeeds') or diag $err;
my $updated_at = $node->safe_psql('upgraded', 'SELECT clock_timestamp()');
is($node->safe_psql('upgraded',
		"SELECT extversion FROM pg_extension WHERE extname = 'pg_sched'"),
	$default_version, "updated to the default version ($default_version)");
is($default_version, '0.3.0', 'which is 0.3.0');

for my $q ($schedules_q, $runs_q, $buffer_q, $backfills_q)
{
	my ($what) = $q =~ /FROM (sched\.\w+)/;
	is($node->safe_psql('upgraded', $q), $before{$q},
		"the rows of $what are intact after the update");
}
like(
	$node->safe_psql('upgraded',
		"SELECT string_agg(run_id::text || nominal_time, ',' ORDER BY nominal_time) "
		  . "FROM sched.executions WHERE schedule_id = 'tick'"),
	qr/^\Q$tick_runs_before\E/,
	'the runs "tick" fired before the update are intact');

ok( $node->poll_query_until(
		'upgraded',
		"SELECT max(nominal_time) >= '$updated_at'::timestamptz + interval '3 seconds' "
		  . "FROM sched.executions WHERE schedule_id = 'tick'"),
	'after the update the schedule goes on firing');
is( $node->safe_psql(
		'upgraded', q{
	SELECT count(*) = count(DISTINCT nominal_time)
	   AND max(nominal_time) - min(nominal_time) = (count(*) - 1) * interval '1 second'
	   AND bool_and(start_kind = 'schedule')
	   AND count(*) = (SELECT num_actions FROM sched.schedules WHERE schedule_id = 'tick')
	FROM sched.executions WHERE schedule_id = 'tick'}),
	't',
	'across the update every second fired once, and num_actions counts the runs');

# ---- database "fresh": the same objects as the updated one ----
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION pg_sched');

# One row per fact about the extension's objects: (key, definition).  The
# keys name objects, never oids, so two databases compare.
my $catalog_q = <<'EOQ';
WITH ext AS (
	SELECT * FROM pg_extension WHERE extname = 'pg_sched'
), members AS (
	SELECT d.classid, d.objid, d.objsubid
	FROM pg_depend d, ext
	WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid
	  AND d.deptype = 'e'
), rels AS (		-- member relations and the relations of member types
	SELECT c.oid, c.relkind FROM pg_class c
	WHERE c.oid IN (SELECT objid FROM members
					WHERE classid = 'pg_class'::regclass)
	   OR c.oid IN (SELECT t.typrelid FROM pg_type t JOIN members m
					ON m.classid = 'pg_type'::regclass AND m.objid = t.oid)
), idx AS (
	SELECT i.indexrelid AS oid FROM pg_index i JOIN rels ON i.indrelid = rels.oid
), cons AS (
	SELECT co.oid, co.conname, co.conrelid, co.contypid FROM pg_constraint co
	WHERE co.conrelid IN (SELECT oid FROM rels)
	   OR co.contypid IN (SELECT objid FROM members WHERE classid = 'pg_type'::regclass)
), objs AS (		-- everything whose comment and initial privileges count
	SELECT classid, objid FROM members
	UNION SELECT 'pg_class'::regclass, oid FROM rels
	UNION SELECT 'pg_class'::regclass, oid FROM idx
	UNION SELECT 'pg_constraint'::regclass, oid FROM cons
)
SELECT k, v FROM (
	SELECT 'extension', format('schema %s, relocatable %s, owner %s',
							   extnamespace::regnamespace, extrelocatable,
							   pg_get_userbyid(extowner))
	FROM ext
UNION ALL
	SELECT 'extension config dump ' || u.c::regclass::text, coalesce(u.w, '<null>')
	FROM ext, unnest(ext.extconfig, ext.extcondition) AS u(c, w)
UNION ALL
	SELECT 'member ' || pg_describe_object(classid, objid, objsubid), ''
	FROM members
UNION ALL
	SELECT 'schema ' || n.nspname,
		   format('owner %s, acl %s', pg_get_userbyid(n.nspowner), n.nspacl)
	FROM pg_namespace n JOIN members m
		ON m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
UNION ALL
	SELECT 'function ' || p.oid::regprocedure,
		   CASE WHEN p.prokind = 'a' THEN 'aggregate'
				ELSE pg_get_functiondef(p.oid) END
		   || format(E'\nowner %s, acl %s', pg_get_userbyid(p.proowner), p.proacl)
	FROM pg_proc p JOIN members m
		ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
UNION ALL
	SELECT 'relation ' || c.oid::regclass,
		   format('kind %s, persistence %s, owner %s, acl %s, options %s, '
				  'row security %s, forced %s, replica identity %s',
				  c.relkind, c.relpersistence, pg_get_userbyid(c.relowner),
				  c.relacl, c.reloptions, c.relrowsecurity,
				  c.relforcerowsecurity, c.relreplident)
	FROM pg_class c JOIN rels ON rels.oid = c.oid
UNION ALL
	-- columns by position among the live ones: an update script that adds a
	-- column appends it, so a fresh install must define it last as well
	SELECT format('relation %s column %s %s', a.attrelid::regclass,
				  lpad(row_number() OVER (PARTITION BY a.attrelid
										  ORDER BY a.attnum)::text, 3, '0'),
				  a.attname),
		   format('%s%s%s%s%s%s%s%s',
				  format_type(a.atttypid, a.atttypmod),
				  CASE WHEN a.attnotnull THEN ' not null' END,
				  ' default ' || pg_get_expr(ad.adbin, ad.adrelid),
				  CASE a.attidentity WHEN 'a' THEN ' generated always as identity'
					   WHEN 'd' THEN ' generated by default as identity' END,
				  CASE WHEN a.attgenerated = 's' THEN ' stored generated' END,
				  ' collate ' || CASE WHEN a.attcollation <> t.typcollation
									  THEN a.attcollation::regcollation::text END,
				  ' acl ' || a.attacl::text,
				  ' options ' || (SELECT array_agg(o ORDER BY o)::text
								  FROM unnest(a.attoptions) o
								  -- a per-database value that 15.20 keeps
								  WHERE o NOT LIKE 'pg\_attver=%'))
	FROM pg_attribute a
	JOIN rels ON rels.oid = a.attrelid
	JOIN pg_type t ON t.oid = a.atttypid
	LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL
	SELECT format('constraint %s on %s', cons.conname,
				  coalesce(cons.conrelid::regclass::text, cons.contypid::regtype::text)),
		   pg_get_constraintdef(cons.oid)
	FROM cons
UNION ALL
	SELECT 'index ' || idx.oid::regclass,
		   pg_get_indexdef(idx.oid)
		   || CASE WHEN i.indisclustered THEN ' (clustered)' ELSE '' END
		   || CASE WHEN NOT i.indisvalid THEN ' (invalid)' ELSE '' END
		   || coalesce(' options ' || c.reloptions::text, '')
	FROM idx JOIN pg_index i ON i.indexrelid = idx.oid
	JOIN pg_class c ON c.oid = idx.oid
UNION ALL
	SELECT format('trigger %s on %s', tg.tgname, tg.tgrelid::regclass),
		   pg_get_triggerdef(tg.oid) || ' enabled ' || tg.tgenabled::text
	FROM pg_trigger tg JOIN rels ON rels.oid = tg.tgrelid
	WHERE NOT tg.tgisinternal
UNION ALL
	SELECT format('rule %s on %s', r.rulename, r.ev_class::regclass),
		   pg_get_ruledef(r.oid)
	FROM pg_rewrite r JOIN rels ON rels.oid = r.ev_class
	WHERE r.rulename <> '_RETURN'
UNION ALL
	SELECT format('policy %s on %s', pol.polname, pol.polrelid::regclass),
		   format('%s for %s to %s using (%s) with check (%s)',
				  CASE WHEN pol.polpermissive THEN 'permissive' ELSE 'restrictive' END,
				  pol.polcmd,
				  (SELECT string_agg(CASE WHEN r = 0 THEN 'public'
										  ELSE pg_get_userbyid(r)::text END, ',' ORDER BY 1)
				   FROM unnest(pol.polroles) r),
				  pg_get_expr(pol.polqual, pol.polrelid),
				  pg_get_expr(pol.polwithcheck, pol.polrelid))
	FROM pg_policy pol JOIN rels ON rels.oid = pol.polrelid
UNION ALL
	SELECT 'view ' || c.oid::regclass, pg_get_viewdef(c.oid, true)
	FROM pg_class c JOIN rels ON rels.oid = c.oid
	WHERE c.relkind IN ('v', 'm')
UNION ALL
	SELECT 'sequence ' || s.seqrelid::regclass,
		   format('%s start %s increment %s min %s max %s cache %s cycle %s',
				  s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin,
				  s.seqmax, s.seqcache, s.seqcycle)
	FROM pg_sequence s JOIN rels ON rels.oid = s.seqrelid
UNION ALL
	SELECT 'type ' || t.oid::regtype,
		   format('type %s, base %s, not null %s, default %s, labels %s, owner %s, acl %s',
				  t.typtype,
				  CASE WHEN t.typbasetype <> 0 THEN format_type(t.typbasetype, t.typtypmod) END,
				  t.typnotnull, t.typdefault,
				  (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
				   FROM pg_enum e WHERE e.enumtypid = t.oid),
				  pg_get_userbyid(t.typowner), t.typacl)
	FROM pg_type t JOIN members m
		ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
UNION ALL
	SELECT 'comment on ' || pg_describe_object(d.classoid, d.objoid, d.objsubid),
		   d.description
	FROM pg_description d JOIN objs
		ON objs.classid = d.classoid AND objs.objid = d.objoid
UNION ALL
	-- what pg_dump takes as the extension's own grants
	SELECT 'initial privileges of ' || pg_describe_object(ip.classoid, ip.objoid, ip.objsubid),
		   ip.privtype::text || ' ' || ip.initprivs::text
	FROM pg_init_privs ip JOIN objs
		ON objs.classid = ip.classoid AND objs.objid = ip.objoid
UNION ALL
	SELECT 'default privileges in schema ' || da.defaclnamespace::regnamespace,
		   format('for role %s on %s: %s', pg_get_userbyid(da.defaclrole),
				  da.defaclobjtype, da.defaclacl)
	FROM pg_default_acl da, ext
	WHERE da.defaclnamespace = ext.extnamespace
UNION ALL
	SELECT 'event trigger ' || ev.evtname,
		   format('%s %s %s enabled %s', ev.evtevent, ev.evttags,
				  ev.evtfoid::regprocedure, ev.evtenabled)
	FROM pg_event_trigger ev JOIN members m
		ON m.classid = 'pg_event_trigger'::regclass AND m.objid = ev.oid
) facts(k, v)
ORDER BY k COLLATE "C", v COLLATE "C"
EOQ

sub catalog
{
	my ($db) = @_;
	my $rows = $node->safe_psql($db,
		"\\pset format unaligned\n\\pset recordsep '\\036'\n\\pset fieldsep '\\037'\n"
		  . $catalog_q);
	# one "key: definition" block per fact
	return join '',
	  map { my ($k, $v) = split /\037/, $_, 2; "$k:\n  " . join("\n  ", split /\n/, $v // '') . "\n" }
	  grep { $_ ne '' } split /\036/, $rows;
}

my $upgraded = catalog('upgraded');
my $fresh    = catalog('fresh');
my $nfacts   = () = $fresh =~ /^\S/mg;
note "the extension's catalog: $nfacts facts";
cmp_ok($nfacts, '>', 100, 'the catalog listing sees the extension objects');
like($fresh, qr/^function sched\.create_schedule\(/m, 'functions are listed');
like($fresh, qr/^index sched\.executions_schedule_nominal:/m,
	'indexes are listed');

if ($upgraded eq $fresh)
{
	pass('0.1.0 updated to the current version has the objects of a fresh install');
}
else
{
	my $dir = File::Temp->newdir;
	my ($a, $b) = ("$dir/updated_from_0.1.0", "$dir/fresh_install");
	PostgreSQL::Test::Utils::append_to_file($a, $upgraded);
	PostgreSQL::Test::Utils::append_to_file($b, $fresh);
	my $diff = `diff -u '$a' '$b'`;
	fail('0.1.0 updated to the current version has the objects of a fresh install');
	diag("the update script (src/sql/upgrade/pg_sched--0.1.0--$default_version.sql) "
		  . "and src/sql/ differ ('-' updated, '+' fresh):\n$diff");
}

$node->stop;
done_testing();
