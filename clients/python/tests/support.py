"""Test support: the connection string (PGSCHED_DSN) and an async TestCase."""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

DSN = os.environ.get("PGSCHED_DSN", "")


def unique(prefix: str) -> str:
    """Ids and task queues unique to one test, so tests share a database safely."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Awaits an async predicate until it is truthy (returns its value) or fails."""
    import asyncio
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


class AsyncTest(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        if not DSN:
            self.skipTest("PGSCHED_DSN is not set")
