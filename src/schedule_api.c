/*-------------------------------------------------------------------------
 *
 * schedule_api.c
 *	  The SQL functions of schedules (SEMANTICS.md 5 and 9): create,
 *	  describe, list, pause, unpause, trigger (and trigger_immediately, which
 *	  says what it did), backfill (and backfill_actions), update, delete.
 *
 * Each function validates all of its input before it touches a table
 * (SEMANTICS.md 6), locks the schedule's row, makes its change, and then
 * lets the processing core (schedule_process in schedule_process.c) act on it at
 * once in the caller's transaction: a trigger or a backfill starts what
 * its overlap policy allows before the function returns, and next_due is
 * always recomputed in one place.  Every change that can move next_due
 * wakes the scheduler at commit.  Every change is recorded in the audit
 * trail (audit_store.c) under the row's lock, in the same transaction;
 * pause, unpause and delete do it in their one path (schedule_change.c),
 * which the bulk functions share.
 *
 * The clock of a call is the current time (clock_timestamp), read once:
 * "now" for the trigger time, for "nothing before the creation time runs"
 * and for "times before the update are discarded".
 *
 * Conventions: a NULL schedule_id or required argument is an error (22023);
 * a NULL optional argument means its default.  An unknown schedule id is
 * 42704 `schedule "<id>" does not exist`, and so is the id of a schedule
 * that the caller may not see (privileges.c): a role does not learn what
 * other roles have.
 *
 * Privileges: each function validates its arguments as the caller, then
 * enters the extension owner's section (priv_enter) for its table work and
 * checks the schedule's owner against the caller on the row it reads or
 * locks; runs that schedules start carry the schedule's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "audit_store.h"
#include "privileges.h"
#include "schedule_change.h"
#include "sched_limits.h"
#include "sched_clock.h"
#include "schedule_process.h"
#include "spi_query.h"
#include "sql_args.h"
#include "schedule_json.h"
#include "search_compile.h"
#include "sched_wake.h"

#define DESCRIBE_ACTIONS		10		/* recent and next actions shown */
#define LIST_ACTIONS			5

PG_FUNCTION_INFO_V1(sched_create_schedule);
PG_FUNCTION_INFO_V1(sched_describe);
PG_FUNCTION_INFO_V1(sched_list_schedules);
PG_FUNCTION_INFO_V1(sched_list_schedules_query);
PG_FUNCTION_INFO_V1(sched_pause);
PG_FUNCTION_INFO_V1(sched_unpause);
PG_FUNCTION_INFO_V1(sched_trigger);
PG_FUNCTION_INFO_V1(sched_trigger_immediately);
PG_FUNCTION_INFO_V1(sched_backfill);
PG_FUNCTION_INFO_V1(sched_backfill_list);
PG_FUNCTION_INFO_V1(sched_backfill_actions);
PG_FUNCTION_INFO_V1(sched_update);
PG_FUNCTION_INFO_V1(sched_delete);

/* ---- arguments ---- */

/*
 * A spec whose start_at and end_at leave no time to act is accepted (a
 * schedule may be created ahead and updated later, and one that only runs
 * when triggered is valid), but said: it is almost always a mistake.
 */
static void
notice_spec_bounds(const char *id, const Spec *spec, TimestampTz now)
{
	if (spec->start_at != SPEC_TIME_MIN && spec->end_at != SPEC_TIME_MAX &&
		spec->start_at > spec->end_at)
		ereport(NOTICE,
				(errmsg("schedule \"%s\" never acts on its spec: its start_at %s is after its end_at %s",
						id, schedule_format_time(schedule_spec_to_ts(spec->start_at)),
						schedule_format_time(schedule_spec_to_ts(spec->end_at))),
				 errhint("It still runs when triggered or backfilled.")));
	else if (spec->end_at != SPEC_TIME_MAX &&
			 schedule_spec_to_ts(spec->end_at) < now)
		ereport(NOTICE,
				(errmsg("schedule \"%s\" never acts on its spec: its end_at %s has passed",
						id, schedule_format_time(schedule_spec_to_ts(spec->end_at))),
				 errhint("It still runs when triggered or backfilled.")));
}

static void
check_schedule_id(const char *id)
{
	sched_check_nonempty(id, "schedule_id");
	sched_check_length(id, "schedule_id", SCHED_NAME_MAX);
}

static char *
note_arg(FunctionCallInfo fcinfo, int n, const char *dflt)
{
	char	   *note = PG_ARGISNULL(n) ? pstrdup(dflt) :
		text_to_cstring(PG_GETARG_TEXT_PP(n));

	sched_check_length(note, "note", SCHEDULE_NOTE_MAX);
	return note;
}

static void
check_memo(Jsonb *memo, const char *name)
{
	if (memo != NULL && !JB_ROOT_IS_OBJECT(memo))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: expected an object, found %s",
						name,
						JB_ROOT_IS_SCALAR(memo) ? "a scalar" : "an array")));
	sched_check_payload(memo, name);
}

/* The canonical spec is stored: it must fit SCHED_PAYLOAD_MAX. */
static void
check_spec_size(const ScheduleDoc *doc)
{
	if (doc->has_spec)
		sched_check_payload(spec_to_jsonb(&doc->spec), "schedule.spec");
}

/* ---- shared steps ---- */

static Datum
column(SPITupleTable *tt, uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(tt->vals[row], tt->tupdesc, col, isnull);
}

static SpiQuery plan_add_backfill;

/*
 * Adds backfill cursors (connected to SPI); the processing core feeds them.
 * Returns the seq of the first one (0 if none).
 */
static int64
add_backfills(const char *id, const ScheduleBackfill *bfs, int n,
			  DispatchOverlap dflt)
{
	Oid			types[6] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID,
	JSONBOID, JSONBOID};
	int64		first = 0;

	for (int i = 0; i < n; i++)
	{
		Datum		values[6];
		char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
		bool		isnull;

		values[0] = CStringGetTextDatum(id);
		values[1] = TimestampTzGetDatum(bfs[i].start_at);
		values[2] = TimestampTzGetDatum(bfs[i].end_at);
		values[3] = CStringGetTextDatum(dispatch_overlap_names[bfs[i].has_overlap ?
															   bfs[i].overlap : dflt]);
		/* overrides of the action's args and memo (NULL: none) */
		values[4] = bfs[i].args ? JsonbPGetDatum(bfs[i].args) : (Datum) 0;
		nulls[4] = bfs[i].args ? ' ' : 'n';
		values[5] = bfs[i].memo ? JsonbPGetDatum(bfs[i].memo) : (Datum) 0;
		nulls[5] = bfs[i].memo ? ' ' : 'n';
		spi_run_sql(&plan_add_backfill,
							   "INSERT INTO sched.backfills"
							   " (schedule_id, next_time, end_at, overlap, args,"
							   " memo)"
							   " VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
							   6, types,
				 values, nulls, false, 0);
		if (i == 0)
			first = DatumGetInt64(column(SPI_tuptable, 0, 1, &isnull));
	}
	return first;
}

/*
 * Refuses a backfill that would add more than SCHEDULE_MAX_BACKFILL_ACTIONS
 * actions, before anything is stored: it would hold the schedule's lock
 * (and the caller's transaction) for as long as it takes to start them.
 */
static void
check_backfill_size(const char *id, const Spec *spec,
					const ScheduleBackfill *bfs, int n)
{
	int64		total = 0;

	for (int i = 0; i < n; i++)
	{
		total += schedule_count_times(id, spec, bfs[i].start_at,
									  bfs[i].end_at,
									  SCHEDULE_MAX_BACKFILL_ACTIONS - total);
		if (total > SCHEDULE_MAX_BACKFILL_ACTIONS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("backfill of schedule \"%s\" would add more than " INT64_FORMAT " actions",
							id, SCHEDULE_MAX_BACKFILL_ACTIONS),
					 errhint("Backfill shorter ranges, one call at a time.")));
	}
}

static SpiQuery plan_left_backfills;

/*
 * The backfill times of cursors from first_seq on that are still to be
 * fed (connected to SPI).
 */
static int64
count_left(const char *id, int64 first_seq)
{
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		values[2];
	SPITupleTable *tt;
	uint64		n;
	SpecJson	sj;
	int64		total = 0;
	bool		isnull;

	values[0] = CStringGetTextDatum(id);
	values[1] = Int64GetDatum(first_seq);
	spi_run_sql(&plan_left_backfills,
						   "SELECT f.next_time, f.end_at, s.spec"
						   " FROM sched.backfills f JOIN sched.schedules s"
						   " USING (schedule_id)"
						   " WHERE f.schedule_id = $1 AND f.seq >= $2",
						   2, types,
			 values, NULL, false, 0);
	tt = SPI_tuptable;
	n = SPI_processed;
	if (n == 0)
		return 0;
	spec_from_jsonb(DatumGetJsonbP(column(tt, 0, 3, &isnull)),
					"schedule.spec", &sj);
	for (uint64 i = 0; i < n; i++)
		total += schedule_count_times(id, &sj.spec,
									  DatumGetTimestampTz(column(tt, i, 1, &isnull)),
									  DatumGetTimestampTz(column(tt, i, 2, &isnull)),
									  PG_INT64_MAX - 1);
	return total;
}

/* The audit entry's detail of a create or an update: the parts given. */
static Jsonb *
doc_detail(const ScheduleDoc *doc, bool trigger, int nbfs, int64 token)
{
	JsonbParseState *st = NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "parts");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	if (doc->has_action)
		schedule_push_text(&st, WJB_ELEM, "action");
	if (doc->has_spec)
		schedule_push_text(&st, WJB_ELEM, "spec");
	if (doc->has_policy)
		schedule_push_text(&st, WJB_ELEM, "policy");
	if (doc->has_state)
		schedule_push_text(&st, WJB_ELEM, "state");
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	if (trigger)
	{
		schedule_push_key(&st, "trigger_immediately");
		schedule_push_bool(&st, WJB_VALUE, true);
	}
	if (nbfs > 0)
	{
		schedule_push_key(&st, "backfills");
		schedule_push_int(&st, WJB_VALUE, nbfs);
	}
	if (token != 0)
	{
		schedule_push_key(&st, "conflict_token");
		schedule_push_int(&st, WJB_VALUE, token);
	}
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/* ---- create ---- */

static SpiQuery plan_insert;

/*
 * sched.create_schedule(schedule_id text, schedule jsonb,
 *		trigger_immediately boolean DEFAULT false, backfill jsonb DEFAULT '[]',
 *		memo jsonb DEFAULT NULL, search_attributes jsonb DEFAULT NULL)
 *		RETURNS text
 */
Datum
sched_create_schedule(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	Jsonb	   *docjb = sched_arg_jsonb(fcinfo, 1, "schedule");
	bool		trigger = PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2);
	Jsonb	   *memo = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	/* 0.2.0's create_schedule has no search_attributes argument */
	Jsonb	   *attrs = PG_NARGS() <= 5 || PG_ARGISNULL(5) ? NULL :
		PG_GETARG_JSONB_P(5);
	ScheduleDoc doc;
	ScheduleBackfill *bfs = NULL;
	int			nbfs = 0;
	TimestampTz now;
	TimestampTz nominal;
	bool		has_nominal;
	ScheduleProcess opts;
	PrivState	ps;
	Oid			caller;

	check_schedule_id(id);
	schedule_doc_from_jsonb(docjb, "schedule", &doc);
	check_spec_size(&doc);
	if (!doc.has_action)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing key \"action\" in schedule")));
	if (!doc.has_spec)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing key \"spec\" in schedule"),
				 errhint("A schedule that only runs when triggered has the spec {}.")));
	if (!PG_ARGISNULL(3))
		nbfs = schedule_backfills_from_jsonb(PG_GETARG_JSONB_P(3), "backfill",
											 &bfs);
	check_memo(memo, "memo");

	/* SEMANTICS.md 5: nothing before the creation time runs */
	now = schedule_clock();
	has_nominal = schedule_first_nominal_after(&doc.spec.spec, now, &nominal);
	notice_spec_bounds(id, &doc.spec.spec, now);

	caller = priv_enter(&ps);
	SPI_connect();
	/* checked against the registry of search attributes, then stored */
	attrs = attrs ? search_attrs_canonical(attrs, "search_attributes") :
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	{
		Oid			types[14] = {TEXTOID, JSONBOID, JSONBOID, JSONBOID,
			BOOLOID, TEXTOID, BOOLOID, INT8OID, JSONBOID, INT8OID,
		TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, JSONBOID};
		Datum		values[14];
		char		nulls[14];

		memset(nulls, ' ', sizeof(nulls));
		values[0] = CStringGetTextDatum(id);
		values[1] = JsonbPGetDatum(spec_to_jsonb(&doc.spec));
		values[2] = JsonbPGetDatum(schedule_action_to_jsonb(&doc.action));
		values[3] = JsonbPGetDatum(schedule_policy_to_jsonb(&doc.policy));
		values[4] = BoolGetDatum(doc.state.paused);
		values[5] = CStringGetTextDatum(doc.state.note);
		values[6] = BoolGetDatum(doc.state.limited_actions);
		values[7] = Int64GetDatum(doc.state.remaining_actions);
		values[8] = memo ? JsonbPGetDatum(memo) : (Datum) 0;
		nulls[8] = memo ? ' ' : 'n';
		values[9] = Int64GetDatum(schedule_new_token(0, now));
		values[10] = TimestampTzGetDatum(nominal);
		nulls[10] = has_nominal ? ' ' : 'n';
		values[11] = TimestampTzGetDatum(now);
		/* the schedule, and every run it starts, belongs to the caller */
		values[12] = CStringGetTextDatum(priv_role_name(caller));
		values[13] = JsonbPGetDatum(attrs);
		spi_run_sql(&plan_insert,
							   "INSERT INTO sched.schedules (schedule_id, spec,"
							   " action, policy, paused, note, limited_actions,"
							   " remaining_actions, memo, conflict_token,"
							   " next_nominal, created_at, last_updated_at,"
							   " last_event_at, owner, search_attributes)"
							   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
							   " $10, $11, now(), now(), $12, $13::name, $14)"
							   " ON CONFLICT (schedule_id) DO NOTHING",
							   14, types,
				 values, nulls, false, 0);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("schedule \"%s\" already exists", id)));
	}
	check_backfill_size(id, &doc.spec.spec, bfs, nbfs);
	add_backfills(id, bfs, nbfs, doc.policy.overlap);
	SPI_finish();

	memset(&opts, 0, sizeof(opts));
	opts.now = now;
	opts.trigger = trigger;
	if (!schedule_process(id, &opts))
		schedule_not_found(id);
	audit_record(id, "create", caller, priv_role_name(caller),
				 doc.state.note[0] ? doc.state.note : NULL,
				 doc_detail(&doc, trigger, nbfs, 0));
	priv_exit(&ps);
	scheduler_wake_at_commit();
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

/* ---- describe and list ---- */

static SpiQuery plan_recent;
static SpiQuery plan_running;
static SpiQuery plan_buffer_size;

/* The last "limit" actions, oldest first (connected to SPI). */
static JsonbValue *
push_recent_actions(JsonbParseState **st, const char *id, int limit)
{
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(id);
	values[1] = Int32GetDatum(limit);
	spi_run_sql(&plan_recent,
						   "SELECT scheduled_at, created_at, workflow_id,"
						   " run_id::text, status FROM ("
						   " SELECT scheduled_at, created_at, workflow_id,"
						   " run_id, status FROM sched.executions"
						   " WHERE schedule_id = $1" SCHEDULE_THIS_INCARNATION
						   " ORDER BY scheduled_at DESC, created_at DESC"
						   " LIMIT $2) r"
						   " ORDER BY scheduled_at, created_at",
						   2, types,
			 values, NULL, false, 0);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d;

		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		schedule_push_key(st, "scheduled_at");
		d = column(SPI_tuptable, i, 1, &isnull);
		if (isnull)
			schedule_push_jsonb(st, WJB_VALUE, NULL);
		else
			schedule_push_time(st, WJB_VALUE, DatumGetTimestampTz(d));
		schedule_push_key(st, "started_at");
		schedule_push_time(st, WJB_VALUE,
						   DatumGetTimestampTz(column(SPI_tuptable, i, 2, &isnull)));
		schedule_push_key(st, "workflow_id");
		schedule_push_text(st, WJB_VALUE,
						   TextDatumGetCString(column(SPI_tuptable, i, 3, &isnull)));
		schedule_push_key(st, "run_id");
		schedule_push_text(st, WJB_VALUE,
						   TextDatumGetCString(column(SPI_tuptable, i, 4, &isnull)));
		schedule_push_key(st, "status");
		schedule_push_text(st, WJB_VALUE,
						   TextDatumGetCString(column(SPI_tuptable, i, 5, &isnull)));
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	return pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/* The open tracked runs: what counts as running for overlap. */
static void
push_running_actions(JsonbParseState **st, const char *id)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	values[0] = CStringGetTextDatum(id);
	spi_run_sql(&plan_running,
						   "SELECT workflow_id, run_id::text"
						   " FROM sched.executions"
						   " WHERE schedule_id = $1 AND overlap_tracked"
						   " AND status IN ('scheduled', 'pending', 'running')"
						   SCHEDULE_THIS_INCARNATION
						   " ORDER BY created_at, workflow_id",
						   1, types,
			 values, NULL, false, 0);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		schedule_push_key(st, "workflow_id");
		schedule_push_text(st, WJB_VALUE,
						   TextDatumGetCString(column(SPI_tuptable, i, 1, &isnull)));
		schedule_push_key(st, "run_id");
		schedule_push_text(st, WJB_VALUE,
						   TextDatumGetCString(column(SPI_tuptable, i, 2, &isnull)));
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

static int64
buffer_size(const char *id)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull;

	values[0] = CStringGetTextDatum(id);
	spi_run_sql(&plan_buffer_size,
						   "SELECT count(*) FROM sched.buffer"
						   " WHERE schedule_id = $1",
						   1, types,
			 values, NULL, false, 1);
	return DatumGetInt64(column(SPI_tuptable, 0, 1, &isnull));
}

/*
 * The next actual times (SEMANTICS.md 5: also while paused; cut to
 * remaining_actions when limited).
 */
static int
next_times(const char *id, Jsonb *specjb, bool paused, bool limited,
		   int64 remaining, bool has_nominal, TimestampTz nominal,
		   TimestampTz now, int max, TimestampTz *out)
{
	SpecJson	sj;

	if (limited && remaining < max)
		max = (int) remaining;
	if (max <= 0)
		return 0;
	spec_from_jsonb(specjb, "schedule.spec", &sj);
	return schedule_next_action_times(id, &sj.spec, paused, has_nominal,
									  nominal, now, max, out);
}

static SpiQuery plan_describe;

/* sched.describe(schedule_id text) RETURNS jsonb */
Datum
sched_describe(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	MemoryContext callcxt = CurrentMemoryContext;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	SPITupleTable *tt;
	JsonbParseState *st = NULL;
	JsonbValue *res;
	Jsonb	   *result;
	bool		isnull;
	bool		paused,
				limited,
				has_nominal;
	int64		remaining;
	TimestampTz nominal;
	TimestampTz times[DESCRIBE_ACTIONS];
	int			ntimes;
	TimestampTz now = schedule_clock();
	Datum		d;
	PrivState	ps;
	Oid			caller = priv_enter(&ps);

	SPI_connect();
	values[0] = CStringGetTextDatum(id);
	spi_run_sql(&plan_describe,
						   "SELECT spec, action, policy, paused, note,"
						   " limited_actions, remaining_actions, memo,"
						   " conflict_token, next_nominal, num_actions,"
						   " num_actions_missed_catchup_window,"
						   " num_actions_skipped_overlap, num_buffer_dropped,"
						   " created_at, last_updated_at, owner::text,"
						   " search_attributes"
						   " FROM sched.schedules WHERE schedule_id = $1",
						   1, types,
			 values, NULL, false, 1);
	if (SPI_processed == 0 ||
		!priv_may_access(caller, SPI_getvalue(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 17)))
		schedule_not_found(id);
	tt = SPI_tuptable;
	paused = DatumGetBool(column(tt, 0, 4, &isnull));
	limited = DatumGetBool(column(tt, 0, 6, &isnull));
	remaining = DatumGetInt64(column(tt, 0, 7, &isnull));
	d = column(tt, 0, 10, &isnull);
	has_nominal = !isnull;
	nominal = isnull ? 0 : DatumGetTimestampTz(d);

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "id");
	schedule_push_text(&st, WJB_VALUE, id);

	schedule_push_key(&st, "schedule");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "action");
	schedule_push_jsonb(&st, WJB_VALUE, DatumGetJsonbP(column(tt, 0, 2, &isnull)));
	schedule_push_key(&st, "spec");
	schedule_push_jsonb(&st, WJB_VALUE, DatumGetJsonbP(column(tt, 0, 1, &isnull)));
	schedule_push_key(&st, "policy");
	schedule_push_jsonb(&st, WJB_VALUE, DatumGetJsonbP(column(tt, 0, 3, &isnull)));
	schedule_push_key(&st, "state");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "paused");
	schedule_push_bool(&st, WJB_VALUE, paused);
	schedule_push_key(&st, "note");
	schedule_push_text(&st, WJB_VALUE,
					   TextDatumGetCString(column(tt, 0, 5, &isnull)));
	schedule_push_key(&st, "limited_actions");
	schedule_push_bool(&st, WJB_VALUE, limited);
	schedule_push_key(&st, "remaining_actions");
	schedule_push_int(&st, WJB_VALUE, remaining);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);

	schedule_push_key(&st, "info");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "num_actions");
	schedule_push_int(&st, WJB_VALUE, DatumGetInt64(column(tt, 0, 11, &isnull)));
	schedule_push_key(&st, "num_actions_missed_catchup_window");
	schedule_push_int(&st, WJB_VALUE, DatumGetInt64(column(tt, 0, 12, &isnull)));
	schedule_push_key(&st, "num_actions_skipped_overlap");
	schedule_push_int(&st, WJB_VALUE, DatumGetInt64(column(tt, 0, 13, &isnull)));
	schedule_push_key(&st, "num_buffer_dropped");
	schedule_push_int(&st, WJB_VALUE, DatumGetInt64(column(tt, 0, 14, &isnull)));
	schedule_push_key(&st, "buffer_size");
	schedule_push_int(&st, WJB_VALUE, buffer_size(id));
	schedule_push_key(&st, "running_actions");
	push_running_actions(&st, id);
	schedule_push_key(&st, "recent_actions");
	push_recent_actions(&st, id, DESCRIBE_ACTIONS);
	schedule_push_key(&st, "next_action_times");
	ntimes = next_times(id, DatumGetJsonbP(column(tt, 0, 1, &isnull)), paused,
						limited, remaining, has_nominal, nominal, now,
						DESCRIBE_ACTIONS, times);
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < ntimes; i++)
		schedule_push_time(&st, WJB_ELEM, times[i]);
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	schedule_push_key(&st, "created_at");
	schedule_push_time(&st, WJB_VALUE,
					   DatumGetTimestampTz(column(tt, 0, 15, &isnull)));
	schedule_push_key(&st, "last_updated_at");
	schedule_push_time(&st, WJB_VALUE,
					   DatumGetTimestampTz(column(tt, 0, 16, &isnull)));
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);

	schedule_push_key(&st, "memo");
	d = column(tt, 0, 8, &isnull);
	schedule_push_jsonb(&st, WJB_VALUE, isnull ? NULL : DatumGetJsonbP(d));
	/* beside memo, as Temporal's DescribeScheduleResponse */
	schedule_push_key(&st, "search_attributes");
	schedule_push_jsonb(&st, WJB_VALUE,
						DatumGetJsonbP(column(tt, 0, 18, &isnull)));
	schedule_push_key(&st, "conflict_token");
	schedule_push_int(&st, WJB_VALUE, DatumGetInt64(column(tt, 0, 9, &isnull)));
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);

	/* the result outlives SPI's memory */
	{
		MemoryContext spicxt = MemoryContextSwitchTo(callcxt);

		result = JsonbValueToJsonb(res);
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	priv_exit(&ps);
	PG_RETURN_JSONB_P(result);
}

/*
 * The rows of list_schedules from a SELECT of schedule_id, workflow,
 * paused, note, spec, limited_actions, remaining_actions, next_nominal and
 * memo (connected to SPI).
 */
static void
emit_list_rows(ReturnSetInfo *rsinfo, SPITupleTable *tt, uint64 n,
			   TimestampTz now)
{
	for (uint64 i = 0; i < n; i++)
	{
		Datum		values[8];
		bool		nulls[8] = {false};
		bool		isnull;
		char	   *id = TextDatumGetCString(column(tt, i, 1, &isnull));
		Jsonb	   *spec = DatumGetJsonbP(column(tt, i, 5, &isnull));
		bool		paused = DatumGetBool(column(tt, i, 3, &isnull));
		Datum		d = column(tt, i, 8, &isnull);
		bool		has_nominal = !isnull;
		TimestampTz nominal = isnull ? 0 : DatumGetTimestampTz(d);
		TimestampTz times[LIST_ACTIONS];
		Datum		tdatums[LIST_ACTIONS];
		int			ntimes;
		JsonbParseState *st = NULL;

		CHECK_FOR_INTERRUPTS();
		values[0] = column(tt, i, 1, &isnull);
		values[1] = column(tt, i, 2, &nulls[1]);
		values[2] = BoolGetDatum(paused);
		values[3] = column(tt, i, 4, &isnull);
		values[4] = JsonbPGetDatum(spec);
		values[5] = JsonbPGetDatum(JsonbValueToJsonb(push_recent_actions(&st, id,
																		 LIST_ACTIONS)));
		ntimes = next_times(id, spec, paused,
							DatumGetBool(column(tt, i, 6, &isnull)),
							DatumGetInt64(column(tt, i, 7, &isnull)),
							has_nominal, nominal, now, LIST_ACTIONS, times);
		for (int k = 0; k < ntimes; k++)
			tdatums[k] = TimestampTzGetDatum(times[k]);
		values[6] = PointerGetDatum(construct_array(tdatums, ntimes,
													TIMESTAMPTZOID, 8,
													FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		values[7] = column(tt, i, 9, &nulls[7]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
}

static SpiQuery plan_list;

/*
 * sched.list_schedules() RETURNS TABLE (schedule_id text, workflow text,
 *		paused boolean, note text, spec jsonb, recent_actions jsonb,
 *		next_action_times timestamptz[], memo jsonb)
 */
Datum
sched_list_schedules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = schedule_clock();
	PrivState	ps;
	Oid			caller;
	Oid			types[1] = {OIDOID};
	Datum		args[1];

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	caller = priv_enter(&ps);
	SPI_connect();
	/* SEMANTICS.md 5: every schedule the caller may see */
	args[0] = ObjectIdGetDatum(caller);
	spi_run_sql(&plan_list,
						   "SELECT schedule_id, action->>'workflow', paused,"
						   " note, spec, limited_actions, remaining_actions,"
						   " next_nominal, memo"
						   " FROM sched.schedules"
						   " WHERE sched.may_access(owner, $1)"
						   " ORDER BY schedule_id",
						   1, types,
			 args, NULL, false, 0);
	emit_list_rows(rsinfo, SPI_tuptable, SPI_processed, now);
	SPI_finish();
	priv_exit(&ps);
	return (Datum) 0;
}

/*
 * sched.list_schedules(query text): the same rows, of the schedules the
 * list query matches (search_compile.c), in its ORDER BY and then by id.
 * Read in the caller's transaction: what it created is found at once.
 */
Datum
sched_list_schedules_query(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query = sched_arg_text(fcinfo, 0, "query");
	TimestampTz now = schedule_clock();
	PrivState	ps;
	Oid			caller;
	SearchSql	sql;
	char	   *sqltext;
	int			rc;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	caller = priv_enter(&ps);
	SPI_connect();
	search_compile(query, SEARCH_FOR_LIST, 1, &sql);
	sql.types[0] = OIDOID;
	sql.values[0] = ObjectIdGetDatum(caller);
	sqltext = psprintf("SELECT s.schedule_id, s.action->>'workflow', s.paused,"
					" s.note, s.spec, s.limited_actions, s.remaining_actions,"
					" s.next_nominal, s.memo"
					" FROM sched.schedules s"
					" WHERE sched.may_access(s.owner, $1) AND %s"
					" ORDER BY %ss.schedule_id",
					sql.where.data, sql.order_by.data);
	rc = SPI_execute_with_args(sqltext, sql.nparams, sql.types, sql.values,
							   NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "list query failed: %s", SPI_result_code_string(rc));
	emit_list_rows(rsinfo, SPI_tuptable, SPI_processed, now);
	SPI_finish();
	priv_exit(&ps);
	return (Datum) 0;
}

/* ---- pause, unpause ---- */

/* sched.pause(schedule_id text, note text DEFAULT 'Paused via SQL') */
Datum
sched_pause(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	char	   *note = note_arg(fcinfo, 1, "Paused via SQL");
	TimestampTz now = schedule_clock();
	PrivState	ps;
	Oid			caller = priv_enter(&ps);

	schedule_pause_one(id, note, caller, now);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/*
 * sched.unpause(schedule_id text, note text DEFAULT 'Unpaused via SQL',
 *				 catchup text DEFAULT NULL)
 *
 * catchup NULL: the paused period is not replayed (SEMANTICS.md 5); a mode
 * (all, latest, none) replays it (schedule_unpause_one).  An install
 * script of 0.2.0 names this symbol with two arguments: PG_NARGS().
 */
Datum
sched_unpause(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	char	   *note = note_arg(fcinfo, 1, "Unpaused via SQL");
	bool		replay = PG_NARGS() > 2 && !PG_ARGISNULL(2);
	DispatchCatchup mode = DISPATCH_CATCHUP_ALL;
	TimestampTz now = schedule_clock();
	PrivState	ps;
	Oid			caller;

	if (replay)
		mode = schedule_catchup_from_text(text_to_cstring(PG_GETARG_TEXT_PP(2)),
										  "catchup");
	caller = priv_enter(&ps);
	schedule_unpause_one(id, note, caller, now, replay ? &mode : NULL);
	priv_exit(&ps);
	PG_RETURN_VOID();
}

/* ---- trigger ---- */

/* What sched.trigger was asked: the overlap, the time, the overrides. */
typedef struct TriggerArgs
{
	bool		has_overlap;
	DispatchOverlap overlap;
	bool		has_time;
	TimestampTz time;
	Jsonb	   *args;
	Jsonb	   *memo;
} TriggerArgs;

/* The earliest and latest times a trigger may name: years 2000-2100. */
#define TRIGGER_TIME_MIN	INT64CONST(0)
#define TRIGGER_TIME_MAX	INT64CONST(3187296000000000)	/* 2101-01-01 */

/*
 * The optional arguments of sched.trigger and sched.trigger_immediately,
 * from argument 1 on: overlap, scheduled_time, args, memo (an install
 * script of 0.2.0 passes the overlap only).
 */
static void
trigger_args(FunctionCallInfo fcinfo, TriggerArgs *ta)
{
	memset(ta, 0, sizeof(*ta));
	if (PG_NARGS() > 1 && !PG_ARGISNULL(1))
	{
		ta->has_overlap = true;
		ta->overlap =
			schedule_overlap_from_text(text_to_cstring(PG_GETARG_TEXT_PP(1)),
									   "overlap");
	}
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		ta->has_time = true;
		ta->time = PG_GETARG_TIMESTAMPTZ(2);
		if (TIMESTAMP_NOT_FINITE(ta->time) || ta->time < TRIGGER_TIME_MIN ||
			ta->time >= TRIGGER_TIME_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for scheduled_time: %s is not a time a trigger can name",
							schedule_format_time(ta->time)),
					 errhint("The time that names the run is between 2000-01-01 and 2100-12-31, UTC.")));
	}
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
	{
		ta->args = PG_GETARG_JSONB_P(3);
		schedule_check_args(ta->args, "args");
	}
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		ta->memo = PG_GETARG_JSONB_P(4);
		schedule_check_memo(ta->memo, "memo");
	}
}

/* "started", "buffered" or "skipped": what became of a trigger's action. */
static const char *
trigger_outcome(const ScheduleProcess *opts)
{
	if (opts->trigger_workflow_id != NULL)
		return "started";
	if (opts->trigger_fate == DISPATCH_KEEP)
		return "buffered";
	return "skipped";
}

/* The audit entry's detail of a trigger: what was asked and what came of it. */
static Jsonb *
trigger_detail(const TriggerArgs *ta, const ScheduleProcess *opts)
{
	JsonbParseState *st = NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "outcome");
	schedule_push_text(&st, WJB_VALUE, trigger_outcome(opts));
	schedule_push_key(&st, "nominal_time");
	schedule_push_time(&st, WJB_VALUE, opts->trigger_nominal);
	if (ta->has_overlap)
	{
		schedule_push_key(&st, "overlap");
		schedule_push_text(&st, WJB_VALUE, dispatch_overlap_names[ta->overlap]);
	}
	if (opts->trigger_workflow_id != NULL)
	{
		schedule_push_key(&st, "workflow_id");
		schedule_push_text(&st, WJB_VALUE, opts->trigger_workflow_id);
		schedule_push_key(&st, "run_id");
		schedule_push_text(&st, WJB_VALUE, run_id_string(&opts->trigger_run_id));
	}
	if (ta->args)
	{
		schedule_push_key(&st, "args");
		schedule_push_jsonb(&st, WJB_VALUE, ta->args);
	}
	if (ta->memo)
	{
		schedule_push_key(&st, "memo");
		schedule_push_jsonb(&st, WJB_VALUE, ta->memo);
	}
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/*
 * One trigger of one schedule: the action enters the buffer under the
 * given policy (or the schedule's) and starts as the policy allows; opts
 * says what became of it.  The audit entry is written here, under the
 * schedule's lock.
 */
static void
trigger_schedule(const char *id, const TriggerArgs *ta, ScheduleProcess *opts)
{
	PrivState	ps;
	Oid			caller;
	char	   *owner;

	memset(opts, 0, sizeof(*opts));
	opts->has_trigger_overlap = ta->has_overlap;
	opts->trigger_overlap = ta->overlap;
	opts->has_trigger_time = ta->has_time;
	opts->trigger_time = ta->time;
	opts->trigger_args = ta->args;
	opts->trigger_memo = ta->memo;
	opts->now = schedule_clock();
	opts->trigger = true;
	caller = priv_enter(&ps);
	owner = schedule_check_locked(id, caller);
	if (!schedule_process(id, opts))
		schedule_not_found(id);
	audit_record(id, "trigger", caller, owner, NULL, trigger_detail(ta, opts));
	priv_exit(&ps);
	/* a trigger that starts nothing says why (the counters keep it too) */
	if (opts->dropped > 0)
		ereport(NOTICE,
				(errmsg("trigger of schedule \"%s\" was dropped: its buffer is full",
						id),
				 errdetail("The buffer holds at most %d actions waiting for their overlap policy.",
						   DISPATCH_BUFFER_MAX)));
	else if (opts->taken > 0)
		ereport(NOTICE,
				(errmsg("trigger of schedule \"%s\" was skipped: its workflow id is taken by a run that is still open",
						id),
				 errdetail("The workflow id of a schedule's run is its action's id and the action's time, to the second, unless the action keeps its original id or names another time format.")));
	else if (opts->skipped > 0)
		ereport(NOTICE,
				(errmsg("trigger of schedule \"%s\" was skipped by overlap policy %s: a run of the schedule is still open",
						id, dispatch_overlap_names[opts->has_trigger_overlap ?
												   opts->trigger_overlap :
												   opts->overlap]),
				 errhint("Pass overlap => 'allow_all' (or buffer_one, buffer_all) to sched.trigger to start it anyway.")));
	scheduler_wake_at_commit();
}

/*
 * sched.trigger(schedule_id text, overlap text DEFAULT NULL,
 *		scheduled_time timestamptz DEFAULT NULL, args jsonb DEFAULT NULL,
 *		memo jsonb DEFAULT NULL)
 */
Datum
sched_trigger(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	TriggerArgs ta;
	ScheduleProcess opts;

	trigger_args(fcinfo, &ta);
	trigger_schedule(id, &ta, &opts);
	PG_RETURN_VOID();
}

/*
 * sched.trigger_immediately(schedule_id text, overlap text DEFAULT NULL,
 *		scheduled_time timestamptz DEFAULT NULL, args jsonb DEFAULT NULL,
 *		memo jsonb DEFAULT NULL) RETURNS TABLE (outcome text, run_id uuid,
 *		workflow_id text, nominal_time timestamptz)
 *
 * sched.trigger that says what it did: one row, the run it started, or
 * "buffered" or "skipped" with the nominal time and no run.
 */
Datum
sched_trigger_immediately(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	TriggerArgs ta;
	ScheduleProcess opts;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	trigger_args(fcinfo, &ta);
	trigger_schedule(id, &ta, &opts);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	values[0] = CStringGetTextDatum(trigger_outcome(&opts));
	if (opts.trigger_workflow_id != NULL)
	{
		pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

		*u = opts.trigger_run_id;
		values[1] = UUIDPGetDatum(u);
		values[2] = CStringGetTextDatum(opts.trigger_workflow_id);
	}
	else
		nulls[1] = nulls[2] = true;
	values[3] = TimestampTzGetDatum(opts.trigger_nominal);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/* ---- backfill ---- */


static SpiQuery plan_touch;

/* What a backfill call did with the times of its ranges. */
typedef struct BackfillResult
{
	int64		actions;		/* all of them (what sched.backfill returns) */
	int64		started;
	int64		buffered;		/* waiting for their overlap policy */
	int64		skipped;		/* by the policy, or their id was taken */
	int64		pending;		/* still in the ranges: fed as the buffer drains */
} BackfillResult;

static Jsonb *
backfill_detail(const ScheduleBackfill *bfs, int n, const BackfillResult *r)
{
	JsonbParseState *st = NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	schedule_push_key(&st, "actions");
	schedule_push_int(&st, WJB_VALUE, r->actions);
	schedule_push_key(&st, "ranges");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		schedule_push_key(&st, "start_at");
		schedule_push_time(&st, WJB_VALUE, bfs[i].start_at);
		schedule_push_key(&st, "end_at");
		schedule_push_time(&st, WJB_VALUE, bfs[i].end_at);
		if (bfs[i].has_overlap)
		{
			schedule_push_key(&st, "overlap");
			schedule_push_text(&st, WJB_VALUE,
							   dispatch_overlap_names[bfs[i].overlap]);
		}
		if (bfs[i].args)
		{
			schedule_push_key(&st, "args");
			schedule_push_jsonb(&st, WJB_VALUE, bfs[i].args);
		}
		if (bfs[i].memo)
		{
			schedule_push_key(&st, "memo");
			schedule_push_jsonb(&st, WJB_VALUE, bfs[i].memo);
		}
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/* Adds backfill ranges, processes them as far as they go; what it did. */
static void
backfill(const char *id, const ScheduleBackfill *bfs, int n,
		 BackfillResult *r)
{
	TimestampTz now = schedule_clock();
	Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		values[2];
	ScheduleLockedRow	row;
	int64		first;
	ScheduleProcess opts;
	PrivState	ps;
	Oid			caller = priv_enter(&ps);

	SPI_connect();
	schedule_lock_row(id, caller, &row);
	{
		SpecJson	sj;

		spec_from_jsonb(row.spec, "schedule.spec", &sj);
		check_backfill_size(id, &sj.spec, bfs, n);
	}
	first = add_backfills(id, bfs, n, row.policy.overlap);
	/* a backfill is an event: retention counts from it */
	values[0] = CStringGetTextDatum(id);
	values[1] = TimestampTzGetDatum(now);
	spi_run_sql(&plan_touch,
						   "UPDATE sched.schedules SET last_event_at = $2"
						   " WHERE schedule_id = $1",
						   2, types,
			 values, NULL, false, 0);
	SPI_finish();

	memset(&opts, 0, sizeof(opts));
	opts.now = now;
	opts.count_from_seq = first;
	if (!schedule_process(id, &opts))
		schedule_not_found(id);

	/* what was fed now, and what the cursors still hold */
	SPI_connect();
	r->pending = first > 0 ? count_left(id, first) : 0;
	SPI_finish();
	r->actions = opts.counted + r->pending;
	r->started = opts.bf_started;
	r->buffered = opts.bf_buffered;
	r->skipped = opts.bf_skipped;
	audit_record(id, "backfill", caller, row.owner, NULL,
				 backfill_detail(bfs, n, r));
	priv_exit(&ps);
	scheduler_wake_at_commit();
}

/*
 * sched.backfill(schedule_id text, start_at timestamptz, end_at timestamptz,
 *		overlap text DEFAULT NULL, args jsonb DEFAULT NULL,
 *		memo jsonb DEFAULT NULL) RETURNS bigint
 */
Datum
sched_backfill(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	ScheduleBackfill bf;
	BackfillResult r;

	memset(&bf, 0, sizeof(bf));
	if (PG_ARGISNULL(1))
		sched_null_error("start_at");
	if (PG_ARGISNULL(2))
		sched_null_error("end_at");
	bf.start_at = PG_GETARG_TIMESTAMPTZ(1);
	bf.end_at = PG_GETARG_TIMESTAMPTZ(2);
	if (!PG_ARGISNULL(3))
	{
		bf.has_overlap = true;
		bf.overlap = schedule_overlap_from_text(text_to_cstring(PG_GETARG_TEXT_PP(3)),
												"overlap");
	}
	/* an install script of 0.2.0 passes four arguments */
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		bf.args = PG_GETARG_JSONB_P(4);
		schedule_check_args(bf.args, "args");
	}
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
	{
		bf.memo = PG_GETARG_JSONB_P(5);
		schedule_check_memo(bf.memo, "memo");
	}
	schedule_check_backfill(&bf, "");
	backfill(id, &bf, 1, &r);
	PG_RETURN_INT64(r.actions);
}

/* sched.backfill(schedule_id text, backfills jsonb) RETURNS bigint */
Datum
sched_backfill_list(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	Jsonb	   *jb = sched_arg_jsonb(fcinfo, 1, "backfills");
	ScheduleBackfill *bfs;
	int			n;
	BackfillResult r;

	n = schedule_backfills_from_jsonb(jb, "backfills", &bfs);
	backfill(id, bfs, n, &r);
	PG_RETURN_INT64(r.actions);
}

/*
 * sched.backfill_actions(schedule_id text, backfills jsonb) RETURNS TABLE
 *		(actions bigint, started bigint, buffered bigint, skipped bigint,
 *		pending bigint)
 *
 * sched.backfill that says what it did with the actions of its ranges.
 */
Datum
sched_backfill_actions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	Jsonb	   *jb = sched_arg_jsonb(fcinfo, 1, "backfills");
	ScheduleBackfill *bfs;
	int			n;
	BackfillResult r;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	n = schedule_backfills_from_jsonb(jb, "backfills", &bfs);
	backfill(id, bfs, n, &r);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	values[0] = Int64GetDatum(r.actions);
	values[1] = Int64GetDatum(r.started);
	values[2] = Int64GetDatum(r.buffered);
	values[3] = Int64GetDatum(r.skipped);
	values[4] = Int64GetDatum(r.pending);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/* ---- update, delete ---- */

static SpiQuery plan_update;

/*
 * sched.update(schedule_id text, schedule jsonb,
 *		conflict_token bigint DEFAULT NULL,
 *		search_attributes jsonb DEFAULT NULL) RETURNS bigint
 */
Datum
sched_update(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	Jsonb	   *docjb = sched_arg_jsonb(fcinfo, 1, "schedule");
	ScheduleDoc doc;
	TimestampTz now = schedule_clock();
	ScheduleLockedRow	row;
	SpecJson	stored;
	const Spec *spec;
	TimestampTz nominal = 0;
	bool		has_nominal;
	ScheduleProcess opts;
	Oid			types[13] = {TEXTOID, JSONBOID, JSONBOID, JSONBOID, BOOLOID,
		BOOLOID, TEXTOID, BOOLOID, INT8OID, TIMESTAMPTZOID, INT8OID,
	TIMESTAMPTZOID, JSONBOID};
	Datum		values[13];
	char		nulls[13];
	/* NULL leaves them; {} clears them (Temporal's UpdateSchedule) */
	Jsonb	   *attrs = PG_NARGS() <= 3 || PG_ARGISNULL(3) ? NULL :
		PG_GETARG_JSONB_P(3);
	PrivState	ps;
	Oid			caller;

	schedule_doc_from_jsonb(docjb, "schedule", &doc);
	check_spec_size(&doc);

	caller = priv_enter(&ps);
	SPI_connect();
	schedule_lock_row(id, caller, &row);
	if (!PG_ARGISNULL(2) && PG_GETARG_INT64(2) != row.token)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("conflict token mismatch"),
				 errdetail("The schedule's conflict token is " INT64_FORMAT ", not " INT64_FORMAT ".",
						   row.token, PG_GETARG_INT64(2)),
				 errhint("Read the schedule again with sched.describe() and retry.")));
	/* an SQL action runs as the owner: only the owner's members give one */
	if (doc.has_action && doc.action.sql != NULL &&
		!priv_is_member(caller, row.owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to give schedule \"%s\" an SQL action: role \"%s\" is not a member of its owner \"%s\"",
						id, priv_role_name(caller), row.owner),
				 errdetail("The command of an SQL action runs as the schedule's owner.")));

	/* SEMANTICS.md 5: times before the update are discarded */
	if (doc.has_spec)
		spec = &doc.spec.spec;
	else
	{
		spec_from_jsonb(row.spec, "schedule.spec", &stored);
		spec = &stored.spec;
	}
	has_nominal = schedule_first_nominal_after(spec, now, &nominal);
	if (doc.has_spec)
		notice_spec_bounds(id, spec, now);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(id);
	values[1] = doc.has_spec ? JsonbPGetDatum(spec_to_jsonb(&doc.spec)) : (Datum) 0;
	nulls[1] = doc.has_spec ? ' ' : 'n';
	values[2] = doc.has_action ?
		JsonbPGetDatum(schedule_action_to_jsonb(&doc.action)) : (Datum) 0;
	nulls[2] = doc.has_action ? ' ' : 'n';
	values[3] = doc.has_policy ?
		JsonbPGetDatum(schedule_policy_to_jsonb(&doc.policy)) : (Datum) 0;
	nulls[3] = doc.has_policy ? ' ' : 'n';
	values[4] = BoolGetDatum(doc.has_state);
	values[5] = BoolGetDatum(doc.state.paused);
	values[6] = CStringGetTextDatum(doc.state.note);
	values[7] = BoolGetDatum(doc.state.limited_actions);
	values[8] = Int64GetDatum(doc.state.remaining_actions);
	values[9] = TimestampTzGetDatum(nominal);
	nulls[9] = has_nominal ? ' ' : 'n';
	values[10] = Int64GetDatum(schedule_new_token(row.token, now));
	values[11] = TimestampTzGetDatum(now);
	if (attrs != NULL)
		attrs = search_attrs_canonical(attrs, "search_attributes");
	values[12] = attrs ? JsonbPGetDatum(attrs) : (Datum) 0;
	nulls[12] = attrs ? ' ' : 'n';
	spi_run_sql(&plan_update,
						   "UPDATE sched.schedules SET"
						   " spec = COALESCE($2, spec),"
						   " action = COALESCE($3, action),"
						   " policy = COALESCE($4, policy),"
						   " paused = CASE WHEN $5 THEN $6 ELSE paused END,"
						   " note = CASE WHEN $5 THEN $7 ELSE note END,"
						   " limited_actions = CASE WHEN $5 THEN $8"
						   " ELSE limited_actions END,"
						   " remaining_actions = CASE WHEN $5 THEN $9"
						   " ELSE remaining_actions END,"
						   " next_nominal = $10, conflict_token = $11,"
						   " last_updated_at = $12, last_event_at = $12,"
						   " search_attributes = COALESCE($13, search_attributes)"
						   " WHERE schedule_id = $1",
						   13, types,
			 values, nulls, false, 0);
	SPI_finish();

	opts = schedule_process_now(id, now);
	audit_record(id, "update", caller, row.owner,
				 doc.has_state && doc.state.note[0] ? doc.state.note : NULL,
				 doc_detail(&doc, false, 0, opts.conflict_token));
	priv_exit(&ps);
	scheduler_wake_at_commit();
	PG_RETURN_INT64(opts.conflict_token);
}

/* sched.delete(schedule_id text) */
Datum
sched_delete(PG_FUNCTION_ARGS)
{
	char	   *id = sched_arg_text(fcinfo, 0, "schedule_id");
	PrivState	ps;
	Oid			caller = priv_enter(&ps);

	schedule_delete_one(id, caller);
	priv_exit(&ps);
	PG_RETURN_VOID();
}
