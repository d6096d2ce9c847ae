/*-------------------------------------------------------------------------
 *
 * spec_explain.c
 *	  The candidate times of a spec over a range, and why each one fires or
 *	  not (the machinery of sched.explain; explain_sql.c has the SQL).
 *
 * The candidates are the times of a *wider* spec: the same parts and
 * bounds, no skip calendars, and the DST policy that keeps everything
 * (both passes of a repeated time, a gap's times at the first instant
 * after it).  Every real time is among them, as skipping and the policy
 * only remove times.  Each candidate is then asked of the real spec
 * (spec_next from the second before it): either it is one of its times,
 * or a skip calendar matches it, or the DST policy removed it.  Deciding
 * with the engine's own spec_next keeps explain and the scheduler in
 * agreement by construction, rather than re-implementing the rules here.
 *
 * Work is bounded: at most SPEC_EXPLAIN_MAX_ROWS candidates, each a few
 * engine calls per part (which part gave it).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "spec_explain.h"

static void
explain_engine_error(const SpecError *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("could not compute the next time of the spec: %s",
					err->message)));
}

/* Does calendar cal give t under policy dst (its next after t - 1 is t)? */
static bool
calendar_gives(const SpecCalendar *cal, const SpecTz *tz, const SpecDst *dst,
			   spec_time t)
{
	spec_time	n;
	SpecError	err;
	SpecNextStatus st = spec_calendar_next_dst(cal, tz, dst, t - 1, &n, &err);

	if (st == SPEC_NEXT_ERROR)
		explain_engine_error(&err);
	return st == SPEC_NEXT_FOUND && n == t;
}

int
spec_explain(const SpecJson *sj, spec_time from, spec_time to,
			 SpecExplainRow **rows_out)
{
	const Spec *real = &sj->spec;
	Spec		wide = *real;
	SpecExplainRow *rows;
	int			nrows = 0;
	int			cap = 16;
	spec_time	after = from - 1;

	wide.nskip = 0;
	wide.dst.repeated = SPEC_DST_REPEATED_BOTH;
	wide.dst.skipped = SPEC_DST_SKIPPED_NEXT_VALID;
	rows = palloc(sizeof(SpecExplainRow) * cap);

	for (;;)
	{
		SpecExplainRow *r;
		spec_time	t,
					n;
		SpecError	err;
		SpecNextStatus st;
		bool		direct = false;

		CHECK_FOR_INTERRUPTS();
		st = spec_next(&wide, after, &t, &err);
		if (st == SPEC_NEXT_ERROR)
			explain_engine_error(&err);
		if (st == SPEC_NEXT_NONE || t > to)
			break;
		if (nrows == SPEC_EXPLAIN_MAX_ROWS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the range holds more than %d times of the spec",
							SPEC_EXPLAIN_MAX_ROWS),
					 errhint("Explain a shorter range; the last time shown so far is the start of the next one.")));
		if (nrows == cap)
		{
			cap *= 2;
			rows = repalloc(rows, sizeof(SpecExplainRow) * cap);
		}
		r = &rows[nrows++];
		memset(r, 0, sizeof(*r));
		r->t = t;
		r->skip_index = -1;
		r->next_nominal = SPEC_TIME_MAX;

		/* which parts give t, and whether one matches its wall clock */
		r->calendars = palloc(sizeof(int) * Max(real->ncalendars, 1));
		r->intervals = palloc(sizeof(int) * Max(real->nintervals, 1));
		for (int i = 0; i < real->ncalendars; i++)
		{
			if (calendar_gives(&real->calendars[i], &real->tz, &wide.dst, t))
			{
				r->calendars[r->ncalendars++] = i;
				if (spec_calendar_matches(&real->calendars[i], &real->tz, t))
					direct = true;
			}
		}
		for (int i = 0; i < real->nintervals; i++)
		{
			if (spec_interval_next(&real->intervals[i], t - 1) == t)
			{
				r->intervals[r->nintervals++] = i;
				direct = true;
			}
		}

		if (!spec_dst_note(&real->tz, t, &r->utc_offset, &r->note,
						   &r->gap_start))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not compute the next time of the spec: time zone lookup failed")));
		if (r->note == SPEC_DST_NOTE_AFTER_GAP)
		{
			/* only a time that stands for the gap's times gets the note */
			if (direct)
				r->note = SPEC_DST_NOTE_NONE;
			else
				r->gap_end = t + r->utc_offset;
		}

		/* does the real spec fire it? */
		st = spec_next(real, t - 1, &n, &err);
		if (st == SPEC_NEXT_ERROR)
			explain_engine_error(&err);
		if (st == SPEC_NEXT_FOUND && n == t)
		{
			r->removed = SPEC_EXPLAIN_FIRES;
			st = spec_next(real, t, &n, &err);
			if (st == SPEC_NEXT_ERROR)
				explain_engine_error(&err);
			if (st == SPEC_NEXT_FOUND)
				r->next_nominal = n;
		}
		else
		{
			for (int i = 0; i < real->nskip && r->skip_index < 0; i++)
				if (spec_calendar_matches(&real->skip[i], &real->tz, t))
					r->skip_index = i;
			if (r->skip_index >= 0)
				r->removed = SPEC_EXPLAIN_SKIP_CALENDAR;
			else if (r->note == SPEC_DST_NOTE_AFTER_GAP)
				r->removed = SPEC_EXPLAIN_DST_GAP;
			else
				r->removed = SPEC_EXPLAIN_DST_REPEATED;
		}
		after = t;
	}
	*rows_out = rows;
	return nrows;
}
