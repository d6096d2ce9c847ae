/*
 * sqlfuzz.c: SQL-level fuzzer of pg_sched (issue 5, "Hostile input").
 *
 *	 sqlfuzz [-d CONNINFO] [-s SECONDS] [-r SEED] [-v VECTORS.json]
 *			 [-b MAX_BACKFILL_INTERVAL] [-o FINDINGS_DIR] [REPLAY_FILE...]
 *
 * For SECONDS (default 20), one connection sends random and mutated inputs
 * to the functions that read user documents: sched.validate_spec,
 * sched.next_times, sched.create_schedule, sched.update, both
 * sched.backfill forms, sched.trigger, sched.pause and
 * sched.start_workflow.  Inputs are generated from a grammar of the
 * documents (keys of specs, calendars, actions, policies, states; values
 * from pools of edge cases: field strings, cron strings, durations, times,
 * numbers at type limits, long and odd strings), or are seeds (the spec
 * vectors, -v) mutated structurally (a value replaced by a pool value) or
 * byte by byte (so also malformed JSON, 22P02).  Parameters travel as text
 * and are cast in SQL, so a malformed literal is a clean 22xxx error too.
 *
 * Accepted outcomes: success, SQLSTATE class 22 (bad input), 23505, 40001,
 * 42704, 55000, 54000 (limits).  Anything else (XX000 internal errors, a
 * statement timeout: the work must be bounded, a lost connection: a
 * crash) is a finding: printed with its SQL and parameters ("FINDING"
 * lines) and, with -o, written to FINDINGS_DIR as a replayable file.
 * A replay file is the SQL on its first line, then one parameter per line
 * (as a JSON string, or the bare word null); sqlfuzz FILE... runs them
 * once each and reports their outcome.
 *
 * At the end: the postmaster must not have restarted
 * (pg_postmaster_start_time() unchanged), and every stored schedule must
 * round-trip: sched.validate_spec(spec) returns spec unchanged (stored
 * specs are canonical), sched.describe() works, and sched.update() accepts
 * the described action, spec and policy (inside a rolled-back
 * transaction).  Exit 0 when no finding, 1 otherwise, 2 when it cannot
 * work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAXP 12
#define NIDS 40

/* ---- a growable string ---- */

typedef struct Str
{
	char	   *p;
	size_t		len,
				cap;
} Str;

static void
s_putn(Str *s, const char *t, size_t n)
{
	if (s->len + n + 1 > s->cap)
	{
		s->cap = (s->len + n + 1) * 2;
		s->p = realloc(s->p, s->cap);
	}
	memcpy(s->p + s->len, t, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
s_put(Str *s, const char *t)
{
	s_putn(s, t, strlen(t));
}

static void
s_printf(Str *s, const char *fmt,...)
{
	char		buf[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s_put(s, buf);
}

static void
s_reset(Str *s)
{
	s->len = 0;
	if (s->p)
		s->p[0] = '\0';
	else
		s_putn(s, "", 0);
}

/* JSON string literal of t */
static void
s_json_string(Str *s, const char *t)
{
	s_put(s, "\"");
	for (; *t; t++)
	{
		unsigned char ch = (unsigned char) *t;

		if (ch == '"' || ch == '\\')
			s_printf(s, "\\%c", ch);
		else if (ch < 0x20)
			s_printf(s, "\\u%04x", ch);
		else
			s_putn(s, (const char *) &ch, 1);
	}
	s_put(s, "\"");
}

/* ---- randomness ---- */

static unsigned long long rng_state;

static unsigned int
rnd(unsigned int n)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return n ? (unsigned int) ((rng_state * 2685821657736338717ULL) >> 33) % n : 0;
}

#define PICK(arr) (arr[rnd(sizeof(arr) / sizeof(*(arr)))])

/* ---- pools ---- */

static const char *field_strings[] = {
	"*", "*/15", "*/0", "0", "59", "60", "-1", "1-5", "5-1", "mon-fri", "sun",
	"sat-sun", "jan-mar", "dec", "0-23/2", "1,15,31", "31", "32", "29", "2000",
	"2100", "2101", "1999", "2024,2030-2040/5", "", " ", ",", "1-", "-", "/",
	"*/1", "1/0", "L", "W", "?", "H", "5#3", "7", "8", "0-7", "MON", "foo",
	"1-3,5-7/2", "99999999999999999999", "0x10", "1e3", "\xc3\xa9", "*/60",
	"0-59/59", "1,,2", "\t1"
};

static const char *cron_strings[] = {
	"* * * * *", "*/5 * * * *", "0 9 * * mon-fri", "0 0 1 1 *",
	"0 0 29 2 *", "0 0 30 2 *", "0 0 31 4 *", "* * * * * *",
	"*/10 * 9-17 * * mon-fri *", "0 0 0 1 1 * 2099", "@daily", "@hourly",
	"@weekly", "@monthly", "@yearly", "@annually", "@midnight", "@every 90m",
	"@every 90m/15m", "@every 0s", "@every -1s", "@every 1s", "@every 1000000h",
	"@every 1h/2h", "@every", "@foo", "CRON_TZ=America/New_York 0 9 * * *",
	"TZ=Europe/London 30 1 * * *", "CRON_TZ=Nowhere/City * * * * *",
	"CRON_TZ= * * * * *", "0 12 * * 5#3", "0 0 L * *", "0 0 15W * *",
	"0 0 ? * *", "H * * * *", "* * * *", "* * * * * * * *", "",
	"0 12 * * * # a comment", "60 * * * *", "* 24 * * *", "* * 0 * *",
	"* * * 13 *", "* * * * 8", "0 0 0 1 1 * 1999", "0 0 0 1 1 * 2101",
	"CRON_TZ=UTC @every 1m", "  *  *  *  *  *  ", "*\t*\t*\t*\t*",
	"1-60/0 * * * *"
};

static const char *durations[] = {
	"1", "0", "-1", "1.5", "0.0001", "1e308", "-0", "\"1 second\"",
	"\"PT1S\"", "\"PT0S\"", "\"P1D\"", "\"P1M\"", "\"P1Y\"", "\"1 month\"",
	"\"-1 seconds\"", "\"90 minutes\"", "\"1 day 2 hours\"", "\"PT1.5S\"",
	"\"PT0.0001S\"", "\"99999999 years\"", "\"178000000 years\"",
	"\"2147483647 days\"", "\"PT9999999999999999999H\"", "\"\"", "\"abc\"",
	"\"1h30m\"", "\"infinity\"", "\"1 week\"", "\"P\"", "\"PT\"", "null",
	"true", "[]", "{}", "9223372036854775807", "-9223372036854775808",
	"18446744073709551616", "1e-400", "\"PT1H\"", "\"10s\"", "\"1 ms\"",
	"\"@ 1 second ago\"", "\"00:00:01\"", "\"P0D\""
};

static const char *times[] = {
	"\"2025-06-01T00:00:00Z\"", "\"2000-01-01T00:00:00Z\"",
	"\"1999-12-31T23:59:59Z\"", "\"2100-12-31T23:59:59Z\"",
	"\"2101-01-01T00:00:00Z\"", "\"2025-02-29T00:00:00Z\"",
	"\"2024-02-29T12:00:00+14:00\"", "\"2024-02-29T12:00:00-12:00\"",
	"\"2024-03-10T02:30:00-05:00\"", "\"2025-06-01T00:00:00\"",
	"\"2025-06-01\"", "\"infinity\"", "\"-infinity\"", "\"epoch\"",
	"\"now\"", "\"\"", "\"2025-06-01T24:00:00Z\"",
	"\"2025-06-01T00:00:00.999999Z\"", "\"2025-06-01T00:00:00.5Z\"",
	"\"294276-12-31T23:59:59Z\"", "\"4714-11-24T00:00:00Z BC\"",
	"\"2025-13-01T00:00:00Z\"", "\"2025-06-01T00:00:60Z\"", "0", "null",
	"1700000000", "\"2025-06-01T00:00:00+99:00\""
};

static const char *ts_literals[] = {
	"2025-06-01 00:00Z", "2000-01-01 00:00Z", "1999-12-31 23:59:59Z",
	"2100-12-31 23:59:59Z", "2101-01-01Z", "infinity", "-infinity", "epoch",
	"now", "2024-03-10 02:30 America/New_York", "294276-12-31 23:59:59Z",
	"4714-11-24 00:00:00Z BC", "2025-06-01 00:00:00.5Z", "garbage", "",
	"2025-02-30", "2026-11-25 12:00Z"
};

static const char *interval_literals[] = {
	"1 second", "0", "-1 second", "1 month", "1 year", "178000000 years",
	"PT1S", "P1D", "infinity", "garbage", "", "10 minutes", "1 day 2 hours",
	"-178000000 years", "0.000001 seconds", "2147483647 days", "1 week"
};

static const char *zones[] = {
	"\"UTC\"", "\"utc\"", "\"Etc/UTC\"", "\"America/New_York\"",
	"\"Europe/London\"", "\"Pacific/Chatham\"", "\"Australia/Lord_Howe\"",
	"\"Asia/Kolkata\"", "\"Nowhere/City\"", "\"\"", "\"../../etc/passwd\"",
	"\"EST5EDT\"", "\"+05:30\"", "\"UTC+3\"", "\"posixrules\"", "\"localtime\"",
	"null", "1"
};

static const char *overlap_names[] = {
	"skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other",
	"allow_all", "SKIP", "Allow_All", "none", "", "unspecified",
	"OVERLAP_POLICY_SKIP", "buffer"
};

static const char *odd_strings[] = {
	"x", "", " ", "'", "\"", "\\", ";", "'; DROP TABLE sched.schedules; --",
	"\xe2\x98\x83", "\xf0\x9f\x98\x80", "a\tb", "a\nb", "%s%n", "$1",
	"null", "0", "-", "\xc3\xa9t\xc3\xa9"
};

static const char *spec_keys[] = {
	"calendars", "cron_expressions", "intervals", "skip", "start_at", "end_at",
	"jitter", "time_zone_name", "structured_calendar", "calendar", "Calendars",
	"", "timezone"
};

static const char *calendar_keys[] = {
	"second", "minute", "hour", "day_of_month", "month", "year",
	"day_of_week", "comment", "seconds", "dayOfWeek"
};

/* ---- generators ---- */

static void gen_value(Str *s, int depth);

static void
gen_long_string(Str *s)
{
	size_t		n = rnd(3) == 0 ? 1100000 : 999 + rnd(4);
	char	   *t = malloc(n + 1);

	memset(t, rnd(2) ? 'a' : '*', n);
	t[n] = '\0';
	s_json_string(s, t);
	free(t);
}

static void
gen_string(Str *s)
{
	switch (rnd(8))
	{
		case 0:
			s_json_string(s, PICK(field_strings));
			break;
		case 1:
			s_json_string(s, PICK(cron_strings));
			break;
		case 2:
			s_put(s, PICK(durations));
			break;
		case 3:
			s_put(s, PICK(times));
			break;
		case 4:
			if (rnd(20) == 0)
				gen_long_string(s);
			else
				s_json_string(s, PICK(odd_strings));
			break;
		default:
			s_json_string(s, PICK(overlap_names));
	}
}

static void
gen_number(Str *s)
{
	static const char *nums[] = {
		"0", "1", "-1", "59", "60", "23", "24", "31", "32", "12", "13", "7",
		"2000", "2100", "2101", "1999", "2147483647", "2147483648",
		"-2147483649", "9223372036854775807", "9223372036854775808",
		"1e308", "1e309", "-1e309", "0.5", "1.0", "1e2", "-0", "3.0000000001",
		"100000", "100001", "1000", "1001"
	};

	s_put(s, PICK(nums));
}

static void
gen_value(Str *s, int depth)
{
	int			i,
				n;

	switch (depth > 3 ? rnd(4) : rnd(7))
	{
		case 0:
			gen_number(s);
			break;
		case 1:
		case 2:
			gen_string(s);
			break;
		case 3:
			s_put(s, rnd(3) == 0 ? "null" : rnd(2) ? "true" : "false");
			break;
		case 4:
			n = rnd(4);
			s_put(s, "[");
			for (i = 0; i < n; i++)
			{
				if (i)
					s_put(s, ",");
				gen_value(s, depth + 1);
			}
			s_put(s, "]");
			break;
		default:
			n = rnd(4);
			s_put(s, "{");
			for (i = 0; i < n; i++)
			{
				if (i)
					s_put(s, ",");
				s_json_string(s, rnd(2) ? PICK(calendar_keys) : PICK(spec_keys));
				s_put(s, ":");
				gen_value(s, depth + 1);
			}
			s_put(s, "}");
	}
}

static void
gen_range_list(Str *s)
{
	int			i,
				n = 1 + rnd(3);

	s_put(s, "[");
	for (i = 0; i < n; i++)
	{
		if (i)
			s_put(s, ",");
		s_put(s, "{\"start\":");
		gen_number(s);
		if (rnd(2))
		{
			s_put(s, ",\"end\":");
			gen_number(s);
		}
		if (rnd(3) == 0)
		{
			s_put(s, ",\"step\":");
			gen_number(s);
		}
		s_put(s, "}");
	}
	s_put(s, "]");
}

static void
gen_calendar(Str *s)
{
	int			i,
				n = rnd(5),
				first = 1;

	s_put(s, "{");
	for (i = 0; i < n; i++)
	{
		const char *k = PICK(calendar_keys);

		if (!first)
			s_put(s, ",");
		first = 0;
		s_json_string(s, k);
		s_put(s, ":");
		if (strcmp(k, "comment") == 0)
			gen_string(s);
		else if (rnd(8) == 0)
			gen_value(s, 2);
		else if (rnd(2))
			s_json_string(s, PICK(field_strings));
		else if (rnd(2))
			gen_range_list(s);
		else
			gen_number(s);
	}
	s_put(s, "}");
}

static void
gen_list(Str *s, void (*item) (Str *))
{
	int			i,
				n = rnd(4);

	s_put(s, "[");
	for (i = 0; i < n; i++)
	{
		if (i)
			s_put(s, ",");
		item(s);
	}
	s_put(s, "]");
}

static void
gen_cron(Str *s)
{
	if (rnd(3))
		s_json_string(s, PICK(cron_strings));
	else
	{
		/* assembled from field strings */
		Str			c = {0};
		int			i,
					n = 4 + rnd(5);

		s_reset(&c);
		if (rnd(5) == 0)
			s_put(&c, "CRON_TZ=Europe/Paris ");
		for (i = 0; i < n; i++)
		{
			if (i)
				s_put(&c, " ");
			s_put(&c, PICK(field_strings));
		}
		if (rnd(6) == 0)
			s_put(&c, " # comment");
		s_json_string(s, c.p);
		free(c.p);
	}
}

static void
gen_interval(Str *s)
{
	s_put(s, "{\"every\":");
	s_put(s, PICK(durations));
	if (rnd(2))
	{
		s_put(s, ",\"offset\":");
		s_put(s, PICK(durations));
	}
	s_put(s, "}");
}

static void
gen_spec(Str *s)
{
	int			first = 1;

#define KEY(k) do { if (!first) s_put(s, ","); first = 0; s_put(s, "\"" k "\":"); } while (0)
	s_put(s, "{");
	if (rnd(2))
	{
		KEY("calendars");
		gen_list(s, gen_calendar);
	}
	if (rnd(2))
	{
		KEY("cron_expressions");
		gen_list(s, gen_cron);
	}
	if (rnd(2))
	{
		KEY("intervals");
		gen_list(s, gen_interval);
	}
	if (rnd(4) == 0)
	{
		KEY("skip");
		gen_list(s, gen_calendar);
	}
	if (rnd(4) == 0)
	{
		KEY("start_at");
		s_put(s, PICK(times));
	}
	if (rnd(4) == 0)
	{
		KEY("end_at");
		s_put(s, PICK(times));
	}
	if (rnd(4) == 0)
	{
		KEY("jitter");
		s_put(s, PICK(durations));
	}
	if (rnd(3) == 0)
	{
		KEY("time_zone_name");
		s_put(s, PICK(zones));
	}
	if (rnd(15) == 0)
	{
		if (!first)
			s_put(s, ",");
		first = 0;
		s_json_string(s, PICK(spec_keys));
		s_put(s, ":");
		gen_value(s, 1);
	}
	s_put(s, "}");
}

static void
gen_retry(Str *s)
{
	s_put(s, "{");
	switch (rnd(6))
	{
		case 0:
			s_put(s, "\"initial_interval\":");
			s_put(s, PICK(durations));
			break;
		case 1:
			s_put(s, "\"backoff_coefficient\":");
			gen_number(s);
			break;
		case 2:
			s_put(s, "\"maximum_interval\":");
			s_put(s, PICK(durations));
			break;
		case 3:
			s_put(s, "\"maximum_attempts\":");
			gen_number(s);
			break;
		case 4:
			s_put(s, "\"non_retryable_error_types\":");
			gen_value(s, 2);
			break;
		default:
			break;
	}
	s_put(s, "}");
}

static void
gen_action(Str *s)
{
	s_put(s, "{\"workflow\":");
	if (rnd(10))
		s_put(s, "\"W\"");
	else
		gen_value(s, 2);
	s_put(s, ",\"id\":");
	if (rnd(10))
		s_printf(s, "\"fz-%u\"", rnd(100));
	else
		gen_string(s);
	s_put(s, ",\"task_queue\":");
	if (rnd(10))
		s_put(s, "\"fuzz\"");
	else
		gen_string(s);
	if (rnd(3) == 0)
	{
		s_put(s, ",\"args\":");
		gen_value(s, 1);
	}
	if (rnd(5) == 0)
	{
		s_put(s, ",\"memo\":");
		gen_value(s, 1);
	}
	if (rnd(5) == 0)
	{
		s_put(s, rnd(2) ? ",\"run_timeout\":" : ",\"execution_timeout\":");
		s_put(s, PICK(durations));
	}
	if (rnd(5) == 0)
	{
		s_put(s, ",\"retry_policy\":");
		gen_retry(s);
	}
	if (rnd(20) == 0)
	{
		s_put(s, rnd(2) ? ",\"cron_schedule\":" : ",\"start_delay\":");
		gen_string(s);
	}
	s_put(s, "}");
}

static void
gen_policy(Str *s)
{
	s_put(s, "{");
	if (rnd(2))
	{
		s_put(s, "\"overlap\":");
		s_json_string(s, PICK(overlap_names));
		s_put(s, ",");
	}
	s_put(s, "\"catchup_window\":");
	s_put(s, PICK(durations));
	if (rnd(3) == 0)
	{
		s_put(s, ",\"pause_on_failure\":");
		gen_value(s, 3);
	}
	s_put(s, "}");
}

static void
gen_state(Str *s)
{
	s_put(s, "{\"paused\":");
	s_put(s, rnd(2) ? "true" : "false");
	if (rnd(2))
	{
		s_put(s, ",\"note\":");
		gen_string(s);
	}
	if (rnd(2))
	{
		s_put(s, ",\"limited_actions\":");
		s_put(s, rnd(2) ? "true" : "false");
		s_put(s, ",\"remaining_actions\":");
		gen_number(s);
	}
	s_put(s, "}");
}

/* A schedule document: parts left out or replaced at random. */
static void
gen_schedule(Str *s, int for_update)
{
	int			first = 1;

	s_put(s, "{");
	if (!for_update || rnd(2))
	{
		KEY("action");
		gen_action(s);
	}
	if (!for_update || rnd(2))
	{
		KEY("spec");
		/* mostly valid and not too busy: a far start, or a real spec */
		if (rnd(3) == 0)
			s_put(s, "{\"intervals\": [{\"every\": 1}], \"start_at\": \"2099-01-01T00:00:00Z\"}");
		else
			gen_spec(s);
	}
	if (rnd(2))
	{
		KEY("policy");
		gen_policy(s);
	}
	if (rnd(2))
	{
		KEY("state");
		gen_state(s);
	}
	if (rnd(20) == 0)
	{
		KEY("extra");
		gen_value(s, 1);
	}
	s_put(s, "}");
#undef KEY
}

/* ---- seeds and mutation ---- */

static char **seeds;
static int	nseeds;

/* replace one JSON scalar token of t by a pool value (structure kept) */
static void
mutate_structural(Str *out, const char *t)
{
	size_t		n = strlen(t),
				i,
				start = 0,
				end = 0;
	int			count = 0,
				target;

	/* count scalar tokens: strings and numbers */
	for (i = 0; i < n; i++)
	{
		if (t[i] == '"')
		{
			count++;
			for (i++; i < n && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
		}
		else if ((t[i] >= '0' && t[i] <= '9') || t[i] == '-')
		{
			count++;
			while (i + 1 < n && strchr("0123456789.eE+-", t[i + 1]))
				i++;
		}
	}
	if (count == 0)
	{
		s_put(out, t);
		return;
	}
	target = rnd(count);
	count = 0;
	for (i = 0; i < n; i++)
	{
		size_t		b = i;

		if (t[i] == '"')
		{
			for (i++; i < n && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
		}
		else if ((t[i] >= '0' && t[i] <= '9') || t[i] == '-')
		{
			while (i + 1 < n && strchr("0123456789.eE+-", t[i + 1]))
				i++;
		}
		else
			continue;
		if (count++ == target)
		{
			start = b;
			end = i + 1 <= n ? i + 1 : n;
			break;
		}
	}
	s_putn(out, t, start);
	if (end + 1 < n && t[end] == ':' && rnd(2))
		s_json_string(out, rnd(2) ? PICK(calendar_keys) : PICK(spec_keys));
	else
		gen_value(out, 2);
	s_put(out, t + end);
}

/* byte-level mutation: the result may be malformed JSON */
static void
mutate_bytes(Str *out, const char *t)
{
	Str			tmp = {0};
	int			k,
				rounds = 1 + rnd(4);

	s_reset(&tmp);
	s_put(&tmp, t);
	for (k = 0; k < rounds && tmp.len > 0; k++)
	{
		size_t		pos = rnd((unsigned int) tmp.len);
		Str			n = {0};

		s_reset(&n);
		switch (rnd(5))
		{
			case 0:				/* flip */
				tmp.p[pos] ^= (char) (1 << rnd(7));
				if (tmp.p[pos] == '\0')
					tmp.p[pos] = '1';
				continue;
			case 1:				/* delete a span */
				s_putn(&n, tmp.p, pos);
				s_put(&n, tmp.p + pos + (rnd(4) < tmp.len - pos ? rnd(4) : 0));
				break;
			case 2:				/* insert a token */
				{
					static const char *toks[] = {
						"\"", "{", "}", "[", "]", ",", ":", "-", "*", "/", " ", "0",
						"99", "\\u0000", "\\ud800", "\xff", "null", "\"*\""
					};

					s_putn(&n, tmp.p, pos);
					s_put(&n, PICK(toks));
					s_put(&n, tmp.p + pos);
					break;
				}
			case 3:				/* duplicate a span */
				{
					size_t		len = 1 + rnd(16);

					if (pos + len > tmp.len)
						len = tmp.len - pos;
					s_putn(&n, tmp.p, pos + len);
					s_put(&n, tmp.p + pos);
					break;
				}
			default:			/* structural */
				mutate_structural(&n, tmp.p);
				break;
		}
		free(tmp.p);
		tmp = n;
	}
	s_put(out, tmp.p);
	free(tmp.p);
}

static void
spec_input(Str *s)
{
	s_reset(s);
	if (nseeds > 0 && rnd(2))
	{
		const char *seed = seeds[rnd(nseeds)];

		if (rnd(4) == 0)
			mutate_bytes(s, seed);
		else
			mutate_structural(s, seed);
	}
	else if (rnd(8) == 0)
	{
		Str			t = {0};

		s_reset(&t);
		gen_spec(&t);
		mutate_bytes(s, t.p);
		free(t.p);
	}
	else
		gen_spec(s);
}

/* ---- execution and bookkeeping ---- */

static PGconn *conn;
static const char *conninfo = "";
static const char *findings_dir;
static const char *backfill_cap;	/* -b: longest backfill range */
static long executions;
static long findings;
static long n_ok;

typedef struct StateCount
{
	char		state[6];
	long		count;
} StateCount;

static StateCount states[64];
static int	nstates;

static void
count_state(const char *st)
{
	int			i;

	for (i = 0; i < nstates; i++)
		if (strcmp(states[i].state, st) == 0)
			break;
	if (i == nstates)
	{
		if (nstates == 64)
			return;
		snprintf(states[nstates++].state, 6, "%s", st);
	}
	states[i].count++;
}

static int
accepted(const char *st)
{
	return strncmp(st, "22", 2) == 0 || strcmp(st, "23505") == 0 ||
		strcmp(st, "40001") == 0 || strcmp(st, "42704") == 0 ||
		strcmp(st, "55000") == 0 || strcmp(st, "54000") == 0;
}

static void
connect_db(void)
{
	PGresult   *res;

	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "sqlfuzz: connection failed: %s", PQerrorMessage(conn));
		exit(2);
	}
	res = PQexec(conn, "SET client_min_messages = warning; SET statement_timeout = '10s'; "
				 "SET timezone = 'UTC'");
	PQclear(res);
}

static void
save_finding(const char *sql, int np, const char *const *params, const char *what)
{
	Str			f = {0};
	int			i;

	s_reset(&f);
	s_put(&f, sql);
	s_put(&f, "\n");
	for (i = 0; i < np; i++)
	{
		if (params[i])
			s_json_string(&f, params[i]);
		else
			s_put(&f, "null");
		s_put(&f, "\n");
	}
	printf("FINDING %s\n%s", what, f.len > 4000 ? "(input longer than 4000 bytes, see the file)\n" : f.p);
	if (findings_dir)
	{
		char		path[1024];
		FILE	   *fp;

		snprintf(path, sizeof(path), "%s/finding-%ld-%d", findings_dir,
				 (long) time(NULL), (int) rnd(1000000));
		fp = fopen(path, "w");
		if (fp)
		{
			fputs(f.p, fp);
			fclose(fp);
			printf("  saved as %s\n", path);
		}
	}
	free(f.p);
}

/* Runs one input; returns 1 on success. */
static int
exec(const char *sql, int np, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, np, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	const char *state;
	int			good = 0;

	executions++;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
	{
		n_ok++;
		count_state("ok");
		PQclear(res);
		return 1;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		char		what[512];

		snprintf(what, sizeof(what), "connection lost (server crash?): %s",
				 PQerrorMessage(conn));
		findings++;
		count_state("conn");
		save_finding(sql, np, params, what);
		PQclear(res);
		PQfinish(conn);
		sleep(2);
		connect_db();
		return 0;
	}
	count_state(state);
	if (!accepted(state))
	{
		char		what[1024];

		snprintf(what, sizeof(what), "SQLSTATE %s: %s", state,
				 PQresultErrorMessage(res));
		findings++;
		save_finding(sql, np, params, what);
	}
	else
		good = 0;
	PQclear(res);
	return good;
}

/*
 * A backfill range as jsonb.  With -b, the ranges stay short (dense specs
 * over decades are unbounded work: see the README of this directory).
 */
static void
gen_backfill_range(Str *s)
{
	static const char *near[] = {
		"\"2025-06-01T00:00:00Z\"", "\"2025-06-01T00:10:00Z\"",
		"\"2025-05-31T23:00:00Z\"", "\"2025-06-01T00:00:00.5Z\"",
		"\"2025-06-01T00:00:00+14:00\"", "\"garbage\"", "null", "0"
	};

	s_put(s, "{\"start_at\":");
	s_put(s, backfill_cap ? PICK(near) : PICK(times));
	s_put(s, ",\"end_at\":");
	s_put(s, backfill_cap ? PICK(near) : PICK(times));
	if (rnd(2))
	{
		s_put(s, ",\"overlap\":");
		if (rnd(4))
			s_json_string(s, PICK(overlap_names));
		else
			gen_string(s);
	}
	s_put(s, "}");
}

static const char *
random_ts(void)
{
	return rnd(10) == 0 ? NULL : PICK(ts_literals);
}

static const char *
random_interval(void)
{
	return rnd(3) == 0 ? NULL : PICK(interval_literals);
}

static void
fuzz_one(void)
{
	Str			a = {0},
				b = {0};
	const char *p[MAXP];
	char		id[64],
				num[32];
	int			target = rnd(20);

	s_reset(&a);
	s_reset(&b);
	snprintf(id, sizeof(id), "fz-%u", rnd(NIDS));
	if (target < 5)
	{
		spec_input(&a);
		p[0] = a.p;
		exec("SELECT sched.validate_spec($1::jsonb)", 1, p);
	}
	else if (target < 8)
	{
		static const char *counts[] = {
			"1", "10", "0", "-1", "100000", "100001", "2147483647", "3"
		};

		spec_input(&a);
		p[0] = a.p;
		p[1] = random_ts();
		p[2] = PICK(counts);
		exec("SELECT count(*) FROM sched.next_times($1::jsonb, coalesce($2::timestamptz, now()), $3::int)",
			 3, p);
	}
	else if (target < 12)
	{
		gen_schedule(&a, 0);
		if (rnd(5) == 0)
		{
			Str			m = {0};

			s_reset(&m);
			mutate_structural(&m, a.p);
			free(a.p);
			a = m;
		}
		p[0] = rnd(15) == 0 ? PICK(odd_strings) : id;
		p[1] = a.p;
		p[2] = rnd(4) == 0 ? "true" : "false";
		if (rnd(4) == 0)
		{
			s_put(&b, "[");
			gen_backfill_range(&b);
			s_put(&b, "]");
			p[3] = b.p;
		}
		else
			p[3] = NULL;
		exec("SELECT sched.create_schedule($1, $2::jsonb, $3::boolean, coalesce($4::jsonb, '[]'))",
			 4, p);
	}
	else if (target < 14)
	{
		gen_schedule(&a, 1);
		p[0] = id;
		p[1] = a.p;
		exec("SELECT sched.update($1, $2::jsonb)", 2, p);
	}
	else if (target < 15)
	{
		p[0] = id;
		p[1] = PICK(ts_literals);
		p[2] = PICK(ts_literals);
		p[3] = rnd(2) ? PICK(overlap_names) : NULL;
		p[4] = backfill_cap;
		exec(backfill_cap ?
			 "SELECT sched.backfill($1, $2::timestamptz, "
			 "least($3::timestamptz, $2::timestamptz + $5::interval), $4)" :
			 "SELECT sched.backfill($1, $2::timestamptz, $3::timestamptz, $4)",
			 backfill_cap ? 5 : 4, p);
	}
	else if (target < 16)
	{
		if (rnd(2))
		{
			s_put(&a, "[");
			gen_backfill_range(&a);
			if (rnd(3) == 0)
			{
				s_put(&a, ",");
				gen_backfill_range(&a);
			}
			s_put(&a, "]");
		}
		else
			gen_value(&a, 0);
		p[0] = id;
		p[1] = a.p;
		exec("SELECT sched.backfill($1, $2::jsonb)", 2, p);
	}
	else if (target < 17)
	{
		p[0] = id;
		p[1] = rnd(3) ? NULL : PICK(overlap_names);
		if (rnd(2))
			exec("SELECT sched.trigger($1, $2)", 2, p);
		else
		{
			s_reset(&a);
			if (rnd(3) == 0)
				gen_long_string(&a);
			else
				gen_string(&a);
			p[1] = a.p;			/* a JSON-quoted string: fine as a note */
			exec(rnd(2) ? "SELECT sched.pause($1, $2)" : "SELECT sched.unpause($1, $2)", 2, p);
		}
	}
	else if (target < 18)
	{
		p[0] = id;
		exec("SELECT sched.delete($1)", 1, p);
	}
	else
	{
		static const char *reuse[] = {
			"allow_duplicate", "allow_duplicate_failed_only", "reject_duplicate",
			"terminate_if_running", "", "ALLOW_DUPLICATE"
		};
		static const char *conflict[] = {
			"fail", "use_existing", "terminate_existing", "", "FAIL", "nope"
		};

		snprintf(num, sizeof(num), "wf-%u", rnd(30));
		p[0] = rnd(10) ? "W" : PICK(odd_strings);
		p[1] = rnd(10) ? num : PICK(odd_strings);
		p[2] = rnd(10) ? "fuzz" : PICK(odd_strings);
		if (rnd(3) == 0)
		{
			gen_value(&a, 1);
			p[3] = a.p;
		}
		else
			p[3] = NULL;
		p[4] = rnd(3) == 0 ? PICK(cron_strings) : NULL;
		p[5] = random_interval();
		p[6] = rnd(3) == 0 ? PICK(reuse) : NULL;
		p[7] = rnd(3) == 0 ? PICK(conflict) : NULL;
		p[8] = rnd(2) ? random_interval() : NULL;
		p[9] = rnd(2) ? random_interval() : NULL;
		if (rnd(3) == 0)
		{
			gen_retry(&b);
			p[10] = b.p;
		}
		else
			p[10] = NULL;
		p[11] = NULL;
		exec("SELECT sched.start_workflow($1, $2, $3, coalesce($4::jsonb, '[]'), $5, $6::interval, "
			 "coalesce($7, 'allow_duplicate'), coalesce($8, 'fail'), $9::interval, $10::interval, "
			 "$11::jsonb, $12::jsonb)", 12, p);
	}
	free(a.p);
	free(b.p);
}

/* the spec vectors' specs, as JSON texts, become seeds */
static void
load_vectors(const char *path)
{
	FILE	   *fp = fopen(path, "r");
	Str			text = {0};
	char		buf[8192];
	size_t		n;
	PGresult   *res;
	const char *p[1];
	int			i;

	if (!fp)
	{
		fprintf(stderr, "sqlfuzz: cannot open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	s_reset(&text);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		s_putn(&text, buf, n);
	fclose(fp);
	p[0] = text.p;
	res = PQexecParams(conn,
					   "SELECT v->>'spec' FROM jsonb_array_elements($1::jsonb) v "
					   "WHERE v ? 'spec'", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "sqlfuzz: cannot read %s: %s", path, PQresultErrorMessage(res));
		exit(2);
	}
	nseeds = PQntuples(res);
	seeds = calloc(nseeds + 1, sizeof(char *));
	for (i = 0; i < nseeds; i++)
		seeds[i] = strdup(PQgetvalue(res, i, 0));
	PQclear(res);
	free(text.p);
}

/* a replay file: SQL on the first line, then one parameter per line */
static void
replay(const char *path)
{
	FILE	   *fp = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	char	   *sql = NULL;
	char	   *params[MAXP];
	int			np = 0;
	PGresult   *res;

	if (!fp)
	{
		fprintf(stderr, "sqlfuzz: cannot open %s\n", path);
		exit(2);
	}
	while ((len = getline(&line, &cap, fp)) > 0)
	{
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (sql == NULL)
			sql = strdup(line);
		else if (np < MAXP)
		{
			if (strcmp(line, "null") == 0)
				params[np++] = NULL;
			else
			{
				/* decode the JSON string with the server */
				const char *q[1] = {line};

				res = PQexecParams(conn, "SELECT $1::jsonb #>> '{}'", 1, NULL, q, NULL, NULL, 0);
				params[np++] = strdup(PQgetvalue(res, 0, 0));
				PQclear(res);
			}
		}
	}
	fclose(fp);
	free(line);
	printf("replay %s\n", path);
	exec(sql, np, (const char *const *) params);
}

/* every stored schedule round-trips */
static int
check_schedules(void)
{
	PGresult   *res,
			   *r2;
	int			i,
				bad = 0;

	res = PQexec(conn, "SELECT schedule_id FROM sched.schedules ORDER BY 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		printf("FAIL cannot list schedules: %s", PQresultErrorMessage(res));
		PQclear(res);
		return 1;
	}
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *p[1] = {PQgetvalue(res, i, 0)};

		r2 = PQexecParams(conn,
						  "SELECT sched.validate_spec(spec) = spec, sched.describe(schedule_id) IS NOT NULL "
						  "FROM sched.schedules WHERE schedule_id = $1", 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(r2) != PGRES_TUPLES_OK || PQntuples(r2) != 1 ||
			strcmp(PQgetvalue(r2, 0, 0), "t") != 0 || strcmp(PQgetvalue(r2, 0, 1), "t") != 0)
		{
			printf("FAIL stored schedule %s does not round-trip (validate_spec, describe): %s\n",
				   p[0], PQresultErrorMessage(r2));
			bad++;
		}
		PQclear(r2);
		PQclear(PQexec(conn, "BEGIN"));
		r2 = PQexecParams(conn,
						  "SELECT sched.update($1, jsonb_build_object('action', d->'schedule'->'action', "
						  "'spec', d->'schedule'->'spec', 'policy', d->'schedule'->'policy')) "
						  "FROM sched.describe($1) d", 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(r2) != PGRES_TUPLES_OK)
		{
			printf("FAIL the described document of %s is refused by update: %s",
				   p[0], PQresultErrorMessage(r2));
			bad++;
		}
		PQclear(r2);
		PQclear(PQexec(conn, "ROLLBACK"));
	}
	printf("stored schedules checked: %d, not round-tripping: %d\n", PQntuples(res), bad);
	PQclear(res);
	return bad;
}

int
main(int argc, char **argv)
{
	int			opt,
				seconds = 20,
				i,
				bad = 0;
	unsigned long long seed = (unsigned long long) time(NULL);
	const char *vectors = NULL;
	char		start_time[64];
	PGresult   *res;
	time_t		t0,
				end;

	while ((opt = getopt(argc, argv, "d:s:r:v:o:b:")) != -1)
	{
		switch (opt)
		{
			case 'd':
				conninfo = optarg;
				break;
			case 's':
				seconds = atoi(optarg);
				break;
			case 'r':
				seed = strtoull(optarg, NULL, 10);
				break;
			case 'v':
				vectors = optarg;
				break;
			case 'b':
				backfill_cap = optarg;
				break;
			case 'o':
				findings_dir = optarg;
				mkdir(findings_dir, 0755);
				break;
			default:
				fprintf(stderr, "usage: sqlfuzz [-d conninfo] [-s seconds] [-r seed] [-v vectors.json] [-b interval] [-o dir] [replay files]\n");
				return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	connect_db();
	res = PQexec(conn, "SELECT pg_postmaster_start_time()");
	snprintf(start_time, sizeof(start_time), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	if (optind < argc)
	{
		for (i = optind; i < argc; i++)
			replay(argv[i]);
	}
	else
	{
		if (vectors)
			load_vectors(vectors);
		printf("seed %llu, %d s, %d seed specs\n", seed, seconds, nseeds);
		t0 = time(NULL);
		end = t0 + seconds;
		while (time(NULL) < end)
			fuzz_one();
		printf("executions %ld in %ld s (%.0f/s), succeeded %ld\n", executions,
			   (long) (time(NULL) - t0), executions / (double) (time(NULL) - t0 + (time(NULL) == t0)),
			   n_ok);
	}
	printf("outcomes:");
	for (i = 0; i < nstates; i++)
		printf(" %s:%ld", states[i].state, states[i].count);
	printf("\n");

	res = PQexec(conn, "SELECT pg_postmaster_start_time()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || strcmp(PQgetvalue(res, 0, 0), start_time) != 0)
	{
		printf("FAIL the postmaster restarted (start time %s, now %s)\n", start_time,
			   PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "?");
		bad++;
	}
	PQclear(res);
	bad += check_schedules();
	printf("%s: %ld findings, %d check failures\n", findings || bad ? "FAIL" : "PASS",
		   findings, bad);
	PQfinish(conn);
	return findings || bad ? 1 : 0;
}
