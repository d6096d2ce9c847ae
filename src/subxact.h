/*-------------------------------------------------------------------------
 *
 * subxact.h
 *	  Running one unit of work in its own subtransaction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SUBXACT_H
#define PG_SCHED_SUBXACT_H

#include "utils/elog.h"

/*
 * Runs fn(arg) in an internal subtransaction.  Returns NULL when it
 * succeeds; when it fails, rolls the subtransaction back (the caller's
 * transaction goes on) and returns the error for the caller to report.  A
 * query cancel is rethrown, never swallowed.
 */
extern ErrorData *sched_try_subxact(void (*fn) (void *arg), void *arg);

#endif							/* PG_SCHED_SUBXACT_H */
