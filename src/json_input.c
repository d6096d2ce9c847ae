/*-------------------------------------------------------------------------
 *
 * json_input.c
 *	  Reading jsonb documents strictly: the helpers every document reader
 *	  of pg_sched shares (specs in spec_json.c, schedules, actions and
 *	  policies in schedule_json.c).
 *
 * One shape for every problem with a value, so users meet the same
 * wording everywhere:
 *
 *		invalid value for <path>: <what is wrong, naming the value>
 *
 * (SQLSTATE 22023), with <path> such as "schedule.spec.calendars[0].hour".
 * Durations are a JSON number of seconds or a string that PostgreSQL's own
 * interval parser reads (interval text or ISO 8601), called without
 * throwing so that the error can name the field; months and years have no
 * fixed length and are refused; a day is 24 hours.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "json_input.h"

/* At most this many bytes of a value are quoted back in a message. */
#define SHOW_MAX			100

/* ---- reading values ---- */

/* The root of a jsonb document as a value (scalars unwrapped). */
void
jsonin_root_value(Jsonb *jb, JsonbValue *root)
{
	if (JB_ROOT_IS_SCALAR(jb))
	{
		if (!JsonbExtractScalar(&jb->root, root))
			elog(ERROR, "could not extract a scalar from a scalar jsonb");
	}
	else
	{
		root->type = jbvBinary;
		root->val.binary.data = &jb->root;
		root->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
}

bool
jsonin_is_container(const JsonbValue *v, bool array)
{
	return v->type == jbvBinary &&
		!JsonContainerIsScalar(v->val.binary.data) &&
		(array ? JsonContainerIsArray(v->val.binary.data)
		 : JsonContainerIsObject(v->val.binary.data));
}

const char *
jsonin_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvArray:
			return "an array";
		case jbvObject:
			return "an object";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" :
				"an object";
		default:
			return "an unknown JSON value";
	}
}

void
jsonin_type_error(const char *path, const char *expected, const JsonbValue *v)
{
	jsonin_value_error(path, NULL, "expected %s, found %s", expected,
				jsonin_type_name(v));
}

void
jsonin_missing_key(const char *key, const char *path)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("missing key \"%s\" in %s", key, path)));
}

/* A string quoted for a message, cut at SHOW_MAX bytes (on a character). */
char *
jsonin_show_text(const char *s, int len)
{
	int			cut = len;

	if (len > SHOW_MAX)
		cut = pg_mbcliplen(s, len, SHOW_MAX);
	return psprintf("\"%.*s%s\"", cut, s, cut < len ? "..." : "");
}

char *
jsonin_show_string(const JsonbValue *v)
{
	return jsonin_show_text(v->val.string.val, v->val.string.len);
}

/* The items of an object (key and value) or of an array (value only). */
int
jsonin_items(const JsonbValue *v, JsonItem **items)
{
	JsonbContainer *c = v->val.binary.data;
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbIteratorToken tok;
	JsonbValue	jv;
	int			n = 0;
	char	   *key = NULL;

	*items = palloc(sizeof(JsonItem) * Max(JsonContainerSize(c), 1));
	while ((tok = JsonbIteratorNext(&it, &jv, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(jv.val.string.val, jv.val.string.len);
		else if (tok == WJB_VALUE || tok == WJB_ELEM)
		{
			(*items)[n].key = (tok == WJB_VALUE) ? key : NULL;
			(*items)[n].value = jv;
			n++;
		}
	}
	return n;
}

/* Finds key in a NULL-terminated list; else an error listing the keys. */
int
jsonin_key_index(const char *key, const char *const *keys, const char *path)
{
	StringInfoData valid;

	for (int i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return i;

	initStringInfo(&valid);
	for (int i = 0; keys[i] != NULL; i++)
		appendStringInfo(&valid, "%s%s", i == 0 ? "" : ", ", keys[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown key %s in %s", jsonin_show_text(key, strlen(key)), path),
			 errhint("Valid keys are: %s.", valid.data)));
	pg_unreachable();
}

void
jsonin_read_number(const JsonbValue *v, const char *path, JsonNumber *num)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
	const char *p = s;
	int			idigits = 0;
	int			fd = 0;

	memset(num, 0, sizeof(*num));
	num->text = strlen(s) > 40 ? psprintf("%.37s...", s) : s;
	strcpy(num->frac, "000000");
	if (*p == '-')
	{
		num->negative = true;
		p++;
	}
	if (!isdigit((unsigned char) *p))
		jsonin_value_error(path, NULL, "%s is not a finite number", num->text);
	for (; isdigit((unsigned char) *p); p++)
	{
		if (idigits == 0 && *p == '0')
			continue;
		if (++idigits >= 16)
			num->huge = true;
		else
			num->ipart = num->ipart * 10 + (*p - '0');
	}
	if (*p == '.')
	{
		const char *f = ++p;
		const char *last = NULL;

		for (; isdigit((unsigned char) *p); p++)
			if (*p != '0')
				last = p;
		if (last)
			fd = (int) (last - f) + 1;
		for (int i = 0; i < 6 && i < fd; i++)
			num->frac[i] = f[i];
	}
	if (*p != '\0')
		jsonin_value_error(path, NULL, "%s is not a finite number", num->text);
	num->frac_digits = fd;
	if (num->ipart == 0 && fd == 0)
		num->negative = false;
}

/* ---- durations ---- */

/* Does a PostgreSQL interval text use units without a fixed length? */
static bool
uses_months(char **field, int *ftype, int nf)
{
	for (int i = 0; i < nf; i++)
	{
		int			val;

		if (ftype[i] != DTK_STRING && ftype[i] != DTK_SPECIAL)
			continue;
		if (DecodeUnits(i, field[i], &val) == UNITS &&
			(val == DTK_MONTH || val == DTK_YEAR || val == DTK_DECADE ||
			 val == DTK_CENTURY || val == DTK_MILLENNIUM))
			return true;
	}
	return false;
}

/*
 * ISO 8601 designators Y and M before T, or the alternative format
 * ("P0001-02-03", "P00010203", where positions mean years and months):
 * either way the text carries months or years, maybe as fractions that the
 * parser would silently turn into 30-day months.
 */
static bool
iso_uses_months(const char *s)
{
	for (const char *p = s + 1; *p && *p != 'T'; p++)
	{
		if (*p == 'Y' || *p == 'M')
			return true;
		if ((isdigit((unsigned char) *p) || *p == '.' || *p == ',') &&
			(p[1] == '-' || p[1] == 'T' || p[1] == '\0'))
			return true;
	}
	return false;
}

/*
 * A duration in microseconds, >= 0 and at most 200 years; resolution_us is
 * 1000000 (whole seconds) or 1000 (milliseconds).
 */
int64
jsonin_duration_usec(const JsonbValue *v, const char *path, int64 resolution_us)
{
	const char *unit = resolution_us == USECS_PER_SEC ? "seconds" :
		"milliseconds";
	int64		usec;
	char	   *shown;

	if (v->type == jbvNumeric)
	{
		JsonNumber	num;

		jsonin_read_number(v, path, &num);
		shown = num.text;
		if (num.negative)
			jsonin_value_error(path, NULL, "duration %s is negative", shown);
		if (num.huge || num.ipart > JSONIN_MAX_DURATION_USEC / USECS_PER_SEC)
			jsonin_value_error(path, NULL, "duration %s is longer than 200 years",
						shown);
		if (num.frac_digits > 6)
			jsonin_value_error(path, NULL, "duration %s is not a whole number of %s",
						shown, unit);
		usec = num.ipart * USECS_PER_SEC + pg_strtoint32(num.frac);
	}
	else if (v->type == jbvString)
	{
		char	   *str = pnstrdup(v->val.string.val, v->val.string.len);
		struct pg_itm_in itm;
		char		workbuf[256];
		char	   *field[MAXDATEFIELDS];
		int			ftype[MAXDATEFIELDS];
		int			nf;
		int			dtype = DTK_DELTA;
		int			dterr;
		bool		months;

		shown = jsonin_show_string(v);
		memset(&itm, 0, sizeof(itm));

		/* as interval_in does, without its ereport */
		dterr = ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype,
							  MAXDATEFIELDS, &nf);
		if (dterr == 0)
			dterr = DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE,
								   &dtype, &itm);
		if (dterr == 0)
			months = uses_months(field, ftype, nf);
		else if (dterr == DTERR_BAD_FORMAT)
		{
			memset(&itm, 0, sizeof(itm));
			dterr = DecodeISO8601Interval(str, &dtype, &itm);
			months = dterr == 0 && iso_uses_months(str);
		}
		else
			months = false;

		if (dterr == DTERR_FIELD_OVERFLOW || dterr == DTERR_INTERVAL_OVERFLOW)
			jsonin_value_error(path, NULL, "duration %s is out of range", shown);
		if (dterr != 0 || dtype != DTK_DELTA)
			jsonin_value_error(path, JSONIN_DURATION_HINT, "%s is not a duration", shown);
		if (months || itm.tm_mon != 0 || itm.tm_year != 0)
			jsonin_value_error(path, "Use days, e.g. '30 days'.",
						"months and years are not allowed in %s, they have no fixed length",
						shown);
		/* days of 24 hours; past int64, the sign of the days decides */
		if (pg_mul_s64_overflow((int64) itm.tm_mday, USECS_PER_DAY, &usec) ||
			pg_add_s64_overflow(usec, itm.tm_usec, &usec))
			usec = itm.tm_mday < 0 ? -1 : PG_INT64_MAX;
		if (usec < 0)
			jsonin_value_error(path, NULL, "duration %s is negative", shown);
		if (usec > JSONIN_MAX_DURATION_USEC)
			jsonin_value_error(path, NULL, "duration %s is longer than 200 years",
						shown);
	}
	else
	{
		jsonin_type_error(path, "a duration (a string or a number of seconds)", v);
	}

	if (usec % resolution_us != 0)
		jsonin_value_error(path, NULL, "duration %s is not a whole number of %s",
					shown, unit);
	return usec;
}

/* ISO 8601 with days of 24 hours: "P1DT2H", "PT1H30M", "PT0.5S", "PT0S". */
char *
jsonin_format_duration_ms(int64 ms)
{
	StringInfoData b;
	int64		days = ms / 86400000;
	int64		rem = ms % 86400000;
	int			h = (int) (rem / 3600000),
				m = (int) (rem / 60000 % 60),
				s = (int) (rem / 1000 % 60),
				frac = (int) (rem % 1000);

	initStringInfo(&b);
	appendStringInfoChar(&b, 'P');
	if (days > 0)
		appendStringInfo(&b, INT64_FORMAT "D", days);
	if (rem > 0 || days == 0)
	{
		appendStringInfoChar(&b, 'T');
		if (h > 0)
			appendStringInfo(&b, "%dH", h);
		if (m > 0)
			appendStringInfo(&b, "%dM", m);
		if (s > 0 || frac > 0 || rem == 0)
		{
			appendStringInfo(&b, "%d", s);
			if (frac > 0)
			{
				char		digits[4];

				snprintf(digits, sizeof(digits), "%03d", frac);
				for (int i = 2; i > 0 && digits[i] == '0'; i--)
					digits[i] = '\0';
				appendStringInfo(&b, ".%s", digits);
			}
			appendStringInfoChar(&b, 'S');
		}
	}
	return b.data;
}

/* One "N unit" word of jsonin_format_interval(), plural unless N is 1 or -1. */
static void
append_unit(StringInfo b, int64 n, const char *unit)
{
	if (b->len > 0)
		appendStringInfoChar(b, ' ');
	appendStringInfo(b, INT64_FORMAT " %s%s", n, unit,
					 (n == 1 || n == -1) ? "" : "s");
}

char *
jsonin_format_interval(const Interval *iv)
{
	StringInfoData b;
	int64		t = iv->time;
	bool		neg = t < 0;
	uint64		u = neg ? -(uint64) t : (uint64) t;
	int64		sign = neg ? -1 : 1;
	uint64		h = u / USECS_PER_HOUR,
				m = u / USECS_PER_MINUTE % 60,
				sec = u / USECS_PER_SEC % 60,
				frac = u % USECS_PER_SEC;

	initStringInfo(&b);
	if (iv->month / 12 != 0)
		append_unit(&b, iv->month / 12, "year");
	if (iv->month % 12 != 0)
		append_unit(&b, iv->month % 12, "month");
	if (iv->day != 0)
		append_unit(&b, iv->day, "day");
	if (h != 0)
		append_unit(&b, sign * (int64) h, "hour");
	if (m != 0)
		append_unit(&b, sign * (int64) m, "minute");
	if (frac != 0)
	{
		char		digits[8];
		int			i;

		snprintf(digits, sizeof(digits), "%06d", (int) frac);
		for (i = 5; i > 0 && digits[i] == '0'; i--)
			digits[i] = '\0';
		if (b.len > 0)
			appendStringInfoChar(&b, ' ');
		appendStringInfo(&b, "%s" UINT64_FORMAT ".%s seconds", neg ? "-" : "",
						 sec, digits);
	}
	else if (sec != 0 || b.len == 0)
		append_unit(&b, sign * (int64) sec, "second");
	return b.data;
}
