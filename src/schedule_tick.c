/*-------------------------------------------------------------------------
 *
 * schedule_tick.c
 *	  The scheduler's tick over schedules: the due schedules locked and read
 *	  by one statement, processed as a batch (schedule_process.c) and
 *	  written by one INSERT of their runs (run_store.c) and one UPDATE of
 *	  their rows; the earliest next_due; the purge of exhausted schedules.
 *
 * A large fire costs about what inserting its runs costs (bench/README.md,
 * figure 2).  A batch that fails is rolled back and done again schedule by
 * schedule, each in a subtransaction: a schedule that fails is logged,
 * rolled back alone and retried a minute later, and never stops the
 * others.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "run_store.h"
#include "sched_clock.h"
#include "schedule_process.h"
#include "schedule_tick.h"
#include "sched_guc.h"
#include "sched_wake.h"
#include "spi_query.h"
#include "subxact.h"

/* A schedule whose processing failed is retried after this long. */
#define RETRY_AFTER_USECS		(60 * USECS_PER_SEC)

static Datum
column(int row, int col, bool *isnull)
{
	return spi_datum(row, col, isnull);
}

static SpiQuery plan_batch_rows;

/* The batch's rows: proc_write()'s UPDATE, for every schedule at once. */
static void
batch_write_rows(ScheduleBatch *b, TimestampTz now)
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
		const ScheduleRowWrite *w = &b->rows[i];

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
		values[c + 1] = spi_array(cols[c], nulls[c], n, elem_types[c]);
	}
	spi_run_sql(&plan_batch_rows,
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
						   NCOLS + 1, types,
			 values, NULL, false, 0);
	if (SPI_processed != (uint64) n)
		elog(ERROR, "a locked schedule of the batch was not updated");
}

/* The longest a prepared batch waits for its time, holding its rows. */
#define MAX_PREPARED_WAIT_MS	100

/*
 * Waits until schedule_clock() reaches t: a batch prepared (and written)
 * ahead of its due time commits at that time, not before.  The batch's
 * schedules are locked meanwhile, so nothing can change what was decided
 * for them (a run closing locks its schedule first).  Bounded, so that a clock stepping
 * back cannot hold the locks.
 */
static void
wait_for_clock(TimestampTz t)
{
	TimestampTz start = sched_real_now();

	for (;;)
	{
		TimestampTz clock = schedule_clock();
		TimestampTz real = sched_real_now();
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

/*
 * The real time at which a batch due at t (schedules' clock) counts as
 * written: now, or if it is written ahead, when the schedules' clock
 * reaches t, which is when wait_for_clock() lets it commit (at most
 * MAX_PREPARED_WAIT_MS ahead).  The runs' created_at and due_at: a run is
 * never created before its actual time (it is invisible until then).
 */
static TimestampTz
written_at(TimestampTz t)
{
	TimestampTz real = sched_real_now();
	TimestampTz due_real = t - (schedule_clock() - real);

	return Max(real, Min(due_real, real + MAX_PREPARED_WAIT_MS * 1000));
}

/* The due schedules of a tick (columns of the tick's query, below). */
typedef struct TickArgs
{
	SPITupleTable *tt;
	int			n;
	TimestampTz now;
	ScheduleTickStats *stats;	/* the caller's; added to on success */
	int			done;			/* out: the schedules the batch processed */
} TickArgs;

/* A batch takes no further schedule once it holds this many runs. */
#define TICK_BATCH_MAX_RUNS	10000

#define TICK_COL_ID			1
#define TICK_COL_ROW		2
#define TICK_COL_STORED		(TICK_COL_ROW + SCHEDULE_ROW_NCOLUMNS)
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
	ScheduleBatch	b;
	ScheduleTickStats stats;
	bool		deadlines;
	TimestampTz started = sched_real_now();

	memset(&b, 0, sizeof(b));
	memset(&stats, 0, sizeof(stats));
	SPI_connect();
	b.maxruns = Max(a->n, 8);
	b.runs = palloc(sizeof(RunStart) * b.maxruns);
	b.maxrows = Max(a->n, 8);
	b.rows = palloc(sizeof(ScheduleRowWrite) * b.maxrows);
	for (int i = 0; i < a->n; i++)
	{
		ScheduleProcess opts;
		bool		isnull;

		/*
		 * The batch holds its runs in memory until one INSERT writes them:
		 * after an outage every schedule may bring up to 10,000 catch-up
		 * times, so the batch stops taking schedules at TICK_BATCH_MAX_RUNS
		 * (the scheduler's memory is bounded by it, not by the outage or
		 * the number of schedules).  The schedules left stay due, locked
		 * until this transaction ends, and the next tick, at once, takes
		 * them.
		 */
		if (b.nruns >= TICK_BATCH_MAX_RUNS)
			break;
		a->done = i + 1;
		CHECK_FOR_INTERRUPTS();
		memset(&opts, 0, sizeof(opts));
		opts.now = a->now;
		opts.bounded = true;
		opts.stats = &stats;
		schedule_process_batched(TextDatumGetCString(SPI_getbinval(tt->vals[i],
																   tt->tupdesc,
																   TICK_COL_ID,
																   &isnull)),
								 tt->vals[i], tt->tupdesc, TICK_COL_ROW,
								 DatumGetBool(SPI_getbinval(tt->vals[i],
															tt->tupdesc,
															TICK_COL_STORED,
															&isnull)),
								 DatumGetInt32(SPI_getbinval(tt->vals[i],
															 tt->tupdesc,
															 TICK_COL_RUNNING,
															 &isnull)),
								 &opts, &b);
	}

	/*
	 * The batch is written before the clock reaches its time, and committed
	 * when it does: nobody sees the runs or the rows before the commit (the
	 * schedules are locked, the runs are new), so what is left after the
	 * due time is the commit alone, not the INSERT and the UPDATE of a
	 * large fire (figure 3).  The scheduler wakes ahead by what all of
	 * this took last time (prepare_us, at most MAX_PREPARED_WAIT_MS).
	 */
	run_store_start_batch(b.runs, b.nruns, a->now, written_at(a->now),
						  &deadlines);
	batch_write_rows(&b, a->now);
	if (b.wake || deadlines)
		scheduler_wake_at_commit();
	stats.prepare_us = sched_real_now() - started;
	wait_for_clock(a->now);

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

static SpiQuery plan_tick;

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
	spi_run_sql(&plan_tick,
						   "SELECT s.schedule_id, " SCHEDULE_ROW_COLUMNS ","
						   " EXISTS (SELECT 1 FROM sched.buffer b"
						   "  WHERE b.schedule_id = s.schedule_id)"
						   " OR EXISTS (SELECT 1 FROM sched.backfills f"
						   "  WHERE f.schedule_id = s.schedule_id),"
						   " (SELECT count(*)::integer FROM sched.executions e"
						   "  WHERE e.schedule_id = s.schedule_id"
						   "  AND e." RUN_OPEN_TRACKED
						   "  AND e.created_at >= s.created_at)"
						   " FROM sched.schedules s WHERE s.next_due <= $1"
						   " ORDER BY s.next_due LIMIT $2"
						   " FOR UPDATE OF s SKIP LOCKED",
						   2, types,
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
	args.done = 0;
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
			schedule_process_guarded(id, &opts, now + RETRY_AFTER_USECS);
		}
	}
	else
		n = args.done;
	SPI_finish();
	return n;
}

static SpiQuery plan_next_due;

TimestampTz
schedule_next_due(TimestampTz after)
{
	TimestampTz due = DT_NOEND;
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1] = {TimestampTzGetDatum(after)};

	SPI_connect();
	spi_run_sql(&plan_next_due,
				"SELECT next_due FROM sched.schedules"
				" WHERE next_due > $1"
				" ORDER BY next_due LIMIT 1",
				1, types, values, NULL, false, 1);
	if (SPI_processed > 0)
	{
		bool		isnull;

		due = DatumGetTimestampTz(column(0, 1, &isnull));
	}
	SPI_finish();
	return due;
}

static SpiQuery plan_purge;

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
	spi_run_sql(&plan_purge,
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
						   1, types,
			 values, NULL, false, 0);
	n = (int) SPI_processed;
	SPI_finish();
	return n;
}
