#!/usr/bin/env bash
# The whole test suite, as CI runs it (README command 2; run as root).
#
# Installs the packages, builds with warnings as errors and installs; runs the
# engine's unit tests; then, in a copy of the tree owned by postgres (the
# checkout may be root's and unreachable for that user), pg_regress on a
# private temp server and the TAP tests test/t/*.pl, which make their own.
# Every server started is stopped on exit, failure or Ctrl-C included.
# Failures print their diff or log.  The last line is "N passed, N failed":
# a unit assertion, a pg_regress file and a TAP assertion each count one.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_root

passed=0
failed=0
work=$(mktemp -d)

stop_servers()
{
	local pidfile
	find "$work" -name postmaster.pid 2>/dev/null | while read -r pidfile; do
		as_postgres "$PG_BIN/pg_ctl" -D "${pidfile%/*}" -m immediate -w stop >/dev/null 2>&1 || true
	done
}

finish()
{
	local rc=$?
	trap - EXIT INT TERM
	stop_servers
	rm -rf "$work"
	# An error outside the counted tests (build, copy, interrupt) is a failure.
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
}
trap finish EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# tally PASSED FAILED STATUS: adds a section's counts; a section that exited
# non-zero without a counted failure (a crash, a build error) counts one.
tally()
{
	local f=$2
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + $1))
	failed=$((failed + f))
}

# Counts the lines of a file matching an extended regex (0 when none).
matches()
{
	grep -cE "$1" "$2" || true
}

echo "== build and install"
build_and_install

echo "== unit tests"
if make -s --no-print-directory unit 2>&1 | tee "$work/unit.log"; then rc=0; else rc=$?; fi
total=$(sed -n 's/^unit total: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$work/unit.log" | tail -n 1)
set -- ${total:-0 0}
tally "$1" "$2" "$rc"

# The copy that the postgres user works in.
tree=$work/tree
mkdir "$tree"
tar -cf - --exclude=./.git --exclude=./build --exclude=./tmp_check --exclude=./tmp_regress \
	--exclude=./results --exclude=./log . | tar -C "$tree" -xf -
mkdir "$work/tmp"
chown -R postgres: "$work"

# Runs a command as postgres in the copy; TMPDIR keeps the servers' socket
# directories inside $work too.
in_tree()
{
	as_postgres_in "$tree" env TMPDIR="$work/tmp" "$@"
}

echo "== pg_regress"
if in_tree make -s --no-print-directory installcheck-temp 2>&1 | tee "$work/regress.log"; then rc=0; else rc=$?; fi
p=$(matches '\.\.\. +ok( |$)' "$work/regress.log")
f=$(matches '\.\.\. +(FAILED|failed)' "$work/regress.log")
tally "$p" "$f" "$rc"
if [ "$rc" -ne 0 ]; then
	if [ -f "$tree/regression.diffs" ]; then
		echo "---- regression.diffs (first 1000 lines)"
		head -n 1000 "$tree/regression.diffs"
	fi
	if [ -f "$tree/log/postmaster.log" ]; then
		echo "---- postmaster.log (last 200 lines)"
		tail -n 200 "$tree/log/postmaster.log"
	fi
fi

if compgen -G "test/t/*.pl" >/dev/null; then
	echo "== TAP tests"
	if in_tree make -s --no-print-directory tap PROVE_FLAGS=--verbose 2>&1 | tee "$work/tap.log"; then rc=0; else rc=$?; fi
	p=$(matches '^ok [0-9]' "$work/tap.log")
	f=$(matches '^not ok [0-9]' "$work/tap.log")
	tally "$p" "$f" "$rc"
	if [ "$rc" -ne 0 ]; then
		for log in "$tree"/tmp_check/log/*; do
			[ -f "$log" ] || continue
			echo "---- ${log##*/} (last 60 lines)"
			tail -n 60 "$log"
		done
	fi
fi
