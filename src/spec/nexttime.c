/*-------------------------------------------------------------------------
 *
 * nexttime.c
 *	  The next nominal time of a spec.
 *
 * Calendars match wall-clock fields, but a schedule needs instants.  Time
 * is cut into *segments*: stretches of instants over which the zone's UTC
 * offset is constant (the SpecTz lookup gives the offset and where the
 * segment ends).  Inside a segment the wall clock is just instant + offset,
 * so the search is a plain field-by-field jump over wall-clock fields
 * (year, month, day, hour, minute, second; each a bitmask, each step a
 * "lowest set bit at or above").  DST then needs no special case:
 *
 *	- a spring-forward gap is a range of wall-clock times that no segment
 *	  covers, so times in it never fire;
 *	- a fall-back overlap is a range of wall-clock times that two adjacent
 *	  segments both cover, so times in it fire once in each.
 *
 * That holds east and west of UTC and for 30-minute shifts alike.  A
 * spec's DST policy (SpecDst) changes that on purpose: next_valid fires a
 * gap's wall times at the transition, first/second drop one pass of a
 * repeated wall time (spec_calendar_next_dst).  Between
 * segments the search jumps straight to the first wall-clock match (minus
 * the largest possible offset) instead of walking every DST transition, so
 * a match decades away costs a handful of lookups.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <string.h>

#include "spec.h"

/* 2101-01-01T00:00:00 as wall-clock seconds: nothing fires at or after it. */
#define LOCAL_LIMIT			INT64_C(4133980800)
/* 0001-01-01T00:00:00Z: earlier "after" values are clamped to it. */
#define EARLIEST			INT64_C(-62135596800)
/* No zone is this far from UTC; bounds the jumps between segments. */
#define MAX_UTC_OFFSET		(26 * 3600)

static inline int
lowest_bit(uint64_t m)
{
#if defined(__GNUC__)
	return __builtin_ctzll(m);
#else
	int			n = 0;

	while (!(m & 1))
	{
		m >>= 1;
		n++;
	}
	return n;
#endif
}

/* Smallest set bit >= from, or -1. */
static inline int
next_bit(uint64_t mask, int from)
{
	if (from > 63)
		return -1;
	mask &= ~UINT64_C(0) << from;
	return mask ? lowest_bit(mask) : -1;
}

#define FULL_60			((UINT64_C(1) << 60) - 1)
#define FULL_HOURS		((UINT32_C(1) << 24) - 1)
#define FULL_DAYS		(((UINT32_C(1) << 31) - 1) << 1)	/* bits 1-31 */
#define FULL_MONTHS		((uint16_t) (((1u << 12) - 1) << 1))	/* bits 1-12 */
#define FULL_WEEK		((uint8_t) 0x7f)
#define YEAR_FULL_HIGH	((UINT64_C(1) << (SPEC_MAX_YEAR - SPEC_MIN_YEAR + 1 - 64)) - 1)

static bool
year_any(const SpecCalendar *cal)
{
	return cal->year[0] == ~UINT64_C(0) && cal->year[1] == YEAR_FULL_HIGH;
}

/* Smallest allowed year >= y, or -1.  Years before 2000 match only "any". */
static int
next_year(const SpecCalendar *cal, int y)
{
	int			b;

	if (y > SPEC_MAX_YEAR)
		return -1;
	if (y < SPEC_MIN_YEAR)
	{
		if (year_any(cal))
			return y;
		y = SPEC_MIN_YEAR;
	}
	y -= SPEC_MIN_YEAR;
	if (y < 64)
	{
		b = next_bit(cal->year[0], y);
		if (b >= 0)
			return SPEC_MIN_YEAR + b;
		y = 64;
	}
	b = next_bit(cal->year[1], y - 64);
	return b >= 0 ? SPEC_MIN_YEAR + 64 + b : -1;
}

/*
 * Any n-th (or n-th to last) weekday?  weekday_nth and weekday_last lie side
 * by side (checked below), so their 10 bytes are read as two words: this
 * runs on every next-time call of every calendar, relative or not.
 */
typedef char spec_nth_layout_check[
	offsetof(SpecCalendar, weekday_last) ==
	offsetof(SpecCalendar, weekday_nth) + SPEC_MAX_NTH && SPEC_MAX_NTH == 5 ?
	1 : -1];

static inline bool
has_nth_weekdays(const SpecCalendar *cal)
{
	uint64_t	a;
	uint16_t	b;

	memcpy(&a, cal->weekday_nth, sizeof(a));
	memcpy(&b, cal->weekday_nth + sizeof(a), sizeof(b));
	return (a | b) != 0;
}

/* Does the calendar have days from the end or n-th weekdays? */
static inline bool
has_relative_days(const SpecCalendar *cal)
{
	return cal->day_of_month_last != 0 || has_nth_weekdays(cal);
}

/* Weekday set "wd" rotated so that bit k says whether weekday (fd + k) % 7 is in it. */
static inline uint32_t
rotate_week(uint32_t wd, int fd)
{
	return ((wd >> fd) | (wd << (7 - fd))) & 0x7f;
}

/*
 * The days (bits 1-31) of year y, month m that match both day fields.  The
 * relative forms become days here, once per month searched: day k from the
 * end is day dim + 1 - k; the n-th weekday d lies in days 7n-6..7n, the
 * n-th to last in days dim-7n+1..dim-7n+7.
 */
static uint32_t
day_mask(const SpecCalendar *cal, int y, int m)
{
	int			dim = spec_days_in_month(y, m);
	int			fd = spec_weekday(spec_days_from_civil(y, m, 1));
	uint32_t	dom = cal->day_of_month;
	uint32_t	r,
				w;

	/* bit k of r: does day k+1 (weekday (fd + k) % 7) match? */
	r = rotate_week(cal->day_of_week, fd);
	w = (r | r << 7 | r << 14 | r << 21 | r << 28) << 1;
	if (has_relative_days(cal))
	{
		uint32_t	last = cal->day_of_month_last;

		while (last)
		{
			int			k = lowest_bit(last);

			last &= last - 1;
			if (k <= dim)
				dom |= UINT32_C(1) << (dim + 1 - k);
		}
		for (int n = 1; n <= SPEC_MAX_NTH; n++)
		{
			if (cal->weekday_nth[n - 1])
			{
				/* days 7n-6 .. 7n: the first has weekday (fd + 7n - 7) % 7 = fd */
				uint64_t	b = (uint64_t) rotate_week(cal->weekday_nth[n - 1], fd);

				w |= (uint32_t) ((b << (7 * n - 6)) & 0xfffffffe);
			}
			if (cal->weekday_last[n - 1])
			{
				int			first = dim - 7 * n + 1;	/* may be < 1 */
				int			wd1 = ((fd + first - 1) % 7 + 7) % 7;
				uint64_t	b = (uint64_t) rotate_week(cal->weekday_last[n - 1], wd1);

				/* bit j of b: day first + j */
				if (first >= 1)
					w |= (uint32_t) (b << first);
				else
					w |= (uint32_t) ((b >> (1 - first)) << 1);
			}
		}
	}
	w = cal->day_or ? (dom | w) : (dom & w);
	return w & (((UINT32_C(1) << dim) - 1) << 1);
}

static inline bool
calendar_empty(const SpecCalendar *cal)
{
	bool		no_dom,
				no_dow,
				no_days;

	no_dom = !cal->day_of_month && !cal->day_of_month_last;
	no_dow = !cal->day_of_week && !has_nth_weekdays(cal);
	no_days = cal->day_or ? (no_dom && no_dow) : (no_dom || no_dow);

	return !cal->second || !cal->minute || !cal->hour || no_days ||
		!cal->month || !(cal->year[0] | cal->year[1]);
}

/*
 * The first wall-clock time >= lo (wall-clock seconds) that the calendar
 * matches, or false when there is none before 2101.  Each pass either
 * returns or moves one field forward, carrying into the next coarser field
 * when a field runs out; at most a few passes per year searched.
 */
static bool
civil_search(const SpecCalendar *cal, int64_t lo, int64_t *found)
{
	SpecCivil	c;
	int			cached_y = 0,
				cached_m = 0;
	uint32_t	days = 0;

	spec_civil_from_seconds(lo, &c);
	for (;;)
	{
		int			v;

		if (c.month > 12)
		{
			c.year++;
			c.month = 1;
			c.day = 1;
			c.hour = c.minute = c.second = 0;
		}
		v = next_year(cal, c.year);
		if (v < 0)
			return false;
		if (v != c.year)
		{
			c.year = v;
			c.month = 1;
			c.day = 1;
			c.hour = c.minute = c.second = 0;
		}

		v = next_bit(cal->month, c.month);
		if (v < 0)
		{
			c.month = 13;		/* carried into the next year above */
			continue;
		}
		if (v != c.month)
		{
			c.month = v;
			c.day = 1;
			c.hour = c.minute = c.second = 0;
		}

		if (c.year != cached_y || c.month != cached_m)
		{
			days = day_mask(cal, c.year, c.month);
			cached_y = c.year;
			cached_m = c.month;
		}
		v = next_bit(days, c.day);
		if (v < 0)
		{
			c.month++;
			c.day = 1;
			c.hour = c.minute = c.second = 0;
			continue;
		}
		if (v != c.day)
		{
			c.day = v;
			c.hour = c.minute = c.second = 0;
		}

		v = next_bit(cal->hour, c.hour);
		if (v < 0)
		{
			c.day++;
			c.hour = c.minute = c.second = 0;
			continue;
		}
		if (v != c.hour)
		{
			c.hour = v;
			c.minute = c.second = 0;
		}

		v = next_bit(cal->minute, c.minute);
		if (v < 0)
		{
			c.hour++;
			c.minute = c.second = 0;
			continue;
		}
		if (v != c.minute)
		{
			c.minute = v;
			c.second = 0;
		}

		v = next_bit(cal->second, c.second);
		if (v < 0)
		{
			c.minute++;
			c.second = 0;
			continue;
		}
		c.second = v;
		*found = spec_seconds_from_civil(&c);
		return *found < LOCAL_LIMIT;
	}
}

/* Offset at t and the end of its segment; UTC when the spec has no zone. */
static bool
zone_lookup(const SpecTz *tz, spec_time t, int32_t *off, spec_time *change,
			SpecError *err)
{
	if (tz == NULL || tz->lookup == NULL)
	{
		*off = 0;
		*change = SPEC_TIME_MAX;
		return true;
	}
	if (!tz->lookup(tz->zone, t, off, change))
		return spec_error(err, SPEC_ERR_TIME_ZONE, -1, 0,
						  "time zone lookup failed");
	if (*off > MAX_UTC_OFFSET || *off < -MAX_UTC_OFFSET || *change <= t)
		return spec_error(err, SPEC_ERR_TIME_ZONE, -1, 0,
						  "time zone gave an unusable answer");
	return true;
}

/*
 * The first instant after "after" that the calendar matches, the DST
 * policy for repeated times aside.  With next_valid, a wall-clock match in
 * a spring-forward gap [change + off, change + next offset) fires at
 * "change", the first instant after the gap.
 */
static SpecNextStatus
calendar_next_segments(const SpecCalendar *cal, const SpecTz *tz,
					   bool next_valid, spec_time after, spec_time *next,
					   SpecError *err)
{
	spec_time	from;

	if (calendar_empty(cal) || after >= LOCAL_LIMIT + MAX_UTC_OFFSET)
		return SPEC_NEXT_NONE;
	from = (after < EARLIEST ? EARLIEST : after) + 1;

	if (next_valid && tz != NULL && tz->lookup != NULL)
	{
		int32_t		before_off,
					off;
		spec_time	change,
					change2;
		int64_t		match;

		/* a gap that ends exactly at "from" fires at from */
		if (!zone_lookup(tz, from - 1, &before_off, &change, err))
			return SPEC_NEXT_ERROR;
		if (change == from)
		{
			if (!zone_lookup(tz, from, &off, &change2, err))
				return SPEC_NEXT_ERROR;
			if (off > before_off &&
				civil_search(cal, from + before_off, &match) &&
				match < from + off)
			{
				*next = from;
				return SPEC_NEXT_FOUND;
			}
		}
	}

	for (;;)
	{
		int32_t		off;
		spec_time	change;
		int64_t		match;
		bool		found;

		if (!zone_lookup(tz, from, &off, &change, err))
			return SPEC_NEXT_ERROR;
		found = civil_search(cal, from + off, &match);
		if (found && (change == SPEC_TIME_MAX || match < change + off))
		{
			*next = match - off;
			return SPEC_NEXT_FOUND;
		}
		if (change == SPEC_TIME_MAX)
			return SPEC_NEXT_NONE;

		/*
		 * The first match at or after this segment's wall clock lies beyond
		 * its end: if it falls in the gap the next segment opens, it fires
		 * at the transition (the jumps below never pass over a gap holding
		 * a match: such a gap's wall times lie between from + off and
		 * "match", where nothing matches).
		 */
		if (next_valid && found)
		{
			int32_t		off2;
			spec_time	change2;

			if (!zone_lookup(tz, change, &off2, &change2, err))
				return SPEC_NEXT_ERROR;
			if (off2 > off && match < change + off2)
			{
				*next = change;
				return SPEC_NEXT_FOUND;
			}
		}

		/*
		 * No match before this segment ends.  A later instant u can only
		 * match a wall-clock time earlier than "match" (or any, when there
		 * is no match) if the clock went back by more than u - from (a
		 * fall-back overlap), so only within 2 * MAX_UTC_OFFSET of from:
		 * search the segments there one by one.  Past that, u >= match -
		 * its offset >= match - MAX_UTC_OFFSET.
		 */
		if (change < from + 2 * MAX_UTC_OFFSET)
			from = change;
		else if (!found)
			return SPEC_NEXT_NONE;
		else if (match - MAX_UTC_OFFSET <= change)
			from = change;
		else
			from = match - MAX_UTC_OFFSET;
	}
}

/*
 * The other instants showing the wall clock of t (offset off): whether one
 * is earlier or later, and for each the last instant of t's stretch of
 * repeated wall times that it also covers, where a search that drops t can
 * resume.  Only segments within 2 * MAX_UTC_OFFSET of t can hold one.
 */
typedef struct RepeatInfo
{
	bool		earlier;
	bool		later;
	spec_time	earlier_resume;
	spec_time	later_resume;
} RepeatInfo;

static bool
repeat_info(const SpecTz *tz, spec_time t, int32_t off, RepeatInfo *ri,
			SpecError *err)
{
	int64_t		wall = t + off;
	int32_t		o;
	spec_time	change_t,
				s,
				e;

	ri->earlier = ri->later = false;
	if (tz == NULL || tz->lookup == NULL)
		return true;
	if (!zone_lookup(tz, t, &o, &change_t, err))
		return false;
	s = t - 2 * MAX_UTC_OFFSET;
	/* at most a few segments: no zone changes more than daily */
	for (int i = 0; i < 64 && s <= t + 2 * MAX_UTC_OFFSET; i++)
	{
		spec_time	u;

		if (!zone_lookup(tz, s, &o, &e, err))
			return false;
		u = wall - o;
		if (u != t && u >= s && u < e)
		{
			/* t's instants whose wall clock this segment also shows end at */
			spec_time	stop = e + o - off;

			if (stop > change_t)
				stop = change_t;
			if (u < t)
			{
				ri->earlier = true;
				ri->earlier_resume = stop - 1;
			}
			else if (!ri->later)
			{
				ri->later = true;
				ri->later_resume = stop - 1;
			}
		}
		if (e == SPEC_TIME_MAX)
			break;
		s = e;
	}
	return true;
}

SpecNextStatus
spec_calendar_next_dst(const SpecCalendar *cal, const SpecTz *tz,
					   const SpecDst *dst, spec_time after, spec_time *next,
					   SpecError *err)
{
	bool		next_valid = dst != NULL &&
		dst->skipped == SPEC_DST_SKIPPED_NEXT_VALID;
	SpecDstRepeated repeated = dst ? dst->repeated : SPEC_DST_REPEATED_BOTH;

	/* the common case, every time of a repeated hour fires: one search */
	if (repeated == SPEC_DST_REPEATED_BOTH || tz == NULL || tz->lookup == NULL)
		return calendar_next_segments(cal, tz, next_valid, after, next, err);

	/* each drop passes a whole stretch of repeated times: a few per year */
	for (int drops = 0; drops < 10000; drops++)
	{
		SpecNextStatus st;
		spec_time	t;
		int32_t		off;
		spec_time	change;
		RepeatInfo	ri;

		st = calendar_next_segments(cal, tz, next_valid, after, &t, err);
		if (st != SPEC_NEXT_FOUND || repeated == SPEC_DST_REPEATED_BOTH ||
			tz == NULL || tz->lookup == NULL)
		{
			if (st == SPEC_NEXT_FOUND)
				*next = t;
			return st;
		}
		if (!zone_lookup(tz, t, &off, &change, err) ||
			!repeat_info(tz, t, off, &ri, err))
			return SPEC_NEXT_ERROR;
		if (repeated == SPEC_DST_REPEATED_FIRST && ri.earlier)
			after = ri.earlier_resume;
		else if (repeated == SPEC_DST_REPEATED_SECOND && ri.later)
			after = ri.later_resume;
		else
		{
			*next = t;
			return SPEC_NEXT_FOUND;
		}
	}
	spec_error(err, SPEC_ERR_EXCLUSIONS, -1, 0,
			   "too many exclusions: the DST policy dropped more than 10000 consecutive times");
	return SPEC_NEXT_ERROR;
}

/*
 * spec_calendar_next_dst() for spec_next(): the common case (both passes of
 * a repeated hour fire) goes straight to the search, without a call that
 * sets up the dropping loop's frame for every calendar of every call.
 */
static inline SpecNextStatus
calendar_next(const SpecCalendar *cal, const SpecTz *tz, const SpecDst *dst,
			  spec_time after, spec_time *next, SpecError *err)
{
	if (dst->repeated == SPEC_DST_REPEATED_BOTH || tz == NULL ||
		tz->lookup == NULL)
		return calendar_next_segments(cal, tz,
									  dst->skipped == SPEC_DST_SKIPPED_NEXT_VALID,
									  after, next, err);
	return spec_calendar_next_dst(cal, tz, dst, after, next, err);
}

SpecNextStatus
spec_calendar_next(const SpecCalendar *cal, const SpecTz *tz, spec_time after,
				   spec_time *next, SpecError *err)
{
	return calendar_next_segments(cal, tz, false, after, next, err);
}

bool
spec_dst_note(const SpecTz *tz, spec_time t, int32_t *utc_offset,
			  SpecDstNote *note, int64_t *gap_start)
{
	int32_t		before;
	spec_time	change;
	RepeatInfo	ri;

	*note = SPEC_DST_NOTE_NONE;
	*gap_start = 0;
	if (!zone_lookup(tz, t, utc_offset, &change, NULL))
		return false;
	if (tz == NULL || tz->lookup == NULL)
		return true;
	if (!repeat_info(tz, t, *utc_offset, &ri, NULL))
		return false;
	if (ri.earlier)
		*note = SPEC_DST_NOTE_SECOND_PASS;
	else if (ri.later)
		*note = SPEC_DST_NOTE_FIRST_PASS;
	else
	{
		if (!zone_lookup(tz, t - 1, &before, &change, NULL))
			return false;
		if (change == t && *utc_offset > before)
		{
			*note = SPEC_DST_NOTE_AFTER_GAP;
			*gap_start = t + before;
		}
	}
	return true;
}

/* Does the calendar match wall-clock time c, whose weekday is wd? */
static bool
civil_matches(const SpecCalendar *cal, const SpecCivil *c, int wd)
{
	bool		dom = (cal->day_of_month >> c->day) & 1;
	bool		dow = (cal->day_of_week >> wd) & 1;

	if (has_relative_days(cal))
	{
		int			dim = spec_days_in_month(c->year, c->month);

		dom = dom || ((cal->day_of_month_last >> (dim + 1 - c->day)) & 1);
		dow = dow || ((cal->weekday_nth[(c->day - 1) / 7] >> wd) & 1) ||
			((cal->weekday_last[(dim - c->day) / 7] >> wd) & 1);
	}

	if (c->year < SPEC_MIN_YEAR ? !year_any(cal) :
		!spec_calendar_field_has(cal, SPEC_YEAR, c->year))
		return false;
	return ((cal->month >> c->month) & 1) &&
		(cal->day_or ? (dom || dow) : (dom && dow)) &&
		((cal->hour >> c->hour) & 1) &&
		((cal->minute >> c->minute) & 1) &&
		((cal->second >> c->second) & 1);
}

bool
spec_calendar_matches(const SpecCalendar *cal, const SpecTz *tz, spec_time t)
{
	int32_t		off;
	spec_time	change;
	SpecCivil	c;

	if (!zone_lookup(tz, t, &off, &change, NULL))
		return false;
	spec_civil_from_seconds(t + off, &c);
	return civil_matches(cal, &c,
						 spec_weekday(spec_days_from_civil(c.year, c.month, c.day)));
}

/*
 * The last instant of the block of consecutive instants that skip calendar
 * "cal" matches, starting at t (which it matches): when the finer fields are
 * all full, a whole minute, hour, day, month or year is skipped in one step.
 * Clamped to the end of t's zone segment, where wall-clock arithmetic stops
 * being valid.
 */
static spec_time
skip_block_end(const SpecCalendar *cal, spec_time t, int32_t off,
			   spec_time change)
{
	int64_t		local = t + off;
	SpecCivil	c;
	spec_time	end;

	spec_civil_from_seconds(local, &c);
	if (cal->second != FULL_60)
		return t;
	c.second = 59;
	if (cal->minute == FULL_60)
	{
		c.minute = 59;
		if (cal->hour == FULL_HOURS)
		{
			c.hour = 23;
			if (!cal->day_or && cal->day_of_month == FULL_DAYS &&
				cal->day_of_week == FULL_WEEK)
			{
				c.day = spec_days_in_month(c.year, c.month);
				if (cal->month == FULL_MONTHS)
				{
					c.month = 12;
					c.day = 31;
				}
			}
		}
	}
	end = t + (spec_seconds_from_civil(&c) - local);
	if (change != SPEC_TIME_MAX && end >= change)
		end = change - 1;
	return end;
}

SpecNextStatus
spec_next(const Spec *spec, spec_time after, spec_time *next, SpecError *err)
{
	spec_time	from = after < EARLIEST ? EARLIEST : after;
	int			excluded = 0;
	int64_t		work = 0;
	const int64_t per_candidate = (int64_t) spec->ncalendars +
		spec->nintervals + spec->nskip + 1;

	if (spec->start_at != SPEC_TIME_MIN && spec->start_at - 1 > from)
		from = spec->start_at - 1;

	for (;;)
	{
		spec_time	best = SPEC_TIME_MAX;
		bool		skipped = false;

		for (int i = 0; i < spec->ncalendars; i++)
		{
			spec_time	t;

			switch (calendar_next(&spec->calendars[i], &spec->tz, &spec->dst,
								  from, &t, err))
			{
				case SPEC_NEXT_ERROR:
					return SPEC_NEXT_ERROR;
				case SPEC_NEXT_FOUND:
					if (t < best)
						best = t;
					break;
				case SPEC_NEXT_NONE:
					break;
			}
		}
		for (int i = 0; i < spec->nintervals; i++)
		{
			spec_time	t = spec_interval_next(&spec->intervals[i], from);

			if (t < best)
				best = t;
		}
		if (best == SPEC_TIME_MAX || best > spec->end_at)
			return SPEC_NEXT_NONE;
		/* one wall-clock reading serves the 2100 limit and every skip */
		if (best >= LOCAL_LIMIT - MAX_UTC_OFFSET || spec->nskip > 0)
		{
			int32_t		off;
			spec_time	change;
			SpecCivil	c;
			int			wd;

			if (!zone_lookup(&spec->tz, best, &off, &change, err))
				return SPEC_NEXT_ERROR;
			/* intervals know nothing of 2100 */
			if (best + off >= LOCAL_LIMIT)
				return SPEC_NEXT_NONE;
			spec_civil_from_seconds(best + off, &c);
			wd = spec_weekday(spec_days_from_civil(c.year, c.month, c.day));
			for (int i = 0; i < spec->nskip; i++)
			{
				if (civil_matches(&spec->skip[i], &c, wd))
				{
					from = skip_block_end(&spec->skip[i], best, off, change);
					skipped = true;
					break;
				}
			}
		}
		if (!skipped)
		{
			*next = best;
			return SPEC_NEXT_FOUND;
		}
		if (++excluded > SPEC_MAX_EXCLUSIONS)
		{
			spec_error(err, SPEC_ERR_EXCLUSIONS, -1, 0,
					   "too many exclusions: skip calendars matched more than %d consecutive times",
					   SPEC_MAX_EXCLUSIONS);
			return SPEC_NEXT_ERROR;
		}
		/* bound the work, not only the count: big specs pay per candidate */
		work += per_candidate;
		if (work > SPEC_MAX_WORK)
		{
			spec_error(err, SPEC_ERR_EXCLUSIONS, -1, 0,
					   "too many exclusions: skip calendars matched %d consecutive times, the most a spec of %lld parts may search in one call",
					   excluded, (long long) (per_candidate - 1));
			return SPEC_NEXT_ERROR;
		}
	}
}
