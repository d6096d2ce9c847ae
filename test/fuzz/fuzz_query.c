/*-------------------------------------------------------------------------
 *
 * fuzz_query.c
 *	  libFuzzer target of the list query parser (src/query/parse.c).
 *
 * The input is the query text itself.  Every answer is checked: a failure
 * has a message and a position inside the text (or 0, for the length
 * limit); an accepted query's AST is well formed (indexes in range,
 * children before parents, values inside their node's slice, strings in
 * the pool) and prints back to a canonical text (parenthesised where the
 * tree needs it, every name backquoted, every string quoted with its quotes doubled) that
 * parses to the same canonical text again: the parser and its quoting
 * agree.  A violation prints what failed and traps.
 *
 * With -DFUZZ_STANDALONE it builds as a plain program that replays the
 * files and directories given on the command line (by default
 * test/fuzz/query_corpus), as fuzz_spec.c does.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ListQuery q1;
static ListQuery q2;
static const char *current_input = "(fuzzer)";

static void
violation(const char *what)
{
	fprintf(stderr, "fuzz_query: %s (input %s)\n", what, current_input);
	__builtin_trap();
}

typedef struct Out
{
	char	   *buf;
	size_t		len;
	size_t		cap;
} Out;

static void
out_put(Out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap)
	{
		o->cap = (o->len + n + 1) * 2;
		o->buf = realloc(o->buf, o->cap);
		if (o->buf == NULL)
			abort();
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
out_s(Out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void
out_quoted(Out *o, const char *s, char quote)
{
	char		qs[2] = {quote, 0};

	out_s(o, qs);
	for (; *s; s++)
	{
		if (*s == quote || *s == '\\')
			out_put(o, s, 1);
		out_put(o, s, 1);
	}
	out_s(o, qs);
}

static bool
in_pool(const ListQuery *q, const char *s)
{
	return s >= q->pool && s < q->pool + sizeof(q->pool) &&
		memchr(s, '\0', (size_t) (q->pool + sizeof(q->pool) - s)) != NULL;
}

/*
 * Parentheses only where the tree needs them (an OR under an AND or a NOT,
 * an AND under a NOT, a right operand of its own kind), so the canonical
 * text nests no deeper than the input had to.
 */
static void print_node(const ListQuery *q, int idx, int limit, Out *o);

static void
print_child(const ListQuery *q, int idx, int parent, bool right, Out *o)
{
	QueryNodeKind pk = q->nodes[parent].kind;
	QueryNodeKind ck;
	bool		parens;

	if (idx < 0 || idx >= parent)
		violation("node index out of range or not before its parent");
	ck = q->nodes[idx].kind;
	parens = (ck == QUERY_OR && pk != QUERY_OR) ||
		(ck == QUERY_AND && pk == QUERY_NOT) ||
		(right && ck == pk);
	if (parens)
		out_s(o, "(");
	print_node(q, idx, parent, o);
	if (parens)
		out_s(o, ")");
}

static void
print_node(const ListQuery *q, int idx, int limit, Out *o)
{
	const QueryNode *n;
	static const char *const kws[] = {"", "", "", "", " IN (", " BETWEEN ",
	" STARTS_WITH ", " IS NULL"};

	if (idx < 0 || idx >= q->nnodes || idx >= limit)
		violation("node index out of range or not before its parent");
	n = &q->nodes[idx];
	if (n->first_value < 0 || n->nvalues < 0 ||
		n->first_value + n->nvalues > q->nvalues)
		violation("value slice out of range");
	switch (n->kind)
	{
		case QUERY_AND:
		case QUERY_OR:
			print_child(q, n->left, idx, false, o);
			out_s(o, n->kind == QUERY_AND ? " AND " : " OR ");
			print_child(q, n->right, idx, true, o);
			break;
		case QUERY_NOT:
			out_s(o, "NOT ");
			print_child(q, n->left, idx, false, o);
			break;
		default:
			if (!in_pool(q, n->attr.text) || n->attr.text[0] == '\0')
				violation("attribute name not in the pool or empty");
			out_quoted(o, n->attr.text, '`');
			if (n->kind == QUERY_COMPARE)
			{
				out_s(o, " ");
				out_s(o, query_op_names[n->op]);
				out_s(o, " ");
			}
			else if (n->kind == QUERY_IS_NULL)
				out_s(o, n->negated ? " IS NOT NULL" : kws[n->kind]);
			else
			{
				if (n->negated)
					out_s(o, " NOT");
				out_s(o, kws[n->kind]);
			}
			if (((n->kind == QUERY_COMPARE || n->kind == QUERY_STARTS_WITH) && n->nvalues != 1) ||
				(n->kind == QUERY_BETWEEN && n->nvalues != 2) ||
				(n->kind == QUERY_IS_NULL && n->nvalues != 0) ||
				(n->kind == QUERY_IN && n->nvalues < 1))
				violation("wrong number of values for the condition");
			for (int i = 0; i < n->nvalues; i++)
			{
				const QueryValue *v = &q->values[n->first_value + i];

				if (i > 0)
					out_s(o, n->kind == QUERY_BETWEEN ? " AND " : ", ");
				if (v->kind == QUERY_STRING)
				{
					if (!in_pool(q, v->text))
						violation("string value not in the pool");
					out_quoted(o, v->text, '\'');
				}
				else
					out_s(o, v->text);
			}
			if (n->kind == QUERY_IN)
				out_s(o, ")");
			break;
	}
}

static void
print_query(const ListQuery *q, Out *o)
{
	o->len = 0;
	out_s(o, "");
	if (q->root >= 0)
		print_node(q, q->root, q->nnodes, o);
	if (q->norder > 0)
	{
		out_s(o, " ORDER BY ");
		for (int i = 0; i < q->norder; i++)
		{
			if (i > 0)
				out_s(o, ", ");
			out_quoted(o, q->order[i].attr.text, '`');
			out_s(o, q->order[i].desc ? " DESC" : " ASC");
		}
	}
	if (q->has_group_by)
	{
		out_s(o, " GROUP BY ");
		out_quoted(o, q->group_by.text, '`');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	QueryError err;
	const char *text = (const char *) data;
	int			nchars = query_char_position(text, size);
	static Out	o1;
	static Out	o2;

	if (!query_parse(text, size, &q1, &err))
	{
		if (err.message[0] == '\0')
			violation("a failure without a message");
		if (err.position < 0 || err.position > nchars ||
			(err.position == 0 && size <= QUERY_MAX_LEN))
			violation("a failure position outside the text");
		return 0;
	}
	if (q1.pool_used > sizeof(q1.pool))
		violation("the pool overflowed");
	print_query(&q1, &o1);
	/* the canonical text can be longer than the limit: only re-parse shorter */
	if (o1.len > QUERY_MAX_LEN)
		return 0;
	if (!query_parse(o1.buf, o1.len, &q2, &err))
	{
		fprintf(stderr, "canonical text: %s\nerror at %d: %s\n", o1.buf,
				err.position, err.message);
		violation("the canonical text of an accepted query is refused");
	}
	print_query(&q2, &o2);
	if (o1.len != o2.len || memcmp(o1.buf, o2.buf, o1.len) != 0)
	{
		fprintf(stderr, "first:  %s\nsecond: %s\n", o1.buf, o2.buf);
		violation("the canonical text does not parse back to itself");
	}
	return 0;
}

#ifdef FUZZ_STANDALONE
#include <dirent.h>
#include <sys/stat.h>

static int
run_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	static uint8_t buf[1 << 16];
	size_t		n;

	if (f == NULL)
	{
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	current_input = path;
	LLVMFuzzerTestOneInput(buf, n);
	return 1;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
run_path(const char *path)
{
	struct stat st;
	DIR		   *dir;
	struct dirent *de;
	char	  **names = NULL;
	int			nnames = 0;
	int			n = 0;

	if (stat(path, &st) != 0)
	{
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((dir = opendir(path)) == NULL)
	{
		perror(path);
		exit(2);
	}
	while ((de = readdir(dir)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (size_t) (nnames + 1) * sizeof(char *));
		if (names == NULL)
			abort();
		names[nnames] = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (names[nnames] == NULL)
			abort();
		sprintf(names[nnames++], "%s/%s", path, de->d_name);
	}
	closedir(dir);
	if (nnames > 0)
		qsort(names, (size_t) nnames, sizeof(char *), compare_names);
	for (int i = 0; i < nnames; i++)
	{
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			n += run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return n;
}

int
main(int argc, char **argv)
{
	int			n = 0;

	if (argc < 2)
		n = run_path("test/fuzz/query_corpus");
	for (int i = 1; i < argc; i++)
		n += run_path(argv[i]);
	printf("%d passed, 0 failed\n", n);
	return 0;
}
#endif							/* FUZZ_STANDALONE */
