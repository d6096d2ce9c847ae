/*-------------------------------------------------------------------------
 *
 * pg_sched.c
 *	  Module entry point of pg_sched: Temporal-style workflow schedules in
 *	  PostgreSQL.
 *
 * The library is meant for shared_preload_libraries, where _PG_init will
 * define the pg_sched.* GUCs and register the scheduler worker (later
 * issues).  It must also work when loaded on demand by its SQL functions:
 * today every function (the spec functions in spec_sql.c) needs nothing
 * from _PG_init, so it has nothing to do yet.
 *
 * Layout: spec/ is the pure-C spec engine (no postgres.h); spec_json.c
 * reads and writes specs as jsonb; spec_pgtz.c answers the engine's time
 * zone questions from PostgreSQL's tz database; spec_sql.c holds the SQL
 * functions over specs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

/* PostgreSQL 15's headers do not declare it. */
void		_PG_init(void);

void
_PG_init(void)
{
}
