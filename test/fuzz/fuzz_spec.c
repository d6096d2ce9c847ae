/*-------------------------------------------------------------------------
 *
 * fuzz_spec.c
 *	  libFuzzer target for the spec engine: the cron, field, time and
 *	  duration parsers and the next-time search, checked against invariants.
 *
 * Input layout (all of it optional past the first 9 bytes):
 *
 *	byte 0		bits 0-2: zone (index into zone_names; 7 = no provider, UTC)
 *				bit 3: parse cron lines with SPEC_CRON_STANDARD
 *				bit 4: the zone is a TZif file embedded in the input: a
 *					   2-byte little-endian length and that many bytes follow
 *					   byte 8 (spec_tzfile_parse is fuzzed too)
 *	bytes 1-8	"after", little endian, reduced to 1990-01-01 .. 2110-12-31
 *	the rest	text, one directive per line ('\n'):
 *		!cron		a skip calendar from a cron string
 *		<time		start_at (spec_parse_time)
 *		>time		end_at
 *		~dur		jitter, a Go duration (spec_parse_go_duration)
 *		+  / -		start a new calendar / skip calendar (all defaults)
 *		%Fstr		field F ('0' = second ... '6' = year) of the newest
 *					calendar, in field syntax (spec_calendar_parse_field)
 *		^F s e st ...	field F of the newest calendar as {start, end, step}
 *					triples (spec_calendar_add_range, as the JSON glue does)
 *		=every offset	an interval in seconds, as JSON gives it (checked with
 *					spec_interval_check first)
 *		#N s e st ...	n-th weekdays of the newest calendar (spec_calendar_
 *					add_nth; N = 1..5, or -1..-5 from the end)
 *		&RS			the DST policy: R = b(oth), f(irst), s(econd) for repeated
 *					wall times, S = s(kip), n(ext valid) for skipped ones
 *		anything else: a cron string (calendar or @every interval)
 *
 * Every result of a parser is checked (no bits outside a field's bounds,
 * error fields filled in and positions inside the input, normalised ranges
 * that rebuild the same bits, add_range against its documented rule), then
 * spec_next is chained up to MAX_NEXT times and each answer checked against
 * an independent reading of the spec (in_spec: spec_calendar_matches,
 * interval arithmetic, bounds, the 2100 limit): strictly after the previous
 * one, within start_at/end_at and before 2101 local time, matched by some
 * calendar or interval and by no skip calendar.  That nothing was passed
 * over in the gap before it is checked by a second, naive search (plain
 * nested loops over each calendar's wall-clock matches, mapped to instants
 * through the zone's segments), by each part's own first candidate, by
 * instants at both ends and at random, and for a short first gap by every
 * instant.  Jitter bounds and the zone provider's contract are checked on
 * the way.  A violation prints what failed and traps.
 *
 * With -DFUZZ_STANDALONE it builds as a plain program that replays files
 * and directories given on the command line (by default test/fuzz/corpus
 * and test/fuzz/crashes) with no fuzzer runtime, so regressions run under
 * the ordinary unit build; FUZZ_SPEC_DUMP=1 in the environment prints the
 * spec each input builds.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "tzfile.h"

#define T1990			INT64_C(631152000)	/* 1990-01-01T00:00:00Z */
#define T2111			INT64_C(4449513600) /* 2111-01-01T00:00:00Z */
#define LOCAL_LIMIT		INT64_C(4133980800) /* 2101-01-01T00:00:00, wall clock */
#define YEAR0			INT64_C(-62167219200)	/* 0000-01-01T00:00:00Z */
#define YEAR10000		INT64_C(253402300800)	/* 10000-01-01T00:00:00Z */
#define MAX_ZONE_OFFSET (26 * 3600)

#define MAX_TEXT		4096
#define MAX_LINES		64
#define MAX_CALS		8
#define MAX_IVS			8
#define MAX_SKIPS		8
#define MAX_NEXT		20
#define EXHAUSTIVE_GAP	1500	/* seconds checked one by one after "after" */
#define GAP_SAMPLES		16

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const zone_names[] = {
	"UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe",
	"Asia/Kolkata", "Pacific/Auckland", "Pacific/Chatham"
};
#define NZONES ((int) (sizeof(zone_names) / sizeof(zone_names[0])))

static SpecTzFile *zones[NZONES];
static bool zones_loaded;

/* Everything one input builds; static, as one SpecCalendar is ~300 bytes. */
typedef struct FuzzCtx
{
	SpecCalendar cals[MAX_CALS];
	int			ncals;
	SpecInterval ivs[MAX_IVS];
	int			nivs;
	SpecCalendar skips[MAX_SKIPS];
	int			nskips;
	SpecCalendar scratch;		/* target of directives once arrays are full */
	SpecCalendar *cur;			/* newest calendar, for % and ^ lines */
	spec_time	start_at;
	spec_time	end_at;
	int64_t		jitter_ms;
	SpecTz		tz;
	bool		custom_zone;	/* zone from fuzzed TZif bytes */
	int			cron_flags;
	SpecDst		dst;
	uint64_t	rng;
} FuzzCtx;

static FuzzCtx ctx;
static const char *current_input = "(libFuzzer input)";

/* ---- reporting ---- */

#if defined(__GNUC__)
__attribute__((noreturn, format(printf, 3, 4)))
#endif
static void
violation(int line, const char *cond, const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "fuzz_spec: invariant violated at fuzz_spec.c:%d: %s\n  ",
			line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  input: %s\n", current_input);
	fflush(stderr);
	__builtin_trap();
}

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			violation(__LINE__, #cond, __VA_ARGS__); \
	} while (0)

/* Text of an instant for messages; enough buffers for one message. */
static const char *
ts(spec_time t)
{
	static char buf[8][48];
	static int	k;

	k = (k + 1) % 8;
	if (t == SPEC_TIME_MAX)
		return "MAX";
	if (t == SPEC_TIME_MIN)
		return "MIN";
	if (t < YEAR0 || t >= YEAR10000)
		snprintf(buf[k], sizeof(buf[k]), "%lld", (long long) t);
	else
	{
		char		txt[SPEC_TIME_TEXT_LEN];

		spec_format_time(t, txt);
		snprintf(buf[k], sizeof(buf[k]), "%s (%lld)", txt, (long long) t);
	}
	return buf[k];
}

/* Poisons an error so that fields the engine forgets to set show up. */
static void
err_reset(SpecError *err)
{
	memset(err, 0x5a, sizeof(*err));
}

/* A failure must say what, where (inside the input) and in which field. */
static void
check_error(const SpecError *err, size_t len, const char *what)
{
	CHECK(err->code > SPEC_OK && err->code <= SPEC_ERR_LIMIT,
		  "%s: bad error code %d", what, (int) err->code);
	CHECK(memchr(err->message, '\0', sizeof(err->message)) != NULL &&
		  err->message[0] != '\0', "%s: message not filled in", what);
	CHECK(err->field >= -1 && err->field < SPEC_NFIELDS,
		  "%s: bad field %d (%s)", what, err->field, err->message);
	CHECK(err->position >= 0 && (size_t) err->position <= len + 1,
		  "%s: position %d outside input of %zu bytes (%s)", what,
		  err->position, len, err->message);
}

/* ---- zones ---- */

static void
load_zones(void)
{
	if (zones_loaded)
		return;
	zones_loaded = true;
	for (int i = 0; i < NZONES; i++)
	{
		SpecError	err;

		zones[i] = spec_tzfile_load(zone_names[i], &err);
		if (zones[i] == NULL)
			fprintf(stderr, "fuzz_spec: warning: %s; using UTC instead\n",
					err.message);
	}
}

/* Wall-clock seconds of instant t; false when the zone cannot answer. */
static bool
local_of(const SpecTz *tz, spec_time t, int64_t *local)
{
	int32_t		off = 0;
	spec_time	change;

	if (tz->lookup != NULL && !tz->lookup(tz->zone, t, &off, &change))
		return false;
	if (off > MAX_ZONE_OFFSET || off < -MAX_ZONE_OFFSET)
		return false;
	*local = t + off;
	return true;
}

/*
 * The provider's contract: the offset holds from t up to (not including)
 * the reported next change, which lies after t.
 */
static void
check_zone(const SpecTz *tz, spec_time t)
{
	int32_t		off,
				off2;
	spec_time	next,
				next2;

	if (tz->lookup == NULL)
		return;
	CHECK(tz->lookup(tz->zone, t, &off, &next), "lookup failed at %s", ts(t));
	CHECK(next > t, "lookup at %s: next change %s is not after it", ts(t),
		  ts(next));
	if (next == SPEC_TIME_MAX)
		return;
	CHECK(tz->lookup(tz->zone, next - 1, &off2, &next2) && off2 == off,
		  "lookup at %s: offset %d until %s, but %d just before it",
		  ts(t), (int) off, ts(next), (int) off2);
	CHECK(tz->lookup(tz->zone, t + (next - 1 - t) / 2, &off2, &next2) &&
		  off2 == off,
		  "lookup at %s: offset %d until %s, but %d half-way", ts(t),
		  (int) off, ts(next), (int) off2);
}

/* ---- calendars ---- */

static bool
relative_bits_ok(const SpecCalendar *c)
{
	for (int n = 0; n < SPEC_MAX_NTH; n++)
		if ((c->weekday_nth[n] | c->weekday_last[n]) >> 7)
			return false;
	return true;
}

/* No bit outside a field's bounds. */
static bool
calendar_bits_ok(const SpecCalendar *c)
{
	return (c->second >> 60) == 0 && (c->minute >> 60) == 0 &&
		(c->hour >> 24) == 0 && (c->day_of_month & 1) == 0 &&
		(c->month & ~0x1ffe) == 0 && (c->day_of_week >> 7) == 0 &&
		(c->year[1] >> (SPEC_MAX_YEAR - SPEC_MIN_YEAR + 1 - 64)) == 0 &&
		(c->day_of_month_last & 1) == 0 && relative_bits_ok(c);
}

static bool
field_equal(const SpecCalendar *a, const SpecCalendar *b, SpecField f)
{
	switch (f)
	{
		case SPEC_SECOND:
			return a->second == b->second;
		case SPEC_MINUTE:
			return a->minute == b->minute;
		case SPEC_HOUR:
			return a->hour == b->hour;
		case SPEC_DAY_OF_MONTH:
			return a->day_of_month == b->day_of_month &&
				a->day_of_month_last == b->day_of_month_last;
		case SPEC_MONTH:
			return a->month == b->month;
		case SPEC_DAY_OF_WEEK:
			return a->day_of_week == b->day_of_week &&
				memcmp(a->weekday_nth, b->weekday_nth, sizeof(a->weekday_nth)) == 0 &&
				memcmp(a->weekday_last, b->weekday_last, sizeof(a->weekday_last)) == 0;
		case SPEC_YEAR:
			return a->year[0] == b->year[0] && a->year[1] == b->year[1];
		case SPEC_NFIELDS:
			break;
	}
	return false;
}

/*
 * Bits in bounds; is_full agrees with has; each field's normalised ranges
 * are well formed and, re-applied with spec_calendar_add_range to a cleared
 * field, rebuild exactly the same bits.
 */
static void
check_calendar(const SpecCalendar *cal, const char *what)
{
	CHECK(calendar_bits_ok(cal), "%s: bits outside the fields' bounds", what);
	CHECK(memchr(cal->comment, '\0', sizeof(cal->comment)) != NULL,
		  "%s: comment not terminated", what);
	for (int f = 0; f < SPEC_NFIELDS; f++)
	{
		SpecRange	out[SPEC_MAX_RANGES];
		SpecCalendar copy = *cal;
		bool		full = true;
		int			n;

		for (int v = spec_field_min[f]; v <= spec_field_max[f]; v++)
			full = full && spec_calendar_field_has(cal, (SpecField) f, v);
		CHECK(full == spec_calendar_field_is_full(cal, (SpecField) f),
			  "%s: is_full disagrees with has in the %s field", what,
			  spec_field_names[f]);

		n = spec_calendar_field_ranges(cal, (SpecField) f, out);
		CHECK(n >= 0 && n <= SPEC_MAX_RANGES, "%s: %d ranges", what, n);
		spec_calendar_clear_field(&copy, (SpecField) f);
		for (int i = 0; i < n; i++)
		{
			SpecError	err;

			CHECK(out[i].start >= spec_field_min[f] &&
				  out[i].end <= spec_field_max[f] &&
				  out[i].start <= out[i].end && out[i].step >= 1 &&
				  (out[i].end - out[i].start) % out[i].step == 0 &&
				  (i == 0 || out[i].start > out[i - 1].start),
				  "%s: bad range %d {%d, %d, %d} in the %s field", what, i,
				  out[i].start, out[i].end, out[i].step, spec_field_names[f]);
			err_reset(&err);
			CHECK(spec_calendar_add_range(&copy, (SpecField) f, out[i].start,
										  out[i].end, out[i].step, &err),
				  "%s: range {%d, %d, %d} of the %s field refused: %s", what,
				  out[i].start, out[i].end, out[i].step, spec_field_names[f],
				  err.message);
		}
		/* the relative parts, as validate_spec shows them */
		if (f == SPEC_DAY_OF_MONTH)
		{
			int			m = spec_calendar_last_day_ranges(cal, out);

			for (int i = 0; i < m; i++)
			{
				SpecError	err;

				CHECK(out[i].start >= -31 && out[i].end <= -1 &&
					  out[i].start <= out[i].end && out[i].step >= 1,
					  "%s: bad last-day range {%d, %d, %d}", what,
					  out[i].start, out[i].end, out[i].step);
				CHECK(spec_calendar_add_range(&copy, SPEC_DAY_OF_MONTH,
											  out[i].start, out[i].end,
											  out[i].step, &err),
					  "%s: last-day range refused: %s", what, err.message);
			}
		}
		if (f == SPEC_DAY_OF_WEEK)
		{
			for (int nth = -SPEC_MAX_NTH; nth <= SPEC_MAX_NTH; nth++)
			{
				int			m = nth == 0 ? 0 : spec_calendar_nth_ranges(cal, nth, out);

				for (int i = 0; i < m; i++)
				{
					SpecError	err;

					CHECK(out[i].start >= 0 && out[i].end <= 6 &&
						  out[i].start <= out[i].end && out[i].step >= 1,
						  "%s: bad nth %d range {%d, %d, %d}", what, nth,
						  out[i].start, out[i].end, out[i].step);
					CHECK(spec_calendar_add_nth(&copy, out[i].start, out[i].end,
												out[i].step, nth, &err),
						  "%s: nth range refused: %s", what, err.message);
				}
			}
		}
		CHECK(field_equal(&copy, cal, (SpecField) f),
			  "%s: %d ranges of the %s field do not rebuild its bits", what,
			  n, spec_field_names[f]);
	}
}

static SpecCalendar *
new_calendar(bool skip)
{
	SpecCalendar *c;

	if (skip)
		c = ctx.nskips < MAX_SKIPS ? &ctx.skips[ctx.nskips++] : &ctx.scratch;
	else
		c = ctx.ncals < MAX_CALS ? &ctx.cals[ctx.ncals++] : &ctx.scratch;
	spec_calendar_init(c);
	return c;
}

static SpecCalendar *
current_calendar(void)
{
	if (ctx.cur == NULL)
		ctx.cur = new_calendar(false);
	return ctx.cur;
}

/* ---- directives ---- */

static void
do_cron(const char *line, bool skip)
{
	SpecCron	cron;
	SpecError	err;
	size_t		len = strlen(line);

	err_reset(&err);
	if (!spec_parse_cron(line, ctx.cron_flags, &cron, &err))
	{
		check_error(&err, len, "spec_parse_cron");
		return;
	}
	CHECK(memchr(cron.tz_name, '\0', sizeof(cron.tz_name)) != NULL,
		  "cron \"%s\": zone name not terminated", line);
	if (cron.kind == SPEC_CRON_INTERVAL)
	{
		CHECK(spec_interval_check(&cron.interval, &err),
			  "cron \"%s\": bad interval {%lld, %lld}", line,
			  (long long) cron.interval.every, (long long) cron.interval.offset);
		if (!skip && ctx.nivs < MAX_IVS)
			ctx.ivs[ctx.nivs++] = cron.interval;
		return;
	}
	CHECK(cron.kind == SPEC_CRON_CALENDAR, "cron \"%s\": kind %d", line,
		  (int) cron.kind);
	CHECK((ctx.cron_flags & SPEC_CRON_STANDARD) || !cron.calendar.day_or,
		  "cron \"%s\": OR rule outside standard cron", line);
	check_calendar(&cron.calendar, "spec_parse_cron");
	ctx.cur = new_calendar(skip);
	*ctx.cur = cron.calendar;

	/* a zone prefix naming a loaded zone switches the spec to it */
	if (cron.tz_name[0] != '\0' && !ctx.custom_zone)
	{
		for (int i = 0; i < NZONES; i++)
			if (zones[i] != NULL && strcmp(cron.tz_name, zone_names[i]) == 0)
				ctx.tz = spec_tzfile_tz(zones[i]);
	}
}

static void
do_time(const char *s, size_t len, spec_time *dst)
{
	spec_time	t,
				t2;
	int32_t		frac = -1;
	SpecError	err;

	err_reset(&err);
	if (!spec_parse_time(s, len, &t, &frac, &err))
	{
		check_error(&err, len, "spec_parse_time");
		return;
	}
	CHECK(frac >= 0 && frac <= 999999, "spec_parse_time: fraction %d", frac);
	CHECK(t >= YEAR0 - 86400 && t < YEAR10000 + 86400,
		  "spec_parse_time: %s out of the text's range", ts(t));
	if (t >= YEAR0 && t < YEAR10000)
	{
		char		txt[SPEC_TIME_TEXT_LEN];

		spec_format_time(t, txt);
		CHECK(spec_parse_time(txt, strlen(txt), &t2, &frac, &err) &&
			  t2 == t && frac == 0,
			  "spec_format_time %s does not parse back", ts(t));
	}
	*dst = t;
}

static void
do_duration(const char *s, size_t len)
{
	int64_t		ms = -1;
	SpecError	err;

	err_reset(&err);
	if (!spec_parse_go_duration(s, len, &ms, &err))
	{
		check_error(&err, len, "spec_parse_go_duration");
		return;
	}
	CHECK(ms >= 0 && ms <= INT64_C(3153600000000),
		  "spec_parse_go_duration: %lld ms", (long long) ms);
	ctx.jitter_ms = ms;
}

static void
do_field(const char *s, size_t len)
{
	SpecField	f;
	SpecCalendar *cal = current_calendar();
	SpecCalendar before = *cal;
	SpecError	err;

	if (len < 1)
		return;
	f = (SpecField) ((unsigned char) (s[0] - '0') % SPEC_NFIELDS);
	err_reset(&err);
	if (!spec_calendar_parse_field(cal, f, s + 1, len - 1, 0, &err))
	{
		check_error(&err, len - 1, "spec_calendar_parse_field");
		return;
	}
	for (int g = 0; g < SPEC_NFIELDS; g++)
		CHECK(g == (int) f || field_equal(cal, &before, (SpecField) g),
			  "parsing the %s field changed the %s field",
			  spec_field_names[f], spec_field_names[g]);
	check_calendar(cal, "spec_calendar_parse_field");
}

/* A decimal integer, clamped so that it stays an int. */
static const char *
read_int(const char *p, const char *end, int *v, bool *found)
{
	long		x = 0;
	bool		neg = false;

	while (p < end && *p == ' ')
		p++;
	*found = false;
	if (p < end && *p == '-')
	{
		neg = true;
		p++;
	}
	while (p < end && *p >= '0' && *p <= '9')
	{
		*found = true;
		if (x < 100000000)
			x = x * 10 + (*p - '0');
		p++;
	}
	*v = (int) (neg ? -x : x);
	return p;
}

/*
 * "^F s e st ...": clear field F and add each triple, checking the result
 * against the documented rule (end < start means start, step 0 means 1,
 * out of bounds or negative step is an error; day_of_week 7 is Sunday).
 */
static void
do_ranges(const char *s, size_t len)
{
	const char *p = s + 1;
	const char *end = s + len;
	SpecCalendar *cal = current_calendar();
	SpecField	f;
	int			hi;

	if (len < 1)
		return;
	f = (SpecField) ((unsigned char) (s[0] - '0') % SPEC_NFIELDS);
	hi = spec_field_max[f];
	spec_calendar_clear_field(cal, f);
	for (int k = 0; k < 16 && p < end; k++)
	{
		int			a = 0,
					b = 0,
					st = 0;
		bool		fa,
					fb,
					fs;
		bool		expect_ok;
		bool		want[SPEC_MAX_YEAR + 1];
		SpecCalendar before = *cal;
		SpecError	err;
		bool		ok;

		p = read_int(p, end, &a, &fa);
		p = read_int(p, end, &b, &fb);
		p = read_int(p, end, &st, &fs);
		if (!fa)
			break;
		/*
		 * The expectation, worked out from spec.h's description: every
		 * value given within the field's bounds (an end of 0 is "not
		 * given"), a smaller end means the start; day_of_month also takes
		 * -31..-1 (days from the end, checked by the rebuild below).
		 */
		if (f == SPEC_DAY_OF_MONTH && a < 0)
		{
			err_reset(&err);
			ok = spec_calendar_add_range(cal, f, a, b, st, &err);
			CHECK(ok == (st >= 0 && a >= -31 && b <= 0 && (b == 0 || b >= -31)),
				  "add_range(day_of_month, %d, %d, %d) returned %d", a, b, st,
				  (int) ok);
			if (!ok)
			{
				check_error(&err, 0, "spec_calendar_add_range");
				*cal = before;
			}
			continue;
		}
		{
			int			e = b < a ? a : b;
			int			step = st == 0 ? 1 : st;

			expect_ok = st >= 0 && a >= spec_field_min[f] && a <= hi &&
				(b == 0 || (b >= spec_field_min[f] && b <= hi));
			for (int v = 0; v <= SPEC_MAX_YEAR; v++)
				want[v] = v >= spec_field_min[f] && v <= spec_field_max[f] &&
					spec_calendar_field_has(&before, f, v);
			if (expect_ok)
				for (int v = a; v <= e; v += step)
					want[v] = true;
		}
		err_reset(&err);
		ok = spec_calendar_add_range(cal, f, a, b, st, &err);
		CHECK(ok == expect_ok, "add_range(%s, %d, %d, %d) returned %d",
			  spec_field_names[f], a, b, st, (int) ok);
		if (!ok)
		{
			check_error(&err, 0, "spec_calendar_add_range");
			*cal = before;
			continue;
		}
		CHECK(calendar_bits_ok(cal), "add_range(%s, %d, %d, %d): stray bits",
			  spec_field_names[f], a, b, st);
		for (int v = spec_field_min[f]; v <= spec_field_max[f]; v++)
			CHECK(spec_calendar_field_has(cal, f, v) == want[v],
				  "add_range(%s, %d, %d, %d): value %d is %s", spec_field_names[f],
				  a, b, st, v, want[v] ? "missing" : "extra");
		for (int g = 0; g < SPEC_NFIELDS; g++)
			CHECK(g == (int) f || field_equal(cal, &before, (SpecField) g),
				  "add_range in the %s field changed the %s field",
				  spec_field_names[f], spec_field_names[g]);
	}
	check_calendar(cal, "spec_calendar_add_range");
}

/* "#N s e st ...": n-th weekdays, as the JSON glue adds {start, end, step, nth}. */
static void
do_nth(const char *s, size_t len)
{
	const char *p = s;
	const char *end = s + len;
	SpecCalendar *cal = current_calendar();
	int			nth = 0;
	bool		found;

	p = read_int(p, end, &nth, &found);
	if (!found)
		return;
	for (int k = 0; k < 8 && p < end; k++)
	{
		int			a = 0,
					b = 0,
					st = 0;
		bool		fa,
					fb,
					fs;
		bool		expect_ok;
		SpecCalendar before = *cal;
		SpecError	err;
		bool		ok;

		p = read_int(p, end, &a, &fa);
		p = read_int(p, end, &b, &fb);
		p = read_int(p, end, &st, &fs);
		if (!fa)
			break;
		expect_ok = st >= 0 && nth != 0 && nth >= -SPEC_MAX_NTH &&
			nth <= SPEC_MAX_NTH && a >= 0 && a <= 6 &&
			(b == 0 || (b >= 0 && b <= 6));
		err_reset(&err);
		ok = spec_calendar_add_nth(cal, a, b, st, nth, &err);
		CHECK(ok == expect_ok, "add_nth(%d, %d, %d, nth %d) returned %d",
			  a, b, st, nth, (int) ok);
		if (!ok)
		{
			check_error(&err, 0, "spec_calendar_add_nth");
			*cal = before;
			continue;
		}
		for (int g = 0; g < SPEC_NFIELDS; g++)
			CHECK(g == SPEC_DAY_OF_WEEK || field_equal(cal, &before, (SpecField) g),
				  "add_nth changed the %s field", spec_field_names[g]);
		CHECK(cal->day_of_week == before.day_of_week,
			  "add_nth changed the plain weekdays");
	}
	check_calendar(cal, "spec_calendar_add_nth");
}

static void
do_dst(const char *s, size_t len)
{
	if (len >= 1)
		ctx.dst.repeated = s[0] == 'f' ? SPEC_DST_REPEATED_FIRST :
			s[0] == 's' ? SPEC_DST_REPEATED_SECOND : SPEC_DST_REPEATED_BOTH;
	if (len >= 2)
		ctx.dst.skipped = s[1] == 'n' ? SPEC_DST_SKIPPED_NEXT_VALID :
			SPEC_DST_SKIPPED_SKIP;
}

/* "=every offset": an interval straight from numbers, as the JSON glue builds it. */
static void
do_interval(const char *s, size_t len)
{
	const char *p = s;
	const char *end = s + len;
	int64_t		v[2] = {0, 0};
	SpecInterval iv;
	SpecError	err;
	bool		ok;

	for (int k = 0; k < 2; k++)
	{
		bool		neg = false;

		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == '-')
		{
			neg = true;
			p++;
		}
		while (p < end && *p >= '0' && *p <= '9')
		{
			if (v[k] < INT64_C(100000000000000000))
				v[k] = v[k] * 10 + (*p - '0');
			p++;
		}
		if (neg)
			v[k] = -v[k];
	}
	iv.every = v[0];
	iv.offset = v[1];
	err_reset(&err);
	ok = spec_interval_check(&iv, &err);
	/* spec.h's rule; the engine may also refuse absurd lengths (> 100 years) */
	if (iv.every < 1 || iv.offset < 0 || iv.offset >= iv.every)
		CHECK(!ok, "spec_interval_check accepted {%lld, %lld}",
			  (long long) iv.every, (long long) iv.offset);
	else if (iv.every <= INT64_C(100) * 366 * 86400)
		CHECK(ok, "spec_interval_check refused {%lld, %lld}: %s",
			  (long long) iv.every, (long long) iv.offset, err.message);
	if (!ok)
	{
		check_error(&err, 0, "spec_interval_check");
		return;
	}
	if (ctx.nivs < MAX_IVS)
		ctx.ivs[ctx.nivs++] = iv;
}

static void
do_line(char *line, size_t len)
{
	if (len == 0)
		return;
	switch (line[0])
	{
		case '!':
			do_cron(line + 1, true);
			break;
		case '<':
			do_time(line + 1, len - 1, &ctx.start_at);
			break;
		case '>':
			do_time(line + 1, len - 1, &ctx.end_at);
			break;
		case '~':
			do_duration(line + 1, len - 1);
			break;
		case '+':
			ctx.cur = new_calendar(false);
			break;
		case '-':
			ctx.cur = new_calendar(true);
			break;
		case '%':
			do_field(line + 1, len - 1);
			break;
		case '^':
			do_ranges(line + 1, len - 1);
			break;
		case '=':
			do_interval(line + 1, len - 1);
			break;
		case '#':
			do_nth(line + 1, len - 1);
			break;
		case '&':
			do_dst(line + 1, len - 1);
			break;
		default:
			do_cron(line, false);
			break;
	}
}

/* ---- the spec, read independently of the search ---- */

static bool
interval_matches(const SpecInterval *iv, spec_time t)
{
	int64_t		r = (t - iv->offset) % iv->every;

	return r == 0;
}

static bool
is_skipped(const Spec *spec, spec_time t)
{
	for (int i = 0; i < spec->nskip; i++)
		if (spec_calendar_matches(&spec->skip[i], &spec->tz, t))
			return true;
	return false;
}

/*
 * Is there another instant, earlier (dir < 0) or later (dir > 0) than t,
 * whose wall clock shows "wall"?  Walks the zone's segments near t.
 */
static bool
other_occurrence(const SpecTz *tz, spec_time t, int64_t wall, int dir)
{
	spec_time	s = t - 2 * MAX_ZONE_OFFSET;

	if (tz->lookup == NULL)
		return false;
	for (int i = 0; i < 400 && s <= t + 2 * MAX_ZONE_OFFSET; i++)
	{
		int32_t		off;
		spec_time	next;
		spec_time	u;

		if (!tz->lookup(tz->zone, s, &off, &next) || next <= s)
			return false;
		u = wall - off;
		if (u >= s && u < next && (dir < 0 ? u < t : u > t))
			return true;
		if (next == SPEC_TIME_MAX)
			break;
		s = next;
	}
	return false;
}

/*
 * Does calendar cal give instant t under the spec's DST policy, read
 * literally: a wall-clock match survives unless the policy keeps another
 * occurrence of its wall time; with next_valid, the first instant after a
 * gap also stands for every wall time of the gap.
 */
static bool
calendar_gives(const Spec *spec, const SpecCalendar *cal, spec_time t)
{
	const SpecTz *tz = &spec->tz;
	int64_t		wall;

	if (!local_of(tz, t, &wall))
		return false;
	if (spec_calendar_matches(cal, tz, t))
	{
		if (spec->dst.repeated == SPEC_DST_REPEATED_FIRST &&
			other_occurrence(tz, t, wall, -1))
			return false;
		if (spec->dst.repeated == SPEC_DST_REPEATED_SECOND &&
			other_occurrence(tz, t, wall, 1))
			return false;
		return true;
	}
	if (spec->dst.skipped == SPEC_DST_SKIPPED_NEXT_VALID && tz->lookup != NULL)
	{
		int32_t		before,
					at;
		spec_time	next;
		SpecTz		utc = {NULL, NULL};

		if (!tz->lookup(tz->zone, t - 1, &before, &next) || next != t ||
			!tz->lookup(tz->zone, t, &at, &next) || at <= before)
			return false;
		/* the gap's wall times [t + before, t + at), on a UTC clock */
		for (int64_t w = t + before; w < t + at && w - (t + before) < 200000; w++)
			if (spec_calendar_matches(cal, &utc, w))
				return true;
	}
	return false;
}

static bool
in_parts(const Spec *spec, spec_time t)
{
	for (int i = 0; i < spec->ncalendars; i++)
		if (calendar_gives(spec, &spec->calendars[i], t))
			return true;
	for (int i = 0; i < spec->nintervals; i++)
		if (interval_matches(&spec->intervals[i], t))
			return true;
	return false;
}

/* Is t a nominal time of the spec (SEMANTICS.md 1, read literally)? */
static bool
in_spec(const Spec *spec, spec_time t)
{
	int64_t		local;

	if (t < spec->start_at || t > spec->end_at)
		return false;
	if (!local_of(&spec->tz, t, &local) || local >= LOCAL_LIMIT)
		return false;
	return in_parts(spec, t) && !is_skipped(spec, t);
}

static uint64_t
rnd(void)
{
	ctx.rng ^= ctx.rng << 13;
	ctx.rng ^= ctx.rng >> 7;
	ctx.rng ^= ctx.rng << 17;
	return ctx.rng;
}

/* ---- a second, naive search: enumerate wall-clock matches ---- */

static bool gap_found;			/* did the search under check find a time? */

/* The search's answer for messages: the instant, or that there was none. */
static const char *
answer(spec_time hi)
{
	return gap_found ? ts(hi) : "nothing";
}

/* Civil arithmetic of our own, so that the oracle shares no code with civil.c. */
static int64_t
my_days_from_civil(int64_t y, int m, int d)
{
	static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243,
	273, 304, 334};
	int64_t		yy = y - 1;
	int64_t		days;

	/* days from 0001-01-01 to y-01-01, then to the date; y >= 1 here */
	days = yy * 365 + yy / 4 - yy / 100 + yy / 400;
	days += before[m - 1] + d - 1;
	if (m > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		days++;
	return days - 719162;		/* 0001-01-01 .. 1970-01-01 */
}

static int
my_days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

typedef struct GapWalk
{
	spec_time	lo;				/* exclusive bounds of the gap */
	spec_time	hi;
	int64_t		lmin;			/* wall-clock range the gap's instants show */
	int64_t		lmax;
	int32_t		offs[16];		/* every offset in effect in the gap */
	int			noffs;
	int			budget;			/* candidates left to examine */
} GapWalk;

/*
 * Walks the zone's segments across (lo, hi): the wall-clock range and the
 * offsets in effect.  False when the gap has too many segments to walk.
 */
static bool
walk_gap(const SpecTz *tz, spec_time lo, spec_time hi, GapWalk *w)
{
	spec_time	t = lo + 1;

	w->lo = lo;
	w->hi = hi;
	w->noffs = 0;
	w->lmin = INT64_MAX;
	w->lmax = INT64_MIN;
	for (int i = 0; t < hi; i++)
	{
		int32_t		off = 0;
		spec_time	next = SPEC_TIME_MAX;
		spec_time	end;
		int			k;

		if (i >= 400 ||
			(tz->lookup != NULL && !tz->lookup(tz->zone, t, &off, &next)) ||
			next <= t || off > MAX_ZONE_OFFSET || off < -MAX_ZONE_OFFSET)
			return false;
		for (k = 0; k < w->noffs && w->offs[k] != off; k++)
			;
		if (k == w->noffs)
		{
			if (w->noffs == 16)
				return false;
			w->offs[w->noffs++] = off;
		}
		end = next < hi ? next : hi;	/* segment [t, end) */
		if (t + off < w->lmin)
			w->lmin = t + off;
		if (end - 1 + off > w->lmax)
			w->lmax = end - 1 + off;
		t = end;
	}
	return true;
}

/* An instant of the gap showing wall-clock time L must not be in the spec. */
static void
check_local(const Spec *spec, GapWalk *w, int64_t L, int cal)
{
	for (int k = 0; k < w->noffs; k++)
	{
		spec_time	t = L - w->offs[k];
		int64_t		local;

		if (t <= w->lo || t >= w->hi)
			continue;
		if (!local_of(&spec->tz, t, &local) || local != L)
			continue;
		CHECK(!in_spec(spec, t), "%s (calendar %d) belongs to the spec but "
			  "was passed over (search from %s found %s)", ts(t), cal,
			  ts(w->lo), answer(w->hi));
	}
}

/*
 * Every wall-clock time calendar "cal" matches in [lmin, lmax], in order,
 * by plain nested loops over the fields (no carrying, no jumps), until the
 * budget runs out.
 */
static void
enumerate_calendar(const Spec *spec, GapWalk *w, int ci)
{
	const SpecCalendar *cal = &spec->calendars[ci];
	int64_t		sd = w->lmin / 86400 - (w->lmin % 86400 < 0);
	int64_t		srem = w->lmin - sd * 86400;
	int64_t		y0;
	int			m0 = 1,
				d0 = 1;

	/* nothing to enumerate when a field is empty (the day fields: both, under OR) */
	uint8_t		nth_any = 0;

	for (int n = 0; n < SPEC_MAX_NTH; n++)
		nth_any |= cal->weekday_nth[n] | cal->weekday_last[n];
	if (!cal->second || !cal->minute || !cal->hour || !cal->month ||
		!(cal->year[0] | cal->year[1]) ||
		(cal->day_or ?
		 (!cal->day_of_month && !cal->day_of_month_last && !cal->day_of_week && !nth_any) :
		 ((!cal->day_of_month && !cal->day_of_month_last) ||
		  (!cal->day_of_week && !nth_any))))
		return;
	/* the civil date of day sd, found by counting (no inverse formula) */
	y0 = 1970 + sd / 366;
	while (my_days_from_civil(y0 + 1, 1, 1) <= sd)
		y0++;
	while (m0 < 12 && my_days_from_civil(y0, m0 + 1, 1) <= sd)
		m0++;
	d0 = (int) (sd - my_days_from_civil(y0, m0, 1)) + 1;

	for (int64_t y = y0; y <= SPEC_MAX_YEAR; y++)
	{
		bool		year_ok;

		if (my_days_from_civil(y, 1, 1) * 86400 > w->lmax)
			return;
		if (y < SPEC_MIN_YEAR)
			year_ok = spec_calendar_field_is_full(cal, SPEC_YEAR);
		else
			year_ok = (cal->year[(y - SPEC_MIN_YEAR) >> 6] >>
					   ((y - SPEC_MIN_YEAR) & 63)) & 1;
		if (!year_ok)
			continue;
		for (int m = (y == y0 ? m0 : 1); m <= 12; m++)
		{
			bool		first_m = y == y0 && m == m0;

			if (!((cal->month >> m) & 1))
				continue;
			for (int d = first_m ? d0 : 1; d <= my_days_in_month(y, m); d++)
			{
				int64_t		day = my_days_from_civil(y, m, d);
				int			wd = (int) (((day % 7) + 11) % 7);	/* 0 = Sunday */
				int			dim = my_days_in_month(y, m);
				bool		dom = ((cal->day_of_month >> d) & 1) ||
					((cal->day_of_month_last >> (dim - d + 1)) & 1);
				bool		dow = ((cal->day_of_week >> wd) & 1);
				bool		first_d = first_m && d == d0;

				/* the n-th weekday: how many of its kind up to d, and after */
				for (int n = 1; n <= SPEC_MAX_NTH && !dow; n++)
				{
					bool		nth = d > 7 * (n - 1) && d <= 7 * n;
					bool		last = dim - d >= 7 * (n - 1) && dim - d < 7 * n;

					dow = (nth && ((cal->weekday_nth[n - 1] >> wd) & 1)) ||
						(last && ((cal->weekday_last[n - 1] >> wd) & 1));
				}

				if (day * 86400 > w->lmax)
					return;
				if (!(cal->day_or ? (dom || dow) : (dom && dow)))
					continue;
				for (int h = first_d ? (int) (srem / 3600) : 0; h < 24; h++)
				{
					bool		first_h = first_d && h == srem / 3600;

					if (!((cal->hour >> h) & 1))
						continue;
					for (int mi = first_h ? (int) (srem / 60 % 60) : 0; mi < 60; mi++)
					{
						bool		first_mi = first_h && mi == srem / 60 % 60;

						if (!((cal->minute >> mi) & 1))
							continue;
						for (int se = first_mi ? (int) (srem % 60) : 0; se < 60; se++)
						{
							int64_t		L = day * 86400 + h * 3600 + mi * 60 + se;

							if (!((cal->second >> se) & 1))
								continue;
							if (L > w->lmax)
								return;
							check_local(spec, w, L, ci);
							if (--w->budget <= 0)
								return;
						}
					}
				}
			}
		}
	}
}

/*
 * No instant strictly between lo and hi may belong to the spec.  Checked
 * three ways: a naive enumeration of each part's matches in the gap (up to
 * a budget), instants at both ends and at random inside it, and, for a
 * short first gap, every instant.
 */
static void
check_gap(const Spec *spec, spec_time lo, spec_time hi, bool found,
		  bool exhaustive)
{
	spec_time	span = hi - lo - 1;	/* instants strictly inside */
	GapWalk		w;

	gap_found = found;

	if (span <= 0)
		return;
	if (walk_gap(&spec->tz, lo, hi, &w))
	{
		for (int i = 0; i < spec->ncalendars; i++)
		{
			/* the first gap in full, later ones enough to catch a skip */
			w.budget = exhaustive ? 2000 : 200;
			enumerate_calendar(spec, &w, i);
		}
	}
	for (int i = 0; i < spec->nintervals; i++)
	{
		const SpecInterval *iv = &spec->intervals[i];
		int64_t		r = (lo - iv->offset) % iv->every;
		spec_time	t;

		if (r < 0)
			r += iv->every;
		t = lo - r + iv->every; /* first match after lo */
		for (int n = 0; n < 2000 && t < hi; n++, t += iv->every)
			CHECK(!in_spec(spec, t), "%s (interval %d) belongs to the spec "
				  "but was passed over (search from %s found %s)", ts(t), i,
				  ts(lo), answer(hi));
	}
	if (spec->dst.skipped == SPEC_DST_SKIPPED_NEXT_VALID && spec->tz.lookup != NULL)
	{
		/* every transition inside the gap: its instant may stand for a gap */
		spec_time	t = lo + 1;

		for (int i = 0; i < 400 && t < hi; i++)
		{
			int32_t		off;
			spec_time	next;

			if (!spec->tz.lookup(spec->tz.zone, t, &off, &next) || next <= t ||
				next >= hi)
				break;
			CHECK(!in_spec(spec, next), "%s (after a gap) belongs to the spec "
				  "but was passed over (search from %s found %s)", ts(next),
				  ts(lo), answer(hi));
			t = next;
		}
	}
	if (exhaustive && span <= EXHAUSTIVE_GAP)
	{
		for (spec_time u = lo + 1; u < hi; u++)
			CHECK(!in_spec(spec, u), "%s belongs to the spec but was passed "
				  "over (search from %s found %s)", ts(u), ts(lo), answer(hi));
		return;
	}
	for (int i = 0; i < GAP_SAMPLES; i++)
	{
		spec_time	u[3];

		u[0] = lo + 1 + (i < span ? i : 0);
		u[1] = hi - 1 - (i < span ? i : 0);
		u[2] = lo + 1 + (spec_time) (rnd() % (uint64_t) span);
		for (int k = 0; k < 3; k++)
			CHECK(!in_spec(spec, u[k]), "%s belongs to the spec but was "
				  "passed over (search from %s found %s)", ts(u[k]), ts(lo),
				  answer(hi));
	}
}

/*
 * Each part's own first candidate after "from" must be the answer, come
 * after it, or be dropped by a skip calendar (or the bounds, when there is
 * no answer).
 */
static void
check_candidates(const Spec *spec, spec_time from, bool found,
				 spec_time result)
{
	for (int i = 0; i < spec->ncalendars; i++)
	{
		spec_time	t;
		int64_t		local;
		SpecError	err;
		SpecNextStatus st;

		err_reset(&err);
		st = spec_calendar_next_dst(&spec->calendars[i], &spec->tz, &spec->dst,
									from, &t, &err);
		if (st == SPEC_NEXT_ERROR)
		{
			check_error(&err, 0, "spec_calendar_next");
			CHECK(ctx.custom_zone && err.code == SPEC_ERR_TIME_ZONE,
				  "spec_calendar_next failed: %s", err.message);
			continue;
		}
		if (st == SPEC_NEXT_NONE)
			continue;
		CHECK(st == SPEC_NEXT_FOUND, "spec_calendar_next status %d", (int) st);
		CHECK(t > from, "calendar %d: next after %s is %s", i, ts(from), ts(t));
		CHECK(calendar_gives(spec, &spec->calendars[i], t),
			  "calendar %d: next after %s is %s, which it does not match", i,
			  ts(from), ts(t));
		CHECK(local_of(&spec->tz, t, &local) && local < LOCAL_LIMIT,
			  "calendar %d: next after %s is %s, past 2100 local", i,
			  ts(from), ts(t));
		if (found)
			CHECK(t >= result || is_skipped(spec, t),
				  "calendar %d matches %s, before the answer %s (after %s)",
				  i, ts(t), ts(result), ts(from));
		else
			CHECK(t > spec->end_at || is_skipped(spec, t),
				  "calendar %d matches %s, but the search after %s found "
				  "nothing", i, ts(t), ts(from));
	}
	for (int i = 0; i < spec->nintervals; i++)
	{
		spec_time	t = spec_interval_next(&spec->intervals[i], from);
		int64_t		local;

		if (t == SPEC_TIME_MAX)
			continue;
		CHECK(t > from && interval_matches(&spec->intervals[i], t),
			  "interval %d: next after %s is %s", i, ts(from), ts(t));
		if (found)
			CHECK(t >= result || is_skipped(spec, t),
				  "interval %d matches %s, before the answer %s (after %s)",
				  i, ts(t), ts(result), ts(from));
		else
			CHECK(t > spec->end_at || is_skipped(spec, t) ||
				  !local_of(&spec->tz, t, &local) || local >= LOCAL_LIMIT,
				  "interval %d matches %s, but the search after %s found "
				  "nothing", i, ts(t), ts(from));
	}
}

static void
check_jitter(const char *id, size_t id_len, spec_time nominal,
			 spec_time next)
{
	const int64_t bounds[] = {ctx.jitter_ms, 0, -5, 1, 999, 1000, 90000,
	3600000, INT64_MAX};

	for (int i = 0; i < (int) (sizeof(bounds) / sizeof(bounds[0])); i++)
	{
		int64_t		j = spec_jitter_ms(id, id_len, nominal, next, bounds[i]);
		int64_t		limit = bounds[i];

		CHECK(j == spec_jitter_ms(id, id_len, nominal, next, bounds[i]),
			  "jitter is not deterministic");
		if (bounds[i] <= 0 || next == SPEC_TIME_MAX)
		{
			CHECK(j == 0, "jitter %lld with bound %lld, next %s",
				  (long long) j, (long long) bounds[i], ts(next));
			continue;
		}
		if (next - nominal <= INT64_MAX / 1000 &&
			(next - nominal) * 1000 < limit)
			limit = (next - nominal) * 1000;
		CHECK(j >= 0 && j < limit,
			  "jitter %lld ms outside [0, %lld) for %s -> %s, bound %lld",
			  (long long) j, (long long) limit, ts(nominal), ts(next),
			  (long long) bounds[i]);
	}
}

/* With FUZZ_SPEC_DUMP set, what an input built, for triage. */
static void
dump_calendar(const char *kind, int i, const SpecCalendar *cal)
{
	fprintf(stderr, "  %s %d:%s", kind, i, cal->day_or ? " (day OR)" : "");
	for (int f = 0; f < SPEC_NFIELDS; f++)
	{
		SpecRange	r[SPEC_MAX_RANGES];
		int			n = spec_calendar_field_ranges(cal, (SpecField) f, r);

		fprintf(stderr, " %s=", spec_field_names[f]);
		if (spec_calendar_field_is_full(cal, (SpecField) f))
			fprintf(stderr, "*");
		for (int k = 0; k < n && !spec_calendar_field_is_full(cal, (SpecField) f); k++)
			fprintf(stderr, k ? ",%d-%d/%d" : "%d-%d/%d", r[k].start, r[k].end,
					r[k].step);
		if (n == 0)
			fprintf(stderr, "(none)");
	}
	fprintf(stderr, "\n");
}

static void
dump_spec(spec_time after)
{
	const char *zone = "UTC (no provider)";

	if (getenv("FUZZ_SPEC_DUMP") == NULL)
		return;
	for (int i = 0; i < NZONES; i++)
		if (zones[i] != NULL && ctx.tz.zone == zones[i])
			zone = zone_names[i];
	if (ctx.custom_zone)
		zone = "TZif from the input";
	fprintf(stderr, "spec: zone %s, after %s, start_at %s, end_at %s, jitter %lld ms\n",
			zone, ts(after), ts(ctx.start_at), ts(ctx.end_at),
			(long long) ctx.jitter_ms);
	for (int i = 0; i < ctx.ncals; i++)
		dump_calendar("calendar", i, &ctx.cals[i]);
	for (int i = 0; i < ctx.nivs; i++)
		fprintf(stderr, "  interval %d: every %lld offset %lld\n", i,
				(long long) ctx.ivs[i].every, (long long) ctx.ivs[i].offset);
	for (int i = 0; i < ctx.nskips; i++)
		dump_calendar("skip", i, &ctx.skips[i]);
}

static void
run_spec(spec_time after, const char *id, size_t id_len)
{
	Spec		spec;
	spec_time	results[MAX_NEXT];
	int			nres = 0;
	bool		ended = false;
	spec_time	prev = after;

	spec.calendars = ctx.cals;
	spec.ncalendars = ctx.ncals;
	spec.intervals = ctx.ivs;
	spec.nintervals = ctx.nivs;
	spec.skip = ctx.skips;
	spec.nskip = ctx.nskips;
	spec.start_at = ctx.start_at;
	spec.end_at = ctx.end_at;
	spec.jitter_ms = ctx.jitter_ms;
	spec.tz = ctx.tz;
	spec.dst = ctx.dst;

	for (int i = 0; i < ctx.ncals; i++)
		check_calendar(&ctx.cals[i], "calendar");
	for (int i = 0; i < ctx.nskips; i++)
		check_calendar(&ctx.skips[i], "skip calendar");
	check_zone(&spec.tz, after);
	dump_spec(after);

	for (int k = 0; k < MAX_NEXT; k++)
	{
		spec_time	next = 0;
		spec_time	from = prev;
		int64_t		local;
		SpecError	err;
		SpecNextStatus st;

		if (spec.start_at != SPEC_TIME_MIN && spec.start_at - 1 > from)
			from = spec.start_at - 1;
		err_reset(&err);
		st = spec_next(&spec, prev, &next, &err);
		if (st == SPEC_NEXT_ERROR)
		{
			check_error(&err, 0, "spec_next");
			CHECK(err.code == SPEC_ERR_EXCLUSIONS ||
				  (ctx.custom_zone && err.code == SPEC_ERR_TIME_ZONE),
				  "spec_next after %s failed: %s", ts(prev), err.message);
			break;
		}
		CHECK(st == SPEC_NEXT_FOUND || st == SPEC_NEXT_NONE,
			  "spec_next status %d", (int) st);
		check_candidates(&spec, from, st == SPEC_NEXT_FOUND, next);
		if (st == SPEC_NEXT_NONE)
		{
			spec_time	hi = LOCAL_LIMIT + MAX_ZONE_OFFSET;

			if (spec.end_at < hi)
				hi = spec.end_at + 1;
			check_gap(&spec, from, hi, false, false);
			ended = true;
			break;
		}
		CHECK(next > prev, "spec_next after %s gave %s", ts(prev), ts(next));
		CHECK(next >= spec.start_at && next <= spec.end_at,
			  "spec_next gave %s outside [%s, %s]", ts(next),
			  ts(spec.start_at), ts(spec.end_at));
		CHECK(local_of(&spec.tz, next, &local) && local < LOCAL_LIMIT,
			  "spec_next gave %s, after 2100-12-31 local", ts(next));
		CHECK(in_parts(&spec, next),
			  "spec_next gave %s, which no calendar or interval matches",
			  ts(next));
		CHECK(!is_skipped(&spec, next),
			  "spec_next gave %s, which a skip calendar matches", ts(next));
		check_gap(&spec, from, next, true, k == 0);
		check_zone(&spec.tz, next);
		{
			char		txt[SPEC_TIME_TEXT_LEN];
			spec_time	back;

			spec_format_time(next, txt);
			CHECK(spec_parse_time(txt, strlen(txt), &back, NULL, &err) &&
				  back == next, "%s does not parse back", txt);
		}
		results[nres++] = next;
		prev = next;
	}

	for (int i = 0; i < nres; i++)
	{
		if (i + 1 < nres)
			check_jitter(id, id_len, results[i], results[i + 1]);
		else if (ended)
			check_jitter(id, id_len, results[i], SPEC_TIME_MAX);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[MAX_TEXT + 1];
	SpecTzFile *custom = NULL;
	uint64_t	u = 0;
	spec_time	after;
	size_t		pos = 9;
	size_t		len;
	size_t		start;
	int			nlines = 0;

	if (size < 9)
		return 0;
	load_zones();
	memset(&ctx, 0, sizeof(ctx));
	ctx.start_at = SPEC_TIME_MIN;
	ctx.end_at = SPEC_TIME_MAX;
	ctx.cron_flags = (data[0] & 0x08) ? SPEC_CRON_STANDARD : 0;
	for (int i = 8; i >= 1; i--)
		u = u << 8 | data[i];
	after = T1990 + (spec_time) (u % (uint64_t) (T2111 - T1990));
	ctx.rng = u | 1;

	if (data[0] & 0x10)
	{
		size_t		zlen = 0;
		SpecError	err;

		if (pos + 2 <= size)
			zlen = data[pos] | (size_t) data[pos + 1] << 8;
		pos = pos + 2 <= size ? pos + 2 : size;
		if (zlen > size - pos)
			zlen = size - pos;
		err_reset(&err);
		custom = spec_tzfile_parse("fuzz", data + pos, zlen, &err);
		if (custom == NULL)
			check_error(&err, SIZE_MAX - 1, "spec_tzfile_parse");
		pos += zlen;
		ctx.custom_zone = custom != NULL;
		if (custom != NULL)
			ctx.tz = spec_tzfile_tz(custom);
	}
	else if ((data[0] & 7) < NZONES && zones[data[0] & 7] != NULL)
		ctx.tz = spec_tzfile_tz(zones[data[0] & 7]);

	len = size - pos;
	if (len > MAX_TEXT)
		len = MAX_TEXT;
	memcpy(text, data + pos, len);
	text[len] = '\0';
	start = 0;
	for (size_t i = 0; i <= len && nlines < MAX_LINES; i++)
	{
		if (i == len || text[i] == '\n')
		{
			text[i] = '\0';
			do_line(text + start, i - start);
			nlines++;
			start = i + 1;
		}
	}

	run_spec(after, (const char *) data + pos, len < 32 ? len : 32);
	spec_tzfile_free(custom);
	return 0;
}

#ifdef FUZZ_STANDALONE
/*
 * Replays inputs without libFuzzer: every file named on the command line,
 * or every file in a directory named there; with no arguments,
 * test/fuzz/corpus and test/fuzz/crashes (run from the top of the tree).
 * Ends with "N passed, 0 failed" as the unit tests do; a violated
 * invariant traps instead, and a sanitizer build reports what it finds.
 */
#include <dirent.h>
#include <sys/stat.h>

static int
run_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	static uint8_t buf[1 << 20];
	size_t		n;

	if (f == NULL)
	{
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	current_input = path;
	LLVMFuzzerTestOneInput(buf, n);
	return 1;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
run_path(const char *path)
{
	struct stat st;
	DIR		   *dir;
	struct dirent *de;
	char	  **names = NULL;
	int			nnames = 0;
	int			n = 0;

	if (stat(path, &st) != 0)
	{
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((dir = opendir(path)) == NULL)
	{
		perror(path);
		exit(2);
	}
	/* sorted, so that runs are reproducible */
	while ((de = readdir(dir)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (size_t) (nnames + 1) * sizeof(char *));
		names[nnames] = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (names == NULL || names[nnames] == NULL)
		{
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
		sprintf(names[nnames++], "%s/%s", path, de->d_name);
	}
	closedir(dir);
	if (nnames > 0)
		qsort(names, (size_t) nnames, sizeof(char *), compare_names);
	for (int i = 0; i < nnames; i++)
	{
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			n += run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return n;
}

int
main(int argc, char **argv)
{
	/* with no arguments: the seed corpus and the regression inputs */
	static const char *const defaults[] = {"test/fuzz/corpus", "test/fuzz/crashes"};
	int			n = 0;

	if (argc < 2)
	{
		struct stat st;

		for (int i = 0; i < 2; i++)
			if (stat(defaults[i], &st) == 0)
				n += run_path(defaults[i]);
	}
	for (int i = 1; i < argc; i++)
		n += run_path(argv[i]);
	printf("fuzz_spec: replayed %d inputs\n%d passed, 0 failed\n", n, n);
	return 0;
}
#endif							/* FUZZ_STANDALONE */
