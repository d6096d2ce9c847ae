/*-------------------------------------------------------------------------
 *
 * search_compile.c
 *	  Compiles a list query's AST (src/query/) to SQL over sched.schedules
 *	  s: names resolved to built-in columns or registered attributes, each
 *	  value checked against the attribute's type and bound as a parameter.
 *	  No text of the query ever reaches the SQL.
 *
 * Semantics (written down in the README): two-valued logic.  Every
 * condition is true or false, never NULL: a condition on an attribute a
 * schedule does not have is false (!= and NOT IN included), and NOT
 * negates it.  Equality, IN and KeywordList membership compile to jsonb
 * containment (s.search_attributes @> $n), which the GIN index
 * schedules_search_attributes answers; ranges compare typed values
 * (numeric, timestamptz, text in the C collation); Text's = is a full-text
 * match of the words (to_tsvector('simple') @@ plainto_tsquery), as
 * Temporal's SQL visibility stores do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "query.h"
#include "schedule_json.h"
#include "search_compile.h"

typedef struct Attr
{
	const char *name;
	SearchType	type;
	const SearchBuiltin *builtin;	/* NULL: custom */
	int			pos;
} Attr;

typedef struct Compiler
{
	const ListQuery *q;
	SearchSql  *out;
} Compiler;

static void
query_error(int pos, const char *fmt,...)
pg_attribute_printf(2, 3) pg_attribute_noreturn();

static void
query_error(int pos, const char *fmt,...)
{
	va_list		ap;
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&buf, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for query: %s", buf.data),
			 pos > 0 ? errdetail("The error is at character %d.", pos) : 0));
}

/* ---- parameters ---- */

static int
param(Compiler *c, Oid type, Datum value)
{
	SearchSql  *o = c->out;

	if (o->nparams >= o->maxparams)
	{
		o->maxparams *= 2;
		o->types = repalloc(o->types, sizeof(Oid) * o->maxparams);
		o->values = repalloc(o->values, sizeof(Datum) * o->maxparams);
	}
	o->types[o->nparams] = type;
	o->values[o->nparams] = value;
	return ++o->nparams;
}

static int
param_text(Compiler *c, const char *s)
{
	return param(c, TEXTOID, CStringGetTextDatum(s));
}

static const char *
show(const QueryValue *v)
{
	if (v->kind == QUERY_STRING)
		return quote_literal_cstr(v->text);
	return v->text;
}

/* ---- names and values ---- */

static void
resolve(const QueryName *n, Attr *a)
{
	a->name = n->text;
	a->pos = n->pos;
	a->builtin = search_builtin(n->text);
	if (a->builtin != NULL)
		a->type = a->builtin->type;
	else if (!search_registered_type(n->text, false, &a->type))
		query_error(n->pos, "unknown search attribute \"%s\"", n->text);
}

/*
 * A literal of the attribute's type: its SQL parameter (*type, the Datum)
 * and its canonical jsonb scalar text for containment.
 */
typedef struct Lit
{
	Oid			type;
	Datum		value;
	JsonbValue	json;
} Lit;

static void value_error(const Attr *a, const QueryValue *v) pg_attribute_noreturn();

static void
value_error(const Attr *a, const QueryValue *v)
{
	query_error(v->pos, "expected %s for %s, found %s",
				search_type_expected(a->type), a->name, show(v));
}

static void
literal(const Attr *a, const QueryValue *v, Lit *lit)
{
	memset(lit, 0, sizeof(*lit));
	switch (a->type)
	{
		case SEARCH_KEYWORD:
		case SEARCH_TEXT:
		case SEARCH_KEYWORD_LIST:
			if (v->kind != QUERY_STRING)
				value_error(a, v);
			lit->type = TEXTOID;
			lit->value = CStringGetTextDatum(v->text);
			lit->json.type = jbvString;
			lit->json.val.string.val = pstrdup(v->text);
			lit->json.val.string.len = strlen(v->text);
			return;
		case SEARCH_INT:
		case SEARCH_DOUBLE:
			{
				Datum		num;
				bool		ok = v->kind == QUERY_NUMBER;

				if (ok && a->type == SEARCH_INT)
					ok = strchr(v->text, '.') == NULL &&
						strchr(v->text, 'e') == NULL &&
						strchr(v->text, 'E') == NULL &&
						strlen(v->text) <= 20;
				else if (ok)
				{
					/* an exponent numeric cannot hold is a mistake, not 22003 */
					const char *e = strpbrk(v->text, "eE");

					ok = e == NULL || labs(strtol(e + 1, NULL, 10)) <= 1000;
				}
				if (!ok)
					value_error(a, v);
				num = DirectFunctionCall3(numeric_in, CStringGetDatum(v->text),
										  ObjectIdGetDatum(InvalidOid),
										  Int32GetDatum(-1));
				if (a->type == SEARCH_INT)
				{
					/* within int64, as stored values are */
					char	   *end;

					errno = 0;
					(void) strtoll(v->text, &end, 10);
					if (errno != 0 || *end != '\0')
						value_error(a, v);
				}
				lit->type = NUMERICOID;
				lit->value = num;
				lit->json.type = jbvNumeric;
				lit->json.val.numeric = DatumGetNumeric(num);
				return;
			}
		case SEARCH_BOOL:
			if (v->kind != QUERY_BOOL)
				value_error(a, v);
			lit->type = BOOLOID;
			lit->value = BoolGetDatum(v->boolean);
			lit->json.type = jbvBool;
			lit->json.val.boolean = v->boolean;
			return;
		case SEARCH_DATETIME:
			{
				TimestampTz ts;
				char	   *canon;

				if (v->kind != QUERY_STRING ||
					!search_parse_datetime(v->text, strlen(v->text), &ts))
					value_error(a, v);
				canon = schedule_format_time(ts);
				lit->type = TIMESTAMPTZOID;
				lit->value = TimestampTzGetDatum(ts);
				lit->json.type = jbvString;
				lit->json.val.string.val = canon;
				lit->json.val.string.len = strlen(canon);
				return;
			}
		default:
			break;
	}
	elog(ERROR, "unexpected search attribute type %d", (int) a->type);
}

/* {"name": value} (a KeywordList: {"name": [value]}) as a jsonb parameter. */
static int
param_contains(Compiler *c, const Attr *a, const Lit *lit)
{
	JsonbParseState *st = NULL;
	JsonbValue	key;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	key.type = jbvString;
	key.val.string.val = (char *) a->name;
	key.val.string.len = strlen(a->name);
	pushJsonbValue(&st, WJB_KEY, &key);
	if (a->type == SEARCH_KEYWORD_LIST)
	{
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		pushJsonbValue(&st, WJB_ELEM, (JsonbValue *) &lit->json);
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	}
	else
		pushJsonbValue(&st, WJB_VALUE, (JsonbValue *) &lit->json);
	return param(c, JSONBOID,
				 JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT,
																 NULL))));
}

/* The attribute's typed value as SQL (NULL when a schedule lacks it). */
static void
append_expr(Compiler *c, StringInfo buf, const Attr *a)
{
	int			k;

	if (a->builtin != NULL)
	{
		appendStringInfoString(buf, a->builtin->expr);
		if (a->type == SEARCH_KEYWORD)
			appendStringInfoString(buf, " COLLATE \"C\"");
		return;
	}
	k = param_text(c, a->name);
	switch (a->type)
	{
		case SEARCH_INT:
		case SEARCH_DOUBLE:
			appendStringInfo(buf, "((s.search_attributes->>$%d)::numeric)", k);
			break;
		case SEARCH_BOOL:
			appendStringInfo(buf, "((s.search_attributes->>$%d)::boolean)", k);
			break;
		case SEARCH_DATETIME:
			appendStringInfo(buf, "((s.search_attributes->>$%d)::timestamptz)", k);
			break;
		default:
			appendStringInfo(buf, "((s.search_attributes->>$%d) COLLATE \"C\")", k);
			break;
	}
}

static void unsupported(const QueryNode *n, const Attr *a, const char *what)
			pg_attribute_noreturn();

static void
unsupported(const QueryNode *n, const Attr *a, const char *what)
{
	query_error(n->op_pos, "%s is not supported for the %s attribute %s",
				what, search_type_names[a->type], a->name);
}

/* Equality of one literal, as a condition that is never NULL. */
static void
append_equal(Compiler *c, StringInfo buf, const Attr *a, const QueryValue *v)
{
	Lit			lit;

	literal(a, v, &lit);
	if (a->builtin != NULL)
	{
		/* never NULL: a plain comparison, which the primary key answers */
		appendStringInfo(buf, "%s = $%d", a->builtin->expr,
						 param(c, lit.type, lit.value));
		return;
	}
	if (a->type == SEARCH_TEXT)
	{
		int			k = param_text(c, a->name);

		appendStringInfo(buf,
						 "COALESCE(to_tsvector('simple', s.search_attributes->>$%d)"
						 " @@ plainto_tsquery('simple', $%d), false)",
						 k, param(c, lit.type, lit.value));
		return;
	}
	appendStringInfo(buf, "s.search_attributes @> $%d",
					 param_contains(c, a, &lit));
}

/* "the schedule has the attribute" (custom), as a condition. */
static void
append_has(Compiler *c, StringInfo buf, const Attr *a)
{
	if (a->builtin != NULL)
		appendStringInfoString(buf, "true");
	else
		appendStringInfo(buf, "s.search_attributes ? $%d",
						 param_text(c, a->name));
}

static bool
is_ordered(SearchType t)
{
	return t == SEARCH_KEYWORD || t == SEARCH_INT || t == SEARCH_DOUBLE ||
		t == SEARCH_DATETIME;
}

static void compile_node(Compiler *c, StringInfo buf, int idx);

static void
compile_predicate(Compiler *c, StringInfo buf, const QueryNode *n)
{
	const ListQuery *q = c->q;
	const QueryValue *vals = &q->values[n->first_value];
	Attr		a;

	resolve(&n->attr, &a);
	switch (n->kind)
	{
		case QUERY_COMPARE:
			if (n->op == QUERY_EQ)
			{
				append_equal(c, buf, &a, &vals[0]);
				return;
			}
			if (n->op == QUERY_NE)
			{
				if (a.type == SEARCH_TEXT || a.builtin != NULL)
				{
					appendStringInfoString(buf, "(NOT ");
					append_equal(c, buf, &a, &vals[0]);
					appendStringInfoString(buf, ")");
					return;
				}
				appendStringInfoString(buf, "(");
				append_has(c, buf, &a);
				appendStringInfoString(buf, " AND NOT ");
				append_equal(c, buf, &a, &vals[0]);
				appendStringInfoString(buf, ")");
				return;
			}
			if (!is_ordered(a.type))
				unsupported(n, &a, psprintf("operator %s", query_op_names[n->op]));
			{
				Lit			lit;

				literal(&a, &vals[0], &lit);
				appendStringInfoString(buf, "COALESCE(");
				append_expr(c, buf, &a);
				appendStringInfo(buf, " %s $%d, false)", query_op_names[n->op],
								 param(c, lit.type, lit.value));
			}
			return;
		case QUERY_IN:
			if (a.type == SEARCH_TEXT)
				unsupported(n, &a, n->negated ? "NOT IN" : "IN");
			appendStringInfoString(buf, "(");
			if (n->negated)
			{
				append_has(c, buf, &a);
				appendStringInfoString(buf, " AND NOT (");
			}
			for (int i = 0; i < n->nvalues; i++)
			{
				if (i > 0)
					appendStringInfoString(buf, " OR ");
				append_equal(c, buf, &a, &vals[i]);
			}
			appendStringInfoString(buf, n->negated ? "))" : ")");
			return;
		case QUERY_BETWEEN:
			if (!is_ordered(a.type))
				unsupported(n, &a, n->negated ? "NOT BETWEEN" : "BETWEEN");
			{
				Lit			lo;
				Lit			hi;

				literal(&a, &vals[0], &lo);
				literal(&a, &vals[1], &hi);
				appendStringInfoString(buf, "COALESCE(");
				append_expr(c, buf, &a);
				appendStringInfo(buf, " %sBETWEEN $%d AND $%d, false)",
								 n->negated ? "NOT " : "",
								 param(c, lo.type, lo.value),
								 param(c, hi.type, hi.value));
			}
			return;
		case QUERY_STARTS_WITH:
			if (a.type != SEARCH_KEYWORD)
				unsupported(n, &a, n->negated ? "NOT STARTS_WITH" : "STARTS_WITH");
			{
				Lit			lit;

				literal(&a, &vals[0], &lit);
				appendStringInfoString(buf, n->negated ?
									   "COALESCE(NOT starts_with(" :
									   "COALESCE(starts_with(");
				append_expr(c, buf, &a);
				appendStringInfo(buf, ", $%d), false)",
								 param(c, lit.type, lit.value));
			}
			return;
		case QUERY_IS_NULL:
			appendStringInfoString(buf, n->negated ? "(" : "(NOT ");
			append_has(c, buf, &a);
			appendStringInfoString(buf, ")");
			return;
		default:
			break;
	}
	elog(ERROR, "unexpected query node %d", (int) n->kind);
}

static void
compile_node(Compiler *c, StringInfo buf, int idx)
{
	const QueryNode *n = &c->q->nodes[idx];

	check_stack_depth();
	switch (n->kind)
	{
		case QUERY_AND:
		case QUERY_OR:
			appendStringInfoString(buf, "(");
			compile_node(c, buf, n->left);
			appendStringInfoString(buf, n->kind == QUERY_AND ? " AND " : " OR ");
			compile_node(c, buf, n->right);
			appendStringInfoString(buf, ")");
			return;
		case QUERY_NOT:
			appendStringInfoString(buf, "(NOT ");
			compile_node(c, buf, n->left);
			appendStringInfoString(buf, ")");
			return;
		default:
			compile_predicate(c, buf, n);
			return;
	}
}

void
search_compile(const char *text, SearchPurpose purpose, int first_param,
			   SearchSql *out)
{
	ListQuery	   *q = palloc(sizeof(ListQuery));
	QueryError	err;
	Compiler	c;

	if (!query_parse(text, strlen(text), q, &err))
		query_error(err.position, "%s", err.message);
	memset(out, 0, sizeof(*out));
	initStringInfo(&out->where);
	initStringInfo(&out->order_by);
	out->maxparams = first_param + 16;
	out->types = palloc0(sizeof(Oid) * out->maxparams);
	out->values = palloc0(sizeof(Datum) * out->maxparams);
	out->nparams = first_param;
	c.q = q;
	c.out = out;

	if (q->root >= 0)
		compile_node(&c, &out->where, q->root);
	else
		appendStringInfoString(&out->where, "true");

	if (q->norder > 0 && purpose != SEARCH_FOR_LIST)
		query_error(q->order[0].attr.pos,
					"ORDER BY is supported by sched.list_schedules only");
	for (int i = 0; i < q->norder; i++)
	{
		Attr		a;

		resolve(&q->order[i].attr, &a);
		if (a.type == SEARCH_TEXT || a.type == SEARCH_KEYWORD_LIST)
			query_error(a.pos, "ORDER BY is not supported for the %s attribute %s",
						search_type_names[a.type], a.name);
		append_expr(&c, &out->order_by, &a);
		appendStringInfoString(&out->order_by, q->order[i].desc ?
							   " DESC NULLS LAST, " : " ASC NULLS LAST, ");
	}
	if (q->has_group_by)
	{
		Attr		a;
		StringInfoData g;

		if (purpose != SEARCH_FOR_COUNT)
			query_error(q->group_by.pos,
						"GROUP BY is supported by sched.count_schedules only");
		resolve(&q->group_by, &a);
		if (a.type != SEARCH_KEYWORD && a.type != SEARCH_BOOL)
			query_error(a.pos, "GROUP BY is not supported for the %s attribute %s",
						search_type_names[a.type], a.name);
		initStringInfo(&g);
		if (a.builtin != NULL)
			appendStringInfo(&g, "to_jsonb(%s)", a.builtin->expr);
		else
			appendStringInfo(&g, "(s.search_attributes->$%d)",
							 param_text(&c, a.name));
		out->group_by = g.data;
	}
}
