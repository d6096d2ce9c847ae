#!/usr/bin/env bash
# test/ha/patroni_failover.sh: pg_sched under Patroni, on loopback.
#
# Starts one etcd and two Patroni nodes (PostgreSQL 15, pg_sched preloaded)
# in a private temp dir, with loopback ports found free; creates schedules on
# the leader (one firing every second, one every 3 seconds, one every
# minute, a paused one, a future one), lets them fire, then:
#
#   1. patronictl switchover to the replica;
#   2. kill -9 of the leader's postmaster (pid from its postmaster.pid), with
#      its Patroni alive (Patroni restarts or fails over);
#   3. node loss: kill -9 of the leader's Patroni and of its postmaster; the
#      other node takes the leader key when it expires and promotes;
#   4. the lost node's Patroni is started again: it rewinds the node
#      (pg_rewind) and follows the new leader as a replica.
#
# After each step it waits for a writable leader whose scheduler fires, and
# checks on it: every nominal time of the firing schedules since the first
# has exactly one run (no duplicate; none missing, since the catch-up window
# is the default year), describe()'s num_actions matches the runs, nothing
# counted as missed, the paused and future schedules fired nothing.  A
# sampler polls both nodes every half second all along: a node in recovery
# must never have a pg_sched process.  Prints the failover times and the
# number of nominal times checked, and "N passed, N failed" last.
#
# Needs pg_sched installed (make install).  As root it installs the Debian
# packages patroni, etcd-server and curl when missing and runs etcd and
# Patroni as postgres; as another user they must be installed.  Every process
# it starts is stopped on exit, also on failure or Ctrl-C (by pid, pg_ctl).
# HA_KEEP=1 keeps the temp dir (it is kept anyway on failure).
set -uo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SETTLE=${HA_SETTLE_SECONDS:-10}		# seconds of firing after each step
TTL=10								# Patroni leader key TTL (s)
SCOPE=pg_sched_ha

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok $((passed + failed)) - $*"; }
check() {	# DESCRIPTION CMD...: one test; returns CMD's success
	local d=$1
	shift
	if "$@"; then ok "$d"; return 0; fi
	not_ok "$d"
	return 1
}
say() { echo "# $*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---- packages and users ----
if [ "$(id -u)" = 0 ]; then
	missing=()
	for p in patroni etcd-server curl; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing ${missing[*]}"
		{ apt-get update && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends "${missing[@]}"; } >/tmp/pg_sched_ha_apt.log 2>&1 ||
			{ cat /tmp/pg_sched_ha_apt.log; echo "apt-get failed"; echo "0 passed, 1 failed"; exit 1; }
	fi
	# without a fork (unlike runuser), so that $! is the server's own pid
	AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups)
else
	AS_PG=()
fi
for c in patroni patronictl etcd curl "$PGBIN/postgres"; do
	command -v "$c" >/dev/null ||
		{ echo "$c not found: as root this script installs patroni, etcd-server and curl"; echo "0 passed, 1 failed"; exit 1; }
done
sharedir=$("$PGBIN/pg_config" --sharedir)
pkglibdir=$("$PGBIN/pg_config" --pkglibdir)
[ -f "$sharedir/extension/pg_sched.control" ] && [ -f "$pkglibdir/pg_sched.so" ] ||
	{ echo "pg_sched is not installed: make && make install first"; echo "0 passed, 1 failed"; exit 1; }

# ---- the work dir, ports ----
work=$(mktemp -d "${TMPDIR:-/tmp}/pg_sched_ha.XXXXXX")
chmod 755 "$work"
[ "$(id -u)" = 0 ] && chown postgres: "$work"
cd "$work" || exit 1

# a loopback port that nothing listens on and that we did not pick yet
picked=" "
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		case "$picked" in *" $p "*) continue ;; esac
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		picked="$picked$p "
		echo "$p"
		return
	done
}
ETCD_CLIENT=$(free_port)
ETCD_PEER=$(free_port)
declare -A PG_PORT REST_PORT PATRONI_PID
for n in n1 n2; do
	PG_PORT[$n]=$(free_port)
	REST_PORT[$n]=$(free_port)
done
ETCD_PID=
SAMPLER_PID=

# ---- cleanup: everything we started, by pid or pg_ctl ----
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
stop_pid() {	# pid, seconds to wait after SIGTERM before SIGKILL
	local pid=$1 i
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < $2 * 10; i++)); do alive "$pid" || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}
cleanup() {
	local rc=$? n pid
	trap - EXIT INT TERM
	[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && not_ok "the script ran to its end (it stopped with exit status $rc)"
	stop_pid "$SAMPLER_PID" 2
	for n in n1 n2; do stop_pid "${PATRONI_PID[$n]:-}" 30; done
	for n in n1 n2; do
		if [ -f "$work/$n/data/postmaster.pid" ]; then
			pid=$(head -1 "$work/$n/data/postmaster.pid")
			alive "$pid" && "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$work/$n/data" stop -m immediate >/dev/null 2>&1
		fi
	done
	stop_pid "$ETCD_PID" 10
	if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for f in "$work"/etcd.log "$work"/n1/patroni.log "$work"/n2/patroni.log "$work"/n1/data/log/* "$work"/n2/data/log/*; do
			[ -f "$f" ] && { echo "---- $f (end)"; tail -25 "$f"; }
		done
		echo "# logs kept in $work"
	elif [ "${HA_KEEP:-0}" = 1 ]; then
		echo "# kept $work"
	else
		rm -rf "$work"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
	exit 1
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- helpers ----
# q NODE SQL: one value, unaligned; empty on error
q() {
	"$PGBIN/psql" -X -A -t -q -h "$work/$1/run" -p "${PG_PORT[$1]}" -U postgres \
		-d "${DB:-app}" -v ON_ERROR_STOP=1 -c "$2" 2>/dev/null
}
# wait_for SECONDS CMD...: polls CMD every 0.2 s
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}
rest() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${REST_PORT[$1]}/$2"; }
is_leader() { [ "$(rest "$1" primary)" = 200 ]; }
is_replica() { [ "$(rest "$1" replica)" = 200 ] && [ "$(DB=postgres q "$1" 'SELECT pg_is_in_recovery()')" = t ]; }
other() { [ "$1" = n1 ] && echo n2 || echo n1; }
LEADER=
find_leader() {	# sets LEADER when exactly one node is the writable leader
	local n found=
	for n in n1 n2; do
		if is_leader "$n" && [ "$(DB=postgres q "$n" 'SELECT pg_is_in_recovery()')" = f ]; then
			[ -n "$found" ] && return 1
			found=$n
		fi
	done
	[ -n "$found" ] && LEADER=$found
}
# the leader's scheduler fired "tick" for a nominal time after $1 (epoch)
fires_after() { [ "$(q "$LEADER" "SELECT count(*) > 0 FROM sched.executions WHERE schedule_id = 'tick' AND nominal_time > to_timestamp($1)")" = t ]; }

# ---- etcd ----
etcd_arch=()
case "$(uname -m)" in x86_64 | aarch64) ;; *) etcd_arch=(env ETCD_UNSUPPORTED_ARCH="$(dpkg --print-architecture)") ;; esac
HOME=$work "${AS_PG[@]}" "${etcd_arch[@]}" etcd --name ha1 --data-dir "$work/etcd" \
	--listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
	--advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER" \
	--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
	--initial-cluster "ha1=http://127.0.0.1:$ETCD_PEER" \
	--initial-cluster-state new --initial-cluster-token "$SCOPE-$$" \
	>"$work/etcd.log" 2>&1 &
ETCD_PID=$!
disown	# no job-control notice when it is killed; stopped by pid on exit
etcd_up() { curl -sf "http://127.0.0.1:$ETCD_CLIENT/health" | grep -q '"health":"true"'; }
check "etcd starts (client 127.0.0.1:$ETCD_CLIENT)" wait_for 30 etcd_up || exit 1

# ---- Patroni nodes ----
for n in n1 n2; do
	mkdir -p "$work/$n/run"
	chmod 755 "$work/$n" "$work/$n/run"
	cat >"$work/$n/patroni.yml" <<EOF
scope: $SCOPE
namespace: /pg_sched_ha/
name: $n
log:
  level: INFO
restapi:
  listen: 127.0.0.1:${REST_PORT[$n]}
  connect_address: 127.0.0.1:${REST_PORT[$n]}
etcd3:
  host: 127.0.0.1:$ETCD_CLIENT
bootstrap:
  dcs:
    ttl: $TTL
    loop_wait: 1
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      parameters:
        shared_preload_libraries: pg_sched
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 5
        max_replication_slots: 5
        wal_keep_size: 256MB
        timezone: UTC
  initdb:
    - encoding: UTF8
    - no-locale
postgresql:
  listen: 127.0.0.1:${PG_PORT[$n]}
  connect_address: 127.0.0.1:${PG_PORT[$n]}
  use_unix_socket: true
  data_dir: $work/$n/data
  bin_dir: $PGBIN
  pgpass: $work/$n/pgpass
  authentication:
    superuser:
      username: postgres
      password: ha-super-secret
    replication:
      username: replicator
      password: ha-repl-secret
  parameters:
    unix_socket_directories: $work/$n/run
    logging_collector: 'on'
    log_directory: log
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
EOF
	[ "$(id -u)" = 0 ] && chown -R postgres: "$work/$n"
done
start_patroni() {
	HOME=$work "${AS_PG[@]}" patroni "$work/$1/patroni.yml" >>"$work/$1/patroni.log" 2>&1 &
	PATRONI_PID[$1]=$!
	disown
}
start_patroni n1
wait_for 60 is_leader n1	# n1 bootstraps the cluster, n2 clones it
start_patroni n2
check "a leader is elected" wait_for 90 find_leader || exit 1
REPLICA=$(other "$LEADER")
check "$REPLICA streams from $LEADER" wait_for 120 is_replica "$REPLICA" || exit 1
say "ports: etcd $ETCD_CLIENT, postgres n1 ${PG_PORT[n1]} n2 ${PG_PORT[n2]}, rest n1 ${REST_PORT[n1]} n2 ${REST_PORT[n2]}"

# ---- the sampler: a node in recovery never runs a pg_sched process ----
(
	while :; do
		for n in n1 n2; do
			r=$(DB=postgres q "$n" "SELECT pg_is_in_recovery() || ' ' || (SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pg_sched%')")
			[ -n "$r" ] && echo "$n $r"
		done
		sleep 0.5
	done
) >"$work/samples" 2>/dev/null &
SAMPLER_PID=$!
disown

# ---- schedules ----
DB=postgres q "$LEADER" 'CREATE DATABASE app' >/dev/null
q "$LEADER" "
	CREATE EXTENSION pg_sched;
	SELECT sched.create_schedule('tick', '{
		\"action\": {\"workflow\": \"Tick\", \"id\": \"tick\", \"task_queue\": \"q\"},
		\"spec\": {\"intervals\": [{\"every\": 1}]},
		\"policy\": {\"overlap\": \"allow_all\"}}');
	SELECT sched.create_schedule('every3', '{
		\"action\": {\"workflow\": \"Tock\", \"id\": \"every3\", \"task_queue\": \"q\"},
		\"spec\": {\"intervals\": [{\"every\": 3}]},
		\"policy\": {\"overlap\": \"allow_all\"}}');
	SELECT sched.create_schedule('minutely', '{
		\"action\": {\"workflow\": \"Minute\", \"id\": \"minutely\", \"task_queue\": \"q\"},
		\"spec\": {\"cron_expressions\": [\"* * * * *\"]},
		\"policy\": {\"overlap\": \"allow_all\"}}');
	SELECT sched.create_schedule('held', '{
		\"action\": {\"workflow\": \"Held\", \"id\": \"held\", \"task_queue\": \"q\"},
		\"spec\": {\"intervals\": [{\"every\": 1}]},
		\"state\": {\"paused\": true, \"note\": \"paused for the HA test\"}}');
	SELECT sched.create_schedule('future', '{
		\"action\": {\"workflow\": \"Later\", \"id\": \"future\", \"task_queue\": \"q\"},
		\"spec\": {\"intervals\": [{\"every\": 1}], \"start_at\": \"2099-01-01T00:00:00Z\"}}');" >/dev/null
check "the extension and 5 schedules are created on $LEADER" \
	[ "$(q "$LEADER" 'SELECT count(*) FROM sched.schedules')" = 5 ]
t=$(date +%s)
check "the leader fires" wait_for 30 fires_after $((t + SETTLE))
replays() { [ "$(q "$REPLICA" "SELECT count(*) > 0 FROM sched.executions WHERE schedule_id = 'tick' AND nominal_time > to_timestamp($t)")" = t ]; }
check "the replica $REPLICA replays the runs" wait_for 30 replays
check "no pg_sched process on the replica $REPLICA" \
	[ "$(DB=postgres q "$REPLICA" "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pg_sched%'")" = 0 ]
check "sched.scheduler_status() is empty on the replica" \
	[ "$(q "$REPLICA" 'SELECT count(*) FROM sched.scheduler_status()')" = 0 ]

# Invariants on the leader: per firing schedule, one run per nominal time
# from the first to the last, and the counters match.
CHECKED=0
invariants() {	# label
	local r
	r=$(q "$LEADER" "
		SELECT string_agg(format('%s:%s', s.schedule_id,
			CASE WHEN x.n <> x.d THEN 'duplicate'
				 WHEN x.n > 0 AND x.span <> (x.n - 1) * s.step THEN 'gap'
				 WHEN s.num_actions <> x.n THEN 'counter'
				 WHEN s.num_actions_missed_catchup_window <> 0 THEN 'missed'
				 WHEN (sched.describe(s.schedule_id)->'info'->>'num_actions')::bigint <> x.n THEN 'describe'
				 ELSE 'ok' END), ' ' ORDER BY s.schedule_id)
		FROM (SELECT *, CASE schedule_id WHEN 'tick' THEN 1 WHEN 'every3' THEN 3
							 WHEN 'minutely' THEN 60 END AS step
			  FROM sched.schedules WHERE schedule_id IN ('tick', 'every3', 'minutely')) s,
		LATERAL (SELECT count(*) n, count(DISTINCT nominal_time) d,
						coalesce(extract(epoch FROM max(nominal_time) - min(nominal_time)), 0) span
				 FROM sched.executions e WHERE e.schedule_id = s.schedule_id) x")
	check "$1: every nominal time has exactly one run, counters match ($r)" \
		[ "$r" = "every3:ok minutely:ok tick:ok" ]
	check "$1: the paused and future schedules fired nothing" \
		[ "$(q "$LEADER" "SELECT count(*) FROM sched.executions WHERE schedule_id IN ('held', 'future')")" = 0 ]
	CHECKED=$(q "$LEADER" "SELECT count(*) FROM sched.executions")
	say "$1: $CHECKED nominal times checked on $LEADER"
}
invariants "before failover"

# after_failover LABEL T0 OLD: waits for a writable leader that fires
after_failover() {
	local t1 t2
	check "$1: a leader is writable again" wait_for $((TTL * 6)) find_leader || exit 1
	t1=$(now)
	check "$1: the leader $LEADER fires" wait_for 60 fires_after "${t1%.*}" || exit 1
	t2=$(now)
	say "$1: new leader $LEADER (was $3), writable after $(secs "$2" "$t1") s, first action $(secs "$2" "$t2") s after the $1"
	wait_for 60 fires_after $((${t1%.*} + SETTLE))
	invariants "$1"
}

# ---- 1. switchover ----
OLD=$LEADER
t0=$(now)
patronictl -c "$work/n1/patroni.yml" switchover --leader "$OLD" --candidate "$(other "$OLD")" --force \
	>>"$work/patronictl.log" 2>&1
wait_for 60 is_leader "$(other "$OLD")"
after_failover switchover "$t0" "$OLD"
check "switchover: the leader changed" [ "$LEADER" != "$OLD" ]
REPLICA=$(other "$LEADER")
check "switchover: $REPLICA rejoins as a replica" wait_for 120 is_replica "$REPLICA"

# ---- 2. kill -9 of the leader's postmaster, Patroni alive ----
OLD=$LEADER
pm=$(head -1 "$work/$OLD/data/postmaster.pid")
t0=$(now)
kill -KILL "$pm"
say "killed the postmaster of $OLD (pid $pm)"
wait_for 30 bash -c "! kill -0 $pm 2>/dev/null"
after_failover "postmaster kill" "$t0" "$OLD"
REPLICA=$(other "$LEADER")
check "postmaster kill: $REPLICA is a replica again" wait_for 120 is_replica "$REPLICA"

# ---- 3. node loss: kill -9 of the leader's Patroni and postmaster ----
OLD=$LEADER
pm=$(head -1 "$work/$OLD/data/postmaster.pid")
t0=$(now)
kill -KILL "${PATRONI_PID[$OLD]}" "$pm"
say "killed Patroni (pid ${PATRONI_PID[$OLD]}) and the postmaster (pid $pm) of $OLD"
PATRONI_PID[$OLD]=
after_failover "node loss" "$t0" "$OLD"
check "node loss: the other node took over" [ "$LEADER" != "$OLD" ]

# ---- 4. the lost node comes back: pg_rewind, then a replica ----
start_patroni "$OLD"
check "the lost node $OLD rejoins as a replica" wait_for 120 is_replica "$OLD"
say "Patroni's log of $OLD: $(grep -ci 'rewind' "$work/$OLD/patroni.log") lines about pg_rewind"
REPLICA=$OLD
t=$(date +%s)
check "it replays the new leader's runs" wait_for 30 replays
invariants "rejoined"

# ---- the sampler's verdict ----
stop_pid "$SAMPLER_PID" 2
SAMPLER_PID=
nrec=$(awk '$2 == "true"' "$work/samples" | wc -l)
bad=$(awk '$2 == "true" && $3 != 0' "$work/samples" | wc -l)
say "sampler: $(wc -l <"$work/samples") samples, $nrec of a node in recovery"
check "no node in recovery ever ran a pg_sched process ($bad of $nrec samples did)" \
	test "$nrec" -gt 0 -a "$bad" = 0
say "total: $CHECKED nominal times checked"
