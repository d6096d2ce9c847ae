-- The extension is created by pg_regress (--load-extension); it is in its
-- schema at the control file's version, and drops and re-creates cleanly.
SELECT extname, extversion, extnamespace::regnamespace FROM pg_extension WHERE extname = 'pg_sched';
DROP EXTENSION pg_sched;
CREATE EXTENSION pg_sched;
SELECT extname, extversion, extnamespace::regnamespace FROM pg_extension WHERE extname = 'pg_sched';
