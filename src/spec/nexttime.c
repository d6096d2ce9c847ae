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
 * That holds east and west of UTC and for 30-minute shifts alike.  Between
 * segments the search jumps straight to the first wall-clock match (minus
 * the largest possible offset) instead of walking every DST transition, so
 * a match decades away costs a handful of lookups.
 *
 *-------------------------------------------------------------------------
 */
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

/* The days (bits 1-31) of year y, month m that match both day fields. */
static uint32_t
day_mask(const SpecCalendar *cal, int y, int m)
{
	int			dim = spec_days_in_month(y, m);
	int			fd = spec_weekday(spec_days_from_civil(y, m, 1));
	uint32_t	dow = cal->day_of_week;
	uint32_t	r,
				w;

	/* bit k of r: does day k+1 (weekday (fd + k) % 7) match? */
	r = ((dow >> fd) | (dow << (7 - fd))) & 0x7f;
	w = (r | r << 7 | r << 14 | r << 21 | r << 28) << 1;
	w = cal->day_or ? (cal->day_of_month | w) : (cal->day_of_month & w);
	return w & (((UINT32_C(1) << dim) - 1) << 1);
}

static bool
calendar_empty(const SpecCalendar *cal)
{
	bool		no_days = cal->day_or ?
		(!cal->day_of_month && !cal->day_of_week) :
		(!cal->day_of_month || !cal->day_of_week);

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

SpecNextStatus
spec_calendar_next(const SpecCalendar *cal, const SpecTz *tz, spec_time after,
				   spec_time *next, SpecError *err)
{
	spec_time	from;

	if (calendar_empty(cal) || after >= LOCAL_LIMIT + MAX_UTC_OFFSET)
		return SPEC_NEXT_NONE;
	from = (after < EARLIEST ? EARLIEST : after) + 1;

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

		/*
		 * No match before this segment ends.  A later instant u can only
		 * match a wall-clock time earlier than "match" (or any, when there
		 * is no match) if the clock went back by more than u - from (a
		 * fall-back overlap), so only within 2 * MAX_UTC_OFFSET of from:
		 * search the segments there one by one.  Past that, u >= match -
		 * its offset >= match - MAX_UTC_OFFSET.
		 */
		if (change == SPEC_TIME_MAX)
			return SPEC_NEXT_NONE;
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

/* Does the calendar match wall-clock time c, whose weekday is wd? */
static bool
civil_matches(const SpecCalendar *cal, const SpecCivil *c, int wd)
{
	bool		dom = (cal->day_of_month >> c->day) & 1;
	bool		dow = (cal->day_of_week >> wd) & 1;

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

	if (spec->start_at != SPEC_TIME_MIN && spec->start_at - 1 > from)
		from = spec->start_at - 1;

	for (;;)
	{
		spec_time	best = SPEC_TIME_MAX;
		bool		skipped = false;

		for (int i = 0; i < spec->ncalendars; i++)
		{
			spec_time	t;

			switch (spec_calendar_next(&spec->calendars[i], &spec->tz, from,
									   &t, err))
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
	}
}
