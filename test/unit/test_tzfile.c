/*-------------------------------------------------------------------------
 *
 * test_tzfile.c
 *	  Unit test of the standalone time-zone provider (src/spec/tzfile.c).
 *
 * glibc is the oracle: for each zone, localtime_r() is scanned from 1900 to
 * 2105 to find every instant at which the UTC offset really changes, and the
 * provider must agree at each of them (offset before and after, next_change
 * exactly there), along its own chain of next_change values (each ±1 s) and
 * at a few thousand random instants, where the offset must also be constant
 * on [t, next_change).  POSIX footer strings (the real ones of tzdata 2025
 * and the rule forms they leave out) are tested the same way through TZif
 * files built in memory with no explicit transitions, against glibc reading
 * the same string from TZ, over 1970-2105 and 2190-2399; what glibc cannot
 * judge (all-year DST, DST across the new year, version 1 files, a
 * transition that changes only the abbreviation) is checked by hand, and
 * malformed names and files must be refused without a crash.
 *
 *	  test_tzfile [DIR [ZONE...]]
 *
 * DIR, when given and not empty, is the zoneinfo directory the provider
 * reads (glibc keeps the system one), e.g. one built with "zic -b slim" to
 * test the footers of slim files against glibc's fat ones.  ZONEs replace
 * the default list of zones.
 *
 * Prints one line per failure and "N passed, N failed"; exits 1 on failure.
 *
 *-------------------------------------------------------------------------
 */
#define _DEFAULT_SOURCE			/* setenv, tm_gmtoff */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spec.h"
#include "tzfile.h"

#define T_LO	((spec_time) -2208988800)	/* 1900-01-01T00:00:00Z */
#define T_HI	((spec_time) 4291747200)	/* 2106-01-01T00:00:00Z */
#define T_1970	((spec_time) 0)
#define T_2190	((spec_time) 6942585600)
#define T_2400	((spec_time) 13569465600)
#define SCAN_STEP	7200		/* offsets never change twice in 2 hours */
#define SCAN_PAST	(400 * 86400)	/* scanned beyond the range, for next_change */
#define NRANDOM		3000

/*
 * The range compared with glibc: [T_LO, T_HI) for zone files, from 1970 on
 * for bare POSIX strings (glibc evaluates their rules for 1970 in earlier
 * years), and [T_2190, T_2400) too, where the provider no longer tabulates
 * the footer's changes but computes them.
 */
static spec_time range_lo = T_LO;
static spec_time range_hi = T_HI;

/*
 * Checks run by the million, so the summary counts cases: a zone, a footer
 * string, a hand-made file.  A case passes when all its checks pass.
 */
static long nchecks;
static int	npassed;
static int	nfailed;
static const char *cur_zone = "";
static char case_name[256];
static bool case_open;
static bool case_bad;

static void
end_case(void)
{
	if (case_open)
	{
		if (case_bad)
			nfailed++;
		else
			npassed++;
	}
	case_open = false;
}

static void
check(bool ok, const char *fmt,...)
{
	va_list		ap;

	if (!case_open || strcmp(case_name, cur_zone) != 0)
	{
		end_case();
		snprintf(case_name, sizeof(case_name), "%s", cur_zone);
		case_open = true;
		case_bad = false;
	}
	nchecks++;
	if (ok)
		return;
	case_bad = true;
	printf("FAIL %s: ", cur_zone);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The summary line scripts/test.sh reads. */
static int
summary(void)
{
	end_case();
	printf("%ld checks in all\n", nchecks);
	printf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed > 0 ? 1 : 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A random instant in [lo, hi). */
static spec_time
rng_between(spec_time lo, spec_time hi)
{
	return lo + (spec_time) (rng() % (uint64_t) (hi - lo));
}

static const char *
fmt_time(spec_time t)
{
	static char buf[8][64];
	static int	n;
	char	   *b = buf[n++ % 8];
	time_t		tt = (time_t) t;
	struct tm	tm;

	if (t == SPEC_TIME_MAX)
		return "MAX";
	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(b, 64, "%lld", (long long) t);
	else
		strftime(b, 64, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return b;
}

/* ---- glibc, the oracle ---- */

static void
glibc_use(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int32_t
glibc_offset(spec_time t)
{
	time_t		tt = (time_t) t;
	struct tm	tm;

	if (localtime_r(&tt, &tm) == NULL)
		return INT32_MIN;
	return (int32_t) tm.tm_gmtoff;
}

typedef struct Change
{
	spec_time	at;
	int32_t		before;
	int32_t		after;
} Change;

static Change *changes;
static int	nchanges;
static int	changes_cap;

/* Every real offset change from range_lo to range_hi + SCAN_PAST. */
static void
glibc_scan(void)
{
	spec_time	t = range_lo;
	int32_t		off = glibc_offset(t);

	nchanges = 0;
	while (t < range_hi + SCAN_PAST)
	{
		spec_time	hi = t + SCAN_STEP;
		int32_t		hoff = glibc_offset(hi);

		if (hoff != off)
		{
			spec_time	lo = t;

			while (hi - lo > 1)
			{
				spec_time	mid = lo + (hi - lo) / 2;

				if (glibc_offset(mid) == off)
					lo = mid;
				else
					hi = mid;
			}
			if (nchanges == changes_cap)
			{
				changes_cap = changes_cap ? changes_cap * 2 : 1024;
				changes = realloc(changes, changes_cap * sizeof(Change));
				if (changes == NULL)
					abort();
			}
			changes[nchanges].at = hi;
			changes[nchanges].before = off;
			changes[nchanges++].after = glibc_offset(hi);
			off = glibc_offset(hi);
		}
		t = hi;
	}
}

/* The first real change after t, or SPEC_TIME_MAX if none was scanned. */
static spec_time
glibc_next_change(spec_time t)
{
	int			lo = 0;
	int			hi = nchanges;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (changes[mid].at <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nchanges ? changes[lo].at : SPEC_TIME_MAX;
}

/* ---- comparing a zone with glibc ---- */

static void
lookup(const SpecTzFile *tz, spec_time t, int32_t *off, spec_time *next)
{
	*off = INT32_MIN;
	*next = SPEC_TIME_MIN;
	check(spec_tzfile_lookup(tz, t, off, next), "lookup(%s) returned false",
		  fmt_time(t));
}

/* Offset and next_change at t, and constancy on [t, next_change). */
static void
check_instant(const SpecTzFile *tz, spec_time t, int nspot)
{
	int32_t		off;
	spec_time	next;
	spec_time	gnext = glibc_next_change(t);
	spec_time	end;

	lookup(tz, t, &off, &next);
	check(off == glibc_offset(t), "offset at %s is %d, glibc says %d",
		  fmt_time(t), off, glibc_offset(t));
	check(next > t, "next_change %s at %s is not after it",
		  fmt_time(next), fmt_time(t));
	/* never past a real change; exactly on it unless it reports a no-op */
	check(next == gnext ||
		  (next < gnext && next < range_hi + SCAN_PAST &&
		   glibc_offset(next) == off) ||
		  (gnext == SPEC_TIME_MAX && next >= range_hi + SCAN_PAST),
		  "next_change at %s is %s, glibc changes at %s",
		  fmt_time(t), fmt_time(next), fmt_time(gnext));
	end = next < range_hi ? next : range_hi;
	for (int i = 0; i < nspot && end > t; i++)
	{
		spec_time	s = i == 0 ? end - 1 : rng_between(t, end);

		check(glibc_offset(s) == off,
			  "offset %d at %s should hold until %s but glibc has %d at %s",
			  off, fmt_time(t), fmt_time(next), glibc_offset(s), fmt_time(s));
	}
}

/* Compares tz with glibc's current TZ over [range_lo, range_hi). */
static void
compare_with_glibc(const SpecTzFile *tz)
{
	spec_time	t;
	int			nsteps = 0;

	glibc_scan();

	/* each real change, ±1 s */
	for (int i = 0; i < nchanges; i++)
	{
		const Change *c = &changes[i];

		if (c->at >= range_hi)
			break;
		check_instant(tz, c->at - 1, 2);
		check_instant(tz, c->at, 2);
		check_instant(tz, c->at + 1, 2);
	}

	/* the provider's own chain of next_change values, ±1 s */
	t = range_lo;
	while (t < range_hi && nsteps++ < 100000)
	{
		int32_t		off;
		spec_time	next;

		check_instant(tz, t, 1);
		lookup(tz, t, &off, &next);
		if (next <= t || next >= range_hi)
			break;
		check_instant(tz, next - 1, 1);
		check_instant(tz, next + 1, 1);
		t = next;
	}

	for (int i = 0; i < NRANDOM; i++)
		check_instant(tz, rng_between(range_lo, range_hi), 8);
}

/* Extreme instants: no crash, next_change after t. */
static void
check_extremes(const SpecTzFile *tz)
{
	static const spec_time ts[] = {
		SPEC_TIME_MIN, SPEC_TIME_MIN + 1, -((spec_time) 1 << 60),
		-((spec_time) 1 << 53) - 1, (spec_time) 1 << 53, (spec_time) 1 << 60,
		SPEC_TIME_MAX - 1, SPEC_TIME_MAX
	};

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
	{
		int32_t		off;
		spec_time	next;

		lookup(tz, ts[i], &off, &next);
		check(off > -100000 && off < 100000 &&
			  (next > ts[i] || next == SPEC_TIME_MAX),
			  "at %lld: offset %d, next_change %lld", (long long) ts[i],
			  off, (long long) next);
	}
}

static void
test_zone(const char *name, const char *dir)
{
	SpecError	err;
	SpecTzFile *tz;
	SpecTz		stz;

	cur_zone = name;
	if (dir != NULL)
		setenv("TZDIR", dir, 1);
	tz = spec_tzfile_load(name, &err);
	if (dir != NULL)
		unsetenv("TZDIR");
	check(tz != NULL, "load failed: %s", tz ? "" : err.message);
	if (tz == NULL)
		return;
	stz = spec_tzfile_tz(tz);
	check(stz.lookup == spec_tzfile_lookup && stz.zone == tz,
		  "spec_tzfile_tz does not point at the zone");
	glibc_use(name);
	compare_with_glibc(tz);
	check_extremes(tz);
	spec_tzfile_free(tz);
}

/* ---- TZif files built in memory ---- */

typedef struct Buf
{
	unsigned char data[4096];
	size_t		len;
} Buf;

static void
put(Buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > sizeof(b->data))
		abort();
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
put_be(Buf *b, int64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
	{
		unsigned char c = (unsigned char) ((uint64_t) v >> (8 * i));

		put(b, &c, 1);
	}
}

/*
 * A TZif file: types given as UTC offsets (each with abbreviation "ZZZ"),
 * transitions with their type indexes, and a footer: version 3, or version 1
 * when footer is NULL.
 */
static void
build_tzif(Buf *b, const int32_t *offs, int ntypes, const spec_time *at,
		   const unsigned char *idx, int ntrans, const char *footer)
{
	b->len = 0;
	for (int pass = 0; pass < (footer ? 2 : 1); pass++)
	{
		int			timesize = pass == 0 ? 4 : 8;

		put(b, footer ? "TZif3" : "TZif\0", 5);
		put(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15);
		put_be(b, 0, 4);		/* isutcnt */
		put_be(b, 0, 4);		/* isstdcnt */
		put_be(b, 0, 4);		/* leapcnt */
		put_be(b, ntrans, 4);
		put_be(b, ntypes, 4);
		put_be(b, 4, 4);		/* charcnt */
		for (int i = 0; i < ntrans; i++)
			put_be(b, at[i], timesize);
		put(b, idx, ntrans);
		for (int i = 0; i < ntypes; i++)
		{
			put_be(b, offs[i], 4);
			put_be(b, 0, 1);
			put_be(b, 0, 1);
		}
		put(b, "ZZZ", 4);
	}
	if (footer == NULL)
		return;					/* version 1 */
	put(b, "\n", 1);
	put(b, footer, strlen(footer));
	put(b, "\n", 1);
}

static SpecTzFile *
parse_footer_only(const char *footer)
{
	Buf			b;
	int32_t		off0 = 0;
	SpecError	err;
	SpecTzFile *tz;

	build_tzif(&b, &off0, 1, NULL, NULL, 0, footer);
	tz = spec_tzfile_parse(footer, b.data, b.len, &err);
	check(tz != NULL, "footer \"%s\" refused: %s", footer,
		  tz ? "" : err.message);
	return tz;
}

/* Real footers of the 2025 tzdata, and the rule forms they do not use. */
static const char *const footers[] = {
	"EST5EDT,M3.2.0,M11.1.0", "GMT0BST,M3.5.0/1,M10.5.0",
	"IST-1GMT0,M10.5.0,M3.5.0/1", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
	"NZST-12NZDT,M9.5.0,M4.1.0/3", "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
	"CET-1CEST,M3.5.0,M10.5.0/3", "EET-2EEST,M3.5.0/3,M10.5.0/4",
	"EET-2EEST,M3.4.4/50,M10.4.4/50", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
	"IST-2IDT,M3.4.4/26,M10.5.0", "EET-2EEST,M4.5.5/0,M10.5.4/24",
	"CST5CDT,M3.2.0/0,M11.1.0/1", "<-06>6<-05>,M9.1.6/22,M4.1.6/22",
	"<-04>4<-03>,M9.1.6/24,M4.1.6/24", "<-01>1<+00>,M3.5.0/0,M10.5.0/1",
	"<+00>0<+02>-2,M3.5.0/1,M10.5.0/3", "NST3:30NDT,M3.2.0,M11.1.0",
	"ACST-9:30ACDT,M10.1.0,M4.1.0/3", "<+11>-11<+12>,M10.1.0,M4.1.0/3",
	"<-03>3<-02>,M3.2.0,M11.1.0", "<+0545>-5:45", "<-0930>9:30", "UTC0",
	"<-00>0", "<+14>-14", "HST10",
	/* Jn and n rules, times with seconds, negative and beyond 24 h */
	"<+0330>-3:30<+0430>,J79/24,J263/24", "AAA3BBB,59/2,300/3",
	"AAA-5BBB-6,J60/1:30:15,J305/-1:00:30", "AAA3BBB,0/30,365/-20",
	"AAA-10BBB-11:30,M10.1.0/2:30,M4.1.0/3:15:30",
	"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "AAA8BBB7,M2.5.6/100,M11.5.3/-100",
};

static void
test_footers(void)
{
	for (size_t i = 0; i < sizeof(footers) / sizeof(footers[0]); i++)
	{
		SpecTzFile *tz;

		cur_zone = footers[i];
		if ((tz = parse_footer_only(footers[i])) == NULL)
			continue;
		glibc_use(footers[i]);
		range_lo = T_1970;
		range_hi = T_HI;
		compare_with_glibc(tz);
		range_lo = T_2190;
		range_hi = T_2400;
		compare_with_glibc(tz);
		check_extremes(tz);
		spec_tzfile_free(tz);
	}
	range_lo = T_LO;
	range_hi = T_HI;
}

/* Seconds since the epoch of a UTC date and time. */
static spec_time
utc(int y, int mo, int d, int h, int mi, int s)
{
	int64_t		yy = y - (mo <= 2);
	int64_t		era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t		yoe = yy - era * 400;
	int64_t		doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
	int64_t		days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;

	return days * 86400 + h * 3600 + mi * 60 + s;
}

static void
expect(const SpecTzFile *tz, spec_time t, int32_t off, spec_time next)
{
	int32_t		o;
	spec_time	n;

	lookup(tz, t, &o, &n);
	check(o == off && n == next, "at %s: offset %d next %s, expected %d next %s",
		  fmt_time(t), o, fmt_time(n), off, fmt_time(next));
}

/* Cases where glibc is no oracle, worked out by hand. */
static void
test_by_hand(void)
{
	SpecTzFile *tz;
	Buf			b;
	SpecError	err;

	/*
	 * DST from Dec 31 23:00 (UTC-3) to Jan 1 22:00 (UTC-2): it starts in one
	 * year and ends in the next, so it spans the UTC new year.
	 */
	cur_zone = "AAA3BBB,J365/23,J1/22";
	if ((tz = parse_footer_only(cur_zone)) != NULL)
	{
		expect(tz, utc(2030, 1, 1, 1, 59, 59), -10800, utc(2030, 1, 1, 2, 0, 0));
		expect(tz, utc(2030, 1, 1, 2, 0, 0), -7200, utc(2030, 1, 2, 0, 0, 0));
		expect(tz, utc(2030, 1, 1, 23, 59, 59), -7200, utc(2030, 1, 2, 0, 0, 0));
		expect(tz, utc(2030, 1, 2, 0, 0, 0), -10800, utc(2031, 1, 1, 2, 0, 0));
		expect(tz, utc(2029, 7, 1, 0, 0, 0), -10800, utc(2030, 1, 1, 2, 0, 0));
		spec_tzfile_free(tz);
	}

	/* DST all year (tzfile(5)): never a real change */
	cur_zone = "EST5EDT,0/0,J365/25";
	if ((tz = parse_footer_only(cur_zone)) != NULL)
	{
		for (int i = 0; i < 1000; i++)
		{
			spec_time	t = i < 200 ? utc(1950 + i / 2, 1, 1, 4 + i % 2, 59, 59)
				: rng_between(T_LO, T_HI);
			int32_t		off;
			spec_time	next;

			lookup(tz, t, &off, &next);
			check(off == -14400 && next > t, "at %s: offset %d next %s",
				  fmt_time(t), off, fmt_time(next));
		}
		spec_tzfile_free(tz);
	}

	/*
	 * DST that starts and ends at the same instant each year: perpetual DST,
	 * as tzcode reads it
	 */
	cur_zone = "AAA3BBB,J100/2,J100/3";
	if ((tz = parse_footer_only(cur_zone)) != NULL)
	{
		for (int i = 0; i < 1000; i++)
		{
			spec_time	t = i < 200 ? utc(1950 + i / 2, 4, 10, 4 + i % 2, 59, 59)
				: rng_between(T_LO, T_HI);
			int32_t		off;
			spec_time	next;

			lookup(tz, t, &off, &next);
			check(off == -7200 && next > t, "at %s: offset %d next %s",
				  fmt_time(t), off, fmt_time(next));
		}
		spec_tzfile_free(tz);
	}

	/*
	 * A footer that disagrees with the last explicit transition: the footer
	 * wins from that transition on, and next_change says so.
	 */
	cur_zone = "footer disagreeing";
	{
		int32_t		offs[2] = {-18000, -18000};
		spec_time	at[1] = {utc(2000, 1, 1, 0, 0, 0)};
		unsigned char idx[1] = {1};

		build_tzif(&b, offs, 2, at, idx, 1, "<-04>4");
		if ((tz = spec_tzfile_parse(cur_zone, b.data, b.len, &err)) != NULL)
		{
			expect(tz, utc(1990, 6, 1, 0, 0, 0), -18000, utc(2000, 1, 1, 0, 0, 0));
			expect(tz, utc(2000, 1, 1, 0, 0, 0), -14400, SPEC_TIME_MAX);
			spec_tzfile_free(tz);
		}
		else
			check(false, "refused: %s", err.message);
	}

	/*
	 * An explicit transition that changes only the abbreviation, then the
	 * footer: before it, the next change is the footer's first DST start.
	 */
	cur_zone = "abbreviation-only transition";
	{
		int32_t		offs[2] = {-18000, -18000};
		spec_time	at[1] = {utc(2000, 1, 1, 0, 0, 0)};
		unsigned char idx[1] = {1};

		build_tzif(&b, offs, 2, at, idx, 1, "EST5EDT,M3.2.0,M11.1.0");
		if ((tz = spec_tzfile_parse(cur_zone, b.data, b.len, &err)) != NULL)
		{
			expect(tz, utc(1990, 6, 1, 0, 0, 0), -18000, utc(2000, 3, 12, 7, 0, 0));
			expect(tz, utc(2000, 3, 12, 7, 0, 0), -14400, utc(2000, 11, 5, 6, 0, 0));
			spec_tzfile_free(tz);
		}
		else
			check(false, "refused: %s", err.message);
	}

	/* slim-style: explicit transitions end in 2007, the footer goes on */
	cur_zone = "slim America/New_York";
	{
		int32_t		offs[2] = {-18000, -14400};
		spec_time	at[2] = {utc(2007, 3, 11, 7, 0, 0), utc(2007, 11, 4, 6, 0, 0)};
		unsigned char idx[2] = {1, 0};

		build_tzif(&b, offs, 2, at, idx, 2, "EST5EDT,M3.2.0,M11.1.0");
		if ((tz = spec_tzfile_parse(cur_zone, b.data, b.len, &err)) != NULL)
		{
			expect(tz, utc(2007, 1, 1, 0, 0, 0), -18000, utc(2007, 3, 11, 7, 0, 0));
			expect(tz, utc(2007, 11, 4, 5, 59, 59), -14400, utc(2007, 11, 4, 6, 0, 0));
			expect(tz, utc(2007, 11, 4, 6, 0, 0), -18000, utc(2008, 3, 9, 7, 0, 0));
			expect(tz, utc(2100, 7, 4, 0, 0, 0), -14400, utc(2100, 11, 7, 6, 0, 0));
			spec_tzfile_free(tz);
		}
		else
			check(false, "refused: %s", err.message);
	}

	/* version 1: 32-bit times, no footer; the last type holds forever */
	cur_zone = "version 1";
	{
		int32_t		offs[3] = {-17762, -18000, -14400};
		spec_time	at[3] = {utc(1910, 11, 18, 17, 0, 0), utc(2007, 3, 11, 7, 0, 0),
		utc(2007, 11, 4, 6, 0, 0)};
		unsigned char idx[3] = {1, 2, 1};

		build_tzif(&b, offs, 3, at, idx, 3, NULL);
		if ((tz = spec_tzfile_parse(cur_zone, b.data, b.len, &err)) != NULL)
		{
			expect(tz, utc(1910, 11, 18, 16, 59, 59), -17762, utc(1910, 11, 18, 17, 0, 0));
			expect(tz, utc(1910, 11, 18, 17, 0, 0), -18000, utc(2007, 3, 11, 7, 0, 0));
			expect(tz, utc(2007, 3, 11, 7, 0, 0), -14400, utc(2007, 11, 4, 6, 0, 0));
			expect(tz, utc(2007, 11, 4, 6, 0, 0), -18000, SPEC_TIME_MAX);
			expect(tz, utc(2100, 7, 4, 0, 0, 0), -18000, SPEC_TIME_MAX);
			spec_tzfile_free(tz);
		}
		else
			check(false, "refused: %s", err.message);
	}
}

/* ---- errors ---- */

static void
expect_unknown(const char *name)
{
	SpecError	err;
	SpecTzFile *tz;
	char		msg[300];

	cur_zone = name;
	memset(&err, 0, sizeof(err));
	tz = spec_tzfile_load(name, &err);
	snprintf(msg, sizeof(msg), "unknown time zone \"%s\"", name);
	check(tz == NULL && err.code == SPEC_ERR_TIME_ZONE &&
		  strcmp(err.message, msg) == 0,
		  "expected an unknown zone, got %s (code %d, \"%s\")",
		  tz ? "a zone" : "NULL", (int) err.code, err.message);
	spec_tzfile_free(tz);
}

static void
test_errors(void)
{
	static const char *const bad[] = {
		"Nowhere/Atlantis", "", "/usr/share/zoneinfo/UTC", "../zoneinfo/UTC",
		"America/../UTC", "..", "America", "America/New_York/", "zone.tab",
		"right/UTC",			/* leap seconds */
	};
	SpecError	err;
	Buf			b;
	int32_t		off0 = 0;
	SpecTzFile *tz;
	FILE	   *f;
	unsigned char *file;
	size_t		len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_unknown(bad[i]);

	/* malformed footers and headers */
	cur_zone = "malformed";
	{
		static const char *const badfooters[] = {
			"EST", "5", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0",
			"EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0",
			"EST5EDT,J0,J365", "EST5EDT,366,0", "EST5EDT,M3.2.0/168,M11.1.0",
			"EST5EDT,M3.2.0,M11.1.0x", "<>5", "<EST5", "EST5:60", "EST5EDT,,",
		};

		for (size_t i = 0; i < sizeof(badfooters) / sizeof(badfooters[0]); i++)
		{
			build_tzif(&b, &off0, 1, NULL, NULL, 0, badfooters[i]);
			tz = spec_tzfile_parse(badfooters[i], b.data, b.len, &err);
			check(tz == NULL && err.code == SPEC_ERR_TIME_ZONE,
				  "footer \"%s\" accepted", badfooters[i]);
			spec_tzfile_free(tz);
		}
		build_tzif(&b, &off0, 1, NULL, NULL, 0, "UTC0");
		b.data[0] = 'X';
		tz = spec_tzfile_parse("bad magic", b.data, b.len, &err);
		check(tz == NULL, "bad magic accepted");
		spec_tzfile_free(tz);
	}

	/* every truncation and many corruptions of a real file: no crash */
	cur_zone = "America/New_York truncated";
	f = fopen("/usr/share/zoneinfo/America/New_York", "rb");
	if (f == NULL)
		return;
	file = malloc(1 << 16);
	len = fread(file, 1, 1 << 16, f);
	fclose(f);
	for (size_t n = 0; n <= len; n++)
	{
		tz = spec_tzfile_parse("x", file, n, &err);
		if (tz != NULL)
		{
			int32_t		off;
			spec_time	next;

			spec_tzfile_lookup(tz, 0, &off, &next);
		}
		spec_tzfile_free(tz);
	}
	for (int i = 0; i < 20000; i++)
	{
		size_t		at = (size_t) (rng() % len);
		unsigned char save = file[at];

		file[at] = (unsigned char) rng();
		tz = spec_tzfile_parse("x", file, len, &err);
		if (tz != NULL)
		{
			int32_t		off;
			spec_time	next;

			for (int k = 0; k < 4; k++)
				spec_tzfile_lookup(tz, rng_between(T_LO, T_HI), &off, &next);
		}
		spec_tzfile_free(tz);
		file[at] = save;
	}
	free(file);
	check(true, "");
}

int
main(int argc, char **argv)
{
	static const char *const zones[] = {
		"America/New_York", "Europe/London", "Europe/Dublin",
		"Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Auckland",
		"America/Sao_Paulo", "Asia/Tehran", "Pacific/Chatham",
		"Africa/Casablanca", "UTC", "Etc/GMT+5", "US/Pacific",
	};
	const char *dir = argc > 1 && argv[1][0] != '\0' ? argv[1] : NULL;

	if (argc > 2)
	{
		for (int i = 2; i < argc; i++)
			test_zone(argv[i], dir);
		return summary();
	}
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		test_zone(zones[i], dir);
	test_footers();
	test_by_hand();
	test_errors();

	free(changes);
	return summary();
}
