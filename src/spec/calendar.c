/*-------------------------------------------------------------------------
 *
 * calendar.c
 *	  Building calendars: ranges, cron field syntax, normalised ranges.
 *
 * A calendar keeps one bit per allowed value of each field (SpecCalendar in
 * spec.h).  Both JSON range objects and field strings ("mon-fri", "*\/15")
 * are turned into bits here, so there is exactly one place that knows the
 * bounds and names of the fields; nexttime.c only ever sees bits.
 *
 * Field syntax (SEMANTICS.md 1.2): a comma list of "*", "x", "x-z",
 * "x-z/y", "x/y" (x to the field's maximum, step y) and "*\/y".  Month names
 * match by a prefix of 3+ letters, day names by 2+ letters; in day_of_week 7
 * is Sunday too.  Quartz extensions (L, W, #, ?, H) are refused by name
 * rather than misread.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <string.h>

#include "spec.h"

const char *const spec_field_names[SPEC_NFIELDS] = {
	"second", "minute", "hour", "day_of_month", "month", "day_of_week", "year"
};
const int	spec_field_min[SPEC_NFIELDS] = {0, 0, 0, 1, 1, 0, SPEC_MIN_YEAR};
const int	spec_field_max[SPEC_NFIELDS] = {59, 59, 23, 31, 12, 6, SPEC_MAX_YEAR};

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};
static const char *const day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"
};

/* Largest value accepted in input: day_of_week also takes 7 (Sunday). */
static int
input_max(SpecField field)
{
	return field == SPEC_DAY_OF_WEEK ? 7 : spec_field_max[field];
}

static void
set_value(SpecCalendar *cal, SpecField field, int v)
{
	switch (field)
	{
		case SPEC_SECOND:
			cal->second |= UINT64_C(1) << v;
			break;
		case SPEC_MINUTE:
			cal->minute |= UINT64_C(1) << v;
			break;
		case SPEC_HOUR:
			cal->hour |= UINT32_C(1) << v;
			break;
		case SPEC_DAY_OF_MONTH:
			cal->day_of_month |= UINT32_C(1) << v;
			break;
		case SPEC_MONTH:
			cal->month |= (uint16_t) (1u << v);
			break;
		case SPEC_DAY_OF_WEEK:
			cal->day_of_week |= (uint8_t) (1u << (v % 7));
			break;
		case SPEC_YEAR:
			v -= SPEC_MIN_YEAR;
			cal->year[v >> 6] |= UINT64_C(1) << (v & 63);
			break;
		case SPEC_NFIELDS:
			break;
	}
}

bool
spec_calendar_field_has(const SpecCalendar *cal, SpecField field, int v)
{
	if (v < spec_field_min[field] || v > spec_field_max[field])
		return false;
	switch (field)
	{
		case SPEC_SECOND:
			return (cal->second >> v) & 1;
		case SPEC_MINUTE:
			return (cal->minute >> v) & 1;
		case SPEC_HOUR:
			return (cal->hour >> v) & 1;
		case SPEC_DAY_OF_MONTH:
			return (cal->day_of_month >> v) & 1;
		case SPEC_MONTH:
			return (cal->month >> v) & 1;
		case SPEC_DAY_OF_WEEK:
			return (cal->day_of_week >> v) & 1;
		case SPEC_YEAR:
			v -= SPEC_MIN_YEAR;
			return (cal->year[v >> 6] >> (v & 63)) & 1;
		case SPEC_NFIELDS:
			break;
	}
	return false;
}

void
spec_calendar_clear_field(SpecCalendar *cal, SpecField field)
{
	switch (field)
	{
		case SPEC_SECOND:
			cal->second = 0;
			break;
		case SPEC_MINUTE:
			cal->minute = 0;
			break;
		case SPEC_HOUR:
			cal->hour = 0;
			break;
		case SPEC_DAY_OF_MONTH:
			cal->day_of_month = 0;
			break;
		case SPEC_MONTH:
			cal->month = 0;
			break;
		case SPEC_DAY_OF_WEEK:
			cal->day_of_week = 0;
			break;
		case SPEC_YEAR:
			cal->year[0] = cal->year[1] = 0;
			break;
		case SPEC_NFIELDS:
			break;
	}
}

void
spec_calendar_fill_field(SpecCalendar *cal, SpecField field)
{
	spec_calendar_clear_field(cal, field);
	for (int v = spec_field_min[field]; v <= spec_field_max[field]; v++)
		set_value(cal, field, v);
}

bool
spec_calendar_field_is_full(const SpecCalendar *cal, SpecField field)
{
	for (int v = spec_field_min[field]; v <= spec_field_max[field]; v++)
		if (!spec_calendar_field_has(cal, field, v))
			return false;
	return true;
}

void
spec_calendar_init(SpecCalendar *cal)
{
	memset(cal, 0, sizeof(*cal));
	set_value(cal, SPEC_SECOND, 0);
	set_value(cal, SPEC_MINUTE, 0);
	set_value(cal, SPEC_HOUR, 0);
	spec_calendar_fill_field(cal, SPEC_DAY_OF_MONTH);
	spec_calendar_fill_field(cal, SPEC_MONTH);
	spec_calendar_fill_field(cal, SPEC_DAY_OF_WEEK);
	spec_calendar_fill_field(cal, SPEC_YEAR);
}

static bool
out_of_range(SpecError *err, SpecField field, int position, long v)
{
	return spec_error(err, SPEC_ERR_RANGE, field, position,
					  "value %ld out of range %d-%d in the %s field",
					  v, spec_field_min[field], input_max(field),
					  spec_field_names[field]);
}

/* Sets start..end by step; the caller has checked the bounds. */
static void
set_range(SpecCalendar *cal, SpecField field, int start, int end, int step)
{
	/* written so that a huge step cannot overflow v */
	for (int v = start; v <= end; v += step)
	{
		set_value(cal, field, v);
		if (end - v < step)
			break;
	}
}

bool
spec_calendar_add_range(SpecCalendar *cal, SpecField field,
						int start, int end, int step, SpecError *err)
{
	if (step < 0)
		return spec_error(err, SPEC_ERR_RANGE, field, 0,
						  "step %d must not be negative in the %s field",
						  step, spec_field_names[field]);
	if (step == 0)
		step = 1;
	if (end < start)
		end = start;
	if (start < spec_field_min[field] || start > input_max(field))
		return out_of_range(err, field, 0, start);
	if (end > input_max(field))
		return out_of_range(err, field, 0, end);
	set_range(cal, field, start, end, step);
	return true;
}

/* ---- field syntax ---- */

typedef struct FieldLexer
{
	const char *str;
	const char *p;
	const char *end;
	SpecField	field;
	int			pos_base;
} FieldLexer;

static int
lex_pos(const FieldLexer *lx, const char *at)
{
	return lx->pos_base + (int) (at - lx->str) + 1;
}

/* Matches a word against a name table by case-insensitive prefix. */
static int
lookup_name(const char *w, size_t len, const char *const *names, int n,
			size_t min_len)
{
	if (len < min_len)
		return -1;
	for (int i = 0; i < n; i++)
	{
		size_t		nl = strlen(names[i]);
		size_t		k;

		if (len > nl)
			continue;
		for (k = 0; k < len; k++)
			if (tolower((unsigned char) w[k]) != names[i][k])
				break;
		if (k == len)
			return i;
	}
	return -1;
}

/*
 * Reads one value: a number or, in month and day_of_week, a name.
 * Reports Quartz-only letters by name, since "15W" is a plausible input.
 */
static bool
lex_value(FieldLexer *lx, int *out, SpecError *err)
{
	const char *start = lx->p;
	const char *fname = spec_field_names[lx->field];

	if (lx->p < lx->end && isdigit((unsigned char) *lx->p))
	{
		long		v = 0;

		while (lx->p < lx->end && isdigit((unsigned char) *lx->p))
		{
			if (v < 100000)
				v = v * 10 + (*lx->p - '0');
			lx->p++;
		}
		if (lx->p < lx->end && isalpha((unsigned char) *lx->p))
		{
			char		c = (char) toupper((unsigned char) *lx->p);

			if (c == 'L' || c == 'W')
				return spec_error(err, SPEC_ERR_UNSUPPORTED, lx->field,
								  lex_pos(lx, lx->p),
								  "\"%c\" is not supported in the %s field",
								  c, fname);
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, lx->p),
							  "unexpected character \"%c\" in the %s field",
							  *lx->p, fname);
		}
		if (v < spec_field_min[lx->field] || v > input_max(lx->field))
			return out_of_range(err, lx->field, lex_pos(lx, start), v);
		*out = (int) v;
		return true;
	}
	if (lx->p < lx->end && isalpha((unsigned char) *lx->p))
	{
		size_t		len;
		int			v = -1;

		while (lx->p < lx->end && isalpha((unsigned char) *lx->p))
			lx->p++;
		len = (size_t) (lx->p - start);
		if (lx->field == SPEC_MONTH)
		{
			v = lookup_name(start, len, month_names, 12, 3);
			if (v >= 0)
				v += 1;
		}
		else if (lx->field == SPEC_DAY_OF_WEEK)
			v = lookup_name(start, len, day_names, 7, 2);
		if (v >= 0)
			return (*out = v), true;
		if (len == 1 || (len == 2 && strncmp(start, "LW", 2) == 0))
		{
			char		c = (char) toupper((unsigned char) *start);

			if (c == 'L' || c == 'W' || c == 'H')
				return spec_error(err, SPEC_ERR_UNSUPPORTED, lx->field,
								  lex_pos(lx, start),
								  "\"%.*s\" is not supported in the %s field",
								  (int) len, start, fname);
		}
		if (lx->field == SPEC_MONTH || lx->field == SPEC_DAY_OF_WEEK)
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, start),
							  "unknown name \"%.*s\" in the %s field",
							  (int) (len > 32 ? 32 : len), start, fname);
		return spec_error(err, SPEC_ERR_SYNTAX, lx->field, lex_pos(lx, start),
						  "names such as \"%.*s\" are not allowed in the %s field",
						  (int) (len > 32 ? 32 : len), start, fname);
	}
	if (lx->p >= lx->end || *lx->p == ',')
		return spec_error(err, SPEC_ERR_SYNTAX, lx->field, lex_pos(lx, lx->p),
						  "missing value in the %s field", fname);
	switch (*lx->p)
	{
		case '?':
		case '#':
			break;
		default:
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, lx->p),
							  "unexpected character \"%c\" in the %s field",
							  *lx->p, fname);
	}
	if (*lx->p == '#')
		return spec_error(err, SPEC_ERR_UNSUPPORTED, lx->field,
						  lex_pos(lx, lx->p),
						  "nth weekday (#) is not supported");
	return spec_error(err, SPEC_ERR_UNSUPPORTED, lx->field, lex_pos(lx, lx->p),
					  "\"?\" is not supported in the %s field", fname);
}

static bool
lex_step(FieldLexer *lx, int *step, SpecError *err)
{
	const char *start = lx->p;
	long		v = 0;

	if (lx->p >= lx->end || !isdigit((unsigned char) *lx->p))
	{
		if (lx->p < lx->end && *lx->p == '-')
			return spec_error(err, SPEC_ERR_RANGE, lx->field, lex_pos(lx, start),
							  "step must be at least 1 in the %s field",
							  spec_field_names[lx->field]);
		return spec_error(err, SPEC_ERR_SYNTAX, lx->field, lex_pos(lx, start),
						  "step must be an integer in the %s field",
						  spec_field_names[lx->field]);
	}
	while (lx->p < lx->end && isdigit((unsigned char) *lx->p))
	{
		if (v < 100000)
			v = v * 10 + (*lx->p - '0');
		lx->p++;
	}
	if (lx->p < lx->end && *lx->p != ',' && *lx->p != '/' && *lx->p != '-')
		return spec_error(err, SPEC_ERR_SYNTAX, lx->field, lex_pos(lx, start),
						  "step must be an integer in the %s field",
						  spec_field_names[lx->field]);
	if (v < 1)
		return spec_error(err, SPEC_ERR_RANGE, lx->field, lex_pos(lx, start),
						  "step must be at least 1 in the %s field",
						  spec_field_names[lx->field]);
	*step = (int) v;
	return true;
}

/* One list element: "*", "*\/y", "x", "x-z", "x-z/y" or "x/y". */
static bool
lex_element(FieldLexer *lx, SpecCalendar *cal, SpecError *err)
{
	const char *elem = lx->p;
	const char *fname = spec_field_names[lx->field];
	int			start,
				end,
				step = 1;
	bool		star = false;
	bool		has_range = false;

	if (lx->p < lx->end && *lx->p == '*')
	{
		lx->p++;
		star = true;
		start = spec_field_min[lx->field];
		end = spec_field_max[lx->field];
	}
	else
	{
		if (!lex_value(lx, &start, err))
			return false;
		end = start;
	}
	if (!star && lx->p < lx->end && *lx->p == '-')
	{
		const char *end_at;

		lx->p++;
		has_range = true;
		end_at = lx->p;
		if (!lex_value(lx, &end, err))
			return false;
		/* "fri-sun": a range ending on Sunday by name means 7 */
		if (lx->field == SPEC_DAY_OF_WEEK && end == 0 && start > 0 &&
			isalpha((unsigned char) *end_at))
			end = 7;
		if (end < start)
			return spec_error(err, SPEC_ERR_RANGE, lx->field,
							  lex_pos(lx, elem),
							  "range end %d is before start %d in the %s field",
							  end, start, fname);
	}
	if (lx->p < lx->end && *lx->p == '-')
		return spec_error(err, SPEC_ERR_SYNTAX, lx->field, lex_pos(lx, lx->p),
						  star ? "unexpected \"-\" after \"*\" in the %s field"
						  : "more than one \"-\" in an element of the %s field",
						  fname);
	if (lx->p < lx->end && *lx->p == '/')
	{
		lx->p++;
		if (!lex_step(lx, &step, err))
			return false;
		if (!star && !has_range)
		{
			end = spec_field_max[lx->field];
			if (end < start)	/* "7/2" in day_of_week: Sunday */
				end = start;
		}
		if (lx->p < lx->end && *lx->p == '/')
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, lx->p),
							  "more than one \"/\" in an element of the %s field",
							  fname);
		if (lx->p < lx->end && *lx->p == '-')
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, lx->p),
							  "more than one \"-\" in an element of the %s field",
							  fname);
	}
	if (lx->p < lx->end && *lx->p == '#')
		return spec_error(err, SPEC_ERR_UNSUPPORTED, lx->field,
						  lex_pos(lx, lx->p),
						  "nth weekday (#) is not supported");
	if (lx->p < lx->end && *lx->p != ',')
		return spec_error(err, SPEC_ERR_SYNTAX, lx->field, lex_pos(lx, lx->p),
						  "unexpected character \"%c\" in the %s field",
						  *lx->p, fname);
	set_range(cal, lx->field, start, end, step);
	return true;
}

bool
spec_calendar_parse_field(SpecCalendar *cal, SpecField field,
						  const char *str, size_t len, int pos_base,
						  SpecError *err)
{
	FieldLexer	lx = {str, str, str + len, field, pos_base};
	SpecCalendar tmp = *cal;

	if (len == 0)
		return spec_error(err, SPEC_ERR_SYNTAX, field, pos_base + 1,
						  "empty %s field", spec_field_names[field]);
	spec_calendar_clear_field(&tmp, field);
	for (;;)
	{
		if (lx.p >= lx.end || *lx.p == ',')
			return spec_error(err, SPEC_ERR_SYNTAX, field, lex_pos(&lx, lx.p),
							  "empty element in the %s field",
							  spec_field_names[field]);
		if (!lex_element(&lx, &tmp, err))
			return false;
		if (lx.p >= lx.end)
			break;
		lx.p++;					/* the comma */
	}
	*cal = tmp;
	return true;
}

/* ---- normalised ranges ---- */

int
spec_calendar_field_ranges(const SpecCalendar *cal, SpecField field,
						   SpecRange *out)
{
	int			lo = spec_field_min[field];
	int			hi = spec_field_max[field];
	bool		left[SPEC_MAX_YEAR - SPEC_MIN_YEAR + 1];
	int			n = 0;

	for (int v = lo; v <= hi; v++)
		left[v - lo] = spec_calendar_field_has(cal, field, v);

	for (int v = lo; v <= hi; v++)
	{
		int			w,
					step,
					last,
					count;

		if (!left[v - lo])
			continue;
		left[v - lo] = false;
		/* the step is the distance to the next remaining value */
		for (w = v + 1; w <= hi && !left[w - lo]; w++)
			;
		if (w > hi)
		{
			out[n++] = (SpecRange) {v, v, 1};
			continue;
		}
		step = w - v;
		last = v;
		count = 1;
		while (last + step <= hi && left[last + step - lo])
		{
			last += step;
			count++;
		}
		if (step > 1 && count < 3)
		{
			out[n++] = (SpecRange) {v, v, 1};
			continue;
		}
		for (int k = v + step; k <= last; k += step)
			left[k - lo] = false;
		out[n++] = (SpecRange) {v, last, step};
	}
	return n;
}
