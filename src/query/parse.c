/*-------------------------------------------------------------------------
 *
 * parse.c
 *	  The list query parser: a lexer and a recursive-descent parser that
 *	  fill a caller-owned ListQuery (query.h has the grammar).
 *
 * Invariants: no allocation (names and unquoted strings are copied into
 * q->pool, which holds twice the longest accepted text, more than every
 * token's bytes plus a terminator each); recursion depth is bounded by
 * QUERY_MAX_DEPTH; every failure names what was expected and what was
 * found, at a 1-based character position.
 *
 *-------------------------------------------------------------------------
 */
#include "query.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const query_op_names[6] = {"=", "!=", "<", "<=", ">", ">="};

typedef enum TokKind
{
	T_END,
	T_NAME,						/* bare identifier (maybe a keyword) */
	T_QUOTED_NAME,				/* `name` */
	T_STRING,
	T_NUMBER,
	T_OP,
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
	T_BAD						/* a character that starts no token */
} TokKind;

typedef struct Tok
{
	TokKind		kind;
	size_t		start;			/* byte offsets in the text */
	size_t		end;
	QueryOp		op;
	const char *value;			/* T_NAME, T_QUOTED_NAME, T_STRING: in pool */
} Tok;

typedef struct Parser
{
	const char *text;
	size_t		len;
	size_t		at;				/* lexer position */
	Tok			tok;			/* current token */
	ListQuery	   *q;
	QueryError *err;
	int			depth;
	bool		failed;
} Parser;

int
query_char_position(const char *text, size_t off)
{
	int			n = 1;

	for (size_t i = 0; i < off; i++)
		if (((unsigned char) text[i] & 0xC0) != 0x80)
			n++;
	return n;
}

#if defined(__GNUC__)
static bool fail_at(Parser *p, size_t off, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
#endif

static bool
fail_at(Parser *p, size_t off, const char *fmt,...)
{
	va_list		ap;

	if (p->failed)
		return false;
	p->failed = true;
	p->err->position = query_char_position(p->text, off);
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return false;
}

/* The current token for "found ...": quoted, cut at 40 bytes on a character. */
static const char *
found(Parser *p, char *buf, size_t size)
{
	size_t		n;

	if (p->tok.kind == T_END)
		return "end of query";
	n = p->tok.end - p->tok.start;
	if (n > 40)
	{
		n = 40;
		while (n > 0 && ((unsigned char) p->text[p->tok.start + n] & 0xC0) == 0x80)
			n--;
	}
	snprintf(buf, size, "\"%.*s%s\"", (int) n, p->text + p->tok.start,
			 n < p->tok.end - p->tok.start ? "..." : "");
	return buf;
}

static bool
expected(Parser *p, const char *what)
{
	char		buf[64];

	return fail_at(p, p->tok.start, "expected %s, found %s", what,
				   found(p, buf, sizeof(buf)));
}

static char *
pool_take(Parser *p, size_t n)
{
	char	   *s = p->q->pool + p->q->pool_used;

	p->q->pool_used += n + 1;
	s[n] = '\0';
	return s;
}

static bool
is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool
is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads a quoted string or name body; a doubled quote or a backslash escapes. */
static bool
lex_quoted(Parser *p, char quote, const char *what)
{
	size_t		i = p->at + 1;
	char	   *out = p->q->pool + p->q->pool_used;
	size_t		n = 0;

	for (;;)
	{
		if (i >= p->len)
			return fail_at(p, p->at,
						   "expected the closing %c of the %s, found end of query",
						   quote, what);
		if (p->text[i] == '\\' && i + 1 < p->len)
		{
			out[n++] = p->text[i + 1];
			i += 2;
			continue;
		}
		if (p->text[i] == quote)
		{
			if (i + 1 < p->len && p->text[i + 1] == quote)
			{
				out[n++] = quote;
				i += 2;
				continue;
			}
			break;
		}
		out[n++] = p->text[i++];
	}
	p->tok.value = pool_take(p, n);
	p->tok.end = i + 1;
	p->at = i + 1;
	return true;
}

static bool
next(Parser *p)
{
	const char *t = p->text;
	size_t		i = p->at;

	while (i < p->len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' ||
						  t[i] == '\r'))
		i++;
	p->at = i;
	p->tok.start = i;
	p->tok.value = NULL;
	if (i >= p->len)
	{
		p->tok.kind = T_END;
		p->tok.end = i;
		return true;
	}
	if (is_name_start(t[i]))
	{
		size_t		j = i;

		while (j < p->len && is_name_char(t[j]))
			j++;
		p->tok.kind = T_NAME;
		p->tok.end = p->at = j;
		p->tok.value = pool_take(p, j - i);
		memcpy((char *) p->tok.value, t + i, j - i);
		return true;
	}
	if (t[i] == '`')
	{
		p->tok.kind = T_QUOTED_NAME;
		return lex_quoted(p, '`', "name");
	}
	if (t[i] == '\'' || t[i] == '"')
	{
		p->tok.kind = T_STRING;
		return lex_quoted(p, t[i], "string");
	}
	if (is_digit(t[i]) || ((t[i] == '-' || t[i] == '+' || t[i] == '.') &&
						   i + 1 < p->len && is_digit(t[i + 1])))
	{
		size_t		j = i + 1;

		while (j < p->len && is_digit(t[j]))
			j++;
		if (j < p->len && t[j] == '.' && t[i] != '.')
		{
			j++;
			while (j < p->len && is_digit(t[j]))
				j++;
		}
		if (j < p->len && (t[j] == 'e' || t[j] == 'E'))
		{
			size_t		k = j + 1;

			if (k < p->len && (t[k] == '+' || t[k] == '-'))
				k++;
			if (k < p->len && is_digit(t[k]))
			{
				j = k;
				while (j < p->len && is_digit(t[j]))
					j++;
			}
		}
		p->tok.kind = T_NUMBER;
		p->tok.end = p->at = j;
		p->tok.value = pool_take(p, j - i);
		memcpy((char *) p->tok.value, t + i, j - i);
		return true;
	}
	p->tok.kind = T_OP;
	p->tok.end = i + 1;
	switch (t[i])
	{
		case '=':
			p->tok.op = QUERY_EQ;
			break;
		case '!':
			if (i + 1 < p->len && t[i + 1] == '=')
			{
				p->tok.op = QUERY_NE;
				p->tok.end = i + 2;
			}
			else
				p->tok.kind = T_BAD;
			break;
		case '<':
			p->tok.op = QUERY_LT;
			if (i + 1 < p->len && (t[i + 1] == '=' || t[i + 1] == '>'))
			{
				p->tok.op = t[i + 1] == '=' ? QUERY_LE : QUERY_NE;
				p->tok.end = i + 2;
			}
			break;
		case '>':
			p->tok.op = QUERY_GT;
			if (i + 1 < p->len && t[i + 1] == '=')
			{
				p->tok.op = QUERY_GE;
				p->tok.end = i + 2;
			}
			break;
		case '(':
			p->tok.kind = T_LPAREN;
			break;
		case ')':
			p->tok.kind = T_RPAREN;
			break;
		case ',':
			p->tok.kind = T_COMMA;
			break;
		default:
			p->tok.kind = T_BAD;
			/* the whole UTF-8 character, for the message */
			while (p->tok.end < p->len &&
				   ((unsigned char) t[p->tok.end] & 0xC0) == 0x80)
				p->tok.end++;
			break;
	}
	p->at = p->tok.end;
	return true;
}

/* Is the current token the keyword kw (case-insensitive, bare only)? */
static bool
is_kw(Parser *p, const char *kw)
{
	size_t		n = strlen(kw);

	if (p->tok.kind != T_NAME || p->tok.end - p->tok.start != n)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		char		c = p->text[p->tok.start + i];

		if (c >= 'a' && c <= 'z')
			c = (char) (c - 'a' + 'A');
		if (c != kw[i])
			return false;
	}
	return true;
}

static const char *const keywords[] = {
	"AND", "OR", "NOT", "IN", "BETWEEN", "STARTS_WITH", "IS", "NULL",
	"ORDER", "GROUP", "BY", "ASC", "DESC", "TRUE", "FALSE", NULL
};

static bool
is_any_kw(Parser *p)
{
	for (int i = 0; keywords[i]; i++)
		if (is_kw(p, keywords[i]))
			return true;
	return false;
}

static int
new_node(Parser *p, QueryNodeKind kind, size_t start)
{
	QueryNode  *n;

	if (p->q->nnodes >= QUERY_MAX_NODES)
	{
		fail_at(p, start, "too many conditions: the limit is %d",
				QUERY_MAX_NODES);
		return -1;
	}
	n = &p->q->nodes[p->q->nnodes];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->pos = query_char_position(p->text, start);
	n->left = n->right = -1;
	n->first_value = p->q->nvalues;
	return p->q->nnodes++;
}

static bool
parse_name(Parser *p, QueryName *name, const char *what)
{
	if ((p->tok.kind == T_NAME && !is_any_kw(p)) || p->tok.kind == T_QUOTED_NAME)
	{
		if (p->tok.kind == T_QUOTED_NAME && p->tok.value[0] == '\0')
			return expected(p, what);
		name->text = p->tok.value;
		name->pos = query_char_position(p->text, p->tok.start);
		return next(p);
	}
	return expected(p, what);
}

static bool
parse_value(Parser *p, QueryNode *node)
{
	QueryValue *v;

	if (p->q->nvalues >= QUERY_MAX_VALUES)
		return fail_at(p, p->tok.start, "too many values: the limit is %d",
					   QUERY_MAX_VALUES);
	v = &p->q->values[p->q->nvalues];
	v->pos = query_char_position(p->text, p->tok.start);
	if (p->tok.kind == T_STRING)
		v->kind = QUERY_STRING;
	else if (p->tok.kind == T_NUMBER)
		v->kind = QUERY_NUMBER;
	else if (is_kw(p, "TRUE") || is_kw(p, "FALSE"))
	{
		v->kind = QUERY_BOOL;
		v->boolean = is_kw(p, "TRUE");
	}
	else
		return expected(p, "a value (a quoted string, a number, true or false)");
	v->text = v->kind == QUERY_BOOL ? (v->boolean ? "true" : "false") : p->tok.value;
	p->q->nvalues++;
	node->nvalues++;
	return next(p);
}

static bool parse_or(Parser *p, int *out);

static bool
parse_predicate(Parser *p, int *out)
{
	size_t		start = p->tok.start;
	QueryName	name;
	QueryNode  *n;
	int			idx;
	bool		negated = false;
	QueryNodeKind kind;
	size_t		op_start;

	if (!parse_name(p, &name, "an attribute name, NOT or \"(\""))
		return false;
	op_start = p->tok.start;
	if (p->tok.kind == T_OP)
	{
		QueryOp		op = p->tok.op;

		if ((idx = new_node(p, QUERY_COMPARE, start)) < 0)
			return false;
		n = &p->q->nodes[idx];
		n->attr = name;
		n->op_pos = query_char_position(p->text, op_start);
		n->op = op;
		*out = idx;
		return next(p) && parse_value(p, n);
	}
	if (is_kw(p, "IS"))
	{
		if (!next(p))
			return false;
		if (is_kw(p, "NOT"))
		{
			negated = true;
			if (!next(p))
				return false;
		}
		if (!is_kw(p, "NULL"))
			return expected(p, negated ? "NULL" : "NULL or NOT NULL");
		if ((idx = new_node(p, QUERY_IS_NULL, start)) < 0)
			return false;
		n = &p->q->nodes[idx];
		n->attr = name;
		n->op_pos = query_char_position(p->text, op_start);
		n->negated = negated;
		*out = idx;
		return next(p);
	}
	if (is_kw(p, "NOT"))
	{
		negated = true;
		if (!next(p))
			return false;
		if (!is_kw(p, "IN") && !is_kw(p, "BETWEEN") && !is_kw(p, "STARTS_WITH"))
			return expected(p, "IN, BETWEEN or STARTS_WITH");
	}
	if (is_kw(p, "IN"))
		kind = QUERY_IN;
	else if (is_kw(p, "BETWEEN"))
		kind = QUERY_BETWEEN;
	else if (is_kw(p, "STARTS_WITH"))
		kind = QUERY_STARTS_WITH;
	else
		return expected(p, "an operator (=, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS)");
	if ((idx = new_node(p, kind, start)) < 0)
		return false;
	n = &p->q->nodes[idx];
	n->attr = name;
	n->op_pos = query_char_position(p->text, op_start);
	n->negated = negated;
	*out = idx;
	if (!next(p))
		return false;
	if (kind == QUERY_IN)
	{
		if (p->tok.kind != T_LPAREN)
			return expected(p, "\"(\"");
		if (!next(p))
			return false;
		for (;;)
		{
			if (!parse_value(p, n))
				return false;
			if (p->tok.kind == T_RPAREN)
				break;
			if (p->tok.kind != T_COMMA)
				return expected(p, "\",\" or \")\"");
			if (!next(p))
				return false;
		}
		return next(p);
	}
	if (kind == QUERY_BETWEEN)
	{
		if (!parse_value(p, n))
			return false;
		if (!is_kw(p, "AND"))
			return expected(p, "AND");
		return next(p) && parse_value(p, n);
	}
	return parse_value(p, n);
}

static bool
parse_unary(Parser *p, int *out)
{
	size_t		start = p->tok.start;
	bool		ok;

	if (is_kw(p, "NOT") || p->tok.kind == T_LPAREN)
	{
		if (++p->depth > QUERY_MAX_DEPTH)
			return fail_at(p, start, "nesting too deep: the limit is %d levels",
						   QUERY_MAX_DEPTH);
		if (is_kw(p, "NOT"))
		{
			int			idx;
			int			child;

			if (!next(p) || !parse_unary(p, &child))
				return false;
			if ((idx = new_node(p, QUERY_NOT, start)) < 0)
				return false;
			p->q->nodes[idx].left = child;
			*out = idx;
			ok = true;
		}
		else
		{
			ok = next(p) && parse_or(p, out);
			if (ok && p->tok.kind != T_RPAREN)
				ok = expected(p, "AND, OR or \")\"");
			ok = ok && next(p);
		}
		p->depth--;
		return ok;
	}
	return parse_predicate(p, out);
}

static bool
parse_binary(Parser *p, int *out, bool is_or)
{
	size_t		start = p->tok.start;
	int			left;

	if (!(is_or ? parse_binary(p, &left, false) : parse_unary(p, &left)))
		return false;
	while (is_kw(p, is_or ? "OR" : "AND"))
	{
		int			right;
		int			idx;

		if (!next(p))
			return false;
		if (!(is_or ? parse_binary(p, &right, false) : parse_unary(p, &right)))
			return false;
		if ((idx = new_node(p, is_or ? QUERY_OR : QUERY_AND, start)) < 0)
			return false;
		p->q->nodes[idx].left = left;
		p->q->nodes[idx].right = right;
		left = idx;
	}
	*out = left;
	return true;
}

static bool
parse_or(Parser *p, int *out)
{
	return parse_binary(p, out, true);
}

bool
query_parse(const char *text, size_t len, ListQuery *q, QueryError *err)
{
	Parser		p;

	memset(&p, 0, sizeof(p));
	p.text = text;
	p.len = len;
	p.q = q;
	p.err = err;
	q->root = -1;
	q->nnodes = q->nvalues = q->norder = 0;
	q->has_group_by = false;
	q->pool_used = 0;
	err->position = 0;
	err->message[0] = '\0';
	if (len > QUERY_MAX_LEN)
	{
		snprintf(err->message, sizeof(err->message),
				 "value of %zu bytes is longer than the limit of %d", len,
				 QUERY_MAX_LEN);
		return false;
	}
	if (memchr(text, '\0', len) != NULL)
		return fail_at(&p, (size_t) ((const char *) memchr(text, '\0', len) - text),
					   "expected text, found a zero byte");
	if (!next(&p))
		return false;
	if (p.tok.kind != T_END && !is_kw(&p, "ORDER") && !is_kw(&p, "GROUP"))
	{
		if (!parse_or(&p, &q->root))
			return false;
	}
	if (is_kw(&p, "ORDER"))
	{
		if (!next(&p))
			return false;
		if (!is_kw(&p, "BY"))
			return expected(&p, "BY");
		do
		{
			QueryOrder *o;

			if (!next(&p))
				return false;
			if (q->norder >= QUERY_MAX_ORDER)
				return fail_at(&p, p.tok.start,
							   "too many ORDER BY terms: the limit is %d",
							   QUERY_MAX_ORDER);
			o = &q->order[q->norder++];
			o->desc = false;
			if (!parse_name(&p, &o->attr, "an attribute name"))
				return false;
			if (is_kw(&p, "ASC") || is_kw(&p, "DESC"))
			{
				o->desc = is_kw(&p, "DESC");
				if (!next(&p))
					return false;
			}
		} while (p.tok.kind == T_COMMA);
	}
	if (is_kw(&p, "GROUP"))
	{
		if (!next(&p))
			return false;
		if (!is_kw(&p, "BY"))
			return expected(&p, "BY");
		if (!next(&p) || !parse_name(&p, &q->group_by, "an attribute name"))
			return false;
		q->has_group_by = true;
	}
	if (p.tok.kind != T_END)
	{
		if (q->has_group_by)
			return expected(&p, "end of query");
		if (q->norder > 0)
			return expected(&p, "\",\", ASC, DESC, GROUP BY or end of query");
		return expected(&p, "AND, OR, ORDER BY, GROUP BY or end of query");
	}
	return true;
}
