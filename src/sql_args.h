/*-------------------------------------------------------------------------
 *
 * sql_args.h
 *	  The arguments of pg_sched's SQL functions and the one wording of
 *	  each mistake a caller can make with them.
 *
 * Every message has the shape "invalid value for <name>: <problem>"
 * (SQLSTATE 22023), where name is the argument or JSON path:
 *	 - NULL where a value is required: "null is not allowed";
 *	 - an empty name: "the empty string is not allowed";
 *	 - a value over a limit of sched_limits.h: "value of N bytes is longer
 *	   than the limit of M" (strings and jsonb alike).
 * The JSON documents (json_input.c) use the same wordings for their paths.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SQL_ARGS_H
#define PG_SCHED_SQL_ARGS_H

#include "fmgr.h"
#include "utils/jsonb.h"

/* The problem part of the over-long message, for jsonin_value_error(). */
#define SCHED_TOO_LONG_FMT	"value of %d bytes is longer than the limit of %d"

extern void sched_null_error(const char *name) pg_attribute_noreturn();
extern void sched_too_long_error(const char *name, int len, int max)
			pg_attribute_noreturn();

/* A required argument: an error when it is NULL. */
extern void sched_arg_required(FunctionCallInfo fcinfo, int n,
							   const char *name);

/* A required text argument, as a C string. */
extern char *sched_arg_text(FunctionCallInfo fcinfo, int n, const char *name);

/* A required jsonb argument. */
extern Jsonb *sched_arg_jsonb(FunctionCallInfo fcinfo, int n,
							  const char *name);

/* A required, non-empty text argument of at most max bytes (0: no limit). */
extern char *sched_arg_name(FunctionCallInfo fcinfo, int n, const char *name,
							int max);

/* Refuses a string longer than max bytes, and an empty one (NULL passes). */
extern void sched_check_length(const char *s, const char *name, int max);
extern void sched_check_nonempty(const char *s, const char *name);

/* Refuses a jsonb value larger than SCHED_PAYLOAD_MAX (NULL passes). */
extern void sched_check_payload(Jsonb *jb, const char *name);

/* A string quoted for a message, cut at 100 bytes (on a character). */
extern char *sched_show_text(const char *s);

#endif							/* PG_SCHED_SQL_ARGS_H */
