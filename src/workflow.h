/*-------------------------------------------------------------------------
 *
 * workflow.h
 *	  Workflow starts (sched.start_workflow, sched.signal_workflow) and the
 *	  rules the queue applies to their runs: cron chains and retry backoff.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_WORKFLOW_H
#define PG_SCHED_WORKFLOW_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

/*
 * The next run of a cron chain: the first time of cron_schedule (as
 * sched.start_workflow accepted it) after prev, the previous run's cron
 * time, that is not before now (missed times are skipped).  False when the
 * schedule has no such time, or can no longer be read (its time zone was
 * removed from the tz database): the chain then ends, with a WARNING
 * naming workflow_id.
 */
extern bool workflow_cron_next(const char *cron_schedule,
							   const char *workflow_id, TimestampTz prev,
							   TimestampTz now, TimestampTz *next);

/*
 * The retry decision (Temporal's RetryPolicy) for a run that failed or
 * timed out, and had been retried "retries" times before: true, with the time of its next
 * try in *due, when retry_policy (canonical, NULL: no retry) allows one:
 * not non_retryable, error_type (may be NULL) not among its
 * non_retryable_error_types, retries + 1 < maximum_attempts (0:
 * unlimited), and now + min(initial_interval * backoff_coefficient^retries,
 * maximum_interval) not after the execution deadline (when there is one).
 */
extern bool workflow_retry_due(Jsonb *retry_policy, int32 retries,
							   const char *error_type, bool non_retryable,
							   TimestampTz now, bool has_deadline,
							   TimestampTz execution_deadline,
							   TimestampTz *due);

#endif							/* PG_SCHED_WORKFLOW_H */
