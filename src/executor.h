/*-------------------------------------------------------------------------
 *
 * executor.h
 *	  The SQL executors: background workers that run the commands of SQL
 *	  actions ({"sql": ...}) as their schedule's owner.
 *
 * executor.c holds their shared memory (a slot per executor, at most
 * pg_sched.max_sql_executors in the cluster), the scheduler's dispatch
 * (start executors for due runs, give back the runs of executors that are
 * gone, stop commands whose run was closed or asked to cancel) and the
 * executor's loop; executor_run.c runs one command and captures its
 * outcome; executor_sql.c holds the SQL functions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_EXECUTOR_H
#define PG_SCHED_EXECUTOR_H

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

/* GUC (pg_sched.c) */
extern int	pg_sched_max_sql_executors;
extern int	pg_sched_sql_executor_idle_timeout;	/* seconds */

/* Set-up, from _PG_init when preloaded */
extern void executor_shmem_init(void);

/* The executor's entry point */
extern PGDLLEXPORT void pg_sched_executor_main(Datum main_arg);

/*
 * The scheduler's step (scheduler.c), in a transaction of its own: gives
 * back the runs of executors that are gone, stops commands whose run no
 * longer wants them, and starts executors for due pending runs.  Returns
 * the number of executors started.
 */
extern int	executor_dispatch(void);

/* A copy of one executor slot in use, for sched.sql_executors(). */
typedef struct ExecutorInfo
{
	Oid			dboid;
	Oid			roleid;
	int			pid;			/* 0 while starting */
	bool		has_run;
	pg_uuid_t	run_id;
	char		schedule_id[NAMEDATALEN];
	TimestampTz started_at;		/* the process */
	TimestampTz run_started_at;
} ExecutorInfo;

/* Cluster-wide counters. */
typedef struct ExecutorCounters
{
	int64		started;		/* executors started */
	int64		waits;			/* a due run found no free executor */
	int64		runs;			/* runs whose command was run */
} ExecutorCounters;

extern int	executor_snapshot(ExecutorInfo **infos, ExecutorCounters *counters);
/* The number of executor slots (0 without shared memory). */
extern int	executor_slots(void);

/* ---- executor_run.c ---- */

/* What running one command gave. */
typedef struct ExecutorOutcome
{
	bool		ok;
	Jsonb	   *result;			/* ok: {"command", "rows"[, "row"]} */
	char	   *error;			/* failed: message, detail, hint, context */
	char	   *sqlstate;		/* failed: the error's SQLSTATE */
} ExecutorOutcome;

/*
 * Runs sql with $1 = nominal (timestamptz) as the current user.  With
 * in_transaction, in a subtransaction of the caller's transaction (an
 * error rolls back the command only); otherwise as top-level statements
 * in transactions of their own, as a client session runs them, the caller
 * being outside any transaction.  Never throws but for a query cancel
 * that is not the command's (caller's business) or a FATAL.
 */
extern void executor_run_command(const char *sql, TimestampTz nominal,
								 bool in_transaction, ExecutorOutcome *out);

#endif							/* PG_SCHED_EXECUTOR_H */
