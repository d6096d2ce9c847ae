/*-------------------------------------------------------------------------
 *
 * audit_store.c
 *	  The audit trail of schedule changes: who changed which schedule, when,
 *	  how (create, update, pause, unpause, trigger, backfill, delete), with
 *	  the note and a small detail document.  The only writer of
 *	  sched.audit_log; readers use the view sched.schedule_audit.
 *
 * Who: two roles.  "role" is current_user of the call, the role whose
 * rights the change used (after SET ROLE, or inside a SECURITY DEFINER
 * function, that role: it is the one the privilege checks let through);
 * "session_role" is session_user, the role that logged in, so a change
 * made through SET ROLE or a definer's function still names the person.
 * When: the transaction's start (now()), as every other timestamp the SQL
 * functions write; the entry commits or rolls back with the change.
 * Visibility: an entry carries the schedule's owner and is read under the
 * same rule as the schedule (sched.may_access(owner); sched_monitor reads
 * all), and it outlives the schedule (a delete is an entry too).
 *
 * Retention: pg_sched.audit_retention; the scheduler deletes older entries
 * in batches with the other retention steps (scheduler.c).
 *
 * Writes happen as the extension's owner (the SQL functions call this
 * inside their priv_enter() section), so the table needs no grant but
 * SELECT.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "audit_store.h"
#include "privileges.h"
#include "spi_query.h"

static SpiQuery q_audit_insert = {
	.generic = true,
	.sql =
	"INSERT INTO sched.audit_log (schedule_id, operation, role,"
	" session_role, owner, note, detail)"
	" VALUES ($1, $2, $3::name, $4::name, $5::name, $6, $7)",
	.nargs = 7,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	JSONBOID},
};

static SpiQuery q_audit_purge = {
	.generic = true,
	.sql =
	"DELETE FROM sched.audit_log"
	" WHERE audit_id = ANY (ARRAY("
	"         SELECT audit_id FROM sched.audit_log"
	"          WHERE at < $1 ORDER BY at LIMIT $2"
	"          FOR UPDATE SKIP LOCKED))",
	.nargs = 2,
	.argtypes = {TIMESTAMPTZOID, INT4OID},
};

void
audit_record(const char *schedule_id, const char *operation, Oid caller,
			 const char *owner, const char *note, Jsonb *detail)
{
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = CStringGetTextDatum(schedule_id);
	values[1] = CStringGetTextDatum(operation);
	values[2] = CStringGetTextDatum(priv_role_name(caller));
	values[3] = CStringGetTextDatum(priv_role_name(GetSessionUserId()));
	values[4] = CStringGetTextDatum(owner);
	values[5] = spi_text_or_null(note, &nulls[5]);
	values[6] = detail ? JsonbPGetDatum(detail) : (Datum) 0;
	nulls[6] = detail ? ' ' : 'n';
	SPI_connect();
	spi_run(&q_audit_insert, values, nulls, false, 0);
	SPI_finish();
}

int
audit_purge(TimestampTz before, int limit)
{
	Datum		values[2];
	uint64		n;

	values[0] = TimestampTzGetDatum(before);
	values[1] = Int32GetDatum(limit);
	SPI_connect();
	n = spi_run(&q_audit_purge, values, NULL, false, 0);
	SPI_finish();
	return (int) n;
}
