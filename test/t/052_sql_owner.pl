# SQL actions run as their schedule's owner, with the owner's privileges
# and settings and nothing more (issue 13), with three roles: alice's
# command cannot read bob's table, cannot SET ROLE to a role she is not a
# member of; a privilege revoked between two runs makes the next one fail
# cleanly; her role's search_path is the one her command resolves names
# with; an object that mallory puts in public to shadow a name of alice's
# command runs with alice's rights only; nobody gives a schedule of
# someone else an SQL action; SET in a command does not outlive it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sql_owner');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_sched'
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub as
{
	my ($role, $query) = @_;
	return $node->psql('postgres', "SET ROLE $role; $query");
}

# A paused schedule of role's with one command, triggered; returns when its
# run has closed, with status|error_type|result row or error.
my $n = 0;

sub run_as
{
	my ($role, $command) = @_;
	my $id = 'own_' . ++$n;
	(my $quoted = $command) =~ s/'/''/g;
	$quoted =~ s/"/\\"/g;
	my ($rc, $out, $err) = as($role, qq{
		SELECT sched.create_schedule('$id', '{
			"spec": {"intervals": [{"every": "1h"}]}, "state": {"paused": true},
			"action": {"sql": "$quoted", "id": "$id"}}');
		SELECT sched.trigger('$id')});
	die "could not create $id: $err" if $rc != 0;
	$node->poll_query_until('postgres',
		qq{SELECT closed_at IS NOT NULL FROM sched.executions WHERE schedule_id = '$id'})
	  or die "run of $id did not close";
	return sql(qq{SELECT status, coalesce(error_type, ''),
	                     coalesce(result ->> 'row', split_part(error, E'\\n', 1))
	                FROM sched.executions WHERE schedule_id = '$id'});
}

sql(q{
	CREATE EXTENSION pg_sched;
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	CREATE ROLE mallory LOGIN;
	GRANT USAGE ON SCHEMA sched TO alice, bob, mallory;
	GRANT CREATE ON SCHEMA public TO mallory;
	CREATE TABLE bob_secrets (secret text);
	INSERT INTO bob_secrets VALUES ('s3cr3t');
	ALTER TABLE bob_secrets OWNER TO bob;
	CREATE TABLE shared_notes (note text);
	GRANT SELECT ON shared_notes TO alice;
	CREATE SCHEMA alice_s AUTHORIZATION alice;
	ALTER ROLE alice SET search_path = alice_s, public;
	ALTER ROLE alice SET statement_timeout = '123s';
	CREATE TABLE seen_as (who name, what text);
	GRANT INSERT ON seen_as TO PUBLIC;
});

is(run_as('alice', 'SELECT current_user AS u, session_user AS s'),
	'completed||{"s": "alice", "u": "alice"}', 'the command runs as its owner, not the superuser');
is(run_as('alice', 'SELECT * FROM bob_secrets'),
	'failed|42501|permission denied for table bob_secrets', "alice's command cannot read bob's table");
is(run_as('alice', 'SET ROLE bob'),
	'failed|42501|permission denied to set role "bob"', 'nor SET ROLE to a role she is not a member of');
is(run_as('alice', q{SELECT current_setting('search_path') AS p, current_setting('statement_timeout') AS t}),
	'completed||{"p": "alice_s, public", "t": "123s"}', "the owner's settings (ALTER ROLE ... SET) apply");

# a privilege revoked between two runs: the next run fails cleanly
is(run_as('alice', 'SELECT count(*) AS n FROM shared_notes'),
	'completed||{"n": 0}', 'a granted privilege works');
sql(q{REVOKE SELECT ON shared_notes FROM alice});
is(run_as('alice', 'SELECT count(*) AS n FROM shared_notes'),
	'failed|42501|permission denied for table shared_notes', 'and once revoked, the next run fails cleanly');

# search_path: alice's schema comes first, so mallory's public.report
# does not capture alice's name report()...
as('alice', q{CREATE FUNCTION alice_s.report() RETURNS text LANGUAGE sql AS $$ SELECT 'alice''s' $$});
as('mallory', q{CREATE FUNCTION public.report() RETURNS text LANGUAGE sql AS $$ SELECT 'mallory''s' $$;
                GRANT EXECUTE ON FUNCTION public.report() TO PUBLIC});
is(run_as('alice', 'SELECT report() AS r'), q{completed||{"r": "alice's"}},
	"names resolve with the owner's search_path, not the scheduler's");

# ...and a name that only public has runs with alice's rights only:
# mallory's function tries to read bob's secrets and to make mallory a
# superuser; it records whom it ran as.
as('mallory', q{
	CREATE FUNCTION public.tally() RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO seen_as VALUES (current_user, 'called');
		BEGIN
			INSERT INTO seen_as SELECT current_user, secret FROM bob_secrets;
		EXCEPTION WHEN insufficient_privilege THEN
			INSERT INTO seen_as VALUES (current_user, 'no secrets');
		END;
		BEGIN
			EXECUTE 'ALTER ROLE mallory SUPERUSER';
		EXCEPTION WHEN insufficient_privilege THEN
			INSERT INTO seen_as VALUES (current_user, 'no superuser');
		END;
		RETURN 'done';
	END $$;
	GRANT EXECUTE ON FUNCTION public.tally() TO PUBLIC});
is(run_as('alice', 'SELECT tally() AS r'), 'completed||{"r": "done"}', 'the hijacked name runs');
is(sql(q{SELECT string_agg(who || ':' || what, ',' ORDER BY what) FROM seen_as}),
	'alice:called,alice:no secrets,alice:no superuser',
	'with the rights of the owner only: no secret read, no role changed');
is(sql(q{SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'}), 'f', 'mallory is no superuser');

# the executor's own statements resolve no name through the owner's
# search_path: with public first in alice's path, mallory's public.to_jsonb
# (which the one-row result would use unqualified) is never called
sql(q{CREATE ROLE carol LOGIN; GRANT USAGE ON SCHEMA sched TO carol;
      ALTER ROLE carol SET search_path = public, pg_catalog});
as('mallory', q{
	CREATE FUNCTION public.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO seen_as VALUES (current_user, 'to_jsonb hijacked');
		RETURN '{"hijacked": true}';
	END $$;
	GRANT EXECUTE ON FUNCTION public.to_jsonb(anyelement) TO PUBLIC});
is(run_as('carol', 'SELECT 1 AS one'), 'completed||{"one": 1}',
	"the one-row result is not built by a function of public");
is(sql(q{SELECT count(*) FROM seen_as WHERE what LIKE '%hijacked%'}), '0',
	'and no hijacking function ran');

# settings a command changes end with it (the next run of the same
# executor starts from the owner's settings)
is(run_as('alice', q{SET search_path = public; SET statement_timeout = '1s'; SELECT 1 AS one}),
	'completed||{"one": 1}', 'a command may SET');
is(run_as('alice', q{SELECT current_setting('search_path') AS p, current_setting('statement_timeout') AS t}),
	'completed||{"p": "alice_s, public", "t": "123s"}', 'and the next command has the owner\'s settings again');

# nobody makes an SQL action run as another role
my ($rc, $out, $err) = as('alice', q{SELECT sched.create_schedule('bobs', '{
	"spec": {"intervals": [{"every": "1h"}]},
	"action": {"workflow": "w", "id": "bobs", "task_queue": "q"}}')});
is($rc, 0, 'alice creates a workflow schedule');
sql(q{GRANT sched_admin TO bob});
($rc, $out, $err) = as('bob', q{SELECT sched.update('bobs', '{
	"action": {"sql": "SELECT 1", "id": "bobs"}}')});
like($err, qr/permission denied to give schedule "bobs" an SQL action: role "bob" is not a member of its owner "alice"/,
	'even sched_admin cannot give a schedule of another role an SQL action');
($rc, $out, $err) = as('alice', q{SELECT sched.update('bobs', '{
	"action": {"sql": "SELECT 1", "id": "bobs"}}')});
is($rc, 0, 'its owner can') or diag($err);
is(sql(q{SELECT owner FROM sched.schedules WHERE schedule_id = 'bobs'}), 'alice',
	'the schedule keeps its owner');

# an owner that cannot log in: the run fails with the reason, it does not wait
sql(q{CREATE ROLE nologin_owner NOLOGIN; GRANT USAGE ON SCHEMA sched TO nologin_owner});
is(run_as('nologin_owner', 'SELECT 1'),
	'failed|28000|role "nologin_owner" is not permitted to log in: an SQL action runs in a session of its schedule\'s owner',
	'a run of a role that cannot log in fails at once');

$node->stop;
done_testing();
