/*-------------------------------------------------------------------------
 *
 * run_policy.c
 *	  The two rules the close path applies to a run: the next time of a
 *	  cron chain (SEMANTICS.md 7) and the backoff of a retry (SEMANTICS.md
 *	  8, Temporal's RetryPolicy).  Pure decisions: no table is read here.
 *
 * cron_schedule is standard cron, parsed by the spec engine with
 * SPEC_CRON_STANDARD (5 fields, names, '?', the @ shorthands, @every,
 * CRON_TZ=, and cron's OR rule when both day fields are restricted), in
 * UTC unless a CRON_TZ= prefix names a zone.  The string is stored on each
 * run of the chain and parsed again when a run closes (parsing is cheap;
 * nothing else is kept in sync).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "run_policy.h"
#include "schedule_json.h"
#include "spec_pgtz.h"
#include "sql_args.h"

bool
run_cron_read(const char *text, RunCron *out, char **problem, int *position,
		  bool *malformed)
{
	SpecError	err;

	memset(out, 0, sizeof(*out));
	*position = 0;
	*malformed = false;
	if (!spec_parse_cron(text, SPEC_CRON_STANDARD, &out->cron, &err))
	{
		*problem = pstrdup(err.message);
		*position = err.position;
		*malformed = err.code == SPEC_ERR_SYNTAX && err.field < 0;
		return false;
	}
	out->spec.start_at = SPEC_TIME_MIN;
	out->spec.end_at = SPEC_TIME_MAX;
	if (out->cron.kind == SPEC_CRON_INTERVAL)
	{
		/* @every: UTC whatever the prefix says (SEMANTICS.md 1.2) */
		out->spec.intervals = &out->cron.interval;
		out->spec.nintervals = 1;
		out->spec.tz = spec_pgtz_tz(NULL);
		return true;
	}
	out->spec.calendars = &out->cron.calendar;
	out->spec.ncalendars = 1;
	out->spec.tz = spec_pgtz_tz(NULL);
	if (out->cron.tz_name[0] != '\0')
	{
		const char *canonical;
		pg_tz	   *tz = spec_pgtz_find(out->cron.tz_name, &canonical);

		if (tz == NULL)
		{
			*problem = psprintf("unknown time zone %s",
								sched_show_text(out->cron.tz_name));
			*position = (int) (strchr(text, '=') - text) + 2;
			return false;
		}
		if (strcmp(canonical, "UTC") != 0)
			out->spec.tz = spec_pgtz_tz(tz);
	}
	return true;
}

SpecNextStatus
run_cron_next_time(const RunCron *wc, TimestampTz after, TimestampTz not_before,
		  TimestampTz *next, SpecError *err)
{
	/* a whole second t is not before not_before iff t > ceil(nb) - 1 s */
	spec_time	from = Max(schedule_ts_to_spec(after),
						   schedule_ts_to_spec(not_before - 1));
	spec_time	t;
	SpecNextStatus st = spec_next(&wc->spec, from, &t, err);

	if (st == SPEC_NEXT_FOUND)
		*next = schedule_spec_to_ts(t);
	return st;
}

bool
run_cron_next(const char *cron_schedule, const char *workflow_id,
				   TimestampTz prev, TimestampTz now, TimestampTz *next)
{
	RunCron wc;
	char	   *problem;
	int			position;
	bool		malformed;
	SpecError	err;

	if (!run_cron_read(cron_schedule, &wc, &problem, &position, &malformed))
	{
		ereport(WARNING,
				(errmsg("the cron schedule of workflow id \"%s\" ends: invalid cron_schedule %s: %s",
						workflow_id, sched_show_text(cron_schedule), problem)));
		return false;
	}
	switch (run_cron_next_time(&wc, prev, now, next, &err))
	{
		case SPEC_NEXT_FOUND:
			return true;
		case SPEC_NEXT_NONE:
			/* past 2100, or a calendar with no day left */
			return false;
		case SPEC_NEXT_ERROR:
			ereport(WARNING,
					(errmsg("the cron schedule of workflow id \"%s\" ends: %s",
							workflow_id, err.message)));
			return false;
	}
	return false;
}

/* ---- retries ---- */

bool
run_retry_due(Jsonb *retry_policy, int32 retries,
				   const char *error_type, bool non_retryable,
				   TimestampTz now, bool has_deadline,
				   TimestampTz execution_deadline, TimestampTz *due)
{
	ScheduleRetryPolicy p;
	double		ms;
	int64		delay_ms;

	if (retry_policy == NULL || non_retryable)
		return false;
	(void) schedule_retry_policy_from_jsonb(retry_policy, "retry_policy", &p);
	if (error_type != NULL)
		for (int i = 0; i < p.num_non_retryable; i++)
			if (strcmp(error_type, p.non_retryable_error_types[i]) == 0)
				return false;
	/* maximum_attempts counts the first try: retries + 1 tries so far */
	if (p.maximum_attempts > 0 && (int64) retries + 1 >= p.maximum_attempts)
		return false;

	/* Temporal: initial * coefficient^(attempt - 1), capped at the maximum */
	ms = (double) p.initial_interval_ms * pow(p.backoff_coefficient, retries);
	if (isnan(ms) || ms >= (double) p.maximum_interval_ms)
		delay_ms = p.maximum_interval_ms;
	else
		delay_ms = (int64) ms;
	*due = now + delay_ms * 1000;
	/* a try that would start after the execution deadline is not made */
	if (has_deadline && *due > execution_deadline)
		return false;
	return true;
}

