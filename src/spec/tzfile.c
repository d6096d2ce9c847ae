/*-------------------------------------------------------------------------
 *
 * tzfile.c
 *	  Standalone time-zone provider: TZif files from the system zoneinfo.
 *
 * Why it exists: the spec engine takes zones through SpecTz so that it never
 * depends on PostgreSQL.  In the backend the glue answers from PostgreSQL's
 * own tz database (pg_next_dst_boundary); the unit tests, the fuzzer and the
 * benchmarks run without a server and use this file instead.
 *
 * Design: loading reads one TZif file (RFC 8536, versions 1 to 4, using the
 * 64-bit data block when there is one) into a single immutable allocation:
 * the explicit transitions, reduced to those that change the UTC offset
 * (isdst and abbreviation changes do not matter to the engine), and the
 * footer's POSIX TZ string, parsed.  The explicit transitions answer
 * before the last one, the footer rule from the last one on: Debian may ship
 * "slim" files whose transitions stop in 2007, so the footer decides most of
 * the future.  The footer's offset changes up to 2200 are computed at load
 * time into a second table; later ones are computed on each call from the
 * rule for the years around t.  So a lookup is one binary search in the
 * years that matter, it neither allocates nor writes, and a zone can be
 * shared by any number of threads.
 *
 * Leap-second ("right/") files are refused: their times are not POSIX
 * seconds.  "UTC" works even where no zoneinfo is installed.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "tzfile.h"

#define TZ_DEFAULT_DIR	"/usr/share/zoneinfo"
#define TZ_MAX_FILE		(256 * 1024)	/* real files are under 4 kB */
#define TZ_MAX_FOOTER	256
#define TZ_MAX_HOURS	167		/* RFC 8536 extension of POSIX's 24 */
#define SECS_PER_DAY	86400

/*
 * Footer rules are evaluated only within this distance of the epoch (about
 * 285 million years), so that no year arithmetic can overflow; beyond it the
 * zone keeps the state it has at the limit.
 */
#define TZ_RULE_LIMIT	((spec_time) 1 << 53)

/* Footer offset changes in this range are tabulated at load time. */
#define TZ_TABLE_LO		((spec_time) -2208988800)	/* 1900-01-01 */
#define TZ_TABLE_HI		((spec_time) 7258118400)	/* 2200-01-01 */
#define TZ_TABLE_MAX	608		/* two changes a year, and some slack */

/* One POSIX transition rule: "Jn", "n" or "Mm.w.d", and "/time". */
typedef enum TzRuleKind
{
	RULE_JULIAN,				/* Jn: day 1-365, February 29 never counted */
	RULE_DAY,					/* n: day 0-365, February 29 counted */
	RULE_MONTH					/* Mm.w.d: weekday d of week w of month m */
} TzRuleKind;

typedef struct TzRule
{
	TzRuleKind	kind;
	int			day;
	int			month;
	int			week;
	int			wday;
	int32_t		secs;			/* local time of day, may be < 0 or > 24 h */
} TzRule;

/* The footer: offsets in seconds east of Greenwich, as SpecTz wants them. */
typedef struct TzFooter
{
	bool		has_dst;
	int32_t		std_off;
	int32_t		dst_off;
	TzRule		start;			/* DST starts, on the standard-time clock */
	TzRule		end;			/* DST ends, on the DST clock */
} TzFooter;

typedef struct TzTrans
{
	spec_time	at;
	int32_t		off;			/* offset from "at" on */
} TzTrans;

struct SpecTzFile
{
	int32_t		off_before;		/* offset before the first transition */
	bool		has_footer;
	spec_time	footer_from;	/* the footer decides at and after this */
	TzFooter	footer;
	int			ntrans;			/* explicit transitions */
	int			nfooter;		/* the footer's, from footer_from to 2200 */
	TzTrans		trans[];		/* ntrans then nfooter, each ascending, each
								 * changing the offset */
};

/* ---- calendar arithmetic (proleptic Gregorian, int64 days) ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days since 1970-01-01 of y-m-d (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int64_t
year_from_days(int64_t z)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	/* March-based year: January and February belong to the next one */
	return yoe + era * 400 + (doy >= 306);
}

static int
days_in_month(int64_t y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
	31, 31, 30, 31, 30, 31};

	return mdays[m - 1] + (m == 2 && is_leap(y));
}

/* The UTC instant at which rule r fires in year y, on a clock at offset off. */
static spec_time
rule_time(const TzRule *r, int64_t y, int32_t off)
{
	int64_t		days = days_from_civil(y, 1, 1);

	switch (r->kind)
	{
		case RULE_JULIAN:
			days += r->day - 1 + (r->day >= 60 && is_leap(y));
			break;
		case RULE_DAY:
			days += r->day;
			break;
		case RULE_MONTH:
			{
				int64_t		first = days_from_civil(y, r->month, 1);
				/* 1970-01-01 was a Thursday; 0 = Sunday */
				int			first_wday = (int) ((first % 7 + 11) % 7);
				int			d = (r->wday - first_wday + 7) % 7 +
					(r->week - 1) * 7;

				/* week 5 means the last such weekday of the month */
				while (d >= days_in_month(y, r->month))
					d -= 7;
				days = first + d;
				break;
			}
	}
	return days * SECS_PER_DAY + r->secs - off;
}

/*
 * The footer's offset at t and the first instant after t at which it
 * changes.  The DST starts and ends of the years around t are computed and
 * sorted (a rule time of up to 167 hours can push one into a neighbouring
 * year); at equal instants an end sorts before a start, so that DST all
 * year ("EST5EDT,0/0,J365/25") or starting and ending at the same instant
 * is perpetual DST, as tzcode reads it.
 */
static void
footer_lookup(const TzFooter *f, spec_time t, int32_t *off, spec_time *next)
{
	spec_time	probe = t;
	spec_time	at[8] = {0};
	bool		dst[8] = {false};	/* always filled; for gcc -O1 */
	int			n = 0;
	bool		cur;
	int			i;
	int64_t		year;

	if (!f->has_dst)
	{
		*off = f->std_off;
		*next = SPEC_TIME_MAX;
		return;
	}
	if (probe > TZ_RULE_LIMIT)
		probe = TZ_RULE_LIMIT;
	else if (probe < -TZ_RULE_LIMIT)
		probe = -TZ_RULE_LIMIT;

	year = year_from_days(floor_div(probe + f->std_off, SECS_PER_DAY));
	for (int64_t y = year - 1; y <= year + 2; y++)
	{
		for (int k = 0; k < 2; k++)
		{
			spec_time	a = k == 0 ? rule_time(&f->start, y, f->std_off)
				: rule_time(&f->end, y, f->dst_off);
			bool		d = k == 0;
			int			j = n++;

			while (j > 0 &&
				   (at[j - 1] > a || (at[j - 1] == a && dst[j - 1] && !d)))
			{
				at[j] = at[j - 1];
				dst[j] = dst[j - 1];
				j--;
			}
			at[j] = a;
			dst[j] = d;
		}
	}

	/* the state set by the last event at or before probe */
	cur = !dst[0];
	for (i = 0; i < n && at[i] <= probe; i++)
		cur = dst[i];
	*off = cur ? f->dst_off : f->std_off;

	/* the next event that flips it; else any later one ("may change") */
	*next = at[n - 1];
	for (; i < n; i++)
	{
		if (dst[i] != cur)
		{
			*next = at[i];
			break;
		}
	}
	if (t >= TZ_RULE_LIMIT)
		*next = SPEC_TIME_MAX;
	else if (t < -TZ_RULE_LIMIT)
		*next = -TZ_RULE_LIMIT;
}

/*
 * Writes the footer's offset changes after "from" and before TZ_TABLE_HI to
 * out[TZ_TABLE_MAX] and returns their number.
 */
static int
footer_table(const TzFooter *f, spec_time from, TzTrans *out)
{
	int			n = 0;
	int32_t		cur;
	int32_t		off;
	spec_time	next;

	footer_lookup(f, from, &cur, &next);
	while (next < TZ_TABLE_HI && n < TZ_TABLE_MAX)
	{
		spec_time	t = next;

		footer_lookup(f, t, &off, &next);
		if (off != cur)
		{
			out[n].at = t;
			out[n++].off = off;
			cur = off;
		}
	}
	return n;
}

/* ---- the POSIX TZ string of the footer ---- */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A zone abbreviation: 3+ letters, or "<" letters, digits, + and - ">". */
static const char *
parse_abbrev(const char *p)
{
	const char *start;

	if (*p == '<')
	{
		start = ++p;
		while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
			p++;
		return (*p == '>' && p > start) ? p + 1 : NULL;
	}
	start = p;
	while (is_alpha(*p))
		p++;
	return p - start >= 3 ? p : NULL;
}

/* An unsigned number of at most max, in *v. */
static const char *
parse_num(const char *p, int max, int *v)
{
	if (!is_digit(*p))
		return NULL;
	*v = 0;
	while (is_digit(*p))
	{
		*v = *v * 10 + (*p++ - '0');
		if (*v > max)
			return NULL;
	}
	return p;
}

/* [+-]hh[:mm[:ss]] in seconds. */
static const char *
parse_hms(const char *p, int32_t *secs)
{
	int			sign = 1;
	int			h;
	int			m = 0;
	int			s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if ((p = parse_num(p, TZ_MAX_HOURS, &h)) == NULL)
		return NULL;
	if (*p == ':' && (p = parse_num(p + 1, 59, &m)) != NULL && *p == ':')
		p = parse_num(p + 1, 59, &s);
	if (p != NULL)
		*secs = sign * (h * 3600 + m * 60 + s);
	return p;
}

/* ",Jn[/time]", ",n[/time]" or ",Mm.w.d[/time]". */
static const char *
parse_rule(const char *p, TzRule *r)
{
	if (*p++ != ',')
		return NULL;
	if (*p == 'J')
	{
		r->kind = RULE_JULIAN;
		if ((p = parse_num(p + 1, 365, &r->day)) == NULL || r->day < 1)
			return NULL;
	}
	else if (*p == 'M')
	{
		r->kind = RULE_MONTH;
		if ((p = parse_num(p + 1, 12, &r->month)) == NULL || r->month < 1 ||
			*p != '.' || (p = parse_num(p + 1, 5, &r->week)) == NULL ||
			r->week < 1 ||
			*p != '.' || (p = parse_num(p + 1, 6, &r->wday)) == NULL)
			return NULL;
	}
	else
	{
		r->kind = RULE_DAY;
		if ((p = parse_num(p, 365, &r->day)) == NULL)
			return NULL;
	}
	r->secs = 2 * 3600;
	if (*p == '/')
		p = parse_hms(p + 1, &r->secs);
	return p;
}

/* "std offset [dst [offset] [,rule,rule]]"; POSIX offsets count west. */
static bool
parse_footer(const char *p, TzFooter *f)
{
	int32_t		v;

	memset(f, 0, sizeof(*f));
	if ((p = parse_abbrev(p)) == NULL || (p = parse_hms(p, &v)) == NULL)
		return false;
	f->std_off = -v;
	if (*p == '\0')
		return true;
	if ((p = parse_abbrev(p)) == NULL)
		return false;
	f->dst_off = f->std_off + 3600;
	if (*p != ',' && *p != '\0')
	{
		if ((p = parse_hms(p, &v)) == NULL)
			return false;
		f->dst_off = -v;
	}
	if (*p == '\0')
		p = ",M3.2.0,M11.1.0";	/* POSIX leaves it open; tzcode's choice */
	if ((p = parse_rule(p, &f->start)) == NULL ||
		(p = parse_rule(p, &f->end)) == NULL || *p != '\0')
		return false;
	f->has_dst = f->dst_off != f->std_off;
	return true;
}

/* ---- the TZif file ---- */

typedef struct TzHeader
{
	char		version;
	uint32_t	isutcnt;
	uint32_t	isstdcnt;
	uint32_t	leapcnt;
	uint32_t	timecnt;
	uint32_t	typecnt;
	uint32_t	charcnt;
} TzHeader;

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 |
		(uint32_t) p[2] << 8 | (uint32_t) p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t) ((uint64_t) be32(p) << 32 | be32(p + 4));
}

/* Transition time i of a data block. */
static spec_time
read_time(const unsigned char *p, int timesize, uint32_t i)
{
	if (timesize == 8)
		return be64(p + 8 * (size_t) i);
	return (int32_t) be32(p + 4 * (size_t) i);
}

/*
 * Reads the 44-byte header at p and returns the length of the data block
 * that follows it (times of timesize bytes), or 0 when it is malformed or
 * does not fit in the len bytes available.
 */
static size_t
read_header(const unsigned char *p, size_t len, int timesize, TzHeader *h)
{
	size_t		need;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return 0;
	h->version = (char) p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	/* each count is bounded by the file size before any multiplication */
	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
		h->timecnt > len || h->leapcnt > len || h->charcnt > len ||
		(h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
		(h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return 0;
	need = (size_t) h->timecnt * (timesize + 1) + (size_t) h->typecnt * 6 +
		h->charcnt + (size_t) h->leapcnt * (timesize + 4) +
		h->isstdcnt + h->isutcnt;
	return need <= len - 44 ? need : 0;
}

static SpecTzFile *
unknown_zone(const char *name, SpecError *err)
{
	if (err != NULL)
		spec_error(err, SPEC_ERR_TIME_ZONE, -1, 0,
				   "unknown time zone \"%s\"", name);
	return NULL;
}

SpecTzFile *
spec_tzfile_parse(const char *name, const void *data, size_t len,
				  SpecError *err)
{
	const unsigned char *buf = data;
	const unsigned char *p;
	const unsigned char *types;
	TzHeader	h;
	size_t		blen;
	size_t		pos;
	int			timesize = 4;
	spec_time	last;
	bool		has_footer = false;
	TzFooter	footer;
	TzTrans		table[TZ_TABLE_MAX];
	int			nfooter = 0;
	SpecTzFile *tz;
	int32_t		prev;

	if ((blen = read_header(buf, len, 4, &h)) == 0)
		goto bad;
	pos = 44;
	if (h.version >= '2')
	{
		/* skip the 32-bit block: the 64-bit one follows with its header */
		pos += blen;
		timesize = 8;
		if ((blen = read_header(buf + pos, len - pos, 8, &h)) == 0)
			goto bad;
		pos += 44;
	}
	if (h.leapcnt != 0)
		goto bad;
	memset(&footer, 0, sizeof(footer));
	p = buf + pos;
	types = p + (size_t) h.timecnt * (timesize + 1);
	last = h.timecnt == 0 ? SPEC_TIME_MIN :
		read_time(p, timesize, h.timecnt - 1);

	/* the footer: "\n<POSIX TZ string>\n" after the 64-bit block */
	pos += blen;
	if (timesize == 8 && pos < len)
	{
		char		str[TZ_MAX_FOOTER];
		size_t		n = 0;

		if (buf[pos++] != '\n')
			goto bad;
		while (pos < len && buf[pos] != '\n' && n < sizeof(str) - 1)
			str[n++] = (char) buf[pos++];
		if (pos >= len || buf[pos] != '\n')
			goto bad;
		str[n] = '\0';
		if (n > 0 && !parse_footer(str, &footer))
			goto bad;
		has_footer = n > 0;
	}
	if (has_footer)
		nfooter = footer_table(&footer, last > TZ_TABLE_LO ? last : TZ_TABLE_LO,
							   table);

	tz = malloc(sizeof(SpecTzFile) +
				((size_t) h.timecnt + nfooter) * sizeof(TzTrans));
	if (tz == NULL)
		goto bad;
	for (uint32_t i = 0; i < h.typecnt; i++)
	{
		const unsigned char *ttinfo = types + 6 * i;

		if ((int32_t) be32(ttinfo) == INT32_MIN || ttinfo[4] > 1 ||
			ttinfo[5] >= h.charcnt)
			goto bad_free;
	}

	/* keep only the transitions that change the offset */
	tz->off_before = prev = (int32_t) be32(types);
	tz->ntrans = 0;
	for (uint32_t i = 0; i < h.timecnt; i++)
	{
		spec_time	at = read_time(p, timesize, i);
		unsigned	type = p[(size_t) h.timecnt * timesize + i];
		int32_t		off;

		if (type >= h.typecnt || (i > 0 && at <= read_time(p, timesize, i - 1)))
			goto bad_free;
		off = (int32_t) be32(types + 6 * type);
		if (off != prev)
		{
			tz->trans[tz->ntrans].at = at;
			tz->trans[tz->ntrans++].off = off;
			prev = off;
		}
	}

	tz->has_footer = has_footer;
	tz->footer_from = has_footer ? last : SPEC_TIME_MAX;
	tz->footer = footer;
	tz->nfooter = nfooter;
	if (nfooter > 0)
		memcpy(tz->trans + tz->ntrans, table, nfooter * sizeof(TzTrans));
	return tz;

bad_free:
	free(tz);
bad:
	return unknown_zone(name, err);
}

SpecTzFile *
spec_tzfile_load(const char *name, SpecError *err)
{
	const char *dir = getenv("TZDIR");
	char		path[4096];
	unsigned char *buf;
	size_t		len = 0;
	FILE	   *f;
	SpecTzFile *tz;

	if (name == NULL)
		name = "";
	if (dir == NULL || dir[0] == '\0')
		dir = TZ_DEFAULT_DIR;
	/* no path traversal: a zone name stays inside the zoneinfo directory */
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL ||
		strlen(name) > SPEC_TZ_NAME_MAX ||
		snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
		return unknown_zone(name, err);

	f = fopen(path, "rb");
	if (f == NULL)
	{
		/* so tests run where no zoneinfo is installed */
		if (strcmp(name, "UTC") == 0 &&
			(tz = malloc(sizeof(SpecTzFile))) != NULL)
		{
			memset(tz, 0, sizeof(SpecTzFile));
			tz->footer_from = SPEC_TIME_MAX;
			return tz;
		}
		return unknown_zone(name, err);
	}
	buf = malloc(TZ_MAX_FILE + 1);
	if (buf != NULL)
		len = fread(buf, 1, TZ_MAX_FILE + 1, f);
	/* a directory, an unreadable or a huge file */
	if (buf == NULL || ferror(f) || len > TZ_MAX_FILE)
		tz = unknown_zone(name, err);
	else
		tz = spec_tzfile_parse(name, buf, len, err);
	fclose(f);
	free(buf);
	return tz;
}

void
spec_tzfile_free(SpecTzFile *tz)
{
	free(tz);
}

/* The number of transitions of a[0..n) at or before t. */
static int
count_at_or_before(const TzTrans *a, int n, spec_time t)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (a[mid].at <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
spec_tzfile_lookup(const void *zone, spec_time t, int32_t *utc_offset,
				   spec_time *next_change)
{
	const SpecTzFile *tz = zone;
	const TzTrans *ft;
	int32_t		off;
	spec_time	next;
	int			i;

	if (tz == NULL)
		return false;
	ft = tz->trans + tz->ntrans;
	if (!tz->has_footer || t < tz->footer_from)
	{
		i = count_at_or_before(tz->trans, tz->ntrans, t);
		off = i == 0 ? tz->off_before : tz->trans[i - 1].off;
		if (i < tz->ntrans)
			next = tz->trans[i].at;
		else if (tz->has_footer)
		{
			int32_t		foff;
			spec_time	fnext;

			/* the footer takes over at footer_from, maybe without a change */
			footer_lookup(&tz->footer, tz->footer_from, &foff, &fnext);
			next = foff != off ? tz->footer_from : fnext;
		}
		else
			next = SPEC_TIME_MAX;
	}
	else if (tz->nfooter >= 2 && t >= ft[0].at && t < ft[tz->nfooter - 1].at)
	{
		/* within the table, which holds every change of that range */
		i = count_at_or_before(ft, tz->nfooter, t);
		off = ft[i - 1].off;
		next = ft[i].at;
	}
	else
		footer_lookup(&tz->footer, t, &off, &next);

	if (utc_offset != NULL)
		*utc_offset = off;
	if (next_change != NULL)
		*next_change = next;
	return true;
}

SpecTz
spec_tzfile_tz(const SpecTzFile *tz)
{
	SpecTz		r;

	r.lookup = spec_tzfile_lookup;
	r.zone = tz;
	return r;
}
