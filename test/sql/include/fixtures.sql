\set ECHO none
-- The fixtures that the pg_regress files share; a file includes them with
--   \i test/sql/include/fixtures.sql
-- (pg_regress runs psql from the root of the tree).  They live in pg_temp,
-- so each file's session has its own.
--   pg_temp.try(stmt)         runs stmt in a subtransaction and returns
--                             'ok', or "SQLSTATE: message" followed by
--                             DETAIL: and HINT: lines when the error has them
--   pg_temp.try_masked(stmt, times)  the same, with every uuid shown as
--                             <run> and, when times, every RFC 3339 UTC time
--                             as <time> (for runs and clocks a test does not
--                             fix)
--   pg_temp.id(n)             a fixed run id 00000000-0000-0000-BBBB-NNNNNNNNNNNN,
--                             BBBB the setting pg_sched_test.id_block (each
--                             file sets its own before it inserts runs)
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN st || ': ' || msg
        || CASE WHEN det <> '' THEN E'\nDETAIL: ' || det ELSE '' END
        || CASE WHEN hnt <> '' THEN E'\nHINT: ' || hnt ELSE '' END;
END $$;
CREATE FUNCTION pg_temp.try_masked(stmt text, times boolean DEFAULT false)
RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN times
                THEN regexp_replace(m, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<time>', 'g')
                ELSE m END
      FROM regexp_replace(pg_temp.try(stmt), '[0-9a-f]{8}-[0-9a-f-]{27}', '<run>', 'g') AS m
$$;
CREATE FUNCTION pg_temp.id(n int) RETURNS uuid LANGUAGE sql AS $$
    SELECT format('00000000-0000-0000-%s-%s',
                  lpad(current_setting('pg_sched_test.id_block'), 4, '0'),
                  lpad(n::text, 12, '0'))::uuid
$$;
\set ECHO all
