/*-------------------------------------------------------------------------
 *
 * tzfile.h
 *	  A standalone time-zone provider for the spec engine: reads the
 *	  system zoneinfo (TZif files) and answers SpecTz lookups.
 *
 * Used by the unit tests, the fuzzer and the benchmarks; the backend glue
 * uses PostgreSQL's own tz database instead.  Pure C99, no postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPEC_TZFILE_H
#define SPEC_TZFILE_H

#include "spec.h"

typedef struct SpecTzFile SpecTzFile;

/*
 * Loads zone "name" ("America/New_York", "UTC", "Etc/GMT+5") from $TZDIR,
 * or /usr/share/zoneinfo when TZDIR is unset.  Returns a malloc'ed zone, or
 * NULL with *err filled (SPEC_ERR_TIME_ZONE, 'unknown time zone "X"') when
 * the name is absent, unsafe (absolute, or containing "..") or the file is
 * malformed.  The zone is immutable: share it freely between threads.
 */
extern SpecTzFile *spec_tzfile_load(const char *name, SpecError *err);
extern void spec_tzfile_free(SpecTzFile *tz);

/*
 * The same from a TZif file already in memory (the fuzzer's entry point);
 * "name" only goes into the error message.
 */
extern SpecTzFile *spec_tzfile_parse(const char *name, const void *data,
									 size_t len, SpecError *err);

/* SpecTzLookup-compatible; "zone" is a const SpecTzFile *. */
extern bool spec_tzfile_lookup(const void *zone, spec_time t,
							   int32_t *utc_offset, spec_time *next_change);

/* The SpecTz that answers from this zone. */
extern SpecTz spec_tzfile_tz(const SpecTzFile *tz);

#endif							/* SPEC_TZFILE_H */
