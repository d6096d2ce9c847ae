# pg_sched: PGXS build of the extension, plus the standalone targets of its
# pure-C spec engine (unit tests, fuzzing, benchmark).
#
#   make && make install        build and install the extension (as root)
#   make installcheck-temp      pg_regress on a private temp server (not as root)
#   make tap                    TAP tests test/t/*.pl (not as root)
#   make unit | fuzz | bench    engine tests, libFuzzer runs (spec, query), benchmark (build/)
#   make ha-test                Patroni + etcd failover on loopback (after install)
#
# scripts/test.sh runs all of it the way CI does.

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config

EXTENSION = pg_sched
# The version lives in the control file only.
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

# The backend library: the glue in src/ and the engine in src/spec/, except
# tzfile.c, the system-zoneinfo reader that only standalone builds use (the
# backend reads PostgreSQL's own time-zone database).
MODULE_big = pg_sched
ENGINE_SRCS := $(sort $(wildcard src/spec/*.c))
# The list query parser (src/query/), pure C99 like the engine.
QUERY_SRCS := $(sort $(wildcard src/query/*.c))
QUERY_HDRS := $(wildcard src/query/*.h)
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)) \
		$(filter-out src/spec/tzfile.c,$(ENGINE_SRCS)) $(QUERY_SRCS))
# The install script is built from src/sql/*.sql, one file per area,
# concatenated in name order.  src/sql/upgrade/ keeps what earlier versions
# need: their install scripts as released (frozen) and the update scripts
# (pg_sched--A--B.sql) that ALTER EXTENSION ... UPDATE follows.
SQL_SRCS := $(sort $(wildcard src/sql/*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(sort $(wildcard src/sql/upgrade/$(EXTENSION)--*.sql))

# One pg_regress file per feature.  pg_regress creates the extension in the
# test database (--load-extension), so the files do not, and each one can run
# alone: make installcheck-temp REGRESS=spec_cron
REGRESS := $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)
NO_LOCALE = 1
ENCODING = UTF8
# The private server: kept out of REGRESS_OPTS, because overriding that on
# the command line would also drop PGXS's --dbname and run the tests in
# another database.
TEMP_INSTANCE = tmp_regress
TEMP_INSTANCE_OPTS = --temp-instance=$(TEMP_INSTANCE) --temp-config=test/regress.conf

TAP_TESTS_FILES = $(sort $(wildcard test/t/*.pl))

# Our code builds with -Wall -Wextra and warnings as errors (WERROR= turns
# that off).  -Wextra's unused-parameter is the one warning PostgreSQL 15's
# own headers raise (static inline functions in bufpage.h and ilist.h), and
# callbacks with fixed signatures (SIGNAL_ARGS, hooks) raise it in ours; the
# other -Wextra warnings (sign-compare, missing-field-initializers, clobbered,
# ...) stay on.
WERROR ?= -Werror
PG_CFLAGS += -Wall -Wextra $(WERROR) -Wno-unused-parameter
PG_CPPFLAGS += -Isrc/spec -Isrc/query -DPG_SCHED_VERSION='"$(EXTVERSION)"'

EXTRA_CLEAN = build $(TEMP_INSTANCE)

PGXS := $(shell $(PG_CONFIG) --pgxs)
# No LLVM bitcode: JIT inlining of our few functions is not worth the build
# time and the clang dependency at install.  "override", because PGXS's
# Makefile.global sets with_llvm after this point.
override with_llvm = no
# Track header dependencies (.deps/), so that changing a struct in a header
# rebuilds every file that uses it rather than leaving stale objects.
override autodepend = yes
include $(PGXS)

.PHONY: version installcheck-temp tap unit unit-build fuzz fuzz-query bench bench-icount bench-all ha-test

version:
	@echo $(EXTVERSION)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SRCS)
	cat $^ > $@

# initdb and postgres refuse to run as root: say so before pg_regress starts.
define not_as_root
@if [ "$$(id -u)" = 0 ]; then \
	echo "$@: test servers cannot run as root; use scripts/test.sh, or run make $@ as the postgres user in a copy of the tree it owns" >&2; \
	exit 1; \
fi
endef

installcheck-temp:
	$(not_as_root)
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(TEMP_INSTANCE_OPTS) $(REGRESS)

# TAP tests use PostgreSQL::Test::Cluster; each makes its own clusters.
# Logs land in tmp_check/log/.
tap:
	$(not_as_root)
ifneq ($(TAP_TESTS_FILES),)
	$(prove_installcheck)
else
	@echo "tap: no test/t/*.pl yet"
endif
PROVE_TESTS = $(TAP_TESTS_FILES)

# High availability: two Patroni nodes and an etcd on loopback, switchover,
# postmaster kill and node loss, with the scheduler's invariants checked
# after each (test/ha/patroni_failover.sh; a few minutes).  Uses the
# installed pg_sched; as root it installs patroni and etcd-server when
# missing and runs the servers as postgres.  Not part of scripts/test.sh.
ha-test:
	bash test/ha/patroni_failover.sh

# ---- Standalone builds of the engine (no PostgreSQL), all under build/ ----

BUILD = build
SPEC_HDRS := $(wildcard src/spec/*.h)
SPEC_CC ?= cc
SPEC_CFLAGS ?= -std=c99 -O2 -Wall -Wextra -Werror
SPEC_INCLUDES = -Isrc/spec
HOST_ENGINE_OBJS = $(patsubst src/spec/%.c,$(BUILD)/engine/%.o,$(ENGINE_SRCS))

$(BUILD)/engine/%.o: src/spec/%.c $(SPEC_HDRS)
	@mkdir -p $(@D)
	$(SPEC_CC) $(SPEC_CFLAGS) $(SPEC_INCLUDES) -c $< -o $@

# Unit tests: each test/unit/test_*.c is one program, linked with the whole
# engine (tzfile.c included) and any other test/unit/*.c (shared helpers).
UNIT_TESTS := $(sort $(wildcard test/unit/test_*.c))
UNIT_HELPERS := $(filter-out $(UNIT_TESTS),$(sort $(wildcard test/unit/*.c)))
UNIT_BINS = $(patsubst test/unit/%.c,$(BUILD)/unit/%,$(UNIT_TESTS))

$(BUILD)/unit/%: test/unit/%.c $(UNIT_HELPERS) $(HOST_ENGINE_OBJS) $(SPEC_HDRS) $(wildcard test/unit/*.h)
	@mkdir -p $(@D)
	$(SPEC_CC) $(SPEC_CFLAGS) $(SPEC_INCLUDES) -Itest/unit -o $@ $< $(UNIT_HELPERS) $(HOST_ENGINE_OBJS) -lm

# The fuzz target built as a plain program replays the seed corpus and every
# input the fuzzer ever failed on (test/fuzz/crashes), under the sanitizers,
# so a fixed bug stays fixed.  The engine is compiled into it with them too:
# an overflow in the engine is what it must catch.
ifneq ($(wildcard test/fuzz/fuzz_spec.c),)
UNIT_BINS += $(BUILD)/unit/fuzz_replay
endif
$(BUILD)/unit/fuzz_replay: test/fuzz/fuzz_spec.c $(ENGINE_SRCS) $(SPEC_HDRS)
	@mkdir -p $(@D)
	$(SPEC_CC) -std=c99 -O1 -g -Wall -Wextra -Werror \
		-fsanitize=address,undefined -fno-sanitize-recover=all -DFUZZ_STANDALONE \
		$(SPEC_INCLUDES) -o $@ test/fuzz/fuzz_spec.c $(ENGINE_SRCS) -lm

# The query parser's fuzz target, replayed the same way (test/fuzz/query_corpus).
ifneq ($(wildcard test/fuzz/fuzz_query.c),)
UNIT_BINS += $(BUILD)/unit/fuzz_query_replay
endif
$(BUILD)/unit/fuzz_query_replay: test/fuzz/fuzz_query.c $(QUERY_SRCS) $(QUERY_HDRS)
	@mkdir -p $(@D)
	$(SPEC_CC) -std=c99 -O1 -g -Wall -Wextra -Werror \
		-fsanitize=address,undefined -fno-sanitize-recover=all -DFUZZ_STANDALONE \
		-Isrc/query -o $@ test/fuzz/fuzz_query.c $(QUERY_SRCS)

unit-build: $(UNIT_BINS)

# Runs every program; each ends its output with "N passed, N failed".  One
# that crashes or exits non-zero without reporting a failure counts as one
# failure.  The last line totals them (scripts/test.sh reads it).
unit: unit-build
	@tp=0; tf=0; \
	for t in $(UNIT_BINS); do \
		$$t > $$t.log 2>&1; rc=$$?; \
		cat $$t.log; \
		set -- $$(tail -n 1 $$t.log | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$$/\1 \2/p'); \
		p=$${1:-0}; f=$${2:-1}; \
		if [ $$rc -ne 0 ] && [ $$f -eq 0 ]; then f=1; fi; \
		echo "unit $${t##*/}: $$p passed, $$f failed (exit status $$rc)"; \
		tp=$$((tp + p)); tf=$$((tf + f)); \
	done; \
	echo "unit total: $$tp passed, $$tf failed"; \
	[ $$tf -eq 0 ]

# libFuzzer: bounded run over a working corpus seeded from test/fuzz/corpus
# (new inputs go to build/, never into the repository).  A crash, a sanitizer
# report or an input slower than FUZZ_TIMEOUT seconds fails the target and
# leaves the input in build/fuzz/artifacts/.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_ARGS ?= -max_len=512
FUZZ_CFLAGS = -std=c99 -g -O1 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SRC = test/fuzz/fuzz_spec.c

$(BUILD)/fuzz/fuzz_spec: $(FUZZ_SRC) $(ENGINE_SRCS) $(SPEC_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(SPEC_INCLUDES) -o $@ $(FUZZ_SRC) $(ENGINE_SRCS) -lm

$(BUILD)/fuzz/fuzz_query: test/fuzz/fuzz_query.c $(QUERY_SRCS) $(QUERY_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc/query -o $@ test/fuzz/fuzz_query.c $(QUERY_SRCS)

# The list query grammar: the same bounded run, its own corpus and dict.
fuzz-query: $(BUILD)/fuzz/fuzz_query
	@mkdir -p $(BUILD)/fuzz/query_corpus $(BUILD)/fuzz/artifacts
	$(BUILD)/fuzz/fuzz_query -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
		-print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/artifacts/ \
		-dict=test/fuzz/query.dict $(FUZZ_ARGS) \
		$(BUILD)/fuzz/query_corpus test/fuzz/query_corpus

ifneq ($(wildcard $(FUZZ_SRC)),)
fuzz: $(BUILD)/fuzz/fuzz_spec fuzz-query
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/artifacts test/fuzz/corpus
	$(BUILD)/fuzz/fuzz_spec -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
		-print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/artifacts/ \
		$(if $(wildcard test/fuzz/spec.dict),-dict=test/fuzz/spec.dict) \
		$(FUZZ_ARGS) $(BUILD)/fuzz/corpus test/fuzz/corpus
else
fuzz:
	@echo "fuzz: $(FUZZ_SRC) not present yet"
endif

# Benchmark: prints ns per next-time computation (bench/bench_spec.c).
BENCH_SRC = bench/bench_spec.c

$(BUILD)/bench/bench_spec: $(BENCH_SRC) $(HOST_ENGINE_OBJS) $(SPEC_HDRS)
	@mkdir -p $(@D)
	$(SPEC_CC) $(SPEC_CFLAGS) -D_POSIX_C_SOURCE=200809L $(SPEC_INCLUDES) -o $@ $(BENCH_SRC) $(HOST_ENGINE_OBJS) -lm

# Instructions per next time under callgrind (bench/spec_icount.c): a
# figure the machine's load does not move.  Needs valgrind.
ICOUNT_CALLS = 100000
ICOUNT_SPECS = '* * * * *|UTC' '*/10 * 9-17 * * mon-fri *|UTC' \
	'*/15 9-17 * * mon-fri|America/New_York' '0 0 L-2,L * 5L,1\#1|UTC' \
	'0 9 * * MON\#3|America/New_York'

$(BUILD)/bench/spec_icount: bench/spec_icount.c $(HOST_ENGINE_OBJS) $(SPEC_HDRS)
	@mkdir -p $(@D)
	$(SPEC_CC) $(SPEC_CFLAGS) -D_POSIX_C_SOURCE=200809L $(SPEC_INCLUDES) -o $@ bench/spec_icount.c $(HOST_ENGINE_OBJS) -lm

bench-icount: $(BUILD)/bench/spec_icount
	@for s in $(ICOUNT_SPECS); do \
		spec="$${s%|*}"; zone="$${s#*|}"; \
		ir=$$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			$(BUILD)/bench/spec_icount "$$spec" $(ICOUNT_CALLS) "$$zone" 2>&1 >/dev/null | \
			sed -n 's/.*Collected : \([0-9]*\).*/\1/p'); \
		printf '%-40s %-18s %6d instructions per call\n' "$$spec" "$$zone" $$((ir / $(ICOUNT_CALLS))); \
	done

ifneq ($(wildcard $(BENCH_SRC)),)
bench: $(BUILD)/bench/bench_spec
	$(BUILD)/bench/bench_spec
else
bench:
	@echo "bench: $(BENCH_SRC) not present yet"
endif

# The whole benchmark suite of issue 6 (a private cluster; see bench/README.md):
# spec engine, fire throughput and precision, backfill, queue, scale, WAL.
bench-all:
	bash bench/run.sh
