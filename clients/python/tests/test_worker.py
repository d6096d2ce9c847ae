"""The Worker against the real scheduler: a schedule every second fires and its
runs are completed; failures carry the exception's type; cancellation reaches
a running workflow through its heartbeat; workflow.info() and the last
completion result are visible inside a run."""

import asyncio
import unittest
from datetime import timedelta

from support import DSN, AsyncTest, unique, wait_for

from pgsched import workflow
from pgsched.client import (Client, Schedule, ScheduleActionStartWorkflow,
                            ScheduleIntervalSpec, ScheduleSpec, WorkflowExecutionStatus)
from pgsched.common import RetryPolicy
from pgsched.exceptions import ApplicationError, WorkflowFailureError
from pgsched.worker import Worker


@workflow.defn
class Tick:
    @workflow.run
    async def run(self, label: str) -> dict:
        info = workflow.info()
        previous = workflow.get_last_completion_result()
        return {"label": label, "schedule_id": info.schedule_id,
                "count": (previous or {}).get("count", 0) + 1}


class InvoiceRejected(Exception):
    pass


@workflow.defn
class Failing:
    @workflow.run
    async def run(self, amount: int) -> None:
        raise InvoiceRejected(f"amount {amount} is over the limit")


@workflow.defn(name="FinalFailure")
class FailingFinal:
    async def run(self) -> None:
        raise ApplicationError("card declined", type="CardDeclined", non_retryable=True)


@workflow.defn
class Sleeper:
    async def run(self) -> str:
        await asyncio.sleep(30)
        return "woke up"


class WorkerTests(AsyncTest):
    async def asyncSetUp(self):
        self.client = await Client.connect(DSN)

    async def asyncTearDown(self):
        await self.client.close()

    async def test_schedule_every_second_is_worked(self):
        queue, sid = unique("tick-q"), unique("tick")
        handle = await self.client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow(Tick.run, "hello", id=sid, task_queue=queue),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=1))])))
        async with Worker(self.client, task_queue=queue, workflows=[Tick]):
            async def three_completed():
                d = await handle.describe()
                done = [a for a in d.info.recent_actions if a.status == "completed"]
                return done if len(done) >= 3 else None
            done = await wait_for(three_completed, timeout=15)
        await handle.pause(note="test over")
        last = self.client.get_workflow_handle(done[-1].action.workflow_id)
        result = await last.result()
        self.assertEqual(result["label"], "hello")
        self.assertEqual(result["schedule_id"], sid)
        self.assertGreaterEqual(result["count"], 3)  # last_completion_result chained
        desc = await last.describe()
        self.assertEqual(desc.status, WorkflowExecutionStatus.COMPLETED)
        self.assertEqual(desc.workflow_type, "Tick")
        await handle.delete()

    async def test_failure_has_error_type(self):
        queue = unique("fail-q")
        async with Worker(self.client, task_queue=queue, workflows=[Failing, FailingFinal]):
            handle = await self.client.start_workflow(Failing.run, 500, id=unique("invoice"),
                                                      task_queue=queue)
            with self.assertRaises(WorkflowFailureError) as cm:
                await asyncio.wait_for(handle.result(), 10)
            self.assertEqual(cm.exception.status, "failed")
            self.assertEqual(cm.exception.error_type, "InvoiceRejected")
            self.assertEqual(cm.exception.message, "amount 500 is over the limit")
            self.assertEqual((await handle.describe()).status, WorkflowExecutionStatus.FAILED)

            # ApplicationError: its type, and non_retryable beats the retry policy.
            handle = await self.client.start_workflow(
                "FinalFailure", id=unique("pay"), task_queue=queue,
                retry_policy=RetryPolicy(maximum_attempts=5))
            with self.assertRaises(WorkflowFailureError) as cm:
                await asyncio.wait_for(handle.result(), 10)
            self.assertEqual(cm.exception.error_type, "CardDeclined")
            self.assertEqual((await handle.describe()).raw_description["attempt"], 1)

    async def test_unregistered_workflow_fails(self):
        queue = unique("unreg-q")
        async with Worker(self.client, task_queue=queue, workflows=[Tick]):
            handle = await self.client.start_workflow("Nobody", id=unique("nobody"),
                                                      task_queue=queue)
            with self.assertRaises(WorkflowFailureError) as cm:
                await asyncio.wait_for(handle.result(), 10)
            self.assertEqual(cm.exception.error_type, "NotFoundError")

    async def test_cancel_reaches_running_workflow(self):
        queue = unique("sleep-q")
        async with Worker(self.client, task_queue=queue, workflows=[Sleeper],
                          heartbeat_interval=timedelta(milliseconds=200)):
            handle = await self.client.start_workflow(Sleeper, id=unique("sleeper"),
                                                      task_queue=queue)

            async def running():
                return (await handle.describe()).raw_description["status"] == "running"
            await wait_for(running)
            await handle.cancel(reason="no longer needed")
            with self.assertRaises(WorkflowFailureError) as cm:
                await asyncio.wait_for(handle.result(), 10)
            self.assertEqual(cm.exception.status, "canceled")

    async def test_terminate_abandons_running_workflow(self):
        queue = unique("term-q")
        async with Worker(self.client, task_queue=queue, workflows=[Sleeper],
                          heartbeat_interval=timedelta(milliseconds=200)):
            handle = await self.client.start_workflow(Sleeper, id=unique("sleeper"),
                                                      task_queue=queue)

            async def running():
                return (await handle.describe()).raw_description["status"] == "running"
            await wait_for(running)
            await handle.terminate(reason="stop")
            with self.assertRaises(WorkflowFailureError) as cm:
                await handle.result()
            self.assertEqual(cm.exception.status, "terminated")
        # the worker shut down promptly: its heartbeat was refused and it let go

    async def test_shutdown_grace_abandons_long_runs(self):
        """Past graceful_shutdown_timeout the worker stops without reporting:
        the run stays running until its lease lapses (then it is redelivered)."""
        queue = unique("grace-q")
        worker = Worker(self.client, task_queue=queue, workflows=[Sleeper],
                        graceful_shutdown_timeout=timedelta(milliseconds=100))
        async with worker:
            handle = await self.client.start_workflow(Sleeper, id=unique("sleeper"),
                                                      task_queue=queue)

            async def running():
                return (await handle.describe()).raw_description["status"] == "running"
            await wait_for(running)
        self.assertEqual((await handle.describe()).raw_description["status"], "running")
        await handle.terminate(reason="test over")

    async def test_worker_survives_lost_connections(self):
        queue = unique("conn-q")
        async with Worker(self.client, task_queue=queue, workflows=[Tick],
                          poll_interval=timedelta(milliseconds=500)) as worker:
            first = await self.client.execute_workflow(Tick, "one", id=unique("t"),
                                                       task_queue=queue)
            killed = await self.client._fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s", (f"pgsched worker {worker.identity}"[:63],))
            self.assertEqual(killed, 2)  # the polling and the listening connection
            second = await asyncio.wait_for(self.client.execute_workflow(
                Tick, "two", id=unique("t"), task_queue=queue), 10)
        self.assertEqual((first["label"], second["label"]), ("one", "two"))


if __name__ == "__main__":
    unittest.main()
