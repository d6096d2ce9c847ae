/*-------------------------------------------------------------------------
 *
 * spec_pgtz.h
 *	  The spec engine's time-zone provider over PostgreSQL's tz database.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPEC_PGTZ_H
#define SPEC_PGTZ_H

#include "pgtime.h"

#include "spec.h"

/*
 * Looks a zone name up, case-insensitively: returns the zone and its
 * canonical spelling ("america/new_york" -> "America/New_York"), or NULL
 * when the server's tz database has no such zone or PostgreSQL refuses it
 * (leap-second zones, POSIX-style specifications such as "FOO3").
 */
extern pg_tz *spec_pgtz_find(const char *name, const char **canonical);

/* SpecTzLookup over a pg_tz ("zone" is a const pg_tz *). */
extern bool spec_pgtz_lookup(const void *zone, spec_time t,
							 int32_t *utc_offset, spec_time *next_change);

/* The SpecTz answering from tz; UTC itself needs no lookups (tz == NULL). */
extern SpecTz spec_pgtz_tz(const pg_tz *tz);

#endif							/* SPEC_PGTZ_H */
