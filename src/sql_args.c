/*-------------------------------------------------------------------------
 *
 * sql_args.c
 *	  Reading and checking the arguments of the SQL functions
 *	  (sql_args.h): one message per kind of mistake.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "sched_limits.h"
#include "sql_args.h"

/* At most this many bytes of a value are quoted back in a message. */
#define SHOW_MAX				100

void
sched_null_error(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for %s: null is not allowed", name)));
}

void
sched_too_long_error(const char *name, int len, int max)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for %s: " SCHED_TOO_LONG_FMT, name, len,
					max)));
}

void
sched_arg_required(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		sched_null_error(name);
}

char *
sched_arg_text(FunctionCallInfo fcinfo, int n, const char *name)
{
	sched_arg_required(fcinfo, n, name);
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

Jsonb *
sched_arg_jsonb(FunctionCallInfo fcinfo, int n, const char *name)
{
	sched_arg_required(fcinfo, n, name);
	return PG_GETARG_JSONB_P(n);
}

char *
sched_arg_name(FunctionCallInfo fcinfo, int n, const char *name, int max)
{
	char	   *s = sched_arg_text(fcinfo, n, name);

	sched_check_nonempty(s, name);
	if (max > 0)
		sched_check_length(s, name, max);
	return s;
}

void
sched_check_length(const char *s, const char *name, int max)
{
	if (s != NULL && strlen(s) > (size_t) max)
		sched_too_long_error(name, (int) strlen(s), max);
}

void
sched_check_nonempty(const char *s, const char *name)
{
	if (s != NULL && s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: the empty string is not allowed",
						name)));
}

void
sched_check_payload(Jsonb *jb, const char *name)
{
	if (jb != NULL && VARSIZE(jb) > SCHED_PAYLOAD_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s: " SCHED_TOO_LONG_FMT,
						name, (int) VARSIZE(jb), SCHED_PAYLOAD_MAX),
				 errhint("Store large data elsewhere and pass a reference to it.")));
}

char *
sched_show_text(const char *s)
{
	int			len = strlen(s);
	int			cut = len;

	if (len > SHOW_MAX)
		cut = pg_mbcliplen(s, len, SHOW_MAX);
	return psprintf("\"%.*s%s\"", cut, s, cut < len ? "..." : "");
}
