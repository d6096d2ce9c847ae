#!/usr/bin/env bash
# Enqueue throughput (issue 12): sched.start_workflow, one run per
# transaction, at 1 and 8 connections, next to a bare INSERT of a row of the
# same width into a plain table (the baseline) in the same cluster, and the
# bulk form sched.start_workflows (500 starts per call) next to a bulk INSERT.
# Then the same session calling start_workflow 4 x 2,000 times on a freshly
# emptied queue (each block should take what the first took), and the
# batched close at 8 connections: claim 50 (sched.poll), complete them in
# one statement, with sched.complete_runs and with sched.complete over
# unnest() (what a client had before), next to the bare SQL of the same
# claim and close on a copy of the table.  As root, with
# the extension installed into PG_CONFIG's PostgreSQL:
#
#   bash bench/enqueue.sh            10 s per figure
#   SECS=5 bash bench/enqueue.sh
#
# Durability is the default (fsync, synchronous_commit on): group commit is
# what a NOTIFY in every producer transaction used to cost.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_root
secs=${SECS:-10}

work=$(mktemp -d /tmp/pg_sched_enqueue.XXXXXX)
chown postgres: "$work"
chmod 700 "$work"
data=$work/data
sock=$work/sock
finish()
{
	if [ -f "$data/postmaster.pid" ]; then
		as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap finish EXIT

mkdir -p "$sock"
chown postgres: "$sock"
as_postgres "$PG_BIN/initdb" -D "$data" --no-locale -E UTF8 --auth=trust -U postgres >/dev/null
cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$sock'
shared_preload_libraries = 'pg_sched'
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
log_min_messages = warning
EOF
as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$work/server.log" -w -t 60 start >/dev/null
PSQL=("$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$sock" -U postgres -d bench)
"$PG_BIN/psql" -X -q -h "$sock" -U postgres -d postgres -c "CREATE DATABASE bench" >/dev/null
"${PSQL[@]}" -c "CREATE EXTENSION pg_sched"
"${PSQL[@]}" -f bench/sql/setup.sql >/dev/null
"${PSQL[@]}" <<'EOF'
CREATE TABLE base (id bigserial PRIMARY KEY, workflow_id text NOT NULL,
                   workflow text, task_queue text, args jsonb, status text,
                   due_at timestamptz DEFAULT now(), created_at timestamptz DEFAULT now());
CREATE INDEX ON base (task_queue, due_at) WHERE status = 'pending';
CREATE INDEX ON base (workflow_id);
EOF

cat >"$work/start.sql" <<'EOF'
\set r random(1, 2000000000)
SELECT sched.start_workflow('Noop', 'e-' || :client_id || '-' || :r, 'bench-q');
EOF
cat >"$work/base.sql" <<'EOF'
\set r random(1, 2000000000)
INSERT INTO base (workflow_id, workflow, task_queue, args, status)
VALUES ('e-' || :client_id || '-' || :r, 'Noop', 'bench-q', '[]', 'pending');
EOF
cat >"$work/bulk.sql" <<'EOF'
\set r random(1, 2000000000)
SELECT count(*) FROM sched.start_workflows(
  (SELECT jsonb_agg(jsonb_build_object('workflow', 'Noop', 'task_queue', 'bulk-q',
                                       'id', 'b-' || :client_id || '-' || :r || '-' || i))
     FROM generate_series(1, 500) i));
EOF
cat >"$work/bulk_base.sql" <<'EOF'
\set r random(1, 2000000000)
INSERT INTO base (workflow_id, workflow, task_queue, args, status)
SELECT 'b-' || :client_id || '-' || :r || '-' || i, 'Noop', 'bulk-q', '[]', 'pending'
  FROM generate_series(1, 500) i;
EOF
chown postgres: "$work"/*.sql

# tps FILE CLIENTS: transactions per second of a pgbench run
tps()
{
	as_postgres "$PG_BIN/pgbench" -n -h "$sock" -U postgres -c "$2" -j "$2" -T "$secs" \
		-f "$1" bench 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
reset() { "${PSQL[@]}" -c "TRUNCATE sched.executions, base" -c "VACUUM ANALYZE sched.executions, base" >/dev/null; }

printf '%-44s %12s %12s %7s\n' figure pg_sched baseline ratio
for c in 1 8; do
	reset
	a=$(tps "$work/start.sql" $c)
	reset
	b=$(tps "$work/base.sql" $c)
	printf '%-44s %12.0f %12.0f %7.2f\n' "start_workflow, 1 per transaction, $c conn (runs/s)" "$a" "$b" \
		"$(awk "BEGIN { print $a / $b }")"
done
reset
a=$(tps "$work/bulk.sql" 1)
reset
b=$(tps "$work/bulk_base.sql" 1)
printf '%-44s %12.0f %12.0f %7.2f\n' "start_workflows x500, 1 conn (runs/s)" \
	"$(awk "BEGIN { print $a * 500 }")" "$(awk "BEGIN { print $b * 500 }")" \
	"$(awk "BEGIN { print $a / $b }")"

# one session on a freshly emptied queue: 4 blocks of 2,000 starts
reset
"${PSQL[@]}" <<'EOF'
\timing on
DO $$ BEGIN FOR i IN 1..2000 LOOP PERFORM sched.start_workflow('Noop', 's1-' || i, 'fresh-q'); END LOOP; END $$;
DO $$ BEGIN FOR i IN 1..2000 LOOP PERFORM sched.start_workflow('Noop', 's2-' || i, 'fresh-q'); END LOOP; END $$;
DO $$ BEGIN FOR i IN 1..2000 LOOP PERFORM sched.start_workflow('Noop', 's3-' || i, 'fresh-q'); END LOOP; END $$;
DO $$ BEGIN FOR i IN 1..2000 LOOP PERFORM sched.start_workflow('Noop', 's4-' || i, 'fresh-q'); END LOOP; END $$;
EOF

# ---- batched close: claim 50, complete them in one statement, 8 connections ----
cat >"$work/batch_runs.sql" <<'EOF'
SELECT coalesce(string_agg(run_id::text, ','), '') AS ids FROM sched.poll('qq', 'pgbench', 50) \gset
SELECT count(*) FROM sched.complete_runs(string_to_array(':ids', ',')::uuid[]);
EOF
cat >"$work/batch_unnest.sql" <<'EOF'
SELECT coalesce(string_agg(run_id::text, ','), '') AS ids FROM sched.poll('qq', 'pgbench', 50) \gset
SELECT count(sched.complete(id)) FROM unnest(string_to_array(':ids', ',')::uuid[]) id;
EOF
cat >"$work/batch_base.sql" <<'EOF'
WITH c AS (UPDATE bench.q_base e SET status = 'running', attempt = e.attempt + 1, worker = 'pgbench', started_at = coalesce(e.started_at, now()), lease_expires_at = now() + interval '30 seconds', lease_duration = interval '30 seconds' WHERE e.run_id = ANY (ARRAY(SELECT run_id FROM bench.q_base WHERE task_queue = 'qq' AND status = 'pending' AND due_at <= now() ORDER BY due_at LIMIT 50 FOR NO KEY UPDATE SKIP LOCKED)) RETURNING e.run_id) SELECT coalesce(string_agg(run_id::text, ','), '') AS ids FROM c \gset
UPDATE bench.q_base SET status = 'completed', closed_at = now(), lease_expires_at = NULL, result = NULL, error = NULL, error_type = NULL WHERE run_id = ANY (string_to_array(':ids', ',')::uuid[]) AND status = 'running';
EOF
chown postgres: "$work"/*.sql
fill()
{
	if [ "$1" = sched.executions ]; then
		"${PSQL[@]}" -c "TRUNCATE sched.executions" >/dev/null
	else
		"${PSQL[@]}" -c "SELECT bench.copy_of('sched.executions', '$1')" >/dev/null
	fi
	"${PSQL[@]}" -c "SELECT bench.insert_runs('$1', 400000, 'q', now() - interval '1 second', 'start', 1000, 'qq')" \
		-c "VACUUM ANALYZE $1" >/dev/null
}
fill sched.executions
a=$(tps "$work/batch_runs.sql" 8)
fill sched.executions
u=$(tps "$work/batch_unnest.sql" 8)
fill bench.q_base
b=$(tps "$work/batch_base.sql" 8)
printf '%-44s %12.0f %12.0f %7.2f\n' "claim 50 + complete_runs, 8 conn (runs/s)" \
	"$(awk "BEGIN { print $a * 50 }")" "$(awk "BEGIN { print $b * 50 }")" "$(awk "BEGIN { print $a / $b }")"
printf '%-44s %12.0f %12.0f %7.2f\n' "claim 50 + complete over unnest, 8 conn" \
	"$(awk "BEGIN { print $u * 50 }")" "$(awk "BEGIN { print $b * 50 }")" "$(awk "BEGIN { print $u / $b }")"
