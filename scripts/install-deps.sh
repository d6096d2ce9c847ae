#!/usr/bin/env bash
# Installs the Debian 12 packages pg_sched needs to build, test and fuzz;
# silent, and without touching apt when all of them are present.  Run as root.
set -euo pipefail

packages=(
	make gcc libc6-dev                  # the build
	postgresql-15 postgresql-client-15  # server (initdb, postgres), pg_config, PGXS, pg_regress
	postgresql-server-dev-15            # server headers
	perl libipc-run-perl                # prove and IPC::Run for the TAP tests
	python3-psycopg                     # clients/python (Debian's /usr/bin/python3)
	python3-venv python3-setuptools python3-wheel  # pip install ./clients/python, offline (081)
	prometheus-postgres-exporter prometheus  # monitoring/: the exporter, promtool (075)
	libpq-dev                           # libpq programs: bench/ and test/stress/ drivers
	clang-14 libclang-rt-14-dev         # make fuzz (libFuzzer and the sanitizers)
	postgresql-15-cron                  # test/t/053_pg_cron_import.pl (sched.import_pg_cron)
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "install-deps: apt-get failed (output above)" >&2
	exit 1
fi
