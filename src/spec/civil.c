/*-------------------------------------------------------------------------
 *
 * civil.c
 *	  Proleptic Gregorian calendar arithmetic and RFC 3339 text.
 *
 * Days are counted from 1970-01-01 with Howard Hinnant's closed-form
 * algorithms, so converting never loops and works for any int64 input the
 * engine can produce.  The engine keeps instants as UTC seconds and wall
 * clock times as "local seconds" (the same count, read on a wall clock);
 * these helpers move between those and broken-down fields.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "spec.h"

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t
spec_days_from_civil(int year, int month, int day)
{
	int64_t		y = (int64_t) year - (month <= 2);
	int64_t		era = floor_div(y, 400);
	int64_t		yoe = y - era * 400;
	int64_t		mp = (month + 9) % 12;	/* March = 0 */
	int64_t		doy = (153 * mp + 2) / 5 + day - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
spec_civil_from_days(int64_t days, int *year, int *month, int *day)
{
	int64_t		z = days + 719468;
	int64_t		era = floor_div(z, 146097);
	int64_t		doe = z - era * 146097;
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int64_t		d = doy - (153 * mp + 2) / 5 + 1;
	int64_t		m = mp < 10 ? mp + 3 : mp - 9;

	*year = (int) (yoe + era * 400 + (m <= 2));
	*month = (int) m;
	*day = (int) d;
}

static bool
is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int
spec_days_in_month(int year, int month)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (month == 2 && is_leap(year)) ? 29 : dim[month - 1];
}

int
spec_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4) */
	return (int) (((days % 7) + 7 + 4) % 7);
}

void
spec_civil_from_seconds(int64_t secs, SpecCivil *c)
{
	int64_t		days = floor_div(secs, 86400);
	int64_t		rem = secs - days * 86400;

	spec_civil_from_days(days, &c->year, &c->month, &c->day);
	c->hour = (int) (rem / 3600);
	c->minute = (int) (rem / 60 % 60);
	c->second = (int) (rem % 60);
}

int64_t
spec_seconds_from_civil(const SpecCivil *c)
{
	return spec_days_from_civil(c->year, c->month, c->day) * 86400 +
		c->hour * 3600 + c->minute * 60 + c->second;
}

/* Reads exactly n digits at *p; false if any is not a digit. */
static bool
read_digits(const char **p, const char *end, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (*p >= end || (*p)[0] < '0' || (*p)[0] > '9')
			return false;
		v = v * 10 + ((*p)[0] - '0');
		(*p)++;
	}
	*out = v;
	return true;
}

static bool
expect_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

bool
spec_parse_time(const char *str, size_t len, spec_time *t, int32_t *frac_us,
				SpecError *err)
{
	const char *p = str;
	const char *end = str + len;
	SpecCivil	c;
	int32_t		us = 0;
	int			offset = 0;

#define BAD(what) \
	spec_error(err, SPEC_ERR_SYNTAX, -1, (int) (p - str) + 1, \
			   "invalid time \"%.*s\": %s", (int) (len > 64 ? 64 : len), str, what)

	if (!read_digits(&p, end, 4, &c.year) || !expect_char(&p, end, '-') ||
		!read_digits(&p, end, 2, &c.month) || !expect_char(&p, end, '-') ||
		!read_digits(&p, end, 2, &c.day))
		return BAD("expected a date as YYYY-MM-DD");
	if (p >= end || (*p != 'T' && *p != 't' && *p != ' '))
		return BAD("expected \"T\" and a time of day after the date");
	p++;
	if (!read_digits(&p, end, 2, &c.hour) || !expect_char(&p, end, ':') ||
		!read_digits(&p, end, 2, &c.minute) || !expect_char(&p, end, ':') ||
		!read_digits(&p, end, 2, &c.second))
		return BAD("expected a time of day as HH:MM:SS");
	if (p < end && (*p == '.' || *p == ','))
	{
		int			scale = 100000;

		p++;
		if (p >= end || *p < '0' || *p > '9')
			return BAD("expected digits after the decimal point");
		while (p < end && *p >= '0' && *p <= '9')
		{
			us += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (p < end && (*p == 'Z' || *p == 'z'))
		p++;
	else if (p < end && (*p == '+' || *p == '-'))
	{
		int			sign = (*p == '-') ? -1 : 1;
		int			oh,
					om = 0;

		p++;
		if (!read_digits(&p, end, 2, &oh))
			return BAD("expected a UTC offset as +HH:MM");
		if (p < end && *p == ':')
		{
			p++;
			if (!read_digits(&p, end, 2, &om))
				return BAD("expected a UTC offset as +HH:MM");
		}
		else if (p < end && *p >= '0' && *p <= '9')
		{
			if (!read_digits(&p, end, 2, &om))
				return BAD("expected a UTC offset as +HH:MM");
		}
		if (oh > 23 || om > 59)
			return BAD("UTC offset out of range");
		offset = sign * (oh * 3600 + om * 60);
	}
	else if (p >= end)
		return BAD("a UTC offset or \"Z\" is required");
	if (p != end)
		return BAD("unexpected characters after the time");
	if (c.month < 1 || c.month > 12 || c.day < 1 ||
		c.day > spec_days_in_month(c.year, c.month) ||
		c.hour > 23 || c.minute > 59 || c.second > 59)
	{
		p = str + 1;
		return BAD("date or time field out of range");
	}
#undef BAD
	*t = spec_seconds_from_civil(&c) - offset;
	if (frac_us)
		*frac_us = us;
	return true;
}

void
spec_format_time(spec_time t, char *buf)
{
	SpecCivil	c;
	char	   *p = buf;
	int			v[6];

	spec_civil_from_seconds(t, &c);
	v[0] = c.year;
	v[1] = c.month;
	v[2] = c.day;
	v[3] = c.hour;
	v[4] = c.minute;
	v[5] = c.second;
	/* Years outside 0000-9999 cannot come from a valid spec; clamp the text. */
	if (v[0] < 0)
		v[0] = 0;
	if (v[0] > 9999)
		v[0] = 9999;
	*p++ = '0' + v[0] / 1000;
	*p++ = '0' + v[0] / 100 % 10;
	*p++ = '0' + v[0] / 10 % 10;
	*p++ = '0' + v[0] % 10;
	for (int i = 1; i < 6; i++)
	{
		*p++ = (i == 3) ? 'T' : (i < 3 ? '-' : ':');
		*p++ = '0' + v[i] / 10;
		*p++ = '0' + v[i] % 10;
	}
	*p++ = 'Z';
	*p = '\0';
}
