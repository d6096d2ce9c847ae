#!/usr/bin/env bash
# The pg_sched benchmark suite (issue 6), run as root on a fresh machine:
#
#   bash bench/run.sh           full run (about 15 minutes)
#   bash bench/run.sh --quick   quick run (about 3 minutes)
#   bash bench/run.sh --only "2 5"   only these figures (with either mode)
#
# Figure 9 (bench/queue.sh) installs graphile-worker with npm into
# build/bench/ and measures it in the same cluster, side by side.
#
# Installs the packages, builds and installs the extension (as
# scripts/test.sh does), runs the spec-engine benchmark (make bench), then
# starts a private PostgreSQL cluster as the postgres user in a temporary
# directory (shared_preload_libraries = 'pg_sched', no TCP, private socket
# directory) and measures each figure of bench/README.md next to a baseline
# measured in the same run.  The cluster is stopped and the directory
# removed on exit, failure and Ctrl-C included.  The report (also written to
# build/bench/report-MODE.txt) ends with a summary table: figure, value,
# baseline, ratio, target, met.  Benchmarks are not tests: the exit status
# is 0 whether targets are met or not, non-zero only when something failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_root

mode=full
only="1 2 3 4 5 6 7 8 9"
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) mode=quick ;;
	--full) mode=full ;;
	--only) only=$2; shift ;;
	*) echo "usage: bash bench/run.sh [--quick] [--only \"1 2 ...\"]" >&2; exit 2 ;;
	esac
	shift
done

mkdir -p build/bench
report=build/bench/report-$mode.txt
exec > >(tee "$report") 2>&1

work=$(mktemp -d /tmp/pg_sched_bench.XXXXXX)
chown postgres: "$work"
chmod 700 "$work"
data=$work/data
sock=$work/sock
results=$work/results.tsv
: >"$results"
started=$(date +%s)

finish()
{
	local rc=$?
	trap - EXIT INT TERM
	trap '' PIPE	# the tee of the report may be gone (Ctrl-C): clean up anyway
	if [ -f "$data/postmaster.pid" ]; then
		as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 ||
			as_postgres "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ "$rc" -ne 0 ] && [ -f "$work/server.log" ]; then
		echo "---- server.log (last 40 lines)"
		tail -n 40 "$work/server.log"
	fi
	rm -rf "$work"
	echo "bench: finished in $(($(date +%s) - started)) s (exit status $rc); report in $report"
	exit "$rc"
}
trap finish EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

want() { [[ " $only " == *" $1 "* ]]; }

# ---- output ----

section() { printf '\n== %s  [%s; load %s]\n' "$1" "$(date +%T)" "$(cut -d' ' -f1-3 /proc/loadavg)"; }
note() { printf '   %s\n' "$*"; }

# record FIGURE VALUE BASELINE RATIO TARGET MET: one line of the summary.
record()
{
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
		"$(cut -d' ' -f1 /proc/loadavg)" >>"$results"
}

# Arithmetic on decimals (awk): calc 'expression'
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# met CONDITION: "met" or "MISSED"
met() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }

# ---- the cluster ----

PSQL=("$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$sock" -U postgres -d bench)
CONNINFO="host=$sock user=postgres dbname=bench"

q() { "${PSQL[@]}" -c "$1"; }
# qf FILE [psql args]: a script, "key value" output
qf() { local f=$1; shift; "${PSQL[@]}" -f "$f" "$@"; }

start_cluster()
{
	local preload=$1
	as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$work/server.log" -w -t 60 \
		-o "-c shared_preload_libraries=$preload" start >/dev/null
}

stop_cluster()
{
	as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
}

make_cluster()
{
	mkdir -p "$sock"
	chown postgres: "$sock"
	chmod 700 "$sock"
	as_postgres "$PG_BIN/initdb" -D "$data" --no-locale -E UTF8 --auth=trust \
		-U postgres >/dev/null
	# Settings for benchmarking: memory for a million schedules, no
	# checkpoint in the middle of a figure, commit timestamps (how commit
	# lateness is measured).  Durability stays the default
	# (synchronous_commit = on, fsync = on): the figures include the WAL
	# flush of every commit, as a user's server would.
	cat >>"$data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$sock'
		max_connections = 200
		shared_buffers = 1GB
		work_mem = 16MB
		maintenance_work_mem = 256MB
		max_wal_size = 8GB
		checkpoint_timeout = 30min
		track_commit_timestamp = on
		log_min_messages = warning
		pg_stat_statements.track = all
		pg_stat_statements.max = 1000
	EOF
	start_cluster pg_sched
	"$PG_BIN/psql" -X -q -h "$sock" -U postgres -d postgres -c "CREATE DATABASE bench" >/dev/null
	q "CREATE EXTENSION pg_sched"
	qf bench/sql/setup.sql >/dev/null
}

# The scheduler of database bench: its pid (waits for it to run).
scheduler_pid()
{
	local pid="" i
	for i in $(seq 1 100); do
		pid=$(q "SELECT pid FROM sched.scheduler_status() WHERE database = 'bench' AND state = 'running'" || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	echo "$pid"
}

. bench/figures.sh
. bench/queue.sh

# ---- the run ----

section "pg_sched benchmark, $mode mode"
note "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM, $(uname -r); $(uptime)"
note "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/')"

section "build and install"
build_and_install
if [ ! -f "$($PG_CONFIG --includedir)/libpq-fe.h" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpq-dev >/dev/null
fi
cc -O2 -Wall -Wextra -Werror -I"$($PG_CONFIG --includedir)" -o build/bench/driver \
	bench/driver.c -L"$($PG_CONFIG --libdir)" -lpq -lpthread

if want 1; then fig_spec; fi

section "private cluster"
make_cluster
note "$(q "SELECT version()" | cut -d, -f1)"
note "settings: $(q "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'track_commit_timestamp', 'autovacuum', 'max_wal_size', 'checkpoint_timeout', 'shared_preload_libraries')")"
note "scheduler pid: $(scheduler_pid)"

if want 2; then fig_fire; fi
if want 3; then fig_precision; fi
if want 4; then fig_backfill; fi
if want 5; then fig_queue; fi
if want 6; then fig_scale; fi
if want 7; then fig_overhead; fi
if want 8; then fig_profile; fi
if want 9; then fig_vs; fi

section "summary ($mode mode; ratio = value / baseline; load = 1-minute load average when recorded)"
{
	printf 'figure\tvalue\tbaseline\tratio\ttarget\tmet\tload\n'
	cat "$results"
} | column -t -s $'\t'
