/*-------------------------------------------------------------------------
 *
 * schedule_json.h
 *	  The schedule document as JSON: {"action", "spec", "policy", "state"},
 *	  read strictly into C structs and written back in canonical form.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SCHEDULE_JSON_H
#define PG_SCHED_SCHEDULE_JSON_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "dispatch.h"
#include "sched_limits.h"
#include "spec_json.h"
#define SCHEDULE_CATCHUP_MIN_MS		INT64CONST(10000)
#define SCHEDULE_CATCHUP_DEFAULT_MS (INT64CONST(365) * 86400 * 1000)

/*
 * The runs of an SQL action ({"sql": ...}) are runs of this workflow type
 * in this task queue, which sched.poll and workflow actions refuse: only
 * the SQL executors (executor.c) claim them.
 */
#define SCHEDULE_SQL_WORKFLOW		"sql"
#define SCHEDULE_SQL_TASK_QUEUE		"pg_sched.sql"

/*
 * The action: which workflow each action starts (SEMANTICS.md 2), or which
 * command it runs (sql set; workflow, task_queue and args are then the SQL
 * run's, above).
 */
typedef struct ScheduleAction
{
	char	   *workflow;		/* type name */
	char	   *id;				/* workflow id prefix */
	char	   *task_queue;
	Jsonb	   *args;			/* a JSON array; [] by default */
	int64		execution_timeout_ms;	/* 0: none */
	int64		run_timeout_ms; /* 0: none */
	Jsonb	   *retry_policy;	/* canonical (defaults filled), or NULL */
	Jsonb	   *memo;			/* a JSON object, or NULL */
	char	   *sql;			/* an SQL action's command, or NULL */
	bool		transaction;	/* sql: command and close in one transaction */
	/* the workflow id of each run (schedule_process.c's workflow_id()) */
	char	   *id_time_format; /* to_char() pattern of the suffix, or NULL */
	bool		keep_original_workflow_id;	/* the id as given */
} ScheduleAction;

/*
 * A retry policy's values (Temporal's RetryPolicy), defaults filled in.
 * Stored runs and actions keep the canonical jsonb; this is what reading
 * it gives.
 */
typedef struct ScheduleRetryPolicy
{
	int64		initial_interval_ms;	/* > 0; default 1 s */
	double		backoff_coefficient;	/* >= 1; default 2 */
	int64		maximum_interval_ms;	/* >= initial; default 100 x initial */
	int32		maximum_attempts;	/* 0: unlimited (the default) */
	int			num_non_retryable;
	char	  **non_retryable_error_types;
} ScheduleRetryPolicy;

/* The policy (SEMANTICS.md 3), defaults filled in. */
typedef struct SchedulePolicy
{
	DispatchOverlap overlap;
	int64		catchup_window_ms;	/* at least 10 s */
	bool		pause_on_failure;
	DispatchCatchup catchup_mode;	/* default all (issue 14) */
	int			concurrency_limit;	/* open tracked runs at most; default 1 */
} SchedulePolicy;

/* concurrency_limit at most (a schedule's buffer holds 1000 items too). */
#define SCHEDULE_CONCURRENCY_MAX	1000

/* The state (SEMANTICS.md 4), consistent: limited iff remaining > 0. */
typedef struct ScheduleState
{
	bool		paused;
	char	   *note;
	bool		limited_actions;
	int64		remaining_actions;
} ScheduleState;

/* A whole or partial document: has_* says which parts were given. */
typedef struct ScheduleDoc
{
	bool		has_action;
	bool		has_spec;
	bool		has_policy;
	bool		has_state;
	ScheduleAction action;
	SpecJson	spec;
	SchedulePolicy policy;
	ScheduleState state;
} ScheduleDoc;

/* One range of a backfill request. */
typedef struct ScheduleBackfill
{
	TimestampTz start_at;
	TimestampTz end_at;
	bool		has_overlap;	/* false: the schedule's policy */
	DispatchOverlap overlap;
	Jsonb	   *args;			/* overrides of the action's, or NULL */
	Jsonb	   *memo;
} ScheduleBackfill;

/*
 * Reads a schedule document; "path" names it in errors ("schedule").  Every
 * part is optional here (JSON null = absent); a part that is given is read
 * whole, with defaults for the keys it leaves out.  Every problem is an
 * ERROR with SQLSTATE 22023 naming the path of the offending value.
 */
extern void schedule_doc_from_jsonb(Jsonb *jb, const char *path,
									ScheduleDoc *out);

/* The parts as stored in sched.schedules (canonical, read back). */
extern void schedule_action_from_jsonb(Jsonb *jb, const char *path,
									   ScheduleAction *out);
extern void schedule_policy_from_jsonb(Jsonb *jb, const char *path,
									   SchedulePolicy *out);
extern void schedule_policy_default(SchedulePolicy *out);

/*
 * A retry policy (as in an action, "path" names it in errors): returns the
 * canonical jsonb and, when out is not NULL, fills in its values.
 */
extern Jsonb *schedule_retry_policy_from_jsonb(Jsonb *jb, const char *path,
											   ScheduleRetryPolicy *out);
extern void schedule_state_default(ScheduleState *out);

/* Canonical forms: fixed points of reading and writing. */
extern Jsonb *schedule_action_to_jsonb(const ScheduleAction *a);
extern Jsonb *schedule_policy_to_jsonb(const SchedulePolicy *p);
extern Jsonb *schedule_state_to_jsonb(const ScheduleState *s);

/*
 * Refuses a command that does not parse, or holds no statement, as the
 * value of path (22023).
 */
extern void schedule_check_sql(const char *sql, const char *path);

/* An overlap policy name given as SQL text; NULL is not allowed here. */
extern DispatchCatchup schedule_catchup_from_text(const char *name,
												  const char *path);
extern DispatchOverlap schedule_overlap_from_text(const char *name,
												  const char *path);

/*
 * A list of backfill ranges [{"start_at", "end_at", "overlap"}]; returns
 * the number of ranges and a palloc'd array.
 */
extern int	schedule_backfills_from_jsonb(Jsonb *jb, const char *path,
										  ScheduleBackfill **out);
/* Checks one range (end_at not before start_at, both finite). */
extern void schedule_check_backfill(const ScheduleBackfill *bf,
									const char *path);

/*
 * Checks overrides of an action's args (a JSON array) and memo (a JSON
 * object), with the wording and limits of the action's own; name is the
 * path of each ("args", "backfills[0].memo").
 */
extern void schedule_check_args(Jsonb *args, const char *name);
extern void schedule_check_memo(Jsonb *memo, const char *name);

/* A nominal time in an action's id_time_format (to_char() of UTC). */
extern char *schedule_format_id_time(const char *format, TimestampTz nominal);

/* Instants: TimestampTz <-> the engine's Unix seconds. */
extern spec_time schedule_ts_to_spec(TimestampTz ts);	/* floor */
extern TimestampTz schedule_spec_to_ts(spec_time t);
/* RFC 3339 in UTC: "2022-03-23T12:00:00Z", with ".ffffff" when needed. */
extern char *schedule_format_time(TimestampTz ts);
/* Building JSON documents (describe, list) with pushJsonbValue. */
extern void schedule_push_key(JsonbParseState **st, const char *key);
extern void schedule_push_text(JsonbParseState **st, JsonbIteratorToken tok,
							   const char *s);
extern void schedule_push_int(JsonbParseState **st, JsonbIteratorToken tok,
							  int64 x);
extern void schedule_push_bool(JsonbParseState **st, JsonbIteratorToken tok,
							   bool b);
extern void schedule_push_time(JsonbParseState **st, JsonbIteratorToken tok,
							   TimestampTz ts);
/* A stored jsonb value (NULL pushes JSON null). */
extern void schedule_push_jsonb(JsonbParseState **st, JsonbIteratorToken tok,
								Jsonb *jb);

#endif							/* PG_SCHED_SCHEDULE_JSON_H */
