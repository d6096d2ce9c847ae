/*-------------------------------------------------------------------------
 *
 * query.h
 *	  The list query language of schedules (Temporal's "List Filter"):
 *	  a pure C99 parser from text to an AST.
 *
 *	  query     := [expr] [ORDER BY name [ASC|DESC] {, ...}] [GROUP BY name]
 *	  expr      := and {OR and}
 *	  and       := unary {AND unary}
 *	  unary     := NOT unary | '(' expr ')' | predicate
 *	  predicate := name op value            op: = != <> < <= > >=
 *	             | name [NOT] IN (value {, value})
 *	             | name [NOT] BETWEEN value AND value
 *	             | name [NOT] STARTS_WITH value
 *	             | name IS [NOT] NULL
 *	  name      := identifier | `backquoted`
 *	  value     := 'string' | "string" | number | true | false
 *
 * Keywords are case-insensitive; names are not.  Like the spec engine the
 * parser never includes postgres.h, never allocates and never throws: the
 * caller owns the ListQuery (strings live in its pool) and failures come back
 * as a QueryError with a 1-based character position.  What names mean,
 * and whether a value fits an attribute's type, is the backend's business
 * (search_compile.c); the parser only checks the grammar and the limits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_QUERY_H
#define PG_SCHED_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#define QUERY_MAX_LEN		8192	/* bytes of query text */
#define QUERY_MAX_NODES		512		/* conditions and connectives */
#define QUERY_MAX_VALUES	1024	/* literal values */
#define QUERY_MAX_DEPTH		64		/* nesting of parentheses and NOT */
#define QUERY_MAX_ORDER		8		/* ORDER BY terms */
#define QUERY_MESSAGE_MAX	200

typedef enum QueryNodeKind
{
	QUERY_AND,					/* left AND right */
	QUERY_OR,					/* left OR right */
	QUERY_NOT,					/* NOT left */
	QUERY_COMPARE,				/* attr op value */
	QUERY_IN,					/* attr [NOT] IN (values) */
	QUERY_BETWEEN,				/* attr [NOT] BETWEEN value AND value */
	QUERY_STARTS_WITH,			/* attr [NOT] STARTS_WITH value */
	QUERY_IS_NULL				/* attr IS [NOT] NULL */
} QueryNodeKind;

typedef enum QueryOp
{
	QUERY_EQ,
	QUERY_NE,
	QUERY_LT,
	QUERY_LE,
	QUERY_GT,
	QUERY_GE
} QueryOp;

/* The operators as written ("=", "!=", ...), indexed by QueryOp. */
extern const char *const query_op_names[6];

typedef enum QueryValueKind
{
	QUERY_STRING,
	QUERY_NUMBER,				/* text holds the number as written */
	QUERY_BOOL
} QueryValueKind;

typedef struct QueryValue
{
	QueryValueKind kind;
	const char *text;			/* NUL-terminated, in the pool (unquoted) */
	bool		boolean;
	int			pos;			/* 1-based character position */
} QueryValue;

typedef struct QueryName
{
	const char *text;			/* NUL-terminated, in the pool */
	int			pos;
} QueryName;

typedef struct QueryNode
{
	QueryNodeKind kind;
	int			pos;			/* where the condition starts */
	bool		negated;		/* NOT IN, NOT BETWEEN, NOT STARTS_WITH, IS
								 * NOT NULL */
	QueryOp		op;
	int			op_pos;			/* where the operator (or IN, IS, ...) starts */
	QueryName	attr;
	int			left;			/* AND, OR, NOT: node indexes */
	int			right;
	int			first_value;	/* index into values */
	int			nvalues;
} QueryNode;

typedef struct QueryOrder
{
	QueryName	attr;
	bool		desc;
} QueryOrder;

typedef struct ListQuery
{
	int			root;			/* node index; -1: no condition */
	int			nnodes;
	int			nvalues;
	int			norder;
	bool		has_group_by;
	QueryName	group_by;
	QueryOrder	order[QUERY_MAX_ORDER];
	QueryNode	nodes[QUERY_MAX_NODES];
	QueryValue	values[QUERY_MAX_VALUES];
	size_t		pool_used;
	char		pool[2 * QUERY_MAX_LEN + 2];
} ListQuery;

typedef struct QueryError
{
	int			position;		/* 1-based character; 0 when none */
	char		message[QUERY_MESSAGE_MAX];
} QueryError;

/*
 * Parses len bytes of text (not necessarily NUL-terminated, valid UTF-8
 * assumed for positions only).  Returns false and fills err on a mistake;
 * the message is lowercase and says what was expected and what was found.
 */
extern bool query_parse(const char *text, size_t len, ListQuery *q,
						QueryError *err);

/* The 1-based character position of byte offset off of text. */
extern int	query_char_position(const char *text, size_t off);

#endif							/* PG_SCHED_QUERY_H */
