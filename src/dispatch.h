/*-------------------------------------------------------------------------
 *
 * dispatch.h
 *	  The decisions of a schedule, as pure functions over C structs: which
 *	  due nominal times are acted on (catch-up window, paused, limited
 *	  actions), what the buffer holds (its 1000-item limit), and the buffer
 *	  pass of SEMANTICS.md 3.1 (Temporal's ProcessBuffer) with what follows
 *	  it (starts, cancel, terminate, another pass).
 *
 * Plain C99 like the spec engine: no postgres.h, no SPI, no allocation, no
 * errors.  The side effects of a pass (starting a run, cancelling or
 * terminating the running ones) go through DispatchOps callbacks, so
 * schedule_process.c plugs in the run store and test/unit/test_dispatch.c plugs in a
 * fake one.  Times are opaque int64 values (schedule_process.c uses TimestampTz).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_DISPATCH_H
#define PG_SCHED_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Items a schedule's buffer holds at most (SEMANTICS.md 3.1). */
#define DISPATCH_BUFFER_MAX 1000

typedef enum DispatchOverlap
{
	DISPATCH_SKIP,
	DISPATCH_BUFFER_ONE,
	DISPATCH_BUFFER_ALL,
	DISPATCH_CANCEL_OTHER,
	DISPATCH_TERMINATE_OTHER,
	DISPATCH_ALLOW_ALL,
	DISPATCH_NOVERLAP
} DispatchOverlap;

/* "skip", "buffer_one", ..., indexed by DispatchOverlap. */
extern const char *const dispatch_overlap_names[DISPATCH_NOVERLAP];

/* Case-insensitive lookup of a policy name; false if unknown. */
extern bool dispatch_overlap_from_name(const char *name, size_t len,
									   DispatchOverlap *out);

/* Where an item came from: sched.buffer.start_kind. */
typedef enum DispatchKind
{
	DISPATCH_SCHEDULED,			/* a nominal time of the spec */
	DISPATCH_TRIGGER,			/* sched.trigger, trigger_immediately */
	DISPATCH_BACKFILL,			/* sched.backfill, create's backfill */
	DISPATCH_NKIND
} DispatchKind;

/* "schedule", "trigger", "backfill", indexed by DispatchKind. */
extern const char *const dispatch_kind_names[DISPATCH_NKIND];

/* What became of a buffer item. */
typedef enum DispatchFate
{
	DISPATCH_KEEP,				/* waits in the buffer */
	DISPATCH_START,				/* chosen by the pass; being started */
	DISPATCH_STARTED,			/* a run was started */
	DISPATCH_SKIPPED,			/* dropped by its policy (counted) */
	DISPATCH_TAKEN,				/* its workflow id was taken (counted) */
	DISPATCH_REPLACED,			/* chosen, then replaced by a later
								 * cancel_other/terminate_other item */
	DISPATCH_DROPPED_PAUSED,	/* scheduled item of a paused schedule */
	DISPATCH_DROPPED_LIMIT		/* scheduled item, no remaining actions */
} DispatchFate;

typedef struct DispatchItem
{
	int64_t		seq;			/* its sched.buffer row, or 0 if new */
	int64_t		nominal;
	int64_t		actual;
	DispatchOverlap overlap;
	DispatchKind kind;
	DispatchFate fate;
	int32_t		tag;			/* the caller's, opaque here (0: none) */
} DispatchItem;

/* ---- catch-up: what to do with a due nominal time ---- */

/*
 * The catch-up mode (policy.catchup_mode): what becomes of due times that
 * are late, i.e. more than DISPATCH_ON_TIME_MS behind "now" when the
 * scheduler gets to them but still within the catch-up window.  all: they
 * fire (Temporal's behaviour); latest: only the most recent of them fires,
 * and only if no on-time time follows it; none: none fires.  Times within
 * DISPATCH_ON_TIME_MS fire in every mode; the late ones that do not fire
 * count as missed, like the ones older than the window.
 */
typedef enum DispatchCatchup
{
	DISPATCH_CATCHUP_ALL,
	DISPATCH_CATCHUP_LATEST,
	DISPATCH_CATCHUP_NONE,
	DISPATCH_NCATCHUP
} DispatchCatchup;

/*
 * A due time at most this far behind "now" is on time (Temporal's minimum
 * catch-up window, 10 s).
 */
#define DISPATCH_ON_TIME_MS 10000

/* "all", "latest", "none", indexed by DispatchCatchup. */
extern const char *const dispatch_catchup_names[DISPATCH_NCATCHUP];

/* Case-insensitive lookup of a catch-up mode; false if unknown. */
extern bool dispatch_catchup_from_name(const char *name, size_t len,
									   DispatchCatchup *out);

typedef enum DispatchTimeClass
{
	DISPATCH_TIME_ACT,			/* enters the buffer */
	DISPATCH_TIME_MISSED,		/* older than the catch-up window: counted */
	DISPATCH_TIME_PASS			/* passed over, not counted: no remaining
								 * actions left for it */
} DispatchTimeClass;

/*
 * Classifies a due scheduled time (actual <= now) of a schedule that is not
 * paused (paused schedules do not look at their times at all).  Missed when
 * now - actual > catchup_window (Temporal's rule); passed over when the
 * schedule is limited and every remaining action is already spoken for by
 * a scheduled item waiting in the buffer.
 */
extern DispatchTimeClass dispatch_classify_time(int64_t actual, int64_t now,
												int64_t catchup_window,
												bool limited,
												int64_t remaining,
												int64_t buffered_scheduled);

/*
 * Whether a new item may join a buffer that holds "held" waiting items:
 * allow_all items never wait (the pass starts them at once), so they are
 * never refused; the others are refused at DISPATCH_BUFFER_MAX, and the
 * caller counts them in num_buffer_dropped.
 */
extern bool dispatch_buffer_accepts(DispatchOverlap overlap, int held);

/* ---- the buffer pass ---- */

/* The decisions of one pass (Temporal's ProcessBufferResult). */
typedef struct DispatchPass
{
	int			chosen;			/* index of the non-overlapping start, or -1 */
	bool		need_cancel;
	bool		need_terminate;
	int64_t		skipped;		/* items dropped by skip/buffer_one */
} DispatchPass;

/*
 * One pass over the items whose fate is DISPATCH_KEEP, in order; "running"
 * says whether a tracked run of the schedule is open.  Sets the fate of
 * each item it looks at to START (allow_all items and the chosen one),
 * SKIPPED, REPLACED or KEEP.  Pure: starts nothing.  The same as
 * dispatch_pass_n(items, n, running ? 1 : 0, 1, out).
 */
extern void dispatch_pass(DispatchItem *items, int n, bool running,
						  DispatchPass *out);

/*
 * The pass with a concurrency limit (policy.concurrency_limit): "running"
 * open tracked runs, at most "limit" of them.  While running plus the items
 * chosen in this pass is below the limit, the next waiting item is chosen
 * (started); once it is reached, each item's overlap policy decides as in
 * the pass with one run (skip drops it, buffer_one keeps one, buffer_all
 * keeps it, cancel_other / terminate_other request the cancellation /
 * termination of the open runs, or, when nothing runs, replace the items
 * chosen in this pass).  chosen is the first item chosen.  limit 1 is
 * Temporal's pass exactly.
 */
extern void dispatch_pass_n(DispatchItem *items, int n, int running,
							int limit, DispatchPass *out);

/* The schedule's side of a dispatch; counters accumulate. */
typedef struct DispatchState
{
	bool		paused;
	bool		limited;
	int64_t		remaining;		/* remaining_actions; decremented */
	int			running;		/* open tracked runs */
	int			limit;			/* concurrency_limit: at most this many
								 * (0 means 1) */
	int64_t		num_actions;	/* runs started */
	int64_t		num_skipped;	/* num_actions_skipped_overlap */
	int64_t		num_paused;		/* num_actions_skipped_paused */
	int64_t		num_limit;		/* num_actions_skipped_limit */
	int64_t		num_taken;		/* of num_skipped: workflow id taken */
	int64_t		decremented;	/* remaining actions consumed */
	bool		cancel_waiting; /* cancellation requested of a run that is
								 * still running: the buffer waits for it */
} DispatchState;

/*
 * The effects.  start() starts a run for the item (tracked = counts as
 * running for overlap, i.e. not allow_all) and returns false when its
 * workflow id was taken.  cancel() and terminate() act on every open
 * tracked run of the schedule and return how many runs they closed at once.
 */
typedef struct DispatchOps
{
	void	   *ctx;
	bool		(*start) (void *ctx, const DispatchItem *item, bool tracked);
	int			(*cancel) (void *ctx);
	int			(*terminate) (void *ctx);
} DispatchOps;

/*
 * Processes the buffer: a pass, then the starts it decided (a scheduled
 * item of a paused schedule, or of a limited one with no remaining action,
 * is dropped instead; each scheduled start consumes a remaining action),
 * then terminate (which overrides cancel) or cancel.  Passes again at once
 * when that leaves fewer than st->limit runs open and items waiting: after a
 * termination, after a cancellation that closed runs at once, or when a
 * chosen item could not start.  On return every item is KEEP or final.
 */
extern void dispatch_buffer(DispatchItem *items, int n, DispatchState *st,
							const DispatchOps *ops);

#endif							/* PG_SCHED_DISPATCH_H */
