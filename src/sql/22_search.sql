/*
 * 22_search.sql: search attributes of schedules and the list query
 * language (Temporal's visibility for schedules; src/search_*.c).
 *
 * A custom search attribute is registered with its type before use, as
 * Temporal's AddSearchAttributes requires; schedules carry their values in
 * sched.schedules.search_attributes (canonical jsonb, indexed by GIN) and
 * copy them to each run they start (sched.executions.search_attributes).
 * Queries are parsed by src/query/ and compiled to SQL with bound
 * parameters; they see what sched.list_schedules() sees.
 */

CREATE TABLE sched.search_attribute_types (
	name			text PRIMARY KEY,
	type			text NOT NULL
		CONSTRAINT search_attribute_types_type
		CHECK (type IN ('Keyword', 'Text', 'Int', 'Double', 'Bool',
						'Datetime', 'KeywordList')),
	created_at		timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE sched.search_attribute_types IS
'Registered custom search attributes of schedules and their types (sched.add_search_attribute)';

SELECT pg_catalog.pg_extension_config_dump('sched.search_attribute_types', '');
GRANT SELECT ON sched.search_attribute_types TO PUBLIC;

/* equality, IN and list membership are containment (@>) on this index */
CREATE INDEX schedules_search_attributes ON sched.schedules
	USING gin (search_attributes jsonb_path_ops);

CREATE FUNCTION sched.add_search_attribute(name text, type text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_add_search_attribute'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.add_search_attribute(text, text) IS
'Registers a custom search attribute of type Keyword, Text, Int, Double, Bool, Datetime or KeywordList (superusers and sched_admin members only); false if it already exists with that type';

CREATE FUNCTION sched.remove_search_attribute(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sched_remove_search_attribute'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.remove_search_attribute(text) IS
'Removes a custom search attribute that no schedule uses (superusers and sched_admin members only); false if there was none';

CREATE FUNCTION sched.search_attributes()
RETURNS TABLE (name text, type text, builtin boolean)
AS 'MODULE_PATHNAME', 'sched_search_attributes'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.search_attributes() IS
'The search attributes a list query can name: the built-in ones and the registered custom ones, with their types';

CREATE FUNCTION sched.list_schedules(query text)
RETURNS TABLE (schedule_id text, workflow text, paused boolean, note text,
			   spec jsonb, recent_actions jsonb,
			   next_action_times timestamptz[], memo jsonb)
AS 'MODULE_PATHNAME', 'sched_list_schedules_query'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.list_schedules(text) IS
'The schedules a list query matches (Temporal''s list filter: =, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS NULL, AND, OR, NOT, ORDER BY), as sched.list_schedules()';

CREATE FUNCTION sched.count_schedules(query text DEFAULT '')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sched_count_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.count_schedules(text) IS
'Counts the schedules a list query matches: {"count": n, "groups": [{"group_values": [v], "count": n}]}, the groups with GROUP BY';

CREATE FUNCTION sched.pause_schedules(query text,
									  note text DEFAULT 'Paused via SQL')
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sched_pause_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.pause_schedules(text, text) IS
'Pauses every schedule a list query matches, as sched.pause does, in one transaction; returns their ids';

CREATE FUNCTION sched.unpause_schedules(query text,
										note text DEFAULT 'Unpaused via SQL',
										catchup text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sched_unpause_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.unpause_schedules(text, text, text) IS
'Unpauses every schedule a list query matches, as sched.unpause does (catchup: the catch-up mode to replay the paused period with), in one transaction; returns their ids';

CREATE FUNCTION sched.delete_schedules(query text)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sched_delete_schedules'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION sched.delete_schedules(text) IS
'Deletes every schedule a list query matches, as sched.delete does, in one transaction; returns their ids';
