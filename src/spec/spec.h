/*-------------------------------------------------------------------------
 *
 * spec.h
 *	  The pg_sched spec engine: when does a schedule fire?
 *
 * A spec is a set of instants at one-second resolution: the union of
 * calendars, cron expressions and intervals, minus anything matching a skip
 * calendar, restricted to [start_at, end_at] and to years up to 2100 (see
 * SEMANTICS.md part 1).  This header is the engine's whole public API.
 *
 * The engine is plain C99: it never includes postgres.h, never allocates and
 * never throws.  Callers own every struct; failures come back as a SpecError
 * (what went wrong, in which field, at which character) that the backend
 * glue turns into ereport() and the unit tests compare against.  Time zones
 * come in through SpecTz, so the backend can use PostgreSQL's own tz
 * database while tests and benchmarks read the system zoneinfo.
 *
 * Glossary: a *calendar* matches wall-clock fields; an *interval* matches
 * epoch-aligned multiples of a duration; a *nominal time* is an instant the
 * spec matches; jitter turns it into the *actual time* an action fires.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPEC_H
#define SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds since 1970-01-01 00:00:00 UTC. */
typedef int64_t spec_time;

#define SPEC_TIME_MIN		INT64_MIN	/* "no start_at" */
#define SPEC_TIME_MAX		INT64_MAX	/* "no end_at" */

#define SPEC_MIN_YEAR		2000
#define SPEC_MAX_YEAR		2100	/* nothing fires after 2100-12-31 23:59:59
									 * local time */
#define SPEC_COMMENT_MAX	200		/* bytes, without the terminator */
#define SPEC_TZ_NAME_MAX	255		/* as PostgreSQL's TZ_STRLEN_MAX */
#define SPEC_MAX_EXCLUSIONS 100000	/* skip matches tolerated per next() */
/*
 * Work tolerated per next(): each candidate costs one unit per calendar,
 * interval and skip calendar of the spec (the searches and tests it takes).
 * 500,000 units are at most a few tens of milliseconds; a spec of up to
 * four parts still gets its SPEC_MAX_EXCLUSIONS, one of 2,000 parts 250
 * skips in a row.
 */
#define SPEC_MAX_WORK		500000

/* Calendar fields, in the order of a 7-field cron expression's columns. */
typedef enum SpecField
{
	SPEC_SECOND,
	SPEC_MINUTE,
	SPEC_HOUR,
	SPEC_DAY_OF_MONTH,
	SPEC_MONTH,
	SPEC_DAY_OF_WEEK,
	SPEC_YEAR,
	SPEC_NFIELDS
} SpecField;

/* JSON names of the fields ("day_of_month", ...), indexed by SpecField. */
extern const char *const spec_field_names[SPEC_NFIELDS];
/* Smallest and largest value of each field (day_of_week: 0-6). */
extern const int spec_field_min[SPEC_NFIELDS];
extern const int spec_field_max[SPEC_NFIELDS];

typedef enum SpecErrorCode
{
	SPEC_OK = 0,
	SPEC_ERR_SYNTAX,			/* malformed text */
	SPEC_ERR_RANGE,				/* value outside the field's bounds */
	SPEC_ERR_UNSUPPORTED,		/* valid elsewhere, refused here (W, ?, H) */
	SPEC_ERR_TIME_ZONE,			/* unknown or conflicting zone */
	SPEC_ERR_EXCLUSIONS,		/* skip calendars excluded too much */
	SPEC_ERR_LIMIT				/* input too large */
} SpecErrorCode;

/*
 * What went wrong.  "message" is complete and lowercase, e.g.
 * "step must be at least 1 in the minute field"; "position" is the 1-based
 * character of the input where the problem starts (0: not applicable);
 * "field" is the calendar field concerned, or -1.
 */
typedef struct SpecError
{
	SpecErrorCode code;
	int			position;
	int			field;
	char		message[256];
} SpecError;

/*
 * A calendar: one bit per allowed value of each field.  A time matches when
 * every field matches on the wall clock of the spec's zone; day_of_month and
 * day_of_week combine with AND unless day_or is set (standard cron's rule,
 * used only for workflow cron_schedule).
 */
#define SPEC_MAX_NTH		5	/* a weekday occurs at most 5 times a month */

typedef struct SpecCalendar
{
	uint64_t	second;			/* bits 0-59 */
	uint64_t	minute;			/* bits 0-59 */
	uint32_t	hour;			/* bits 0-23 */
	uint32_t	day_of_month;	/* bits 1-31 */
	uint16_t	month;			/* bits 1-12 */
	uint8_t		day_of_week;	/* bits 0-6, 0 = Sunday */
	bool		day_or;			/* cron OR rule for day_of_month/day_of_week */

	/*
	 * Days counted from the end of the month and n-th weekdays, which belong
	 * to the day_of_month and day_of_week fields respectively (a day matches
	 * day_of_month when it is in day_of_month or in day_of_month_last, and
	 * so on).  Bit k (1-31) of day_of_month_last: the k-th day from the end
	 * (1 = the last day, cron "L"; JSON -k).  Bit d of weekday_nth[n - 1]:
	 * the n-th weekday d of the month (cron "d#n"); of weekday_last[n - 1]:
	 * the n-th to last one (cron "dL" for n = 1; JSON nth -n).
	 */
	uint32_t	day_of_month_last;
	uint8_t		weekday_nth[SPEC_MAX_NTH];
	uint8_t		weekday_last[SPEC_MAX_NTH];
	uint64_t	year[2];		/* bit n = year 2000 + n, up to 2100 */
	char		comment[SPEC_COMMENT_MAX + 1];
} SpecCalendar;

/* Every instant epoch + n * every + offset, in seconds; 0 <= offset < every. */
typedef struct SpecInterval
{
	int64_t		every;
	int64_t		offset;
} SpecInterval;

/*
 * A time zone provider.  lookup() returns the UTC offset (seconds east of
 * Greenwich) in effect at instant t and the first instant after t at which
 * the offset may change (SPEC_TIME_MAX if never).  Returning false means the
 * zone could not answer.  A SpecTz with lookup == NULL is UTC.
 */
typedef bool (*SpecTzLookup) (const void *zone, spec_time t,
							  int32_t *utc_offset, spec_time *next_change);

typedef struct SpecTz
{
	SpecTzLookup lookup;
	const void *zone;
} SpecTz;

/*
 * What calendars do at a DST transition (intervals are UTC and never see
 * one).  The zero value is SEMANTICS.md 1.6: a wall-clock time that occurs
 * twice fires twice, one that does not exist does not fire.
 *
 * repeated: FIRST keeps only the earliest instant showing a repeated wall
 * time, SECOND only the latest.  skipped: NEXT_VALID fires a wall time that
 * falls in a gap at the first instant after the gap (the transition itself;
 * several such times in one gap collapse into that one instant).
 */
typedef enum SpecDstRepeated
{
	SPEC_DST_REPEATED_BOTH = 0,
	SPEC_DST_REPEATED_FIRST,
	SPEC_DST_REPEATED_SECOND
} SpecDstRepeated;

typedef enum SpecDstSkipped
{
	SPEC_DST_SKIPPED_SKIP = 0,
	SPEC_DST_SKIPPED_NEXT_VALID
} SpecDstSkipped;

typedef struct SpecDst
{
	SpecDstRepeated repeated;
	SpecDstSkipped skipped;
} SpecDst;

/*
 * A whole spec.  The arrays belong to the caller and must outlive the Spec.
 * start_at and end_at are inclusive; SPEC_TIME_MIN / SPEC_TIME_MAX when
 * unset.
 */
typedef struct Spec
{
	const SpecCalendar *calendars;
	int			ncalendars;
	const SpecInterval *intervals;
	int			nintervals;
	const SpecCalendar *skip;
	int			nskip;
	spec_time	start_at;
	spec_time	end_at;
	int64_t		jitter_ms;
	SpecTz		tz;
	SpecDst		dst;			/* zero: both, skip */
} Spec;

/* ---- calendar.c: building calendars ---- */

/*
 * Calendar defaults for omitted fields: second, minute, hour = 0;
 * day_of_month, month, day_of_week = all; year = any.  So an initialised
 * calendar is "every day at 00:00:00".
 */
extern void spec_calendar_init(SpecCalendar *cal);
/* Removes every value of one field (before adding ranges to it). */
extern void spec_calendar_clear_field(SpecCalendar *cal, SpecField field);
/* Every value of one field. */
extern void spec_calendar_fill_field(SpecCalendar *cal, SpecField field);

/*
 * Adds the range {start, end, step} to a field: an end smaller than start
 * means end = start, a step of 0 means 1; a negative step or a value out of
 * the field's bounds is an error.
 */
extern bool spec_calendar_add_range(SpecCalendar *cal, SpecField field,
									int start, int end, int step,
									SpecError *err);

/*
 * Day ranges counted from the end of the month: day_of_month -31..-1
 * (start and end both negative; -1 = the last day).  add_range takes them
 * in the day_of_month field.  spec_calendar_add_nth adds the n-th weekdays
 * start..end (by step) of day_of_week, nth 1..5 or -5..-1 (-1 = the last).
 */
extern bool spec_calendar_add_nth(SpecCalendar *cal, int start, int end,
								  int step, int nth, SpecError *err);

/*
 * Replaces one field with the values of a string in cron field syntax
 * ("*", "mon-fri", "*\/15", "1,15", "5-7" in day_of_week = Fri-Sun).
 * day_of_month also takes "L" (the last day) and "L-n" (n days before it);
 * day_of_week "dL" / "DDDL" (the last weekday d of the month) and "d#n" /
 * "DDD#n" (the n-th, 1-5).  Error positions are 1-based within str, plus
 * pos_base.
 */
extern bool spec_calendar_parse_field(SpecCalendar *cal, SpecField field,
									  const char *str, size_t len,
									  int pos_base, SpecError *err);

extern bool spec_calendar_field_has(const SpecCalendar *cal, SpecField field,
									int value);
extern bool spec_calendar_field_is_full(const SpecCalendar *cal,
										SpecField field);

/* One normalised range of a field, as validate_spec shows it. */
typedef struct SpecRange
{
	int			start;
	int			end;
	int			step;
} SpecRange;

/*
 * The field's values as a short, deterministic list of ranges: runs of
 * consecutive values become {start, end, 1}, arithmetic progressions of
 * three or more become {start, end, step}, the rest single values.
 * Returns the number of ranges written (at most 128 are ever needed).
 */
#define SPEC_MAX_RANGES 128
extern int	spec_calendar_field_ranges(const SpecCalendar *cal, SpecField field,
									   SpecRange *out);
/* The same for the days counted from the end (negative, ascending). */
extern int	spec_calendar_last_day_ranges(const SpecCalendar *cal,
										  SpecRange *out);
/* The same for the weekdays of one nth (1..5, -5..-1). */
extern int	spec_calendar_nth_ranges(const SpecCalendar *cal, int nth,
									 SpecRange *out);

/* ---- cron.c: cron expressions ---- */

#define SPEC_CRON_STANDARD	0x01	/* workflow cron_schedule: 5 fields, '?',
									 * OR rule for day_of_month/day_of_week */

typedef enum SpecCronKind
{
	SPEC_CRON_CALENDAR,
	SPEC_CRON_INTERVAL
} SpecCronKind;

typedef struct SpecCron
{
	SpecCronKind kind;
	SpecCalendar calendar;		/* when kind == SPEC_CRON_CALENDAR */
	SpecInterval interval;		/* when kind == SPEC_CRON_INTERVAL */
	char		tz_name[SPEC_TZ_NAME_MAX + 1];	/* CRON_TZ=/TZ= prefix, or "" */
} SpecCron;

/*
 * Parses one cron string (SEMANTICS.md 1.2): optional TZ=/CRON_TZ= prefix,
 * '#' comment after white space, @shorthands, "@every d[/offset]", 5, 6 or
 * 7 fields.  A zone prefix on an @every line is returned but has no effect
 * on the interval.
 */
extern bool spec_parse_cron(const char *str, int flags, SpecCron *out,
							SpecError *err);

/*
 * Parses a Go-style duration as @every takes it ("90m", "1h30m", "5d",
 * "1.5h"; units ns, us, ms, s, m, h, d) into milliseconds.
 */
extern bool spec_parse_go_duration(const char *str, size_t len,
								   int64_t *ms, SpecError *err);

/* ---- interval.c ---- */

/* Checks every >= 1 and 0 <= offset < every. */
extern bool spec_interval_check(const SpecInterval *iv, SpecError *err);
/* The first instant strictly after "after" that the interval matches. */
extern spec_time spec_interval_next(const SpecInterval *iv, spec_time after);

/* ---- civil.c: calendar arithmetic and text forms of instants ---- */

typedef struct SpecCivil
{
	int			year;
	int			month;			/* 1-12 */
	int			day;			/* 1-31 */
	int			hour;
	int			minute;
	int			second;
} SpecCivil;

extern int64_t spec_days_from_civil(int year, int month, int day);
extern void spec_civil_from_days(int64_t days, int *year, int *month, int *day);
extern int	spec_days_in_month(int year, int month);
/* 0 = Sunday */
extern int	spec_weekday(int64_t days);
/* Wall-clock seconds since the epoch (no zone) <-> broken down. */
extern void spec_civil_from_seconds(int64_t secs, SpecCivil *c);
extern int64_t spec_seconds_from_civil(const SpecCivil *c);

/*
 * Parses an RFC 3339 / ISO 8601 instant: "2022-03-23T12:00:00Z",
 * "2022-03-23 12:00:00.25+05:30".  An explicit offset (or Z) is required.
 * *frac_us receives the sub-second part in microseconds (0-999999).
 */
extern bool spec_parse_time(const char *str, size_t len, spec_time *t,
							int32_t *frac_us, SpecError *err);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" (20 characters and a terminator). */
#define SPEC_TIME_TEXT_LEN 21
extern void spec_format_time(spec_time t, char *buf);

/* ---- nexttime.c: evaluating a spec ---- */

typedef enum SpecNextStatus
{
	SPEC_NEXT_FOUND,
	SPEC_NEXT_NONE,				/* sequence ended: end_at, 2100, or nothing */
	SPEC_NEXT_ERROR				/* see err: too many exclusions, zone failure */
} SpecNextStatus;

/*
 * The first nominal time strictly after "after": the earliest candidate over
 * all calendars and intervals that no skip calendar matches, within
 * [start_at, end_at] and before 2101 local time.  Jumps field by field.
 */
extern SpecNextStatus spec_next(const Spec *spec, spec_time after,
								spec_time *next, SpecError *err);

/* The first instant strictly after "after" matching one calendar. */
extern SpecNextStatus spec_calendar_next(const SpecCalendar *cal,
										 const SpecTz *tz, spec_time after,
										 spec_time *next, SpecError *err);

/* The same under a DST policy (spec_calendar_next = the zero policy). */
extern SpecNextStatus spec_calendar_next_dst(const SpecCalendar *cal,
											 const SpecTz *tz,
											 const SpecDst *dst,
											 spec_time after, spec_time *next,
											 SpecError *err);

/* Does the calendar match instant t (on the zone's wall clock)? */
extern bool spec_calendar_matches(const SpecCalendar *cal, const SpecTz *tz,
								  spec_time t);

/*
 * Where instant t stands in its zone's DST transitions, for explanations:
 * the wall clock it shows occurs once (NONE), is the earlier (FIRST_PASS) or
 * a later (SECOND_PASS) occurrence of a repeated wall time, or t is the
 * first instant after a gap (AFTER_GAP; then *gap_start is the first wall
 * clock second, as wall-clock seconds since the epoch, that did not exist).
 * *utc_offset is the offset at t.  False when the zone fails.
 */
typedef enum SpecDstNote
{
	SPEC_DST_NOTE_NONE,
	SPEC_DST_NOTE_FIRST_PASS,
	SPEC_DST_NOTE_SECOND_PASS,
	SPEC_DST_NOTE_AFTER_GAP
} SpecDstNote;

extern bool spec_dst_note(const SpecTz *tz, spec_time t, int32_t *utc_offset,
						  SpecDstNote *note, int64_t *gap_start);

/* ---- jitter.c ---- */

/*
 * Delay in milliseconds for nominal time "nominal" of schedule "id":
 * deterministic, in [0, min(jitter_ms, (next_nominal - nominal) * 1000)),
 * and 0 when there is no next nominal time (pass SPEC_TIME_MAX).
 */
extern int64_t spec_jitter_ms(const char *id, size_t id_len,
							  spec_time nominal, spec_time next_nominal,
							  int64_t jitter_ms);

/* ---- errors ---- */

/* Fills *err (printf-style message) and returns false, for "return spec_error(...)". */
extern bool spec_error(SpecError *err, SpecErrorCode code, int field,
					   int position, const char *fmt,...)
#if defined(__GNUC__)
			__attribute__((format(printf, 5, 6)))
#endif
			;

#endif							/* SPEC_H */
