/*-------------------------------------------------------------------------
 *
 * cron.c
 *	  Cron expressions, turned into a calendar or an interval.
 *
 * SEMANTICS.md 1.2: an optional TZ=/CRON_TZ= prefix, a '#' comment after
 * white space, @shorthands, "@every <duration>[/<offset>]", and 5, 6 or 7
 * fields (5 = minute hour day_of_month month day_of_week; 6 adds year; 7 is
 * second ... year).  Day-of-month and day-of-week combine with AND, as in
 * calendars.  With SPEC_CRON_STANDARD (workflow cron_schedule) only 5 fields
 * are taken, '?' means '*', and both day fields restricted combine with OR,
 * as standard cron does.
 *
 * Positions in errors count characters of the original string, so the glue
 * can point at the offending character whatever was trimmed first.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <string.h>

#include "spec.h"

static const struct
{
	const char *name;
	const char *fields;
}			shorthands[] =
{
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

bool
spec_parse_go_duration(const char *str, size_t len, int64_t *ms,
					   SpecError *err)
{
	static const struct
	{
		const char *unit;
		int64_t		ns;
	}			units[] =
	{
		{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"ms", 1000000},
		{"s", 1000000000}, {"m", INT64_C(60000000000)},
		{"h", INT64_C(3600000000000)}, {"d", INT64_C(86400000000000)},
	};
	const char *p = str;
	const char *end = str + len;
	/* at most about 100 years, to keep every product below INT64_MAX */
	const int64_t max_ns = INT64_C(3153600000) * 1000000000;
	int64_t		total = 0;

	if (len == 0)
		return spec_error(err, SPEC_ERR_SYNTAX, -1, 1, "missing duration");
	while (p < end)
	{
		const char *num = p;
		int64_t		whole = 0;
		int64_t		frac = 0;
		int64_t		frac_scale = 1;
		size_t		ulen;
		int			u;

		while (p < end && isdigit((unsigned char) *p))
		{
			if (whole > max_ns / 10)
				return spec_error(err, SPEC_ERR_RANGE, -1, (int) (num - str) + 1,
								  "duration \"%.*s\" is too long", (int) len, str);
			whole = whole * 10 + (*p++ - '0');
		}
		if (p < end && *p == '.')
		{
			p++;
			/* nine digits reach nanoseconds of any unit; ignore the rest */
			while (p < end && isdigit((unsigned char) *p))
			{
				if (frac_scale < INT64_C(1000000000))
				{
					frac = frac * 10 + (*p - '0');
					frac_scale *= 10;
				}
				p++;
			}
		}
		if (p == num || (p == num + 1 && *num == '.'))
			return spec_error(err, SPEC_ERR_SYNTAX, -1, (int) (num - str) + 1,
							  "invalid duration \"%.*s\": expected a number",
							  (int) len, str);
		for (ulen = 0; p + ulen < end && !isdigit((unsigned char) p[ulen]) &&
			 p[ulen] != '.'; ulen++)
			;
		for (u = 0; u < (int) (sizeof(units) / sizeof(units[0])); u++)
			if (strlen(units[u].unit) == ulen &&
				memcmp(units[u].unit, p, ulen) == 0)
				break;
		if (u == (int) (sizeof(units) / sizeof(units[0])))
			return spec_error(err, SPEC_ERR_SYNTAX, -1, (int) (p - str) + 1,
							  ulen ? "invalid duration \"%.*s\": unknown unit"
							  : "invalid duration \"%.*s\": missing unit (s, m, h or d)",
							  (int) len, str);
		if (whole > max_ns / units[u].ns)
			return spec_error(err, SPEC_ERR_RANGE, -1, (int) (num - str) + 1,
							  "duration \"%.*s\" is too long", (int) len, str);
		/* frac < frac_scale <= 1e9: neither product can overflow */
		total += whole * units[u].ns + frac * (units[u].ns / frac_scale) +
			(frac * (units[u].ns % frac_scale)) / frac_scale;
		if (total > max_ns)
			return spec_error(err, SPEC_ERR_RANGE, -1, (int) (num - str) + 1,
							  "duration \"%.*s\" is too long", (int) len, str);
		p += ulen;
	}
	if (total % 1000000 != 0)
		return spec_error(err, SPEC_ERR_RANGE, -1, 1,
						  "duration \"%.*s\" is not a whole number of milliseconds",
						  (int) len, str);
	*ms = total / 1000000;
	return true;
}

/* "@every <every>[/<offset>]": the text after "@every", positions from base. */
static bool
parse_every(const char *s, size_t len, int base, SpecCron *out,
			SpecError *err)
{
	const char *slash = memchr(s, '/', len);
	size_t		elen = slash ? (size_t) (slash - s) : len;
	int64_t		every_ms,
				offset_ms = 0;

	if (len == 0)
		return spec_error(err, SPEC_ERR_SYNTAX, -1, base,
						  "@every requires a duration, e.g. \"@every 90m\"");
	if (!spec_parse_go_duration(s, elen, &every_ms, err))
		return (err->position += base - 1), false;
	if (slash &&
		!spec_parse_go_duration(slash + 1, len - elen - 1, &offset_ms, err))
		return (err->position += base + (int) elen), false;
	if (every_ms % 1000 != 0 || offset_ms % 1000 != 0)
		return spec_error(err, SPEC_ERR_RANGE, -1, base,
						  "@every durations must be whole seconds");
	out->kind = SPEC_CRON_INTERVAL;
	out->interval.every = every_ms / 1000;
	out->interval.offset = offset_ms / 1000;
	if (!spec_interval_check(&out->interval, err))
		return (err->position = base), false;
	return true;
}

typedef struct Token
{
	const char *s;
	size_t		len;
} Token;

bool
spec_parse_cron(const char *str, int flags, SpecCron *out, SpecError *err)
{
	static const SpecField five[] = {SPEC_MINUTE, SPEC_HOUR, SPEC_DAY_OF_MONTH,
	SPEC_MONTH, SPEC_DAY_OF_WEEK};
	static const SpecField six[] = {SPEC_MINUTE, SPEC_HOUR, SPEC_DAY_OF_MONTH,
	SPEC_MONTH, SPEC_DAY_OF_WEEK, SPEC_YEAR};
	static const SpecField seven[] = {SPEC_SECOND, SPEC_MINUTE, SPEC_HOUR,
	SPEC_DAY_OF_MONTH, SPEC_MONTH, SPEC_DAY_OF_WEEK, SPEC_YEAR};
	const bool	standard = (flags & SPEC_CRON_STANDARD) != 0;
	const char *p = str;
	const char *end = str + strlen(str);
	const char *hash;
	const SpecField *order;
	Token		tok[8];
	int			ntok = 0;
	bool		restricted[SPEC_NFIELDS] = {false};
	char		comment[SPEC_COMMENT_MAX + 1] = "";

	memset(out, 0, sizeof(*out));
	out->kind = SPEC_CRON_CALENDAR;

	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;

	/* zone prefix */
	if (strncmp(p, "TZ=", 3) == 0 || strncmp(p, "CRON_TZ=", 8) == 0)
	{
		const char *z = strchr(p, '=') + 1;
		const char *ze = z;

		while (ze < end && !is_space(*ze))
			ze++;
		if (ze == z)
			return spec_error(err, SPEC_ERR_TIME_ZONE, -1, (int) (z - str) + 1,
							  "missing time zone name after \"%.*s\"",
							  (int) (z - p), p);
		if ((size_t) (ze - z) > SPEC_TZ_NAME_MAX)
			return spec_error(err, SPEC_ERR_TIME_ZONE, -1, (int) (z - str) + 1,
							  "time zone name is longer than %d characters",
							  SPEC_TZ_NAME_MAX);
		memcpy(out->tz_name, z, (size_t) (ze - z));
		out->tz_name[ze - z] = '\0';
		p = ze;
		while (p < end && is_space(*p))
			p++;
		if (p >= end)
			return spec_error(err, SPEC_ERR_SYNTAX, -1, (int) (p - str) + 1,
							  "expected cron fields after the time zone");
	}

	/* comment: '#' preceded by white space */
	for (hash = p + 1; hash < end; hash++)
		if (*hash == '#' && is_space(hash[-1]))
			break;
	if (hash < end)
	{
		const char *c = hash + 1;
		const char *ce = end;

		while (c < ce && is_space(*c))
			c++;
		if ((size_t) (ce - c) > SPEC_COMMENT_MAX)
			return spec_error(err, SPEC_ERR_LIMIT, -1, (int) (c - str) + 1,
							  "comment is longer than %d bytes",
							  SPEC_COMMENT_MAX);
		memcpy(comment, c, (size_t) (ce - c));
		comment[ce - c] = '\0';
		end = hash;
		while (end > p && is_space(end[-1]))
			end--;
	}
	if (p >= end)
		return spec_error(err, SPEC_ERR_SYNTAX, -1, (int) (p - str) + 1,
						  "empty cron expression");

	if (*p == '@')
	{
		const char *w = p;
		char		name[16];
		size_t		wl;

		while (w < end && !is_space(*w))
			w++;
		wl = (size_t) (w - p);
		if (wl < sizeof(name))
		{
			for (size_t i = 0; i < wl; i++)
				name[i] = (char) tolower((unsigned char) p[i]);
			name[wl] = '\0';
		}
		else
			name[0] = '\0';
		if (strcmp(name, "@every") == 0)
		{
			/* an interval has no comment to keep */
			while (w < end && is_space(*w))
				w++;
			return parse_every(w, (size_t) (end - w), (int) (w - str) + 1,
							   out, err);
		}
		for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++)
		{
			if (strcmp(name, shorthands[i].name) == 0)
			{
				SpecCron	sub;
				bool		ok;

				if (w != end)
					return spec_error(err, SPEC_ERR_SYNTAX, -1,
									  (int) (w - str) + 1,
									  "unexpected text after \"%s\"",
									  shorthands[i].name);
				ok = spec_parse_cron(shorthands[i].fields, flags, &sub, err);
				if (!ok)		/* cannot happen: the table is valid */
					return false;
				out->calendar = sub.calendar;
				strcpy(out->calendar.comment, comment);
				return true;
			}
		}
		return spec_error(err, SPEC_ERR_SYNTAX, -1, (int) (p - str) + 1,
						  "unknown shorthand \"%.*s\"",
						  (int) (wl > 32 ? 32 : wl), p);
	}

	/* split into fields */
	while (p < end)
	{
		const char *f = p;

		while (p < end && !is_space(*p))
			p++;
		if (ntok < 8)
			tok[ntok] = (Token) {f, (size_t) (p - f)};
		ntok++;
		while (p < end && is_space(*p))
			p++;
	}
	if (standard && ntok != 5)
		return spec_error(err, SPEC_ERR_SYNTAX, -1, 0,
						  "expected 5 fields, found %d", ntok);
	if (ntok < 5 || ntok > 7)
		return spec_error(err, SPEC_ERR_SYNTAX, -1, 0,
						  "expected 5 to 7 fields, found %d", ntok);
	order = ntok == 5 ? five : ntok == 6 ? six : seven;

	spec_calendar_init(&out->calendar);
	strcpy(out->calendar.comment, comment);
	if (ntok == 5)
		spec_calendar_fill_field(&out->calendar, SPEC_YEAR);

	for (int i = 0; i < ntok; i++)
	{
		SpecField	f = order[i];
		Token		t = tok[i];

		if (standard && t.len == 1 && t.s[0] == '?' &&
			(f == SPEC_DAY_OF_MONTH || f == SPEC_DAY_OF_WEEK))
			t = (Token) {"*", 1};
		else
		{
			/*
			 * As robfig/cron, which Temporal uses: only "*" (or "*\/1")
			 * leaves a field unrestricted; "*\/2" restricts it (Vixie cron
			 * would call it a star).
			 */
			restricted[f] = !((t.len == 1 && t.s[0] == '*') ||
							  (t.len == 3 && memcmp(t.s, "*/1", 3) == 0));
		}
		if (!spec_calendar_parse_field(&out->calendar, f, t.s, t.len,
									   (int) (t.s - str), err))
			return false;
	}
	if (standard && restricted[SPEC_DAY_OF_MONTH] &&
		restricted[SPEC_DAY_OF_WEEK])
		out->calendar.day_or = true;
	return true;
}
