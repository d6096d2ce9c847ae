/*-------------------------------------------------------------------------
 *
 * executor_run.c
 *	  Running the command of one SQL action as the current user (the
 *	  executor's session is the schedule's owner's) and capturing its
 *	  outcome for the run.
 *
 * In a transaction (the default), the command runs through SPI in a
 * subtransaction of the caller's transaction, with $1 bound to the run's
 * nominal time: an error rolls back the command only, and the caller
 * closes the run as failed in the same transaction.  Transaction control
 * is refused there (SPI's atomic context: COMMIT in a procedure fails with
 * 2D000, VACUUM with 25001), which is what "transaction": false is for.
 *
 * Outside a transaction ("transaction": false), each statement of the
 * command runs as a client's top-level statement would (parse, analyze
 * with $1, plan, a portal run at top level) in a transaction of its own,
 * as pg_cron's background workers do: VACUUM, CREATE INDEX CONCURRENTLY
 * and procedures that COMMIT work; statements before a failing one stay
 * committed.
 *
 * The outcome: completed, with the command tag and the rows processed of
 * the last statement, and (in a transaction) the row as jsonb when it
 * returned exactly one within SCHED_PAYLOAD_MAX; or failed, with the
 * SQLSTATE and the error's message, detail, hint and context in the form
 * psql prints them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/printtup.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "executor.h"
#include "sched_limits.h"
#include "schedule_json.h"

/* The error as psql shows it: message, then DETAIL, HINT, CONTEXT lines. */
static void
outcome_failed(ExecutorOutcome *out, ErrorData *edata, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, edata->message ? edata->message : "unknown error");
	if (edata->detail)
		appendStringInfo(&buf, "\nDETAIL:  %s", edata->detail);
	if (edata->hint)
		appendStringInfo(&buf, "\nHINT:  %s", edata->hint);
	if (edata->context)
		appendStringInfo(&buf, "\nCONTEXT:  %s", edata->context);
	if (buf.len > SCHED_PAYLOAD_MAX)
		buf.data[SCHED_PAYLOAD_MAX] = '\0';
	memset(out, 0, sizeof(*out));
	out->ok = false;
	out->error = buf.data;
	out->sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
	MemoryContextSwitchTo(old);
}

/* {"command": tag, "rows": n[, "row": row]}, allocated in cxt. */
static void
outcome_completed(ExecutorOutcome *out, const char *tag, uint64 rows,
				  Jsonb *row, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	JsonbParseState *st = NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "command");
	schedule_push_text(&st, WJB_VALUE, tag);
	schedule_push_key(&st, "rows");
	schedule_push_int(&st, WJB_VALUE, (int64) rows);
	if (row != NULL)
	{
		schedule_push_key(&st, "row");
		schedule_push_jsonb(&st, WJB_VALUE, row);
	}
	memset(out, 0, sizeof(*out));
	out->ok = true;
	out->result = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
	MemoryContextSwitchTo(old);
}

/* The tag of the last statement of sql ("SELECT", "INSERT", ...). */
static const char *
last_command_tag(const char *sql)
{
	List	   *stmts = raw_parser(sql, RAW_PARSE_DEFAULT);

	if (stmts == NIL)
		return "EMPTY";
	return GetCommandTagName(CreateCommandTag(llast_node(RawStmt, stmts)->stmt));
}

/*
 * The one row SPI_tuptable holds, as jsonb (to_jsonb of the record), or
 * NULL when it is larger than a payload may be.  Connected to SPI.
 */
static Jsonb *
one_row_jsonb(void)
{
	TupleDesc	desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	HeapTuple	tuple = SPI_copytuple(SPI_tuptable->vals[0]);
	Oid			argtypes[1] = {RECORDOID};
	Datum		values[1];
	bool		isnull;
	Jsonb	   *jb;

	BlessTupleDesc(desc);
	values[0] = heap_copy_tuple_as_datum(tuple, desc);
	if (SPI_execute_with_args("SELECT pg_catalog.to_jsonb($1)", 1, argtypes,
							  values, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		return NULL;
	jb = DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull || VARSIZE(jb) > SCHED_PAYLOAD_MAX)
		return NULL;
	return jb;
}

static void
run_in_subtransaction(const char *sql, TimestampTz nominal,
					  ExecutorOutcome *out, MemoryContext cxt)
{
	ResourceOwner owner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		Oid			argtypes[1] = {TIMESTAMPTZOID};
		Datum		values[1] = {TimestampTzGetDatum(nominal)};
		const char *tag = last_command_tag(sql);
		int			rc;
		uint64		rows;
		Jsonb	   *row = NULL;

		SPI_connect();
		rc = SPI_execute_with_args(sql, 1, argtypes, values, NULL, false, 0);
		if (rc == SPI_ERROR_TRANSACTION)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("the command cannot commit or roll back: it runs in one transaction with the close of its run"),
					 errhint("Give the action \"transaction\": false to run it outside a transaction block, at least once.")));
		if (rc < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("the command failed: %s", SPI_result_code_string(rc))));
		rows = SPI_processed;
		if (SPI_tuptable != NULL && rows == 1)
			row = one_row_jsonb();
		/* out of SPI's memory before SPI_finish frees it */
		outcome_completed(out, tag, rows, row, cxt);
		SPI_finish();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->elevel >= FATAL)
			ReThrowError(edata);
		outcome_failed(out, edata, cxt);
	}
	PG_END_TRY();
}

/* One statement as a top-level one, in the current transaction. */
static void
run_top_level(RawStmt *raw, const char *sql, ParamListInfo params,
			  CommandTag *tag, uint64 *rows)
{
	bool		snapshot_set = false;
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	List	   *queries;
	List	   *plans;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;

	*tag = CreateCommandTag(raw->stmt);
	if (analyze_requires_snapshot(raw))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	queries = pg_analyze_and_rewrite_fixedparams(raw, sql, argtypes, 1, NULL);
	plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, params);
	if (snapshot_set)
		PopActiveSnapshot();
	CHECK_FOR_INTERRUPTS();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, *tag, plans, NULL);
	PortalStart(portal, params, 0, InvalidSnapshot);
	receiver = CreateDestReceiver(DestNone);
	InitializeQueryCompletion(&qc);
	(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
	*rows = qc.nprocessed;
}

static void
run_outside_transaction(const char *sql, TimestampTz nominal,
						ExecutorOutcome *out, MemoryContext cxt)
{
	MemoryContext parse_cxt = AllocSetContextCreate(cxt, "pg_sched command",
													ALLOCSET_DEFAULT_SIZES);

	PG_TRY();
	{
		List	   *stmts;
		ListCell   *lc;
		CommandTag	tag = CMDTAG_UNKNOWN;
		uint64		rows = 0;
		ParamListInfo params;

		MemoryContextSwitchTo(parse_cxt);
		params = makeParamList(1);
		params->params[0].value = TimestampTzGetDatum(nominal);
		params->params[0].isnull = false;
		params->params[0].pflags = PARAM_FLAG_CONST;
		params->params[0].ptype = TIMESTAMPTZOID;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		MemoryContextSwitchTo(parse_cxt);
		stmts = raw_parser(sql, RAW_PARSE_DEFAULT);
		CommitTransactionCommand();

		foreach(lc, stmts)
		{
			RawStmt    *raw = lfirst_node(RawStmt, lc);

			if (IsA(raw->stmt, TransactionStmt))
				ereport(ERROR,
						(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						 errmsg("the command of an SQL action cannot hold transaction control statements"),
						 errhint("Each statement of an action with \"transaction\": false runs in a transaction of its own.")));
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			MemoryContextSwitchTo(parse_cxt);
			run_top_level(raw, sql, params, &tag, &rows);
			CommitTransactionCommand();
			MemoryContextSwitchTo(parse_cxt);
		}
		outcome_completed(out, GetCommandTagName(tag), rows, NULL, cxt);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(cxt);
		if (edata->elevel >= FATAL)
			ReThrowError(edata);
		outcome_failed(out, edata, cxt);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	MemoryContextDelete(parse_cxt);
}

void
executor_run_command(const char *sql, TimestampTz nominal,
					 bool in_transaction, ExecutorOutcome *out)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (in_transaction)
		run_in_subtransaction(sql, nominal, out, cxt);
	else
		run_outside_transaction(sql, nominal, out, cxt);
	MemoryContextSwitchTo(cxt);
}
