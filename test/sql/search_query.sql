-- The list query language of schedules (Temporal's List Filter) in
-- sched.list_schedules(query) and sched.count_schedules(query): every
-- operator on every type, precedence and parentheses, quoting, ORDER BY,
-- GROUP BY, the built-in attributes, consistency within a transaction, and
-- each kind of mistake with its position (22023).
SET timezone = 'UTC';

SELECT sched.add_search_attribute('QEnv', 'Keyword'),
       sched.add_search_attribute('QNotes', 'Text'),
       sched.add_search_attribute('QPriority', 'Int'),
       sched.add_search_attribute('QScore', 'Double'),
       sched.add_search_attribute('QCritical', 'Bool'),
       sched.add_search_attribute('QDue', 'Datetime'),
       sched.add_search_attribute('QTags', 'KeywordList');

CREATE FUNCTION pg_temp.mk(id text, workflow text, attrs jsonb,
                           paused boolean DEFAULT false) RETURNS text
LANGUAGE sql AS $$
    SELECT sched.create_schedule(id, jsonb_build_object(
        'action', jsonb_build_object('workflow', workflow, 'id', id, 'task_queue', 'qq'),
        'spec', '{"cron_expressions": ["0 3 1 1 * 2099"]}'::jsonb,
        'state', jsonb_build_object('paused', paused)),
        search_attributes => attrs)
$$;
SELECT pg_temp.mk('q-a', 'Billing', '{"QEnv": "prod", "QPriority": 1, "QScore": 0.5,
    "QCritical": true, "QDue": "2026-01-01T00:00:00Z", "QTags": ["eu", "billing"],
    "QNotes": "Monthly invoice run for Europe"}');
SELECT pg_temp.mk('q-b', 'Billing', '{"QEnv": "prod-eu", "QPriority": 5, "QScore": 2.25,
    "QCritical": false, "QDue": "2026-06-01T12:00:00Z", "QTags": ["us"]}', true);
SELECT pg_temp.mk('q-c', 'Reports', '{"QEnv": "dev", "QPriority": 10,
    "QDue": "2027-01-01T00:00:00+02:00", "QNotes": "nightly report"}');
SELECT pg_temp.mk('q-d', 'Reports', '{}', true);
SELECT pg_temp.mk('q-e''s', 'Cleanup', '{"QEnv": "it''s", "QTags": []}');

-- the ids a query lists, of this file's schedules (other files leave
-- theirs), in the order the query gives
CREATE FUNCTION pg_temp.ids(q text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(schedule_id, ' '), '(none)')
      FROM sched.list_schedules(q) WHERE schedule_id LIKE 'q-%'
$$;
CREATE FUNCTION pg_temp.t(q text) RETURNS TABLE (query text, ids text)
LANGUAGE sql AS $$ SELECT q, pg_temp.ids(q) $$;

-- the empty query lists everything, in the order of ids
SELECT * FROM pg_temp.t('');
SELECT * FROM pg_temp.t('   ');

-- Keyword: =, !=, <>, ranges, IN, NOT IN, BETWEEN, STARTS_WITH, IS NULL
SELECT * FROM pg_temp.t('QEnv = ''prod''');
SELECT * FROM pg_temp.t('QEnv = "prod"');
SELECT * FROM pg_temp.t('QEnv != ''prod''');
SELECT * FROM pg_temp.t('QEnv <> ''prod''');
SELECT * FROM pg_temp.t('QEnv > ''dev''');
SELECT * FROM pg_temp.t('QEnv >= ''prod''');
SELECT * FROM pg_temp.t('QEnv < ''prod''');
SELECT * FROM pg_temp.t('QEnv <= ''dev''');
SELECT * FROM pg_temp.t('QEnv IN (''dev'', ''prod'')');
SELECT * FROM pg_temp.t('QEnv NOT IN (''dev'', ''prod'')');
SELECT * FROM pg_temp.t('QEnv BETWEEN ''dev'' AND ''prod''');
SELECT * FROM pg_temp.t('QEnv NOT BETWEEN ''dev'' AND ''prod''');
SELECT * FROM pg_temp.t('QEnv STARTS_WITH ''prod''');
SELECT * FROM pg_temp.t('QEnv NOT STARTS_WITH ''prod''');
SELECT * FROM pg_temp.t('QEnv IS NULL');
SELECT * FROM pg_temp.t('QEnv IS NOT NULL');
-- a quote inside a string: doubled or escaped
SELECT * FROM pg_temp.t('QEnv = ''it''''s''');
SELECT * FROM pg_temp.t('QEnv = ''it\''s''');
SELECT * FROM pg_temp.t('QEnv = "it''s"');

-- Int and Double: numbers, compared as numbers (10 > 5)
SELECT * FROM pg_temp.t('QPriority = 5');
SELECT * FROM pg_temp.t('QPriority != 5');
SELECT * FROM pg_temp.t('QPriority > 1');
SELECT * FROM pg_temp.t('QPriority >= 5');
SELECT * FROM pg_temp.t('QPriority < 10');
SELECT * FROM pg_temp.t('QPriority <= 1');
SELECT * FROM pg_temp.t('QPriority IN (1, 10)');
SELECT * FROM pg_temp.t('QPriority BETWEEN 2 AND 10');
SELECT * FROM pg_temp.t('QPriority = -1');
SELECT * FROM pg_temp.t('QScore = 0.50');
SELECT * FROM pg_temp.t('QScore > 1e0');
SELECT * FROM pg_temp.t('QScore BETWEEN .5 AND 2.25');
SELECT * FROM pg_temp.t('QScore = 2');

-- Bool
SELECT * FROM pg_temp.t('QCritical = true');
SELECT * FROM pg_temp.t('QCritical = FALSE');
SELECT * FROM pg_temp.t('QCritical != true');
SELECT * FROM pg_temp.t('QCritical IN (true, false)');

-- Datetime: any offset, compared as instants
SELECT * FROM pg_temp.t('QDue = ''2026-01-01T01:00:00+01:00''');
SELECT * FROM pg_temp.t('QDue > ''2026-03-01T00:00:00Z''');
SELECT * FROM pg_temp.t('QDue BETWEEN ''2026-01-01T00:00:00Z'' AND ''2026-12-31T22:00:00Z''');
SELECT * FROM pg_temp.t('QDue <= ''2026-12-31T22:00:00Z''');

-- KeywordList: = is "contains", IN is "contains any"
SELECT * FROM pg_temp.t('QTags = ''eu''');
SELECT * FROM pg_temp.t('QTags != ''eu''');
SELECT * FROM pg_temp.t('QTags IN (''us'', ''billing'')');
SELECT * FROM pg_temp.t('QTags NOT IN (''us'')');
SELECT * FROM pg_temp.t('QTags IS NOT NULL');

-- Text: = matches the words, in any case and order
SELECT * FROM pg_temp.t('QNotes = ''invoice''');
SELECT * FROM pg_temp.t('QNotes = ''EUROPE monthly''');
SELECT * FROM pg_temp.t('QNotes != ''invoice''');

-- the built-in attributes
SELECT * FROM pg_temp.t('ScheduleId = ''q-b''');
SELECT * FROM pg_temp.t('ScheduleId IN (''q-a'', ''q-d'', ''nope'')');
SELECT * FROM pg_temp.t('ScheduleId STARTS_WITH ''q-'' AND ScheduleId > ''q-c''');
SELECT * FROM pg_temp.t('ScheduleId IS NULL');
SELECT * FROM pg_temp.t('WorkflowType = ''Reports''');
SELECT * FROM pg_temp.t('WorkflowType != ''Billing''');
SELECT * FROM pg_temp.t('TemporalSchedulePaused = true');
SELECT * FROM pg_temp.t('TemporalSchedulePaused = false');
SELECT * FROM pg_temp.t('`TemporalSchedulePaused` = false AND `QEnv` = ''dev''');

-- AND binds tighter than OR, NOT tighter than AND; parentheses regroup;
-- keywords in any case (names are not); a missing attribute makes a condition false and
-- NOT makes it true
SELECT * FROM pg_temp.t('QEnv = ''dev'' OR QEnv = ''prod'' AND QPriority = 5');
SELECT * FROM pg_temp.t('(QEnv = ''dev'' OR QEnv = ''prod'') AND QPriority = 5');
SELECT * FROM pg_temp.t('(QEnv = ''dev'' OR QEnv = ''prod'') AND QPriority = 1');
SELECT * FROM pg_temp.t('NOT QEnv = ''prod'' AND WorkflowType = ''Billing''');
SELECT * FROM pg_temp.t('NOT (QEnv = ''prod'' AND WorkflowType = ''Billing'')');
SELECT * FROM pg_temp.t('not QPriority > 1');
SELECT * FROM pg_temp.t('QEnv = ''dev'' or QPriority = 5 and TemporalSchedulePaused = true');
SELECT * FROM pg_temp.t('NOT NOT QCritical = true');

-- ORDER BY (an extension: Temporal's ListSchedules has none): missing values
-- last, then by id
SELECT * FROM pg_temp.t('ORDER BY QPriority DESC');
SELECT * FROM pg_temp.t('QEnv IS NOT NULL ORDER BY QEnv');
SELECT * FROM pg_temp.t('ORDER BY TemporalSchedulePaused, QDue DESC');
SELECT * FROM pg_temp.t('ORDER BY WorkflowType DESC, ScheduleId DESC');

-- the rows are those of sched.list_schedules()
SELECT (SELECT array_agg(l ORDER BY l.schedule_id) FROM sched.list_schedules('') l)
     = (SELECT array_agg(l ORDER BY l.schedule_id) FROM sched.list_schedules() l) AS same_rows,
       (SELECT count(*) FROM sched.list_schedules('')) > 0 AS some;

-- count_schedules: Temporal's CountSchedules shape; GROUP BY on Keyword and
-- Bool attributes, largest group first, null for the schedules without it
SELECT (sched.count_schedules()->>'count')::int = (SELECT count(*) FROM sched.schedules) AS all_counted;
SELECT sched.count_schedules('ScheduleId STARTS_WITH ''q-''');
SELECT sched.count_schedules('WorkflowType = ''Billing'' AND ScheduleId STARTS_WITH ''q-''');
SELECT sched.count_schedules('ScheduleId STARTS_WITH ''q-'' GROUP BY TemporalSchedulePaused');
SELECT sched.count_schedules('ScheduleId STARTS_WITH ''q-'' GROUP BY WorkflowType');
SELECT sched.count_schedules('QPriority > 0 GROUP BY QEnv');
SELECT sched.count_schedules('ScheduleId STARTS_WITH ''q-'' GROUP BY QCritical');

-- strongly consistent: found in the transaction that creates it
BEGIN;
SELECT pg_temp.mk('q-new', 'Fresh', '{"QEnv": "fresh"}');
SELECT * FROM pg_temp.t('QEnv = ''fresh''');
SELECT sched.count_schedules('WorkflowType = ''Fresh''');
ROLLBACK;
SELECT * FROM pg_temp.t('QEnv = ''fresh''');

-- the index answers equality, IN and list membership
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT schedule_id FROM sched.schedules s
 WHERE s.search_attributes @> '{"QEnv": "prod"}';
RESET enable_seqscan;

-- mistakes: 22023 with the position (1-based, in characters) in the detail
\set VERBOSITY default
SELECT * FROM sched.list_schedules('QEnv');
SELECT * FROM sched.list_schedules('QEnv = ');
SELECT * FROM sched.list_schedules('QEnv = prod');
SELECT * FROM sched.list_schedules('QEnv = ''prod');
SELECT * FROM sched.list_schedules('(QEnv = ''prod''');
SELECT * FROM sched.list_schedules('QEnv = ''prod'' QPriority = 1');
SELECT * FROM sched.list_schedules('QEnv IN ''prod''');
SELECT * FROM sched.list_schedules('QEnv IS ''prod''');
SELECT * FROM sched.list_schedules('QEnv NOT = ''prod''');
SELECT * FROM sched.list_schedules('QEnv == ''prod''');
SELECT * FROM sched.list_schedules('QEnv = ''é'' AND é = 1');
SELECT * FROM sched.list_schedules('Nope = 1');
SELECT * FROM sched.list_schedules('qenv = ''dev''');
SELECT * FROM sched.list_schedules('QPriority = ''high''');
SELECT * FROM sched.list_schedules('QPriority = 1.5');
SELECT * FROM sched.list_schedules('QPriority IN (1, ''x'')');
SELECT * FROM sched.list_schedules('QScore = true');
SELECT * FROM sched.list_schedules('QScore > 1e999999');
SELECT * FROM sched.list_schedules('QCritical = 1');
SELECT * FROM sched.list_schedules('QCritical > true');
SELECT * FROM sched.list_schedules('QDue > ''yesterday''');
SELECT * FROM sched.list_schedules('QEnv = 5');
SELECT * FROM sched.list_schedules('QTags > ''a''');
SELECT * FROM sched.list_schedules('QTags STARTS_WITH ''e''');
SELECT * FROM sched.list_schedules('QNotes IN (''a'')');
SELECT * FROM sched.list_schedules('QNotes BETWEEN ''a'' AND ''b''');
SELECT * FROM sched.list_schedules('QPriority STARTS_WITH ''1''');
SELECT * FROM sched.list_schedules('ORDER BY QNotes');
SELECT * FROM sched.list_schedules('ORDER BY QTags');
SELECT * FROM sched.list_schedules('GROUP BY QEnv');
SELECT sched.count_schedules('ORDER BY QEnv');
SELECT sched.count_schedules('GROUP BY QPriority');
SELECT sched.count_schedules('GROUP BY Nope');
SELECT sched.count_schedules(NULL);
SELECT * FROM sched.list_schedules(NULL);
SELECT * FROM sched.list_schedules(repeat(' ', 8193));
\set VERBOSITY terse

-- user text never reaches the SQL: it is only ever a bound value
SELECT * FROM pg_temp.t('QEnv = ''x''''); DROP TABLE sched.schedules; --''');
SELECT * FROM pg_temp.t('`QEnv; DROP TABLE sched.schedules` = ''x''');
SELECT count(*) > 0 AS intact FROM sched.schedules;

-- an SQL action's workflow type is "sql", the type of its runs
SELECT sched.create_schedule('q-sql', '{"action": {"sql": "SELECT 1", "id": "q-sql"},
    "spec": {"cron_expressions": ["0 3 1 1 * 2099"]}}');
SELECT * FROM pg_temp.t('WorkflowType = ''sql''');
SELECT * FROM pg_temp.t('WorkflowType IS NULL');
SELECT sched.count_schedules('ScheduleId STARTS_WITH ''q-'' GROUP BY WorkflowType');

SELECT * FROM sched.delete_schedules('ScheduleId STARTS_WITH ''q-''');
SELECT sched.remove_search_attribute(name) FROM sched.search_attributes()
 WHERE name LIKE 'Q%' ORDER BY name;
