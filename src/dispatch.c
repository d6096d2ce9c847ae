/*-------------------------------------------------------------------------
 *
 * dispatch.c
 *	  The decisions of a schedule: catch-up classification, the buffer
 *	  limit, and the buffer pass of SEMANTICS.md 3.1 with its follow-up.
 *
 * This is the reasoning of overlap policies in one place, free of SPI so it
 * can be unit-tested (test/unit/test_dispatch.c) with explicit buffers.
 * schedule_process.c loads a schedule's buffer, appends what became due, calls
 * dispatch_buffer() with callbacks that start, cancel and terminate runs
 * through the queue, and writes back what the items became.
 *
 * The pass follows Temporal's ProcessBuffer exactly: for each waiting item,
 * in order,
 *	 - allow_all: start now, untracked (never counts as running);
 *	 - else, if nothing runs and nothing was chosen in this pass: choose it;
 *	 - else by its policy: skip drops it (counted); buffer_one keeps the
 *	   first buffer_one item the pass meets and drops later ones (counted);
 *	   buffer_all keeps it; cancel_other / terminate_other, when a run is
 *	   open, request cancellation / termination and keep the item, and when
 *	   nothing runs replace the chosen item (the replaced one is dropped
 *	   without being counted, as Temporal does).
 * "Running" is fixed for the whole pass: choosing an item does not make the
 * next one see a running run.  That is why buffer_one with nothing running
 * keeps one item beside the chosen one.
 *
 * The concurrency limit (policy.concurrency_limit, issue 14) generalises
 * "running" from "a tracked run is open" to "limit tracked runs are open":
 * while fewer are open (counting the items chosen in this pass), the next
 * waiting item is chosen; beyond, the item's policy decides as above.  With
 * limit 1 (the default) that is the pass above, decision for decision.
 *
 * Invariant on return of dispatch_buffer(): either nothing waits, or limit
 * tracked runs are open (counting those just started, and those whose
 * cancellation is requested and not yet acknowledged).  So a schedule never
 * sits with a startable buffer: the next pass is due when a run closes.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <string.h>

#include "dispatch.h"

const char *const dispatch_overlap_names[DISPATCH_NOVERLAP] = {
	"skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other",
	"allow_all"
};

const char *const dispatch_kind_names[DISPATCH_NKIND] = {
	"schedule", "trigger", "backfill"
};

const char *const dispatch_catchup_names[DISPATCH_NCATCHUP] = {
	"all", "latest", "none"
};

/* Case-insensitive: is name (len bytes) candidate? */
static bool
name_is(const char *name, size_t len, const char *candidate)
{
	size_t		i;

	if (strlen(candidate) != len)
		return false;
	for (i = 0; i < len; i++)
		if (tolower((unsigned char) name[i]) != candidate[i])
			return false;
	return true;
}

bool
dispatch_catchup_from_name(const char *name, size_t len, DispatchCatchup *out)
{
	for (int m = 0; m < DISPATCH_NCATCHUP; m++)
		if (name_is(name, len, dispatch_catchup_names[m]))
		{
			*out = (DispatchCatchup) m;
			return true;
		}
	return false;
}

bool
dispatch_overlap_from_name(const char *name, size_t len, DispatchOverlap *out)
{
	for (int p = 0; p < DISPATCH_NOVERLAP; p++)
		if (name_is(name, len, dispatch_overlap_names[p]))
		{
			*out = (DispatchOverlap) p;
			return true;
		}
	return false;
}

DispatchTimeClass
dispatch_classify_time(int64_t actual, int64_t now, int64_t catchup_window,
					   bool limited, int64_t remaining,
					   int64_t buffered_scheduled)
{
	/*
	 * No action left for it: passed over and not counted as missed, as
	 * Temporal skips a whole time range when it could not act anyway.  The
	 * scheduled items already waiting will consume remaining actions when
	 * they start, so they count against it (the buffer never holds items
	 * that are bound to be dropped for want of actions).
	 */
	if (limited && remaining - buffered_scheduled <= 0)
		return DISPATCH_TIME_PASS;
	if (now - actual > catchup_window)
		return DISPATCH_TIME_MISSED;
	return DISPATCH_TIME_ACT;
}

bool
dispatch_buffer_accepts(DispatchOverlap overlap, int held)
{
	return overlap == DISPATCH_ALLOW_ALL || held < DISPATCH_BUFFER_MAX;
}

void
dispatch_pass(DispatchItem *items, int n, bool running, DispatchPass *out)
{
	dispatch_pass_n(items, n, running ? 1 : 0, 1, out);
}

void
dispatch_pass_n(DispatchItem *items, int n, int running, int limit,
				DispatchPass *out)
{
	bool		seen_buffer_one = false;
	int			nchosen = 0;

	if (limit < 1)
		limit = 1;
	out->chosen = -1;
	out->need_cancel = false;
	out->need_terminate = false;
	out->skipped = 0;

	for (int i = 0; i < n; i++)
	{
		DispatchItem *it = &items[i];

		if (it->fate != DISPATCH_KEEP)
			continue;
		if (it->overlap == DISPATCH_ALLOW_ALL)
		{
			it->fate = DISPATCH_START;
			continue;
		}
		if (running + nchosen < limit)
		{
			if (out->chosen < 0)
				out->chosen = i;
			nchosen++;
			it->fate = DISPATCH_START;
			continue;
		}
		switch (it->overlap)
		{
			case DISPATCH_SKIP:
				it->fate = DISPATCH_SKIPPED;
				out->skipped++;
				break;
			case DISPATCH_BUFFER_ONE:
				if (!seen_buffer_one)
					seen_buffer_one = true;
				else
				{
					it->fate = DISPATCH_SKIPPED;
					out->skipped++;
				}
				break;
			case DISPATCH_BUFFER_ALL:
				break;
			case DISPATCH_CANCEL_OTHER:
			case DISPATCH_TERMINATE_OTHER:
				if (running > 0 && nchosen > 0)
				{
					/*
					 * The cancellation would hit the runs this pass starts
					 * (limit > 1 only): wait for a free slot instead, as
					 * buffer_all does.
					 */
				}
				else if (running > 0)
				{
					if (it->overlap == DISPATCH_CANCEL_OTHER)
						out->need_cancel = true;
					else
						out->need_terminate = true;
				}
				else
				{
					/*
					 * Nothing runs, so the slots went to items chosen in
					 * this pass: replace them (one when limit is 1)
					 */
					for (int j = 0; j < i; j++)
						if (items[j].fate == DISPATCH_START &&
							items[j].overlap != DISPATCH_ALLOW_ALL)
							items[j].fate = DISPATCH_REPLACED;
					out->chosen = i;
					nchosen = 1;
					it->fate = DISPATCH_START;
				}
				break;
			case DISPATCH_ALLOW_ALL:
			case DISPATCH_NOVERLAP:
				break;
		}
	}
}

/* Starts one item the pass decided to start, or drops it. */
static void
start_item(DispatchItem *it, DispatchState *st, const DispatchOps *ops)
{
	bool		tracked = it->overlap != DISPATCH_ALLOW_ALL;

	/*
	 * A paused schedule, or one out of remaining actions, drops its
	 * scheduled items when they come up; manual ones (trigger, backfill)
	 * neither need nor consume remaining actions (SEMANTICS.md 3.1, 4).
	 */
	if (it->kind == DISPATCH_SCHEDULED && st->paused)
	{
		it->fate = DISPATCH_DROPPED_PAUSED;
		st->num_paused++;
		return;
	}
	if (it->kind == DISPATCH_SCHEDULED && st->limited && st->remaining <= 0)
	{
		it->fate = DISPATCH_DROPPED_LIMIT;
		st->num_limit++;
		return;
	}
	if (!ops->start(ops->ctx, it, tracked))
	{
		/* the workflow id has an open run: this action cannot happen */
		it->fate = DISPATCH_TAKEN;
		st->num_skipped++;
		st->num_taken++;
		return;
	}
	it->fate = DISPATCH_STARTED;
	st->num_actions++;
	if (it->kind == DISPATCH_SCHEDULED && st->limited)
	{
		st->remaining--;
		st->decremented++;
	}
	if (tracked)
		st->running++;
}

static bool
any_waiting(const DispatchItem *items, int n)
{
	for (int i = 0; i < n; i++)
		if (items[i].fate == DISPATCH_KEEP)
			return true;
	return false;
}

void
dispatch_buffer(DispatchItem *items, int n, DispatchState *st,
				const DispatchOps *ops)
{
	/*
	 * Every extra pass follows either an item that became final without
	 * starting (so at most n of those) or the running runs closing, which
	 * happens once before something starts again: n + 2 passes suffice.
	 */
	int			limit = st->limit < 1 ? 1 : st->limit;

	for (int round = 0; round < n + 2; round++)
	{
		DispatchPass p;
		bool		again = false;

		dispatch_pass_n(items, n, st->running, limit, &p);
		st->num_skipped += p.skipped;
		for (int i = 0; i < n; i++)
			if (items[i].fate == DISPATCH_START)
				start_item(&items[i], st, ops);

		st->cancel_waiting = false;
		if (p.need_terminate)
		{
			/* terminate overrides cancel; the termination is recorded now */
			st->running -= ops->terminate(ops->ctx);
			if (st->running < 0)
				st->running = 0;
			again = st->running < limit;
		}
		else if (p.need_cancel)
		{
			/* pending runs close at once; running ones when the worker acks */
			st->running -= ops->cancel(ops->ctx);
			if (st->running < 0)
				st->running = 0;
			if (st->running < limit)
				again = true;
			else
				st->cancel_waiting = true;
		}
		else if (st->running < limit)
		{
			/*
			 * A chosen item was dropped or its id taken, so a slot is free:
			 * choose again (with limit 1: nothing started)
			 */
			again = true;
		}

		if (!again || !any_waiting(items, n))
			break;
	}
}
