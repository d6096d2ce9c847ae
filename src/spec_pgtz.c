/*-------------------------------------------------------------------------
 *
 * spec_pgtz.c
 *	  The spec engine's time zones, answered by PostgreSQL's own tz database.
 *
 * The engine asks one question of a zone (spec.h, SpecTzLookup): the UTC
 * offset in effect at instant t, and the first instant after t at which it
 * may change.  pg_next_dst_boundary() answers exactly that from the zone
 * PostgreSQL has already loaded and cached for the session, so the backend
 * and "SET timezone" always agree on what a wall clock shows.
 *
 * Zone names follow SEMANTICS.md 1.6: names from the server's tz database,
 * matched case-insensitively and compared by their canonical spelling.
 * pg_tzset() would also accept POSIX-style specifications ("FOO3",
 * "EST5EDT4,M3.2.0,M11.1.0", offsets of up to 167 hours); a typo becoming a
 * silently invented zone is worse than an error, so a name must also be a
 * file of the database (pg_open_tzfile, the routine pg_tzset itself uses).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "pgtime.h"
#include "utils/hsearch.h"

#include "spec_pgtz.h"

/*
 * Not in the installed headers (src/timezone/pgtz.h), but exported by the
 * server since 8.x with this signature.  canonname, when not NULL, must hold
 * TZ_STRLEN_MAX + 1 bytes.
 */
extern int	pg_open_tzfile(const char *name, char *canonname);

/*
 * The instants PostgreSQL's timestamptz can hold, in Unix seconds (4714 BC
 * to 294276 AD).  Lookups outside are clamped to them: nothing can fire
 * there, and pg_next_dst_boundary's extrapolation stays far from overflow.
 */
#define PGTZ_LOOKUP_MIN		INT64CONST(-210866803200)
#define PGTZ_LOOKUP_MAX		INT64CONST(9224318016000)

/* No real zone is a week away from UTC; anything else is a broken answer. */
#define PGTZ_MAX_OFFSET		(7 * 86400)

/* The zones found to be files of the tz database (spec_pgtz_find). */
static HTAB *file_zones = NULL;

pg_tz *
spec_pgtz_find(const char *name, const char **canonical)
{
	pg_tz	   *tz;
	const char *canon;
	char		filename[TZ_STRLEN_MAX + 1];
	int			fd;

	if (name[0] == '\0' || strlen(name) > TZ_STRLEN_MAX)
		return NULL;
	tz = pg_tzset(name);
	if (tz == NULL || !pg_tz_acceptable(tz))
		return NULL;
	canon = pg_get_timezone_name(tz);
	if (canon == NULL)
		return NULL;

	/*
	 * A POSIX specification has no file: refuse it (see the banner).
	 * pg_open_tzfile() reads the tz database's directories to match the
	 * name's case, which cost more than all the rest of firing a schedule;
	 * the answer is kept per zone (pg_tzset's zones live as long as the
	 * backend, and so does the database's content for our purpose).
	 */
	if (file_zones == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(pg_tz *);
		ctl.entrysize = sizeof(pg_tz *);
		file_zones = hash_create("pg_sched file-backed zones", 16, &ctl,
								 HASH_ELEM | HASH_BLOBS);
	}
	if (hash_search(file_zones, &tz, HASH_FIND, NULL) == NULL)
	{
		fd = pg_open_tzfile(canon, filename);
		if (fd < 0)
			return NULL;
		close(fd);
		(void) hash_search(file_zones, &tz, HASH_ENTER, NULL);
	}

	*canonical = canon;
	return tz;
}

bool
spec_pgtz_lookup(const void *zone, spec_time t, int32_t *utc_offset,
				 spec_time *next_change)
{
	const pg_tz *tz = (const pg_tz *) zone;
	pg_time_t	at = (pg_time_t) t;
	long int	before_gmtoff,
				after_gmtoff;
	int			before_isdst,
				after_isdst;
	pg_time_t	boundary;
	int			r;

	if (at < PGTZ_LOOKUP_MIN)
		at = PGTZ_LOOKUP_MIN;
	else if (at > PGTZ_LOOKUP_MAX)
		at = PGTZ_LOOKUP_MAX;

	r = pg_next_dst_boundary(&at, &before_gmtoff, &before_isdst, &boundary,
							 &after_gmtoff, &after_isdst, tz);
	if (r < 0)
		return false;
	if (before_gmtoff > PGTZ_MAX_OFFSET || before_gmtoff < -PGTZ_MAX_OFFSET)
		return false;
	*utc_offset = (int32_t) before_gmtoff;

	if (r == 0 || t >= PGTZ_LOOKUP_MAX)
		*next_change = SPEC_TIME_MAX;
	else
	{
		/* the engine relies on progress: a boundary must lie after t */
		if (boundary <= t)
			return false;
		*next_change = (spec_time) boundary;
	}
	return true;
}

SpecTz
spec_pgtz_tz(const pg_tz *tz)
{
	SpecTz		result;

	result.lookup = tz ? spec_pgtz_lookup : NULL;
	result.zone = tz;
	return result;
}
