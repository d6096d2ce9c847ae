/*-------------------------------------------------------------------------
 *
 * spi_query.c
 *	  Kept-plan SPI queries (spi_query.h): the only place that prepares
 *	  and keeps the plans of pg_sched's statements.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "spi_query.h"

uint64
spi_run(SpiQuery *q, Datum *values, const char *nulls, bool read_only,
		long count)
{
	int			rc;

	if (q->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(q->sql, q->nargs,
											  (Oid *) q->argtypes,
											  q->generic ?
											  CURSOR_OPT_GENERIC_PLAN : 0);

		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", q->sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep the plan of \"%s\"", q->sql);
		q->plan = plan;
	}
	rc = SPI_execute_plan(q->plan, values, nulls, read_only, count);
	if (rc < 0)
		elog(ERROR, "a pg_sched query failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

uint64
spi_run_sql(SpiQuery *q, const char *sql, int nargs, const Oid *argtypes,
			Datum *values, const char *nulls, bool read_only, long count)
{
	if (q->sql == NULL)
	{
		Assert(nargs <= SPI_QUERY_MAX_ARGS);
		q->sql = sql;
		q->nargs = nargs;
		for (int i = 0; i < nargs; i++)
			q->argtypes[i] = argtypes[i];
	}
	return spi_run(q, values, nulls, read_only, count);
}

Datum
spi_datum(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
						 col, isnull);
}

char *
spi_text(uint64 row, int col)
{
	bool		isnull;
	Datum		d = spi_datum(row, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

Jsonb *
spi_jsonb(uint64 row, int col)
{
	bool		isnull;
	Datum		d = spi_datum(row, col, &isnull);

	return isnull ? NULL : DatumGetJsonbP(d);
}

bool
spi_time(uint64 row, int col, TimestampTz *ts)
{
	bool		isnull;
	Datum		d = spi_datum(row, col, &isnull);

	*ts = isnull ? 0 : DatumGetTimestampTz(d);
	return !isnull;
}

Interval *
spi_interval(uint64 row, int col)
{
	bool		isnull;
	Datum		d = spi_datum(row, col, &isnull);

	return isnull ? NULL : DatumGetIntervalP(d);
}

Datum
spi_text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

Datum
spi_array(Datum *elems, bool *nulls, int n, Oid elem)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elem, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  elem, typlen, typbyval,
											  typalign));
}
