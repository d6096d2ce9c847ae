/*-------------------------------------------------------------------------
 *
 * test_query.c
 *	  Unit tests of the list query parser (src/query/parse.c): every
 *	  operator, precedence and parentheses, quoting and escapes, ORDER BY
 *	  and GROUP BY, and each kind of mistake with its 1-based position.
 *
 * The parser is plain C99 with no PostgreSQL dependency, so it is compiled
 * straight into this program.  Each accepted query is printed back as a
 * fully parenthesised form and compared; the last line is
 * "N passed, N failed".
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "../../src/query/parse.c"

static int	npassed;
static int	nfailed;
static ListQuery q;

static void
put(char *buf, size_t size, const char *fmt, const char *s)
{
	size_t		n = strlen(buf);

	snprintf(buf + n, size - n, fmt, s);
}

static void
render_value(const QueryValue *v, char *buf, size_t size)
{
	put(buf, size, v->kind == QUERY_STRING ? "'%s'" :
		v->kind == QUERY_NUMBER ? "#%s" : "%s", v->text);
}

static void
render(int idx, char *buf, size_t size)
{
	const QueryNode *n = &q.nodes[idx];
	static const char *const kinds[] = {"and", "or", "not", "", "in",
	"between", "starts_with", "is_null"};

	put(buf, size, "%s", "(");
	if (n->kind == QUERY_AND || n->kind == QUERY_OR || n->kind == QUERY_NOT)
	{
		put(buf, size, "%s", kinds[n->kind]);
		put(buf, size, "%s", " ");
		render(n->left, buf, size);
		if (n->kind != QUERY_NOT)
		{
			put(buf, size, "%s", " ");
			render(n->right, buf, size);
		}
	}
	else
	{
		put(buf, size, "%s", n->negated ? "not-" : "");
		put(buf, size, "%s", n->kind == QUERY_COMPARE ? query_op_names[n->op] :
			kinds[n->kind]);
		put(buf, size, " %s", n->attr.text);
		for (int i = 0; i < n->nvalues; i++)
		{
			put(buf, size, "%s", " ");
			render_value(&q.values[n->first_value + i], buf, size);
		}
	}
	put(buf, size, "%s", ")");
}

static void
ok(const char *text, const char *want, int line)
{
	QueryError err;
	char		buf[2048] = "";

	if (!query_parse(text, strlen(text), &q, &err))
	{
		nfailed++;
		printf("FAIL line %d: %s: error at %d: %s\n", line, text,
			   err.position, err.message);
		return;
	}
	if (q.root >= 0)
		render(q.root, buf, sizeof(buf));
	for (int i = 0; i < q.norder; i++)
	{
		put(buf, sizeof(buf), " order %s", q.order[i].attr.text);
		put(buf, sizeof(buf), "%s", q.order[i].desc ? " desc" : "");
	}
	if (q.has_group_by)
		put(buf, sizeof(buf), " group %s", q.group_by.text);
	if (strcmp(buf, want) == 0)
		npassed++;
	else
	{
		nfailed++;
		printf("FAIL line %d: %s\n  got:  %s\n  want: %s\n", line, text, buf,
			   want);
	}
}

static void
bad(const char *text, int pos, const char *message, int line)
{
	QueryError err;

	if (query_parse(text, strlen(text), &q, &err))
	{
		nfailed++;
		printf("FAIL line %d: %s: accepted\n", line, text);
	}
	else if (err.position != pos || strcmp(err.message, message) != 0)
	{
		nfailed++;
		printf("FAIL line %d: %s\n  got:  %d %s\n  want: %d %s\n", line, text,
			   err.position, err.message, pos, message);
	}
	else
		npassed++;
}

#define OK(t, w) ok((t), (w), __LINE__)
#define BAD(t, p, m) bad((t), (p), (m), __LINE__)

int
main(void)
{
	/* every comparison operator, and values of each kind */
	OK("A = 'x'", "(= A 'x')");
	OK("A != \"x\"", "(!= A 'x')");
	OK("A <> 1", "(!= A #1)");
	OK("A < -1.5", "(< A #-1.5)");
	OK("A <= 2e3", "(<= A #2e3)");
	OK("A > .5", "(> A #.5)");
	OK("A >= 10", "(>= A #10)");
	OK("A = true", "(= A true)");
	OK("A = FALSE", "(= A false)");
	OK("A IN ('a', 'b', 3)", "(in A 'a' 'b' #3)");
	OK("A not in ('a')", "(not-in A 'a')");
	OK("A BETWEEN 1 AND 5", "(between A #1 #5)");
	OK("A NOT BETWEEN '2026-01-01T00:00:00Z' AND '2027-01-01T00:00:00Z'",
	   "(not-between A '2026-01-01T00:00:00Z' '2027-01-01T00:00:00Z')");
	OK("A STARTS_WITH 'pre'", "(starts_with A 'pre')");
	OK("A NOT STARTS_WITH 'pre'", "(not-starts_with A 'pre')");
	OK("A IS NULL", "(is_null A)");
	OK("A is not null", "(not-is_null A)");

	/* precedence: NOT over AND over OR; parentheses; left association */
	OK("A = 1 OR B = 2 AND C = 3", "(or (= A #1) (and (= B #2) (= C #3)))");
	OK("(A = 1 OR B = 2) AND C = 3", "(and (or (= A #1) (= B #2)) (= C #3))");
	OK("NOT A = 1 AND B = 2", "(and (not (= A #1)) (= B #2))");
	OK("NOT (A = 1 AND B = 2)", "(not (and (= A #1) (= B #2)))");
	OK("A = 1 AND B = 2 AND C = 3", "(and (and (= A #1) (= B #2)) (= C #3))");
	OK("A = 1 OR B = 2 OR C = 3", "(or (or (= A #1) (= B #2)) (= C #3))");
	OK("((A = 1))", "(= A #1)");
	OK("A BETWEEN 1 AND 2 AND B = 3", "(and (between A #1 #2) (= B #3))");

	/* quoting: backquoted names (keywords, spaces), escapes, doubled quotes */
	OK("`Order` = 'x'", "(= Order 'x')");
	OK("`my attr` = 'x'", "(= my attr 'x')");
	OK("A = 'it''s'", "(= A 'it's')");
	OK("A = 'it\\'s'", "(= A 'it's')");
	OK("A = \"say \"\"hi\"\"\"", "(= A 'say \"hi\"')");
	OK("A = ''", "(= A '')");
	OK("A='x'AND B='y'", "(and (= A 'x') (= B 'y'))");
	OK("A = 'é' and B = 1", "(and (= A 'é') (= B #1))");
	OK("TemporalSchedulePaused = true", "(= TemporalSchedulePaused true)");

	/* ORDER BY, GROUP BY, an empty query */
	OK("", "");
	OK("   ", "");
	OK("ORDER BY A", " order A");
	OK("A = 1 ORDER BY A DESC, B asc", "(= A #1) order A desc order B");
	OK("GROUP BY A", " group A");
	OK("A = 1 group by `B`", "(= A #1) group B");
	OK("ORDER BY A GROUP BY B", " order A group B");

	/* each kind of mistake, at its character */
	BAD("A", 2, "expected an operator (=, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS), found end of query");
	BAD("A = ", 5, "expected a value (a quoted string, a number, true or false), found end of query");
	BAD("A = B", 5, "expected a value (a quoted string, a number, true or false), found \"B\"");
	BAD("A = NULL", 5, "expected a value (a quoted string, a number, true or false), found \"NULL\"");
	BAD("= 1", 1, "expected an attribute name, NOT or \"(\", found \"=\"");
	BAD("AND = 1", 1, "expected an attribute name, NOT or \"(\", found \"AND\"");
	BAD("A = 1 B = 2", 7, "expected AND, OR, ORDER BY, GROUP BY or end of query, found \"B\"");
	BAD("(A = 1", 7, "expected AND, OR or \")\", found end of query");
	BAD("A = 1)", 6, "expected AND, OR, ORDER BY, GROUP BY or end of query, found \")\"");
	BAD("A = 'x", 5, "expected the closing ' of the string, found end of query");
	BAD("`A = 1", 1, "expected the closing ` of the name, found end of query");
	BAD("`` = 1", 1, "expected an attribute name, NOT or \"(\", found \"``\"");
	BAD("A IN 1", 6, "expected \"(\", found \"1\"");
	BAD("A IN ()", 7, "expected a value (a quoted string, a number, true or false), found \")\"");
	BAD("A IN (1 2)", 9, "expected \",\" or \")\", found \"2\"");
	BAD("A BETWEEN 1 OR 2", 13, "expected AND, found \"OR\"");
	BAD("A IS 1", 6, "expected NULL or NOT NULL, found \"1\"");
	BAD("A IS NOT 1", 10, "expected NULL, found \"1\"");
	BAD("A NOT = 1", 7, "expected IN, BETWEEN or STARTS_WITH, found \"=\"");
	BAD("A # 1", 3, "expected an operator (=, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS), found \"#\"");
	BAD("é = 1", 1, "expected an attribute name, NOT or \"(\", found \"é\"");
	BAD("A = 'é' AND é", 13, "expected an attribute name, NOT or \"(\", found \"é\"");
	BAD("A ! 1", 3, "expected an operator (=, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS), found \"!\"");
	BAD("ORDER A", 7, "expected BY, found \"A\"");
	BAD("ORDER BY", 9, "expected an attribute name, found end of query");
	BAD("ORDER BY A, ", 13, "expected an attribute name, found end of query");
	BAD("ORDER BY A B", 12, "expected \",\", ASC, DESC, GROUP BY or end of query, found \"B\"");
	BAD("GROUP BY A, B", 11, "expected end of query, found \",\"");
	BAD("GROUP BY A ORDER BY B", 12, "expected end of query, found \"ORDER\"");
	BAD(")", 1, "expected an attribute name, NOT or \"(\", found \")\"");
	BAD("A = 1 AND", 10, "expected an attribute name, NOT or \"(\", found end of query");
	BAD("NOT", 4, "expected an attribute name, NOT or \"(\", found end of query");

	/* limits: nesting, conditions, length, long tokens cut in messages */
	{
		static char buf[QUERY_MAX_LEN + 2];
		int			n = 0;

		for (int i = 0; i < QUERY_MAX_DEPTH + 1; i++)
			buf[n++] = '(';
		strcpy(buf + n, "A = 1");
		BAD(buf, QUERY_MAX_DEPTH + 1, "nesting too deep: the limit is 64 levels");
		n = 0;
		for (int i = 0; i < QUERY_MAX_DEPTH; i++)
			buf[n++] = '(';
		n += sprintf(buf + n, "A = 1");
		for (int i = 0; i < QUERY_MAX_DEPTH; i++)
			buf[n++] = ')';
		buf[n] = '\0';
		OK(buf, "(= A #1)");

		n = 0;
		for (int i = 0; i < 300; i++)
			n += sprintf(buf + n, "%sA = 1", i ? " OR " : "");
		BAD(buf, 1, "too many conditions: the limit is 512");

		memset(buf, ' ', QUERY_MAX_LEN + 1);
		buf[QUERY_MAX_LEN + 1] = '\0';
		BAD(buf, 0, "value of 8193 bytes is longer than the limit of 8192");

		n = sprintf(buf, "A = ");
		memset(buf + n, 'x', 60);
		buf[n + 60] = '\0';
		BAD(buf, 5, "expected a value (a quoted string, a number, true or false), found \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");
	}
	/* the operator's position, for "not supported" messages */
	{
		QueryError err;
		const char *t = "A = 1 AND `é` NOT IN (2) AND C IS NULL";

		if (query_parse(t, strlen(t), &q, &err) && q.nodes[0].op_pos == 3 &&
			q.nodes[1].op_pos == 15 && q.nodes[3].op_pos == 32)
			npassed++;
		else
		{
			nfailed++;
			printf("FAIL op_pos: %d %d %d\n", q.nodes[0].op_pos, q.nodes[1].op_pos,
				   q.nodes[3].op_pos);
		}
	}
	/* a zero byte inside the given length */
	{
		QueryError err;

		if (!query_parse("A = 1\0x", 7, &q, &err) && err.position == 6 &&
			strcmp(err.message, "expected text, found a zero byte") == 0)
			npassed++;
		else
		{
			nfailed++;
			printf("FAIL zero byte: %d %s\n", err.position, err.message);
		}
	}

	printf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed > 0;
}
