/*-------------------------------------------------------------------------
 *
 * spec_icount.c
 *	  Instructions per next-time computation, for a load-independent figure
 *	  beside bench_spec's nanoseconds: `make bench-icount` runs this under
 *	  valgrind's callgrind and divides the instructions executed by the
 *	  number of calls.  Wall-clock medians on the shared 2-core machine
 *	  swing with its load (bench/README.md); instruction counts do not.
 *
 *	  usage: spec_icount "<cron>" <calls> [zone]
 *	  A chain of calls as in bench_spec.c: from 2024-01-01T00:00:00Z, each
 *	  answer is the next call's "after", restarting when the spec ends.
 *	  The zone load is the only other work (a few thousand instructions).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "tzfile.h"

#define START_AT	INT64_C(1704067200)

int
main(int argc, char **argv)
{
	SpecCron	c;
	SpecError	err;
	Spec		s;
	SpecCalendar cal[1];
	SpecInterval iv[1];
	SpecTzFile *zone;
	spec_time	t = START_AT;
	long		calls;

	if (argc < 3)
	{
		fprintf(stderr, "usage: spec_icount \"<cron>\" <calls> [zone]\n");
		return 2;
	}
	calls = atol(argv[2]);
	zone = spec_tzfile_load(argc > 3 ? argv[3] : "UTC", &err);
	if (zone == NULL || !spec_parse_cron(argv[1], 0, &c, &err))
	{
		fprintf(stderr, "spec_icount: %s\n", err.message);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	s.calendars = cal;
	s.intervals = iv;
	s.start_at = SPEC_TIME_MIN;
	s.end_at = SPEC_TIME_MAX;
	s.tz = spec_tzfile_tz(zone);
	if (c.kind == SPEC_CRON_INTERVAL)
		iv[s.nintervals++] = c.interval;
	else
		cal[s.ncalendars++] = c.calendar;
	for (long i = 0; i < calls; i++)
	{
		spec_time	next;

		switch (spec_next(&s, t, &next, &err))
		{
			case SPEC_NEXT_FOUND:
				t = next;
				break;
			case SPEC_NEXT_NONE:
				t = START_AT;
				break;
			case SPEC_NEXT_ERROR:
				fprintf(stderr, "spec_icount: %s\n", err.message);
				return 1;
		}
	}
	printf("%lld\n", (long long) t);
	spec_tzfile_free(zone);
	return 0;
}
