/*-------------------------------------------------------------------------
 *
 * search_attrs.h
 *	  Search attributes of schedules: their types, the built-in ones, the
 *	  registry of custom ones (sched.search_attribute_types), and the
 *	  validation and canonical form of a schedule's values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SEARCH_ATTRS_H
#define PG_SCHED_SEARCH_ATTRS_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

typedef enum SearchType
{
	SEARCH_KEYWORD,
	SEARCH_TEXT,
	SEARCH_INT,
	SEARCH_DOUBLE,
	SEARCH_BOOL,
	SEARCH_DATETIME,
	SEARCH_KEYWORD_LIST,
	SEARCH_NTYPES
} SearchType;

/* Temporal's names: "Keyword", "Text", ..., indexed by SearchType. */
extern const char *const search_type_names[SEARCH_NTYPES];

/* A built-in attribute: a column of sched.schedules, never NULL. */
typedef struct SearchBuiltin
{
	const char *name;
	SearchType	type;
	const char *expr;			/* SQL over sched.schedules s */
} SearchBuiltin;

extern const SearchBuiltin search_builtins[];
extern const int search_nbuiltins;

/* The built-in attribute of that name, or NULL. */
extern const SearchBuiltin *search_builtin(const char *name);

/*
 * The type of a registered custom attribute (connected to SPI, in the
 * owner's section); false if it is not registered.  lock: FOR SHARE, so
 * that removing the attribute waits for this transaction.
 */
extern bool search_registered_type(const char *name, bool lock,
								   SearchType *type);

/*
 * A schedule's search attributes {"name": value} checked against the
 * registry and canonicalised (connected to SPI, in the owner's section):
 * nulls dropped, Int as a whole number, Datetime as UTC RFC 3339.  path
 * names the argument in messages (22023).
 */
extern Jsonb *search_attrs_canonical(Jsonb *jb, const char *path);

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" parsed; false if it is not RFC 3339. */
extern bool search_parse_datetime(const char *s, int len, TimestampTz *ts);

/* What a value of the type looks like, for "expected ..." messages. */
extern const char *search_type_expected(SearchType type);

#endif							/* PG_SCHED_SEARCH_ATTRS_H */
