/*-------------------------------------------------------------------------
 *
 * run_policy.h
 *	  The rules of a run's life that the close path applies: cron chains
 *	  and retry backoff (run_policy.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_RUN_POLICY_H
#define PG_SCHED_RUN_POLICY_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "spec.h"

/* A cron_schedule read into a one-part Spec (which points into it). */
typedef struct RunCron
{
	SpecCron	cron;
	Spec		spec;
} RunCron;

/*
 * Reads a cron_schedule.  On failure returns false with a message (for
 * errmsg after "invalid cron_schedule ...: "), the 1-based character of
 * the problem (0: none), and whether the string as a whole is malformed
 * (wrong field count, unknown shorthand: the caller's hint shows the form).
 */
extern bool run_cron_read(const char *text, RunCron *out, char **problem,
						  int *position, bool *malformed);

/*
 * The first time of the cron schedule strictly after "after" and not
 * before not_before (both may have sub-second parts).
 */
extern SpecNextStatus run_cron_next_time(const RunCron *wc, TimestampTz after,
										 TimestampTz not_before,
										 TimestampTz *next, SpecError *err);

/*
 * The next run of a cron chain: the first time of cron_schedule (as
 * sched.start_workflow accepted it) after prev, the previous run's cron
 * time, that is not before now (missed times are skipped).  False when the
 * schedule has no such time, or can no longer be read (its time zone was
 * removed from the tz database): the chain then ends, with a WARNING
 * naming workflow_id.
 */
extern bool run_cron_next(const char *cron_schedule, const char *workflow_id,
						  TimestampTz prev, TimestampTz now,
						  TimestampTz *next);

/*
 * The retry decision (Temporal's RetryPolicy) for a run that failed or
 * timed out, and had been retried "retries" times before: true, with the
 * time of its next try in *due, when retry_policy (canonical, NULL: no
 * retry) allows one: not non_retryable, error_type (may be NULL) not among
 * its non_retryable_error_types, retries + 1 < maximum_attempts (0:
 * unlimited), and now + min(initial_interval * backoff_coefficient^retries,
 * maximum_interval) not after the execution deadline (when there is one).
 */
extern bool run_retry_due(Jsonb *retry_policy, int32 retries,
						  const char *error_type, bool non_retryable,
						  TimestampTz now, bool has_deadline,
						  TimestampTz execution_deadline, TimestampTz *due);

#endif							/* PG_SCHED_RUN_POLICY_H */
