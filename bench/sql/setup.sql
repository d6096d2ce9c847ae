/*
 * setup.sql: the benchmark's own objects, in schema bench of the private
 * benchmark cluster (never in a user database).
 *
 * bench.insert_runs() writes n rows shaped like the runs pg_sched writes
 * (the columns of run_store_start / the backfill batch in src/run_store.c), into
 * sched.executions or a copy of it made with LIKE ... INCLUDING ALL (same
 * columns, defaults, checks and indexes): the baselines of the fire,
 * precision, backfill and queue figures use it, so both sides write the
 * same bytes into the same indexes.
 *	 kind 'schedule': one row per schedule tag-0 .. tag-(nsched-1), nominal
 *		time = actual time = due = t (a fire of nsched schedules at t);
 *	 kind 'backfill': untracked runs of schedules tag-(i % nsched), nominal
 *		times t - n + i minutes (a backfill ending at t);
 *	 kind 'start': runs without a schedule, due t - n + i minutes.
 */
CREATE SCHEMA bench;
CREATE SEQUENCE bench.sid;

CREATE FUNCTION bench.insert_runs(target regclass, n integer, tag text,
								  t timestamptz, kind text, nsched integer,
								  queue text DEFAULT 'bench')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	rows bigint;
BEGIN
	EXECUTE format($q$
		INSERT INTO %s (run_id, workflow_id, workflow, task_queue, args, memo,
						status, start_kind, schedule_id, nominal_time,
						scheduled_at, overlap_tracked, due_at)
		SELECT gen_random_uuid(),
			   CASE WHEN $4 = 'schedule'
					THEN $2 || '-' || (i - 1) || '-' || to_char(tt AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
					ELSE $2 || '-w' || i || '-' || to_char(tt AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
			   'BenchWorkflow', $6, '[]'::jsonb, NULL, 'pending', $4,
			   CASE WHEN $4 = 'start' THEN NULL
					WHEN $4 = 'schedule' THEN $2 || '-' || (i - 1)
					ELSE $2 || '-' || (i %% $5) END,
			   CASE WHEN $4 = 'start' THEN NULL ELSE tt END,
			   CASE WHEN $4 = 'start' THEN NULL ELSE tt END,
			   $4 = 'schedule', tt
		  FROM generate_series(1, $1) i,
			   LATERAL (SELECT CASE WHEN $4 = 'schedule' THEN $3
									ELSE $3 - ($1 - i) * interval '1 minute' END AS tt) x
	$q$, target) USING n, tag, t, kind, nsched, queue;
	GET DIAGNOSTICS rows = ROW_COUNT;
	RETURN rows;
END $$;

/* A copy of a table's definition: columns, defaults, checks, indexes. */
CREATE FUNCTION bench.copy_of(src regclass, dst text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('DROP TABLE IF EXISTS %s', dst);
	EXECUTE format('CREATE TABLE %s (LIKE %s INCLUDING ALL)', dst, src);
END $$;

/*
 * Clones schedule tmpl n times as prefix1 .. prefixN (column list from the
 * catalog), each with its own action id (prefixI, as create_many gives), so
 * that their runs' workflow ids differ.
 */
CREATE FUNCTION bench.clone_schedule(tmpl text, prefix text, n integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	cols text;
	rows bigint;
BEGIN
	SELECT string_agg(CASE attname WHEN 'schedule_id' THEN '$2 || i'
					  WHEN 'action' THEN 'jsonb_set(action, ''{id}'', to_jsonb($2 || i))'
					  ELSE quote_ident(attname) END, ', ' ORDER BY attnum)
	  INTO cols
	  FROM pg_attribute
	 WHERE attrelid = 'sched.schedules'::regclass AND attnum > 0 AND NOT attisdropped;
	EXECUTE format('INSERT INTO sched.schedules SELECT %s FROM sched.schedules,'
				   ' generate_series(1, $3) i WHERE schedule_id = $1', cols)
		USING tmpl, prefix, n;
	GET DIAGNOSTICS rows = ROW_COUNT;
	RETURN rows;
END $$;

/* Resident memory of a process, from /proc (kB): VmRSS, RssAnon, VmHWM. */
CREATE FUNCTION bench.proc_status(pid integer, field text) RETURNS bigint
LANGUAGE sql AS $$
	SELECT (regexp_match(pg_read_file('/proc/' || pid || '/status'),
						 field || ':\s+(\d+) kB'))[1]::bigint
$$;

/* utime + stime of a process, in clock ticks (fields 14 and 15 of stat) */
CREATE FUNCTION bench.proc_cpu_ticks(pid integer) RETURNS bigint
LANGUAGE sql AS $$
	SELECT f[12]::bigint + f[13]::bigint
	  FROM (SELECT regexp_split_to_array(
				split_part(pg_read_file('/proc/' || pid || '/stat'), ') ', 2), ' ') AS f) s
$$;
