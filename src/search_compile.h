/*-------------------------------------------------------------------------
 *
 * search_compile.h
 *	  A list query (src/query/) compiled to SQL over sched.schedules s,
 *	  with every value a bound parameter.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SEARCH_COMPILE_H
#define PG_SCHED_SEARCH_COMPILE_H

#include "lib/stringinfo.h"

#include "search_attrs.h"

/* What the query is for: each allows its own clauses. */
typedef enum SearchPurpose
{
	SEARCH_FOR_LIST,			/* ORDER BY allowed */
	SEARCH_FOR_COUNT,			/* GROUP BY allowed */
	SEARCH_FOR_CHANGE			/* neither: pause/unpause/delete_schedules */
} SearchPurpose;

typedef struct SearchSql
{
	StringInfoData where;		/* a condition; "true" for an empty query */
	StringInfoData order_by;	/* "" or "expr ASC NULLS LAST, ..." */
	char	   *group_by;		/* NULL, or a jsonb expression to group by */
	int			nparams;		/* $1.. : the caller's first, then these */
	int			maxparams;
	Oid		   *types;
	Datum	   *values;
} SearchSql;

/*
 * Parses and compiles text (connected to SPI, in the owner's section:
 * custom attributes are looked up in the registry).  The caller's own
 * parameters come first: the compiled SQL numbers its parameters from
 * first_param + 1, and out->types/values hold all of them (the caller
 * fills the first first_param).  A bad query is 22023 "invalid value for
 * query: ..." with the 1-based character position in the detail.
 */
extern void search_compile(const char *text, SearchPurpose purpose,
						   int first_param, SearchSql *out);

#endif							/* PG_SCHED_SEARCH_COMPILE_H */
