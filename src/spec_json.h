/*-------------------------------------------------------------------------
 *
 * spec_json.h
 *	  Specs as JSON: jsonb -> Spec (strict, SEMANTICS.md part 9) and
 *	  Spec -> the canonical jsonb that validate_spec and describe show.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPEC_JSON_H
#define SPEC_JSON_H

#include "pgtime.h"
#include "utils/jsonb.h"

#include "spec.h"

/* Limits that keep one spec's parsing and evaluation cheap. */
#define SPEC_JSON_MAX_CALENDARS		1000	/* calendars + cron strings */
#define SPEC_JSON_MAX_INTERVALS		1000	/* intervals + @every strings */
#define SPEC_JSON_MAX_SKIP			1000
#define SPEC_JSON_MAX_TEXT			4096	/* bytes of a cron or field string */
#define SPEC_JSON_MAX_RANGES		1000	/* range objects of one calendar field */

/*
 * A spec read from JSON.  "spec" points into the palloc'd arrays below and,
 * for a zone other than UTC, at PostgreSQL's cached pg_tz, so a SpecJson
 * lives as long as the memory context it was built in.
 */
typedef struct SpecJson
{
	Spec		spec;
	SpecCalendar *calendars;	/* calendars, then cron calendars */
	SpecInterval *intervals;	/* intervals, then @every strings */
	SpecCalendar *skip;
	int		   *calendar_cron;	/* per calendar: its cron_expressions index, or -1 */
	int		   *interval_cron;	/* per interval: its cron_expressions index, or -1 */
	pg_tz	   *tz;				/* NULL: UTC */
	char		tz_name[TZ_STRLEN_MAX + 1]; /* canonical; "UTC" when unset */
} SpecJson;

/*
 * Reads a spec; "path" names it in error messages ("spec",
 * "schedule.spec").  Every problem is an ERROR with SQLSTATE 22023 naming
 * the offending field and value.
 */
extern void spec_from_jsonb(Jsonb *jb, const char *path, SpecJson *out);
/* The same for a spec nested in a larger document (jbvBinary or scalar). */
extern void spec_from_jsonb_value(const JsonbValue *v, const char *path,
								  SpecJson *out);

/* The canonical form: a fixed point of spec_from_jsonb + spec_to_jsonb. */
extern Jsonb *spec_to_jsonb(const SpecJson *sj);
/* Pushes the canonical object into a document being built (as a value). */
extern JsonbValue *spec_push_jsonb(JsonbParseState **state,
								   const SpecJson *sj);

#endif							/* SPEC_JSON_H */
