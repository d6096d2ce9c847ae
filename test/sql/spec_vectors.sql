-- The worked cases of SEMANTICS.md 1 (test/data/spec-vectors-sample.json,
-- a copy of the shared spec-vectors-sample.json): for each vector with
-- "expect", the first next_times strictly after "after" are exactly that
-- list; for each with "error": true, the spec is refused (22023).  Each
-- valid spec is also checked through its canonical form: validate_spec is
-- a fixed point and the canonical spec gives the same times.
SET timezone = 'UTC';
-- psql runs where pg_regress runs: the top of the source tree
\set vectors `cat test/data/spec-vectors-sample.json`

CREATE FUNCTION pg_temp.check_vector(spec jsonb, after timestamptz,
                                     expect jsonb, want_error boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    got jsonb;
    canon jsonb;
    canon_got jsonb;
BEGIN
    IF want_error THEN
        BEGIN
            PERFORM sched.validate_spec(spec);
            RETURN 'validate_spec accepted it';
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;
        END;
        BEGIN
            PERFORM sched.next_times(spec, '2022-01-01Z', 1);
            RETURN 'next_times accepted it';
        EXCEPTION WHEN invalid_parameter_value THEN
            RETURN NULL;
        END;
    END IF;

    SELECT coalesce(jsonb_agg(to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ORDER BY t), '[]')
      INTO got
      FROM sched.next_times(spec, after, jsonb_array_length(expect)) AS t;
    IF got IS DISTINCT FROM expect THEN
        RETURN 'got ' || got::text;
    END IF;

    canon := sched.validate_spec(spec);
    IF sched.validate_spec(canon) IS DISTINCT FROM canon THEN
        RETURN 'canonical form is not a fixed point: ' || canon::text;
    END IF;
    SELECT coalesce(jsonb_agg(to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ORDER BY t), '[]')
      INTO canon_got
      FROM sched.next_times(canon, after, jsonb_array_length(expect)) AS t;
    IF canon_got IS DISTINCT FROM expect THEN
        RETURN 'canonical form ' || canon::text || ' gives ' || canon_got::text;
    END IF;
    RETURN NULL;
END $$;

CREATE TEMP TABLE vector_results AS
SELECT v->>'name' AS name,
       pg_temp.check_vector(v->'spec', (v->>'after')::timestamptz, v->'expect',
                            coalesce((v->>'error')::boolean, false)) AS failure
  FROM jsonb_array_elements(:'vectors'::jsonb) AS v;

-- the file holds 45 vectors, 18 of them errors
SELECT count(*) AS vectors,
       count(*) FILTER (WHERE failure IS NULL) AS passed,
       count(*) FILTER (WHERE failure IS NOT NULL) AS failed
  FROM vector_results;
SELECT count(*) AS error_vectors
  FROM jsonb_array_elements(:'vectors'::jsonb) AS v
 WHERE (v->>'error')::boolean;

-- failures, if any, with what went wrong
SELECT name, failure FROM vector_results WHERE failure IS NOT NULL ORDER BY name;
