#!/usr/bin/env bash
# Quick start (README command 1; run as root).
#
# Installs the packages, builds and installs pg_sched, and runs a local
# cluster for it: owned by the postgres user, in /var/lib/pg_sched (outside
# the checkout, which that user may not be able to enter), unix socket only,
# port 5499, pg_sched preloaded.  Creates database pg_sched with the
# extension, runs the demonstration (scripts/demo.sql: the next fire times
# of a few specs, then a schedule firing every second into the queue and a
# worker claiming and completing its runs; the schedule is left paused) and
# says how to connect.  Running it again is safe: the cluster is reused and
# restarted only when the installed library or its settings changed, and
# the demonstration starts its schedule afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_root

BASE=/var/lib/pg_sched
DATA=$BASE/data
RUN=$BASE/run			# socket directory; mode 700, so only root and postgres connect
LOG=$BASE/postgresql.log
PORT=5499
DB=pg_sched

echo "== build and install"
build_and_install
VERSION=$(make -s --no-print-directory version)

install -d -o postgres -g postgres -m 700 "$BASE" "$RUN"
if [ ! -s "$DATA/PG_VERSION" ]; then
	echo "== initialising a cluster in $DATA"
	# trust is safe here: no TCP, and the socket directory admits only
	# root and postgres.
	as_postgres "$PG_BIN/initdb" -D "$DATA" -U postgres --no-locale -E UTF8 \
		--auth-local=trust --auth-host=reject >/dev/null
	echo "include_if_exists = 'pg_sched.conf'" >>"$DATA/postgresql.conf"
fi
# Our settings, rewritten on every run.
cat >"$DATA/pg_sched.conf" <<EOF
# Written by pg_sched's scripts/quickstart.sh on every run.
listen_addresses = ''
port = $PORT
unix_socket_directories = '$RUN'
shared_preload_libraries = 'pg_sched'
EOF
chown postgres: "$DATA/pg_sched.conf"

# A preloaded library is only re-read at start: restart when the installed
# build or our settings differ from what the server started with.
stamp=$(cat "$("$PG_CONFIG" --pkglibdir)/pg_sched.so" "$DATA/pg_sched.conf" | sha256sum | cut -d' ' -f1)
if as_postgres "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null; then
	if [ "$(cat "$BASE/started-with" 2>/dev/null)" != "$stamp" ]; then
		echo "== restarting the cluster (new build or settings)"
		as_postgres "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -m fast -w restart >/dev/null ||
			{ tail -n 30 "$LOG" >&2; exit 1; }
	fi
else
	echo "== starting the cluster"
	as_postgres "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w start >/dev/null ||
		{ tail -n 30 "$LOG" >&2; exit 1; }
fi
echo "$stamp" >"$BASE/started-with"

psql_do()
{
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U postgres "$@"
}

if [ -z "$(psql_do -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
	psql_do -d postgres -c "CREATE DATABASE $DB"
fi

# Create or update the extension.  While a version is in development its
# install script changes without a new version number: then the extension is
# dropped and created again (its objects and data go with it).
script_hash=$(sha256sum "$("$PG_CONFIG" --sharedir)/extension/pg_sched--$VERSION.sql" | cut -d' ' -f1)
have=$(psql_do -d "$DB" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'pg_sched'")
if [ -z "$have" ]; then
	psql_do -d "$DB" -c "CREATE EXTENSION pg_sched"
elif [ "$have" != "$VERSION" ]; then
	echo "== updating pg_sched $have to $VERSION"
	# A development build of $have (objects other than the released
	# script's) may not take the update: the demonstration database is then
	# started afresh.
	if ! psql_do -d "$DB" -c "ALTER EXTENSION pg_sched UPDATE TO '$VERSION'"; then
		echo "== re-creating pg_sched $VERSION (the installed $have was not the released one)"
		psql_do -d "$DB" -c "DROP EXTENSION pg_sched CASCADE" -c "CREATE EXTENSION pg_sched"
	fi
elif [ "$(cat "$BASE/extension-script" 2>/dev/null)" != "$script_hash" ]; then
	echo "== re-creating pg_sched $VERSION (its install script changed)"
	psql_do -d "$DB" -c "DROP EXTENSION pg_sched CASCADE" -c "CREATE EXTENSION pg_sched"
fi
echo "$script_hash" >"$BASE/extension-script"

echo "== demonstration (scripts/demo.sql)"
demo_rc=0
psql_do -d "$DB" -f scripts/demo.sql || demo_rc=$?
if [ "$demo_rc" -ne 0 ]; then
	echo "quickstart: the demonstration failed (error above); the cluster itself is up (log: $LOG)" >&2
fi

cat <<EOF

pg_sched $VERSION is running (data $DATA, log $LOG).
Connect:  psql -h $RUN -p $PORT -U postgres $DB
          and try:  SELECT sched.trigger('demo');  SELECT * FROM sched.poll('demo');
Stop:     runuser -u postgres -- $PG_BIN/pg_ctl -D $DATA stop
EOF
exit "$demo_rc"
