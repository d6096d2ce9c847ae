/*-------------------------------------------------------------------------
 *
 * spec_json.c
 *	  Specs as JSON: reading a jsonb spec into the engine's Spec, and
 *	  writing the canonical jsonb form back.
 *
 * Input follows SEMANTICS.md part 9 and is strict: an unknown key, a value
 * of the wrong JSON type or a bad value is an ERROR (SQLSTATE 22023) that
 * names the field by its path ("spec.calendars[0].hour") and the value;
 * nothing is silently defaulted or dropped.  A JSON null for a key means
 * the same as leaving the key out.  Every value problem reads
 *
 *		invalid value for <path>: <what is wrong, naming the value>
 *
 * using the engine's own wording where the engine found the problem.
 *
 * Durations (every, offset, jitter) are a JSON number of seconds or a string
 * that PostgreSQL's own interval parser reads (interval text or ISO 8601),
 * called without throwing so the error can name the field.  Months and
 * years have no fixed length and are refused; a day is 24 hours.
 *
 * Zone agreement (SEMANTICS.md 1.2, 1.6): the effective zone of each cron
 * string that yields a calendar is its TZ=/CRON_TZ= prefix, else
 * time_zone_name if that is set (non-empty), else UTC.  All of them, and
 * time_zone_name if set, must name the same zone after canonicalisation
 * ("utc" = "UTC"; "Etc/UTC" is a different name), else "conflicting time
 * zone names"; the spec's zone becomes that zone, which then also applies
 * to the spec's plain calendars and skip calendars.  A prefix on an @every
 * line is ignored, as intervals are UTC.
 *
 * The canonical form lists calendars (cron strings included), intervals
 * (@every strings included) and skip as arrays, always; time_zone_name
 * always (canonical spelling, "UTC" when unset); start_at, end_at and
 * jitter only when set.  Reading the canonical form gives the same spec,
 * so writing it again gives the same text: it is a fixed point.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "spec_json.h"
#include "spec_pgtz.h"

/* Durations above this are refused: the engine's own bound for intervals. */
#define MAX_DURATION_USEC	(INT64CONST(200) * 366 * USECS_PER_DAY)

/* At most this many bytes of a value are quoted back in a message. */
#define SHOW_MAX			100

/* The instants spec_format_time can write: years 0000-9999. */
#define SPEC_TIME_TEXT_MIN	INT64CONST(-62167219200)	/* 0000-01-01 */
#define SPEC_TIME_TEXT_MAX	INT64CONST(253402300799)	/* 9999-12-31 23:59:59 */

#define TZ_HINT "See the view pg_timezone_names for the zones this server knows."
#define DURATION_HINT "Write a duration as PostgreSQL interval text ('90 minutes'), ISO 8601 ('PT1H30M') or a number of seconds."
#define TIME_HINT "Write times in RFC 3339 with an explicit UTC offset or Z, e.g. \"2022-03-23T12:00:00Z\"."

/* "invalid value for <path>: <reason>", the one shape of value errors. */
#define value_error(path, hint, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
			 errmsg("invalid value for %s: %s", (path), psprintf(__VA_ARGS__)), \
			 (hint) ? errhint("%s", (const char *) (hint)) : 0))

typedef struct JsonItem
{
	char	   *key;			/* NULL for array elements */
	JsonbValue	value;
} JsonItem;

static void type_error(const char *path, const char *expected,
					   const JsonbValue *v) pg_attribute_noreturn();
static void missing_key(const char *key, const char *path) pg_attribute_noreturn();
static void engine_value_error(const char *path, const SpecError *err) pg_attribute_noreturn();

/* ---- reading JSON values ---- */

static bool
is_container(const JsonbValue *v, bool array)
{
	return v->type == jbvBinary &&
		!JsonContainerIsScalar(v->val.binary.data) &&
		(array ? JsonContainerIsArray(v->val.binary.data)
		 : JsonContainerIsObject(v->val.binary.data));
}

static const char *
json_type_name(const JsonbValue *v)
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

static void
type_error(const char *path, const char *expected, const JsonbValue *v)
{
	value_error(path, NULL, "expected %s, found %s", expected,
				json_type_name(v));
}

/* A string quoted for a message, cut at SHOW_MAX bytes (on a character). */
static char *
show_text(const char *s, int len)
{
	int			cut = len;

	if (len > SHOW_MAX)
		cut = pg_mbcliplen(s, len, SHOW_MAX);
	return psprintf("\"%.*s%s\"", cut, s, cut < len ? "..." : "");
}

static char *
show_string(const JsonbValue *v)
{
	return show_text(v->val.string.val, v->val.string.len);
}

/* The items of an object (key and value) or of an array (value only). */
static int
json_items(const JsonbValue *v, JsonItem **items)
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
static int
key_index(const char *key, const char *const *keys, const char *path)
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
			 errmsg("unknown key %s in %s", show_text(key, strlen(key)), path),
			 errhint("Valid keys are: %s.", valid.data)));
	pg_unreachable();
}

static void
missing_key(const char *key, const char *path)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("missing key \"%s\" in %s", key, path)));
}

/*
 * A JSON number, read exactly from its decimal text: sign, integer part and
 * fraction digits (trailing zeros dropped).  jsonb numbers are finite and
 * never use exponents in numeric_out's text.
 */
typedef struct JsonNumber
{
	char	   *text;			/* for messages */
	bool		negative;
	bool		huge;			/* integer part of 16 digits or more */
	int64		ipart;			/* magnitude of the integer part */
	char		frac[7];		/* first 6 fraction digits, zero-padded */
	int			frac_digits;	/* significant fraction digits */
} JsonNumber;

static void
read_number(const JsonbValue *v, const char *path, JsonNumber *num)
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
		value_error(path, NULL, "%s is not a finite number", num->text);
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
		value_error(path, NULL, "%s is not a finite number", num->text);
	num->frac_digits = fd;
	if (num->ipart == 0 && fd == 0)
		num->negative = false;
}

/*
 * An integer value of a calendar field, in the engine's wording; values that
 * do not fit an int are out of range whatever the field.
 */
static int
field_int(const JsonbValue *v, const char *path, SpecField field)
{
	JsonNumber	num;
	int			max = field == SPEC_DAY_OF_WEEK ? 7 : spec_field_max[field];

	if (v->type != jbvNumeric)
		type_error(path, "an integer", v);
	read_number(v, path, &num);
	if (num.frac_digits > 0)
		value_error(path, NULL, "value %s is not an integer in the %s field",
					num.text, spec_field_names[field]);
	if (num.huge || num.ipart > PG_INT32_MAX)
		value_error(path, NULL, "value %s out of range %d-%d in the %s field",
					num.text, spec_field_min[field], max,
					spec_field_names[field]);
	return num.negative ? -(int) num.ipart : (int) num.ipart;
}

static void
engine_value_error(const char *path, const SpecError *err)
{
	value_error(path, NULL, "%s", err->message);
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
static int64
duration_usec(const JsonbValue *v, const char *path, int64 resolution_us)
{
	const char *unit = resolution_us == USECS_PER_SEC ? "seconds" :
		"milliseconds";
	int64		usec;
	char	   *shown;

	if (v->type == jbvNumeric)
	{
		JsonNumber	num;

		read_number(v, path, &num);
		shown = num.text;
		if (num.negative)
			value_error(path, NULL, "duration %s is negative", shown);
		if (num.huge || num.ipart > MAX_DURATION_USEC / USECS_PER_SEC)
			value_error(path, NULL, "duration %s is longer than 200 years",
						shown);
		if (num.frac_digits > 6)
			value_error(path, NULL, "duration %s is not a whole number of %s",
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

		shown = show_string(v);
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
			value_error(path, NULL, "duration %s is out of range", shown);
		if (dterr != 0 || dtype != DTK_DELTA)
			value_error(path, DURATION_HINT, "%s is not a duration", shown);
		if (months || itm.tm_mon != 0 || itm.tm_year != 0)
			value_error(path, "Use days, e.g. '30 days'.",
						"months and years are not allowed in %s, they have no fixed length",
						shown);
		/* days of 24 hours; past int64, the sign of the days decides */
		if (pg_mul_s64_overflow((int64) itm.tm_mday, USECS_PER_DAY, &usec) ||
			pg_add_s64_overflow(usec, itm.tm_usec, &usec))
			usec = itm.tm_mday < 0 ? -1 : PG_INT64_MAX;
		if (usec < 0)
			value_error(path, NULL, "duration %s is negative", shown);
		if (usec > MAX_DURATION_USEC)
			value_error(path, NULL, "duration %s is longer than 200 years",
						shown);
	}
	else
	{
		type_error(path, "a duration (a string or a number of seconds)", v);
	}

	if (usec % resolution_us != 0)
		value_error(path, NULL, "duration %s is not a whole number of %s",
					shown, unit);
	return usec;
}

/* ---- times and zones ---- */

static spec_time
time_from_json(const JsonbValue *v, const char *path, bool round_up)
{
	spec_time	t;
	int32_t		frac_us;
	SpecError	err;

	if (v->type != jbvString)
		type_error(path, "a string", v);
	if (!spec_parse_time(v->val.string.val, v->val.string.len, &t, &frac_us,
						 &err))
		value_error(path, TIME_HINT, "%s", err.message);
	/* instants are whole seconds: the bound moves inwards */
	if (round_up && frac_us > 0)
		t++;
	if (t < SPEC_TIME_TEXT_MIN || t > SPEC_TIME_TEXT_MAX)
		value_error(path, TIME_HINT, "%s is out of range", show_string(v));
	return t;
}

/* ---- calendars ---- */

static const char *const calendar_keys[] = {
	"second", "minute", "hour", "day_of_month", "month", "day_of_week",
	"year", "comment", NULL
};
static const char *const range_keys[] = {"start", "end", "step", NULL};

static void
range_from_json(const JsonbValue *v, const char *path, SpecCalendar *cal,
				SpecField field)
{
	JsonItem   *items;
	int			n;
	bool		has_start = false;
	int			start = 0,
				end = 0,
				step = 0;
	SpecError	err;

	if (!is_container(v, false))
		type_error(path, "a range object", v);
	n = json_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = key_index(items[i].key, range_keys, path);
		const JsonbValue *kv = &items[i].value;
		char	   *kpath = psprintf("%s.%s", path, items[i].key);

		if (kv->type == jbvNull)
			continue;
		if (k == 0)
		{
			start = field_int(kv, kpath, field);
			has_start = true;
		}
		else if (k == 1)
			end = field_int(kv, kpath, field);
		else
		{
			JsonNumber	num;

			if (kv->type != jbvNumeric)
				type_error(kpath, "an integer", kv);
			read_number(kv, kpath, &num);
			if (num.frac_digits > 0)
				value_error(kpath, NULL, "step %s is not an integer in the %s field",
							num.text, spec_field_names[field]);
			if (num.negative)
				value_error(kpath, NULL, "step %s must not be negative in the %s field",
							num.text, spec_field_names[field]);

			/*
			 * A step beyond a field's span selects only the start; clamping
			 * keeps the engine's stepping loop far from int overflow.
			 */
			step = (num.huge || num.ipart > 1000) ? 1000 : (int) num.ipart;
		}
	}
	if (!has_start)
		missing_key("start", path);
	if (!spec_calendar_add_range(cal, field, start, end, step, &err))
		engine_value_error(path, &err);
}

static void
field_from_json(const JsonbValue *v, const char *path, SpecCalendar *cal,
				SpecField field)
{
	SpecError	err;

	if (v->type == jbvString)
	{
		if (v->val.string.len > SPEC_JSON_MAX_TEXT)
			value_error(path, NULL, "string of %d bytes is longer than the limit of %d",
						v->val.string.len, SPEC_JSON_MAX_TEXT);
		if (!spec_calendar_parse_field(cal, field, v->val.string.val,
									   v->val.string.len, 0, &err))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for %s: %s: %s", path,
							show_string(v), err.message),
					 err.position > 0 ?
					 errdetail("The error is at character %d.", err.position) : 0));
	}
	else if (v->type == jbvNumeric)
	{
		int			x = field_int(v, path, field);

		spec_calendar_clear_field(cal, field);
		if (!spec_calendar_add_range(cal, field, x, x, 1, &err))
			engine_value_error(path, &err);
	}
	else if (is_container(v, true))
	{
		JsonItem   *items;
		int			n = json_items(v, &items);

		if (n == 0)
			value_error(path, "Leave the field out for its default, or use \"*\" for every value.",
						"an empty list matches nothing");
		spec_calendar_clear_field(cal, field);
		for (int i = 0; i < n; i++)
			range_from_json(&items[i].value, psprintf("%s[%d]", path, i),
							cal, field);
	}
	else
		type_error(path, "a list of ranges, a string or an integer", v);
}

static void
calendar_from_json(const JsonbValue *v, const char *path, SpecCalendar *cal)
{
	JsonItem   *items;
	int			n;

	if (!is_container(v, false))
		type_error(path, "a calendar object", v);
	spec_calendar_init(cal);
	n = json_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = key_index(items[i].key, calendar_keys, path);
		char	   *fpath = psprintf("%s.%s", path, items[i].key);
		const JsonbValue *fv = &items[i].value;

		if (fv->type == jbvNull)
			continue;
		if (strcmp(items[i].key, "comment") == 0)
		{
			if (fv->type != jbvString)
				type_error(fpath, "a string", fv);
			if (fv->val.string.len > SPEC_COMMENT_MAX)
				value_error(fpath, NULL, "comment of %d bytes is longer than the limit of %d",
							fv->val.string.len, SPEC_COMMENT_MAX);
			memcpy(cal->comment, fv->val.string.val, fv->val.string.len);
			cal->comment[fv->val.string.len] = '\0';
			continue;
		}
		/* calendar_keys lists the fields by name; find the SpecField */
		for (int f = 0; f < SPEC_NFIELDS; f++)
			if (strcmp(spec_field_names[f], calendar_keys[k]) == 0)
				field_from_json(fv, fpath, cal, (SpecField) f);
	}
}

/* ---- intervals ---- */

static const char *const interval_keys[] = {"every", "offset", NULL};

static void
interval_from_json(const JsonbValue *v, const char *path, SpecInterval *iv)
{
	JsonItem   *items;
	int			n;
	bool		has_every = false;
	SpecError	err;

	if (!is_container(v, false))
		type_error(path, "an interval object", v);
	iv->every = 0;
	iv->offset = 0;
	n = json_items(v, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = key_index(items[i].key, interval_keys, path);
		int64		secs;

		if (items[i].value.type == jbvNull)
			continue;
		secs = duration_usec(&items[i].value,
							 psprintf("%s.%s", path, items[i].key),
							 USECS_PER_SEC) / USECS_PER_SEC;
		if (k == 0)
		{
			iv->every = secs;
			has_every = true;
		}
		else
			iv->offset = secs;
	}
	if (!has_every)
		missing_key("every", path);
	if (!spec_interval_check(iv, &err))
		engine_value_error(path, &err);
}

/* ---- cron strings and the zone agreement ---- */

typedef struct CronZone
{
	const char *path;			/* spec.cron_expressions[i] */
	const char *text;			/* the whole string, shown */
	const char *zone;			/* its prefix, or NULL */
} CronZone;

/* Position (1-based) of the zone name in "  TZ=zone ...". */
static int
zone_position(const char *str)
{
	const char *eq = strchr(str, '=');

	return eq ? (int) (eq - str) + 2 : 0;
}

static void
cron_from_json(const JsonbValue *v, const char *path, SpecCron *cron,
			   CronZone *cz)
{
	char	   *str;
	SpecError	err;

	if (v->type != jbvString)
		type_error(path, "a string", v);
	if (v->val.string.len > SPEC_JSON_MAX_TEXT)
		value_error(path, NULL, "string of %d bytes is longer than the limit of %d",
					v->val.string.len, SPEC_JSON_MAX_TEXT);
	str = pnstrdup(v->val.string.val, v->val.string.len);
	cz->path = path;
	cz->text = show_string(v);
	cz->zone = NULL;
	if (!spec_parse_cron(str, 0, cron, &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cron expression %s: %s", cz->text, err.message),
				 err.position > 0 ?
				 errdetail("The error is at character %d.", err.position) : 0));
	if (cron->kind == SPEC_CRON_CALENDAR && cron->tz_name[0] != '\0')
	{
		const char *canonical;

		if (spec_pgtz_find(cron->tz_name, &canonical) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid cron expression %s: unknown time zone %s",
							cz->text,
							show_text(cron->tz_name, strlen(cron->tz_name))),
					 errdetail("The error is at character %d.",
							   zone_position(str)),
					 errhint(TZ_HINT)));
		cz->zone = canonical;
	}
}

/*
 * Applies the zone agreement rule (see the banner) and sets the spec's zone.
 * tz_name, tz: time_zone_name (canonical) and its zone, or NULL when unset.
 */
static void
agree_zones(SpecJson *out, const char *tz_name, pg_tz *tz,
			const CronZone *crons, int ncrons)
{
	const char *zone = tz_name;
	const char *zone_path = "spec.time_zone_name";

	for (int i = 0; i < ncrons; i++)
	{
		const char *z = crons[i].zone;

		if (z == NULL)
			z = tz_name ? tz_name : "UTC";
		if (zone == NULL)
		{
			zone = z;
			zone_path = crons[i].path;
		}
		else if (strcmp(zone, z) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("conflicting time zone names: \"%s\" and \"%s\"",
							zone, z),
					 errdetail("%s is in \"%s\", %s is in \"%s\".",
							   zone_path, zone, crons[i].path, z),
					 errhint("A spec has one time zone: every cron expression without a CRON_TZ= prefix uses time_zone_name, or UTC when that is not set.")));
	}

	if (zone == NULL || strcmp(zone, "UTC") == 0)
	{
		out->tz = NULL;
		strlcpy(out->tz_name, "UTC", sizeof(out->tz_name));
	}
	else
	{
		const char *canonical;

		if (zone != tz_name)
			tz = spec_pgtz_find(zone, &canonical);
		out->tz = tz;
		strlcpy(out->tz_name, zone, sizeof(out->tz_name));
	}
	out->spec.tz = spec_pgtz_tz(out->tz);
}

/* ---- the spec ---- */

enum
{
	K_CALENDARS,
	K_CRON,
	K_INTERVALS,
	K_SKIP,
	K_START_AT,
	K_END_AT,
	K_JITTER,
	K_TIME_ZONE_NAME,
	K_COUNT
};

static const char *const spec_keys[] = {
	"calendars", "cron_expressions", "intervals", "skip", "start_at",
	"end_at", "jitter", "time_zone_name", NULL
};

/* The items of an array-valued spec key ([] when absent). */
static int
spec_array(const JsonbValue *v, const char *path, JsonItem **items)
{
	if (v == NULL)
	{
		*items = NULL;
		return 0;
	}
	if (!is_container(v, true))
		type_error(path, "an array", v);
	return json_items(v, items);
}

void
spec_from_jsonb_value(const JsonbValue *root, const char *path, SpecJson *out)
{
	const JsonbValue *val[K_COUNT] = {NULL};
	JsonItem   *items;
	JsonItem   *cal_items,
			   *cron_items,
			   *iv_items,
			   *skip_items;
	int			n,
				ncal,
				ncron,
				niv,
				nskip;
	const char *tz_name = NULL;
	pg_tz	   *tz = NULL;
	CronZone   *crons;
	int			ncronzones = 0;
	char	   *kpath[K_COUNT];

	if (root->type == jbvObject || root->type == jbvArray)
	{
		/* an in-memory value: flatten it to read it like any other */
		Jsonb	   *jb = JsonbValueToJsonb((JsonbValue *) root);

		spec_from_jsonb(jb, path, out);
		return;
	}

	memset(out, 0, sizeof(*out));
	out->spec.start_at = SPEC_TIME_MIN;
	out->spec.end_at = SPEC_TIME_MAX;

	if (!is_container(root, false))
		type_error(path, "an object", root);
	n = json_items(root, &items);
	for (int i = 0; i < n; i++)
	{
		int			k = key_index(items[i].key, spec_keys, path);

		if (items[i].value.type != jbvNull)
			val[k] = &items[i].value;
	}
	for (int k = 0; k < K_COUNT; k++)
		kpath[k] = psprintf("%s.%s", path, spec_keys[k]);

	/* the zone first: cron strings are checked against it */
	if (val[K_TIME_ZONE_NAME])
	{
		const JsonbValue *v = val[K_TIME_ZONE_NAME];

		if (v->type != jbvString)
			type_error(kpath[K_TIME_ZONE_NAME], "a string", v);
		if (v->val.string.len > 0)
		{
			char	   *name = pnstrdup(v->val.string.val, v->val.string.len);

			tz = spec_pgtz_find(name, &tz_name);
			if (tz == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for %s: unknown time zone %s",
								kpath[K_TIME_ZONE_NAME], show_string(v)),
						 errhint(TZ_HINT)));
		}
	}

	/* sizes first, so an oversized spec costs no parsing */
	ncal = spec_array(val[K_CALENDARS], kpath[K_CALENDARS], &cal_items);
	ncron = spec_array(val[K_CRON], kpath[K_CRON], &cron_items);
	niv = spec_array(val[K_INTERVALS], kpath[K_INTERVALS], &iv_items);
	nskip = spec_array(val[K_SKIP], kpath[K_SKIP], &skip_items);
	if (ncal + ncron > SPEC_JSON_MAX_CALENDARS)
		value_error(path, NULL, "%d calendars and cron expressions exceed the limit of %d",
					ncal + ncron, SPEC_JSON_MAX_CALENDARS);
	if (niv > SPEC_JSON_MAX_INTERVALS)
		value_error(kpath[K_INTERVALS], NULL, "%d intervals exceed the limit of %d",
					niv, SPEC_JSON_MAX_INTERVALS);
	if (nskip > SPEC_JSON_MAX_SKIP)
		value_error(kpath[K_SKIP], NULL, "%d skip calendars exceed the limit of %d",
					nskip, SPEC_JSON_MAX_SKIP);

	out->calendars = palloc(sizeof(SpecCalendar) * Max(ncal + ncron, 1));
	out->intervals = palloc(sizeof(SpecInterval) * Max(niv + ncron, 1));
	out->skip = palloc(sizeof(SpecCalendar) * Max(nskip, 1));
	crons = palloc(sizeof(CronZone) * Max(ncron, 1));

	for (int i = 0; i < ncal; i++)
		calendar_from_json(&cal_items[i].value,
						   psprintf("%s[%d]", kpath[K_CALENDARS], i),
						   &out->calendars[out->spec.ncalendars++]);
	for (int i = 0; i < niv; i++)
		interval_from_json(&iv_items[i].value,
						   psprintf("%s[%d]", kpath[K_INTERVALS], i),
						   &out->intervals[out->spec.nintervals++]);
	for (int i = 0; i < ncron; i++)
	{
		SpecCron	cron;
		CronZone	cz;

		cron_from_json(&cron_items[i].value,
					   psprintf("%s[%d]", kpath[K_CRON], i), &cron, &cz);
		if (cron.kind == SPEC_CRON_INTERVAL)
			out->intervals[out->spec.nintervals++] = cron.interval;
		else
		{
			out->calendars[out->spec.ncalendars++] = cron.calendar;
			crons[ncronzones++] = cz;
		}
	}
	if (out->spec.nintervals > SPEC_JSON_MAX_INTERVALS)
		value_error(path, NULL, "%d intervals and @every expressions exceed the limit of %d",
					out->spec.nintervals, SPEC_JSON_MAX_INTERVALS);
	for (int i = 0; i < nskip; i++)
		calendar_from_json(&skip_items[i].value,
						   psprintf("%s[%d]", kpath[K_SKIP], i),
						   &out->skip[out->spec.nskip++]);

	if (val[K_START_AT])
		out->spec.start_at = time_from_json(val[K_START_AT],
											kpath[K_START_AT], true);
	if (val[K_END_AT])
		out->spec.end_at = time_from_json(val[K_END_AT], kpath[K_END_AT],
										  false);
	if (val[K_JITTER])
		out->spec.jitter_ms = duration_usec(val[K_JITTER], kpath[K_JITTER],
											1000) / 1000;

	agree_zones(out, tz_name, tz, crons, ncronzones);

	out->spec.calendars = out->calendars;
	out->spec.intervals = out->intervals;
	out->spec.skip = out->skip;
}

void
spec_from_jsonb(Jsonb *jb, const char *path, SpecJson *out)
{
	JsonbValue	root;

	if (JB_ROOT_IS_SCALAR(jb))
	{
		if (!JsonbExtractScalar(&jb->root, &root))
			elog(ERROR, "could not extract a scalar from a scalar jsonb");
	}
	else
	{
		root.type = jbvBinary;
		root.val.binary.data = &jb->root;
		root.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
	spec_from_jsonb_value(&root, path, out);
}

/* ---- the canonical form ---- */

static void
push_key(JsonbParseState **st, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
}

static void
push_string(JsonbParseState **st, JsonbIteratorToken tok, const char *s)
{
	JsonbValue	v;

	/* the parse state keeps the pointer: give it a copy that lasts */
	v.type = jbvString;
	v.val.string.val = pstrdup(s);
	v.val.string.len = strlen(s);
	pushJsonbValue(st, tok, &v);
}

static void
push_int(JsonbParseState **st, const char *key, int64 x)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(x);
	push_key(st, key);
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* ISO 8601 with days of 24 hours: "P1DT2H", "PT1H30M", "PT0.5S", "PT0S". */
static char *
format_duration_ms(int64 ms)
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

static void
push_time(JsonbParseState **st, const char *key, spec_time t)
{
	char		buf[SPEC_TIME_TEXT_LEN];

	spec_format_time(t, buf);
	push_key(st, key);
	push_string(st, WJB_VALUE, buf);
}

static void
push_calendar(JsonbParseState **st, const SpecCalendar *cal)
{
	static const SpecField order[] = {SPEC_SECOND, SPEC_MINUTE, SPEC_HOUR,
		SPEC_DAY_OF_MONTH, SPEC_MONTH, SPEC_DAY_OF_WEEK, SPEC_YEAR};
	SpecRange	ranges[SPEC_MAX_RANGES];

	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < (int) lengthof(order); i++)
	{
		SpecField	f = order[i];
		int			n;

		if (f == SPEC_YEAR && spec_calendar_field_is_full(cal, f))
			continue;
		n = spec_calendar_field_ranges(cal, f, ranges);
		push_key(st, spec_field_names[f]);
		pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
		for (int r = 0; r < n; r++)
		{
			pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
			push_int(st, "start", ranges[r].start);
			if (ranges[r].end > ranges[r].start)
				push_int(st, "end", ranges[r].end);
			if (ranges[r].step > 1)
				push_int(st, "step", ranges[r].step);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
	}
	if (cal->comment[0] != '\0')
	{
		push_key(st, "comment");
		push_string(st, WJB_VALUE, cal->comment);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
push_calendars(JsonbParseState **st, const char *key,
			   const SpecCalendar *cals, int n)
{
	push_key(st, key);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
		push_calendar(st, &cals[i]);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

JsonbValue *
spec_push_jsonb(JsonbParseState **st, const SpecJson *sj)
{
	const Spec *s = &sj->spec;

	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	push_calendars(st, "calendars", s->calendars, s->ncalendars);

	push_key(st, "intervals");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < s->nintervals; i++)
	{
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		push_key(st, "every");
		push_string(st, WJB_VALUE,
					format_duration_ms(s->intervals[i].every * 1000));
		push_key(st, "offset");
		push_string(st, WJB_VALUE,
					format_duration_ms(s->intervals[i].offset * 1000));
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);

	push_calendars(st, "skip", s->skip, s->nskip);

	if (s->start_at != SPEC_TIME_MIN)
		push_time(st, "start_at", s->start_at);
	if (s->end_at != SPEC_TIME_MAX)
		push_time(st, "end_at", s->end_at);
	if (s->jitter_ms > 0)
	{
		push_key(st, "jitter");
		push_string(st, WJB_VALUE, format_duration_ms(s->jitter_ms));
	}
	push_key(st, "time_zone_name");
	push_string(st, WJB_VALUE, sj->tz_name);
	return pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

Jsonb *
spec_to_jsonb(const SpecJson *sj)
{
	JsonbParseState *st = NULL;

	return JsonbValueToJsonb(spec_push_jsonb(&st, sj));
}
