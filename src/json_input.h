/*-------------------------------------------------------------------------
 *
 * json_input.h
 *	  Strict reading of jsonb documents, shared by the document readers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_JSON_INPUT_H
#define PG_SCHED_JSON_INPUT_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "sched_limits.h"

/* Durations above this are refused: the spec engine's bound for intervals. */
#define JSONIN_MAX_DURATION_USEC	SCHED_DURATION_MAX_USEC

#define JSONIN_DURATION_HINT "Write a duration as PostgreSQL interval text ('90 minutes'), ISO 8601 ('PT1H30M') or a number of seconds."

/* "invalid value for <path>: <reason>", the one shape of value errors. */
#define jsonin_value_error(path, hint, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
			 errmsg("invalid value for %s: %s", (path), psprintf(__VA_ARGS__)), \
			 (hint) ? errhint("%s", (const char *) (hint)) : 0))

/* A member of an object (key set) or an element of an array (key NULL). */
typedef struct JsonItem
{
	char	   *key;
	JsonbValue	value;
} JsonItem;

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

extern void jsonin_root_value(Jsonb *jb, JsonbValue *root);
extern bool jsonin_is_container(const JsonbValue *v, bool array);
extern const char *jsonin_type_name(const JsonbValue *v);
extern void jsonin_type_error(const char *path, const char *expected,
							  const JsonbValue *v) pg_attribute_noreturn();
extern void jsonin_missing_key(const char *key, const char *path) pg_attribute_noreturn();
/* A string quoted for a message, cut at 100 bytes (on a character). */
extern char *jsonin_show_text(const char *s, int len);
extern char *jsonin_show_string(const JsonbValue *v);
extern int	jsonin_items(const JsonbValue *v, JsonItem **items);
extern int	jsonin_key_index(const char *key, const char *const *keys,
							 const char *path);
extern void jsonin_read_number(const JsonbValue *v, const char *path,
							   JsonNumber *num);

/*
 * A duration in microseconds, >= 0 and at most 200 years; resolution_us is
 * 1000000 (whole seconds) or 1000 (milliseconds).
 */
extern int64 jsonin_duration_usec(const JsonbValue *v, const char *path,
								  int64 resolution_us);
/* ISO 8601 with days of 24 hours: "P1DT2H", "PT1H30M", "PT0.5S", "PT0S". */
extern char *jsonin_format_duration_ms(int64 ms);

/*
 * An SQL interval argument as a user types it ("-1 hour", "1 day 30
 * minutes", "0.5 seconds"), whatever IntervalStyle is: error messages show
 * the value in the words it was most likely given in, not as interval_out
 * rewrites it ("-01:00:00", "@ 1 hour ago").
 */
extern char *jsonin_format_interval(const Interval *iv);

#endif							/* PG_SCHED_JSON_INPUT_H */
