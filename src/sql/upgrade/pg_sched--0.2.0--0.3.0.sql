-- pg_sched 0.2.0 -> 0.3.0 (ALTER EXTENSION pg_sched UPDATE).
--
-- Every change to src/sql/*.sql since 0.2.0 is repeated here, so that an
-- updated installation ends up with the same objects as a fresh one
-- (test/t/100_upgrade.pl compares the two, updating from 0.1.0 through
-- every version in between).

\echo Use "ALTER EXTENSION pg_sched UPDATE TO '0.3.0'" to load this file. \quit
