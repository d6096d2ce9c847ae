/*-------------------------------------------------------------------------
 *
 * schedule_process.c
 *	  Processing one schedule: the core that the scheduler's tick
 *	  (schedule_tick.c), trigger, backfill, create/update/pause/unpause and
 *	  a run's close (run_close.c) all share; the schedule's lock and its
 *	  reaction to a run's close.
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
 *		(limited and no remaining action left for it); then the catch-up
 *		mode decides the late ones (more than 10 s behind now): all act,
 *		none counts them as missed, latest acts on the most recent only
 *		(README "Catch-up modes").  A paused schedule does not look at its
 *		times: they are neither caught up nor counted, and unpause restarts
 *		the cursor after now, unless it replays the paused period with a
 *		mode (opts->has_catchup_mode), which it does by calling this core.
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
 * times to act on and MAX_MISSED_PER_CALL to count as missed; the cursor
 * then stays in the past, so next_due stays due and the scheduler comes
 * back to it after serving the others.  The scheduler's
 * calls also feed at most TICK_BACKFILL_BUDGET backfill times (leaving
 * next_due = now); SQL calls (sched.backfill) feed all that the policies
 * allow at once.
 *
 * Lock order (schedule, then runs): every path here locks the schedule's
 * row first (FOR UPDATE) and only then inserts or updates its runs through
 * run_store.c; run_close.c locks the schedule (schedule_lock) before it
 * touches a run that has one.  Each path locks one schedule at a time, except the
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

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
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
#include "run_store.h"
#include "sched_clock.h"
#include "schedule_json.h"
#include "schedule_process.h"
#include "sched_wake.h"
#include "spi_query.h"
#include "subxact.h"

/* Due nominal times one call takes at most (catch-up), and missed ones. */
#define MAX_TIMES_PER_CALL		10000
#define MAX_MISSED_PER_CALL		1000000
/* Backfill times one scheduler call feeds at most. */
#define TICK_BACKFILL_BUDGET	10000
/* allow_all backfill runs inserted per statement. */
#define BATCH_SIZE				10000
/* A schedule whose processing failed is retried after this long. */
#define RETRY_AFTER_USECS		(60 * USECS_PER_SEC)

static Datum
column(int row, int col, bool *isnull)
{
	return spi_datum(row, col, isnull);
}

void
schedule_not_found(const char *schedule_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("schedule \"%s\" does not exist", schedule_id)));
}

/* ---- time ---- */

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

/*
 * "<action id>-<nominal time as RFC 3339 UTC to the second>" by default;
 * the id as given with keep_original_workflow_id; the time in the action's
 * id_time_format otherwise (schedule_json.c).
 */
static char *
workflow_id(const ScheduleAction *a, TimestampTz nominal)
{
	char		buf[SPEC_TIME_TEXT_LEN];
	const char *action_id = a->id;
	size_t		idlen = strlen(action_id);
	size_t		tlen;
	char	   *id;

	if (a->keep_original_workflow_id)
		return pstrdup(action_id);
	if (a->id_time_format != NULL)
		return psprintf("%s-%s", action_id,
						schedule_format_id_time(a->id_time_format, nominal));
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
	TimestampTz created_at;		/* this incarnation of the id (schedule_process.h) */
	const char *owner;			/* its runs belong to the schedule's owner */
	Jsonb	   *last_failure;	/* of the schedule's last failed run */
} SchedRow;


/*
 * Reads SCHEDULE_ROW_COLUMNS from a tuple, starting at column "first".
 * The documents were checked when they were stored; reading them again
 * checks them again (a bad row fails its schedule only).  policy: the
 * policy already decoded from this row, or NULL.
 */
static void
row_from_tuple(SchedRow *row, const char *id, HeapTuple tup, TupleDesc desc,
			   int first, const SchedulePolicy *policy)
{
	bool		isnull;
	Datum		d;
	int			c = first;

#define column(r, c, n) SPI_getbinval(tup, desc, c, n)

	memset(row, 0, sizeof(*row));
	row->id = id;
	spec_from_jsonb(DatumGetJsonbP(column(tupno, c++, &isnull)),
					"schedule.spec", &row->spec);
	schedule_action_from_jsonb(DatumGetJsonbP(column(tupno, c++, &isnull)),
							   "schedule.action", &row->action);
	if (policy != NULL)
	{
		row->policy = *policy;
		c++;
	}
	else
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
	d = column(tupno, c++, &isnull);
	row->last_failure = isnull ? NULL : DatumGetJsonbP(d);
#undef column
}

static SpiQuery plan_load;

static bool
load_row(const char *id, SchedRow *row)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	values[0] = CStringGetTextDatum(id);
	spi_run_sql(&plan_load,
						   "SELECT " SCHEDULE_ROW_COLUMNS
						   " FROM sched.schedules s WHERE s.schedule_id = $1"
						   " FOR UPDATE",
						   1, types,
			 values, NULL, false, 1);
	if (SPI_processed == 0)
		return false;
	row_from_tuple(row, id, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
				   NULL);
	return true;
}

/* ---- the processing of one schedule ---- */

/*
 * What an item carries beside what dispatch.c sees (DispatchItem.tag
 * indexes Proc.extras; 0: nothing): a trigger's or backfill's overrides
 * of the action's args and memo, whether it is this call's trigger, and
 * whether it counts for this call's backfill (count_from_seq).
 */
typedef struct ItemExtra
{
	Jsonb	   *args;			/* NULL: the action's */
	Jsonb	   *memo;
	bool		trigger;
	bool		counted;
	DispatchFate fate;			/* the trigger's, when it left the buffer */
} ItemExtra;

typedef struct Cursor
{
	int64		seq;
	TimestampTz next_time;		/* first actual time not yet fed */
	TimestampTz end_at;
	DispatchOverlap overlap;
	bool		done;			/* range exhausted: delete it */
	bool		moved;			/* next_time changed: write it */
	int32		tag;			/* its items' ItemExtra (overrides, counted) */
} Cursor;

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
	ScheduleBatch *batch;		/* the tick's batch; NULL: write at once */
	ItemExtra  *extras;			/* [0] unused */
	int			nextras;
	int			maxextras;
} Proc;

/* A new ItemExtra; returns its tag. */
static int32
proc_extra(Proc *pc, Jsonb *args, Jsonb *memo)
{
	ItemExtra  *x;

	if (pc->maxextras == 0)
	{
		pc->maxextras = 8;
		pc->extras = palloc0(sizeof(ItemExtra) * pc->maxextras);
		pc->nextras = 1;
	}
	else if (pc->nextras == pc->maxextras)
	{
		pc->maxextras *= 2;
		pc->extras = repalloc(pc->extras, sizeof(ItemExtra) * pc->maxextras);
	}
	x = &pc->extras[pc->nextras];
	memset(x, 0, sizeof(*x));
	x->args = args;
	x->memo = memo;
	x->fate = DISPATCH_KEEP;
	return pc->nextras++;
}

static ItemExtra *
item_extra(Proc *pc, const DispatchItem *it)
{
	return it->tag > 0 ? &pc->extras[it->tag] : NULL;
}

static void
proc_append(Proc *pc, TimestampTz nominal, TimestampTz actual,
			DispatchOverlap overlap, DispatchKind kind, int32 tag)
{
	DispatchItem *it;

	if (!dispatch_buffer_accepts(overlap, pc->held))
	{
		pc->dropped++;
		if (tag > 0)
		{
			pc->extras[tag].fate = DISPATCH_SKIPPED;
			if (pc->extras[tag].counted)
				pc->opts->bf_skipped++;
		}
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
	it->tag = tag;
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
			ItemExtra  *x = item_extra(pc, it);

			if (x != NULL && x->trigger)
				x->fate = it->fate;
			if (x != NULL && x->counted)
			{
				if (it->fate == DISPATCH_STARTED)
					pc->opts->bf_started++;
				else
					pc->opts->bf_skipped++;
			}
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

static SpiQuery plan_buffer;
static SpiQuery plan_backfills;

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
	spi_run_sql(&plan_buffer,
						   "SELECT seq, nominal_time, actual_time, overlap,"
						   " start_kind, args, memo FROM sched.buffer"
						   " WHERE schedule_id = $1 ORDER BY seq",
						   1, types,
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
		it->tag = 0;
		{
			Jsonb	   *args = spi_jsonb(i, 6);
			Jsonb	   *memo = spi_jsonb(i, 7);

			if (args != NULL || memo != NULL)
				it->tag = proc_extra(pc, args, memo);
		}
	}
	proc_compact(pc);

	values[0] = CStringGetTextDatum(pc->row.id);
	spi_run_sql(&plan_backfills,
						   "SELECT seq, next_time, end_at, overlap, args, memo"
						   " FROM sched.backfills"
						   " WHERE schedule_id = $1 ORDER BY seq",
						   1, types,
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
		{
			Jsonb	   *args = spi_jsonb(i, 5);
			Jsonb	   *memo = spi_jsonb(i, 6);
			bool		counted = pc->opts->count_from_seq > 0 &&
				c->seq >= pc->opts->count_from_seq;

			if (args != NULL || memo != NULL || counted)
			{
				c->tag = proc_extra(pc, args, memo);
				pc->extras[c->tag].counted = counted;
			}
		}
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
	DispatchCatchup mode = pc->opts->has_catchup_mode ?
		pc->opts->catchup_mode : row->policy.catchup_mode;
	bool		stopped = false;

	/* latest: the most recent late time so far, not yet appended */
	bool		has_late = false;
	TimestampTz late_nominal = 0;
	TimestampTz late_actual = 0;

	if (row->paused || !row->has_nominal)
		return;
	for (iter_at(&it, &row->spec.spec, row->id,
				 schedule_ts_to_spec(row->next_nominal));
		 it.has; iter_advance(&it))
	{
		TimestampTz actual = iter_actual(&it);

		DispatchTimeClass class;
		bool		late;

		if (actual > pc->now)
			break;
		class = dispatch_classify_time(actual, pc->now, window, row->limited,
									   pc->ds.remaining,
									   pc->buffered_scheduled);
		/* README "Catch-up modes": late = more than 10 s behind now */
		late = class == DISPATCH_TIME_ACT && mode != DISPATCH_CATCHUP_ALL &&
			pc->now - actual > (int64) DISPATCH_ON_TIME_MS * 1000;

		/*
		 * A missed time costs one step of the engine and a count, so it has
		 * a budget of its own, a hundred times larger: after an outage of a
		 * year, a schedule with a short window walks its 31.5 million
		 * missed seconds in 32 calls instead of 3,150, and fires its window
		 * within seconds instead of an hour.  Late times that the mode does
		 * not fire (at once) cost the same.
		 */
		if (class == DISPATCH_TIME_MISSED || late ?
			missed_n++ >= MAX_MISSED_PER_CALL :
			n++ >= MAX_TIMES_PER_CALL)
		{
			/* the cursor stays due: the scheduler comes back for the rest */
			stopped = true;
			break;
		}
		if (late)
		{
			/* none: missed; latest: the previous late one is missed */
			if (mode == DISPATCH_CATCHUP_NONE || has_late)
				pc->missed++;
			if (mode == DISPATCH_CATCHUP_LATEST)
			{
				has_late = true;
				late_nominal = iter_nominal(&it);
				late_actual = actual;
			}
			continue;
		}
		switch (class)
		{
			case DISPATCH_TIME_ACT:
				/* an on-time time follows the late one: it is not the latest */
				if (has_late)
				{
					pc->missed++;
					has_late = false;
				}
				if (!dispatch_buffer_accepts(row->policy.overlap, pc->held))
					proc_pass(pc);
				proc_append(pc, iter_nominal(&it), actual,
							row->policy.overlap, DISPATCH_SCHEDULED, 0);
				break;
			case DISPATCH_TIME_MISSED:
				pc->missed++;
				break;
			case DISPATCH_TIME_PASS:
				pc->ds.num_limit++;
				break;
		}
	}
	if (has_late && stopped)
	{
		/*
		 * Only later calls know whether it is the latest: the cursor goes
		 * back to it (it was not counted), so it is neither lost nor fired
		 * twice.
		 */
		row->has_nominal = true;
		row->next_nominal = late_nominal;
		pc->opts->catchup_left = true;
		return;
	}
	if (has_late)
	{
		if (!dispatch_buffer_accepts(row->policy.overlap, pc->held))
			proc_pass(pc);
		proc_append(pc, late_nominal, late_actual, row->policy.overlap,
					DISPATCH_SCHEDULED, 0);
	}
	if (stopped)
		pc->opts->catchup_left = true;
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
	rs.workflow_id = workflow_id(&row->action, item->nominal);
	rs.workflow = row->action.workflow;
	rs.task_queue = row->action.task_queue;
	rs.args = row->action.args;
	rs.memo = row->action.memo;
	if (item->tag > 0)
	{
		ItemExtra  *x = &pc->extras[item->tag];

		/* a trigger's or backfill's overrides of the action */
		if (x->args)
			rs.args = x->args;
		if (x->memo)
			rs.memo = x->memo;
	}
	rs.start_kind = dispatch_kind_names[item->kind];
	rs.schedule_id = row->id;
	rs.nominal_time = item->nominal;
	rs.scheduled_at = item->actual;
	rs.overlap_tracked = tracked;
	/* SEMANTICS.md 2: every run but allow_all ones gets the last result */
	rs.last_completion_result = tracked ? row->last_result : NULL;
	/* and the last failure, as Temporal's ContinuedFailure */
	rs.last_failure = tracked ? row->last_failure : NULL;
	rs.due_at = pc->now;
	rs.pending = true;
	/* the action's retries and timeouts (run_close.c enforces them) */
	rs.retry_policy = row->action.retry_policy;
	rs.run_timeout_us = row->action.run_timeout_ms * 1000;
	rs.execution_timeout_us = row->action.execution_timeout_ms * 1000;
	rs.owner = row->owner;
	if (pc->batch)
	{
		/*
		 * Written with the batch (run_store_start_batch): assumed to start, and
		 * if one of them does not, the batch is done again schedule by
		 * schedule, where a refused start counts as skipped.
		 */
		ScheduleBatch  *b = pc->batch;

		if (b->nruns == b->maxruns)
		{
			b->maxruns *= 2;
			b->runs = repalloc(b->runs, sizeof(RunStart) * b->maxruns);
		}
		b->runs[b->nruns++] = rs;
		pc->acted = true;
		return true;
	}
	if (!run_store_start(&rs, &run_id))
		return false;
	pc->acted = true;
	if (item->tag > 0 && pc->extras[item->tag].trigger)
	{
		/* outlives SPI's memory: the caller returns it */
		pc->opts->trigger_run_id = run_id;
		pc->opts->trigger_workflow_id = MemoryContextStrdup(TopTransactionContext,
															rs.workflow_id);
	}
	if (item->kind == DISPATCH_SCHEDULED && pc->opts->stats &&
		pc->opts->stats->on_start)
		pc->opts->stats->on_start(item->actual, pc->opts->stats->arg);
	return true;
}

static int
proc_cancel(void *ctx)
{
	Proc	   *pc = (Proc *) ctx;

	return run_store_cancel_schedule_runs(pc->row.id, pc->row.created_at,
									  psprintf("canceled by schedule \"%s\" (overlap policy cancel_other)",
											   pc->row.id));
}

static int
proc_terminate(void *ctx)
{
	Proc	   *pc = (Proc *) ctx;

	return run_store_terminate_schedule_runs(pc->row.id, pc->row.created_at,
										 psprintf("terminated by schedule \"%s\" (overlap policy terminate_other)",
												  pc->row.id));
}

/*
 * allow_all backfill runs, BATCH_SIZE per statement
 * (run_store_start_backfill).  A workflow id that has an open run is
 * skipped, as run_store_start() would refuse it.
 */
typedef struct Batch
{
	MemoryContext cxt;
	int32		tag;			/* the cursor's ItemExtra, as its items' */
	int			n;
	Datum		wf[BATCH_SIZE];
	Datum		nominal[BATCH_SIZE];
	Datum		actual[BATCH_SIZE];
} Batch;

static void
batch_flush(Proc *pc, Batch *b)
{
	SchedRow   *row = &pc->row;
	MemoryContext old;
	RunStart	proto;
	uint64		inserted;

	if (b->n == 0)
		return;
	old = MemoryContextSwitchTo(b->cxt);
	memset(&proto, 0, sizeof(proto));
	proto.workflow = row->action.workflow;
	proto.task_queue = row->action.task_queue;
	proto.args = row->action.args;
	proto.memo = row->action.memo;
	if (b->tag > 0 && pc->extras[b->tag].args)
		proto.args = pc->extras[b->tag].args;
	if (b->tag > 0 && pc->extras[b->tag].memo)
		proto.memo = pc->extras[b->tag].memo;
	proto.schedule_id = row->id;
	proto.due_at = pc->now;
	proto.retry_policy = row->action.retry_policy;
	proto.run_timeout_us = row->action.run_timeout_ms * 1000;
	proto.execution_timeout_us = row->action.execution_timeout_ms * 1000;
	proto.owner = row->owner;
	inserted = run_store_start_backfill(&proto, b->wf, b->nominal, b->actual,
										b->n);
	if (inserted > 0)
		pc->acted = true;
	pc->ds.num_actions += inserted;
	pc->ds.num_skipped += b->n - inserted;
	if (b->tag > 0 && pc->extras[b->tag].counted)
	{
		pc->opts->bf_started += inserted;
		pc->opts->bf_skipped += b->n - inserted;
	}
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
					b->tag = c->tag;
					b->cxt = AllocSetContextCreate(CurrentMemoryContext,
												   "pg_sched backfill batch",
												   ALLOCSET_DEFAULT_SIZES);
				}
				else if (b->n == BATCH_SIZE || b->tag != c->tag)
				{
					/* one statement per cursor's overrides */
					batch_flush(pc, b);
					b->tag = c->tag;
				}
				{
					MemoryContext old = MemoryContextSwitchTo(b->cxt);

					b->wf[b->n] = CStringGetTextDatum(workflow_id(&row->action,
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
							DISPATCH_BACKFILL, c->tag);
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

static SpiQuery plan_buf_delete;
static SpiQuery plan_buf_insert;
static SpiQuery plan_bf_update;
static SpiQuery plan_bf_delete;
static SpiQuery plan_write;

static void
write_row(const ScheduleRowWrite *w, TimestampTz now)
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
	spi_run_sql(&plan_write,
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
						   13, types,
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
	ScheduleRowWrite	w;

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
		spi_run_sql(&plan_buf_delete,
							   "DELETE FROM sched.buffer"
							   " WHERE schedule_id = $1 AND seq = ANY ($2)",
							   2, types,
				 values, NULL, false, 0);
	}
	for (int i = 0; i < pc->nitems; i++)
		if (pc->items[i].seq == 0)
			nnew++;
	if (nnew > 0)
	{
		Oid			types[7] = {TEXTOID, TIMESTAMPTZARRAYOID,
			TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID, JSONBARRAYOID,
		JSONBARRAYOID};
		Datum		values[7];
		Datum	   *nom = palloc(sizeof(Datum) * nnew);
		Datum	   *act = palloc(sizeof(Datum) * nnew);
		Datum	   *ovl = palloc(sizeof(Datum) * nnew);
		Datum	   *knd = palloc(sizeof(Datum) * nnew);
		Datum	   *oargs = palloc0(sizeof(Datum) * nnew);
		bool	   *nargs = palloc(sizeof(bool) * nnew);
		Datum	   *omemo = palloc0(sizeof(Datum) * nnew);
		bool	   *nmemo = palloc(sizeof(bool) * nnew);
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
			{
				ItemExtra  *x = item_extra(pc, it);

				nargs[j] = x == NULL || x->args == NULL;
				if (!nargs[j])
					oargs[j] = JsonbPGetDatum(x->args);
				nmemo[j] = x == NULL || x->memo == NULL;
				if (!nmemo[j])
					omemo[j] = JsonbPGetDatum(x->memo);
			}
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
		values[5] = spi_array(oargs, nargs, nnew, JSONBOID);
		values[6] = spi_array(omemo, nmemo, nnew, JSONBOID);
		/* in order: the identity seq keeps the buffer's order */
		spi_run_sql(&plan_buf_insert,
							   "INSERT INTO sched.buffer (schedule_id,"
							   " nominal_time, actual_time, overlap, start_kind,"
							   " args, memo)"
							   " SELECT $1, u.n, u.a, u.o, u.k, u.ar, u.m"
							   " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
							   " pg_catalog.unnest($4), pg_catalog.unnest($5),"
							   " pg_catalog.unnest($6), pg_catalog.unnest($7))"
							   " WITH ORDINALITY AS u(n, a, o, k, ar, m, i)"
							   " ORDER BY u.i",
							   7, types,
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
			spi_run_sql(&plan_bf_delete,
								   "DELETE FROM sched.backfills"
								   " WHERE schedule_id = $1 AND seq = $2",
								   2, types,
					 values, NULL, false, 0);
		else if (c->moved)
			spi_run_sql(&plan_bf_update,
								   "UPDATE sched.backfills SET next_time = $3"
								   " WHERE schedule_id = $1 AND seq = $2",
								   3, types,
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
		ScheduleBatch  *b = pc->batch;

		if (b->nrows == b->maxrows)
		{
			b->maxrows *= 2;
			b->rows = repalloc(b->rows, sizeof(ScheduleRowWrite) * b->maxrows);
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
	opts->bf_started = opts->bf_buffered = opts->bf_skipped = 0;
	opts->trigger_fate = DISPATCH_KEEP;
	opts->trigger_workflow_id = NULL;
	opts->catchup_left = false;
	pc->opts = opts;
	pc->now = opts->now;
	pc->budget = opts->bounded ? TICK_BACKFILL_BUDGET : -1;
	pc->ds.paused = pc->row.paused;
	pc->ds.limit = pc->row.policy.concurrency_limit;
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
		/*
		 * SEMANTICS.md 2: the trigger time is the nominal time: now, or the
		 * scheduled_time given (Temporal's TriggerImmediatelyRequest), to
		 * the second as every nominal time.
		 */
		TimestampTz t = schedule_spec_to_ts(schedule_ts_to_spec(pc->opts->has_trigger_time ?
															   pc->opts->trigger_time :
															   pc->now));
		int32		tag = proc_extra(pc, pc->opts->trigger_args,
									 pc->opts->trigger_memo);

		pc->extras[tag].trigger = true;
		pc->opts->trigger_nominal = t;
		proc_append(pc, t, t,
					pc->opts->has_trigger_overlap ? pc->opts->trigger_overlap :
					pc->row.policy.overlap, DISPATCH_TRIGGER, tag);
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

	/* what this call's trigger and backfill items became */
	for (int i = 0; i < pc->nitems; i++)
	{
		ItemExtra  *x = item_extra(pc, &pc->items[i]);

		if (x != NULL && x->counted)
			pc->opts->bf_buffered++;
	}
	for (int i = 1; i < pc->nextras; i++)
		if (pc->extras[i].trigger)
			pc->opts->trigger_fate = pc->extras[i].fate;

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
	pc.ds.running = run_store_schedule_open_runs(schedule_id, pc.row.created_at);
	proc_run(&pc);
	SPI_finish();
	return true;
}


/*
 * One row of the tick's batch (schedule_tick.c): processed as
 * schedule_process() would, its starts and its row collected into batch.
 */
void
schedule_process_batched(const char *schedule_id, HeapTuple tup,
						 TupleDesc desc, int first, bool stored, int running,
						 ScheduleProcess *opts, ScheduleBatch *batch)
{
	Proc		pc;

	memset(&pc, 0, sizeof(pc));
	row_from_tuple(&pc.row, schedule_id, tup, desc, first, NULL);
	proc_init(&pc, opts);
	pc.batch = batch;
	proc_load_buffer(&pc, stored);
	pc.ds.running = running;
	proc_run(&pc);
}

/* ---- the schedule's lock ---- */

/* A locked schedule: its row as read under the lock. */
struct ScheduleLock
{
	char	   *id;
	MemoryContext cxt;			/* of the caller of schedule_lock() */
	HeapTuple	tuple;			/* SCHEDULE_ROW_COLUMNS */
	TupleDesc	desc;
	bool		stale;			/* written since: read again before use */
};

static SpiQuery q_lock = {
	.sql = "SELECT " SCHEDULE_ROW_COLUMNS
	" FROM sched.schedules s WHERE s.schedule_id = $1 FOR UPDATE",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

/*
 * The timeouts' lock: without the wait (run_store.c's banner).  No row: the
 * schedule is locked by someone else, or it no longer exists, which
 * q_exists tells apart.
 */
static SpiQuery q_try_lock = {
	.sql = "SELECT " SCHEDULE_ROW_COLUMNS
	" FROM sched.schedules s WHERE s.schedule_id = $1 FOR UPDATE SKIP LOCKED",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

static SpiQuery q_exists = {
	.sql = "SELECT 1 FROM sched.schedules WHERE schedule_id = $1",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

/* Locks (or re-reads) sl's row with q; false: no row. */
static bool
lock_read(ScheduleLock *sl, SpiQuery *q)
{
	Datum		values[1];
	MemoryContext old = MemoryContextSwitchTo(sl->cxt);
	bool		found;

	values[0] = CStringGetTextDatum(sl->id);
	SPI_connect();
	found = spi_run(q, values, NULL, false, 1) > 0;
	if (found)
	{
		/* SPI_copytuple copies into sl->cxt, the context of SPI_connect */
		if (sl->tuple)
			heap_freetuple(sl->tuple);
		sl->tuple = SPI_copytuple(SPI_tuptable->vals[0]);
		if (sl->desc == NULL)
		{
			MemoryContext spi = MemoryContextSwitchTo(sl->cxt);

			sl->desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
			MemoryContextSwitchTo(spi);
		}
	}
	SPI_finish();
	MemoryContextSwitchTo(old);
	sl->stale = false;
	return found;
}

static ScheduleLock *
lock_new(const char *schedule_id)
{
	ScheduleLock *sl = palloc0(sizeof(ScheduleLock));

	sl->id = pstrdup(schedule_id);
	sl->cxt = CurrentMemoryContext;
	return sl;
}

ScheduleLock *
schedule_lock(const char *schedule_id)
{
	ScheduleLock *sl = lock_new(schedule_id);

	if (lock_read(sl, &q_lock))
		return sl;
	pfree(sl);
	return NULL;
}

/*
 * A batch's schedules in one statement, in the order of their ids as bytes
 * (strcmp, the order in which every batch locks them), the row read under
 * the lock as schedule_lock() reads it (with the id as one more column
 * after SCHEDULE_ROW_COLUMNS).
 */
static SpiQuery q_lock_many = {
	.generic = true,
	.sql = "SELECT " SCHEDULE_ROW_COLUMNS ", s.schedule_id"
	" FROM sched.schedules s WHERE s.schedule_id = ANY ($1)"
	" ORDER BY s.schedule_id COLLATE \"C\" FOR UPDATE",
	.nargs = 1,
	.argtypes = {TEXTARRAYOID},
};

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

void
schedule_lock_many(char **ids, int n, ScheduleLock **out)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	Datum		values[1];
	MemoryContext cxt = CurrentMemoryContext;
	uint64		nrows;

	for (int i = 0; i < n; i++)
	{
		elems[i] = CStringGetTextDatum(ids[i]);
		out[i] = NULL;
	}
	if (n == 0)
		return;
	values[0] = spi_array(elems, NULL, n, TEXTOID);
	SPI_connect();
	nrows = spi_run(&q_lock_many, values, NULL, false, 0);
	for (uint64 r = 0; r < nrows; r++)
	{
		char	   *id = spi_text(r, SCHEDULE_ROW_NCOLUMNS + 1);
		char	  **hit = bsearch(&id, ids, n, sizeof(char *), id_cmp);
		MemoryContext spi;
		ScheduleLock *sl;

		if (hit == NULL)
			continue;
		spi = MemoryContextSwitchTo(cxt);
		sl = lock_new(id);
		sl->tuple = heap_copytuple(SPI_tuptable->vals[r]);
		sl->desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
		MemoryContextSwitchTo(spi);
		out[hit - ids] = sl;
	}
	SPI_finish();
}

ScheduleLock *
schedule_try_lock(const char *schedule_id, bool *exists)
{
	ScheduleLock *sl = lock_new(schedule_id);
	Datum		values[1];

	if (lock_read(sl, &q_try_lock))
	{
		*exists = true;
		return sl;
	}
	values[0] = CStringGetTextDatum(schedule_id);
	SPI_connect();
	*exists = spi_run(&q_exists, values, NULL, false, 1) > 0;
	SPI_finish();
	pfree(sl);
	return NULL;
}

void
schedule_lock_reread(ScheduleLock *sl)
{
	sl->stale = true;
}

void
schedule_lock_free(ScheduleLock *sl)
{
	if (sl->tuple)
		heap_freetuple(sl->tuple);
	if (sl->desc)
		FreeTupleDesc(sl->desc);
	pfree(sl->id);
	pfree(sl);
}

/* ---- processing in a subtransaction ---- */

static SpiQuery q_retry_at;

/*
 * The processing of a locked schedule, from its row as read under the lock
 * (or, without one, schedule_process() loading it).  "paused",
 * "last_result" and "token": what the close changed in the row meanwhile.
 */
typedef struct ProcessArgs
{
	const char *schedule_id;
	ScheduleProcess *opts;
	ScheduleLock *sl;			/* NULL: load the row */
	const SchedulePolicy *policy;
	bool		paused;
	bool		set_last_result;
	Jsonb	   *last_result;
	bool		set_last_failure;
	Jsonb	   *last_failure;
	int64		token;
} ProcessArgs;

static void
process_fn(void *arg)
{
	ProcessArgs *a = (ProcessArgs *) arg;
	Proc		pc;

	if (a->sl == NULL)
	{
		schedule_process(a->schedule_id, a->opts);
		return;
	}
	memset(&pc, 0, sizeof(pc));
	SPI_connect();
	row_from_tuple(&pc.row, a->sl->id, a->sl->tuple, a->sl->desc, 1,
				   a->policy);
	pc.row.paused = a->paused;
	pc.row.token = a->token;
	if (a->set_last_result)
		pc.row.last_result = a->last_result;
	if (a->set_last_failure)
		pc.row.last_failure = a->last_failure;
	proc_init(&pc, a->opts);
	proc_load_buffer(&pc, true);
	pc.ds.running = run_store_schedule_open_runs(pc.row.id,
												 pc.row.created_at);
	proc_run(&pc);
	SPI_finish();
}

/*
 * process_fn() in a subtransaction: a failing schedule is logged and
 * retried at retry_at instead of failing the caller's transaction.  A query
 * cancel is not swallowed.
 */
static bool
process_guarded_args(ProcessArgs *args, TimestampTz retry_at)
{
	ErrorData  *edata = sched_try_subxact(process_fn, args);
	bool		ok = (edata == NULL);

	if (edata != NULL)
	{
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not process schedule \"%s\": %s",
						args->schedule_id, edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 errhint("The schedule is tried again at %s.",
						 schedule_format_time(retry_at))));
		FreeErrorData(edata);
		/* sched.scheduler_status().errors */
		if (args->opts->stats)
			args->opts->stats->failed++;
	}

	if (!ok)
	{
		Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
		Datum		values[2];

		SPI_connect();
		values[0] = CStringGetTextDatum(args->schedule_id);
		values[1] = TimestampTzGetDatum(retry_at);
		spi_run_sql(&q_retry_at,
					"UPDATE sched.schedules SET next_due = $2"
					" WHERE schedule_id = $1",
					2, types, values, NULL, false, 0);
		SPI_finish();
	}
	return ok;
}

bool
schedule_process_guarded(const char *schedule_id, ScheduleProcess *opts,
						 TimestampTz retry_at)
{
	ProcessArgs args;

	memset(&args, 0, sizeof(args));
	args.schedule_id = schedule_id;
	args.opts = opts;
	return process_guarded_args(&args, retry_at);
}

/* ---- a run's close ---- */

/*
 * Which of the closed runs (schedule id, workflow id) belong to the
 * schedule's present incarnation (created at or after $3's time), and
 * whether any run of each was tracked by the overlap policy.  The schedule
 * is compared with IS NOT DISTINCT FROM (never NULL here) so that the
 * plan looks the runs up by workflow id (executions_workflow_id), not among
 * all of the schedule's runs.  These statements of a batch keep their
 * generic plan (nested loops over the arrays, by index): a custom plan
 * would be made again at every close, for the arrays' lengths.
 */
static SpiQuery q_closed_tracked = {
	.generic = true,
	.sql =
	"SELECT u.s, u.w, bool_or(e.overlap_tracked)"
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
	"                  pg_catalog.unnest($3)) AS u(s, w, c)"
	"  JOIN sched.executions e"
	"    ON e.workflow_id = u.w AND e.created_at >= u.c"
	"   AND e.schedule_id IS NOT DISTINCT FROM u.s"
	" GROUP BY u.s, u.w",
	.nargs = 3,
	.argtypes = {TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID},
};

/*
 * The last completion results and last failures of a batch's schedules, in
 * one statement: c says whether the result is set; the failure is always
 * the one left (a completion clears it, Temporal's ContinuedFailure).
 */
static SpiQuery q_closed_results = {
	.generic = true,
	.sql =
	"UPDATE sched.schedules s"
	"   SET last_completion_result = CASE WHEN u.c THEN u.r"
	"                                ELSE s.last_completion_result END,"
	"       last_failure = u.f"
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
	"                  pg_catalog.unnest($3), pg_catalog.unnest($4))"
	"       AS u(id, c, r, f)"
	" WHERE s.schedule_id = u.id",
	.nargs = 4,
	.argtypes = {TEXTARRAYOID, BOOLARRAYOID, JSONBARRAYOID, JSONBARRAYOID},
};

static SpiQuery q_closed_pause = {
	.sql =
	"UPDATE sched.schedules SET paused = true, note = $2, conflict_token = $3"
	" WHERE schedule_id = $1",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, INT8OID},
};

/* The columns of SCHEDULE_ROW_COLUMNS that a close reads. */
#define COL_POLICY		3
#define COL_PAUSED		4
#define COL_TOKEN		8
#define COL_CREATED_AT	17

void
schedule_run_closed(ScheduleLock *sl, const char *workflow_id,
					const char *status, const char *message, Jsonb *result,
					Jsonb *failure)
{
	ScheduleClosedRun run;

	run.workflow_id = workflow_id;
	run.status = status;
	run.message = message;
	run.result = result;
	run.failure = failure;
	schedule_runs_closed(sl, &run, 1);
}

/*
 * The reaction to n closes at once, as n reactions one after the other
 * would leave the schedule: the last completion result is the latest
 * completed run's, the first failure that finds the schedule running
 * pauses it (pause_on_failure, with its note), and the buffer is processed
 * once, after all of them (a run started by an earlier one-at-a-time
 * reaction would be tracked and running, and hold back the later ones the
 * same way).
 */
void
schedule_runs_closed(ScheduleLock *sl, const ScheduleClosedRun *runs, int n)
{
	schedule_runs_closed_many(&sl, &runs, &n, 1);
}

/* What one schedule's closes of a batch decide (schedule_runs_closed_many). */
typedef struct ClosedDecision
{
	bool	   *counts;			/* per run: of the present incarnation */
	bool		tracked;		/* one of them was tracked */
	bool		completed;		/* one of them completed: result is the latest */
	Jsonb	   *result;
	bool		failure_set;	/* last_failure changes: to failure */
	Jsonb	   *failure;
	bool		paused_now;
	bool		paused;
	int64		token;
} ClosedDecision;

void
schedule_runs_closed_many(ScheduleLock **sls, const ScheduleClosedRun **runs,
						  const int *nruns, int nsl)
{
	ClosedDecision *dec = palloc0(sizeof(ClosedDecision) * Max(nsl, 1));
	TimestampTz now = schedule_clock();
	int			total = 0;
	int			m = 0;
	int			nwritten = 0;
	Datum	   *sids;
	Datum	   *wids;
	Datum	   *cats;
	Datum	   *fails;
	bool	   *rnulls;
	bool	   *fnulls;
	Datum		values[3];
	bool		isnull;
	uint64		nrows;
	SchedulePolicy *policies = palloc0(sizeof(SchedulePolicy) * Max(nsl, 1));
	char	  **sorted = palloc(sizeof(char *) * Max(nsl, 1));
	int		   *order = palloc(sizeof(int) * Max(nsl, 1));

	for (int k = 0; k < nsl; k++)
		total += (sls[k] && nruns[k] > 0) ? nruns[k] : 0;
	if (total == 0)
		return;
	sids = palloc(sizeof(Datum) * total);
	wids = palloc(sizeof(Datum) * total);
	cats = palloc(sizeof(Datum) * total);
	fails = palloc(sizeof(Datum) * total);
	rnulls = palloc(sizeof(bool) * total);
	fnulls = palloc(sizeof(bool) * total);
	for (int k = 0; k < nsl; k++)
	{
		ScheduleLock *sl = sls[k];

		if (sl == NULL || nruns[k] <= 0)
			continue;
		if (sl->stale && !lock_read(sl, &q_lock))
		{
			sls[k] = NULL;		/* deleted meanwhile: nothing to react */
			continue;
		}
		dec[k].counts = palloc0(sizeof(bool) * nruns[k]);
		dec[k].paused = DatumGetBool(heap_getattr(sl->tuple, COL_PAUSED,
												  sl->desc, &isnull));
		dec[k].token = DatumGetInt64(heap_getattr(sl->tuple, COL_TOKEN,
												  sl->desc, &isnull));
		for (int i = 0; i < nruns[k]; i++)
		{
			sids[m] = CStringGetTextDatum(sl->id);
			wids[m] = CStringGetTextDatum(runs[k][i].workflow_id);
			cats[m++] = heap_getattr(sl->tuple, COL_CREATED_AT, sl->desc,
									 &isnull);
		}
	}
	if (m == 0)
		return;

	/* the schedules by id, to find the rows of the query's answer */
	for (int k = 0; k < nsl; k++)
		order[k] = k;
	for (int k = 1; k < nsl; k++)
		for (int j = k; j > 0; j--)
		{
			const char *a = sls[order[j - 1]] ? sls[order[j - 1]]->id : "";
			const char *b = sls[order[j]] ? sls[order[j]]->id : "";
			int			t;

			if (strcmp(a, b) <= 0)
				break;
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int k = 0; k < nsl; k++)
		sorted[k] = sls[order[k]] ? sls[order[k]]->id : "";

	SPI_connect();
	values[0] = spi_array(sids, NULL, m, TEXTOID);
	values[1] = spi_array(wids, NULL, m, TEXTOID);
	values[2] = spi_array(cats, NULL, m, TIMESTAMPTZOID);
	nrows = spi_run(&q_closed_tracked, values, NULL, false, 0);

	/*
	 * A run whose workflow id has no run in this incarnation: the schedule
	 * was deleted and created again since it started it; its runs live on
	 * alone (SEMANTICS.md 5) and say nothing to the new one.
	 */
	for (uint64 r = 0; r < nrows; r++)
	{
		char	   *sid = spi_text(r, 1);
		char	   *wf = spi_text(r, 2);
		bool		t = DatumGetBool(spi_datum(r, 3, &isnull));
		char	  **hit = bsearch(&sid, sorted, nsl, sizeof(char *), id_cmp);
		int			k;

		if (hit == NULL)
			continue;
		/* ids are distinct: the one schedule of that id */
		k = order[hit - sorted];
		for (int i = 0; i < nruns[k]; i++)
			if (strcmp(runs[k][i].workflow_id, wf) == 0)
			{
				dec[k].counts[i] = true;
				dec[k].tracked |= t;
			}
	}

	for (int k = 0; k < nsl; k++)
	{
		ScheduleLock *sl = sls[k];
		ClosedDecision *d = &dec[k];

		if (sl == NULL || d->counts == NULL)
			continue;
		schedule_policy_from_jsonb(DatumGetJsonbP(heap_getattr(sl->tuple,
															   COL_POLICY,
															   sl->desc,
															   &isnull)),
								   "schedule.policy", &policies[k]);
		for (int i = 0; i < nruns[k]; i++)
		{
			const ScheduleClosedRun *run = &runs[k][i];

			if (!d->counts[i])
				continue;
			if (strcmp(run->status, "completed") == 0)
			{
				d->completed = true;
				d->result = run->result;
				d->failure_set = true;
				d->failure = NULL;
			}
			else if (run->failure != NULL)
			{
				d->failure_set = true;
				d->failure = run->failure;
			}
			if ((strcmp(run->status, "failed") == 0 ||
					  strcmp(run->status, "timed_out") == 0) &&
					 policies[k].pause_on_failure && !d->paused)
			{
				/* SEMANTICS.md 3.3; canceled and terminated runs do not pause it */
				char	   *note;

				if (strcmp(run->status, "failed") == 0)
					note = (run->message && run->message[0]) ?
						psprintf("paused due to workflow failure: %s: %s",
								 run->workflow_id, run->message) :
						psprintf("paused due to workflow failure: %s",
								 run->workflow_id);
				else
					note = psprintf("paused due to workflow timeout: %s",
									run->workflow_id);
				/* the note is at most 1000 bytes: cut on a character */
				note[pg_mbcliplen(note, strlen(note), SCHEDULE_NOTE_MAX)] = '\0';
				d->token = schedule_new_token(d->token, now);
				values[0] = CStringGetTextDatum(sl->id);
				values[1] = CStringGetTextDatum(note);
				values[2] = Int64GetDatum(d->token);
				spi_run(&q_closed_pause, values, NULL, false, 0);
				d->paused = true;
				d->paused_now = true;
				sl->stale = true;
				/* no silent stop: an operator finds it in the log too */
				ereport(LOG,
						(errmsg("pg_sched paused schedule \"%s\": %s", sl->id,
								note)));
			}
		}
		if (d->completed || d->failure_set)
		{
			/* the arrays of the run look-up are free again: reused */
			sids[nwritten] = CStringGetTextDatum(sl->id);
			wids[nwritten] = BoolGetDatum(d->completed);
			cats[nwritten] = d->result ? JsonbPGetDatum(d->result) : (Datum) 0;
			fails[nwritten] = d->failure ? JsonbPGetDatum(d->failure) : (Datum) 0;
			rnulls[nwritten] = d->result == NULL;
			fnulls[nwritten] = d->failure == NULL;
			nwritten++;
			sl->stale = true;
		}
	}
	if (nwritten > 0)
	{
		Datum		rvalues[4];

		rvalues[0] = spi_array(sids, NULL, nwritten, TEXTOID);
		rvalues[1] = spi_array(wids, NULL, nwritten, BOOLOID);
		rvalues[2] = spi_array(cats, rnulls, nwritten, JSONBOID);
		rvalues[3] = spi_array(fails, fnulls, nwritten, JSONBOID);
		spi_run(&q_closed_results, rvalues, NULL, false, 0);
	}
	SPI_finish();

	/*
	 * SEMANTICS.md 3.1: the buffer is processed at once, not at a tick.  An
	 * allow_all run (untracked) never counted as running, so its close
	 * changes no decision of the buffer: nothing to process, unless a
	 * failure just paused the schedule (whose next_due must go).  The
	 * processing starts from the row read under the lock, with what these
	 * closes changed in it.
	 */
	for (int k = 0; k < nsl; k++)
	{
		ScheduleProcess opts;
		ProcessArgs args;

		if (sls[k] == NULL || dec[k].counts == NULL ||
			(!dec[k].tracked && !dec[k].paused_now))
			continue;
		memset(&opts, 0, sizeof(opts));
		opts.now = now;
		opts.bounded = true;
		memset(&args, 0, sizeof(args));
		args.schedule_id = sls[k]->id;
		args.opts = &opts;
		args.sl = sls[k];
		args.policy = &policies[k];
		args.paused = dec[k].paused;
		args.token = dec[k].token;
		args.set_last_result = dec[k].completed;
		args.last_result = dec[k].result;
		args.set_last_failure = dec[k].failure_set;
		args.last_failure = dec[k].failure;
		process_guarded_args(&args, now);
		sls[k]->stale = true;
	}
}
