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
 * is Sunday too.  Of the Quartz extensions, day_of_month takes "L" (the
 * last day) and "L-n" (n days before the last, as Quartz and Spring
 * compute it: L-3 in January is the 28th), day_of_week "dL" / "DDDL" (the
 * last weekday d of the month) and "d#n" / "DDD#n" (the n-th, n = 1-5),
 * each as a list element of its own, with d numbered as in the rest of
 * the field (0 or 7 = Sunday; Quartz's 1 = Sunday is not followed).  The
 * rest (W, ?, H, L elsewhere) is refused by name rather than misread.
 *
 * Days from the end and n-th weekdays are kept beside the plain bits of
 * their field (SpecCalendar); nexttime.c turns them into days per month.
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
			cal->day_of_month_last = 0;
			break;
		case SPEC_MONTH:
			cal->month = 0;
			break;
		case SPEC_DAY_OF_WEEK:
			cal->day_of_week = 0;
			memset(cal->weekday_nth, 0, sizeof(cal->weekday_nth));
			memset(cal->weekday_last, 0, sizeof(cal->weekday_last));
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

static bool
in_bounds(SpecField field, long v)
{
	return v >= spec_field_min[field] && v <= spec_field_max[field];
}

/* A value of a range (not of field syntax) outside the documented bounds. */
static bool
range_bounds_error(SpecError *err, SpecField field, long v)
{
	if (field == SPEC_DAY_OF_WEEK && v == 7)
		return spec_error(err, SPEC_ERR_RANGE, field, 0,
						  "value 7 out of range 0-6 in the day_of_week field (write Sunday as 0; 7 is Sunday only in cron field syntax)");
	return spec_error(err, SPEC_ERR_RANGE, field, 0,
					  "value %ld out of range %d-%d in the %s field",
					  v, spec_field_min[field], spec_field_max[field],
					  spec_field_names[field]);
}

/* Sets the days from the end -31 <= start <= end <= -1, by step. */
static void
set_last_range(SpecCalendar *cal, int start, int end, int step)
{
	for (int v = start; v <= end; v += step)
	{
		cal->day_of_month_last |= UINT32_C(1) << (-v);
		if (end - v < step)
			break;
	}
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
	if (field == SPEC_DAY_OF_MONTH && start < 0)
	{
		/* days from the end: -31..-1, never mixed with 1..31 */
		if (start < -31)
			return spec_error(err, SPEC_ERR_RANGE, field, 0,
							  "value %d out of range 1-31 or -31 to -1 in the day_of_month field",
							  start);
		if (end > -1)
		{
			if (end > 0)
				return spec_error(err, SPEC_ERR_RANGE, field, 0,
								  "range %d to %d mixes days from the end and from the start in the day_of_month field",
								  start, end);
			if (end < start || end == 0)
				end = start;
		}
		if (end < -31)
			return spec_error(err, SPEC_ERR_RANGE, field, 0,
							  "value %d out of range 1-31 or -31 to -1 in the day_of_month field",
							  end);
		if (end < start)
			end = start;
		set_last_range(cal, start, end, step);
		return true;
	}

	/*
	 * Every given value must be in the field's documented bounds
	 * (SEMANTICS.md 1.1), the end too, even where a smaller end means "end
	 * = start"; 7 for Sunday belongs to cron field syntax only.
	 */
	if (!in_bounds(field, start))
		return range_bounds_error(err, field, start);
	if (end != 0 && !in_bounds(field, end))
		return range_bounds_error(err, field, end);
	if (end < start)
		end = start;
	set_range(cal, field, start, end, step);
	return true;
}

bool
spec_calendar_add_nth(SpecCalendar *cal, int start, int end, int step,
					  int nth, SpecError *err)
{
	const SpecField field = SPEC_DAY_OF_WEEK;
	uint8_t    *set;

	if (nth == 0 || nth > SPEC_MAX_NTH || nth < -SPEC_MAX_NTH)
		return spec_error(err, SPEC_ERR_RANGE, field, 0,
						  "nth %d out of range 1-5 or -5 to -1 in the day_of_week field",
						  nth);
	if (step < 0)
		return spec_error(err, SPEC_ERR_RANGE, field, 0,
						  "step %d must not be negative in the %s field",
						  step, spec_field_names[field]);
	if (step == 0)
		step = 1;
	if (!in_bounds(field, start))
		return range_bounds_error(err, field, start);
	if (end != 0 && !in_bounds(field, end))
		return range_bounds_error(err, field, end);
	if (end < start)
		end = start;
	set = nth > 0 ? &cal->weekday_nth[nth - 1] : &cal->weekday_last[-nth - 1];
	for (int v = start; v <= end; v += step)
	{
		*set |= (uint8_t) (1u << (v % 7));
		if (end - v < step)
			break;
	}
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

			/* "5L": lex_element reads the L */
			if (c == 'L' && lx->field == SPEC_DAY_OF_WEEK)
				goto number_done;
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
number_done:
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
		{
			v = lookup_name(start, len, day_names, 7, 2);
			/* "FRIL": no day name has an L, so this is "FRI" then "L" */
			if (v < 0 && len >= 3 && toupper((unsigned char) start[len - 1]) == 'L')
			{
				v = lookup_name(start, len - 1, day_names, 7, 2);
				if (v >= 0)
					lx->p--;
			}
		}
		if (v >= 0)
			return (*out = v), true;
		if (len == 1 && lx->field == SPEC_DAY_OF_WEEK &&
			toupper((unsigned char) *start) == 'L')
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, start),
							  "\"L\" needs a weekday before it in the day_of_week field, as in \"5L\" (the last Friday)");
		if (len == 1 && lx->field == SPEC_DAY_OF_MONTH &&
			toupper((unsigned char) *start) == 'L')
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, start),
							  "\"L\" cannot be part of a range or take a step in the day_of_month field");
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
		return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
						  lex_pos(lx, lx->p),
						  lx->field == SPEC_DAY_OF_WEEK ?
						  "\"#\" needs a weekday before it in the day_of_week field, as in \"1#3\" (the third Monday)" :
						  "\"#\" (the n-th weekday) is only allowed in the day_of_week field");
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

/*
 * The rest of a day_of_week element "dL" or "d#n", lx->p at the L or '#';
 * weekday d was read (7 = Sunday).
 */
static bool
lex_nth(FieldLexer *lx, SpecCalendar *cal, int weekday, const char *elem,
		SpecError *err)
{
	const char *fname = spec_field_names[lx->field];
	const char *at = lx->p;
	int			wd = weekday % 7;

	if (*lx->p != '#')
	{
		lx->p++;
		if (lx->p < lx->end && *lx->p != ',')
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, lx->p),
							  "unexpected character \"%c\" after \"%.*s\" in the %s field",
							  *lx->p, (int) (lx->p - elem), elem, fname);
		cal->weekday_last[0] |= (uint8_t) (1u << wd);
		return true;
	}
	lx->p++;
	{
		const char *num = lx->p;
		long		n = 0;

		while (lx->p < lx->end && isdigit((unsigned char) *lx->p))
		{
			if (n < 100000)
				n = n * 10 + (*lx->p - '0');
			lx->p++;
		}
		if (lx->p == num || (lx->p < lx->end && *lx->p != ','))
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
							  lex_pos(lx, at),
							  "\"#\" must be followed by a number 1-5 in the %s field",
							  fname);
		if (n < 1 || n > SPEC_MAX_NTH)
			return spec_error(err, SPEC_ERR_RANGE, lx->field,
							  lex_pos(lx, num),
							  "value %ld out of range 1-5 after \"#\" in the %s field",
							  n, fname);
		cal->weekday_nth[n - 1] |= (uint8_t) (1u << wd);
	}
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

	if (lx->field == SPEC_DAY_OF_MONTH && lx->p < lx->end &&
		toupper((unsigned char) *lx->p) == 'L')
	{
		const char *q = lx->p + 1;

		if (q >= lx->end || *q == ',')
		{
			/* "L": the last day */
			cal->day_of_month_last |= UINT32_C(1) << 1;
			lx->p = q;
			return true;
		}
		if (*q == '-' && q + 1 < lx->end && isdigit((unsigned char) q[1]))
		{
			/* "L-n": n days before the last day */
			const char *num = q + 1;
			long		n = 0;

			for (q = num; q < lx->end && isdigit((unsigned char) *q); q++)
				if (n < 100000)
					n = n * 10 + (*q - '0');
			if (q < lx->end && *q != ',')
				return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
								  lex_pos(lx, q),
								  "unexpected character \"%c\" after \"L-%ld\" in the %s field",
								  *q, n, fname);
			if (n > 30)
				return spec_error(err, SPEC_ERR_RANGE, lx->field,
								  lex_pos(lx, num),
								  "value %ld out of range 0-30 after \"L-\" in the %s field",
								  n, fname);
			cal->day_of_month_last |= UINT32_C(1) << (n + 1);
			lx->p = q;
			return true;
		}
		if (toupper((unsigned char) *q) != 'W')
			return spec_error(err, SPEC_ERR_SYNTAX, lx->field, lex_pos(lx, lx->p),
							  "\"L\" cannot be part of a range or take a step in the day_of_month field");
		/* "LW": lex_value refuses it by name */
	}
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
		if (lx->field == SPEC_DAY_OF_WEEK && lx->p < lx->end &&
			(toupper((unsigned char) *lx->p) == 'L' || *lx->p == '#'))
			return lex_nth(lx, cal, start, elem, err);
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
	if (lx->p < lx->end &&
		(*lx->p == '#' || (lx->field == SPEC_DAY_OF_WEEK &&
						   toupper((unsigned char) *lx->p) == 'L')))
		return spec_error(err, SPEC_ERR_SYNTAX, lx->field,
						  lex_pos(lx, lx->p),
						  lx->field == SPEC_DAY_OF_WEEK ?
						  "\"%c\" takes a single weekday, not a range or a step, in the day_of_week field" :
						  "\"%c\" (the n-th weekday) is only allowed in the day_of_week field",
						  *lx->p);
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

static int	ranges_of(bool *left, int lo, int hi, SpecRange *out);

int
spec_calendar_field_ranges(const SpecCalendar *cal, SpecField field,
						   SpecRange *out)
{
	int			lo = spec_field_min[field];
	int			hi = spec_field_max[field];
	bool		left[SPEC_MAX_YEAR - SPEC_MIN_YEAR + 1];

	for (int v = lo; v <= hi; v++)
		left[v - lo] = spec_calendar_field_has(cal, field, v);
	return ranges_of(left, lo, hi, out);
}

int
spec_calendar_last_day_ranges(const SpecCalendar *cal, SpecRange *out)
{
	bool		left[31];

	for (int v = -31; v <= -1; v++)
		left[v + 31] = (cal->day_of_month_last >> (-v)) & 1;
	return ranges_of(left, -31, -1, out);
}

int
spec_calendar_nth_ranges(const SpecCalendar *cal, int nth, SpecRange *out)
{
	bool		left[7];
	uint8_t		bits;

	if (nth == 0 || nth > SPEC_MAX_NTH || nth < -SPEC_MAX_NTH)
		return 0;
	bits = nth > 0 ? cal->weekday_nth[nth - 1] : cal->weekday_last[-nth - 1];
	for (int v = 0; v <= 6; v++)
		left[v] = (bits >> v) & 1;
	return ranges_of(left, 0, 6, out);
}

/* Consumes left[] (indexed from lo): the shortest deterministic ranges. */
static int
ranges_of(bool *left, int lo, int hi, SpecRange *out)
{
	int			n = 0;

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
