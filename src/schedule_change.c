/*-------------------------------------------------------------------------
 *
 * schedule_change.c
 *	  One schedule changed on behalf of a caller: the row lock that every
 *	  mutating SQL function takes, and the single path of pause, unpause
 *	  and delete, shared by sched.pause/unpause/delete (schedule_api.c)
 *	  and the bulk functions of list queries (search_api.c).
 *
 * Invariants: the schedule's row is locked (FOR UPDATE) before anything
 * changes, and the caller's right to it is checked on the locked row
 * (42704 when it may not see it); every change lets the processing core
 * act in the same transaction and wakes the scheduler at commit.  A bulk
 * call locks its schedules in the order of their ids first (search_api.c),
 * so this path finds them locked and runs exactly as for one schedule.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "audit_store.h"
#include "privileges.h"
#include "sched_wake.h"
#include "schedule_change.h"
#include "spi_query.h"

static Datum
column(SPITupleTable *tt, uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(tt->vals[row], tt->tupdesc, col, isnull);
}

static SpiQuery plan_lock_row;

/*
 * Locks the schedule's row and reads it (connected to SPI); 42704 if it
 * does not exist or the caller may not see it.
 */
void
schedule_lock_row(const char *id, Oid caller, ScheduleLockedRow *out)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull;
	Jsonb	   *spec;
	char	   *owner;

	values[0] = CStringGetTextDatum(id);
	spi_run_sql(&plan_lock_row,
						   "SELECT conflict_token, paused, spec, policy,"
						   " owner::text"
						   " FROM sched.schedules WHERE schedule_id = $1"
						   " FOR UPDATE",
						   1, types,
			 values, NULL, false, 1);
	if (SPI_processed == 0 ||
		!priv_may_access(caller, SPI_getvalue(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 5)))
		schedule_not_found(id);
	out->token = DatumGetInt64(column(SPI_tuptable, 0, 1, &isnull));
	out->paused = DatumGetBool(column(SPI_tuptable, 0, 2, &isnull));
	schedule_policy_from_jsonb(DatumGetJsonbP(column(SPI_tuptable, 0, 4,
													 &isnull)),
							   "schedule.policy", &out->policy);
	/* spec and owner outlive SPI_finish (audit_record takes the owner) */
	spec = DatumGetJsonbP(column(SPI_tuptable, 0, 3, &isnull));	/* detoasted */
	out->spec = SPI_palloc(VARSIZE(spec));
	memcpy(out->spec, spec, VARSIZE(spec));
	owner = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);
	out->owner = SPI_palloc(strlen(owner) + 1);
	strcpy(out->owner, owner);
}

static SpiQuery plan_check_lock;

/*
 * schedule_lock_row() without reading: for the functions that leave the reading to
 * the processing core.  The lock keeps the checked row (and so its owner)
 * until the transaction ends.  Returns the owner, in the caller's memory.
 */
char *
schedule_check_locked(const char *id, Oid caller)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	MemoryContext callcxt = CurrentMemoryContext;
	char	   *owner;

	SPI_connect();
	values[0] = CStringGetTextDatum(id);
	spi_run_sql(&plan_check_lock,
						   "SELECT owner::text FROM sched.schedules"
						   " WHERE schedule_id = $1 FOR UPDATE",
						   1, types,
			 values, NULL, false, 1);
	if (SPI_processed == 0 ||
		!priv_may_access(caller, SPI_getvalue(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1)))
		schedule_not_found(id);
	owner = MemoryContextStrdup(callcxt,
								SPI_getvalue(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1));
	SPI_finish();
	return owner;
}

/* Runs the processing core for a SQL call; 42704 if the id is unknown. */
ScheduleProcess
schedule_process_now(const char *id, TimestampTz now)
{
	ScheduleProcess opts;

	memset(&opts, 0, sizeof(opts));
	opts.now = now;
	if (!schedule_process(id, &opts))
		schedule_not_found(id);
	return opts;
}

static SpiQuery plan_pause;

void
schedule_pause_one(const char *id, const char *note, Oid caller,
				   TimestampTz now)
{
	Oid			types[4] = {TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID};
	Datum		values[4];
	ScheduleLockedRow row;

	SPI_connect();
	schedule_lock_row(id, caller, &row);
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(note);
	values[2] = Int64GetDatum(schedule_new_token(row.token, now));
	values[3] = TimestampTzGetDatum(now);
	spi_run_sql(&plan_pause,
				"UPDATE sched.schedules SET paused = true,"
				" note = $2, conflict_token = $3,"
				" last_updated_at = $4, last_event_at = $4"
				" WHERE schedule_id = $1",
				4, types, values, NULL, false, 0);
	audit_record(id, "pause", caller, row.owner, note, NULL);
	SPI_finish();
	/* next_due becomes NULL (unless backfills remain) */
	schedule_process_now(id, now);
	scheduler_wake_at_commit();
}

static SpiQuery plan_unpause;

void
schedule_unpause_one(const char *id, const char *note, Oid caller,
					 TimestampTz now, const DispatchCatchup *catchup)
{
	Oid			types[6] = {TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID,
	BOOLOID, TIMESTAMPTZOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	ScheduleLockedRow row;
	TimestampTz nominal = 0;
	bool		has_nominal = false;

	SPI_connect();
	schedule_lock_row(id, caller, &row);
	if (row.paused && catchup == NULL)
	{
		SpecJson	sj;

		/* SEMANTICS.md 5: unpause does not replay the paused period */
		spec_from_jsonb(row.spec, "schedule.spec", &sj);
		has_nominal = schedule_first_nominal_after(&sj.spec, now, &nominal);
	}
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(note);
	values[2] = Int64GetDatum(schedule_new_token(row.token, now));
	values[3] = TimestampTzGetDatum(now);
	/* with catchup the cursor stays where the pause left it */
	values[4] = BoolGetDatum(row.paused && catchup == NULL);
	values[5] = TimestampTzGetDatum(nominal);
	nulls[5] = has_nominal ? ' ' : 'n';
	spi_run_sql(&plan_unpause,
				"UPDATE sched.schedules SET paused = false,"
				" note = $2, conflict_token = $3,"
				" last_updated_at = $4, last_event_at = $4,"
				" next_nominal = CASE WHEN $5 THEN $6"
				" ELSE next_nominal END"
				" WHERE schedule_id = $1",
				6, types, values, nulls, false, 0);
	audit_record(id, "unpause", caller, row.owner, note, NULL);
	SPI_finish();
	if (catchup == NULL)
		schedule_process_now(id, now);
	else
	{
		/*
		 * The replay: the processing core with the mode instead of the
		 * policy's, call after call (each takes a bounded number of due
		 * times) until the cursor passes now, each in a context of its own;
		 * all in this transaction.
		 */
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "pg_sched unpause replay",
												  ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		ScheduleProcess opts;

		do
		{
			CHECK_FOR_INTERRUPTS();
			memset(&opts, 0, sizeof(opts));
			opts.now = now;
			opts.has_catchup_mode = true;
			opts.catchup_mode = *catchup;
			if (!schedule_process(id, &opts))
				schedule_not_found(id);
			MemoryContextReset(cxt);
		} while (opts.catchup_left);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
	}
	scheduler_wake_at_commit();
}

static SpiQuery plan_delete;

void
schedule_delete_one(const char *id, Oid caller)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *owner;

	owner = schedule_check_locked(id, caller);
	SPI_connect();
	values[0] = CStringGetTextDatum(id);
	/* buffer and backfills go with it (ON DELETE CASCADE); runs stay */
	spi_run_sql(&plan_delete,
				"DELETE FROM sched.schedules WHERE schedule_id = $1",
				1, types, values, NULL, false, 0);
	if (SPI_processed == 0)
		schedule_not_found(id);
	SPI_finish();
	audit_record(id, "delete", caller, owner, NULL, NULL);
	scheduler_wake_at_commit();
}
