/*-------------------------------------------------------------------------
 *
 * schedule_change.h
 *	  Changes of one schedule on behalf of a caller: its row lock and the
 *	  one path of pause, unpause and delete that sched.pause/unpause/delete
 *	  and the bulk sched.pause_schedules/unpause_schedules/delete_schedules
 *	  share.
 *
 * Every function here runs inside the owner's section (priv_enter: the
 * caller is passed in) and not connected to SPI unless it says so; an
 * unknown or invisible schedule is 42704.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHEDULE_CHANGE_H
#define PG_SCHED_SCHEDULE_CHANGE_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "schedule_json.h"
#include "schedule_process.h"

/* The locked row's fields the mutating functions need. */
typedef struct ScheduleLockedRow
{
	int64		token;
	bool		paused;
	Jsonb	   *spec;
	SchedulePolicy policy;
	char	   *owner;
} ScheduleLockedRow;

/*
 * Locks the schedule's row and reads it (connected to SPI); spec and owner
 * are copied to the caller's memory, so they outlive SPI_finish.
 */
extern void schedule_lock_row(const char *id, Oid caller,
							  ScheduleLockedRow *out);

/*
 * Locks the row without reading it (connects to SPI itself); returns the
 * owner (for the audit trail).
 */
extern char *schedule_check_locked(const char *id, Oid caller);

/* Runs the processing core for an SQL call. */
extern ScheduleProcess schedule_process_now(const char *id, TimestampTz now);

/*
 * The one path of each change (SEMANTICS.md 5): lock, change, record it in
 * the audit trail (audit_store.h), process, wake the scheduler at commit.
 * now is the call's clock.
 */
extern void schedule_pause_one(const char *id, const char *note, Oid caller,
							   TimestampTz now);
/*
 * catchup: NULL, the paused period is not replayed; else the mode to replay
 * it with (README "Catch-up on unpause").
 */
extern void schedule_unpause_one(const char *id, const char *note,
								 Oid caller, TimestampTz now,
								 const DispatchCatchup *catchup);
extern void schedule_delete_one(const char *id, Oid caller);

#endif							/* PG_SCHED_SCHEDULE_CHANGE_H */
