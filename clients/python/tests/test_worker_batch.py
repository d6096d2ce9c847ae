"""The Worker's batched path against the real server: many runs claimed and
completed in few calls (sched.poll with max_tasks, sched.complete_runs); a
worker process killed with runs in hand (they are delivered again after their
leases and each is completed once); heartbeats of a run that outlives its
lease; a completion the server refuses (the run was terminated meanwhile) is
logged and dropped, never sent again."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import unittest
from datetime import timedelta

from support import DSN, AsyncTest, unique, wait_for

from pgsched import workflow
from pgsched.client import Client
from pgsched.worker import Worker

HERE = os.path.dirname(os.path.abspath(__file__))


class CountingWorker(Worker):
    """A Worker that records every SQL call it makes: (statement, parameters)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    async def _sql(self, sql, params):
        self.calls.append((sql, params))
        return await super()._sql(sql, params)

    def named(self, fragment):
        return [p for s, p in self.calls if fragment in s]


@workflow.defn(name="Noop")
class Noop:
    async def run(self, i: int) -> dict:
        return {"i": i}


class Rejected(Exception):
    pass


@workflow.defn(name="Reject")
class Reject:
    """Fails at once: even arguments with a retryable error, odd ones with
    an error type the retry policy lists as non-retryable."""

    async def run(self, i: int) -> dict:
        if i % 2:
            raise Rejected(f"rejected {i}")
        raise ValueError(f"bad {i}")


@workflow.defn(name="Stall")
class Stall:
    """Odd arguments stall on their first attempt (the worker is killed then)."""

    async def run(self, i: int) -> dict:
        if i % 2 and workflow.info().attempt == 1:
            await asyncio.sleep(3600)
        return {"i": i, "attempt": workflow.info().attempt}


@workflow.defn(name="Slow")
class Slow:
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"


RELEASE = {}


@workflow.defn(name="Waiter")
class Waiter:
    async def run(self, key: str) -> str:
        await RELEASE[key].wait()
        return "finished"


# The killed worker: a separate process running Stall with a 1-second lease.
CHILD = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, {here!r})
    import support
    from test_worker_batch import Stall
    from pgsched.client import Client
    from pgsched.worker import Worker
    from datetime import timedelta

    async def main():
        client = await Client.connect({dsn!r})
        async with Worker(client, task_queue={queue!r}, workflows=[Stall], identity={ident!r},
                          max_concurrent_workflow_tasks=20, lease=timedelta(seconds=1)):
            await asyncio.sleep(3600)

    asyncio.run(main())
""")


class BatchedWorkerTests(AsyncTest):
    async def asyncSetUp(self):
        self.client = await Client.connect(DSN)
        self.batched = await self.client._fetchval(
            "SELECT to_regprocedure('sched.complete_runs(uuid[], jsonb[])') IS NOT NULL", ())
        if not self.batched:
            self.skipTest("the server has no sched.complete_runs")

    async def asyncTearDown(self):
        await self.client.close()

    async def statuses(self, ids):
        return await self.client._fetchall(
            "SELECT workflow_id, status, attempt, result, worker FROM sched.executions "
            "WHERE workflow_id = ANY(%s) ORDER BY workflow_id", (ids,))

    async def test_many_runs_few_calls(self):
        queue, n = unique("batch-q"), 200
        ids = [unique(f"noop{i}") for i in range(n)]
        for i, wid in enumerate(ids):
            await self.client.start_workflow(Noop, i, id=wid, task_queue=queue)
        worker = CountingWorker(self.client, task_queue=queue, workflows=[Noop],
                                max_concurrent_workflow_tasks=50,
                                max_buffered_workflow_tasks=100)
        async with worker:
            async def all_completed():
                rows = await self.statuses(ids)
                return all(r[1] == "completed" for r in rows) and len(rows) == n
            await wait_for(all_completed, timeout=30)
        rows = await self.statuses(ids)
        self.assertEqual(sorted(r[3]["i"] for r in rows), list(range(n)))
        self.assertTrue(all(r[2] == 1 for r in rows))  # each delivered once
        completes = worker.named("FROM sched.complete_runs(")
        sent = [run_id for p in completes for run_id in p[0]]
        self.assertEqual(len(sent), n)
        self.assertEqual(len(set(sent)), n)  # each completion sent once
        self.assertEqual(worker.named("sched.complete("), [])
        polls = worker.named("sched.poll")
        # 200 runs: claims of up to 150 and completions in batches
        self.assertLessEqual(len(completes), n // 10, f"{len(completes)} complete calls")
        self.assertLessEqual(len(polls), n // 10, f"{len(polls)} poll calls")
        self.assertGreater(max(p[2] for p in polls), 50)  # claims beyond the running slots

    async def test_failures_few_calls_with_error_types(self):
        have = await self.client._fetchval(
            "SELECT to_regprocedure('sched.fail_runs(uuid[], text[], boolean[], text[])')"
            " IS NOT NULL", ())
        if not have:
            self.skipTest("the server has no sched.fail_runs with error_types")
        from pgsched.common import RetryPolicy
        queue, n = unique("fail-batch-q"), 40
        ids = [unique(f"reject{i:02d}") for i in range(n)]
        policy = RetryPolicy(initial_interval=timedelta(hours=1), maximum_attempts=3,
                             non_retryable_error_types=["Rejected"])
        for i, wid in enumerate(ids):
            await self.client.start_workflow(Reject, i, id=wid, task_queue=queue,
                                             retry_policy=policy)
        worker = CountingWorker(self.client, task_queue=queue, workflows=[Reject],
                                max_concurrent_workflow_tasks=40)
        async with worker:
            async def all_reported():
                rows = await self.client._fetchall(
                    "SELECT status FROM sched.executions WHERE workflow_id = ANY(%s)", (ids,))
                return len(rows) == n and all(r[0] in ("failed", "scheduled") for r in rows)
            await wait_for(all_reported, timeout=30)
        rows = await self.client._fetchall(
            "SELECT workflow_id, status, error, error_type, retries FROM sched.executions"
            " WHERE workflow_id = ANY(%s) ORDER BY workflow_id", (ids,))
        for i, (wid, status, error, etype, retries) in enumerate(rows):
            # the listed type ends the workflow, the other one is retried
            if i % 2:
                self.assertEqual((status, etype, error, retries),
                                 ("failed", "Rejected", f"rejected {i}", 0), wid)
            else:
                self.assertEqual((status, etype, error, retries),
                                 ("scheduled", "ValueError", f"bad {i}", 1), wid)
        fails = worker.named("FROM sched.fail_runs(")
        sent = [run_id for p in fails for run_id in p[0]]
        self.assertEqual(len(sent), n)
        self.assertEqual(len(set(sent)), n)  # each failure sent once
        self.assertEqual(worker.named("sched.fail("), [])
        self.assertLessEqual(len(fails), n // 4, f"{len(fails)} fail_runs calls")

    async def test_killed_worker_runs_delivered_again(self):
        queue, victim, n = unique("kill-q"), unique("victim"), 20
        ids = [unique(f"stall{i:02d}") for i in range(n)]
        for i, wid in enumerate(ids):
            await self.client.start_workflow(Stall, i, id=wid, task_queue=queue)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD.format(here=HERE, dsn=DSN, queue=queue, ident=victim)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            async def mid_batch():
                rows = await self.statuses(ids)
                done = [r for r in rows if r[1] == "completed"]
                held = [r for r in rows if r[1] == "running" and r[4] == victim]
                return len(done) == n // 2 and len(held) == n // 2
            await wait_for(mid_batch, timeout=20)
        finally:
            child.send_signal(signal.SIGKILL)
            _, err = child.communicate()
        self.assertEqual(child.returncode, -signal.SIGKILL, err.decode())
        worker = CountingWorker(self.client, task_queue=queue, workflows=[Stall],
                                max_concurrent_workflow_tasks=20)
        async with worker:
            async def all_completed():
                rows = await self.statuses(ids)
                return all(r[1] == "completed" for r in rows)
            await wait_for(all_completed, timeout=30)
        rows = {r[0]: r for r in await self.statuses(ids)}
        for i, wid in enumerate(ids):
            status, attempt, result = rows[wid][1:4]
            # the even ones completed before the kill and were never run again;
            # the odd ones were delivered again once their leases lapsed
            self.assertEqual(attempt, 2 if i % 2 else 1, wid)
            self.assertEqual(result, {"i": i, "attempt": attempt})
        sent = [run_id for p in worker.named("FROM sched.complete_runs(") for run_id in p[0]]
        self.assertEqual(len(sent), n // 2)
        self.assertEqual(len(set(sent)), n // 2)  # each completed once, by the new worker
        odd = await self.client._fetchall(
            "SELECT run_id::text FROM sched.executions WHERE workflow_id = ANY(%s)",
            ([wid for i, wid in enumerate(ids) if i % 2],))
        self.assertEqual(sorted(sent), sorted(r[0] for r in odd))

    async def test_long_run_is_heartbeated(self):
        queue = unique("hb-q")
        worker = CountingWorker(self.client, task_queue=queue, workflows=[Slow],
                                lease=timedelta(seconds=1),
                                heartbeat_interval=timedelta(milliseconds=250))
        async with worker:
            slow = await self.client.start_workflow(Slow, 2.5, id=unique("slow"),
                                                    task_queue=queue)
            quick = await self.client.start_workflow(Slow, 0.0, id=unique("quick"),
                                                     task_queue=queue)
            self.assertEqual(await asyncio.wait_for(slow.result(), 20), "done")
            self.assertEqual(await asyncio.wait_for(quick.result(), 20), "done")
        slow_d = (await slow.describe()).raw_description
        quick_d = (await quick.describe()).raw_description
        self.assertEqual(slow_d["attempt"], 1)  # 2.5 leases long, never lapsed
        beats = [p[0] for p in worker.named("sched.heartbeat")]
        self.assertGreaterEqual(beats.count(slow_d["run_id"]), 4)
        self.assertEqual(beats.count(quick_d["run_id"]), 0)  # short runs cost no heartbeat

    async def test_refused_completion_is_dropped(self):
        queue, key = unique("refuse-q"), unique("k")
        RELEASE[key] = asyncio.Event()
        worker = CountingWorker(self.client, task_queue=queue, workflows=[Waiter, Noop],
                                heartbeat_interval=timedelta(seconds=60))
        async with worker:
            handle = await self.client.start_workflow(Waiter, key, id=unique("w"),
                                                      task_queue=queue)

            async def running():
                return (await handle.describe()).raw_description["status"] == "running"
            await wait_for(running)
            await handle.terminate(reason="not wanted")
            run_id = (await handle.describe()).raw_description["run_id"]
            with self.assertLogs("pgsched.worker", "WARNING") as logs:
                RELEASE[key].set()

                async def refused():
                    return any("completion refused" in m for m in logs.output)
                await wait_for(refused)
            # the worker goes on: a later run completes
            self.assertEqual(await asyncio.wait_for(self.client.execute_workflow(
                Noop, 7, id=unique("after"), task_queue=queue), 10), {"i": 7})
        self.assertEqual((await handle.describe()).raw_description["status"], "terminated")
        sent = [r for p in worker.named("FROM sched.complete_runs(") for r in p[0]]
        self.assertEqual(sent.count(run_id), 1)  # refused once, never sent again


if __name__ == "__main__":
    unittest.main()
