/*-------------------------------------------------------------------------
 *
 * sched_limits.h
 *	  The limits that protect the server from oversized input, shared by
 *	  the SQL functions (the README's "Limits" table lists them all).
 *
 * A value over a limit is refused before anything is stored, with
 * SQLSTATE 22023 and a message naming the argument (or JSON path), its
 * size and the limit (sql_args.h).  Every limit lives here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHED_LIMITS_H
#define PG_SCHED_SCHED_LIMITS_H

#include "datatype/timestamp.h"

/*
 * Bytes of a name: schedule and workflow ids, task queues, workflow types,
 * worker names, error types, signal names, reasons (notes: the same,
 * SCHEDULE_NOTE_MAX).
 */
#define SCHED_NAME_MAX			1000

/*
 * Bytes of a payload: a jsonb value stored for a run or a schedule (args,
 * memo, result, heartbeat details, signal payload, a canonical spec) or an
 * error message.  Temporal's default blob size limit.
 */
#define SCHED_PAYLOAD_MAX		(2 * 1024 * 1024)

/* Bytes of a schedule's note (state.note, pause and unpause notes). */
#define SCHEDULE_NOTE_MAX		1000

/* Bytes of an action id: workflow ids are "<id>-YYYY-MM-DDTHH:MM:SSZ". */
#define SCHEDULE_ACTION_ID_MAX	(SCHED_NAME_MAX - 21)

/* Signals one run keeps at most (sched.signal_workflow; then 54000). */
#define SCHED_SIGNALS_MAX		1000

/* Ranges of one sched.backfill call (or create_schedule's backfill). */
#define SCHED_BACKFILL_RANGES_MAX	1000

/* Bytes of a cron string (a spec's, or sched.start_workflow's). */
#define SCHED_CRON_MAX			4096

/* Runs one sched.poll call claims at most. */
#define SCHED_POLL_MAX			1000

/* Elements of one batched call (complete_runs, fail_runs, start_workflows). */
#define SCHED_BATCH_MAX			10000

/* The longest duration anywhere (timeouts, delays, windows): 200 years. */
#define SCHED_DURATION_MAX_USEC	(INT64CONST(200) * 366 * USECS_PER_DAY)

/* Times one sched.next_times call returns at most. */
#define SCHED_NEXT_TIMES_MAX	100000

/*
 * The most actions one sched.backfill call (or create_schedule's backfill)
 * may add: a year of minutes (525,600) fits twice; a decade of seconds, which
 * would hold the schedule's lock for hours, does not (SQLSTATE 54000).
 */
#define SCHEDULE_MAX_BACKFILL_ACTIONS	INT64CONST(1000000)

/*
 * Search attributes of a schedule (Temporal's defaults): at most 100 of
 * them, each value (a KeywordList as a whole) at most 2 KiB, all of them at
 * most 40 KiB; names of at most 64 bytes.
 */
#define SEARCH_ATTRS_MAX_KEYS		100
#define SEARCH_ATTR_VALUE_MAX		2048
#define SEARCH_ATTRS_TOTAL_MAX		(40 * 1024)
#define SEARCH_ATTR_NAME_MAX		64

#endif							/* PG_SCHED_SCHED_LIMITS_H */
