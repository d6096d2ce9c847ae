"""The examples of Temporal's "Schedules - Python SDK" page
(docs.temporal.io/develop/python/schedules), each with only the import line
and the connect string changed ("localhost:7233" -> DSN), in the page's order:
create, backfill, delete (last here), describe, list, pause, trigger, update,
a cron job and a start delay.  The workflows are local classes standing in for
the docs' sample workflows."""

import asyncio
import contextlib
import io
import unittest
from datetime import datetime, timedelta

from support import DSN, AsyncTest, wait_for

# The docs: from temporalio.client import ...; from temporalio import workflow
from pgsched import workflow
from pgsched.client import (Client, Schedule, ScheduleActionStartWorkflow,
                            ScheduleBackfill, ScheduleIntervalSpec, ScheduleOverlapPolicy,
                            ScheduleSpec, ScheduleState, ScheduleUpdate, ScheduleUpdateInput)
from pgsched.exceptions import WorkflowFailureError
from pgsched.worker import Worker


@workflow.defn
class YourSchedulesWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


@workflow.defn
class CronWorkflow:
    @workflow.run
    async def run(self) -> str:
        return "Hello from cron"


@workflow.defn
class YourWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


class DocsScheduleExamples(AsyncTest):
    """One schedule, "workflow-schedule-id", through every schedule example."""

    async def test_schedule_examples_in_order(self):
        out = io.StringIO()

        # ---- Create (verbatim but for the connect string)
        async def main():
            client = await Client.connect(DSN)

            await client.create_schedule(
                "workflow-schedule-id",
                Schedule(
                    action=ScheduleActionStartWorkflow(
                        YourSchedulesWorkflow.run,
                        "my schedule arg",
                        id="schedules-workflow-id",
                        task_queue="schedules-task-queue",
                    ),
                    spec=ScheduleSpec(
                        intervals=[ScheduleIntervalSpec(every=timedelta(minutes=2))]
                    ),
                    state=ScheduleState(note="Here's a note on my Schedule."),
                ),
            )
        await main()

        client = await Client.connect(DSN)
        handle = client.get_schedule_handle("workflow-schedule-id")
        desc = await handle.describe()
        self.assertEqual(desc.id, "workflow-schedule-id")
        self.assertEqual(desc.schedule.action.workflow, "YourSchedulesWorkflow")
        self.assertEqual(desc.schedule.action.args, ["my schedule arg"])
        self.assertEqual(desc.schedule.spec.intervals[0].every, timedelta(minutes=2))
        self.assertEqual(len(desc.info.next_action_times), 10)
        gaps = {b - a for a, b in zip(desc.info.next_action_times, desc.info.next_action_times[1:])}
        self.assertEqual(gaps, {timedelta(minutes=2)})

        # ---- Backfill
        async def main():
            client = await Client.connect(DSN)
            handle = client.get_schedule_handle(
                "workflow-schedule-id",
            )
            now = datetime.utcnow()
            (
                await handle.backfill(
                    ScheduleBackfill(
                        start_at=now - timedelta(minutes=10),
                        end_at=now - timedelta(minutes=9),
                        overlap=ScheduleOverlapPolicy.ALLOW_ALL,
                    ),
                ),
            )
        before = (await handle.describe()).info.num_actions
        await main()
        # A one-minute range of an every-2-minutes spec holds at most one time.
        self.assertIn((await handle.describe()).info.num_actions - before, (0, 1))

        # ---- Describe
        async def main():
            client = await Client.connect(DSN)
            handle = client.get_schedule_handle(
                "workflow-schedule-id",
            )

            desc = await handle.describe()

            print(f"Returns the note: {desc.schedule.state.note}")
        with contextlib.redirect_stdout(out):
            await main()
        self.assertIn("Returns the note: Here's a note on my Schedule.", out.getvalue())

        # ---- List
        async def main() -> None:
            client = await Client.connect(DSN)
            async for schedule in await client.list_schedules():
                print(f"List Schedule Info: {schedule.info}.")
        with contextlib.redirect_stdout(out):
            await main()
        self.assertIn("List Schedule Info: ScheduleListInfo(", out.getvalue())
        ids = [s.id async for s in client.list_schedules()]
        self.assertIn("workflow-schedule-id", ids)

        # ---- Pause
        async def main():
            client = await Client.connect(DSN)
            handle = client.get_schedule_handle(
                "workflow-schedule-id",
            )

            await handle.pause(note="Pausing the schedule for now")
        await main()
        state = (await handle.describe()).schedule.state
        self.assertTrue(state.paused)
        self.assertEqual(state.note, "Pausing the schedule for now")

        # ---- Trigger (acts while paused)
        async def main():
            client = await Client.connect(DSN)
            handle = client.get_schedule_handle(
                "workflow-schedule-id",
            )

            await handle.trigger()
        before = (await handle.describe()).info.num_actions
        await main()
        d = await handle.describe()
        self.assertEqual(d.info.num_actions, before + 1)
        self.assertTrue(d.info.recent_actions[-1].action.workflow_id.startswith(
            "schedules-workflow-id-"))

        # ---- Update (the docs' callback, then the call)
        async def update_schedule_simple(input: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule_action = input.description.schedule.action

            if isinstance(schedule_action, ScheduleActionStartWorkflow):
                schedule_action.args = ["my new schedule arg"]
            return ScheduleUpdate(schedule=input.description.schedule)
        await handle.update(update_schedule_simple)
        d = await handle.describe()
        self.assertEqual(d.schedule.action.args, ["my new schedule arg"])
        self.assertEqual(d.schedule.spec.intervals[0].every, timedelta(minutes=2))
        self.assertTrue(d.schedule.state.paused)  # the rest of the schedule is kept

        # ---- Delete
        async def main():
            client = await Client.connect(DSN)
            handle = client.get_schedule_handle(
                "workflow-schedule-id",
            )

            await handle.delete()
        await main()
        self.assertNotIn("workflow-schedule-id", [s.id async for s in client.list_schedules()])
        await client.close()


class DocsWorkflowExamples(AsyncTest):
    async def test_cron_job(self):
        """The docs' cron example: execute_workflow with cron_schedule.  The first
        run waits for the next minute; the test then terminates the chain, which
        ends the example with WorkflowFailureError, as in Temporal."""

        async def example(client):
            result = await client.execute_workflow(
                CronWorkflow.run,
                id="your-workflow-id",
                task_queue="your-task-queue",
                cron_schedule="* * * * *",
            )
            print(f"Results: {result}")

        client = await Client.connect(DSN)
        handle = client.get_workflow_handle("your-workflow-id")
        await close_leftover(handle)
        task = asyncio.ensure_future(example(client))

        async def started():
            with contextlib.suppress(Exception):
                d = (await handle.describe()).raw_description
                return d if d["status"] == "scheduled" else None
        d = await wait_for(started)
        self.assertEqual(d["status"], "scheduled")
        self.assertEqual(d["cron_schedule"], "* * * * *")
        self.assertEqual(d["workflow"], "CronWorkflow")
        nxt = datetime_of(d["due_at"])
        self.assertEqual((nxt.second, nxt.microsecond), (0, 0))
        await handle.terminate(reason="test over")
        with self.assertRaises(WorkflowFailureError) as cm:
            await asyncio.wait_for(task, 10)
        self.assertEqual(cm.exception.status, "terminated")
        await client.close()

    async def test_start_delay(self):
        """The docs' start-delay example, unchanged; a signal ends the delay
        early (pg_sched's signals do that) so that the worker runs it now."""
        out = io.StringIO()

        async def main():
            client = await Client.connect(DSN)

            result = await client.execute_workflow(
                YourWorkflow.run,
                "your name",
                id="your-workflow-id-delay",
                task_queue="your-task-queue-delay",
                start_delay=timedelta(hours=1, minutes=20, seconds=30)
            )

            print(f"Result: {result}")

        client = await Client.connect(DSN)
        await close_leftover(client.get_workflow_handle("your-workflow-id-delay"))
        async with Worker(client, task_queue="your-task-queue-delay", workflows=[YourWorkflow]):
            with contextlib.redirect_stdout(out):
                task = asyncio.ensure_future(main())
                handle = client.get_workflow_handle("your-workflow-id-delay")

                async def delayed():
                    with contextlib.suppress(Exception):
                        d = (await handle.describe()).raw_description
                        return d if d["status"] == "scheduled" else None
                d = await wait_for(delayed)
                self.assertEqual(d["status"], "scheduled")
                self.assertEqual(d["start_delay"], "PT1H20M30S")
                await handle.signal("start-now")
                await asyncio.wait_for(task, 10)
        self.assertIn("Result: Hello, your name!", out.getvalue())
        await client.close()


async def close_leftover(handle):
    """These examples use fixed workflow ids: an open run left by an earlier,
    interrupted test run on the same database would make the start fail."""
    with contextlib.suppress(Exception):
        await handle.terminate(reason="left over by an earlier test run")


def datetime_of(text):
    return datetime.fromisoformat(text)


if __name__ == "__main__":
    unittest.main()
