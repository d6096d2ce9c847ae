/*-------------------------------------------------------------------------
 *
 * spec_explain.h
 *	  Why a spec fires when it does: every candidate time of a range, with
 *	  its zone offset, DST note, the parts that matched it and, when it does
 *	  not fire, what removed it (sched.explain).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPEC_EXPLAIN_H
#define SPEC_EXPLAIN_H

#include "spec_json.h"

/* More rows than this in one range is an error (54000): narrow the range. */
#define SPEC_EXPLAIN_MAX_ROWS	1000

typedef enum SpecExplainRemoved
{
	SPEC_EXPLAIN_FIRES,			/* a nominal time of the spec */
	SPEC_EXPLAIN_SKIP_CALENDAR, /* removed by skip[skip_index] */
	SPEC_EXPLAIN_DST_GAP,		/* a local time in a gap, dst.skipped = skip */
	SPEC_EXPLAIN_DST_REPEATED	/* the pass of a repeated time that dst.repeated drops */
} SpecExplainRemoved;

typedef struct SpecExplainRow
{
	spec_time	t;
	int32		utc_offset;		/* seconds east of UTC at t */
	SpecDstNote note;			/* AFTER_GAP only when t stands for a gap's time */
	int64		gap_start;		/* wall-clock seconds of the gap, with AFTER_GAP */
	int64		gap_end;
	SpecExplainRemoved removed;
	int			skip_index;
	spec_time	next_nominal;	/* the spec's next time after t (jitter); MAX if none */
	int			ncalendars;		/* indexes into sj->calendars that give t */
	int		   *calendars;
	int			nintervals;		/* indexes into sj->intervals that give t */
	int		   *intervals;
} SpecExplainRow;

/*
 * Every candidate time t of sj in [from, to]: the times it fires and the
 * ones that its skip calendars or its DST policy remove.  Returns the
 * number of rows (palloc'd in *rows).  Errors with 54000 beyond
 * SPEC_EXPLAIN_MAX_ROWS rows, 22023 when the engine fails.
 */
extern int	spec_explain(const SpecJson *sj, spec_time from, spec_time to,
						 SpecExplainRow **rows);

#endif							/* SPEC_EXPLAIN_H */
