/*-------------------------------------------------------------------------
 *
 * test_dispatch.c
 *	  Unit tests of the overlap reasoning (src/dispatch.c): catch-up
 *	  classification, the buffer limit, Temporal's buffer pass for each
 *	  policy, and what follows a pass (starts, cancel, terminate, the next
 *	  pass, paused and limited schedules).
 *
 * dispatch.c is plain C99 with no PostgreSQL dependency, so it is compiled
 * straight into this program.  The effects go to a fake queue that keeps
 * a count of open tracked runs, closes pending ones on cancel when asked
 * to, and can refuse a start (a taken workflow id).  The last line is
 * "N passed, N failed".
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "../../src/dispatch.c"

static int	npassed;
static int	nfailed;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void
check(bool ok, const char *what, int line)
{
	if (ok)
		npassed++;
	else
	{
		nfailed++;
		printf("FAIL line %d: %s\n", line, what);
	}
}

/* ---- a fake queue ---- */

typedef struct Fake
{
	int			open_pending;	/* tracked runs not yet claimed */
	int			open_running;	/* tracked runs claimed by a worker */
	int			cancel_calls;
	int			terminate_calls;
	int64_t		refuse_nominal; /* start() refuses this one (id taken) */
	int64_t		started[32];
	bool		started_tracked[32];
	int			nstarted;
} Fake;

static bool
fake_start(void *ctx, const DispatchItem *item, bool tracked)
{
	Fake	   *f = ctx;

	if (item->nominal == f->refuse_nominal)
		return false;
	f->started[f->nstarted] = item->nominal;
	f->started_tracked[f->nstarted] = tracked;
	f->nstarted++;
	if (tracked)
		f->open_pending++;
	return true;
}

/* pending runs close at once, running ones only get the request */
static int
fake_cancel(void *ctx)
{
	Fake	   *f = ctx;
	int			closed = f->open_pending;

	f->cancel_calls++;
	f->open_pending = 0;
	return closed;
}

static int
fake_terminate(void *ctx)
{
	Fake	   *f = ctx;
	int			closed = f->open_pending + f->open_running;

	f->terminate_calls++;
	f->open_pending = 0;
	f->open_running = 0;
	return closed;
}

typedef struct Setup
{
	Fake		fake;
	DispatchOps ops;
	DispatchState st;
	DispatchItem items[32];
	int			n;
} Setup;

static void
setup(Setup *s, int running_claimed)
{
	memset(s, 0, sizeof(*s));
	s->fake.refuse_nominal = -1;
	s->fake.open_running = running_claimed;
	s->ops.ctx = &s->fake;
	s->ops.start = fake_start;
	s->ops.cancel = fake_cancel;
	s->ops.terminate = fake_terminate;
	s->st.running = running_claimed;
}

static void
add(Setup *s, int64_t nominal, DispatchOverlap o, DispatchKind k)
{
	DispatchItem *it = &s->items[s->n++];

	memset(it, 0, sizeof(*it));
	it->nominal = nominal;
	it->actual = nominal;
	it->overlap = o;
	it->kind = k;
	it->fate = DISPATCH_KEEP;
}

static void
run(Setup *s)
{
	dispatch_buffer(s->items, s->n, &s->st, &s->ops);
}

/* the items still waiting, as nominal times */
static int
waiting(const Setup *s, int64_t *out)
{
	int			n = 0;

	for (int i = 0; i < s->n; i++)
		if (s->items[i].fate == DISPATCH_KEEP)
			out[n++] = s->items[i].nominal;
	return n;
}

/* ---- the tests ---- */

static void
test_names(void)
{
	DispatchOverlap o;

	CHECK(dispatch_overlap_from_name("skip", 4, &o) && o == DISPATCH_SKIP);
	CHECK(dispatch_overlap_from_name("BUFFER_ONE", 10, &o) && o == DISPATCH_BUFFER_ONE);
	CHECK(dispatch_overlap_from_name("Allow_All", 9, &o) && o == DISPATCH_ALLOW_ALL);
	CHECK(dispatch_overlap_from_name("terminate_other", 15, &o) && o == DISPATCH_TERMINATE_OTHER);
	CHECK(!dispatch_overlap_from_name("skipx", 5, &o));
	CHECK(!dispatch_overlap_from_name("ski", 3, &o));
	CHECK(!dispatch_overlap_from_name("", 0, &o));
	/* a length shorter than the string: only that prefix counts */
	CHECK(dispatch_overlap_from_name("skip_more", 4, &o) && o == DISPATCH_SKIP);
	CHECK(strcmp(dispatch_kind_names[DISPATCH_BACKFILL], "backfill") == 0);
}

static void
test_classify(void)
{
	/* missed when now - actual > window (equal is still in time) */
	CHECK(dispatch_classify_time(100, 110, 10, false, 0, 0) == DISPATCH_TIME_ACT);
	CHECK(dispatch_classify_time(99, 110, 10, false, 0, 0) == DISPATCH_TIME_MISSED);
	CHECK(dispatch_classify_time(110, 110, 10, false, 0, 0) == DISPATCH_TIME_ACT);
	/* limited: remaining actions spoken for by waiting scheduled items */
	CHECK(dispatch_classify_time(100, 110, 10, true, 2, 1) == DISPATCH_TIME_ACT);
	CHECK(dispatch_classify_time(100, 110, 10, true, 2, 2) == DISPATCH_TIME_PASS);
	CHECK(dispatch_classify_time(100, 110, 10, true, 0, 0) == DISPATCH_TIME_PASS);
	/* no action left: passed over, not counted as missed */
	CHECK(dispatch_classify_time(0, 110, 10, true, 0, 0) == DISPATCH_TIME_PASS);
	/* not limited: the buffered count does not matter */
	CHECK(dispatch_classify_time(100, 110, 10, false, 0, 50) == DISPATCH_TIME_ACT);
}

static void
test_buffer_limit(void)
{
	CHECK(dispatch_buffer_accepts(DISPATCH_BUFFER_ALL, 999));
	CHECK(!dispatch_buffer_accepts(DISPATCH_BUFFER_ALL, 1000));
	CHECK(!dispatch_buffer_accepts(DISPATCH_SKIP, 1000));
	CHECK(dispatch_buffer_accepts(DISPATCH_ALLOW_ALL, 1000));
	CHECK(dispatch_buffer_accepts(DISPATCH_ALLOW_ALL, 5000));
}

static void
test_pass(void)
{
	DispatchItem it[6];
	DispatchPass p;

	/* skip, nothing running: first chosen, the rest skipped */
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 3; i++)
		it[i].overlap = DISPATCH_SKIP;
	dispatch_pass(it, 3, false, &p);
	CHECK(p.chosen == 0 && p.skipped == 2);
	CHECK(it[0].fate == DISPATCH_START && it[1].fate == DISPATCH_SKIPPED &&
		  it[2].fate == DISPATCH_SKIPPED);

	/* buffer_one, nothing running: chosen, one kept, the rest skipped */
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 4; i++)
		it[i].overlap = DISPATCH_BUFFER_ONE;
	dispatch_pass(it, 4, false, &p);
	CHECK(p.chosen == 0 && p.skipped == 2);
	CHECK(it[1].fate == DISPATCH_KEEP && it[2].fate == DISPATCH_SKIPPED &&
		  it[3].fate == DISPATCH_SKIPPED);

	/* buffer_one, running: the earliest waiting one wins */
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 3; i++)
		it[i].overlap = DISPATCH_BUFFER_ONE;
	dispatch_pass(it, 3, true, &p);
	CHECK(p.chosen == -1 && p.skipped == 2 && it[0].fate == DISPATCH_KEEP);

	/* buffer_all, running: all kept */
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 3; i++)
		it[i].overlap = DISPATCH_BUFFER_ALL;
	dispatch_pass(it, 3, true, &p);
	CHECK(p.chosen == -1 && p.skipped == 0 && !p.need_cancel);
	CHECK(it[0].fate == DISPATCH_KEEP && it[2].fate == DISPATCH_KEEP);

	/* cancel_other, running: request, keep */
	memset(it, 0, sizeof(it));
	it[0].overlap = DISPATCH_CANCEL_OTHER;
	dispatch_pass(it, 1, true, &p);
	CHECK(p.need_cancel && !p.need_terminate && it[0].fate == DISPATCH_KEEP);

	/* terminate_other, nothing running: later ones replace the chosen */
	memset(it, 0, sizeof(it));
	it[0].overlap = DISPATCH_BUFFER_ALL;
	it[1].overlap = DISPATCH_TERMINATE_OTHER;
	it[2].overlap = DISPATCH_CANCEL_OTHER;
	dispatch_pass(it, 3, false, &p);
	CHECK(p.chosen == 2 && !p.need_cancel && !p.need_terminate);
	CHECK(it[0].fate == DISPATCH_REPLACED && it[1].fate == DISPATCH_REPLACED &&
		  it[2].fate == DISPATCH_START && p.skipped == 0);

	/* allow_all: started whatever runs, never chosen */
	memset(it, 0, sizeof(it));
	it[0].overlap = DISPATCH_ALLOW_ALL;
	it[1].overlap = DISPATCH_SKIP;
	it[2].overlap = DISPATCH_ALLOW_ALL;
	dispatch_pass(it, 3, true, &p);
	CHECK(it[0].fate == DISPATCH_START && it[1].fate == DISPATCH_SKIPPED &&
		  it[2].fate == DISPATCH_START && p.chosen == -1);
	memset(it, 0, sizeof(it));
	it[0].overlap = DISPATCH_ALLOW_ALL;
	it[1].overlap = DISPATCH_SKIP;
	dispatch_pass(it, 2, false, &p);
	CHECK(p.chosen == 1 && it[0].fate == DISPATCH_START);

	/* items already final are not looked at */
	memset(it, 0, sizeof(it));
	it[0].overlap = DISPATCH_SKIP;
	it[0].fate = DISPATCH_STARTED;
	it[1].overlap = DISPATCH_SKIP;
	dispatch_pass(it, 2, false, &p);
	CHECK(p.chosen == 1 && it[0].fate == DISPATCH_STARTED);
}

static void
test_buffer(void)
{
	Setup		s;
	int64_t		w[32];
	int			n;

	/* terminate_other: terminate, then start at once in a second pass */
	setup(&s, 1);
	add(&s, 10, DISPATCH_TERMINATE_OTHER, DISPATCH_SCHEDULED);
	run(&s);
	CHECK(s.fake.terminate_calls == 1 && s.fake.nstarted == 1 &&
		  s.fake.started[0] == 10 && s.st.running == 1 && s.st.num_actions == 1);

	/* cancel_other on a running run: requested, waits */
	setup(&s, 1);
	add(&s, 10, DISPATCH_CANCEL_OTHER, DISPATCH_SCHEDULED);
	run(&s);
	CHECK(s.fake.cancel_calls == 1 && s.fake.nstarted == 0 &&
		  s.st.cancel_waiting && s.items[0].fate == DISPATCH_KEEP);
	/* ... the run closes: the next processing starts it */
	s.fake.open_running = 0;
	s.st.running = 0;
	run(&s);
	CHECK(s.fake.nstarted == 1 && !s.st.cancel_waiting &&
		  s.items[0].fate == DISPATCH_STARTED);

	/* cancel_other on a pending run: it closes at once, the item starts */
	setup(&s, 0);
	s.fake.open_pending = 1;
	s.st.running = 1;
	add(&s, 10, DISPATCH_CANCEL_OTHER, DISPATCH_TRIGGER);
	run(&s);
	CHECK(s.fake.cancel_calls == 1 && s.fake.nstarted == 1 &&
		  !s.st.cancel_waiting && s.st.running == 1);

	/* the chosen id is taken: counted as skipped, the next is chosen */
	setup(&s, 0);
	s.fake.refuse_nominal = 10;
	add(&s, 10, DISPATCH_BUFFER_ALL, DISPATCH_BACKFILL);
	add(&s, 20, DISPATCH_BUFFER_ALL, DISPATCH_BACKFILL);
	add(&s, 30, DISPATCH_BUFFER_ALL, DISPATCH_BACKFILL);
	run(&s);
	CHECK(s.items[0].fate == DISPATCH_TAKEN && s.st.num_skipped == 1);
	CHECK(s.fake.nstarted == 1 && s.fake.started[0] == 20);
	n = waiting(&s, w);
	CHECK(n == 1 && w[0] == 30);

	/* paused: scheduled items dropped as they come up, manual ones start */
	setup(&s, 0);
	s.st.paused = true;
	add(&s, 10, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	add(&s, 20, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	add(&s, 30, DISPATCH_BUFFER_ALL, DISPATCH_BACKFILL);
	add(&s, 40, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	run(&s);
	CHECK(s.items[0].fate == DISPATCH_DROPPED_PAUSED &&
		  s.items[1].fate == DISPATCH_DROPPED_PAUSED);
	CHECK(s.fake.nstarted == 1 && s.fake.started[0] == 30 &&
		  s.st.num_skipped == 0);
	CHECK(s.items[3].fate == DISPATCH_KEEP);

	/* limited: scheduled starts consume, manual ones do not, 0 drops */
	setup(&s, 0);
	s.st.limited = true;
	s.st.remaining = 2;
	add(&s, 10, DISPATCH_ALLOW_ALL, DISPATCH_SCHEDULED);
	add(&s, 20, DISPATCH_ALLOW_ALL, DISPATCH_TRIGGER);
	add(&s, 30, DISPATCH_ALLOW_ALL, DISPATCH_SCHEDULED);
	add(&s, 40, DISPATCH_ALLOW_ALL, DISPATCH_SCHEDULED);
	add(&s, 50, DISPATCH_ALLOW_ALL, DISPATCH_BACKFILL);
	run(&s);
	CHECK(s.st.remaining == 0 && s.st.decremented == 2 &&
		  s.st.num_actions == 4);
	CHECK(s.items[3].fate == DISPATCH_DROPPED_LIMIT &&
		  s.items[4].fate == DISPATCH_STARTED);
	/* allow_all starts are untracked */
	CHECK(s.st.running == 0 && !s.fake.started_tracked[0]);

	/* a taken start does not consume a remaining action */
	setup(&s, 0);
	s.st.limited = true;
	s.st.remaining = 1;
	s.fake.refuse_nominal = 10;
	add(&s, 10, DISPATCH_SKIP, DISPATCH_SCHEDULED);
	add(&s, 20, DISPATCH_SKIP, DISPATCH_SCHEDULED);
	run(&s);
	CHECK(s.items[0].fate == DISPATCH_TAKEN && s.items[1].fate == DISPATCH_SKIPPED &&
		  s.st.remaining == 1);

	/* buffer_all, nothing running: one starts, the others wait in order */
	setup(&s, 0);
	for (int i = 1; i <= 4; i++)
		add(&s, i, DISPATCH_BUFFER_ALL, DISPATCH_BACKFILL);
	run(&s);
	n = waiting(&s, w);
	CHECK(s.fake.nstarted == 1 && s.fake.started[0] == 1 && n == 3 &&
		  w[0] == 2 && w[2] == 4 && s.st.running == 1);
	/* a second processing while it runs changes nothing */
	run(&s);
	CHECK(s.fake.nstarted == 1 && waiting(&s, w) == 3);

	/* nothing to do */
	setup(&s, 0);
	run(&s);
	CHECK(s.fake.nstarted == 0 && s.st.num_actions == 0);
}

/* concurrency_limit (issue 14): at most "limit" tracked runs open */
static void
test_limit(void)
{
	DispatchItem it[6];
	DispatchPass p;
	Setup		s;
	int64_t		w[32];
	DispatchCatchup m;

	CHECK(dispatch_catchup_from_name("LATEST", 6, &m) && m == DISPATCH_CATCHUP_LATEST);
	CHECK(dispatch_catchup_from_name("none", 4, &m) && m == DISPATCH_CATCHUP_NONE);
	CHECK(!dispatch_catchup_from_name("one", 3, &m));
	CHECK(strcmp(dispatch_catchup_names[DISPATCH_CATCHUP_ALL], "all") == 0);

	/* skip, 1 of 3 open: two chosen, the rest skipped */
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 5; i++)
		it[i].overlap = DISPATCH_SKIP;
	dispatch_pass_n(it, 5, 1, 3, &p);
	CHECK(p.chosen == 0 && p.skipped == 3);
	CHECK(it[0].fate == DISPATCH_START && it[1].fate == DISPATCH_START &&
		  it[2].fate == DISPATCH_SKIPPED && it[4].fate == DISPATCH_SKIPPED);

	/* limit 1 is the pass of one run */
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 3; i++)
		it[i].overlap = DISPATCH_SKIP;
	dispatch_pass_n(it, 3, 0, 1, &p);
	CHECK(p.chosen == 0 && p.skipped == 2 && it[1].fate == DISPATCH_SKIPPED);

	/* buffer_all at the limit: all wait */
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 3; i++)
		it[i].overlap = DISPATCH_BUFFER_ALL;
	dispatch_pass_n(it, 3, 2, 2, &p);
	CHECK(p.chosen == -1 && p.skipped == 0 && it[2].fate == DISPATCH_KEEP);

	/* cancel_other with nothing running replaces every chosen item */
	memset(it, 0, sizeof(it));
	it[0].overlap = DISPATCH_BUFFER_ALL;
	it[1].overlap = DISPATCH_BUFFER_ALL;
	it[2].overlap = DISPATCH_CANCEL_OTHER;
	dispatch_pass_n(it, 3, 0, 2, &p);
	CHECK(p.chosen == 2 && it[0].fate == DISPATCH_REPLACED &&
		  it[1].fate == DISPATCH_REPLACED && it[2].fate == DISPATCH_START);

	/* cancel_other beside runs this pass starts: waits, cancels nothing */
	memset(it, 0, sizeof(it));
	it[0].overlap = DISPATCH_SKIP;
	it[1].overlap = DISPATCH_CANCEL_OTHER;
	dispatch_pass_n(it, 2, 1, 2, &p);
	CHECK(it[0].fate == DISPATCH_START && it[1].fate == DISPATCH_KEEP &&
		  !p.need_cancel);

	/* the buffer: 3 buffered, limit 2, one open: one starts, two wait */
	setup(&s, 1);
	s.st.limit = 2;
	add(&s, 10, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	add(&s, 20, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	add(&s, 30, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	run(&s);
	CHECK(s.fake.nstarted == 1 && s.fake.started[0] == 10 && s.st.running == 2);
	CHECK(waiting(&s, w) == 2 && w[0] == 20 && w[1] == 30);
	/* ... both runs close: the two others start */
	s.st.running = 0;
	s.fake.open_running = 0;
	run(&s);
	CHECK(s.fake.nstarted == 3 && s.st.running == 2 && waiting(&s, w) == 0);

	/* a chosen item whose id is taken frees its slot for the next one */
	setup(&s, 0);
	s.st.limit = 2;
	s.fake.refuse_nominal = 10;
	add(&s, 10, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	add(&s, 20, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	add(&s, 30, DISPATCH_BUFFER_ALL, DISPATCH_SCHEDULED);
	run(&s);
	CHECK(s.st.num_taken == 1 && s.fake.nstarted == 2 && s.st.running == 2 &&
		  waiting(&s, w) == 0);
}

int
main(void)
{
	test_names();
	test_classify();
	test_buffer_limit();
	test_pass();
	test_buffer();
	test_limit();
	printf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed > 0;
}
