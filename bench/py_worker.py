"""py_worker.py: one process of figure 9f (bench/queue.sh), the end-to-end
queue figure through the Python client's Worker (clients/python).

    /usr/bin/python3 bench/py_worker.py DSN QUEUE

Runs a pgsched Worker on QUEUE with a no-op workflow named BenchWorkflow
(the workflow of bench.insert_runs' rows) until the queue holds no pending or
running run, then shuts it down (it reports what it holds first) and exits.
Prints "completed N" (runs this process completed, counted from what its
Worker reported).  Not a test.
"""

import asyncio
import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                                "python"))

from pgsched.client import Client  # noqa: E402
from pgsched.worker import Worker  # noqa: E402


class BenchWorkflow:
    async def run(self, *args):
        return None


class CountingWorker(Worker):
    completed = 0

    def _report(self, kind, run_id, params):
        if kind == "complete":
            self.completed += 1
        super()._report(kind, run_id, params)


async def main(dsn: str, queue: str) -> None:
    client = await Client.connect(dsn)
    worker = CountingWorker(client, task_queue=queue, workflows=[BenchWorkflow],
                            max_concurrent_workflow_tasks=100,
                            max_buffered_workflow_tasks=400,
                            poll_interval=timedelta(milliseconds=100))
    async with worker:
        while await client._fetchval(
                "SELECT EXISTS (SELECT FROM sched.executions WHERE task_queue = %s"
                " AND status IN ('pending', 'running'))", (queue,)):
            await asyncio.sleep(0.05)
    await client.close()
    print(f"completed {worker.completed}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
