/*-------------------------------------------------------------------------
 *
 * privileges.c
 *	  The security model (the README's "Security model"): who may see and
 *	  do what, checked inside the SQL functions, and the section in which
 *	  those functions do their table work as the extension's owner.
 *
 * The rules.  A schedule, and every run it starts, belongs to the role that
 * created the schedule (sched.schedules.owner, sched.executions.owner); a
 * run of sched.start_workflow to the role that started it.  A role may see
 * and change what belongs to roles it is a member of (MEMBER, as
 * pg_has_role: a NOINHERIT member could SET ROLE anyway).  Superusers and
 * members of sched_admin may see and do everything.  Members of
 * sched_worker, and members of a role granted a task queue with
 * sched.grant_task_queue, may read, claim and report on (heartbeat,
 * complete, fail, canceled) the runs of every queue, or of that queue,
 * without owning them; they may not cancel, terminate or signal them.
 * Ownership and grants are recorded by role name, as pg_cron does.
 *
 * Enforcement.  The functions stay SECURITY INVOKER C functions: each one
 * takes the caller (GetUserId()), then switches to the extension's owner
 * (SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION, as
 * SECURITY DEFINER and maintenance commands do) with search_path pinned to
 * pg_catalog, pg_temp, and does its SPI work there, checking the rules on
 * the rows it reads against the caller.  Only the owner may write the
 * tables; other roles get SELECT, filtered by row-level security policies
 * that state the same rules (src/sql/70_security.sql) through
 * sched.may_access().  The scheduler runs as the bootstrap superuser and
 * needs no switch.
 *
 * An object the caller may not see is reported as not existing (42704), so
 * that a role does not learn what another role has; a run that the caller
 * may read as a worker but not control gets 42501.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "privileges.h"

#define TASK_QUEUE_MAX	1000	/* bytes, as sched.executions checks */

PG_FUNCTION_INFO_V1(sched_may_access);
PG_FUNCTION_INFO_V1(sched_grant_task_queue);
PG_FUNCTION_INFO_V1(sched_revoke_task_queue);

/* ---- the owner's section ---- */

/*
 * pg_sched's row of pg_extension in this database: its owner and installed
 * version (palloc'd).  Returns false if the extension is not installed.
 */
static bool
extension_row(Oid *owner, char **version)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("pg_sched"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		v = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		*owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
		*version = isnull ? pstrdup("") : TextDatumGetCString(v);
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

char *
priv_installed_version(void)
{
	Oid			owner;
	char	   *version;

	return extension_row(&owner, &version) ? version : NULL;
}

/*
 * pg_extension.extowner of pg_sched in this database.  The library serves
 * the SQL objects of its own version only: between a restart on a new
 * library and ALTER EXTENSION pg_sched UPDATE, the database still holds the
 * previous version's objects, which its statements may not match, so every
 * function refuses cleanly until the update instead of failing on a missing
 * object halfway.
 */
static Oid
extension_owner(void)
{
	Oid			owner;
	char	   *version;

	if (!extension_row(&owner, &version))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_sched\" is not installed in this database")));
	if (strcmp(version, PG_SCHED_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_sched\" is at version %s in this database, but its loaded library is version %s",
						version, PG_SCHED_VERSION),
				 errhint("Run ALTER EXTENSION pg_sched UPDATE.")));
	return owner;
}

Oid
priv_enter(PrivState *ps)
{
	Oid			caller = GetUserId();
	Oid			owner = extension_owner();

	GetUserIdAndSecContext(&ps->save_userid, &ps->save_sec_context);
	SetUserIdAndSecContext(owner, ps->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	/* nothing the caller put on its search_path may capture our SQL */
	ps->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);

	/*
	 * Under session_replication_role = replica, triggers do not fire, and
	 * with them the ON DELETE CASCADE of the buffer and backfills: deleting
	 * a schedule would leave its buffered actions to a later schedule of
	 * the same id.  Our table work always runs as origin (the switch back
	 * flushes the plan cache, so only a session that is not origin pays).
	 */
	if (SessionReplicationRole != SESSION_REPLICATION_ROLE_ORIGIN)
		(void) set_config_option("session_replication_role", "origin",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	return caller;
}

void
priv_exit(PrivState *ps)
{
	AtEOXact_GUC(true, ps->save_nestlevel);
	SetUserIdAndSecContext(ps->save_userid, ps->save_sec_context);
}

/* ---- the rules ---- */

char *
priv_role_name(Oid roleid)
{
	return GetUserNameFromId(roleid, false);
}

bool
priv_is_member(Oid roleid, const char *rolename)
{
	Oid			role = get_role_oid(rolename, true);

	return OidIsValid(role) && is_member_of_role(roleid, role);
}

bool
priv_is_admin(Oid roleid)
{
	return superuser_arg(roleid) || priv_is_member(roleid, PRIV_ADMIN_ROLE);
}

bool
priv_may_access(Oid roleid, const char *owner)
{
	return priv_is_admin(roleid) || priv_is_member(roleid, owner);
}

static SPIPlanPtr plan_queue_grantees;

bool
priv_may_work_queue(Oid roleid, const char *task_queue)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		found = false;

	if (priv_is_admin(roleid) || priv_is_member(roleid, PRIV_WORKER_ROLE))
		return true;

	SPI_connect();
	if (plan_queue_grantees == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare("SELECT grantee::text"
									   " FROM sched.task_queue_grants"
									   " WHERE task_queue = $1", 1, types);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the task queue grant lookup");
		plan_queue_grantees = plan;
	}
	values[0] = CStringGetTextDatum(task_queue);
	if (SPI_execute_plan(plan_queue_grantees, values, NULL, true, 0) < 0)
		elog(ERROR, "the task queue grant lookup failed");
	for (uint64 i = 0; i < SPI_processed && !found; i++)
	{
		char	   *grantee = SPI_getvalue(SPI_tuptable->vals[i],
										   SPI_tuptable->tupdesc, 1);

		found = priv_is_member(roleid, grantee);
	}
	SPI_finish();
	return found;
}

static SPIPlanPtr plan_all_grants;

void
priv_run_filter(Oid roleid, Datum *all, Datum *role, Datum *queues)
{
	bool		every = priv_is_admin(roleid) ||
		priv_is_member(roleid, PRIV_WORKER_ROLE);
	Datum	   *elems = NULL;
	int			n = 0;
	MemoryContext callcxt = CurrentMemoryContext;

	if (!every)
	{
		SPI_connect();
		if (plan_all_grants == NULL)
		{
			SPIPlanPtr	plan = SPI_prepare("SELECT task_queue, grantee::text"
										   " FROM sched.task_queue_grants",
										   0, NULL);

			if (plan == NULL || SPI_keepplan(plan) != 0)
				elog(ERROR, "could not prepare the task queue grants query");
			plan_all_grants = plan;
		}
		if (SPI_execute_plan(plan_all_grants, NULL, NULL, true, 0) < 0)
			elog(ERROR, "the task queue grants query failed");
		elems = MemoryContextAlloc(callcxt,
								   sizeof(Datum) * Max(SPI_processed, 1));
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			char	   *grantee = SPI_getvalue(SPI_tuptable->vals[i],
											   SPI_tuptable->tupdesc, 2);

			if (priv_is_member(roleid, grantee))
			{
				char	   *queue = SPI_getvalue(SPI_tuptable->vals[i],
												 SPI_tuptable->tupdesc, 1);
				MemoryContext old = MemoryContextSwitchTo(callcxt);

				elems[n++] = CStringGetTextDatum(queue);
				MemoryContextSwitchTo(old);
			}
		}
		SPI_finish();
	}
	*all = BoolGetDatum(every);
	*role = ObjectIdGetDatum(roleid);
	*queues = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
											  TYPALIGN_INT));
}

void
priv_require_admin(Oid roleid, const char *what)
{
	if (!priv_is_admin(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s: role \"%s\" is not a member of %s",
						what, priv_role_name(roleid), PRIV_ADMIN_ROLE),
				 errhint("Superusers and members of %s may do this; a superuser can GRANT %s TO the role.",
						 PRIV_ADMIN_ROLE, PRIV_ADMIN_ROLE)));
}

/* ---- SQL functions ---- */

/*
 * sched.may_access(owner name) RETURNS boolean, and
 * sched.may_access(owner name, member oid) RETURNS boolean
 *
 * Whether the current role (or member) may see and change what owner
 * owns: the condition of the row-level security policies.  A role that no
 * longer exists owns nothing anybody but an admin may see.
 */
Datum
sched_may_access(PG_FUNCTION_ARGS)
{
	Name		owner = PG_GETARG_NAME(0);
	Oid			member = PG_NARGS() > 1 ? PG_GETARG_OID(1) : GetUserId();

	PG_RETURN_BOOL(priv_may_access(member, NameStr(*owner)));
}

/* The task queue argument of grant and revoke. */
static char *
queue_arg(FunctionCallInfo fcinfo)
{
	char	   *queue;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for task_queue: null is not allowed")));
	queue = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (queue[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for task_queue: the empty string is not allowed")));
	if (strlen(queue) > TASK_QUEUE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for task_queue: task queue name of %d bytes is longer than the limit of %d",
						(int) strlen(queue), TASK_QUEUE_MAX)));
	return queue;
}

static char *
role_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for role: null is not allowed")));
	return pstrdup(NameStr(*PG_GETARG_NAME(1)));
}

static SPIPlanPtr plan_grant;
static SPIPlanPtr plan_revoke;

/*
 * sched.grant_task_queue(task_queue text, role name) RETURNS boolean
 *
 * Lets the members of role claim and report on the runs of task_queue;
 * true if the grant is new.  Superusers and sched_admin members only.
 */
Datum
sched_grant_task_queue(PG_FUNCTION_ARGS)
{
	char	   *queue = queue_arg(fcinfo);
	char	   *role = role_arg(fcinfo);
	Oid			roleid = get_role_oid(role, false);
	Oid			caller = GetUserId();
	Oid			types[3] = {TEXTOID, NAMEOID, NAMEOID};
	Datum		values[3];
	PrivState	ps;
	bool		added;

	priv_require_admin(caller, "grant a task queue");
	priv_enter(&ps);
	SPI_connect();
	if (plan_grant == NULL)
	{
		plan_grant = SPI_prepare("INSERT INTO sched.task_queue_grants"
								 " (task_queue, grantee, granted_by)"
								 " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
								 3, types);
		if (plan_grant == NULL || SPI_keepplan(plan_grant) != 0)
			elog(ERROR, "could not prepare the task queue grant");
	}
	values[0] = CStringGetTextDatum(queue);
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(role));
	values[2] = DirectFunctionCall1(namein,
									CStringGetDatum(priv_role_name(caller)));
	if (SPI_execute_plan(plan_grant, values, NULL, false, 0) < 0)
		elog(ERROR, "the task queue grant failed");
	added = SPI_processed > 0;
	SPI_finish();
	priv_exit(&ps);

	if (pg_namespace_aclcheck(get_namespace_oid("sched", false), roleid,
							  ACL_USAGE) != ACLCHECK_OK)
		ereport(NOTICE,
				(errmsg("role \"%s\" has no USAGE privilege on schema sched",
						role),
				 errhint("GRANT USAGE ON SCHEMA sched TO %s, so that it can call sched.poll().",
						 quote_identifier(role))));
	PG_RETURN_BOOL(added);
}

/*
 * sched.revoke_task_queue(task_queue text, role name) RETURNS boolean
 *
 * Removes a grant of sched.grant_task_queue; true if there was one.  Runs
 * that the role has claimed stay claimed until they close or their lease
 * expires.
 */
Datum
sched_revoke_task_queue(PG_FUNCTION_ARGS)
{
	char	   *queue = queue_arg(fcinfo);
	char	   *role = role_arg(fcinfo);
	Oid			types[2] = {TEXTOID, NAMEOID};
	Datum		values[2];
	PrivState	ps;
	bool		removed;

	priv_require_admin(GetUserId(), "revoke a task queue");
	priv_enter(&ps);
	SPI_connect();
	if (plan_revoke == NULL)
	{
		plan_revoke = SPI_prepare("DELETE FROM sched.task_queue_grants"
								  " WHERE task_queue = $1 AND grantee = $2",
								  2, types);
		if (plan_revoke == NULL || SPI_keepplan(plan_revoke) != 0)
			elog(ERROR, "could not prepare the task queue revoke");
	}
	values[0] = CStringGetTextDatum(queue);
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(role));
	if (SPI_execute_plan(plan_revoke, values, NULL, false, 0) < 0)
		elog(ERROR, "the task queue revoke failed");
	removed = SPI_processed > 0;
	SPI_finish();
	priv_exit(&ps);
	PG_RETURN_BOOL(removed);
}
