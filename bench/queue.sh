# queue.sh: figure 9 of bench/README.md, the queue side by side with
# graphile-worker, sourced by bench/run.sh (after figures.sh: it uses q, qf,
# record, calc, met, note, section, fill_queue, pgbench_run, reset_sched,
# create_many and the cluster).  graphile-worker is installed with npm (a
# pinned version, into build/bench/) and run in the same cluster, in the
# same run, with the settings of its own perfTest (bench/gw.js); every
# figure also has a bare-SQL baseline measured in the same run.
#
#   9a  claim + complete one run per call, 8 connections (bench/driver.c
#       drain, batch 1): pg_sched vs the bare SKIP LOCKED statements vs
#       graphile-worker with batching off (perfTest: 4 processes x 24)
#   9b  batched: sched.poll(max_tasks) + one sched.complete_runs per batch
#       vs the bare statements with the same batch vs graphile-worker with
#       batching on (perfTest: 4 x 24, local queue 500)
#   9c  enqueue one per transaction, 1 and 8 connections: sched.start_workflow
#       vs a bare INSERT of the same row (pgbench)
#   9d  bulk enqueue: one sched.start_workflows call vs one
#       graphile_worker.add_jobs call (both from node-postgres, the same
#       client) vs one bare INSERT ... SELECT
#   9e  statements per complete, and of them those that lock the schedule
#       row (FOR [NO KEY] UPDATE) and those that update it
#       (pg_stat_statements, track = all)
#   9f  end to end through the Python Worker (clients/python), a no-op
#       workflow, 1 and 4 processes, vs graphile-worker's figure of 9b

GW_VERSION=0.17.3
PY=/usr/bin/python3

now() { date +%s.%N; }

gw_install()
{
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm >/dev/null
	fi
	GW_DIR=$PWD/build/bench/graphile-worker-$GW_VERSION
	if [ ! -f "$GW_DIR/node_modules/graphile-worker/package.json" ]; then
		mkdir -p "$GW_DIR"
		npm install --no-audit --no-fund --silent --prefix "$GW_DIR" "graphile-worker@$GW_VERSION" >/dev/null
	fi
	note "graphile-worker $(node -p "require('$GW_DIR/node_modules/graphile-worker/package.json').version"), node $(node --version), in $GW_DIR"
}

gw() { env GW_DIR="$GW_DIR" PGHOST="$sock" PGUSER=postgres PGDATABASE=bench node bench/gw.js "$@"; }

# gw_drain N on|off: perfTest's load test.  Its startup/shutdown time is
# measured first (one process, empty queue); then N jobs are added in one
# add_jobs call, and 4 processes of concurrency 24 run until the queue is
# empty.  Prints "jobs/s startup_s wall_s jobs_left"; jobs/s is N /
# (wall - startup), as perfTest computes it.
gw_drain()
{
	local n=$1 b=$2 t0 t1 startup pids="" i p left
	t0=$(now)
	gw once 24 "$b" >"$work/gw-startup.txt" 2>&1
	t1=$(now)
	startup=$(calc "$t1 - $t0" 4)
	gw add "$n" >/dev/null
	q "VACUUM ANALYZE graphile_worker._private_jobs" >/dev/null 2>&1 || true
	t0=$(now)
	for i in 1 2 3 4; do
		gw once 24 "$b" >"$work/gw-$b-$i.txt" 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || echo "   WARNING: a graphile-worker process failed: $(tail -n 3 "$work"/gw-"$b"-*.txt)" >&2; done
	t1=$(now)
	left=$(q "SELECT count(*) FROM graphile_worker.jobs")
	echo "$(calc "$n / ($t1 - $t0 - $startup)" 0) $startup $(calc "$t1 - $t0" 3) $left"
}

# drain MODE TABLE KIND N WORKERS BATCH: fills TABLE with N due pending runs
# of KIND, empties it with driver drain; prints "rate completed refused errors"
drain()
{
	local mode=$1 table=$2 kind=$3 n=$4 w=$5 b=$6 out
	out="$work/drain-$mode-$kind-$w-$b.txt"
	fill_queue "$table" "$n" "$kind"
	build/bench/driver drain "$CONNINFO" "$mode" "$( [ "$mode" = base ] && echo "$table" || echo qq)" "$w" "$b" >"$out"
	echo "$(kv "$out" rate | cut -d. -f1) $(kv "$out" completed) $(kv "$out" refused) $(kv "$out" errors)"
}

fig_vs()
{
	local n1=100000 nb=200000 ne=200000 np=50000 secs=15 batch=500 bw=4
	quick && n1=20000 && nb=50000 && ne=50000 && np=10000 && secs=5
	section "9. the queue side by side with graphile-worker (same cluster, same run)"
	# without pg_stat_statements (figure 8 may have loaded it): 9e loads it
	stop_cluster
	start_cluster pg_sched
	gw_install
	gw migrate >/dev/null
	reset_sched
	create_many "q-" 1000 qq "$FAR_SPEC" '{}' '{"paused": true}' >/dev/null
	q "VACUUM ANALYZE sched.schedules" >/dev/null

	# ---- 9a
	note "9a. claim + complete one run per call, 8 connections; $n1 due runs (bench/driver.c drain, batch 1)"
	local s1 s1s b1 g0 rest
	read -r s1 rest < <(drain sched sched.executions backfill "$n1" 8 1)
	note "pg_sched, runs of 1,000 paused schedules: $s1 runs/s (completed, refused, errors: $rest)"
	read -r s1s rest < <(drain sched sched.executions start "$n1" 8 1)
	note "pg_sched, runs without a schedule (sched.start_workflow's): $s1s runs/s ($rest)"
	read -r b1 rest < <(drain base bench.q_base backfill "$n1" 8 1)
	note "baseline, bare claim (= ANY (ARRAY(SELECT ... FOR NO KEY UPDATE SKIP LOCKED LIMIT 1))) + UPDATE on a copy: $b1 runs/s ($rest)"
	q "TRUNCATE sched.executions" >/dev/null
	read -r g0 rest < <(gw_drain "$n1" off)
	note "graphile-worker, batching off (perfTest: 4 processes x 24, localQueue -1, batch delays -1), $n1 jobs: $g0 jobs/s (startup, wall, left: $rest)"
	record "9a poll+complete x1, 8 conn (runs/s)" "$s1" "$b1" "$(calc "$s1 / $b1" 2)" ">= 0.9 x bare" "$(met "$s1 >= 0.9 * $b1")"
	record "9a same vs graphile-worker unbatched" "$s1" "$g0" "$(calc "$s1 / $g0" 2)" ">= 1.2 x gw" "$(met "$s1 >= 1.2 * $g0")"
	record "9a no schedule vs bare" "$s1s" "$b1" "$(calc "$s1s / $b1" 2)" ">= 0.9 x bare" "$(met "$s1s >= 0.9 * $b1")"
	record "9a no schedule vs graphile-worker unbatched" "$s1s" "$g0" "$(calc "$s1s / $g0" 2)" ">= 1.2 x gw" "$(met "$s1s >= 1.2 * $g0")"

	local have_batch have_starts
	have_batch=$(q "SELECT to_regprocedure('sched.complete_runs(uuid[], jsonb[])') IS NOT NULL")
	have_starts=$(q "SELECT to_regprocedure('sched.start_workflows(jsonb)') IS NOT NULL")

	# ---- 9b
	local sb="" sbs="" bb g1
	note "9b. batched: claim up to $batch, complete them in one call, $bw connections; $nb due runs"
	if [ "$have_batch" = t ]; then
		read -r sb rest < <(drain sched sched.executions backfill "$nb" "$bw" "$batch")
		note "pg_sched, runs of 1,000 paused schedules: sched.poll(..., $batch) + sched.complete_runs: $sb runs/s ($rest)"
		read -r sbs rest < <(drain sched sched.executions start "$nb" "$bw" "$batch")
		note "pg_sched, runs without a schedule: $sbs runs/s ($rest)"
	else
		note "pg_sched: this build has no sched.complete_runs: not measured"
	fi
	read -r bb rest < <(drain base bench.q_base backfill "$nb" "$bw" "$batch")
	note "baseline, bare claim of $batch + one UPDATE of the batch: $bb runs/s ($rest)"
	q "TRUNCATE sched.executions" >/dev/null
	read -r g1 rest < <(gw_drain "$nb" on)
	note "graphile-worker, batching on (perfTest: 4 x 24, localQueue 500, refetchDelay 10 ms, batch delays 0), $nb jobs: $g1 jobs/s ($rest)"
	record "9b graphile-worker batched vs bare batched" "$g1" "$bb" "$(calc "$g1 / $bb" 2)" "(report)" "-"
	if [ -n "$sb" ]; then
		record "9b batched vs graphile-worker batched" "$sb" "$g1" "$(calc "$sb / $g1" 2)" ">= 1.0 x gw" "$(met "$sb >= $g1")"
		record "9b no schedule vs graphile-worker batched" "$sbs" "$g1" "$(calc "$sbs / $g1" 2)" ">= 1.0 x gw" "$(met "$sbs >= $g1")"
		record "9b batched vs bare batched" "$sb" "$bb" "$(calc "$sb / $bb" 2)" "(report)" "-"
	fi
	q "DROP TABLE IF EXISTS bench.q_base" >/dev/null

	# ---- 9c
	note "9c. enqueue one per transaction (pgbench -M prepared, $secs s each): sched.start_workflow vs a bare INSERT of the row"
	local c s b
	q "SELECT bench.copy_of('sched.executions', 'bench.e_base')" >/dev/null
	for c in 1 8; do
		q "TRUNCATE sched.executions, bench.e_base" >/dev/null
		q "VACUUM ANALYZE sched.executions, bench.e_base" >/dev/null
		s=$(pgbench_run bench/sql/start.sql "$c" "$secs")
		b=$(pgbench_run bench/sql/base_start.sql "$c" "$secs")
		note "$c connection(s): sched.start_workflow $s/s, bare INSERT $b/s; ratio $(calc "$s / $b" 2)"
		if [ "$c" = 8 ]; then
			record "9c start_workflow, 8 conn (/s)" "$s" "$b" "$(calc "$s / $b" 2)" ">= 0.7 x INSERT" "$(met "$s >= 0.7 * $b")"
		else
			record "9c start_workflow, 1 conn (/s)" "$s" "$b" "$(calc "$s / $b" 2)" "(report)" "-"
		fi
	done
	q "DROP TABLE bench.e_base" >/dev/null

	# ---- 9d
	if [ "$have_starts" != t ]; then
		note "9d. bulk enqueue: this build has no sched.start_workflows: skipped"
	else
	note "9d. bulk enqueue of $ne, from node-postgres (the JSON built and sent by the client, as perfTest's init.js): add_jobs in one call, start_workflows in calls of 10,000 (its limit) in one transaction"
	local ss se bs gs
	q "TRUNCATE sched.executions" >/dev/null
	gw starts "$ne" >"$work/starts.txt"
	ss=$(kv "$work/starts.txt" secs)
	se=$(kv "$work/starts.txt" refused)
	gs=$(gw add "$ne" | awk '$1 == "secs" { print $2 }')
	q "TRUNCATE graphile_worker._private_jobs CASCADE" >/dev/null 2>&1 || q "DELETE FROM graphile_worker.jobs" >/dev/null
	bs=$("${PSQL[@]}" -v n="$ne" <<-'EOF'
		SELECT bench.copy_of('sched.executions', 'bench.b_base') \g /dev/null
		SELECT clock_timestamp() AS t0 \gset
		SELECT bench.insert_runs('bench.b_base', :n, 'bb', now(), 'start', 1, 'bq') \g /dev/null
		SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 4);
		DROP TABLE bench.b_base;
	EOF
	)
	note "sched.start_workflows: $ss s in $(kv "$work/starts.txt" calls) calls ($(calc "$ne / $ss" 0) runs/s, $se refused); graphile_worker.add_jobs: $gs s ($(calc "$ne / $gs" 0) jobs/s); bare INSERT ... SELECT (server side): $bs s ($(calc "$ne / $bs" 0) rows/s)"
	record "9d start_workflows, $ne (runs/s)" "$(calc "$ne / $ss" 0)" "$(calc "$ne / $gs" 0)" "$(calc "$gs / $ss" 2)" ">= 0.5 x add_jobs" "$(met "$gs / $ss >= 0.5")"
	record "9d start_workflows vs bare INSERT" "$(calc "$ne / $ss" 0)" "$(calc "$ne / $bs" 0)" "$(calc "$bs / $ss" 2)" "(report)" "-"
	fi
	reset_sched
	create_many "q-" 1000 qq "$FAR_SPEC" '{}' '{"paused": true}' >/dev/null

	# ---- 9f
	note "9f. end to end through the Python Worker ($PY, clients/python; no-op workflow; max_concurrent_workflow_tasks 100, buffer 400; $( [ "$have_batch" = t ] && echo 'completions by sched.complete_runs' || echo 'no complete_runs on this build: one sched.complete per run')); $np due runs"
	local p t0 t1 startup pids rate
	if ! "$PY" -c 'import psycopg' 2>/dev/null; then
		note "$PY has no psycopg: skipped"
	else
		for p in 1 4; do
			q "TRUNCATE sched.executions" >/dev/null
			t0=$(now)
			"$PY" bench/py_worker.py "$CONNINFO" qq >/dev/null
			t1=$(now)
			startup=$(calc "$t1 - $t0" 4)
			fill_queue sched.executions "$np" start
			pids=""
			t0=$(now)
			for i in $(seq 1 "$p"); do
				"$PY" bench/py_worker.py "$CONNINFO" qq >"$work/py-$p-$i.txt" 2>&1 &
				pids="$pids $!"
			done
			for i in $pids; do wait "$i" || echo "   WARNING: a Python worker failed: $(tail -n 3 "$work"/py-"$p"-*.txt)" >&2; done
			t1=$(now)
			rate=$(calc "$np / ($t1 - $t0 - $startup)" 0)
			note "$p process(es): $rate runs/s (wall $(calc "$t1 - $t0" 2) s minus startup $startup s; completed $(q "SELECT count(*) FROM sched.executions WHERE status = 'completed'") of $np; reported by the workers: $(cat "$work"/py-"$p"-*.txt | awk '$1 == "completed" { s += $2 } END { print s + 0 }'))"
			record "9f Python Worker, $p process(es) (runs/s)" "$rate" "$g1" "$(calc "$rate / $g1" 2)" "(vs gw batched)" "-"
		done
	fi

	# ---- 9e
	note "9e. statements per complete (pg_stat_statements, track = all), 2,000 runs of 1,000 paused schedules"
	stop_cluster
	start_cluster pg_sched,pg_stat_statements
	q "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
	local per locks
	local how hows=single
	[ "$have_batch" = t ] && hows="single batched"
	for how in $hows; do
		fill_queue sched.executions 2000 backfill
		q "SELECT count(*) FROM sched.poll('qq', 'stmts', 1000)" >/dev/null
		q "SELECT count(*) FROM sched.poll('qq', 'stmts', 1000)" >/dev/null
		if [ "$how" = single ]; then
			q "SELECT format('SELECT sched.complete(%L);', run_id) FROM sched.executions WHERE status = 'running'" >"$work/completes.sql"
		else
			q "SELECT format('SELECT count(*) FROM sched.complete_runs(%L::uuid[]);', array_agg(run_id)) FROM (SELECT run_id, (row_number() OVER ()) / 100 AS g FROM sched.executions WHERE status = 'running') s GROUP BY g" >"$work/completes.sql"
		fi
		q "SELECT pg_stat_statements_reset()" >/dev/null
		"${PSQL[@]}" -f "$work/completes.sql" >/dev/null
		read -r per locks upds < <(q "SELECT round(sum(calls) FILTER (WHERE NOT toplevel) / 2000.0, 2),
		         round(coalesce(sum(calls) FILTER (WHERE NOT toplevel AND query ~* 'sched\.schedules'
		                        AND query ~* 'for (no key )?update'), 0) / 2000.0, 2),
		         round(coalesce(sum(calls) FILTER (WHERE NOT toplevel
		                        AND query ~* '^\s*update\s+sched\.schedules'), 0) / 2000.0, 2)
		    FROM pg_stat_statements WHERE query !~* 'pg_stat_statements'" | tr '|' ' ')
		note "$how (sched.$( [ $how = single ] && echo 'complete, one call per run' || echo 'complete_runs, 100 runs per call')): $per statements per run; $locks of them lock the schedule row (FOR [NO KEY] UPDATE), $upds update it; completed $(q "SELECT count(*) FROM sched.executions WHERE status = 'completed'")"
		q "SELECT format('%8s calls  %s', calls, left(regexp_replace(query, '\s+', ' ', 'g'), 140)) FROM pg_stat_statements
		    WHERE NOT toplevel ORDER BY calls DESC LIMIT 12" | sed 's/^/     /'
		record "9e statements per run, $how complete" "$per" "-" "-" "(report)" "-"
		record "9e schedule-row locks per run, $how" "$locks" "-" "-" "1" "$(met "$locks <= 1")"
		record "9e schedule-row updates per run, $how" "$upds" "-" "-" "(report)" "-"
	done
	reset_sched
}
