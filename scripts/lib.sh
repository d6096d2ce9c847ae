# Shared by quickstart.sh and test.sh (sourced, not run): where PostgreSQL
# is, and how to run things as its OS user.

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
# PG_CONFIG may name a relocated copy of the installation (a private one
# per checkout); the server binaries are those beside it.
PG_BIN=$("$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

require_root()
{
	if [ "$(id -u)" != 0 ]; then
		echo "$0: run this as root (it installs packages and the extension)" >&2
		exit 1
	fi
}

# initdb and postgres refuse to run as root.  Run from / (or the given
# directory) so the postgres user never has to enter the checkout.
as_postgres()
{
	(cd / && runuser -u postgres -- "$@")
}

as_postgres_in()
{
	local dir=$1
	shift
	(cd "$dir" && runuser -u postgres -- "$@")
}

# Installs what is missing, then builds (warnings are errors) and installs
# the extension.
build_and_install()
{
	bash scripts/install-deps.sh
	make -s -j"$(nproc)" WERROR=-Werror
	make -s install
}
