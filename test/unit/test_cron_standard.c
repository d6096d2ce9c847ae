/*
 * test_cron_standard.c
 *	  Unit tests of standard cron (SPEC_CRON_STANDARD, workflow
 *	  cron_schedule): 5 fields, '?', and the OR rule of day_of_month and
 *	  day_of_week when both are restricted, as robfig/cron (Temporal's
 *	  parser) reads it: only "*" leaves a field unrestricted, so "*\/2" is
 *	  restricted.  Expected times were worked out by hand from a calendar
 *	  (2026-11-25 is a Wednesday).
 */
#include <stdio.h>
#include <string.h>

#include "spec.h"

static int	npassed;
static int	nfailed;

/* Checks the first times after "after", or that parsing fails with "error". */
static void
check(const char *cron, int flags, const char *after, const char *const *expect,
	  const char *error)
{
	SpecCron	c;
	SpecError	err;
	Spec		spec;
	spec_time	t;
	int32_t		frac;
	bool		ok = true;

	memset(&spec, 0, sizeof(spec));
	if (!spec_parse_cron(cron, flags, &c, &err))
	{
		if (error == NULL || strstr(err.message, error) == NULL)
		{
			printf("FAIL %s: unexpected error: %s\n", cron, err.message);
			nfailed++;
		}
		else
			npassed++;
		return;
	}
	if (error != NULL)
	{
		printf("FAIL %s: parsed, expected error \"%s\"\n", cron, error);
		nfailed++;
		return;
	}
	spec.calendars = &c.calendar;
	spec.ncalendars = 1;
	spec.start_at = SPEC_TIME_MIN;
	spec.end_at = SPEC_TIME_MAX;
	spec_parse_time(after, strlen(after), &t, &frac, &err);
	for (int i = 0; expect[i] != NULL; i++)
	{
		char		buf[SPEC_TIME_TEXT_LEN];

		if (spec_next(&spec, t, &t, &err) != SPEC_NEXT_FOUND)
		{
			printf("FAIL %s: no time #%d, expected %s\n", cron, i, expect[i]);
			ok = false;
			break;
		}
		spec_format_time(t, buf);
		if (strcmp(buf, expect[i]) != 0)
		{
			printf("FAIL %s: time #%d is %s, expected %s\n", cron, i, buf,
				   expect[i]);
			ok = false;
			break;
		}
	}
	if (ok)
		npassed++;
	else
		nfailed++;
}

#define TIMES(...) ((const char *const[]) {__VA_ARGS__, NULL})
#define AFTER "2026-11-25T00:00:00Z"

int
main(void)
{
	const int	std = SPEC_CRON_STANDARD;

	/* odd days OR Mondays */
	check("0 0 */2 * 1", std, AFTER,
		  TIMES("2026-11-27T00:00:00Z", "2026-11-29T00:00:00Z",
				"2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z",
				"2026-12-03T00:00:00Z"), NULL);
	check("0 0 1-31/2 * mon", std, AFTER,
		  TIMES("2026-11-27T00:00:00Z", "2026-11-29T00:00:00Z",
				"2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"), NULL);
	/* the 13th OR Fridays */
	check("0 12 13 * 5", std, AFTER,
		  TIMES("2026-11-27T12:00:00Z", "2026-12-04T12:00:00Z",
				"2026-12-11T12:00:00Z", "2026-12-13T12:00:00Z",
				"2026-12-18T12:00:00Z"), NULL);
	/* one day field unrestricted: the other alone decides */
	check("0 0 * * 1", std, AFTER,
		  TIMES("2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z"), NULL);
	check("0 0 */2 * *", std, AFTER,
		  TIMES("2026-11-27T00:00:00Z", "2026-11-29T00:00:00Z",
				"2026-12-01T00:00:00Z"), NULL);
	check("0 0 ? * 1", std, AFTER, TIMES("2026-11-30T00:00:00Z"), NULL);
	check("0 0 13 * ?", std, AFTER, TIMES("2026-12-13T00:00:00Z"), NULL);
	check("0 0 */1 * 1", std, AFTER, TIMES("2026-11-30T00:00:00Z"), NULL);
	/* schedules' cron keeps the AND rule: odd days that are Mondays */
	check("0 0 */2 * 1", 0, AFTER, TIMES("2026-12-07T00:00:00Z"), NULL);
	/* what standard cron refuses */
	check("0 0 * * * 2027", std, AFTER, NULL, "expected 5 fields");
	check("0 0 0 * * * *", std, AFTER, NULL, "expected 5 fields");
	check("? 0 * * *", std, AFTER, NULL, "\"?\" is not supported in the minute field");
	check("0 0 ? * 1", 0, AFTER, NULL, "\"?\" is not supported in the day_of_month field");

	printf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed > 0;
}
