# figures.sh: one function per figure of bench/README.md, sourced by
# bench/run.sh (which defines q, qf, record, calc, met, note, section, the
# cluster and $mode).  Every figure starts from empty sched.* tables.

quick() { [ "$mode" = quick ]; }

# Empties schedules, buffers, backfills and runs (TRUNCATE: instant, and it
# leaves no dead tuples behind for the next figure).
reset_sched()
{
	q "TRUNCATE sched.schedules, sched.buffer, sched.backfills, sched.executions" >/dev/null
	q "VACUUM ANALYZE sched.schedules, sched.executions" >/dev/null
}

# kv FILE KEY: the value of a "key value" line
kv() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# A schedule document: doc ID QUEUE SPEC [POLICY]
doc()
{
	local policy=${4:-'{}'}
	printf '{"action": {"workflow": "BenchWorkflow", "id": "%s", "task_queue": "%s"}, "spec": %s, "policy": %s}' \
		"$1" "$2" "$3" "$policy"
}
FAR_SPEC='{"intervals": [{"every": 60}], "start_at": "2099-01-01T00:00:00Z"}'

# create_many PREFIX N QUEUE SPEC POLICY STATE: N schedules PREFIX1..PREFIXN
# through sched.create_schedule, in one transaction; prints the seconds.
create_many()
{
	"${PSQL[@]}" -v prefix="$1" -v n="$2" -v queue="$3" -v spec="$4" -v policy="$5" -v state="$6" <<-'EOF'
		SELECT clock_timestamp() AS t0 \gset
		SELECT count(sched.create_schedule(:'prefix' || i, jsonb_build_object(
		         'action', jsonb_build_object('workflow', 'BenchWorkflow',
		                                      'id', :'prefix' || i, 'task_queue', :'queue'),
		         'spec', :'spec'::jsonb, 'policy', :'policy'::jsonb, 'state', :'state'::jsonb)))
		  FROM generate_series(1, :n) i \g /dev/null
		SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);
	EOF
}

# ---- 1. spec engine ----

fig_spec()
{
	section "1. spec engine: ns per next time (make bench, bench/bench_spec.c)"
	make -s --no-print-directory bench | tee "$work/spec.txt"
	local base worst max wmet mmet
	base=$(sed -n 's/^baseline:.*: \([0-9.]*\) ns\/op$/\1/p' "$work/spec.txt")
	worst=$(sed -n 's/.*common specs: [a-zA-Z]* (worst \([0-9.]*\) ns.*/\1/p' "$work/spec.txt")
	max=$(sed -n 's/.*every spec: [a-zA-Z]* (worst \([0-9.]*\) us.*/\1/p' "$work/spec.txt")
	wmet=$(met "$worst < 300")
	mmet=$(met "$max < 20")
	record "1 spec: slowest median, common specs" "${worst} ns" "${base} ns" "$(calc "$worst / $base" 1)" "< 300 ns" "$wmet"
	record "1 spec: slowest single call, any spec" "${max} us" "${base} ns" "$(calc "$max * 1000 / $base" 0)" "< 20 us" "$mmet"
}

# ---- 2. fire throughput ----

# fire_one N HISTORY: N schedules due at once, with HISTORY closed runs of
# other schedules already in sched.executions (analyzed), or none.
fire_one()
{
	local n=$1 hist=$2 tag="f$1-$2-" queue="fire$1"
	local secs lead t ok count i lat first txns rate brate bsecs ratio what
	reset_sched
	what="N = $n, empty queue table"
	if [ "$hist" -gt 0 ]; then
		what="N = $n, $hist closed runs in the queue table"
		q "SELECT bench.insert_runs('sched.executions', $hist, 'h', now() - interval '1 day', 'backfill', 1000, 'hist')" >/dev/null
		q "UPDATE sched.executions SET status = 'completed', closed_at = now() WHERE task_queue = 'hist'" >/dev/null
		q "VACUUM ANALYZE sched.executions" >/dev/null
	fi
	note "$what:"
	# One schedule through the API, the others cloned from its row (same
	# canonical documents and cursor; fig. 6 measures the API's rate).
	create_many "t$tag" 1 "$queue" "$FAR_SPEC" '{}' '{}' >/dev/null
	q "SELECT bench.clone_schedule('t${tag}1', '$tag', $n)" >/dev/null
	q "DELETE FROM sched.schedules WHERE schedule_id = 't${tag}1'" >/dev/null
	q "VACUUM ANALYZE sched.schedules" >/dev/null
	# All due at the same whole second T, set in one transaction far
	# enough ahead that it commits before T.
	lead=$(calc "2 + $n / 20000" 0)
	# the scheduler's CPU time over the fire (clock ticks of /proc/PID/stat):
	# what the fire costs, less disturbed than its rate by other load
	local spid cpu0 cpu1
	spid=$(scheduler_pid)
	cpu0=$(awk '{print $14 + $15}' "/proc/$spid/stat")
	read -r t ok < <("${PSQL[@]}" -F ' ' -v lead="$lead" -v tag="$tag" <<-'EOF'
		BEGIN;
		SELECT date_trunc('second', clock_timestamp()) + make_interval(secs => :lead) AS t \gset
		UPDATE sched.schedules SET next_nominal = :'t', next_due = :'t'
		 WHERE schedule_id LIKE :'tag' || '%';
		SELECT sched.wake_scheduler() \g /dev/null
		COMMIT;
		SELECT extract(epoch FROM :'t'::timestamptz), clock_timestamp() < :'t';
	EOF
	)
	[ "$ok" = t ] || note "WARNING: the update committed after the due time; the figure includes it"
	# Waits at most 60 s + 1 s per 1,000 schedules; an incomplete fire is
	# reported at the rate reached by then.
	local limit=$((30 + n / 1000)) incomplete=""
	count=0
	while :; do
		# through executions_poll (the runs stay pending): a sequential
		# scan here would compete with the scheduler for the CPU
		count=$(q "SELECT count(*) FROM sched.executions WHERE task_queue = '$queue' AND status = 'pending'")
		[ "$count" -ge "$n" ] && break
		if [ "$(date +%s)" -gt "$(calc "$t + $limit" 0)" ]; then
			incomplete=" (INCOMPLETE: stopped waiting $limit s after the due time)"
			break
		fi
		sleep 0.1
	done
	read -r lat first txns count < <(q "SELECT round(extract(epoch FROM max(c) - to_timestamp($t))::numeric, 4),
		round(extract(epoch FROM min(c) - to_timestamp($t))::numeric, 4), count(DISTINCT x::text), count(*)
		FROM (SELECT pg_xact_commit_timestamp(xmin) c, xmin x FROM sched.executions WHERE task_queue = '$queue') s" | tr '|' ' ')
	rate=$(calc "$count / $lat" 0)
	cpu1=$(awk '{print $14 + $15}' "/proc/$spid/stat")
	note "scheduler CPU over the fire: $(calc "($cpu1 - $cpu0) / $(getconf CLK_TCK)" 2) s, $(calc "($cpu1 - $cpu0) * 1000000 / $(getconf CLK_TCK) / $n" 1) us per action (includes its idle ticks until the count was seen)"
	# the scheduler would go on firing during the baseline: stop it
	if [ -n "$incomplete" ]; then reset_sched; fi
	note "pg_sched: $count runs$incomplete committed $lat s after their due time (first commit after $first s; $txns subtransactions): $rate actions/s"
	[ "$count" -ge "$n" ] || note "WARNING: only $count of $n runs appeared"
	# Baseline: one INSERT ... SELECT of N run-shaped rows into a copy.
	bsecs=$("${PSQL[@]}" -v n="$n" -v queue="$queue" <<-'EOF'
		SELECT bench.copy_of('sched.executions', 'bench.fire_base') \g /dev/null
		SELECT clock_timestamp() AS t0 \gset
		SELECT bench.insert_runs('bench.fire_base', :n, 'fb', date_trunc('second', now()), 'schedule', :n, :'queue') \g /dev/null
		SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 4);
		DROP TABLE bench.fire_base;
	EOF
	)
	brate=$(calc "$n / $bsecs" 0)
	ratio=$(calc "$rate / $brate" 2)
	note "baseline: INSERT ... SELECT of $n rows into a copy of sched.executions (LIKE ... INCLUDING ALL): $bsecs s, $brate rows/s; ratio $ratio"
	record "2 fire, N=$n, history $hist (actions/s)" "$rate${incomplete:+ (incomplete)}" "$brate" "$ratio" ">= 0.30 and >= 20000/s" \
		"$(met "$ratio >= 0.3 && $rate >= 20000")"
}

fig_fire()
{
	section "2. fire throughput: N schedules due in the same second, until all runs are committed"
	note "measured from the due instant to the commit timestamp (track_commit_timestamp) of the last run"
	# On an empty queue table (a fresh install, or after TRUNCATE) the
	# scheduler plans its statements for an empty table and keeps those
	# plans while it fills; with a history the plans fit (README, fig. 2).
	fire_one 10000 0
	fire_one 10000 100000
	quick || fire_one 100000 100000
	reset_sched
}

# ---- 3. fire precision ----

# lateness TABLE WHERE: p50 p99 max count, in ms, of commit time - actual time
lateness()
{
	q "SELECT round(percentile_disc(0.5) WITHIN GROUP (ORDER BY l)::numeric, 2),
	          round(percentile_disc(0.99) WITHIN GROUP (ORDER BY l)::numeric, 2),
	          round(max(l)::numeric, 2), count(*)
	     FROM (SELECT extract(epoch FROM pg_xact_commit_timestamp(xmin) - scheduled_at) * 1000 AS l
	             FROM $1 WHERE $2) s" | tr '|' ' '
}

fig_precision()
{
	local secs=60 bsecs=60 p50 p99 max n b50 b99 bmax bn
	quick && secs=20 && bsecs=10
	section "3. fire precision: 1,000 schedules every second for $secs s, workers completing runs"
	reset_sched
	# Half the schedules feed a task queue that 4 worker connections poll
	# and complete; the other half feed a queue nobody polls, so that their
	# runs keep the inserting transaction as xmin: its commit timestamp is
	# the exact commit time.  Both halves fire in the same ticks.
	create_many "pw-" 500 prec_work '{"intervals": [{"every": 1}]}' '{"overlap": "allow_all"}' '{"paused": true}' >/dev/null
	create_many "pp-" 500 prec_probe '{"intervals": [{"every": 1}]}' '{"overlap": "allow_all"}' '{"paused": true}' >/dev/null
	q "VACUUM ANALYZE sched.schedules" >/dev/null
	build/bench/driver work "$CONNINFO" prec_work 4 $((secs + 3)) 50 >"$work/prec_work.txt" &
	local driver=$!
	sleep 0.5
	q "SELECT count(sched.unpause(schedule_id)) FROM sched.schedules" >/dev/null
	sleep "$secs"
	q "SELECT count(sched.pause(schedule_id)) FROM sched.schedules" >/dev/null
	wait "$driver"
	read -r p50 p99 max n < <(lateness sched.executions "task_queue = 'prec_probe'")
	note "pg_sched: $n runs (probe half): commit - actual time p50 $p50 ms, p99 $p99 ms, max $max ms"
	note "per second: $(q "SELECT min(c) || '-' || max(c) FROM (SELECT count(*) c FROM sched.executions WHERE task_queue = 'prec_probe' GROUP BY scheduled_at) s") probe runs in each of $(q "SELECT count(DISTINCT scheduled_at) FROM sched.executions WHERE task_queue = 'prec_probe'") seconds; transactions per second's fire: $(q "SELECT round(avg(c), 1) FROM (SELECT count(DISTINCT xmin::text) c FROM sched.executions WHERE task_queue = 'prec_probe' GROUP BY scheduled_at) s") (probe half)"
	note "workers: $(kv "$work/prec_work.txt" completed) runs completed ($(kv "$work/prec_work.txt" errors) errors); arrival at a worker - actual time p50 $(kv "$work/prec_work.txt" pickup_p50_ms) ms, p99 $(kv "$work/prec_work.txt" pickup_p99_ms) ms, max $(kv "$work/prec_work.txt" pickup_max_ms) ms"
	# Baseline: a perfect timer inserting 1,000 run-shaped rows at each
	# whole second, in one statement.
	q "SELECT bench.copy_of('sched.executions', 'bench.prec_base')" >/dev/null
	build/bench/driver tick "$CONNINFO" 1000 "$bsecs" pb >"$work/prec_base.txt"
	read -r b50 b99 bmax bn < <(lateness bench.prec_base "true")
	note "baseline: a timer inserting 1,000 rows at each whole second for $bsecs s: p50 $b50 ms, p99 $b99 ms, max $bmax ms ($bn rows; client-side p50 $(kv "$work/prec_base.txt" client_p50_ms) ms)"
	record "3 fire precision p99 (ms)" "$p99" "$b99" "$(calc "$p99 / $b99" 1)" "< 10 ms" "$(met "$p99 < 10")"
	record "3 fire precision max (ms)" "$max" "$bmax" "$(calc "$max / $bmax" 1)" "< 100 ms" "$(met "$max < 100")"
	record "3 fire precision p50 (ms)" "$p50" "$b50" "$(calc "$p50 / $b50" 1)" "-" "-"
	q "DROP TABLE bench.prec_base" >/dev/null
	reset_sched
}

# ---- 4. backfill ----

fig_backfill()
{
	local from="2025-01-01 00:00:00+00" to="2025-12-31 23:59:00+00" what="one year of minutes"
	if quick; then
		from="2025-06-01 00:00:00+00"
		to="2025-06-30 23:59:00+00"
		what="one month (30 days) of minutes"
	fi
	section "4. backfill: $what under allow_all in one sched.backfill call"
	reset_sched
	create_many "bf" 1 bfq '{"cron_expressions": ["* * * * *"]}' '{}' '{"paused": true}' >/dev/null
	"${PSQL[@]}" -F ' ' -v from="$from" -v to="$to" >"$work/bf.txt" <<-'EOF'
		SELECT pg_backend_pid() AS pid \gset
		SELECT 'hwm_before', bench.proc_status(:pid, 'VmHWM');
		SELECT clock_timestamp() AS t0 \gset
		SELECT 'actions', sched.backfill('bf1', :'from', :'to', 'allow_all');
		SELECT 'secs', round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);
		SELECT 'hwm', bench.proc_status(:pid, 'VmHWM');
		SELECT 'rows', count(*) FROM sched.executions WHERE task_queue = 'bfq';
	EOF
	local n secs hwm hwm0 rows
	n=$(kv "$work/bf.txt" actions)
	secs=$(kv "$work/bf.txt" secs)
	hwm=$(kv "$work/bf.txt" hwm)
	hwm0=$(kv "$work/bf.txt" hwm_before)
	rows=$(kv "$work/bf.txt" rows)
	note "pg_sched: $n actions ($rows runs) in $secs s: $(calc "$n / $secs" 0) actions/s; backend peak RSS (VmHWM) $((hwm / 1024)) MB (before: $((hwm0 / 1024)) MB)"
	"${PSQL[@]}" -F ' ' -v n="$n" >"$work/bfb.txt" <<-'EOF'
		SELECT bench.copy_of('sched.executions', 'bench.bf_base') \g /dev/null
		SELECT pg_backend_pid() AS pid \gset
		SELECT clock_timestamp() AS t0 \gset
		SELECT bench.insert_runs('bench.bf_base', :n, 'bfb', '2025-12-31 23:59:00+00', 'backfill', 1, 'bfq') \g /dev/null
		SELECT 'secs', round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3);
		SELECT 'hwm', bench.proc_status(:pid, 'VmHWM');
		DROP TABLE bench.bf_base;
	EOF
	local bsecs bhwm rate brate ratio
	bsecs=$(kv "$work/bfb.txt" secs)
	bhwm=$(kv "$work/bfb.txt" hwm)
	rate=$(calc "$n / $secs" 0)
	brate=$(calc "$n / $bsecs" 0)
	ratio=$(calc "$rate / $brate" 2)
	note "baseline: INSERT ... SELECT of $n run-shaped rows: $bsecs s, $brate rows/s, peak RSS $((bhwm / 1024)) MB; ratio $ratio"
	record "4 backfill, $n actions (actions/s)" "$rate" "$brate" "$ratio" ">= 0.30" "$(met "$ratio >= 0.3")"
	record "4 backfill backend peak RSS (MB)" "$((hwm / 1024))" "$((bhwm / 1024))" "$(calc "$hwm / $bhwm" 2)" "bounded" \
		"$(met "$hwm < 2 * $bhwm + 65536")"
	reset_sched
}

# ---- 5. queue throughput ----

# fill_queue TABLE N KIND: TABLE holds exactly N due pending runs
fill_queue()
{
	if [ "$1" = sched.executions ]; then
		q "TRUNCATE sched.executions" >/dev/null
	else
		q "SELECT bench.copy_of('sched.executions', '$1')" >/dev/null
	fi
	q "SELECT bench.insert_runs('$1', $2, 'q', now() - interval '1 second', '$3', 1000, 'qq')" >/dev/null
	q "VACUUM ANALYZE $1" >/dev/null
}

# pgbench_run SCRIPT CLIENTS SECONDS: prints tps; the log goes to $work
pgbench_run()
{
	local out="$work/pgbench-$(basename "$1")-$2.txt" threads=2
	[ "$2" -lt 2 ] && threads=1
	"$PG_BIN/pgbench" -n -M prepared -f "$1" -c "$2" -j "$threads" -T "$3" \
		-h "$sock" -U postgres bench >"$out" 2>&1 || true
	if grep -q 'aborted\|expected one row' "$out"; then
		echo "   WARNING: pgbench reported errors ($out): $(grep -m1 'aborted\|expected one row' "$out")" >&2
	fi
	sed -n 's/^tps = \([0-9]*\)[.0-9]* .*/\1/p' "$out" | sed -n 1p
}

fig_queue()
{
	local secs=20 m=300000 c tps btps ratio
	quick && secs=6 && m=100000
	section "5. queue throughput: poll + complete as fast as possible (pgbench -M prepared, $secs s each)"
	reset_sched
	note "1,000 paused schedules own the runs (complete locks the run's schedule and processes it); queue pre-filled with $m due pending runs before each run"
	create_many "q-" 1000 qq "$FAR_SPEC" '{}' '{"paused": true}' >/dev/null
	sed "s/@TABLE@/bench.q_base/g" bench/sql/base_poll_complete.sql >"$work/base_poll_complete.sql"
	for c in 8 32; do
		fill_queue sched.executions "$m" backfill
		tps=$(pgbench_run bench/sql/poll_complete.sql "$c" "$secs")
		fill_queue bench.q_base "$m" backfill
		btps=$(pgbench_run "$work/base_poll_complete.sql" "$c" "$secs")
		ratio=$(calc "$tps / $btps" 2)
		note "$c connections: pg_sched $tps runs/s; baseline (bare UPDATE ... = ANY (ARRAY(SELECT ... FOR NO KEY UPDATE SKIP LOCKED LIMIT 1)) RETURNING, then UPDATE ... SET status = 'completed') $btps runs/s; ratio $ratio"
		if [ "$c" = 8 ]; then
			record "5 queue, 8 connections (runs/s)" "$tps" "$btps" "$ratio" ">= 0.50 and >= 5000/s" \
				"$(met "$ratio >= 0.5 && $tps >= 5000")"
		else
			record "5 queue, 32 connections (runs/s)" "$tps" "$btps" "$ratio" ">= 0.50" "$(met "$ratio >= 0.5")"
		fi
	done
	# The same without schedules (sched.start_workflow's runs): what the
	# schedule's part of complete costs.
	fill_queue sched.executions "$m" start
	tps=$(pgbench_run bench/sql/poll_complete.sql 8 "$secs")
	note "8 connections, runs without a schedule: pg_sched $tps runs/s (ratio to the baseline above at 8: see the log)"
	record "5 queue, 8 conn., runs without schedule" "$tps" "-" "-" "(information)" "-"
	q "DROP TABLE IF EXISTS bench.q_base" >/dev/null
	reset_sched
}

# ---- 6. scale ----

# cpu_window PID SECONDS: "cpu_percent" of one core over the window
cpu_window()
{
	local t0 t1 hz
	hz=$(getconf CLK_TCK)
	t0=$(q "SELECT bench.proc_cpu_ticks($1)")
	sleep "$2"
	t1=$(q "SELECT bench.proc_cpu_ticks($1)")
	calc "($t1 - $t0) * 100 / $hz / $2" 2
}

fig_scale()
{
	local total=1000000 secs=30 csecs=15 pid cpu0 rss0 anon0 cpu rss anon
	quick && total=100000 && secs=10 && csecs=5
	section "6. scale: $total schedules, none due"
	reset_sched
	pid=$(scheduler_pid)
	sleep 1
	cpu0=$(cpu_window "$pid" "$secs")
	rss0=$(q "SELECT bench.proc_status($pid, 'VmRSS')")
	anon0=$(q "SELECT bench.proc_status($pid, 'RssAnon')")
	note "baseline: the scheduler (pid $pid) with no schedule: $cpu0% of a core over $secs s; VmRSS $((rss0 / 1024)) MB, of which private (RssAnon) $((anon0 / 1024)) MB"
	# creation rate, 1 and 8 connections, and the bare INSERT of the same row
	q "SELECT sched.create_schedule('tmpl', '$(doc tmpl sq "$FAR_SPEC")')" >/dev/null
	q "CREATE TABLE bench.s_base (LIKE sched.schedules INCLUDING ALL)" >/dev/null
	local c1 c8 b1 b8
	c1=$(pgbench_run bench/sql/create.sql 1 "$csecs")
	b1=$(pgbench_run bench/sql/base_create.sql 1 "$csecs")
	c8=$(pgbench_run bench/sql/create.sql 8 "$csecs")
	b8=$(pgbench_run bench/sql/base_create.sql 8 "$csecs")
	note "sched.create_schedule: $c1/s on 1 connection, $c8/s on 8; baseline (INSERT of the same row into a copy of sched.schedules): $b1/s and $b8/s"
	record "6 create_schedule, 1 connection (/s)" "$c1" "$b1" "$(calc "$c1 / $b1" 2)" "(report)" "-"
	record "6 create_schedule, 8 connections (/s)" "$c8" "$b8" "$(calc "$c8 / $b8" 2)" "(report)" "-"
	q "DROP TABLE bench.s_base" >/dev/null
	# the rest: clones of the template row (same documents and cursor)
	local have
	have=$(q "SELECT count(*) FROM sched.schedules")
	q "SELECT bench.clone_schedule('tmpl', 'c-', $((total - have)))" >/dev/null
	q "VACUUM ANALYZE sched.schedules" >/dev/null
	note "filled up to $(q "SELECT count(*) FROM sched.schedules") schedules by cloning the template's row; due before 2099: $(q "SELECT count(*) FROM sched.schedules WHERE next_due < '2099-01-01'")"
	q "SELECT sched.wake_scheduler()" >/dev/null
	sleep 2
	cpu=$(cpu_window "$pid" "$secs")
	rss=$(q "SELECT bench.proc_status($pid, 'VmRSS')")
	anon=$(q "SELECT bench.proc_status($pid, 'RssAnon')")
	note "pg_sched: the scheduler with $total schedules: $cpu% of a core over $secs s; VmRSS $((rss / 1024)) MB, private $((anon / 1024)) MB; ticks $(q "SELECT ticks FROM sched.scheduler_status() WHERE pid = $pid")"
	record "6 scheduler CPU, $total schedules (%)" "$cpu" "$cpu0" "$(calc "($cpu + 0.01) / ($cpu0 + 0.01)" 1)" "< 1% of a core" "$(met "$cpu < 1")"
	record "6 scheduler VmRSS incl. shared (MB)" "$((rss / 1024))" "$((rss0 / 1024))" "$(calc "$rss / $rss0" 2)" "(information)" "-"
	record "6 scheduler private RSS (MB)" "$((anon / 1024))" "$((anon0 / 1024))" "$(calc "$anon / $anon0" 2)" "< 50 MB" "$(met "$anon < 51200")"
	reset_sched
}

# ---- 7. overhead ----

# stats: "ins upd hot del dead" of a table
table_stats()
{
	q "SELECT n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, n_dead_tup
	     FROM pg_stat_user_tables WHERE relid = '$1'::regclass" | tr '|' ' '
}

fig_overhead()
{
	local secs=40 n=500
	quick && secs=15
	section "7. overhead: WAL and dead tuples per action, $n schedules every second for $secs s, fired, polled and completed"
	reset_sched
	# Suggested autovacuum settings for the queue (bench/README.md), applied here.
	q "ALTER TABLE sched.executions SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
	     autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000,
	     autovacuum_analyze_scale_factor = 0.05, autovacuum_vacuum_cost_delay = 0)" >/dev/null
	q "ALTER TABLE sched.schedules SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000, autovacuum_vacuum_cost_delay = 0)" >/dev/null
	q "ALTER SYSTEM SET autovacuum_naptime = '5s'" >/dev/null
	q "SELECT pg_reload_conf()" >/dev/null
	create_many "o-" "$n" oq '{"intervals": [{"every": 1}]}' '{"overlap": "allow_all"}' '{"paused": true}' >/dev/null
	q "VACUUM ANALYZE sched.schedules" >/dev/null
	sleep 1
	local e0 s0 lsn0 wal0
	e0=$(table_stats sched.executions)
	s0=$(table_stats sched.schedules)
	lsn0=$(q "SELECT pg_current_wal_lsn()")
	wal0=$(q "SELECT wal_records || ' ' || wal_fpi FROM pg_stat_wal")
	build/bench/driver work "$CONNINFO" oq 4 $((secs + 3)) 50 >"$work/oh_work.txt" &
	local driver=$! i samples=""
	sleep 0.5
	q "SELECT count(sched.unpause(schedule_id)) FROM sched.schedules" >/dev/null
	for i in $(seq 1 $((secs / 5))); do
		sleep 5
		samples="$samples $(q "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'sched.executions'::regclass")"
	done
	q "SELECT count(sched.pause(schedule_id)) FROM sched.schedules" >/dev/null
	wait "$driver"
	sleep 1.5	# backends flush their table statistics at most once a second
	local e1 s1 wal actions done wal1 avc
	e1=$(table_stats sched.executions)
	s1=$(table_stats sched.schedules)
	wal=$(q "SELECT pg_current_wal_lsn() - '$lsn0'::pg_lsn")
	wal1=$(q "SELECT wal_records || ' ' || wal_fpi FROM pg_stat_wal")
	actions=$(q "SELECT count(*) FROM sched.executions WHERE task_queue = 'oq'")
	done=$(q "SELECT count(*) FROM sched.executions WHERE task_queue = 'oq' AND status = 'completed'")
	avc=$(q "SELECT autovacuum_count FROM pg_stat_user_tables WHERE relid = 'sched.executions'::regclass")
	set -- $e0 $e1
	note "sched.executions: $actions runs created, $done completed (driver: $(kv "$work/oh_work.txt" completed) completed, $(kv "$work/oh_work.txt" errors) errors)"
	note "sched.executions statistics: inserted $(( $6 - $1 )), updated $(( $7 - $2 )) (HOT $(( $8 - $3 ))), deleted $(( $9 - $4 )); n_dead_tup every 5 s:$samples; autovacuum runs: $avc"
	local upd_e=$(( $7 - $2 )) hot_e=$(( $8 - $3 )) ins_e=$(( $6 - $1 ))
	set -- $s0 $s1
	note "sched.schedules statistics: updated $(( $7 - $2 )) (HOT $(( $8 - $3 ))) -- see README: the scheduler's own changes are not in these counters"
	set -- $wal0 $wal1
	note "WAL: $wal bytes, $(( $3 - $1 )) records, $(( $4 - $2 )) full-page images"
	local per_action
	per_action=$(calc "$wal / $actions" 0)
	note "per action (fire + poll + complete): $per_action WAL bytes, $(calc "($upd_e) / $actions" 2) dead run versions (updates; HOT share $(calc "100 * $hot_e / ($upd_e + 0.001)" 0)%)"
	[ "$ins_e" -lt "$actions" ] && note "NOTE: only $ins_e of $actions inserts reached pg_stat_user_tables: the scheduler does not report its table statistics (pgstat_report_stat)"
	# Baseline: the same number of run-shaped rows inserted 500 a second
	# in statements of that size, then polled and completed by the bare
	# statements on 4 connections.
	q "SELECT bench.copy_of('sched.executions', 'bench.o_base')" >/dev/null
	lsn0=$(q "SELECT pg_current_wal_lsn()")
	local k=0
	while [ "$k" -lt "$actions" ]; do
		q "SELECT bench.insert_runs('bench.o_base', $n, 'ob$k', now() - interval '1 second', 'schedule', $n, 'qq')" >/dev/null
		k=$((k + n))
	done
	sed "s/@TABLE@/bench.o_base/g" bench/sql/base_poll_complete.sql >"$work/o_base.sql"
	"$PG_BIN/pgbench" -n -M prepared -f "$work/o_base.sql" -c 4 -j 2 -t $((k / 4)) \
		-h "$sock" -U postgres bench >"$work/o_base.txt" 2>&1 || true
	local bwal bper
	bwal=$(q "SELECT pg_current_wal_lsn() - '$lsn0'::pg_lsn")
	bper=$(calc "$bwal / $k" 0)
	note "baseline: $k rows inserted $n per statement, then polled and completed with the bare statements: $bper WAL bytes per row; 2 dead versions per row"
	record "7 WAL per action (bytes)" "$per_action" "$bper" "$(calc "$per_action / $bper" 2)" "low" "-"
	record "7 dead run versions per action" "$(calc "$upd_e / $actions" 2)" "2.00" "$(calc "$upd_e / $actions / 2" 2)" "low, HOT" "-"
	q "DROP TABLE bench.o_base" >/dev/null
	q "ALTER SYSTEM RESET autovacuum_naptime" >/dev/null
	q "SELECT pg_reload_conf()" >/dev/null
	reset_sched
}

# ---- 8. profile ----

# Where time goes: pg_stat_statements (track = all: the statements that
# pg_sched's C functions run through SPI are listed too) over a short
# poll + complete run at 8 connections and a fire of 10,000 schedules; and
# perf (software clock) on the scheduler during that fire when available.
fig_profile()
{
	section "8. profile: pg_stat_statements (track = all) over queue and fire"
	stop_cluster
	start_cluster pg_sched,pg_stat_statements
	q "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
	reset_sched
	create_many "q-" 1000 qq "$FAR_SPEC" '{}' '{"paused": true}' >/dev/null
	fill_queue sched.executions 60000 backfill
	q "SELECT pg_stat_statements_reset()" >/dev/null
	note "poll + complete, 8 connections, 5 s: $(pgbench_run bench/sql/poll_complete.sql 8 5) runs/s (with pg_stat_statements loaded)"
	top_statements
	reset_sched
	# the fire with 100,000 closed runs in the table (analyzed), as in fig. 2
	local n=10000
	q "SELECT bench.insert_runs('sched.executions', 100000, 'h', now() - interval '1 day', 'backfill', 1000, 'hist')" >/dev/null
	q "UPDATE sched.executions SET status = 'completed', closed_at = now() WHERE task_queue = 'hist'" >/dev/null
	q "VACUUM ANALYZE sched.executions" >/dev/null
	create_many "f-" "$n" fireprof "$FAR_SPEC" '{}' '{}' >/dev/null
	q "VACUUM ANALYZE sched.schedules" >/dev/null
	q "SELECT pg_stat_statements_reset()" >/dev/null
	local pid
	pid=$(scheduler_pid)
	"${PSQL[@]}" >/dev/null <<-'EOF'
		BEGIN;
		SELECT date_trunc('second', clock_timestamp()) + interval '2 seconds' AS t \gset
		UPDATE sched.schedules SET next_nominal = :'t', next_due = :'t' WHERE schedule_id LIKE 'f-%';
		SELECT sched.wake_scheduler() \g /dev/null
		COMMIT;
	EOF
	local perfdata="$work/perf.data" perfpid=""
	if command -v perf >/dev/null && perf record -e cpu-clock -o "$work/perf.test" true >/dev/null 2>&1; then
		perf record -e cpu-clock -F 2000 -g -o "$perfdata" -p "$pid" >/dev/null 2>&1 &
		perfpid=$!
	fi
	local i
	for i in $(seq 1 600); do
		[ "$(q "SELECT count(*) >= $n FROM sched.executions WHERE task_queue = 'fireprof' AND status = 'pending'")" = t ] && break
		sleep 0.1
	done
	if [ -n "$perfpid" ]; then
		kill -INT "$perfpid" 2>/dev/null || true
		wait "$perfpid" 2>/dev/null || true
	fi
	note "fire of $n schedules (100,000 closed runs in the table), statements run by the scheduler:"
	top_statements
	if [ -n "$perfpid" ] && [ -s "$perfdata" ]; then
		note "perf (cpu-clock) on the scheduler during the fire, by shared object:"
		{ perf report -i "$perfdata" --no-children --sort dso --stdio 2>/dev/null || true; } |
			grep -E '^ +[0-9.]+%' | sed -n 1,8p | sed 's/^/     /'
		note "top symbols (postgres itself is stripped: its frames show as addresses):"
		{ perf report -i "$perfdata" --no-children --sort dso,symbol --stdio 2>/dev/null || true; } |
			grep -E '^ +[0-9.]+%' | grep -v '0x0000' | sed -n 1,25p | sed 's/^/     /'
	else
		note "perf record (cpu-clock) is not usable here"
	fi
	reset_sched
}

top_statements()
{
	q "SELECT format('%10s calls %9s ms total %8s ms mean %6s rows/call  %s', calls,
	                 round(total_exec_time::numeric, 0), round(mean_exec_time::numeric, 3),
	                 round(rows::numeric / greatest(calls, 1), 1),
	                 left(regexp_replace(query, '\s+', ' ', 'g'), 150))
	     FROM pg_stat_statements
	    WHERE query !~* 'pg_stat_statements|bench\.|^SELECT count\(\*\)( >= \$1)? FROM sched\.executions WHERE task_queue|^(BEGIN|COMMIT|SET|VACUUM)'
	    ORDER BY total_exec_time DESC LIMIT 12" | sed 's/^/     /'
}
