/*-------------------------------------------------------------------------
 *
 * test_spec.c
 *	  Table-driven unit tests of the spec engine (src/spec).
 *
 * Reads case files (default test/unit/cases.txt; the format is described
 * at the top of that file), builds each case's Spec through the public API
 * only (spec.h, plus tzfile.h for zones), calls spec_next() from the case's
 * explicit "after" instant and compares every result with the expected
 * times, which reference.py worked out independently of the engine.
 *
 * Every failure is printed with the case name, its line, the index of the
 * first wrong time, the expected and the actual value; the last line is
 * "N passed, N failed" and the exit status is 1 when anything failed.
 * A malformed case file entry counts as a failure, never as a pass.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "tzfile.h"

#define MAX_LINE	4096
#define MAX_PARTS	32			/* cron, cal, interval or skip lines a case */
#define MAX_TIMES	512			/* expected times a case */
#define MAX_SUBS	8			/* error: or nexterror: lines a case */

typedef struct Case
{
	char		name[128];
	const char *file;
	int			line;			/* line of the case's first key */
	char	   *tz;
	char	   *cron[MAX_PARTS];
	int			ncron;
	char	   *cal[MAX_PARTS];
	int			ncal;
	char	   *interval[MAX_PARTS];
	int			ninterval;
	char	   *skip[MAX_PARTS];
	int			nskip;
	char	   *start;
	char	   *end;
	char	   *dst;			/* "first skip", "both next_valid", ... */
	char	   *after;
	long		count;			/* -1: not given */
	char	   *expect_text;	/* all expect: lines, space separated */
	char	   *error[MAX_SUBS];
	int			nerror;
	char	   *nexterror[MAX_SUBS];
	int			nnexterror;
	long		errpos;			/* -1: not given */
	char		problem[256];	/* a malformed line, reported as a failure */
} Case;

/* What a case's Spec points at; static because SpecCalendar is not small. */
static SpecCalendar calendars[2 * MAX_PARTS];
static SpecCalendar skips[MAX_PARTS];
static SpecInterval intervals[2 * MAX_PARTS];
static spec_time expected[MAX_TIMES];

static int	npassed;
static int	nfailed;

static char *
copy_text(const char *s)
{
	size_t		len = strlen(s);
	char	   *p = malloc(len + 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	memcpy(p, s, len + 1);
	return p;
}

/* Appends " s" to *text (a malloc'ed, space-separated list). */
static void
append_text(char **text, const char *s)
{
	size_t		old = *text ? strlen(*text) : 0;
	size_t		len = strlen(s);
	char	   *p = realloc(*text, old + len + 2);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (old > 0)
		p[old++] = ' ';
	memcpy(p + old, s, len + 1);
	*text = p;
}

static void
case_reset(Case *c)
{
	int			i;

	free(c->tz);
	for (i = 0; i < c->ncron; i++)
		free(c->cron[i]);
	for (i = 0; i < c->ncal; i++)
		free(c->cal[i]);
	for (i = 0; i < c->ninterval; i++)
		free(c->interval[i]);
	for (i = 0; i < c->nskip; i++)
		free(c->skip[i]);
	for (i = 0; i < c->nerror; i++)
		free(c->error[i]);
	for (i = 0; i < c->nnexterror; i++)
		free(c->nexterror[i]);
	free(c->start);
	free(c->end);
	free(c->dst);
	free(c->after);
	free(c->expect_text);
	memset(c, 0, sizeof(*c));
	c->count = -1;
	c->errpos = -1;
}

static void
set_problem(Case *c, const char *msg, const char *detail)
{
	if (c->problem[0] == '\0')
		snprintf(c->problem, sizeof(c->problem), "%s: %.200s", msg, detail);
}

static void
add_part(Case *c, char **arr, int *n, const char *val, const char *what)
{
	if (*n >= MAX_PARTS)
	{
		set_problem(c, "too many lines of kind", what);
		return;
	}
	arr[(*n)++] = copy_text(val);
}

static void
add_sub(Case *c, char **arr, int *n, const char *val)
{
	if (*n >= MAX_SUBS)
	{
		set_problem(c, "too many error lines", val);
		return;
	}
	arr[(*n)++] = copy_text(val);
}

static void
set_once(Case *c, char **slot, const char *val, const char *key)
{
	if (*slot != NULL)
		set_problem(c, "repeated key", key);
	else
		*slot = copy_text(val);
}

static long
parse_long(Case *c, const char *s, const char *key)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		set_problem(c, "bad number for", key);
	return v;
}

/* One "key: value" line of a case. */
static void
case_add_line(Case *c, const char *key, const char *val)
{
	if (strcmp(key, "name") == 0)
	{
		if (c->name[0] != '\0')
			set_problem(c, "repeated key", key);
		snprintf(c->name, sizeof(c->name), "%s", val);
	}
	else if (strcmp(key, "tz") == 0)
		set_once(c, &c->tz, val, key);
	else if (strcmp(key, "cron") == 0)
		add_part(c, c->cron, &c->ncron, val, key);
	else if (strcmp(key, "cal") == 0)
		add_part(c, c->cal, &c->ncal, val, key);
	else if (strcmp(key, "interval") == 0)
		add_part(c, c->interval, &c->ninterval, val, key);
	else if (strcmp(key, "skip") == 0)
		add_part(c, c->skip, &c->nskip, val, key);
	else if (strcmp(key, "start") == 0)
		set_once(c, &c->start, val, key);
	else if (strcmp(key, "end") == 0)
		set_once(c, &c->end, val, key);
	else if (strcmp(key, "dst") == 0)
		set_once(c, &c->dst, val, key);
	else if (strcmp(key, "after") == 0)
		set_once(c, &c->after, val, key);
	else if (strcmp(key, "count") == 0)
		c->count = parse_long(c, val, key);
	else if (strcmp(key, "expect") == 0)
		append_text(&c->expect_text, val);
	else if (strcmp(key, "error") == 0)
		add_sub(c, c->error, &c->nerror, val);
	else if (strcmp(key, "nexterror") == 0)
		add_sub(c, c->nexterror, &c->nnexterror, val);
	else if (strcmp(key, "errpos") == 0)
		c->errpos = parse_long(c, val, key);
	else
		set_problem(c, "unknown key", key);
}

static void
fail(const Case *c, const char *fmt, const char *a, const char *b)
{
	printf("FAIL %s (%s:%d): ", c->name, c->file, c->line);
	printf(fmt, a, b);
	printf("\n");
	nfailed++;
}

static void
format_error(const SpecError *err, char *buf, size_t size)
{
	snprintf(buf, size, "error \"%s\" (position %d)", err->message,
			 err->position);
}

/*
 * Parses a "cal:" or "skip:" value, "hour=5,7 minute=23": the calendar
 * defaults, then each key=value replaces that field.  Returns false with
 * *err set on an engine error, or with *bad set on a malformed entry.
 */
static bool
parse_calendar_line(const char *text, SpecCalendar *cal, SpecError *err,
					bool *bad)
{
	const char *p = text;

	spec_calendar_init(cal);
	for (;;)
	{
		const char *item;
		const char *eq;
		size_t		keylen;
		int			f;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return true;
		item = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		eq = memchr(item, '=', (size_t) (p - item));
		if (eq == NULL)
		{
			*bad = true;
			return false;
		}
		keylen = (size_t) (eq - item);
		for (f = 0; f < SPEC_NFIELDS; f++)
			if (strlen(spec_field_names[f]) == keylen &&
				strncmp(spec_field_names[f], item, keylen) == 0)
				break;
		if (f == SPEC_NFIELDS)
		{
			*bad = true;
			return false;
		}
		if (!spec_calendar_parse_field(cal, (SpecField) f, eq + 1,
									   (size_t) (p - eq - 1), 0, err))
			return false;
	}
}

static bool
parse_instant(const char *text, spec_time *t)
{
	SpecError	err;
	int32_t		frac;

	return text != NULL && spec_parse_time(text, strlen(text), t, &frac, &err);
}

/*
 * Builds the case's Spec.  Returns 1 when built, 0 on an engine error (in
 * *err), -1 on a malformed case (in *bad_what).
 */
static int
build_spec(const Case *c, Spec *spec, SpecTzFile **zone, SpecError *err,
		   const char **bad_what)
{
	const char *tzname = c->tz;
	int			i;
	static SpecCron cron;
	static char prefix_zone[SPEC_TZ_NAME_MAX + 1];

	memset(spec, 0, sizeof(*spec));
	spec->calendars = calendars;
	spec->intervals = intervals;
	spec->skip = skips;
	spec->start_at = SPEC_TIME_MIN;
	spec->end_at = SPEC_TIME_MAX;
	*zone = NULL;

	for (i = 0; i < c->ncron; i++)
	{
		memset(&cron, 0, sizeof(cron));
		if (!spec_parse_cron(c->cron[i], 0, &cron, err))
			return 0;
		if (cron.kind == SPEC_CRON_INTERVAL)
			intervals[spec->nintervals++] = cron.interval;
		else
			calendars[spec->ncalendars++] = cron.calendar;
		/* the runner's simple rule: a prefix sets the zone if none is set */
		if (tzname == NULL && cron.tz_name[0] != '\0')
		{
			memcpy(prefix_zone, cron.tz_name, sizeof(prefix_zone));
			tzname = prefix_zone;
		}
	}
	for (i = 0; i < c->ncal; i++)
	{
		bool		bad = false;

		if (!parse_calendar_line(c->cal[i], &calendars[spec->ncalendars], err,
								 &bad))
		{
			if (bad)
				return (*bad_what = c->cal[i]), -1;
			return 0;
		}
		spec->ncalendars++;
	}
	for (i = 0; i < c->ninterval; i++)
	{
		SpecInterval *iv = &intervals[spec->nintervals];
		char	   *end;

		errno = 0;
		iv->every = strtoll(c->interval[i], &end, 10);
		iv->offset = *end ? strtoll(end, &end, 10) : 0;
		if (errno != 0 || *end != '\0')
			return (*bad_what = c->interval[i]), -1;
		if (!spec_interval_check(iv, err))
			return 0;
		spec->nintervals++;
	}
	for (i = 0; i < c->nskip; i++)
	{
		bool		bad = false;

		if (!parse_calendar_line(c->skip[i], &skips[spec->nskip], err, &bad))
		{
			if (bad)
				return (*bad_what = c->skip[i]), -1;
			return 0;
		}
		spec->nskip++;
	}
	if (c->start != NULL && !parse_instant(c->start, &spec->start_at))
		return (*bad_what = c->start), -1;
	if (c->end != NULL && !parse_instant(c->end, &spec->end_at))
		return (*bad_what = c->end), -1;
	if (c->dst != NULL)
	{
		char		rep[32],
					skp[32];

		if (sscanf(c->dst, "%31s %31s", rep, skp) != 2)
			return (*bad_what = c->dst), -1;
		if (strcmp(rep, "first") == 0)
			spec->dst.repeated = SPEC_DST_REPEATED_FIRST;
		else if (strcmp(rep, "second") == 0)
			spec->dst.repeated = SPEC_DST_REPEATED_SECOND;
		else if (strcmp(rep, "both") != 0)
			return (*bad_what = c->dst), -1;
		if (strcmp(skp, "next_valid") == 0)
			spec->dst.skipped = SPEC_DST_SKIPPED_NEXT_VALID;
		else if (strcmp(skp, "skip") != 0)
			return (*bad_what = c->dst), -1;
	}
	if (tzname != NULL && tzname[0] != '\0')
	{
		*zone = spec_tzfile_load(tzname, err);
		if (*zone == NULL)
			return 0;
		spec->tz = spec_tzfile_tz(*zone);
	}
	return 1;
}

static bool
contains_all(const char *msg, char *const *subs, int n, const char **missing)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strstr(msg, subs[i]) == NULL)
			return (*missing = subs[i]), false;
	return true;
}

/* Parses the expect: words into expected[]; returns -1 if malformed. */
static int
parse_expected(Case *c, bool *ends)
{
	char	   *text = c->expect_text;
	int			n = 0;
	char	   *word;

	*ends = false;
	if (text == NULL)
		return 0;
	for (word = strtok(text, " \t"); word != NULL; word = strtok(NULL, " \t"))
	{
		if (*ends)
			return -1;			/* nothing may follow "none" */
		if (strcmp(word, "none") == 0)
		{
			*ends = true;
			continue;
		}
		if (n >= MAX_TIMES || !parse_instant(word, &expected[n]))
			return -1;
		n++;
	}
	return n;
}

static const char *
status_name(SpecNextStatus st)
{
	return st == SPEC_NEXT_FOUND ? "a time" :
		st == SPEC_NEXT_NONE ? "none" : "an error";
}

static void
run_case(Case *c)
{
	Spec		spec;
	SpecTzFile *zone = NULL;
	SpecError	err;
	const char *bad_what = NULL;
	const char *missing;
	char		ebuf[400];
	char		nbuf[32];
	int			built;
	int			nexp;
	bool		ends;
	spec_time	after;
	int			i;

	if (c->problem[0] != '\0')
	{
		fail(c, "malformed case: %s%s", c->problem, "");
		return;
	}
	memset(&err, 0, sizeof(err));
	built = build_spec(c, &spec, &zone, &err, &bad_what);
	if (built < 0)
	{
		fail(c, "malformed case: cannot use \"%s\"%s", bad_what, "");
		goto done;
	}
	if (c->nerror > 0)
	{
		if (built)
			fail(c, "expected an error containing \"%s\"%s, the spec was accepted",
				 c->error[0], "");
		else if (!contains_all(err.message, c->error, c->nerror, &missing))
		{
			format_error(&err, ebuf, sizeof(ebuf));
			fail(c, "expected an error containing \"%s\", got %s", missing, ebuf);
		}
		else if (c->errpos >= 0 && err.position != c->errpos)
		{
			snprintf(nbuf, sizeof(nbuf), "%ld", c->errpos);
			format_error(&err, ebuf, sizeof(ebuf));
			fail(c, "expected error position %s, got %s", nbuf, ebuf);
		}
		else
			npassed++;
		goto done;
	}
	if (!built)
	{
		format_error(&err, ebuf, sizeof(ebuf));
		fail(c, "building the spec failed: %s%s", ebuf, "");
		goto done;
	}

	nexp = parse_expected(c, &ends);
	if (nexp < 0 || !parse_instant(c->after, &after) ||
		(c->count >= 0 && c->count != nexp && !(ends && c->count > nexp)) ||
		(nexp == 0 && !ends && c->nnexterror == 0))
	{
		fail(c, "malformed case: bad after:, expect: or count:%s%s", "", "");
		goto done;
	}

	for (i = 0; i <= nexp; i++)
	{
		spec_time	next = 0;
		SpecNextStatus st;
		char		want[SPEC_TIME_TEXT_LEN];
		char		got[400];

		if (i == nexp && !ends && c->nnexterror == 0)
			break;
		memset(&err, 0, sizeof(err));
		st = spec_next(&spec, after, &next, &err);
		if (st == SPEC_NEXT_FOUND)
			spec_format_time(next, got);
		else if (st == SPEC_NEXT_ERROR)
			format_error(&err, got, sizeof(got));
		else
			snprintf(got, sizeof(got), "none");

		if (i < nexp)
		{
			spec_format_time(expected[i], want);
			if (st != SPEC_NEXT_FOUND || next != expected[i])
			{
				printf("FAIL %s (%s:%d): index %d: expected %s, got %s\n",
					   c->name, c->file, c->line, i, want, got);
				nfailed++;
				goto done;
			}
			after = next;
			continue;
		}
		/* after the listed times: the end of the sequence, or an error */
		if (c->nnexterror > 0)
		{
			if (st != SPEC_NEXT_ERROR ||
				!contains_all(err.message, c->nexterror, c->nnexterror,
							  &missing))
			{
				printf("FAIL %s (%s:%d): index %d: expected an error containing \"%s\", got %s (%s)\n",
					   c->name, c->file, c->line, i, c->nexterror[0], got,
					   status_name(st));
				nfailed++;
				goto done;
			}
		}
		else if (st != SPEC_NEXT_NONE)
		{
			printf("FAIL %s (%s:%d): index %d: expected none, got %s\n",
				   c->name, c->file, c->line, i, got);
			nfailed++;
			goto done;
		}
	}
	npassed++;

done:
	if (zone != NULL)
		spec_tzfile_free(zone);
}

static void
trim(char *s)
{
	size_t		len = strlen(s);
	size_t		lead = strspn(s, " \t");

	while (len > lead && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
						  s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	memmove(s, s + lead, len - lead);
	s[len - lead] = '\0';
}

static bool
run_file(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char		line[MAX_LINE];
	Case		c;
	int			lineno = 0;
	bool		in_case = false;

	if (f == NULL)
		return false;
	memset(&c, 0, sizeof(c));
	case_reset(&c);
	for (;;)
	{
		bool		eof = fgets(line, sizeof(line), f) == NULL;
		char	   *colon;

		if (!eof)
		{
			lineno++;
			trim(line);
		}
		if (eof || line[0] == '\0')
		{
			/* a blank line (or the end) closes the case */
			if (in_case)
			{
				if (c.name[0] == '\0')
					snprintf(c.name, sizeof(c.name), "(unnamed)");
				run_case(&c);
				case_reset(&c);
				in_case = false;
			}
			if (eof)
				break;
			continue;
		}
		if (line[0] == '#')
			continue;
		if (!in_case)
		{
			c.file = path;
			c.line = lineno;
			in_case = true;
		}
		colon = strchr(line, ':');
		if (colon == NULL)
		{
			set_problem(&c, "line without a key", line);
			continue;
		}
		*colon = '\0';
		trim(colon + 1);
		case_add_line(&c, line, colon + 1);
	}
	fclose(f);
	return true;
}

int
main(int argc, char **argv)
{
	int			i;

	if (argc < 2)
	{
		/* from the repository root, or next to this source file */
		static char beside[1024];
		const char *src = __FILE__;
		const char *slash = strrchr(src, '/');

		snprintf(beside, sizeof(beside), "%.*scases.txt",
				 slash ? (int) (slash - src + 1) : 0, src);
		if (!run_file("test/unit/cases.txt") && !run_file(beside))
		{
			fprintf(stderr, "cannot open test/unit/cases.txt or %s\n", beside);
			return 2;
		}
	}
	for (i = 1; i < argc; i++)
	{
		if (!run_file(argv[i]))
		{
			fprintf(stderr, "cannot open %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
	}
	printf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed > 0 ? 1 : 0;
}
