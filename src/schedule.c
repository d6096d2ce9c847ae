/*-------------------------------------------------------------------------
 *
 * schedule.c
 *	  Processing schedules: the core that the scheduler's tick, trigger,
 *	  backfill, create/update/pause/unpause and a run's close all share,
 *	  and the functions of schedule.h.
 *
 * The cursor.  sched.schedules.next_nominal is the first nominal time not
 * yet processed; next_due is when the scheduler must look at the schedule
 * again: the actual (jittered) time of next_nominal, NULL while paused, when
 * the spec is exhausted or when limited with 0 remaining, and "now" while
 * work is left over from a bounded call.  Jitter is spec_jitter_ms(schedule
 * id, nominal, following nominal, jitter): the following nominal time is
 * computed anyway, to advance the cursor.
 *
 * Processing a schedule (schedule_process), under its row lock and in one
 * transaction:
 *	 1. catch-up (SEMANTICS.md 3.2): every nominal time from the cursor whose
 *		actual time is <= now is classified by dispatch_classify_time():
 *		acted on (appended to the buffer with the schedule's policy; when
 *		the buffer is full of waiting items a pass runs first), missed
 *		(actual older than now - catchup_window: counted), or passed over
 *		(limited and no remaining action left for it).  A paused schedule
 *		does not look at its times: they are neither caught up nor counted,
 *		and unpause restarts the cursor after now.
 *	 2. the trigger item, if this is sched.trigger (or trigger_immediately).
 *	 3. backfill cursors (sched.backfills) feed the buffer in order, never
 *		beyond DISPATCH_BUFFER_MAX waiting items; allow_all ranges never wait
 *		and start in set-based batches instead (one INSERT ... SELECT FROM
 *		unnest() per BATCH_SIZE runs), which is what makes a year of minutes
 *		cheap.
 *	 4. the buffer pass and its effects (dispatch_buffer in dispatch.c),
 *		repeated with step 3 while backfills can feed more.
 *	 5. buffer rows, backfill cursors, counters, remaining_actions, the
 *		cursor and next_due are written back.
 * The runs are inserted in the same transaction that advances the cursor,
 * so a crash neither loses nor duplicates a nominal time; the unique index
 * on (schedule_id, nominal_time) of scheduled runs backs that up (a start
 * it refuses counts as skipped).
 *
 * Bounded work: one call takes at most MAX_TIMES_PER_CALL due nominal
 * times to act on and MAX_MISSED_PER_CALL to count as missed; the cursor then stays in the past, so next_due stays due and the
 * scheduler comes back to it after serving the others.  The scheduler's
 * calls also feed at most TICK_BACKFILL_BUDGET backfill times (leaving
 * next_due = now); SQL calls (sched.backfill) feed all that the policies
 * allow at once.
 *
 * Lock order (schedule, then runs): every path here locks the schedule's
 * row first (FOR UPDATE) and only then inserts or updates its runs through
 * queue.c; queue.c locks the schedule (schedule_lock) before it touches a
 * run that has one.  Each path locks one schedule at a time, except the
 * tick, which locks several but never waits for one (SKIP LOCKED), so no
 * cycle of waits can form between these paths.
 *
 * The tick (schedule_tick) processes its due schedules as a batch: one
 * statement reads them with what processing needs, each is processed as
 * above but its starts and its row are collected, and one INSERT and one
 * UPDATE write them all, so a large fire costs about what inserting its
 * runs costs (bench/README.md, figure 2).
 *
 * Failures: a batch that fails is rolled back and done again schedule by
 * schedule, each in a subtransaction, as run closing always does; a
 * schedule that fails is logged, rolled back alone and retried a minute
 * later, and never stops the others (or the worker's sched.complete()).
 * The SQL functions let errors reach the caller.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "dispatch.h"
#include "queue.h"
#include "schedule.h"
#include "schedule_core.h"
#include "schedule_json.h"
#include "subxact.h"
#include "scheduler.h"

/* Due nominal times one call takes at most (catch-up), and missed ones. */
#define MAX_TIMES_PER_CALL		10000
#define MAX_MISSED_PER_CALL		1000000
/* Backfill times one scheduler call feeds at most. */
#define TICK_BACKFILL_BUDGET	10000
/* allow_all backfill runs inserted per statement. */
#define BATCH_SIZE				10000
/* A schedule whose processing failed is retried after this long. */
#define RETRY_AFTER_USECS		(60 * USECS_PER_SEC)

/* ---- prepared statements ---- */

SPIPlanPtr
schedule_plan(SPIPlanPtr *slot, const char *sql, int nargs,
			  const Oid *argtypes)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, (Oid *) argtypes);

		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep the plan of \"%s\"", sql);
		*slot = plan;
	}
	return *slot;
}

/* Runs a plan; an SPI failure is an internal error. */
static int
run_plan(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only,
		 long count)
{
	int			rc = SPI_execute_plan(plan, values, nulls, read_only, count);

	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return rc;
}

static Datum
column(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col,
						 isnull);
}

void
schedule_not_found(const char *schedule_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("schedule \"%s\" does not exist", schedule_id)));
}

/* ---- time ---- */

TimestampTz
schedule_clock(void)
{
	/* tests make the wall clock jump with pg_sched.debug_clock_offset */
	return GetCurrentTimestamp() +
		(int64) pg_sched_debug_clock_offset * USECS_PER_SEC;
}

int64
schedule_new_token(int64 old, TimestampTz now)
{
	/*
	 * Milliseconds, not microseconds: the token travels in JSON, where
	 * clients that read numbers as doubles keep 53 bits exactly.  Deriving
	 * it from the clock makes tokens of two incarnations of one schedule id
	 * differ; "greater than the old one" makes every change visible.
	 */
	int64		ms = now / 1000;

	return Max(old + 1, ms);
}

static bool
next_checked(const Spec *spec, spec_time after, spec_time *next)
{
	SpecError	err;

	switch (spec_next(spec, after, next, &err))
	{
		case SPEC_NEXT_FOUND:
			return true;
		case SPEC_NEXT_NONE:
			return false;
		case SPEC_NEXT_ERROR:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not compute the next time of the spec: %s",
							err.message)));
	}
	return false;
}

/*
 * Walks a spec's nominal times with their actual times.  The actual time of
 * a nominal time needs the following one (jitter never reaches it), which
 * is also the next step: one spec_next() per step.
 */
typedef struct TimeIter
{
	const Spec *spec;
	const char *id;
	bool		has;			/* nominal is valid */
	spec_time	nominal;
	bool		has_following;
	spec_time	following;
} TimeIter;

static void
iter_fill(TimeIter *it)
{
	it->has_following = it->has &&
		next_checked(it->spec, it->nominal, &it->following);
}

/* First nominal time strictly after "after". */
static void
iter_after(TimeIter *it, const Spec *spec, const char *id, spec_time after)
{
	it->spec = spec;
	it->id = id;
	it->has = next_checked(spec, after, &it->nominal);
	iter_fill(it);
}

/* At a known nominal time (the cursor). */
static void
iter_at(TimeIter *it, const Spec *spec, const char *id, spec_time nominal)
{
	it->spec = spec;
	it->id = id;
	it->has = true;
	it->nominal = nominal;
	iter_fill(it);
}

static void
iter_advance(TimeIter *it)
{
	it->has = it->has_following;
	it->nominal = it->following;
	iter_fill(it);
}

static TimestampTz
iter_nominal(const TimeIter *it)
{
	return schedule_spec_to_ts(it->nominal);
}

static TimestampTz
iter_actual(const TimeIter *it)
{
	int64		jitter = spec_jitter_ms(it->id, strlen(it->id), it->nominal,
										it->has_following ? it->following :
										SPEC_TIME_MAX,
										it->spec->jitter_ms);

	return schedule_spec_to_ts(it->nominal) + jitter * 1000;
}

/* The first nominal time whose actual time is >= from. */
static void
iter_seek_actual(TimeIter *it, const Spec *spec, const char *id,
				 TimestampTz from)
{
	/* jitter is below jitter_ms: earlier nominal times cannot reach "from" */
	spec_time	after = schedule_ts_to_spec(from) -
		(spec->jitter_ms + 999) / 1000 - 1;

	iter_after(it, spec, id, after);
	while (it->has && iter_actual(it) < from)
	{
		CHECK_FOR_INTERRUPTS();
		iter_advance(it);
	}
}

bool
schedule_first_nominal_after(const Spec *spec, TimestampTz after,
							 TimestampTz *nominal)
{
	spec_time	t;

	if (!next_checked(spec, schedule_ts_to_spec(after), &t))
		return false;
	*nominal = schedule_spec_to_ts(t);
	return true;
}

int
schedule_next_action_times(const char *schedule_id, const Spec *spec,
						   bool paused, bool has_next_nominal,
						   TimestampTz next_nominal, TimestampTz now, int max,
						   TimestampTz *out)
{
	TimeIter	it;
	int			n = 0;

	if (paused)
		iter_after(&it, spec, schedule_id, schedule_ts_to_spec(now));
	else if (has_next_nominal)
		iter_at(&it, spec, schedule_id, schedule_ts_to_spec(next_nominal));
	else
		return 0;
	for (; it.has && n < max; iter_advance(&it))
		out[n++] = iter_actual(&it);
	return n;
}

int64
schedule_count_times(const char *schedule_id, const Spec *spec,
					 TimestampTz from, TimestampTz to, int64 limit)
{
	TimeIter	it;
	int64		n = 0;

	for (iter_seek_actual(&it, spec, schedule_id, from);
		 it.has && iter_actual(&it) <= to && n <= limit; iter_advance(&it))
	{
		if ((n & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		n++;
	}
	return n;
}

/* "<action id>-<nominal time as RFC 3339 UTC to the second>" */
static char *
workflow_id(const char *action_id, TimestampTz nominal)
{
	char		buf[SPEC_TIME_TEXT_LEN];

	size_t		idlen = strlen(action_id);
	size_t		tlen;
	char	   *id;

	/* by hand, not psprintf(): this runs for every action */
	spec_format_time(schedule_ts_to_spec(nominal), buf);
	tlen = strlen(buf);
	id = palloc(idlen + 1 + tlen + 1);
	memcpy(id, action_id, idlen);
	id[idlen] = '-';
	memcpy(id + idlen + 1, buf, tlen + 1);
	return id;
}

/* ---- one schedule, loaded ---- */

typedef struct SchedRow
{
	const char *id;
	SpecJson	spec;
	ScheduleAction action;
	SchedulePolicy policy;
	bool		paused;
	bool		limited;
	int64		remaining;
	Jsonb	   *last_result;
	int64		token;
	bool		has_nominal;
	TimestampTz next_nominal;
	bool		has_due;
	TimestampTz next_due;
	int64		num_actions;
	int64		num_missed;
	int64		num_skipped;
	int64		num_dropped;
	int64		num_paused;
	int64		num_limit;
	TimestampTz created_at;		/* this incarnation of the id (schedule.h) */
	const char *owner;			/* its runs belong to the schedule's owner */
} SchedRow;

/* The columns row_from_spi() reads, in its order. */
#define SCHED_ROW_COLUMNS \
	"s.spec, s.action, s.policy, s.paused, s.limited_actions," \
	" s.remaining_actions, s.last_completion_result, s.conflict_token," \
	" s.next_nominal, s.next_due, s.num_actions," \
	" s.num_actions_missed_catchup_window, s.num_actions_skipped_overlap," \
	" s.num_buffer_dropped, s.num_actions_skipped_paused," \
	" s.num_actions_skipped_limit, s.created_at, s.owner::text"
#define SCHED_ROW_NCOLUMNS 18

/*
 * Reads SCHED_ROW_COLUMNS from row "tupno" of the last SPI result, starting
 * at column "first".  The documents were checked when they were stored;
 * reading them again checks them again (a bad row fails its schedule only).
 */
static void
row_from_spi(SchedRow *row, const char *id, SPITupleTable *tt, uint64 tupno,
			 int first)
{
	bool		isnull;
	Datum		d;
	int			c = first;

#define column(r, c, n) SPI_getbinval(tt->vals[r], tt->tupdesc, c, n)

	memset(row, 0, sizeof(*row));
	row->id = id;
	spec_from_jsonb(DatumGetJsonbP(column(tupno, c++, &isnull)),
					"schedule.spec", &row->spec);
	schedule_action_from_jsonb(DatumGetJsonbP(column(tupno, c++, &isnull)),
							   "schedule.action", &row->action);
	schedule_policy_from_jsonb(DatumGetJsonbP(column(tupno, c++, &isnull)),
							   "schedule.policy", &row->policy);
	row->paused = DatumGetBool(column(tupno, c++, &isnull));
	row->limited = DatumGetBool(column(tupno, c++, &isnull));
	row->remaining = DatumGetInt64(column(tupno, c++, &isnull));
	d = column(tupno, c++, &isnull);
	row->last_result = isnull ? NULL : DatumGetJsonbP(d);
	row->token = DatumGetInt64(column(tupno, c++, &isnull));
	d = column(tupno, c++, &isnull);
	row->has_nominal = !isnull;
	row->next_nominal = isnull ? 0 : DatumGetTimestampTz(d);
	d = column(tupno, c++, &isnull);
	row->has_due = !isnull;
	row->next_due = isnull ? 0 : DatumGetTimestampTz(d);
	row->num_actions = DatumGetInt64(column(tupno, c++, &isnull));
	row->num_missed = DatumGetInt64(column(tupno, c++, &isnull));
	row->num_skipped = DatumGetInt64(column(tupno, c++, &isnull));
	row->num_dropped = DatumGetInt64(column(tupno, c++, &isnull));
	row->num_paused = DatumGetInt64(column(tupno, c++, &isnull));
	row->num_limit = DatumGetInt64(column(tupno, c++, &isnull));
	row->created_at = DatumGetTimestampTz(column(tupno, c++, &isnull));
	row->owner = TextDatumGetCString(column(tupno, c++, &isnull));
#undef column
}

static SPIPlanPtr plan_load;

static bool
load_row(const char *id, SchedRow *row)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	values[0] = CStringGetTextDatum(id);
	run_plan(schedule_plan(&plan_load,
						   "SELECT " SCHED_ROW_COLUMNS
						   " FROM sched.schedules s WHERE s.schedule_id = $1"
						   " FOR UPDATE",
						   1, types),
			 values, NULL, false, 1);
	if (SPI_processed == 0)
		return false;
	row_from_spi(row, id, SPI_tuptable, 0, 1);
	return true;
}

/* ---- the processing of one schedule ---- */

typedef struct Cursor
{
	int64		seq;
	TimestampTz next_time;		/* first actual time not yet fed */
	TimestampTz end_at;
	DispatchOverlap overlap;
	bool		done;			/* range exhausted: delete it */
	bool		moved;			/* next_time changed: write it */
} Cursor;

/* What proc_write() writes back into a schedule's row. */
typedef struct RowWrite
{
	const char *id;
	bool		has_nominal;
	TimestampTz next_nominal;
	bool		has_due;
	TimestampTz next_due;
	int64		remaining;
	int64		token;
	int64		num_actions;
	int64		num_missed;
	int64		num_skipped;
	int64		num_dropped;
	int64		num_paused;
	int64		num_limit;
	bool		acted;			/* moves last_event_at to now */
} RowWrite;

/*
 * The tick's batch (schedule_tick): the runs its schedules start and what
 * their rows become, written by one INSERT and one UPDATE for the whole
 * batch instead of a few statements per schedule.
 */
typedef struct TickBatch
{
	RunStart   *runs;
	int			nruns;
	int			maxruns;
	RowWrite   *rows;
	int			nrows;
	int			maxrows;
	bool		wake;			/* a new deadline: tell the scheduler */
} TickBatch;

typedef struct Proc
{
	SchedRow	row;
	ScheduleProcess *opts;
	TimestampTz now;
	/* the buffer: waiting items, then new ones */
	DispatchItem *items;
	int			nitems;
	int			maxitems;
	int64	   *gone;			/* seqs of stored items that left */
	int			ngone;
	int			maxgone;
	int			held;			/* items waiting (fate KEEP) */
	int64		buffered_scheduled; /* of those, scheduled ones */
	Cursor	   *cursors;
	int			ncursors;
	int64		budget;			/* backfill times left; -1: unbounded */
	bool		more_work;		/* stopped by the budget */
	int64		missed;
	int64		dropped;
	bool		acted;			/* a run was started */
	DispatchState ds;
	DispatchOps ops;
	TickBatch  *batch;			/* the tick's batch; NULL: write at once */
} Proc;

static void
proc_append(Proc *pc, TimestampTz nominal, TimestampTz actual,
			DispatchOverlap overlap, DispatchKind kind)
{
	DispatchItem *it;

	if (!dispatch_buffer_accepts(overlap, pc->held))
	{
		pc->dropped++;
		return;
	}
	if (pc->nitems == pc->maxitems)
	{
		pc->maxitems *= 2;
		pc->items = repalloc(pc->items, sizeof(DispatchItem) * pc->maxitems);
	}
	it = &pc->items[pc->nitems++];
	it->seq = 0;
	it->nominal = nominal;
	it->actual = actual;
	it->overlap = overlap;
	it->kind = kind;
	it->fate = DISPATCH_KEEP;
	if (overlap != DISPATCH_ALLOW_ALL)
		pc->held++;
	if (kind == DISPATCH_SCHEDULED)
		pc->buffered_scheduled++;
}

/* Drops the items that left the buffer, remembering the stored ones. */
static void
proc_compact(Proc *pc)
{
	int			n = 0;

	pc->held = 0;
	pc->buffered_scheduled = 0;
	for (int i = 0; i < pc->nitems; i++)
	{
		DispatchItem *it = &pc->items[i];

		if (it->fate != DISPATCH_KEEP)
		{
			if (it->seq != 0)
			{
				if (pc->ngone == pc->maxgone)
				{
					pc->maxgone *= 2;
					pc->gone = repalloc(pc->gone, sizeof(int64) * pc->maxgone);
				}
				pc->gone[pc->ngone++] = it->seq;
			}
			continue;
		}
		pc->items[n++] = *it;
		pc->held++;
		if (it->kind == DISPATCH_SCHEDULED)
			pc->buffered_scheduled++;
	}
	pc->nitems = n;
}

static DispatchKind
kind_from_name(const char *name)
{
	for (int k = 0; k < DISPATCH_NKIND; k++)
		if (strcmp(name, dispatch_kind_names[k]) == 0)
			return (DispatchKind) k;
	elog(ERROR, "unknown start kind \"%s\" in sched.buffer", name);
	return DISPATCH_SCHEDULED;
}

static DispatchOverlap
overlap_from_stored(const char *name)
{
	DispatchOverlap o;

	if (!dispatch_overlap_from_name(name, strlen(name), &o))
		elog(ERROR, "unknown overlap policy \"%s\" in a stored row", name);
	return o;
}

static SPIPlanPtr plan_buffer;
static SPIPlanPtr plan_backfills;

/*
 * Loads the buffer and the backfill cursors; or, when the caller knows the
 * schedule has neither (stored = false), only sets up the empty arrays.
 */
static void
proc_load_buffer(Proc *pc, bool stored)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	if (!stored)
	{
		pc->maxitems = 8;
		pc->items = palloc(sizeof(DispatchItem) * pc->maxitems);
		pc->maxgone = 8;
		pc->gone = palloc(sizeof(int64) * pc->maxgone);
		pc->cursors = palloc0(sizeof(Cursor));
		return;
	}
	values[0] = CStringGetTextDatum(pc->row.id);
	run_plan(schedule_plan(&plan_buffer,
						   "SELECT seq, nominal_time, actual_time, overlap,"
						   " start_kind FROM sched.buffer"
						   " WHERE schedule_id = $1 ORDER BY seq",
						   1, types),
			 values, NULL, false, 0);
	pc->maxitems = Max(64, (int) SPI_processed * 2);
	pc->items = palloc(sizeof(DispatchItem) * pc->maxitems);
	pc->maxgone = Max(64, (int) SPI_processed);
	pc->gone = palloc(sizeof(int64) * pc->maxgone);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		DispatchItem *it = &pc->items[pc->nitems++];
		bool		isnull;

		it->seq = DatumGetInt64(column(i, 1, &isnull));
		it->nominal = DatumGetTimestampTz(column(i, 2, &isnull));
		it->actual = DatumGetTimestampTz(column(i, 3, &isnull));
		it->overlap = overlap_from_stored(TextDatumGetCString(column(i, 4, &isnull)));
		it->kind = kind_from_name(TextDatumGetCString(column(i, 5, &isnull)));
		it->fate = DISPATCH_KEEP;
	}
	proc_compact(pc);

	values[0] = CStringGetTextDatum(pc->row.id);
	run_plan(schedule_plan(&plan_backfills,
						   "SELECT seq, next_time, end_at, overlap"
						   " FROM sched.backfills"
						   " WHERE schedule_id = $1 ORDER BY seq",
						   1, types),
			 values, NULL, false, 0);
	pc->ncursors = (int) SPI_processed;
	pc->cursors = palloc0(sizeof(Cursor) * Max(pc->ncursors, 1));
	for (int i = 0; i < pc->ncursors; i++)
	{
		Cursor	   *c = &pc->cursors[i];
		bool		isnull;

		c->seq = DatumGetInt64(column(i, 1, &isnull));
		c->next_time = DatumGetTimestampTz(column(i, 2, &isnull));
		c->end_at = DatumGetTimestampTz(column(i, 3, &isnull));
		c->overlap = overlap_from_stored(TextDatumGetCString(column(i, 4, &isnull)));
	}
}

/* The buffer pass and its effects, then the items that left are dropped. */
static void
proc_pass(Proc *pc)
{
	dispatch_buffer(pc->items, pc->nitems, &pc->ds, &pc->ops);
	proc_compact(pc);
}

/*
 * Step 1: the due nominal times from the cursor (see the banner).  When the
 * buffer is full of waiting items, the pass runs before the next time is
 * appended: a time is dropped for a full buffer only when the items ahead
 * of it really wait (buffer_one, buffer_all, cancel/terminate_other), not
 * because a long catch-up appended more than 1000 times before one pass
 * (under skip they are then counted as skipped, as in steady state, where
 * each time gets a pass of its own).
 */
static void
proc_catch_up(Proc *pc)
{
	SchedRow   *row = &pc->row;
	TimeIter	it;
	int			n = 0;
	int			missed_n = 0;
	int64		window = row->policy.catchup_window_ms * 1000;

	if (row->paused || !row->has_nominal)
		return;
	for (iter_at(&it, &row->spec.spec, row->id,
				 schedule_ts_to_spec(row->next_nominal));
		 it.has; iter_advance(&it))
	{
		TimestampTz actual = iter_actual(&it);

		DispatchTimeClass class;

		if (actual > pc->now)
			break;
		class = dispatch_classify_time(actual, pc->now, window, row->limited,
									   pc->ds.remaining,
									   pc->buffered_scheduled);

		/*
		 * A missed time costs one step of the engine and a count, so it has
		 * a budget of its own, a hundred times larger: after an outage of a
		 * year, a schedule with a short window walks its 31.5 million
		 * missed seconds in 32 calls instead of 3,150, and fires its window
		 * within seconds instead of an hour.
		 */
		if (class == DISPATCH_TIME_MISSED ? missed_n++ >= MAX_MISSED_PER_CALL :
			n++ >= MAX_TIMES_PER_CALL)
		{
			/* the cursor stays due: the scheduler comes back for the rest */
			break;
		}
		switch (class)
		{
			case DISPATCH_TIME_ACT:
				if (!dispatch_buffer_accepts(row->policy.overlap, pc->held))
					proc_pass(pc);
				proc_append(pc, iter_nominal(&it), actual,
							row->policy.overlap, DISPATCH_SCHEDULED);
				break;
			case DISPATCH_TIME_MISSED:
				pc->missed++;
				break;
			case DISPATCH_TIME_PASS:
				pc->ds.num_limit++;
				break;
		}
	}
	row->has_nominal = it.has;
	row->next_nominal = it.has ? iter_nominal(&it) : 0;
}

/* ---- starting runs ---- */

static bool
proc_start(void *ctx, const DispatchItem *item, bool tracked)
{
	Proc	   *pc = (Proc *) ctx;
	SchedRow   *row = &pc->row;
	RunStart	rs;
	pg_uuid_t	run_id;

	memset(&rs, 0, sizeof(rs));
	rs.workflow_id = workflow_id(row->action.id, item->nominal);
	rs.workflow = row->action.workflow;
	rs.task_queue = row->action.task_queue;
	rs.args = row->action.args;
	rs.memo = row->action.memo;
	rs.start_kind = dispatch_kind_names[item->kind];
	rs.schedule_id = row->id;
	rs.nominal_time = item->nominal;
	rs.scheduled_at = item->actual;
	rs.overlap_tracked = tracked;
	/* SEMANTICS.md 2: every run but allow_all ones gets the last result */
	rs.last_completion_result = tracked ? row->last_result : NULL;
	rs.due_at = pc->now;
	rs.pending = true;
	/* the action's retries and timeouts (queue.c enforces them) */
	rs.retry_policy = row->action.retry_policy;
	rs.run_timeout_us = row->action.run_timeout_ms * 1000;
	rs.execution_timeout_us = row->action.execution_timeout_ms * 1000;
	rs.owner = row->owner;
	if (pc->batch)
	{
		/*
		 * Written with the batch (batch_insert_runs): assumed to start, and
		 * if one of them does not, the batch is done again schedule by
		 * schedule, where a refused start counts as skipped.
		 */
		TickBatch  *b = pc->batch;

		if (b->nruns == b->maxruns)
		{
			b->maxruns *= 2;
			b->runs = repalloc(b->runs, sizeof(RunStart) * b->maxruns);
		}
		b->runs[b->nruns++] = rs;
		pc->acted = true;
		return true;
	}
	if (!queue_start_run(&rs, &run_id))
		return false;
	pc->acted = true;
	if (item->kind == DISPATCH_SCHEDULED && pc->opts->stats &&
		pc->opts->stats->on_start)
		pc->opts->stats->on_start(item->actual, pc->opts->stats->arg);
	return true;
}

static int
proc_cancel(void *ctx)
{
	Proc	   *pc = (Proc *) ctx;

	return queue_cancel_schedule_runs(pc->row.id, pc->row.created_at,
									  psprintf("canceled by schedule \"%s\" (overlap policy cancel_other)",
											   pc->row.id));
}

static int
proc_terminate(void *ctx)
{
	Proc	   *pc = (Proc *) ctx;

	return queue_terminate_schedule_runs(pc->row.id, pc->row.created_at,
										 psprintf("terminated by schedule \"%s\" (overlap policy terminate_other)",
												  pc->row.id));
}

/*
 * allow_all backfill runs, BATCH_SIZE per statement: the same row that
 * queue_start_run() writes for an untracked start, in one INSERT ... SELECT
 * FROM unnest(), and one NOTIFY per batch (NOTIFY collapses duplicates in a
 * transaction anyway).  A workflow id that has an open run is skipped, as
 * queue_start_run() would refuse it.
 */
typedef struct Batch
{
	MemoryContext cxt;
	int			n;
	Datum		wf[BATCH_SIZE];
	Datum		nominal[BATCH_SIZE];
	Datum		actual[BATCH_SIZE];
} Batch;

static SPIPlanPtr plan_batch;
static SPIPlanPtr plan_notify;

static void
batch_flush(Proc *pc, Batch *b)
{
	static const Oid types[12] = {TEXTOID, TEXTOID, JSONBOID, JSONBOID,
		TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID,
	TIMESTAMPTZARRAYOID, JSONBOID, INT8OID, INT8OID};
	Datum		values[12];
	char		nulls[12];
	SchedRow   *row = &pc->row;
	MemoryContext old;
	uint64		inserted;

	if (b->n == 0)
		return;
	old = MemoryContextSwitchTo(b->cxt);
	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(row->action.workflow);
	values[1] = CStringGetTextDatum(row->action.task_queue);
	values[2] = JsonbPGetDatum(row->action.args);
	values[3] = row->action.memo ? JsonbPGetDatum(row->action.memo) : (Datum) 0;
	nulls[3] = row->action.memo ? ' ' : 'n';
	values[4] = CStringGetTextDatum(row->id);
	/* due now, never ahead of the real clock: as queue_start_run() */
	values[5] = TimestampTzGetDatum(Min(pc->now, GetCurrentTimestamp()));
	values[6] = PointerGetDatum(construct_array(b->wf, b->n, TEXTOID, -1,
												false, TYPALIGN_INT));
	values[7] = PointerGetDatum(construct_array(b->nominal, b->n,
												TIMESTAMPTZOID, 8,
												FLOAT8PASSBYVAL,
												TYPALIGN_DOUBLE));
	values[8] = PointerGetDatum(construct_array(b->actual, b->n,
												TIMESTAMPTZOID, 8,
												FLOAT8PASSBYVAL,
												TYPALIGN_DOUBLE));
	/* the action's retries and timeouts, as queue_start_run() stores them */
	values[9] = row->action.retry_policy ?
		JsonbPGetDatum(row->action.retry_policy) : (Datum) 0;
	nulls[9] = row->action.retry_policy ? ' ' : 'n';
	values[10] = Int64GetDatum(row->action.run_timeout_ms);
	nulls[10] = row->action.run_timeout_ms > 0 ? ' ' : 'n';
	values[11] = Int64GetDatum(row->action.execution_timeout_ms);
	nulls[11] = row->action.execution_timeout_ms > 0 ? ' ' : 'n';
	run_plan(schedule_plan(&plan_batch,
						   "INSERT INTO sched.executions (run_id, workflow_id,"
						   " workflow, task_queue, args, memo, status,"
						   " start_kind, schedule_id, nominal_time,"
						   " scheduled_at, overlap_tracked, due_at,"
						   " retry_policy, run_timeout, execution_timeout,"
						   " run_deadline, execution_deadline, owner)"
						   " SELECT pg_catalog.gen_random_uuid(), u.w, $1, $2,"
						   " $3, $4, 'pending', 'backfill', $5, u.n, u.a,"
						   " false, $6, $10, t.run, t.execution,"
						   " $6 + t.run, $6 + t.execution,"
						   " (SELECT s.owner FROM sched.schedules s"
						   "   WHERE s.schedule_id = $5)"
						   " FROM ROWS FROM (pg_catalog.unnest($7), pg_catalog.unnest($8),"
						   " pg_catalog.unnest($9)) AS u(w, n, a),"
						   " (SELECT pg_catalog.justify_hours($11 * interval '1 millisecond') AS run,"
						   " pg_catalog.justify_hours($12 * interval '1 millisecond') AS execution) t"
						   " ON CONFLICT DO NOTHING",
						   12, types),
			 values, nulls, false, 0);
	inserted = SPI_processed;
	/* their run and execution deadlines are new deadlines */
	if (inserted > 0 && (row->action.run_timeout_ms > 0 ||
						 row->action.execution_timeout_ms > 0))
		scheduler_wake_at_commit();
	if (inserted > 0)
	{
		Oid			ntypes[1] = {TEXTOID};

		run_plan(schedule_plan(&plan_notify,
							   "SELECT pg_catalog.pg_notify('sched_tasks', $1)",
							   1, ntypes),
				 &values[1], NULL, false, 0);
		pc->acted = true;
	}
	pc->ds.num_actions += inserted;
	pc->ds.num_skipped += b->n - inserted;
	MemoryContextSwitchTo(old);
	MemoryContextReset(b->cxt);
	b->n = 0;
}

/*
 * Step 3: feeds backfill cursors in order (a range waits for the ones
 * before it).  Returns how many times it took from them.
 */
static void
proc_feed(Proc *pc, Batch **batch)
{
	SchedRow   *row = &pc->row;
	int64		fed = 0;

	for (int i = 0; i < pc->ncursors; i++)
	{
		Cursor	   *c = &pc->cursors[i];
		TimeIter	it;
		bool		count = pc->opts->count_from_seq > 0 &&
			c->seq >= pc->opts->count_from_seq;

		if (c->done)
			continue;
		iter_seek_actual(&it, &row->spec.spec, row->id, c->next_time);
		for (;;)
		{
			TimestampTz actual;

			if (!it.has || (actual = iter_actual(&it)) > c->end_at)
			{
				c->done = true;
				break;
			}
			if (pc->budget == 0)
			{
				pc->more_work = true;
				break;
			}
			if (c->overlap == DISPATCH_ALLOW_ALL)
			{
				Batch	   *b = *batch;

				if (b == NULL)
				{
					b = *batch = palloc(sizeof(Batch));
					b->n = 0;
					b->cxt = AllocSetContextCreate(CurrentMemoryContext,
												   "pg_sched backfill batch",
												   ALLOCSET_DEFAULT_SIZES);
				}
				else if (b->n == BATCH_SIZE)
					batch_flush(pc, b);
				{
					MemoryContext old = MemoryContextSwitchTo(b->cxt);

					b->wf[b->n] = CStringGetTextDatum(workflow_id(row->action.id,
																  iter_nominal(&it)));
					MemoryContextSwitchTo(old);
				}
				b->nominal[b->n] = TimestampTzGetDatum(iter_nominal(&it));
				b->actual[b->n] = TimestampTzGetDatum(actual);
				b->n++;
			}
			else
			{
				if (pc->held >= DISPATCH_BUFFER_MAX)
					break;		/* blocked until the buffer drains */
				proc_append(pc, iter_nominal(&it), actual, c->overlap,
							DISPATCH_BACKFILL);
			}
			fed++;
			if (count)
				pc->opts->counted++;
			if (pc->budget > 0)
				pc->budget--;
			if ((fed & 0xFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			iter_advance(&it);
		}
		if (!c->done)
		{
			TimestampTz next = iter_actual(&it);

			if (next != c->next_time)
			{
				c->next_time = next;
				c->moved = true;
			}
			break;
		}
	}
	if (*batch)
		batch_flush(pc, *batch);
}

static bool
cursors_left(const Proc *pc)
{
	for (int i = 0; i < pc->ncursors; i++)
		if (!pc->cursors[i].done)
			return true;
	return false;
}

/* ---- writing back ---- */

static SPIPlanPtr plan_buf_delete;
static SPIPlanPtr plan_buf_insert;
static SPIPlanPtr plan_bf_update;
static SPIPlanPtr plan_bf_delete;
static SPIPlanPtr plan_write;

static void
write_row(const RowWrite *w, TimestampTz now)
{
	Oid			types[13] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
		INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, BOOLOID,
	TIMESTAMPTZOID, INT8OID, INT8OID};
	Datum		values[13];
	char		nulls[13];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(w->id);
	values[1] = TimestampTzGetDatum(w->next_nominal);
	nulls[1] = w->has_nominal ? ' ' : 'n';
	values[2] = TimestampTzGetDatum(w->next_due);
	nulls[2] = w->has_due ? ' ' : 'n';
	values[3] = Int64GetDatum(w->remaining);
	values[4] = Int64GetDatum(w->token);
	values[5] = Int64GetDatum(w->num_actions);
	values[6] = Int64GetDatum(w->num_missed);
	values[7] = Int64GetDatum(w->num_skipped);
	values[8] = Int64GetDatum(w->num_dropped);
	values[9] = BoolGetDatum(w->acted);
	values[10] = TimestampTzGetDatum(now);
	values[11] = Int64GetDatum(w->num_paused);
	values[12] = Int64GetDatum(w->num_limit);
	run_plan(schedule_plan(&plan_write,
						   "UPDATE sched.schedules SET next_nominal = $2,"
						   " next_due = $3, remaining_actions = $4,"
						   " conflict_token = $5, num_actions = $6,"
						   " num_actions_missed_catchup_window = $7,"
						   " num_actions_skipped_overlap = $8,"
						   " num_buffer_dropped = $9,"
						   " num_actions_skipped_paused = $12,"
						   " num_actions_skipped_limit = $13,"
						   " last_event_at = CASE WHEN $10 THEN $11"
						   " ELSE last_event_at END"
						   " WHERE schedule_id = $1",
						   13, types),
			 values, nulls, false, 0);
}

static void
proc_write(Proc *pc)
{
	SchedRow   *row = &pc->row;
	Datum		idd = CStringGetTextDatum(row->id);
	int			nnew = 0;
	bool		has_due = false;
	TimestampTz due = 0;
	int64		token = row->token;
	RowWrite	w;

	/* the buffer: stored items that left, then new items still waiting */
	if (pc->ngone > 0)
	{
		Oid			types[2] = {TEXTOID, INT8ARRAYOID};
		Datum		values[2];
		Datum	   *seqs = palloc(sizeof(Datum) * pc->ngone);

		for (int i = 0; i < pc->ngone; i++)
			seqs[i] = Int64GetDatum(pc->gone[i]);
		values[0] = idd;
		values[1] = PointerGetDatum(construct_array(seqs, pc->ngone, INT8OID,
													8, FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		run_plan(schedule_plan(&plan_buf_delete,
							   "DELETE FROM sched.buffer"
							   " WHERE schedule_id = $1 AND seq = ANY ($2)",
							   2, types),
				 values, NULL, false, 0);
	}
	for (int i = 0; i < pc->nitems; i++)
		if (pc->items[i].seq == 0)
			nnew++;
	if (nnew > 0)
	{
		Oid			types[5] = {TEXTOID, TIMESTAMPTZARRAYOID,
		TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
		Datum		values[5];
		Datum	   *nom = palloc(sizeof(Datum) * nnew);
		Datum	   *act = palloc(sizeof(Datum) * nnew);
		Datum	   *ovl = palloc(sizeof(Datum) * nnew);
		Datum	   *knd = palloc(sizeof(Datum) * nnew);
		int			j = 0;

		for (int i = 0; i < pc->nitems; i++)
		{
			DispatchItem *it = &pc->items[i];

			if (it->seq != 0)
				continue;
			nom[j] = TimestampTzGetDatum(it->nominal);
			act[j] = TimestampTzGetDatum(it->actual);
			ovl[j] = CStringGetTextDatum(dispatch_overlap_names[it->overlap]);
			knd[j] = CStringGetTextDatum(dispatch_kind_names[it->kind]);
			j++;
		}
		values[0] = idd;
		values[1] = PointerGetDatum(construct_array(nom, nnew, TIMESTAMPTZOID,
													8, FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		values[2] = PointerGetDatum(construct_array(act, nnew, TIMESTAMPTZOID,
													8, FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		values[3] = PointerGetDatum(construct_array(ovl, nnew, TEXTOID, -1,
													false, TYPALIGN_INT));
		values[4] = PointerGetDatum(construct_array(knd, nnew, TEXTOID, -1,
													false, TYPALIGN_INT));
		/* in order: the identity seq keeps the buffer's order */
		run_plan(schedule_plan(&plan_buf_insert,
							   "INSERT INTO sched.buffer (schedule_id,"
							   " nominal_time, actual_time, overlap, start_kind)"
							   " SELECT $1, u.n, u.a, u.o, u.k"
							   " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
							   " pg_catalog.unnest($4), pg_catalog.unnest($5))"
							   " WITH ORDINALITY AS u(n, a, o, k, i)"
							   " ORDER BY u.i",
							   5, types),
				 values, NULL, false, 0);
	}

	/* backfill cursors */
	for (int i = 0; i < pc->ncursors; i++)
	{
		Cursor	   *c = &pc->cursors[i];
		Oid			types[3] = {TEXTOID, INT8OID, TIMESTAMPTZOID};
		Datum		values[3];

		values[0] = idd;
		values[1] = Int64GetDatum(c->seq);
		values[2] = TimestampTzGetDatum(c->next_time);
		if (c->done)
			run_plan(schedule_plan(&plan_bf_delete,
								   "DELETE FROM sched.backfills"
								   " WHERE schedule_id = $1 AND seq = $2",
								   2, types),
					 values, NULL, false, 0);
		else if (c->moved)
			run_plan(schedule_plan(&plan_bf_update,
								   "UPDATE sched.backfills SET next_time = $3"
								   " WHERE schedule_id = $1 AND seq = $2",
								   3, types),
					 values, NULL, false, 0);
	}

	/* when to look again (see the banner) */
	if (!row->paused && row->has_nominal &&
		!(row->limited && pc->ds.remaining <= 0))
	{
		TimeIter	it;

		iter_at(&it, &row->spec.spec, row->id,
				schedule_ts_to_spec(row->next_nominal));
		has_due = true;
		due = iter_actual(&it);
	}
	if (pc->more_work && (!has_due || due > pc->now))
	{
		has_due = true;
		due = pc->now;
	}
	/* every change of remaining_actions is a change of the schedule */
	if (pc->ds.decremented > 0)
		token = schedule_new_token(token, pc->now);
	pc->opts->conflict_token = token;
	pc->opts->skipped = pc->ds.num_skipped;
	pc->opts->taken = pc->ds.num_taken;
	pc->opts->dropped = pc->dropped;
	pc->opts->overlap = row->policy.overlap;

	w.id = row->id;
	w.has_nominal = row->has_nominal;
	w.next_nominal = row->next_nominal;
	w.has_due = has_due;
	w.next_due = due;
	w.remaining = pc->ds.remaining;
	w.token = token;
	w.num_actions = row->num_actions + pc->ds.num_actions;
	w.num_missed = row->num_missed + pc->missed;
	w.num_skipped = row->num_skipped + pc->ds.num_skipped;
	w.num_dropped = row->num_dropped + pc->dropped;
	w.num_paused = row->num_paused + pc->ds.num_paused;
	w.num_limit = row->num_limit + pc->ds.num_limit;
	w.acted = pc->acted;
	if (pc->batch)
	{
		TickBatch  *b = pc->batch;

		if (b->nrows == b->maxrows)
		{
			b->maxrows *= 2;
			b->rows = repalloc(b->rows, sizeof(RowWrite) * b->maxrows);
		}
		b->rows[b->nrows++] = w;
	}
	else
		write_row(&w, pc->now);

	if (pc->opts->stats)
	{
		pc->opts->stats->started += pc->ds.num_actions;
		pc->opts->stats->skipped += pc->ds.num_skipped;
		pc->opts->stats->missed += pc->missed;
	}

	/* the scheduler sleeps until the earliest next_due: tell it */
	if (has_due != row->has_due || (has_due && due != row->next_due))
	{
		if (pc->batch)
			pc->batch->wake = true;
		else
			scheduler_wake_at_commit();
	}
}

/* Sets up the processing of a loaded row (pc->row). */
static void
proc_init(Proc *pc, ScheduleProcess *opts)
{
	opts->counted = 0;
	pc->opts = opts;
	pc->now = opts->now;
	pc->budget = opts->bounded ? TICK_BACKFILL_BUDGET : -1;
	pc->ds.paused = pc->row.paused;
	pc->ds.limited = pc->row.limited;
	pc->ds.remaining = pc->row.remaining;
	pc->ops.ctx = pc;
	pc->ops.start = proc_start;
	pc->ops.cancel = proc_cancel;
	pc->ops.terminate = proc_terminate;
}

/*
 * Steps 1 to 5 of the banner, on a loaded and locked row whose buffer,
 * backfill cursors and open runs (ds.running) are known.
 */
static void
proc_run(Proc *pc)
{
	Batch	   *batch = NULL;

	proc_catch_up(pc);
	if (pc->opts->trigger)
	{
		/* SEMANTICS.md 2: the trigger time is the nominal time */
		TimestampTz t = schedule_spec_to_ts(schedule_ts_to_spec(pc->now));

		proc_append(pc, t, t,
					pc->opts->has_trigger_overlap ? pc->opts->trigger_overlap :
					pc->row.policy.overlap, DISPATCH_TRIGGER);
	}

	/*
	 * Feed and pass until the backfills are done, the buffer is full of
	 * waiting items (the next run close continues), or the budget is spent.
	 * With room in the buffer and a cursor left, a feed always takes a time
	 * or finishes a cursor, so this ends.
	 */
	for (;;)
	{
		proc_feed(pc, &batch);
		proc_pass(pc);
		if (pc->more_work || !cursors_left(pc) ||
			pc->held >= DISPATCH_BUFFER_MAX)
			break;
		CHECK_FOR_INTERRUPTS();
	}

	proc_write(pc);
}

bool
schedule_process(const char *schedule_id, ScheduleProcess *opts)
{
	Proc		pc;

	memset(&pc, 0, sizeof(pc));
	SPI_connect();
	if (!load_row(schedule_id, &pc.row))
	{
		opts->counted = 0;
		SPI_finish();
		return false;
	}
	proc_init(&pc, opts);
	proc_load_buffer(&pc, true);
	pc.ds.running = queue_schedule_open_runs(schedule_id, pc.row.created_at);
	proc_run(&pc);
	SPI_finish();
	return true;
}

/* ---- schedule.h ---- */

static SPIPlanPtr plan_lock;

bool
schedule_lock(const char *schedule_id)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		found;

	SPI_connect();
	values[0] = CStringGetTextDatum(schedule_id);
	run_plan(schedule_plan(&plan_lock,
						   "SELECT 1 FROM sched.schedules"
						   " WHERE schedule_id = $1 FOR UPDATE",
						   1, types),
			 values, NULL, false, 1);
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

static SPIPlanPtr plan_retry;

/*
 * schedule_process() in a subtransaction: a failing schedule is logged and
 * retried at retry_at instead of failing the caller's transaction.  A query
 * cancel is not swallowed.
 */
typedef struct ProcessArgs
{
	const char *schedule_id;
	ScheduleProcess *opts;
} ProcessArgs;

static void
process_fn(void *arg)
{
	ProcessArgs *a = (ProcessArgs *) arg;

	schedule_process(a->schedule_id, a->opts);
}

static bool
process_guarded(const char *schedule_id, ScheduleProcess *opts,
				TimestampTz retry_at)
{
	ProcessArgs args = {schedule_id, opts};
	ErrorData  *edata = sched_try_subxact(process_fn, &args);
	bool		ok = (edata == NULL);

	if (edata != NULL)
	{
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not process schedule \"%s\": %s",
						schedule_id, edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 errhint("The schedule is tried again at %s.",
						 schedule_format_time(retry_at))));
		FreeErrorData(edata);
		/* sched.scheduler_status().errors */
		if (opts->stats)
			opts->stats->failed++;
	}

	if (!ok)
	{
		Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
		Datum		values[2];

		SPI_connect();
		values[0] = CStringGetTextDatum(schedule_id);
		values[1] = TimestampTzGetDatum(retry_at);
		run_plan(schedule_plan(&plan_retry,
							   "UPDATE sched.schedules SET next_due = $2"
							   " WHERE schedule_id = $1",
							   2, types),
				 values, NULL, false, 0);
		SPI_finish();
	}
	return ok;
}

static SPIPlanPtr plan_closed_info;
static SPIPlanPtr plan_closed_result;
static SPIPlanPtr plan_closed_pause;

void
schedule_run_closed(const char *schedule_id, const char *workflow_id,
					const char *status, const char *message, Jsonb *result)
{
	Oid			types[3] = {TEXTOID, TEXTOID, INT8OID};
	Datum		values[3];
	bool		isnull;
	bool		paused;
	bool		tracked;
	bool		paused_now = false;
	SchedulePolicy policy;
	int64		token;
	TimestampTz now = schedule_clock();
	ScheduleProcess opts;

	SPI_connect();
	values[0] = CStringGetTextDatum(schedule_id);
	values[1] = CStringGetTextDatum(workflow_id);
	run_plan(schedule_plan(&plan_closed_info,
						   "SELECT s.paused, s.policy, s.conflict_token,"
						   " (SELECT bool_or(e.overlap_tracked)"
						   "  FROM sched.executions e"
						   "  WHERE e.workflow_id = $2 AND e.schedule_id = $1"
						   "  AND e.created_at >= s.created_at)"
						   " FROM sched.schedules s WHERE s.schedule_id = $1"
						   " FOR UPDATE OF s",
						   2, types),
			 values, NULL, false, 1);
	/*
	 * Deleted, or deleted and created again since it started this run: its
	 * runs live on alone (SEMANTICS.md 5) and say nothing to the new one.
	 */
	if (SPI_processed == 0)
	{
		SPI_finish();
		return;
	}
	tracked = DatumGetBool(column(0, 4, &isnull));
	if (isnull)
	{
		SPI_finish();
		return;
	}
	paused = DatumGetBool(column(0, 1, &isnull));
	schedule_policy_from_jsonb(DatumGetJsonbP(column(0, 2, &isnull)),
							   "schedule.policy", &policy);
	token = DatumGetInt64(column(0, 3, &isnull));

	if (strcmp(status, "completed") == 0)
	{
		Oid			rtypes[2] = {TEXTOID, JSONBOID};
		char		nulls[2] = {' ', result ? ' ' : 'n'};

		values[1] = result ? JsonbPGetDatum(result) : (Datum) 0;
		run_plan(schedule_plan(&plan_closed_result,
							   "UPDATE sched.schedules"
							   " SET last_completion_result = $2"
							   " WHERE schedule_id = $1",
							   2, rtypes),
				 values, nulls, false, 0);
	}
	else if ((strcmp(status, "failed") == 0 ||
			  strcmp(status, "timed_out") == 0) &&
			 policy.pause_on_failure && !paused)
	{
		/* SEMANTICS.md 3.3; canceled and terminated runs do not pause it */
		char	   *note;

		if (strcmp(status, "failed") == 0)
			note = (message && message[0]) ?
				psprintf("paused due to workflow failure: %s: %s",
						 workflow_id, message) :
				psprintf("paused due to workflow failure: %s", workflow_id);
		else
			note = psprintf("paused due to workflow timeout: %s", workflow_id);
		/* the note is at most 1000 bytes: cut on a character */
		note[pg_mbcliplen(note, strlen(note), SCHEDULE_NOTE_MAX)] = '\0';
		values[1] = CStringGetTextDatum(note);
		values[2] = Int64GetDatum(schedule_new_token(token, now));
		run_plan(schedule_plan(&plan_closed_pause,
							   "UPDATE sched.schedules SET paused = true,"
							   " note = $2, conflict_token = $3"
							   " WHERE schedule_id = $1",
							   3, types),
				 values, NULL, false, 0);
		paused_now = true;
		/* no silent stop: an operator finds it in the log too */
		ereport(LOG,
				(errmsg("pg_sched paused schedule \"%s\": %s", schedule_id, note)));
	}
	SPI_finish();

	/*
	 * SEMANTICS.md 3.1: the buffer is processed at once, not at a tick.  An
	 * allow_all run (untracked) never counted as running, so its close
	 * changes no decision of the buffer: nothing to process, unless its
	 * failure just paused the schedule (whose next_due must go).
	 */
	if (!tracked && !paused_now)
		return;
	memset(&opts, 0, sizeof(opts));
	opts.now = now;
	opts.bounded = true;
	process_guarded(schedule_id, &opts, now);
}

/* ---- the tick ---- */

static Datum
make_array(Datum *elems, bool *nulls, int n, Oid type)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  type, typlen, typbyval,
											  typalign));
}

static Datum
interval_or_null(int64 usecs, bool *isnull)
{
	Interval   *iv = palloc0(sizeof(Interval));

	/* as queue_start_run() stores timeouts */
	iv->day = (int32) (usecs / USECS_PER_DAY);
	iv->time = usecs % USECS_PER_DAY;
	*isnull = usecs <= 0;
	return IntervalPGetDatum(iv);
}

static SPIPlanPtr plan_batch_runs;

/*
 * The batch's runs: the rows queue_start_run() writes for scheduled,
 * pending starts, in one INSERT ... SELECT FROM unnest().  Every one must
 * start: a refused one (its workflow id has an open run, say) fails the
 * batch with a unique violation, and the tick does the batch again
 * schedule by schedule, where queue_start_run() counts a refused start as
 * skipped.  Without ON CONFLICT, the insert does not probe each unique
 * index twice (speculative insertion), which was a tenth of a fire's time.
 */
static void
batch_insert_runs(TickBatch *b, TimestampTz now)
{
	enum
	{
		WF, TYPE, QUEUE, ARGS, MEMO, KIND, SCHED, NOMINAL, ACTUAL, TRACKED,
		LAST, RETRY, RUN_TO, EXEC_TO, OWNER, NCOLS
	};
	static const Oid elem_types[NCOLS] = {TEXTOID, TEXTOID, TEXTOID,
		JSONBOID, JSONBOID, TEXTOID, TEXTOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, BOOLOID, JSONBOID, JSONBOID, INTERVALOID,
	INTERVALOID, TEXTOID};
	Oid			types[NCOLS + 2];
	Datum		values[NCOLS + 2];
	Datum	   *cols[NCOLS];
	bool	   *nulls[NCOLS];
	const char *last_queue = NULL;
	int			n = b->nruns;

	if (n == 0)
		return;
	for (int c = 0; c < NCOLS; c++)
	{
		cols[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}
	for (int i = 0; i < n; i++)
	{
		const RunStart *rs = &b->runs[i];

		cols[WF][i] = CStringGetTextDatum(rs->workflow_id);
		cols[TYPE][i] = CStringGetTextDatum(rs->workflow);
		cols[QUEUE][i] = CStringGetTextDatum(rs->task_queue);
		cols[ARGS][i] = PointerGetDatum(rs->args);
		nulls[ARGS][i] = rs->args == NULL;
		cols[MEMO][i] = PointerGetDatum(rs->memo);
		nulls[MEMO][i] = rs->memo == NULL;
		cols[KIND][i] = CStringGetTextDatum(rs->start_kind);
		cols[SCHED][i] = CStringGetTextDatum(rs->schedule_id);
		cols[NOMINAL][i] = TimestampTzGetDatum(rs->nominal_time);
		cols[ACTUAL][i] = TimestampTzGetDatum(rs->scheduled_at);
		cols[TRACKED][i] = BoolGetDatum(rs->overlap_tracked);
		cols[LAST][i] = PointerGetDatum(rs->last_completion_result);
		nulls[LAST][i] = rs->last_completion_result == NULL;
		cols[RETRY][i] = PointerGetDatum(rs->retry_policy);
		nulls[RETRY][i] = rs->retry_policy == NULL;
		cols[RUN_TO][i] = interval_or_null(rs->run_timeout_us,
										   &nulls[RUN_TO][i]);
		cols[EXEC_TO][i] = interval_or_null(rs->execution_timeout_us,
											&nulls[EXEC_TO][i]);
		cols[OWNER][i] = PointerGetDatum(NULL);
		nulls[OWNER][i] = rs->owner == NULL;
		if (rs->owner)
			cols[OWNER][i] = CStringGetTextDatum(rs->owner);
		/* a deadline is a new deadline for the scheduler */
		if (rs->run_timeout_us > 0 || rs->execution_timeout_us > 0)
			b->wake = true;
		/* NOTIFY keeps one of each payload per transaction anyway */
		if (last_queue == NULL || strcmp(last_queue, rs->task_queue) != 0)
			Async_Notify(QUEUE_NOTIFY_CHANNEL, rs->task_queue);
		last_queue = rs->task_queue;
	}
	/* due now, never ahead of the real clock: as queue_start_run() */
	types[0] = TIMESTAMPTZOID;
	values[0] = TimestampTzGetDatum(Min(now, GetCurrentTimestamp()));
	for (int c = 0; c < NCOLS; c++)
	{
		types[c + 1] = get_array_type(elem_types[c]);
		values[c + 1] = make_array(cols[c], nulls[c], n, elem_types[c]);
	}
	/* created now, not when a batch prepared ahead of time began */
	types[NCOLS + 1] = TIMESTAMPTZOID;
	values[NCOLS + 1] = TimestampTzGetDatum(GetCurrentTimestamp());
	run_plan(schedule_plan(&plan_batch_runs,
						   "INSERT INTO sched.executions"
						   " (run_id, workflow_id, workflow, task_queue, args,"
						   " memo, start_kind, schedule_id, nominal_time,"
						   " scheduled_at, overlap_tracked,"
						   " last_completion_result, due_at, status,"
						   " retry_policy, run_timeout, execution_timeout,"
						   " run_deadline, execution_deadline, owner,"
						   " created_at)"
						   " SELECT pg_catalog.gen_random_uuid(), u.wf, u.w,"
						   " u.q, coalesce(u.a, '[]'::jsonb), u.m, u.k, u.s,"
						   " u.n, u.sa, u.t, u.l, $1, 'pending', u.r, u.rt,"
						   " u.et, $1 + u.rt, $1 + u.et,"
						   " coalesce(u.o::name, current_user), $17"
						   " FROM ROWS FROM (pg_catalog.unnest($2),"
						   " pg_catalog.unnest($3), pg_catalog.unnest($4),"
						   " pg_catalog.unnest($5), pg_catalog.unnest($6),"
						   " pg_catalog.unnest($7), pg_catalog.unnest($8),"
						   " pg_catalog.unnest($9), pg_catalog.unnest($10),"
						   " pg_catalog.unnest($11), pg_catalog.unnest($12),"
						   " pg_catalog.unnest($13), pg_catalog.unnest($14),"
						   " pg_catalog.unnest($15), pg_catalog.unnest($16))"
						   " AS u(wf, w, q, a, m, k, s, n, sa, t, l, r, rt, et, o)",
						   NCOLS + 2, types),
			 values, NULL, false, 0);
}

static SPIPlanPtr plan_batch_rows;

/* The batch's rows: proc_write()'s UPDATE, for every schedule at once. */
static void
batch_write_rows(TickBatch *b, TimestampTz now)
{
	enum
	{
		ID, NOMINAL, DUE, REMAINING, TOKEN, ACTIONS, MISSED, SKIPPED,
		DROPPED, ACTED, PAUSED, LIMIT, NCOLS
	};
	static const Oid elem_types[NCOLS] = {TEXTOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
	INT8OID, BOOLOID, INT8OID, INT8OID};
	Oid			types[NCOLS + 1];
	Datum		values[NCOLS + 1];
	Datum	   *cols[NCOLS];
	bool	   *nulls[NCOLS];
	int			n = b->nrows;

	if (n == 0)
		return;
	for (int c = 0; c < NCOLS; c++)
	{
		cols[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}
	for (int i = 0; i < n; i++)
	{
		const RowWrite *w = &b->rows[i];

		cols[ID][i] = CStringGetTextDatum(w->id);
		cols[NOMINAL][i] = TimestampTzGetDatum(w->next_nominal);
		nulls[NOMINAL][i] = !w->has_nominal;
		cols[DUE][i] = TimestampTzGetDatum(w->next_due);
		nulls[DUE][i] = !w->has_due;
		cols[REMAINING][i] = Int64GetDatum(w->remaining);
		cols[TOKEN][i] = Int64GetDatum(w->token);
		cols[ACTIONS][i] = Int64GetDatum(w->num_actions);
		cols[MISSED][i] = Int64GetDatum(w->num_missed);
		cols[SKIPPED][i] = Int64GetDatum(w->num_skipped);
		cols[DROPPED][i] = Int64GetDatum(w->num_dropped);
		cols[ACTED][i] = BoolGetDatum(w->acted);
		cols[PAUSED][i] = Int64GetDatum(w->num_paused);
		cols[LIMIT][i] = Int64GetDatum(w->num_limit);
	}
	types[0] = TIMESTAMPTZOID;
	values[0] = TimestampTzGetDatum(now);
	for (int c = 0; c < NCOLS; c++)
	{
		types[c + 1] = get_array_type(elem_types[c]);
		values[c + 1] = make_array(cols[c], nulls[c], n, elem_types[c]);
	}
	run_plan(schedule_plan(&plan_batch_rows,
						   "UPDATE sched.schedules s SET next_nominal = u.nn,"
						   " next_due = u.nd, remaining_actions = u.rem,"
						   " conflict_token = u.tok, num_actions = u.na,"
						   " num_actions_missed_catchup_window = u.nm,"
						   " num_actions_skipped_overlap = u.ns,"
						   " num_buffer_dropped = u.ndr,"
						   " num_actions_skipped_paused = u.np,"
						   " num_actions_skipped_limit = u.nl,"
						   " last_event_at = CASE WHEN u.acted THEN $1"
						   " ELSE s.last_event_at END"
						   " FROM ROWS FROM (pg_catalog.unnest($2),"
						   " pg_catalog.unnest($3), pg_catalog.unnest($4),"
						   " pg_catalog.unnest($5), pg_catalog.unnest($6),"
						   " pg_catalog.unnest($7), pg_catalog.unnest($8),"
						   " pg_catalog.unnest($9), pg_catalog.unnest($10),"
						   " pg_catalog.unnest($11), pg_catalog.unnest($12),"
						   " pg_catalog.unnest($13))"
						   " AS u(id, nn, nd, rem, tok, na, nm, ns, ndr, acted,"
						   " np, nl)"
						   " WHERE s.schedule_id = u.id",
						   NCOLS + 1, types),
			 values, NULL, false, 0);
	if (SPI_processed != (uint64) n)
		elog(ERROR, "a locked schedule of the batch was not updated");
}

/* The longest a prepared batch waits for its time, holding its rows. */
#define MAX_PREPARED_WAIT_MS	100

/*
 * Waits until schedule_clock() reaches t: a batch prepared ahead of its due
 * time is written at that time, not before.  The batch's schedules are
 * locked meanwhile, so nothing can change what was decided for them (a run
 * closing locks its schedule first).  Bounded, so that a clock stepping
 * back cannot hold the locks.
 */
static void
wait_for_clock(TimestampTz t)
{
	TimestampTz start = GetCurrentTimestamp();

	for (;;)
	{
		TimestampTz clock = schedule_clock();
		TimestampTz real = GetCurrentTimestamp();
		long		ms;

		if (clock >= t || real - start >= MAX_PREPARED_WAIT_MS * 1000 ||
			real < start)
			return;
		ms = (long) Min((t - clock + 999) / 1000, MAX_PREPARED_WAIT_MS);
		(void) WaitLatch(MyLatch, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
						 PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
	}
}

/* The due schedules of a tick (columns of the tick's query, below). */
typedef struct TickArgs
{
	SPITupleTable *tt;
	int			n;
	TimestampTz now;
	ScheduleTickStats *stats;	/* the caller's; added to on success */
} TickArgs;

#define TICK_COL_ID			1
#define TICK_COL_ROW		2
#define TICK_COL_STORED		(TICK_COL_ROW + SCHED_ROW_NCOLUMNS)
#define TICK_COL_RUNNING	(TICK_COL_STORED + 1)

/*
 * The batch path of the tick, in one subtransaction: every schedule is
 * processed as schedule_process() would, but its starts and its row are
 * collected and written for the whole batch at the end.  What it did is
 * added to the tick's statistics only once it all succeeded.
 */
static void
tick_batch(void *arg)
{
	TickArgs   *a = (TickArgs *) arg;
	SPITupleTable *tt = a->tt;
	TickBatch	b;
	ScheduleTickStats stats;
	TimestampTz started = GetCurrentTimestamp();

	memset(&b, 0, sizeof(b));
	memset(&stats, 0, sizeof(stats));
	SPI_connect();
	b.maxruns = Max(a->n, 8);
	b.runs = palloc(sizeof(RunStart) * b.maxruns);
	b.maxrows = Max(a->n, 8);
	b.rows = palloc(sizeof(RowWrite) * b.maxrows);
	for (int i = 0; i < a->n; i++)
	{
		Proc		pc;
		ScheduleProcess opts;
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		memset(&pc, 0, sizeof(pc));
		memset(&opts, 0, sizeof(opts));
		opts.now = a->now;
		opts.bounded = true;
		opts.stats = &stats;
		row_from_spi(&pc.row,
					 TextDatumGetCString(SPI_getbinval(tt->vals[i], tt->tupdesc,
													   TICK_COL_ID, &isnull)),
					 tt, i, TICK_COL_ROW);
		proc_init(&pc, &opts);
		pc.batch = &b;
		proc_load_buffer(&pc,
						 DatumGetBool(SPI_getbinval(tt->vals[i], tt->tupdesc,
													TICK_COL_STORED, &isnull)));
		pc.ds.running = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc,
													TICK_COL_RUNNING, &isnull));
		proc_run(&pc);
	}
	stats.prepare_us = GetCurrentTimestamp() - started;
	wait_for_clock(a->now);
	batch_insert_runs(&b, a->now);
	batch_write_rows(&b, a->now);
	if (b.wake)
		scheduler_wake_at_commit();

	/* before SPI_finish(), which frees the batch */
	if (a->stats)
	{
		a->stats->started += stats.started;
		a->stats->skipped += stats.skipped;
		a->stats->missed += stats.missed;
		a->stats->prepare_us = Max(a->stats->prepare_us, stats.prepare_us);
		if (a->stats->on_start)
			for (int i = 0; i < b.nruns; i++)
				if (strcmp(b.runs[i].start_kind, "schedule") == 0)
					a->stats->on_start(b.runs[i].scheduled_at, a->stats->arg);
	}
	SPI_finish();
}

static SPIPlanPtr plan_tick;

/*
 * The tick: locks the due schedules, oldest due first, skipping those that
 * someone else holds, and reads in the same statement all that processing
 * them needs (their rows; whether they have a buffer or backfill cursors
 * to load; how many tracked runs of theirs are open).  Then processes them
 * as a batch (tick_batch), which is what makes a large fire cost about what
 * inserting its runs costs.  If the batch fails, be it a schedule whose
 * stored documents no longer read, or a start refused, it is rolled back
 * and the schedules are processed one by one, each in a subtransaction of
 * its own (process_guarded), so that only a failing schedule is logged,
 * skipped and retried later.  The row locks were taken before the batch's
 * subtransaction, so they survive its rollback.
 */
int
schedule_tick(TimestampTz now, int max_schedules, ScheduleTickStats *stats)
{
	Oid			types[2] = {TIMESTAMPTZOID, INT4OID};
	Datum		values[2];
	TickArgs	args;
	ErrorData  *edata;
	int			n;

	SPI_connect();
	values[0] = TimestampTzGetDatum(now);
	values[1] = Int32GetDatum(max_schedules);
	run_plan(schedule_plan(&plan_tick,
						   "SELECT s.schedule_id, " SCHED_ROW_COLUMNS ","
						   " EXISTS (SELECT 1 FROM sched.buffer b"
						   "  WHERE b.schedule_id = s.schedule_id)"
						   " OR EXISTS (SELECT 1 FROM sched.backfills f"
						   "  WHERE f.schedule_id = s.schedule_id),"
						   " (SELECT count(*)::integer FROM sched.executions e"
						   "  WHERE e.schedule_id = s.schedule_id"
						   "  AND e." QUEUE_OPEN_TRACKED
						   "  AND e.created_at >= s.created_at)"
						   " FROM sched.schedules s WHERE s.next_due <= $1"
						   " ORDER BY s.next_due LIMIT $2"
						   " FOR UPDATE OF s SKIP LOCKED",
						   2, types),
			 values, NULL, false, 0);
	n = (int) SPI_processed;
	if (n == 0)
	{
		SPI_finish();
		return 0;
	}

	args.tt = SPI_tuptable;
	args.n = n;
	args.now = now;
	args.stats = stats;
	edata = sched_try_subxact(tick_batch, &args);
	if (edata != NULL)
	{
		ereport(DEBUG1,
				(errmsg_internal("processing %d schedules one by one: %s",
								 n, edata->message)));
		FreeErrorData(edata);
		wait_for_clock(now);
		for (int i = 0; i < n; i++)
		{
			ScheduleProcess opts;
			bool		isnull;
			char	   *id = TextDatumGetCString(SPI_getbinval(args.tt->vals[i],
															   args.tt->tupdesc,
															   TICK_COL_ID,
															   &isnull));

			CHECK_FOR_INTERRUPTS();
			memset(&opts, 0, sizeof(opts));
			opts.now = now;
			opts.bounded = true;
			opts.stats = stats;
			process_guarded(id, &opts, now + RETRY_AFTER_USECS);
		}
	}
	SPI_finish();
	return n;
}

static SPIPlanPtr plan_next_due;

TimestampTz
schedule_next_due(TimestampTz after)
{
	TimestampTz due = DT_NOEND;
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1] = {TimestampTzGetDatum(after)};

	SPI_connect();
	run_plan(schedule_plan(&plan_next_due,
						   "SELECT next_due FROM sched.schedules"
						   " WHERE next_due > $1"
						   " ORDER BY next_due LIMIT 1",
						   1, types),
			 values, NULL, false, 1);
	if (SPI_processed > 0)
	{
		bool		isnull;

		due = DatumGetTimestampTz(column(0, 1, &isnull));
	}
	SPI_finish();
	return due;
}

static SPIPlanPtr plan_purge;

int
schedule_purge_exhausted(TimestampTz now)
{
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	int			n;

	/*
	 * SEMANTICS.md 4: nothing left to do (spec exhausted, or limited with 0
	 * remaining), not paused, empty buffer, no backfill left, and the last
	 * event older than the retention.  next_due IS NULL holds for all of
	 * them, which the partial index schedules_idle serves.  Rows locked by
	 * someone are left for the next sweep; FOR UPDATE rechecks the row's
	 * own conditions, and every change of buffer or backfills also moves
	 * last_event_at under the same lock.
	 */
	SPI_connect();
	values[0] = TimestampTzGetDatum(now -
									(int64) pg_sched_schedule_retention * USECS_PER_SEC);
	run_plan(schedule_plan(&plan_purge,
						   "DELETE FROM sched.schedules WHERE schedule_id IN ("
						   " SELECT s.schedule_id FROM sched.schedules s"
						   " WHERE s.next_due IS NULL AND NOT s.paused"
						   " AND s.last_event_at < $1"
						   " AND (s.next_nominal IS NULL OR"
						   " (s.limited_actions AND s.remaining_actions = 0))"
						   " AND NOT EXISTS (SELECT 1 FROM sched.buffer b"
						   " WHERE b.schedule_id = s.schedule_id)"
						   " AND NOT EXISTS (SELECT 1 FROM sched.backfills f"
						   " WHERE f.schedule_id = s.schedule_id)"
						   " ORDER BY s.last_event_at LIMIT 1000"
						   " FOR UPDATE SKIP LOCKED)",
						   1, types),
			 values, NULL, false, 0);
	n = (int) SPI_processed;
	SPI_finish();
	return n;
}
