/*-------------------------------------------------------------------------
 *
 * schedule_core.h
 *	  The processing core of schedules (schedule.c) as the SQL functions
 *	  (schedule_api.c) use it.  Not part of the interface between modules:
 *	  the queue and the scheduler use schedule.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHEDULE_CORE_H
#define PG_SCHED_SCHEDULE_CORE_H

#include "datatype/timestamp.h"
#include "executor/spi.h"

#include "dispatch.h"
#include "schedule_json.h"

/* What one call of schedule_process() is asked to do besides what is due. */
typedef struct ScheduleProcess
{
	TimestampTz now;			/* the clock of this call */
	bool		bounded;		/* the scheduler's tick: bounded work */
	bool		trigger;		/* add one trigger item at now */
	bool		has_trigger_overlap;	/* else the schedule's policy */
	DispatchOverlap trigger_overlap;
	int64		count_from_seq; /* count backfill times fed from cursors
								 * with seq >= this (0: do not count) */
	ScheduleTickStats *stats;	/* the tick's, to add to; or NULL */
	/* results */
	int64		counted;		/* backfill times fed, see count_from_seq */
	int64		conflict_token; /* the token after processing */
	int64		skipped;		/* actions skipped by the overlap policy */
	int64		taken;			/* ... of which: their workflow id was taken */
	int64		dropped;		/* ... dropped for a full buffer */
	DispatchOverlap overlap;	/* the schedule's overlap policy */
} ScheduleProcess;

/*
 * Processes one schedule now, in the caller's transaction, under its row
 * lock (taken here, FOR UPDATE): catch-up of due nominal times, the trigger
 * item if asked, backfill cursors fed into the buffer, the buffer pass and
 * its starts, then counters, cursor and next_due written back.  Returns
 * false if the schedule does not exist.
 */
extern bool schedule_process(const char *schedule_id, ScheduleProcess *proc);

/* A new conflict token: greater than the old one, from the clock in ms. */
extern int64 schedule_new_token(int64 old, TimestampTz now);

/*
 * The first nominal time strictly after "after" (to the second); false if
 * the spec has none.
 */
extern bool schedule_first_nominal_after(const Spec *spec, TimestampTz after,
										 TimestampTz *nominal);

/*
 * Up to max actual times of the next actions: from next_nominal (a running
 * schedule), or from after now (a paused one: what unpausing now would
 * do).  Returns how many were written to out.
 */
extern int	schedule_next_action_times(const char *schedule_id,
									   const Spec *spec, bool paused,
									   bool has_next_nominal,
									   TimestampTz next_nominal,
									   TimestampTz now, int max,
									   TimestampTz *out);

/*
 * The number of actual times t of the spec with from <= t <= to, counting
 * no further than limit + 1 (so a caller can refuse a range cheaply).
 */
extern int64 schedule_count_times(const char *schedule_id, const Spec *spec,
								  TimestampTz from, TimestampTz to,
								  int64 limit);

/*
 * The most actions one sched.backfill call (or create_schedule's backfill)
 * may add: a year of minutes (525,600) fits twice; a decade of seconds, which
 * would hold the schedule's lock for hours, does not (SQLSTATE 54000).
 */
#define SCHEDULE_MAX_BACKFILL_ACTIONS	INT64CONST(1000000)

/*
 * Prepared statements kept for the backend's life (SPI_keepplan); the
 * caller is connected to SPI.  *slot caches the plan.
 */
extern SPIPlanPtr schedule_plan(SPIPlanPtr *slot, const char *sql, int nargs,
								const Oid *argtypes);

/* The "does not exist" error of every function taking a schedule id. */
extern void schedule_not_found(const char *schedule_id) pg_attribute_noreturn();

#endif							/* PG_SCHED_SCHEDULE_CORE_H */
