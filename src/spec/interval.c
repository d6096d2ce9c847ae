/*-------------------------------------------------------------------------
 *
 * interval.c
 *	  Interval specs: every instant epoch + n * every + offset.
 *
 * Intervals are UTC and epoch-aligned (SEMANTICS.md 1.3): "every 1 day"
 * fires at 00:00 UTC whatever the spec's zone, and "every 7 days" lands on
 * Thursdays because 1970-01-01 was one.
 *
 *-------------------------------------------------------------------------
 */
#include "spec.h"

/* Keeps n * every far from overflow: nothing fires after 2100 anyway. */
#define INTERVAL_MAX_SECONDS	(INT64_C(200) * 366 * 86400)

bool
spec_interval_check(const SpecInterval *iv, SpecError *err)
{
	if (iv->every < 1)
		return spec_error(err, SPEC_ERR_RANGE, -1, 0,
						  "interval must be at least 1 second, got %lld seconds",
						  (long long) iv->every);
	if (iv->every > INTERVAL_MAX_SECONDS)
		return spec_error(err, SPEC_ERR_RANGE, -1, 0,
						  "interval of %lld seconds is longer than 200 years",
						  (long long) iv->every);
	if (iv->offset < 0 || iv->offset >= iv->every)
		return spec_error(err, SPEC_ERR_RANGE, -1, 0,
						  "interval offset must be at least 0 and less than the interval (%lld seconds), got %lld seconds",
						  (long long) iv->every, (long long) iv->offset);
	return true;
}

/* "after" is at least year 1 (spec_next clamps it), so nothing overflows. */
spec_time
spec_interval_next(const SpecInterval *iv, spec_time after)
{
	int64_t		x,
				q;

	/* far past the years a spec can fire in: nothing to find */
	if (after > INTERVAL_MAX_SECONDS * 2)
		return SPEC_TIME_MAX;
	x = after - iv->offset;
	q = x / iv->every;
	if (x % iv->every != 0 && x < 0)
		q--;					/* floor division */
	return (q + 1) * iv->every + iv->offset;
}
