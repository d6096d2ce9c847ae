/*
 * test_work_bound.c
 *	  One spec_next call does bounded work (spec.h, SPEC_MAX_WORK): the
 *	  budget is candidates x parts, so a spec of 1,000 calendars and 1,000
 *	  skip calendars that skip every candidate fails with "too many
 *	  exclusions" after 250 skips instead of 100,000 (issue 16),
 *	  while a small spec still gets SPEC_MAX_EXCLUSIONS skips.  The time of
 *	  the big call is printed (not asserted: speed is for bench/).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "spec.h"

static int	npassed;
static int	nfailed;

static void
expect(bool ok, const char *what, const char *detail)
{
	if (ok)
		npassed++;
	else
	{
		printf("FAIL %s: %s\n", what, detail);
		nfailed++;
	}
}

static void
field(SpecCalendar *cal, SpecField f, const char *text)
{
	SpecError	err;

	if (!spec_calendar_parse_field(cal, f, text, strlen(text), 0, &err))
		printf("FAIL field %s: %s\n", text, err.message), nfailed++;
}

static SpecCalendar cals[1000];
static SpecCalendar skips[1000];

int
main(void)
{
	Spec		spec;
	spec_time	t;
	SpecError	err;
	SpecNextStatus st;
	struct timespec a,
				b;
	char		num[16];

	/* the spec of issue 16: every second of some days, each second skipped */
	for (int i = 0; i < 1000; i++)
	{
		spec_calendar_init(&cals[i]);
		field(&cals[i], SPEC_SECOND, "*");
		field(&cals[i], SPEC_MINUTE, "*");
		field(&cals[i], SPEC_HOUR, "*");
		snprintf(num, sizeof(num), "%d", 1 + i % 28);
		field(&cals[i], SPEC_DAY_OF_MONTH, num);
		spec_calendar_init(&skips[i]);
		snprintf(num, sizeof(num), "%d", i % 60);
		field(&skips[i], SPEC_SECOND, num);
		field(&skips[i], SPEC_MINUTE, "*");
		field(&skips[i], SPEC_HOUR, "*");
	}
	memset(&spec, 0, sizeof(spec));
	spec.calendars = cals;
	spec.ncalendars = 1000;
	spec.skip = skips;
	spec.nskip = 1000;
	spec.start_at = SPEC_TIME_MIN;
	spec.end_at = SPEC_TIME_MAX;

	clock_gettime(CLOCK_MONOTONIC, &a);
	st = spec_next(&spec, INT64_C(1767225600), &t, &err);	/* 2026-01-01 */
	clock_gettime(CLOCK_MONOTONIC, &b);
	expect(st == SPEC_NEXT_ERROR && err.code == SPEC_ERR_EXCLUSIONS &&
		   strstr(err.message, "too many exclusions") != NULL &&
		   strstr(err.message, "2000 parts") != NULL,
		   "big spec stops on the work budget", err.message);
	printf("1,000 calendars x 1,000 skip calendars: one spec_next took %.1f ms\n",
		   ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e6);

	/* a small spec still gets its 100,000 exclusions (the older message) */
	spec.ncalendars = 1;
	spec.nskip = 30;				/* seconds 0-29 skipped: 00:00:30 */
	st = spec_next(&spec, INT64_C(1767225600), &t, &err);
	expect(st == SPEC_NEXT_FOUND, "31 parts: a time after 30 skips",
		   st == SPEC_NEXT_ERROR ? err.message : "none");
	{
		SpecInterval iv = {1, 0};
		SpecCalendar odd,
					even;

		spec_calendar_init(&odd);
		spec_calendar_init(&even);
		field(&even, SPEC_SECOND, "*/2");
		field(&even, SPEC_MINUTE, "*");
		field(&even, SPEC_HOUR, "*");
		field(&odd, SPEC_SECOND, "1-59/2");
		field(&odd, SPEC_MINUTE, "*");
		field(&odd, SPEC_HOUR, "*");
		skips[0] = even;
		skips[1] = odd;
		spec.ncalendars = 0;
		spec.intervals = &iv;
		spec.nintervals = 1;
		spec.nskip = 2;
		st = spec_next(&spec, INT64_C(1640995200), &t, &err);
		expect(st == SPEC_NEXT_ERROR &&
			   strstr(err.message, "more than 100000 consecutive times") != NULL,
			   "small spec: SPEC_MAX_EXCLUSIONS still decides", err.message);
	}
	printf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed > 0;
}
