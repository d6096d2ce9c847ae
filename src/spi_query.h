/*-------------------------------------------------------------------------
 *
 * spi_query.h
 *	  The one kept-plan SPI query type of pg_sched, and readers of the
 *	  last result's columns.
 *
 * A query is its text, its parameter types and, once prepared in this
 * session, its plan (SPI_keepplan).  A kept plan survives DROP/CREATE
 * EXTENSION: the plan cache re-analyses the text when a table changes.
 * Modules declare their queries as static SpiQuery values (with the text
 * beside the code that explains it); spi_run() prepares one on first use.
 * The caller is connected to SPI.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_SCHED_SPI_QUERY_H
#define PG_SCHED_SPI_QUERY_H

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#define SPI_QUERY_MAX_ARGS		24

typedef struct SpiQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[SPI_QUERY_MAX_ARGS];

	/*
	 * true: always the generic plan (CURSOR_OPT_GENERIC_PLAN), for the hot
	 * index lookups of the queue whose best plan does not depend on the
	 * values; false: the plan cache decides (plan_cache_mode).
	 */
	bool		generic;
	SPIPlanPtr	plan;
} SpiQuery;

/*
 * Runs q with values and nulls (' ' / 'n', or NULL: none null) and returns
 * SPI_processed; count limits the rows (0: all).  read_only = false takes a
 * fresh snapshot for the statement, which is what makes a re-read after a
 * lock see the latest committed state.  An SPI failure is an internal
 * error.
 */
extern uint64 spi_run(SpiQuery *q, Datum *values, const char *nulls,
					  bool read_only, long count);

/*
 * The same for a query whose text is written at its call site: q is a
 * static, zero-initialised SpiQuery that receives sql, nargs and argtypes
 * on first use.
 */
extern uint64 spi_run_sql(SpiQuery *q, const char *sql, int nargs,
						  const Oid *argtypes, Datum *values,
						  const char *nulls, bool read_only, long count);

/* Column col (1-based) of row "row" of SPI_tuptable. */
extern Datum spi_datum(uint64 row, int col, bool *isnull);
extern char *spi_text(uint64 row, int col); /* NULL for NULL */
extern Jsonb *spi_jsonb(uint64 row, int col);	/* NULL for NULL */
extern bool spi_time(uint64 row, int col, TimestampTz *ts); /* false: NULL */
extern Interval *spi_interval(uint64 row, int col); /* NULL for NULL */

/* A C string as a text Datum, with its null flag (' ' / 'n'). */
extern Datum spi_text_or_null(const char *s, char *null);

/* A one-dimensional array of n elements of type elem (nulls may be NULL). */
extern Datum spi_array(Datum *elems, bool *nulls, int n, Oid elem);

#endif							/* PG_SCHED_SPI_QUERY_H */
