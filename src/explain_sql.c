/*-------------------------------------------------------------------------
 *
 * explain_sql.c
 *	  sched.explain(spec jsonb, from, to [, schedule_id]) and
 *	  sched.explain(schedule_id text, from, to): every time of a range with
 *	  its UTC and local forms, the DST note, the parts that matched it, what
 *	  removed it, its jitter, and for a stored schedule the outcome it
 *	  would have if nothing changed from now on.
 *
 * The spec part is spec_explain.c.  The stored schedule is only read: one
 * SELECT of its row and one of its open and recent runs, through SPI in
 * the owner's section (privileges.c), with the caller's visibility rules
 * (a schedule the caller may not see is 42704, as everywhere).  The
 * prediction follows the scheduler's rules (schedule_process.c, SEMANTICS.md 3-4)
 * in this order: a time before the cursor was processed already; a paused
 * schedule drops its times; a time whose actual time is older than now -
 * catchup_window is missed; a limited schedule acts on its next
 * remaining_actions times only; the first time acted on meets the open
 * runs under the overlap policy (later ones assume those runs closed).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "json_input.h"
#include "privileges.h"
#include "sched_clock.h"
#include "schedule_json.h"
#include "spec_explain.h"

#define EXPLAIN_NCOLS 10

/* Unix seconds of PostgreSQL's epoch, 2000-01-01 00:00:00 UTC. */
#define PG_EPOCH_UNIX_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

PG_FUNCTION_INFO_V1(sched_explain_spec);
PG_FUNCTION_INFO_V1(sched_explain_schedule);

/* What a stored schedule adds to the spec's rows. */
typedef struct ExplainSchedule
{
	const char *id;
	TimestampTz now;
	bool		paused;
	bool		limited;
	int64		remaining;
	bool		has_cursor;
	TimestampTz cursor;			/* next_nominal */
	SchedulePolicy policy;
	int64		open_runs;		/* open runs tracked for overlap */
	/* runs started for nominal times of the range */
	int			nruns;
	TimestampTz *run_nominal;
	char	  **run_text;		/* "<workflow id> (<status>)" */
} ExplainSchedule;

static spec_time
ts_to_spec(TimestampTz ts)
{
	int64		secs = ts / USECS_PER_SEC;

	if (ts % USECS_PER_SEC < 0)
		secs--;
	return secs + PG_EPOCH_UNIX_SECS;
}

static TimestampTz
spec_to_ts(spec_time t)
{
	return (TimestampTz) (t - PG_EPOCH_UNIX_SECS) * USECS_PER_SEC;
}

static void
check_range(TimestampTz from, TimestampTz to)
{
	if (TIMESTAMP_NOT_FINITE(from) || TIMESTAMP_NOT_FINITE(to))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: explain needs a finite range",
						TIMESTAMP_NOT_FINITE(from) ? "from_time" : "to_time")));
	if (to < from)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for to_time: it is before from_time")));
}

/* "+05:30" */
static char *
format_offset(int32 off)
{
	int			a = off < 0 ? -off : off;

	if (a % 60 != 0)
		return psprintf("%c%02d:%02d:%02d", off < 0 ? '-' : '+', a / 3600,
						a / 60 % 60, a % 60);
	return psprintf("%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* "02:00:00" of wall-clock seconds */
static char *
format_wall(int64 wall)
{
	SpecCivil	c;

	spec_civil_from_seconds(wall, &c);
	return psprintf("%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day,
					c.hour, c.minute, c.second);
}

static void
push_int_value(JsonbParseState **st, const char *key, int64 x)
{
	schedule_push_key(st, key);
	schedule_push_int(st, WJB_VALUE, x);
}

static void
push_text_value(JsonbParseState **st, const char *key, const char *s)
{
	schedule_push_key(st, key);
	schedule_push_text(st, WJB_VALUE, s);
}

/* [{"calendar": 0, "comment": ...}, {"cron_expression": 1}, {"interval": 0}] */
static Jsonb *
matched_jsonb(const SpecJson *sj, const SpecExplainRow *r)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;

	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < r->ncalendars; i++)
	{
		int			c = r->calendars[i];
		const char *comment = sj->calendars[c].comment;

		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		if (sj->calendar_cron[c] >= 0)
			push_int_value(&st, "cron_expression", sj->calendar_cron[c]);
		else
			push_int_value(&st, "calendar", c);
		if (comment[0] != '\0')
			push_text_value(&st, "comment", comment);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	for (int i = 0; i < r->nintervals; i++)
	{
		int			v = r->intervals[i];

		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		if (sj->interval_cron[v] >= 0)
			push_int_value(&st, "cron_expression", sj->interval_cron[v]);
		else
			push_int_value(&st, "interval", v);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	res = pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(res);
}

static const char *
dst_note_name(SpecDstNote note)
{
	switch (note)
	{
		case SPEC_DST_NOTE_FIRST_PASS:
			return "first_pass";
		case SPEC_DST_NOTE_SECOND_PASS:
			return "second_pass";
		case SPEC_DST_NOTE_AFTER_GAP:
			return "after_gap";
		case SPEC_DST_NOTE_NONE:
			break;
	}
	return NULL;
}

/* The spec's verdict on a row: outcome and reason (NULL when none). */
static void
spec_outcome(const SpecJson *sj, const SpecExplainRow *r,
			 const char **outcome, char **reason)
{
	*reason = NULL;
	switch (r->removed)
	{
		case SPEC_EXPLAIN_FIRES:
			*outcome = "fire";
			if (r->note == SPEC_DST_NOTE_AFTER_GAP)
				*reason = psprintf("matched local times from %s to before %s, which do not exist (DST gap); fires at the first instant after the gap (dst.skipped is next_valid)",
								   format_wall(r->gap_start), format_wall(r->gap_end));
			break;
		case SPEC_EXPLAIN_SKIP_CALENDAR:
			*outcome = "skip_calendar";
			*reason = sj->skip[r->skip_index].comment[0] != '\0' ?
				psprintf("matched by skip[%d] (%s)", r->skip_index,
						 sj->skip[r->skip_index].comment) :
				psprintf("matched by skip[%d]", r->skip_index);
			break;
		case SPEC_EXPLAIN_DST_GAP:
			*outcome = "dst_policy";
			*reason = psprintf("matched local times from %s to before %s, which do not exist (DST gap), and dst.skipped is skip",
							   format_wall(r->gap_start), format_wall(r->gap_end));
			break;
		case SPEC_EXPLAIN_DST_REPEATED:
			*outcome = "dst_policy";
			*reason = psprintf("the %s pass of a repeated local time, and dst.repeated is %s",
							   r->note == SPEC_DST_NOTE_SECOND_PASS ? "second" : "first",
							   sj->spec.dst.repeated == SPEC_DST_REPEATED_FIRST ? "first" : "second");
			break;
	}
}

/* The run started for nominal time t, as "<workflow id> (<status>)", or NULL. */
static const char *
run_for(const ExplainSchedule *es, TimestampTz t)
{
	for (int i = 0; i < es->nruns; i++)
		if (es->run_nominal[i] == t)
			return es->run_text[i];
	return NULL;
}

static void
emit_rows(FunctionCallInfo fcinfo, const SpecJson *sj, const char *jitter_id,
		  ExplainSchedule *es, TimestampTz from, TimestampTz to)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SpecExplainRow *rows;
	int			nrows;
	int64		acted = 0;
	bool		overlap_met = false;

	nrows = spec_explain(sj, ts_to_spec(from) + (from % USECS_PER_SEC != 0),
						 ts_to_spec(to), &rows);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	for (int i = 0; i < nrows; i++)
	{
		SpecExplainRow *r = &rows[i];
		Datum		values[EXPLAIN_NCOLS];
		bool		nulls[EXPLAIN_NCOLS] = {false};
		char		utc[SPEC_TIME_TEXT_LEN];
		const char *outcome = "fire";
		char	   *reason;
		const char *note = dst_note_name(r->note);
		TimestampTz nominal = spec_to_ts(r->t);
		int64		jitter_ms = 0;
		bool		has_jitter = jitter_id != NULL && r->removed == SPEC_EXPLAIN_FIRES;

		spec_format_time(r->t, utc);
		spec_outcome(sj, r, &outcome, &reason);
		if (has_jitter)
			jitter_ms = spec_jitter_ms(jitter_id, strlen(jitter_id), r->t,
									   r->next_nominal, sj->spec.jitter_ms);

		if (es != NULL && r->removed == SPEC_EXPLAIN_FIRES)
		{
			TimestampTz actual = nominal + jitter_ms * 1000;

			if (es->has_cursor ? nominal < es->cursor : true)
			{
				const char *run = run_for(es, nominal);

				outcome = "processed";
				reason = run ? psprintf("already processed: run %s", run) :
					pstrdup("already processed; no run was started for it (see sched.describe's counters)");
			}
			else if (es->paused)
			{
				outcome = "paused";
				reason = pstrdup("the schedule is paused: times that come up while it is paused are dropped, not caught up");
			}
			else if (actual <= es->now &&
					 actual < es->now - es->policy.catchup_window_ms * 1000)
			{
				outcome = "missed_catchup_window";
				reason = psprintf("older than the catch-up window (%s) when the scheduler gets to it",
								  jsonin_format_duration_ms(es->policy.catchup_window_ms));
			}
			else if (actual <= es->now &&
					 es->policy.catchup_mode != DISPATCH_CATCHUP_ALL &&
					 es->now - actual > (int64) DISPATCH_ON_TIME_MS * 1000 &&
					 (es->policy.catchup_mode == DISPATCH_CATCHUP_NONE ||
					  (r->next_nominal != SPEC_TIME_MAX &&
					   spec_to_ts(r->next_nominal) <= es->now)))
			{
				/* README "Catch-up modes": late, and the mode does not fire it */
				outcome = "missed_catchup_window";
				reason = psprintf("more than 10 s late when the scheduler gets to it, and catchup_mode %s %s",
								  dispatch_catchup_names[es->policy.catchup_mode],
								  es->policy.catchup_mode == DISPATCH_CATCHUP_NONE ?
								  "fires no late time" :
								  "fires only the most recent due time");
			}
			else if (es->limited && acted >= es->remaining)
			{
				outcome = "limit_reached";
				reason = psprintf("limited_actions: the %lld remaining actions go to earlier times",
								  (long long) es->remaining);
			}
			else if (!overlap_met &&
					 es->open_runs >= es->policy.concurrency_limit &&
					 es->policy.overlap != DISPATCH_ALLOW_ALL)
			{
				/* only the first time meets today's open runs */
				overlap_met = true;
				if (es->policy.overlap == DISPATCH_SKIP)
					outcome = "skipped_overlap";
				else if (es->policy.overlap == DISPATCH_BUFFER_ONE ||
						 es->policy.overlap == DISPATCH_BUFFER_ALL)
				{
					outcome = "buffered";
					acted++;
				}
				else
				{
					outcome = "fire";
					acted++;
				}
				reason = psprintf("%lld run%s of the schedule %s open now%s; overlap policy %s%s",
								  (long long) es->open_runs,
								  es->open_runs == 1 ? "" : "s",
								  es->open_runs == 1 ? "is" : "are",
								  es->policy.concurrency_limit > 1 ?
								  psprintf(" (concurrency_limit %d)",
										   es->policy.concurrency_limit) : "",
								  dispatch_overlap_names[es->policy.overlap],
								  es->policy.overlap == DISPATCH_CANCEL_OTHER ?
								  ": the open run is canceled first" :
								  es->policy.overlap == DISPATCH_TERMINATE_OTHER ?
								  ": the open run is terminated first" :
								  es->policy.overlap == DISPATCH_SKIP ? "" :
								  ": it starts when the open run closes");
			}
			else
				acted++;
		}

		values[0] = TimestampTzGetDatum(nominal);
		values[1] = CStringGetTextDatum(utc);
		values[2] = TimestampGetDatum(spec_to_ts(r->t + r->utc_offset));
		values[3] = CStringGetTextDatum(format_offset(r->utc_offset));
		if (note)
			values[4] = CStringGetTextDatum(note);
		else
			nulls[4] = true;
		values[5] = JsonbPGetDatum(matched_jsonb(sj, r));
		values[6] = CStringGetTextDatum(outcome);
		if (reason)
			values[7] = CStringGetTextDatum(reason);
		else
			nulls[7] = true;
		if (has_jitter)
		{
			Interval   *iv = palloc0(sizeof(Interval));

			iv->time = jitter_ms * 1000;
			values[8] = IntervalPGetDatum(iv);
			values[9] = TimestampTzGetDatum(nominal + jitter_ms * 1000);
		}
		else
			nulls[8] = nulls[9] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * sched.explain(spec jsonb, from_time timestamptz, to_time timestamptz,
 *				 schedule_id text DEFAULT NULL) RETURNS SETOF record
 *
 * The spec's times in [from_time, to_time]; jitter as the schedule named
 * schedule_id would get it (NULL: no jitter columns).
 */
Datum
sched_explain_spec(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb;
	TimestampTz from;
	TimestampTz to;
	char	   *id = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	SpecJson	sj;

	/* not STRICT, for schedule_id; a NULL spec or bound explains nothing */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		return (Datum) 0;
	}
	jb = PG_GETARG_JSONB_P(0);
	from = PG_GETARG_TIMESTAMPTZ(1);
	to = PG_GETARG_TIMESTAMPTZ(2);
	check_range(from, to);
	spec_from_jsonb(jb, "spec", &sj);
	emit_rows(fcinfo, &sj, id, NULL, from, to);
	return (Datum) 0;
}

static Datum
spi_col(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col,
						 isnull);
}

/*
 * sched.explain(schedule_id text, from_time timestamptz, to_time
 *				 timestamptz) RETURNS SETOF record
 *
 * The stored schedule's times in the range and what would become of each.
 */
Datum
sched_explain_schedule(PG_FUNCTION_ARGS)
{
	char	   *id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TimestampTz from = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz to = PG_GETARG_TIMESTAMPTZ(2);
	Oid			types[3] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		args[3];
	ExplainSchedule es;
	SpecJson	sj;
	PrivState	ps;
	Oid			caller;
	bool		isnull;
	Datum		d;

	check_range(from, to);
	memset(&es, 0, sizeof(es));
	es.id = id;
	es.now = schedule_clock();
	args[0] = CStringGetTextDatum(id);
	args[1] = TimestampTzGetDatum(from);
	args[2] = TimestampTzGetDatum(to);

	caller = priv_enter(&ps);
	SPI_connect();
	if (SPI_execute_with_args("SELECT spec, policy, paused, limited_actions,"
							  " remaining_actions, next_nominal, owner::text"
							  " FROM sched.schedules WHERE schedule_id = $1",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read schedule \"%s\"", id);
	if (SPI_processed == 0 ||
		!priv_may_access(caller, SPI_getvalue(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 7)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("schedule \"%s\" does not exist", id)));
	spec_from_jsonb(DatumGetJsonbP(spi_col(0, 1, &isnull)), "schedule.spec", &sj);
	schedule_policy_from_jsonb(DatumGetJsonbP(spi_col(0, 2, &isnull)),
							   "schedule.policy", &es.policy);
	es.paused = DatumGetBool(spi_col(0, 3, &isnull));
	es.limited = DatumGetBool(spi_col(0, 4, &isnull));
	es.remaining = DatumGetInt64(spi_col(0, 5, &isnull));
	d = spi_col(0, 6, &isnull);
	es.has_cursor = !isnull;
	es.cursor = isnull ? 0 : DatumGetTimestampTz(d);

	/* runs that overlap policies count: open runs not started under allow_all */
	if (SPI_execute_with_args("SELECT count(*) FROM sched.executions"
							  " WHERE schedule_id = $1 AND overlap_tracked"
							  " AND status IN ('scheduled', 'pending', 'running')",
							  1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the runs of schedule \"%s\"", id);
	es.open_runs = DatumGetInt64(spi_col(0, 1, &isnull));

	/* the runs scheduled for nominal times of the range */
	if (SPI_execute_with_args("SELECT nominal_time,"
							  " workflow_id || ' (' || status || ')'"
							  " FROM sched.executions"
							  " WHERE schedule_id = $1 AND start_kind = 'schedule'"
							  " AND nominal_time BETWEEN $2 AND $3"
							  " ORDER BY nominal_time LIMIT 10000",
							  3, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the runs of schedule \"%s\"", id);
	es.nruns = (int) SPI_processed;
	es.run_nominal = palloc(sizeof(TimestampTz) * Max(es.nruns, 1));
	es.run_text = palloc(sizeof(char *) * Max(es.nruns, 1));
	for (int i = 0; i < es.nruns; i++)
	{
		es.run_nominal[i] = DatumGetTimestampTz(spi_col(i, 1, &isnull));
		es.run_text[i] = SPI_getvalue(SPI_tuptable->vals[i],
									  SPI_tuptable->tupdesc, 2);
	}

	emit_rows(fcinfo, &sj, id, &es, from, to);
	SPI_finish();
	priv_exit(&ps);
	return (Datum) 0;
}
