#!/usr/bin/env bash
# SQL actions against pg_cron (issue 13), in one private cluster with both
# preloaded (pg_cron in background-worker mode), as root:
#
#   bash bench/sql_actions.sh [N]        (N schedules/jobs, default 1000)
#
# For each of two commands (SELECT 1, and a one-row INSERT), N pg_sched
# schedules due at the same minute (cron "* * * * *") run once, then N
# pg_cron jobs with the same schedule and command run once: completed runs
# per second (N / (last end - the minute)) and the start lateness of the runs
# (start - the minute: p50, p99, max).  The baseline for the overhead per
# run is a plain loop of the same command, one transaction each, in a
# procedure.  The CPU is shared with whatever else runs on the machine:
# compare the ratios of one run, not figures across runs.
#
# SQL_BENCH_PROFILE=1 adds, for each pg_sched fire: the statements by total
# time (pg_stat_statements, track = all), the wait events of the executors
# sampled every few milliseconds from pg_stat_activity (on CPU shows as
# "-"), and each executor's share of the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_root

n=${1:-1000}
executors=${SQL_EXECUTORS:-8}
profile=${SQL_BENCH_PROFILE:-}
preload='pg_sched,pg_cron'
extra_conf=
[ -z "$profile" ] || { preload="$preload,pg_stat_statements"; extra_conf="pg_stat_statements.track = all"; }
work=$(mktemp -d /tmp/pg_sched_sqlbench.XXXXXX)
chown postgres: "$work"
data=$work/data
sock=$work/sock
mkdir "$sock" && chown postgres: "$sock"

finish()
{
	if [ -f "$data/postmaster.pid" ]; then
		as_postgres "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap finish EXIT INT TERM

if [ ! -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
	echo "pg_cron is not installed in $("$PG_CONFIG" --pkglibdir) (scripts/install-deps.sh installs postgresql-15-cron)" >&2
	exit 1
fi

as_postgres "$PG_BIN/initdb" -D "$data" --no-locale -E UTF8 >/dev/null
cat >>"$data/postgresql.conf" <<EOF
shared_preload_libraries = '$preload'
$extra_conf
listen_addresses = ''
unix_socket_directories = '$sock'
max_connections = 300
max_worker_processes = $((executors + 64))
pg_sched.max_sql_executors = $executors
cron.database_name = 'postgres'
cron.use_background_workers = on
cron.max_running_jobs = 32
cron.log_statement = off
timezone = 'UTC'
EOF
as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$work/server.log" -w start >/dev/null
psql_() { as_postgres "$PG_BIN/psql" -h "$sock" -X -q -At -v ON_ERROR_STOP=1 postgres "$@"; }

psql_ -c "CREATE EXTENSION pg_sched; CREATE EXTENSION pg_cron;
          CREATE TABLE bench_t (nominal timestamptz, at timestamptz DEFAULT clock_timestamp());"

# Waits until the start of the next minute is at least 10 s away, so that
# the schedules created now are all due at that minute.
wait_for_room()
{
	while [ "$(date +%S)" -gt 45 ]; do sleep 1; done
}

stats_sql="percentile_cont(0.5) WITHIN GROUP (ORDER BY l) AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY l) AS p99, max(l) AS max"

run_pg_sched()
{
	local label=$1 command=$2 minute
	wait_for_room
	# the first minute that leaves time to create the schedules (about 4 ms
	# each on a busy machine); their start_at is that minute, so that all of
	# them fire first at it however long the creation takes
	minute=$(psql_ -c "SELECT date_trunc('minute', now() + interval '10 s' + $n * interval '4 ms') + interval '1 minute'")
	psql_ -c "SELECT count(sched.create_schedule('b' || i, jsonb_build_object(
	            'spec', jsonb_build_object('cron_expressions', jsonb_build_array('* * * * *'),
	                                       'start_at', '$minute'::timestamptz),
	            'action', jsonb_build_object('sql', \$c\$$command\$c\$, 'id', 'b' || i))))
	          FROM generate_series(1, $n) i" >/dev/null
	if [ "$(psql_ -c "SELECT now() >= '$minute'")" = t ]; then
		echo "pg_sched $label: creating $n schedules took past $minute; not measured" >&2
		return 1
	fi
	if [ -n "$profile" ]; then
		psql_ -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();
		          CREATE TABLE IF NOT EXISTS bench_waits (wt text, we text); TRUNCATE bench_waits" >/dev/null
		# each sample in a transaction of its own: pg_stat_activity is a snapshot per transaction
		(sleep "$(psql_ -c "SELECT greatest(extract(epoch FROM '$minute'::timestamptz - clock_timestamp()), 0)")"
		 for _ in $(seq 1 20); do
			psql_ -c "DO \$\$ BEGIN FOR i IN 1..50 LOOP PERFORM pg_stat_clear_snapshot();
			          INSERT INTO bench_waits SELECT coalesce(wait_event_type, '-'), coalesce(wait_event, '-')
			            FROM pg_stat_activity WHERE backend_type = 'pg_sched executor' AND state = 'active';
			          PERFORM pg_sleep(0.002); END LOOP; END \$\$" >/dev/null 2>&1 || true
		 done) &
	fi
	until [ "$(psql_ -c "SELECT count(*) FROM sched.executions
	                      WHERE nominal_time = '$minute' AND status = 'completed'")" -ge "$n" ]; do
		sleep 1
	done
	if [ -n "$profile" ]; then
		wait
		psql_ -F ' | ' -c "SELECT calls, round(total_exec_time::numeric, 1) AS ms,
		                          left(regexp_replace(query, '\s+', ' ', 'g'), 110)
		                     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15"
		psql_ -F ' | ' -c "SELECT 'executor waits', wt, we, count(*) FROM bench_waits GROUP BY wt, we ORDER BY 4 DESC LIMIT 8"
		psql_ -F ' | ' -c "SELECT worker, count(*) AS runs,
		                          round(extract(epoch FROM min(started_at) - '$minute') * 1000) AS first_start_ms,
		                          round(extract(epoch FROM max(closed_at) - '$minute') * 1000) AS last_close_ms
		                     FROM sched.executions WHERE nominal_time = '$minute' GROUP BY worker ORDER BY worker"
	fi
	psql_ -c "SELECT sched.pause(schedule_id) FROM sched.schedules" >/dev/null
	psql_ -F ' ' -c "
	  WITH r AS (SELECT extract(epoch FROM started_at - nominal_time) * 1000 AS l, closed_at
	               FROM sched.executions WHERE nominal_time = '$minute')
	  SELECT 'pg_sched $label: ' || count(*) || ' runs, '
	         || round($n / extract(epoch FROM max(closed_at) - '$minute'::timestamptz)) || ' runs/s, lateness ms p50 '
	         || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)) || ' p99 '
	         || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)) || ' max ' || round(max(l))
	    FROM r"
	psql_ -c "SELECT sched.delete(schedule_id) FROM sched.schedules; TRUNCATE sched.executions, bench_t" >/dev/null
}

run_pg_cron()
{
	local label=$1 command=$2 minute
	wait_for_room
	minute=$(psql_ -c "SELECT date_trunc('minute', now()) + interval '1 minute'")
	psql_ -c "SELECT count(cron.schedule('c' || i, '* * * * *', \$c\$$command\$c\$))
	          FROM generate_series(1, $n) i" >/dev/null
	until [ "$(psql_ -c "SELECT count(*) FROM cron.job_run_details
	                      WHERE start_time >= '$minute' AND status IN ('succeeded', 'failed')")" -ge "$n" ]; do
		sleep 1
	done
	psql_ -c "SELECT count(cron.unschedule(jobid)) FROM cron.job" >/dev/null
	psql_ -c "
	  WITH r AS (SELECT extract(epoch FROM start_time - '$minute'::timestamptz) * 1000 AS l, end_time, status
	               FROM cron.job_run_details WHERE start_time >= '$minute'
	               ORDER BY start_time LIMIT $n)
	  SELECT 'pg_cron  $label: ' || count(*) || ' runs (' || count(*) FILTER (WHERE status = 'failed') || ' failed), '
	         || round($n / extract(epoch FROM max(end_time) - '$minute'::timestamptz)) || ' runs/s, lateness ms p50 '
	         || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)) || ' p99 '
	         || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)) || ' max ' || round(max(l))
	    FROM r"
	psql_ -c "TRUNCATE cron.job_run_details, bench_t" >/dev/null
}

baseline()
{
	local label=$1 command=$2
	psql_ -c "CREATE OR REPLACE PROCEDURE bench_loop(k int) LANGUAGE plpgsql AS \$p\$
	          BEGIN FOR i IN 1 .. k LOOP EXECUTE \$c\$$command\$c\$ USING now(); COMMIT; END LOOP; END \$p\$"
	psql_ <<EOF
SELECT clock_timestamp() AS t0 \gset
CALL bench_loop($n);
SELECT 'loop     $label: ' || round($n / extract(epoch FROM clock_timestamp() - :'t0'::timestamptz))
       || ' transactions/s, ' || round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1e6 / $n)
       || ' us each';
EOF
	psql_ -c "TRUNCATE bench_t" >/dev/null
}

echo "N = $n, pg_sched.max_sql_executors = $executors, cron.max_running_jobs = 32, $(nproc) CPUs (shared)"
for which in select insert; do
	if [ $which = select ]; then cmd='SELECT 1'; else cmd='INSERT INTO bench_t (nominal) VALUES ($1)'; fi
	run_pg_sched "$which" "$cmd"
	if [ $which = select ]; then ccmd='SELECT 1'; else ccmd='INSERT INTO bench_t (nominal) VALUES (now())'; fi
	run_pg_cron "$which" "$ccmd"
	baseline "$which" "$cmd"
done
