"""Search attributes and list queries through the client: typed search
attributes on create, describe and update (Temporal's TypedSearchAttributes),
list_schedules(query=...) filtering and ordering, count_schedules with and
without GROUP BY, and a bad query raising RPCError with the position."""

from datetime import datetime, timezone

from support import DSN, AsyncTest, unique

from pgsched.client import (Client, Schedule, ScheduleActionStartWorkflow, ScheduleSpec,
                            ScheduleState, ScheduleUpdate)
from pgsched.common import SearchAttributeKey, TypedSearchAttributes
from pgsched.exceptions import RPCError, RPCStatusCode

ENV = SearchAttributeKey.for_keyword("PyEnv")
PRIORITY = SearchAttributeKey.for_int("PyPriority")
SCORE = SearchAttributeKey.for_float("PyScore")
CRITICAL = SearchAttributeKey.for_bool("PyCritical")
DUE = SearchAttributeKey.for_datetime("PyDue")
TAGS = SearchAttributeKey.for_keyword_list("PyTags")
NOTES = SearchAttributeKey.for_text("PyNotes")
TYPES = {ENV: "Keyword", PRIORITY: "Int", SCORE: "Double", CRITICAL: "Bool",
         DUE: "Datetime", TAGS: "KeywordList", NOTES: "Text"}


class SearchTests(AsyncTest):
    async def asyncSetUp(self):
        self.client = await Client.connect(DSN)
        for key, type_name in TYPES.items():
            await self.client._call("SELECT sched.add_search_attribute(%s, %s)",
                                    (key.name, type_name))
        self.prefix = unique("py-search")

    async def asyncTearDown(self):
        await self.client._call("SELECT sched.delete_schedules(%s)",
                                (f"ScheduleId STARTS_WITH '{self.prefix}'",))
        await self.client.close()

    async def create(self, suffix: str, workflow: str, attrs, paused: bool = False):
        return await self.client.create_schedule(
            f"{self.prefix}-{suffix}",
            Schedule(action=ScheduleActionStartWorkflow(workflow, id=f"{self.prefix}-{suffix}",
                                                        task_queue=self.prefix),
                     spec=ScheduleSpec(cron_expressions=["0 3 1 1 * 2099"]),
                     state=ScheduleState(paused=paused)),
            search_attributes=attrs)

    async def ids(self, query: str):
        return [s.id async for s in self.client.list_schedules(query=query)]

    async def test_typed_attributes_round_trip_and_update(self):
        due = datetime(2026, 12, 3, 17, 30, tzinfo=timezone.utc)
        handle = await self.create("a", "Billing", TypedSearchAttributes([
            ENV.value_set("prod"), PRIORITY.value_set(5), SCORE.value_set(0.5),
            CRITICAL.value_set(True), DUE.value_set(due), TAGS.value_set(["eu", "billing"]),
            NOTES.value_set("monthly invoices")]))
        desc = await handle.describe()
        attrs = desc.typed_search_attributes
        self.assertEqual(attrs.get(ENV), "prod")
        self.assertEqual(attrs.get(PRIORITY), 5)
        self.assertEqual(attrs.get(SCORE), 0.5)
        self.assertIs(attrs.get(CRITICAL), True)
        self.assertEqual(attrs.get(DUE), due)
        self.assertEqual(attrs.get(TAGS), ["eu", "billing"])
        self.assertEqual(attrs.get(NOTES), "monthly invoices")
        self.assertEqual(desc.search_attributes["PyEnv"], ["prod"])

        # an update without search_attributes keeps them; with them, replaces
        await handle.update(lambda i: ScheduleUpdate(i.description.schedule))
        self.assertEqual((await handle.describe()).typed_search_attributes.get(ENV), "prod")
        await handle.update(lambda i: ScheduleUpdate(
            i.description.schedule,
            search_attributes=TypedSearchAttributes([ENV.value_set("dev")])))
        attrs = (await handle.describe()).typed_search_attributes
        self.assertEqual(attrs.get(ENV), "dev")
        self.assertNotIn(PRIORITY, attrs)
        await handle.update(lambda i: ScheduleUpdate(
            i.description.schedule, search_attributes=TypedSearchAttributes.empty))
        self.assertEqual(len((await handle.describe()).typed_search_attributes), 0)

    async def test_list_and_count_with_a_query(self):
        await self.create("a", "Billing", {"PyEnv": "prod", "PyPriority": 1})
        await self.create("b", "Billing", {"PyEnv": "prod", "PyPriority": 7}, paused=True)
        await self.create("c", "Reports", {"PyEnv": "dev"})
        mine = f"ScheduleId STARTS_WITH '{self.prefix}'"
        self.assertEqual(await self.ids(f"{mine} AND PyEnv = 'prod'"),
                         [f"{self.prefix}-a", f"{self.prefix}-b"])
        self.assertEqual(await self.ids(f"{mine} AND (PyPriority > 1 OR WorkflowType = 'Reports')"
                                        " ORDER BY PyPriority DESC"),
                         [f"{self.prefix}-b", f"{self.prefix}-c"])
        self.assertEqual(await self.ids(f"{mine} AND TemporalSchedulePaused = true"),
                         [f"{self.prefix}-b"])
        # no query: every schedule, as before
        every = [s.id async for s in await self.client.list_schedules()]
        self.assertTrue({f"{self.prefix}-a", f"{self.prefix}-c"} <= set(every))

        count = await self.client.count_schedules(f"{mine} AND PyEnv = 'prod'")
        self.assertEqual((count.count, count.groups), (2, []))
        count = await self.client.count_schedules(f"{mine} GROUP BY PyEnv")
        self.assertEqual(count.count, 3)
        self.assertEqual([(g.group_values, g.count) for g in count.groups],
                         [(["prod"], 2), (["dev"], 1)])

    async def test_bad_query_and_bad_value(self):
        with self.assertRaises(RPCError) as e:
            await self.ids("PyEnv = ")
        self.assertEqual(e.exception.status, RPCStatusCode.INVALID_ARGUMENT)
        self.assertIn("expected a value", str(e.exception))
        with self.assertRaises(RPCError) as e:
            await self.create("bad", "W", {"PyPriority": "high"})
        self.assertEqual(e.exception.status, RPCStatusCode.INVALID_ARGUMENT)
        self.assertIn("search_attributes.PyPriority", str(e.exception))
