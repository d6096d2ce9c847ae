/*-------------------------------------------------------------------------
 *
 * audit_store.h
 *	  The audit trail of schedule changes (audit_store.c): the only module
 *	  that writes sched.audit_log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_AUDIT_STORE_H
#define PG_SCHED_AUDIT_STORE_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

/*
 * Records one change of a schedule in the caller's transaction (it is
 * gone if that rolls back): operation is "create", "update", "pause",
 * "unpause", "trigger", "backfill" or "delete"; caller the role whose
 * rights the change used (current_user, before priv_enter()); owner the
 * schedule's owner (who may read the entry); note and detail may be NULL.
 */
extern void audit_record(const char *schedule_id, const char *operation,
						 Oid caller, const char *owner, const char *note,
						 Jsonb *detail);

/*
 * Deletes up to limit entries recorded before "before" (the scheduler's
 * retention step, pg_sched.audit_retention); returns how many.
 */
extern int	audit_purge(TimestampTz before, int limit);

#endif							/* PG_SCHED_AUDIT_STORE_H */
