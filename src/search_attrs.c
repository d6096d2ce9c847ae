/*-------------------------------------------------------------------------
 *
 * search_attrs.c
 *	  Search attributes of schedules: types, the built-in attributes, the
 *	  registry of custom ones, and a schedule's values in canonical form.
 *
 * As in Temporal, a custom attribute must be registered with its type
 * (sched.add_search_attribute) before a schedule may carry it; a value of
 * the wrong type is refused with 22023 naming the attribute and the value.
 * The canonical form makes equality a jsonb containment (@>) that the GIN
 * index on sched.schedules.search_attributes answers: Int is a whole
 * number, Datetime is UTC RFC 3339 as sched.describe writes times, a JSON
 * null means "not set" and is dropped.  Reading the registry row FOR SHARE
 * while a schedule is written makes sched.remove_search_attribute (which
 * deletes the row, then checks that no schedule uses the attribute) wait
 * for that writer, so no schedule keeps an attribute that is gone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "json_input.h"
#include "sched_limits.h"
#include "schedule_json.h"
#include "search_attrs.h"
#include "spi_query.h"
#include "sql_args.h"

const char *const search_type_names[SEARCH_NTYPES] = {
	"Keyword", "Text", "Int", "Double", "Bool", "Datetime", "KeywordList"
};

/*
 * Temporal's built-in attributes that mean something for a schedule: its
 * id, the workflow type of its action (an SQL action's runs are of type
 * "sql"), and whether it is paused.  None is ever NULL.
 */
const SearchBuiltin search_builtins[] = {
	{"ScheduleId", SEARCH_KEYWORD, "s.schedule_id"},
	{"WorkflowType", SEARCH_KEYWORD, "COALESCE(s.action->>'workflow', 'sql')"},
	{"TemporalSchedulePaused", SEARCH_BOOL, "s.paused"},
};
const int	search_nbuiltins = lengthof(search_builtins);

const SearchBuiltin *
search_builtin(const char *name)
{
	for (int i = 0; i < search_nbuiltins; i++)
		if (strcmp(search_builtins[i].name, name) == 0)
			return &search_builtins[i];
	return NULL;
}

const char *
search_type_expected(SearchType type)
{
	switch (type)
	{
		case SEARCH_KEYWORD:
			return "a Keyword (a string)";
		case SEARCH_TEXT:
			return "a Text (a string)";
		case SEARCH_INT:
			return "an Int (a whole number)";
		case SEARCH_DOUBLE:
			return "a Double (a number)";
		case SEARCH_BOOL:
			return "a Bool (true or false)";
		case SEARCH_DATETIME:
			return "a Datetime (an RFC 3339 time with an offset, such as \"2026-12-03T17:00:00Z\")";
		case SEARCH_KEYWORD_LIST:
			return "a KeywordList (an array of strings)";
		default:
			return "a value";
	}
}

static SpiQuery plan_type;
static SpiQuery plan_type_lock;

bool
search_registered_type(const char *name, bool lock, SearchType *type)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *t;

	values[0] = CStringGetTextDatum(name);
	if (lock)
		spi_run_sql(&plan_type_lock,
					"SELECT type FROM sched.search_attribute_types"
					" WHERE name = $1 FOR SHARE",
					1, types, values, NULL, false, 1);
	else
		spi_run_sql(&plan_type,
					"SELECT type FROM sched.search_attribute_types"
					" WHERE name = $1",
					1, types, values, NULL, false, 1);
	if (SPI_processed == 0)
		return false;
	t = spi_text(0, 1);
	for (int i = 0; i < SEARCH_NTYPES; i++)
		if (strcmp(t, search_type_names[i]) == 0)
		{
			*type = (SearchType) i;
			return true;
		}
	elog(ERROR, "unknown search attribute type \"%s\"", t);
}

bool
search_parse_datetime(const char *s, int len, TimestampTz *ts)
{
	spec_time	t;
	int32_t		frac_us;
	SpecError	err;

	if (!spec_parse_time(s, (size_t) len, &t, &frac_us, &err))
		return false;
	*ts = schedule_spec_to_ts(t) + frac_us;
	return true;
}

/* A value for "found ...": a string quoted, a number or boolean as is. */
static char *
show_value(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return jsonin_show_string(v);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return pstrdup(jsonin_type_name(v));
	}
}

static void type_error(const char *path, SearchType type, const JsonbValue *v)
			pg_attribute_noreturn();

static void
type_error(const char *path, SearchType type, const JsonbValue *v)
{
	jsonin_value_error(path, NULL, "expected %s, found %s",
					   search_type_expected(type), show_value(v));
}

static void
check_string_size(const char *path, int len)
{
	if (len > SEARCH_ATTR_VALUE_MAX)
		jsonin_value_error(path, NULL, SCHED_TOO_LONG_FMT, len,
						   SEARCH_ATTR_VALUE_MAX);
}

/*
 * A whole number in int64 range from a JSON number ("5", "5.0", "-12");
 * false otherwise.
 */
static bool
whole_number(Numeric num, int64 *out)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
														NumericGetDatum(num)));
	char	   *dot = strchr(s, '.');
	char	   *end;

	if (dot != NULL)
	{
		for (char *p = dot + 1; *p; p++)
			if (*p != '0')
				return false;
		*dot = '\0';
	}
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && end != s;
}

/* Pushes the canonical form of one value, or fails with 22023. */
static void
push_value(JsonbParseState **st, const char *path, SearchType type,
		   const JsonbValue *v)
{
	switch (type)
	{
		case SEARCH_KEYWORD:
		case SEARCH_TEXT:
			if (v->type != jbvString)
				type_error(path, type, v);
			check_string_size(path, v->val.string.len);
			pushJsonbValue(st, WJB_VALUE, (JsonbValue *) v);
			return;
		case SEARCH_INT:
			{
				int64		x;

				if (v->type != jbvNumeric || !whole_number(v->val.numeric, &x))
					type_error(path, type, v);
				schedule_push_int(st, WJB_VALUE, x);
				return;
			}
		case SEARCH_DOUBLE:
			if (v->type != jbvNumeric)
				type_error(path, type, v);
			pushJsonbValue(st, WJB_VALUE, (JsonbValue *) v);
			return;
		case SEARCH_BOOL:
			if (v->type != jbvBool)
				type_error(path, type, v);
			pushJsonbValue(st, WJB_VALUE, (JsonbValue *) v);
			return;
		case SEARCH_DATETIME:
			{
				TimestampTz ts;

				if (v->type != jbvString ||
					!search_parse_datetime(v->val.string.val,
										   v->val.string.len, &ts))
					type_error(path, type, v);
				schedule_push_text(st, WJB_VALUE, schedule_format_time(ts));
				return;
			}
		case SEARCH_KEYWORD_LIST:
			{
				JsonItem   *items;
				int			n;
				int			total = 0;

				if (!jsonin_is_container(v, true))
					type_error(path, type, v);
				n = jsonin_items(v, &items);
				pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
				for (int i = 0; i < n; i++)
				{
					if (items[i].value.type != jbvString)
						type_error(psprintf("%s[%d]", path, i), SEARCH_KEYWORD,
								   &items[i].value);
					total += items[i].value.val.string.len;
					check_string_size(path, total);
					pushJsonbValue(st, WJB_ELEM, &items[i].value);
				}
				pushJsonbValue(st, WJB_END_ARRAY, NULL);
				return;
			}
		default:
			break;
	}
	elog(ERROR, "unexpected search attribute type %d", (int) type);
}

Jsonb *
search_attrs_canonical(Jsonb *jb, const char *path)
{
	JsonbValue	root;
	JsonItem   *items;
	int			n;
	int			kept = 0;
	JsonbParseState *st = NULL;
	Jsonb	   *result;

	jsonin_root_value(jb, &root);
	if (!jsonin_is_container(&root, false))
		jsonin_type_error(path, "an object", &root);
	n = jsonin_items(&root, &items);
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n; i++)
	{
		char	   *vpath = psprintf("%s.%s", path, items[i].key);
		SearchType	type;

		if (search_builtin(items[i].key) != NULL)
			jsonin_value_error(vpath,
							   "Built-in attributes come from the schedule itself.",
							   "search attribute \"%s\" is built in and cannot be set",
							   items[i].key);
		if (!search_registered_type(items[i].key, true, &type))
			jsonin_value_error(vpath,
							   "Register it first with sched.add_search_attribute(name, type); sched.search_attributes() lists them.",
							   "search attribute \"%s\" is not registered",
							   items[i].key);
		if (items[i].value.type == jbvNull)
			continue;			/* Temporal: null unsets */
		if (++kept > SEARCH_ATTRS_MAX_KEYS)
			jsonin_value_error(path, NULL,
							   "more than %d search attributes",
							   SEARCH_ATTRS_MAX_KEYS);
		schedule_push_key(&st, items[i].key);
		push_value(&st, vpath, type, &items[i].value);
	}
	result = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
	if (VARSIZE(result) > SEARCH_ATTRS_TOTAL_MAX)
		jsonin_value_error(path, NULL, SCHED_TOO_LONG_FMT,
						   (int) VARSIZE(result), SEARCH_ATTRS_TOTAL_MAX);
	return result;
}
