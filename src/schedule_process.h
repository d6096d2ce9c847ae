/*-------------------------------------------------------------------------
 *
 * schedule_process.h
 *	  Processing one schedule (schedule_process.c): what the SQL functions
 *	  of schedules (schedule_api.c), the tick (schedule_tick.c) and the
 *	  close path of runs (run_close.c) call.
 *
 * Every function here runs in the caller's transaction and takes the
 * schedule's row lock (FOR UPDATE) before touching any of its runs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHEDULE_PROCESS_H
#define PG_SCHED_SCHEDULE_PROCESS_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "dispatch.h"
#include "run_store.h"
#include "schedule_json.h"

/*
 * Runs of the schedule as it exists now: a schedule deleted and created
 * again under the same id must not count, cancel or terminate the runs of
 * its earlier incarnation (they live on alone, SEMANTICS.md 5).  A run
 * belongs to the incarnation created at or before it: both created_at
 * columns hold their transaction's start (now()), so the runs a schedule
 * starts in its creating transaction (trigger_immediately) are its own.
 */
#define SCHEDULE_THIS_INCARNATION \
	" AND created_at >= (SELECT s.created_at FROM sched.schedules s" \
	"                    WHERE s.schedule_id = $1)"

/* The columns of a schedule's row that processing reads, in its order. */
#define SCHEDULE_ROW_COLUMNS \
	"s.spec, s.action, s.policy, s.paused, s.limited_actions," \
	" s.remaining_actions, s.last_completion_result, s.conflict_token," \
	" s.next_nominal, s.next_due, s.num_actions," \
	" s.num_actions_missed_catchup_window, s.num_actions_skipped_overlap," \
	" s.num_buffer_dropped, s.num_actions_skipped_paused," \
	" s.num_actions_skipped_limit, s.created_at, s.owner::text," \
	" s.last_failure"
#define SCHEDULE_ROW_NCOLUMNS 19

/*
 * What a tick did, for sched.scheduler_status(): the growth of the
 * schedules' own counters, and a call of on_start (if set) with the actual
 * time of every scheduled action started, as it starts.
 */
typedef struct ScheduleTickStats
{
	int64		started;
	int64		skipped;		/* by the overlap policy */
	int64		missed;			/* beyond the catch-up window */
	int64		failed;			/* schedules that failed to process */
	int64		prepare_us;		/* reading and deciding the batch took */
	void		(*on_start) (TimestampTz actual, void *arg);
	void	   *arg;
} ScheduleTickStats;

/* What one call of schedule_process() is asked to do besides what is due. */
typedef struct ScheduleProcess
{
	TimestampTz now;			/* the clock of this call */
	bool		bounded;		/* the scheduler's tick: bounded work */
	bool		trigger;		/* add one trigger item at now */
	bool		has_trigger_overlap;	/* else the schedule's policy */
	DispatchOverlap trigger_overlap;
	bool		has_trigger_time;	/* the trigger's nominal time, else now */
	TimestampTz trigger_time;
	Jsonb	   *trigger_args;	/* overrides of the action's (or NULL) */
	Jsonb	   *trigger_memo;
	int64		count_from_seq; /* count backfill times fed from cursors
								 * with seq >= this (0: do not count) */
	ScheduleTickStats *stats;	/* the tick's, to add to; or NULL */
	bool		has_catchup_mode;	/* sched.unpause(catchup => ...): this
									 * mode instead of the policy's */
	DispatchCatchup catchup_mode;
	/* results */
	bool		catchup_left;	/* due times left for another call (the
								 * per-call budget ran out) */
	int64		counted;		/* backfill times fed, see count_from_seq */
	int64		conflict_token; /* the token after processing */
	int64		skipped;		/* actions skipped by the overlap policy */
	int64		taken;			/* ... of which: their workflow id was taken */
	int64		dropped;		/* ... dropped for a full buffer */
	DispatchOverlap overlap;	/* the schedule's overlap policy */
	/* the trigger item: what became of it, and its run if it started */
	DispatchFate trigger_fate;	/* KEEP: it waits in the buffer */
	TimestampTz trigger_nominal;
	pg_uuid_t	trigger_run_id;
	char	   *trigger_workflow_id;	/* NULL: it did not start */
	/* the backfill times fed from cursors counted (count_from_seq) */
	int64		bf_started;
	int64		bf_buffered;	/* waiting in the buffer */
	int64		bf_skipped;		/* by overlap, or their id was taken */
} ScheduleProcess;

/*
 * Processes one schedule now, in the caller's transaction, under its row
 * lock (taken here, FOR UPDATE): catch-up of due nominal times, the trigger
 * item if asked, backfill cursors fed into the buffer, the buffer pass and
 * its starts, then counters, cursor and next_due written back.  Returns
 * false if the schedule does not exist.
 */
extern bool schedule_process(const char *schedule_id, ScheduleProcess *opts);

/*
 * schedule_process() in a subtransaction: a schedule whose processing fails
 * is logged at WARNING, rolled back alone and looked at again at retry_at.
 * False if it failed.
 */
extern bool schedule_process_guarded(const char *schedule_id,
									 ScheduleProcess *opts,
									 TimestampTz retry_at);

/* What processing writes back into a schedule's row. */
typedef struct ScheduleRowWrite
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
} ScheduleRowWrite;

/*
 * The tick's batch: the runs its schedules start and what their rows
 * become, written by one INSERT (run_store_start_batch) and one UPDATE for
 * the whole batch instead of a few statements per schedule.
 */
typedef struct ScheduleBatch
{
	RunStart   *runs;
	int			nruns;
	int			maxruns;
	ScheduleRowWrite *rows;
	int			nrows;
	int			maxrows;
	bool		wake;			/* a new deadline: tell the scheduler */
} ScheduleBatch;

/*
 * One schedule of the tick's batch, read (and locked) by the tick's
 * statement: SCHEDULE_ROW_COLUMNS from column "first" of tup; stored: it
 * has a buffer or backfill cursors to load; running: its open tracked
 * runs.  Its starts and row are added to batch, for the caller to write.
 */
extern void schedule_process_batched(const char *schedule_id, HeapTuple tup,
									 TupleDesc desc, int first, bool stored,
									 int running, ScheduleProcess *opts,
									 ScheduleBatch *batch);

/*
 * A schedule's row lock, held by the close path of runs: the row is read
 * under the lock once, and the schedule's reaction to a close uses what was
 * read (re-read only after the reaction itself wrote the row).
 */
typedef struct ScheduleLock ScheduleLock;

/* Locks the schedule's row (FOR UPDATE); NULL if it does not exist. */
extern ScheduleLock *schedule_lock(const char *schedule_id);

/*
 * Locks n distinct schedules in one statement, ids sorted by strcmp (the
 * order in which they are locked); out[i] is ids[i]'s lock, NULL if it
 * does not exist.
 */
extern void schedule_lock_many(char **ids, int n, ScheduleLock **out);

/*
 * The same without waiting: NULL if locked by someone else (*exists) or
 * missing (!*exists).
 */
extern ScheduleLock *schedule_try_lock(const char *schedule_id, bool *exists);

/* The row may have changed (a rolled-back subtransaction): read it again. */
extern void schedule_lock_reread(ScheduleLock *sl);

/* Frees the memory of sl (the lock itself lasts until the transaction ends). */
extern void schedule_lock_free(ScheduleLock *sl);

/*
 * A run of the locked schedule has just closed (after its row was updated,
 * in the same transaction): records the last completion result (and
 * clears the last failure) or the last failure, applies pause_on_failure,
 * and processes the buffer at once (SEMANTICS.md 3.1).  status is the
 * closing status; message the error or reason; result the completion
 * result (completed runs only); failure the failure of a failed run (or
 * NULL).  A run of an earlier incarnation of the id is ignored.
 */
extern void schedule_run_closed(ScheduleLock *sl, const char *workflow_id,
								const char *status, const char *message,
								Jsonb *result, Jsonb *failure);

/* One of the runs closed by schedule_runs_closed(). */
typedef struct ScheduleClosedRun
{
	const char *workflow_id;
	const char *status;			/* the closing status */
	const char *message;		/* the error or reason; may be NULL */
	Jsonb	   *result;			/* completed runs: the result; may be NULL */
	Jsonb	   *failure;		/* failed runs: the last failure; may be NULL */
} ScheduleClosedRun;

/*
 * n runs of the locked schedule have just closed, in this order (in one
 * batch): the same reaction as schedule_run_closed() for each in turn,
 * with the row written and the buffer processed once.
 */
extern void schedule_runs_closed(ScheduleLock *sl,
								 const ScheduleClosedRun *runs, int n);

/*
 * The same for the runs of nsl distinct locked schedules (sls[k] with its
 * runs[k][0 .. nruns[k]-1]), with one statement for all of them where one
 * per schedule would do the same (which runs count, the last completion
 * results).  sls[k] may be NULL (no schedule: skipped); a lock whose
 * schedule is gone is set to NULL.
 */
extern void schedule_runs_closed_many(ScheduleLock **sls,
									  const ScheduleClosedRun **runs,
									  const int *nruns, int nsl);

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

/* The "does not exist" error of every function taking a schedule id. */
extern void schedule_not_found(const char *schedule_id) pg_attribute_noreturn();

#endif							/* PG_SCHED_SCHEDULE_PROCESS_H */
