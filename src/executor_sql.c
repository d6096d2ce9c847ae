/*-------------------------------------------------------------------------
 *
 * executor_sql.c
 *	  The SQL functions of the SQL executors: sched.sql_executors() and
 *	  sched.sql_executor_status() (machinery in executor.c).
 *
 * Both read shared memory only.  They show every database's executors,
 * as sched.scheduler_status() shows every scheduler: process ids, roles
 * and schedule ids, which pg_stat_activity shows to everyone as well.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "executor.h"

PG_FUNCTION_INFO_V1(sched_sql_executors);
PG_FUNCTION_INFO_V1(sched_sql_executor_status);

/*
 * sched.sql_executors() RETURNS TABLE (database name, role name, pid
 * integer, schedule_id text, run_id uuid, started_at timestamptz,
 * run_started_at timestamptz)
 */
Datum
sched_sql_executors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ExecutorInfo *infos;
	ExecutorCounters counters;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = executor_snapshot(&infos, &counters);
	for (int i = 0; i < n; i++)
	{
		ExecutorInfo *info = &infos[i];
		Datum		values[7];
		bool		nulls[7] = {0};
		char	   *datname = get_database_name(info->dboid);
		char	   *rolname = GetUserNameFromId(info->roleid, true);

		values[0] = datname ? DirectFunctionCall1(namein, CStringGetDatum(datname)) : (Datum) 0;
		nulls[0] = datname == NULL;
		values[1] = rolname ? DirectFunctionCall1(namein, CStringGetDatum(rolname)) : (Datum) 0;
		nulls[1] = rolname == NULL;
		values[2] = Int32GetDatum(info->pid);
		nulls[2] = info->pid == 0;
		if (info->has_run)
		{
			pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

			*id = info->run_id;
			values[3] = CStringGetTextDatum(info->schedule_id);
			values[4] = UUIDPGetDatum(id);
			values[6] = TimestampTzGetDatum(info->run_started_at);
		}
		nulls[3] = nulls[4] = nulls[6] = !info->has_run;
		values[5] = TimestampTzGetDatum(info->started_at);
		nulls[5] = info->started_at == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * sched.sql_executor_status() RETURNS TABLE (max_executors integer, busy
 * integer, executors_started bigint, runs bigint, waits bigint)
 */
Datum
sched_sql_executor_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ExecutorInfo *infos;
	ExecutorCounters counters;
	int			n;
	Datum		values[5];
	bool		nulls[5] = {0};

	InitMaterializedSRF(fcinfo, 0);
	n = executor_snapshot(&infos, &counters);
	/* 0 when the library is not preloaded: no executor can start */
	values[0] = Int32GetDatum(executor_slots());
	values[1] = Int32GetDatum(n);
	values[2] = Int64GetDatum(counters.started);
	values[3] = Int64GetDatum(counters.runs);
	values[4] = Int64GetDatum(counters.waits);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
