/*-------------------------------------------------------------------------
 *
 * sched_limits.h
 *	  The limits that protect the server from oversized input, shared by
 *	  the SQL functions (the README's "Limits" table lists them all).
 *
 * A value over a limit is refused before anything is stored, with
 * SQLSTATE 22023 and a message naming the argument (or JSON path), its
 * size and the limit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHED_LIMITS_H
#define PG_SCHED_SCHED_LIMITS_H

#include "utils/jsonb.h"

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

/* Signals one run keeps at most (sched.signal_workflow; then 54000). */
#define SCHED_SIGNALS_MAX		1000

/* Ranges of one sched.backfill call (or create_schedule's backfill). */
#define SCHED_BACKFILL_RANGES_MAX	1000

/* Refuses a jsonb value larger than SCHED_PAYLOAD_MAX (NULL passes). */
static inline void
sched_check_payload(Jsonb *jb, const char *name)
{
	if (jb != NULL && VARSIZE(jb) > SCHED_PAYLOAD_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: %d bytes are larger than the limit of %d",
						name, (int) VARSIZE(jb), SCHED_PAYLOAD_MAX),
				 errhint("Store large data elsewhere and pass a reference to it.")));
}

/* Refuses a string longer than max bytes (NULL passes). */
static inline void
sched_check_length(const char *s, const char *name, int max)
{
	if (s != NULL && strlen(s) > (size_t) max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: %s of %d bytes is longer than the limit of %d",
						name, name, (int) strlen(s), max)));
}

#endif							/* PG_SCHED_SCHED_LIMITS_H */
