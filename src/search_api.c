/*-------------------------------------------------------------------------
 *
 * search_api.c
 *	  The SQL functions of search attributes and list queries:
 *	  sched.add_search_attribute, sched.remove_search_attribute,
 *	  sched.search_attributes, sched.count_schedules and the bulk
 *	  sched.pause_schedules, sched.unpause_schedules, sched.delete_schedules
 *	  (sched.list_schedules(query) is in schedule_api.c, beside the list it
 *	  shares its rows with).
 *
 * Queries are compiled by search_compile.c to a condition with bound
 * parameters and run in the caller's transaction inside the owner's
 * section, filtered by sched.may_access(owner, caller) as
 * sched.list_schedules() is: a caller counts and changes only what it may
 * see.  A bulk change locks every matching schedule's row first, in the
 * order of their ids (the lock order of every batch), then applies the one
 * per-schedule path of schedule_change.c to each, so every rule, lock and
 * wake-up is that of sched.pause, sched.unpause and sched.delete, and the
 * whole call is one transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "privileges.h"
#include "sched_clock.h"
#include "sched_limits.h"
#include "schedule_change.h"
#include "schedule_json.h"
#include "search_compile.h"
#include "spi_query.h"
#include "sql_args.h"

PG_FUNCTION_INFO_V1(sched_add_search_attribute);
PG_FUNCTION_INFO_V1(sched_remove_search_attribute);
PG_FUNCTION_INFO_V1(sched_search_attributes);
PG_FUNCTION_INFO_V1(sched_count_schedules);
PG_FUNCTION_INFO_V1(sched_pause_schedules);
PG_FUNCTION_INFO_V1(sched_unpause_schedules);
PG_FUNCTION_INFO_V1(sched_delete_schedules);

/* ---- the registry ---- */

/*
 * Names Temporal reserves for its own attributes: a custom attribute may
 * not take them (nor any name starting with "Temporal").
 */
static const char *const reserved_names[] = {
	"BatcherUser", "BinaryChecksums", "BuildIds", "CloseTime",
	"ExecutionDuration", "ExecutionStatus", "ExecutionTime", "HistoryLength",
	"HistorySizeBytes", "NamespaceId", "RunId", "StartTime", "StateTransitionCount",
	"TaskQueue", "WorkflowId", NULL
};

static void
check_attribute_name(const char *name)
{
	sched_check_nonempty(name, "name");
	sched_check_length(name, "name", SEARCH_ATTR_NAME_MAX);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			  *p == '_' || (p > name && *p >= '0' && *p <= '9')))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for name: %s is not a search attribute name",
							sched_show_text(name)),
					 errhint("A name is a letter or underscore, then letters, digits and underscores.")));
	if (search_builtin(name) != NULL || strncmp(name, "Temporal", 8) == 0)
		goto reserved;
	for (int i = 0; reserved_names[i]; i++)
		if (strcmp(reserved_names[i], name) == 0)
			goto reserved;
	return;
reserved:
	ereport(ERROR,
			(errcode(ERRCODE_RESERVED_NAME),
			 errmsg("invalid value for name: search attribute \"%s\" is reserved",
					name),
			 errhint("Temporal reserves its built-in names and the prefix \"Temporal\".")));
}

static SearchType
type_arg(FunctionCallInfo fcinfo, int n)
{
	char	   *t = sched_arg_text(fcinfo, n, "type");

	for (int i = 0; i < SEARCH_NTYPES; i++)
		if (strcmp(t, search_type_names[i]) == 0)
			return (SearchType) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for type: %s is not a search attribute type",
					sched_show_text(t)),
			 errhint("The types are Keyword, Text, Int, Double, Bool, Datetime and KeywordList.")));
}

static SpiQuery plan_add;

/* sched.add_search_attribute(name text, type text) RETURNS boolean */
Datum
sched_add_search_attribute(PG_FUNCTION_ARGS)
{
	char	   *name = sched_arg_text(fcinfo, 0, "name");
	SearchType	type = type_arg(fcinfo, 1);
	Oid			caller = GetUserId();
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	SearchType	existing;
	bool		added;
	PrivState	ps;

	check_attribute_name(name);
	priv_require_admin(caller, "add a search attribute");
	priv_enter(&ps);
	SPI_connect();
	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(search_type_names[type]);
	added = spi_run_sql(&plan_add,
						"INSERT INTO sched.search_attribute_types (name, type)"
						" VALUES ($1, $2) ON CONFLICT DO NOTHING",
						2, types, values, NULL, false, 0) > 0;
	if (!added && search_registered_type(name, true, &existing) &&
		existing != type)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("search attribute \"%s\" already exists with type %s",
						name, search_type_names[existing]),
				 errhint("Remove it first with sched.remove_search_attribute(), which requires that no schedule uses it.")));
	SPI_finish();
	priv_exit(&ps);
	PG_RETURN_BOOL(added);
}

static SpiQuery plan_remove;
static SpiQuery plan_in_use;

/* sched.remove_search_attribute(name text) RETURNS boolean */
Datum
sched_remove_search_attribute(PG_FUNCTION_ARGS)
{
	char	   *name = sched_arg_text(fcinfo, 0, "name");
	Oid			caller = GetUserId();
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		removed;
	PrivState	ps;

	priv_require_admin(caller, "remove a search attribute");
	priv_enter(&ps);
	SPI_connect();
	values[0] = CStringGetTextDatum(name);
	/* first the row: writers of schedules hold it FOR SHARE (search_attrs.c) */
	removed = spi_run_sql(&plan_remove,
						  "DELETE FROM sched.search_attribute_types"
						  " WHERE name = $1",
						  1, types, values, NULL, false, 0) > 0;
	if (removed)
	{
		bool		isnull;
		int64		n;

		spi_run_sql(&plan_in_use,
					"SELECT count(*) FROM sched.schedules"
					" WHERE search_attributes ? $1",
					1, types, values, NULL, false, 0);
		n = DatumGetInt64(spi_datum(0, 1, &isnull));
		if (n > 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("search attribute \"%s\" is in use", name),
					 errdetail_plural("%lld schedule has it.",
									  "%lld schedules have it.",
									  (unsigned long) n, (long long) n),
					 errhint("Update them without it first: sched.update(id, '{}', search_attributes => ...).")));
	}
	SPI_finish();
	priv_exit(&ps);
	PG_RETURN_BOOL(removed);
}

static SpiQuery plan_types;

/* sched.search_attributes() RETURNS TABLE (name text, type text, builtin boolean) */
Datum
sched_search_attributes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PrivState	ps;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (int i = 0; i < search_nbuiltins; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(search_builtins[i].name);
		values[1] = CStringGetTextDatum(search_type_names[search_builtins[i].type]);
		values[2] = BoolGetDatum(true);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	priv_enter(&ps);
	SPI_connect();
	spi_run_sql(&plan_types,
				"SELECT name, type FROM sched.search_attribute_types"
				" ORDER BY name",
				0, NULL, NULL, NULL, false, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		bool		isnull;

		values[0] = spi_datum(i, 1, &isnull);
		values[1] = spi_datum(i, 2, &isnull);
		values[2] = BoolGetDatum(false);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	priv_exit(&ps);
	return (Datum) 0;
}

/* ---- count ---- */

/*
 * sched.count_schedules(query text DEFAULT '') RETURNS jsonb:
 * {"count": n, "groups": [{"group_values": [v], "count": n}, ...]}, the
 * groups (with GROUP BY) by count, largest first, then by value.
 */
Datum
sched_count_schedules(PG_FUNCTION_ARGS)
{
	char	   *query = sched_arg_text(fcinfo, 0, "query");
	MemoryContext callcxt = CurrentMemoryContext;
	PrivState	ps;
	Oid			caller;
	SearchSql	sql;
	char	   *sqltext;
	int			rc;
	JsonbParseState *st = NULL;
	int64		total = 0;
	Jsonb	   *result;

	caller = priv_enter(&ps);
	SPI_connect();
	search_compile(query, SEARCH_FOR_COUNT, 1, &sql);
	sql.types[0] = OIDOID;
	sql.values[0] = ObjectIdGetDatum(caller);
	if (sql.group_by != NULL)
		sqltext = psprintf("SELECT g, count(*) FROM (SELECT %s AS g"
						" FROM sched.schedules s"
						" WHERE sched.may_access(s.owner, $1) AND %s) x"
						" GROUP BY g ORDER BY count(*) DESC, g",
						sql.group_by, sql.where.data);
	else
		sqltext = psprintf("SELECT NULL::jsonb, count(*) FROM sched.schedules s"
						" WHERE sched.may_access(s.owner, $1) AND %s",
						sql.where.data);
	rc = SPI_execute_with_args(sqltext, sql.nparams, sql.types, sql.values,
							   NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "count query failed: %s", SPI_result_code_string(rc));
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "groups");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		n = DatumGetInt64(spi_datum(i, 2, &isnull));

		total += n;
		if (sql.group_by == NULL)
			continue;
		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		schedule_push_key(&st, "group_values");
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		schedule_push_jsonb(&st, WJB_ELEM, spi_jsonb(i, 1));
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
		schedule_push_key(&st, "count");
		schedule_push_int(&st, WJB_VALUE, n);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	schedule_push_key(&st, "count");
	schedule_push_int(&st, WJB_VALUE, total);
	{
		MemoryContext spicxt = MemoryContextSwitchTo(callcxt);

		result = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	priv_exit(&ps);
	PG_RETURN_JSONB_P(result);
}

/* ---- bulk changes ---- */

typedef enum BulkChange
{
	BULK_PAUSE,
	BULK_UNPAUSE,
	BULK_DELETE
} BulkChange;

static Datum
change_matching(FunctionCallInfo fcinfo, BulkChange change)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query = sched_arg_text(fcinfo, 0, "query");
	char	   *note = NULL;
	MemoryContext callcxt = CurrentMemoryContext;
	TimestampTz now = schedule_clock();
	PrivState	ps;
	Oid			caller;
	SearchSql	sql;
	char	   *sqltext;
	int			rc;
	char	  **ids;
	uint64		n;
	DispatchCatchup mode = DISPATCH_CATCHUP_ALL;
	bool		replay = change == BULK_UNPAUSE && PG_NARGS() > 2 &&
		!PG_ARGISNULL(2);

	if (change != BULK_DELETE)
	{
		note = PG_ARGISNULL(1) ?
			pstrdup(change == BULK_PAUSE ? "Paused via SQL" : "Unpaused via SQL") :
			text_to_cstring(PG_GETARG_TEXT_PP(1));
		sched_check_length(note, "note", SCHEDULE_NOTE_MAX);
	}
	/* unpause_schedules(query, note, catchup): as sched.unpause's catchup */
	if (replay)
		mode = schedule_catchup_from_text(text_to_cstring(PG_GETARG_TEXT_PP(2)),
										  "catchup");
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	caller = priv_enter(&ps);
	SPI_connect();
	search_compile(query, SEARCH_FOR_CHANGE, 1, &sql);
	sql.types[0] = OIDOID;
	sql.values[0] = ObjectIdGetDatum(caller);
	/* lock order: schedules by id, as every batch */
	sqltext = psprintf("SELECT s.schedule_id FROM sched.schedules s"
					" WHERE sched.may_access(s.owner, $1) AND %s"
					" ORDER BY s.schedule_id FOR UPDATE OF s",
					sql.where.data);
	rc = SPI_execute_with_args(sqltext, sql.nparams, sql.types, sql.values,
							   NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "bulk query failed: %s", SPI_result_code_string(rc));
	n = SPI_processed;
	ids = MemoryContextAlloc(callcxt, sizeof(char *) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
		ids[i] = MemoryContextStrdup(callcxt, spi_text(i, 1));
	SPI_finish();

	for (uint64 i = 0; i < n; i++)
	{
		Datum		value = CStringGetTextDatum(ids[i]);
		bool		isnull = false;

		CHECK_FOR_INTERRUPTS();
		switch (change)
		{
			case BULK_PAUSE:
				schedule_pause_one(ids[i], note, caller, now);
				break;
			case BULK_UNPAUSE:
				schedule_unpause_one(ids[i], note, caller, now,
									 replay ? &mode : NULL);
				break;
			case BULK_DELETE:
				schedule_delete_one(ids[i], caller);
				break;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value,
							 &isnull);
	}
	priv_exit(&ps);
	return (Datum) 0;
}

/* sched.pause_schedules(query text, note text DEFAULT 'Paused via SQL') */
Datum
sched_pause_schedules(PG_FUNCTION_ARGS)
{
	return change_matching(fcinfo, BULK_PAUSE);
}

/* sched.unpause_schedules(query text, note text DEFAULT 'Unpaused via SQL') */
Datum
sched_unpause_schedules(PG_FUNCTION_ARGS)
{
	return change_matching(fcinfo, BULK_UNPAUSE);
}

/* sched.delete_schedules(query text) RETURNS SETOF text */
Datum
sched_delete_schedules(PG_FUNCTION_ARGS)
{
	return change_matching(fcinfo, BULK_DELETE);
}
