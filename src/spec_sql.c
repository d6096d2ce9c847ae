/*-------------------------------------------------------------------------
 *
 * spec_sql.c
 *	  SQL functions over specs: sched.next_times and sched.validate_spec.
 *
 * Both read the spec with spec_json.c and ask the engine; neither touches a
 * table, so they work whether or not the library is preloaded.  Instants
 * cross the boundary as whole seconds: "after" is floored to the second
 * (SEMANTICS.md 1.7: sub-second parts are dropped), and every result is a
 * whole second.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "sched_limits.h"
#include "spec_json.h"

/* More than this per call is refused: page with "after" instead. */
#define NEXT_TIMES_MAX_COUNT	SCHED_NEXT_TIMES_MAX

/* Unix seconds of PostgreSQL's epoch, 2000-01-01 00:00:00 UTC. */
#define PG_EPOCH_UNIX_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

PG_FUNCTION_INFO_V1(sched_next_times);
PG_FUNCTION_INFO_V1(sched_validate_spec);

/* The second containing ts (floor, also before 2000). */
static spec_time
timestamptz_to_spec(TimestampTz ts)
{
	int64		secs = ts / USECS_PER_SEC;

	if (ts % USECS_PER_SEC < 0)
		secs--;
	return secs + PG_EPOCH_UNIX_SECS;
}

/* false when t lies outside timestamptz's range. */
static bool
spec_to_timestamptz(spec_time t, TimestampTz *ts)
{
	int64		usecs;

	if (pg_sub_s64_overflow(t, PG_EPOCH_UNIX_SECS, &usecs) ||
		pg_mul_s64_overflow(usecs, USECS_PER_SEC, &usecs) ||
		!IS_VALID_TIMESTAMP(usecs))
		return false;
	*ts = usecs;
	return true;
}

static void
spec_next_error(const SpecError *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("could not compute the next time of the spec: %s",
					err->message),
			 err->code == SPEC_ERR_EXCLUSIONS ?
			 errhint("The skip calendars exclude too many consecutive times; narrow them or the calendars they skip.") : 0));
}

/*
 * sched.next_times(spec jsonb, after timestamptz, count integer)
 *		RETURNS SETOF timestamptz
 *
 * The first "count" nominal times (no jitter) strictly after "after".
 */
Datum
sched_next_times(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	TimestampTz after = PG_GETARG_TIMESTAMPTZ(1);
	int32		count = PG_GETARG_INT32(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SpecJson	sj;
	spec_time	t;

	if (count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for count: %d is negative", count)));
	if (count > NEXT_TIMES_MAX_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for count: %d is more than %d",
						count, NEXT_TIMES_MAX_COUNT),
				 errhint("Call next_times again with the last time returned as after.")));

	spec_from_jsonb(jb, "spec", &sj);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	if (TIMESTAMP_IS_NOBEGIN(after))
		t = timestamptz_to_spec(MIN_TIMESTAMP);
	else if (TIMESTAMP_IS_NOEND(after))
		return (Datum) 0;
	else
		t = timestamptz_to_spec(after);

	for (int i = 0; i < count; i++)
	{
		spec_time	next;
		SpecError	err;
		Datum		value;
		bool		isnull = false;
		TimestampTz ts;

		CHECK_FOR_INTERRUPTS();
		switch (spec_next(&sj.spec, t, &next, &err))
		{
			case SPEC_NEXT_FOUND:
				break;
			case SPEC_NEXT_NONE:
				return (Datum) 0;
			case SPEC_NEXT_ERROR:
				spec_next_error(&err);
				break;
		}
		if (next <= t)
			elog(ERROR, "spec engine returned %lld, not after %lld",
				 (long long) next, (long long) t);
		if (!spec_to_timestamptz(next, &ts))
			break;
		value = TimestampTzGetDatum(ts);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value,
							 &isnull);
		t = next;
	}
	return (Datum) 0;
}

/*
 * sched.validate_spec(spec jsonb) RETURNS jsonb
 *
 * The canonical spec, or the error that makes it invalid.
 */
Datum
sched_validate_spec(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	SpecJson	sj;

	spec_from_jsonb(jb, "spec", &sj);
	PG_RETURN_JSONB_P(spec_to_jsonb(&sj));
}
