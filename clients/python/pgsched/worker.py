"""Worker: runs the workflows of one task queue (temporalio.worker.Worker's shape).

Loop: claim up to the free slots with sched.poll; run each claimed run as an
asyncio task (an instance of the registered class, its async `run(*args)`);
while it runs, sched.heartbeat every lease/3, and cancel the task when the
heartbeat says cancellation was requested; report sched.complete (the JSON
result), sched.fail (the exception's message, error_type = its class name or
ApplicationError.type) or sched.canceled.  When nothing is claimable it waits
for NOTIFY sched_tasks with its task queue as payload, or poll_interval.

Every SQL call is its own transaction (autocommit): the README's rule that
makes worker calls deadlock-free.  Runs are at-least-once: a run whose lease
lapsed (a worker died or stalled) is claimed again and starts from scratch.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any, Dict, Optional, Sequence

import psycopg

from . import workflow as _workflow
from .client import Client
from .common import utc_timestamps
from .exceptions import ApplicationError

log = logging.getLogger("pgsched.worker")


def _lost(e: psycopg.Error, conn: Optional[psycopg.AsyncConnection]) -> bool:
    """Whether an error means the connection is gone (rather than a refusal)."""
    return (e.sqlstate is None or e.sqlstate[:2] in ("08", "57")
            or conn is None or conn.closed)


class Worker:
    def __init__(self, client: Client, *, task_queue: str, workflows: Sequence[Any] = (),
                 activities: Sequence[Any] = (), identity: Optional[str] = None,
                 max_concurrent_workflow_tasks: int = 10,
                 lease: timedelta = timedelta(seconds=30),
                 heartbeat_interval: Optional[timedelta] = None,
                 poll_interval: timedelta = timedelta(seconds=10),
                 graceful_shutdown_timeout: Optional[timedelta] = None, **_ignored: Any):
        if activities:
            raise ValueError("activities are not supported: put the work in the workflow's run")
        self._client = client
        self.task_queue = task_queue
        self._workflows: Dict[str, Any] = {}
        for w in workflows:
            self._workflows[_workflow.name_of(w)] = w
        self.identity = identity or f"{client.identity}:{task_queue}"
        self._max = max(1, max_concurrent_workflow_tasks)
        self._lease = lease
        self._heartbeat = (heartbeat_interval or lease / 3).total_seconds()
        self._poll_interval = poll_interval.total_seconds()
        self._grace = (graceful_shutdown_timeout.total_seconds()
                       if graceful_shutdown_timeout is not None else None)
        self._running: Dict[str, asyncio.Task] = {}
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._run_task: Optional[asyncio.Task] = None
        self._conn: Optional[psycopg.AsyncConnection] = None

    # -- lifecycle

    async def __aenter__(self) -> "Worker":
        self._run_task = asyncio.create_task(self.run())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stops polling and waits for the runs in progress to report (at most
        graceful_shutdown_timeout, if given: runs still going are then abandoned
        unreported, and their leases lapse: another worker runs them again)."""
        self._stop.set()
        self._wake.set()
        if self._run_task is not None:
            try:
                await self._run_task
            finally:
                self._run_task = None

    async def run(self) -> None:
        """Works the task queue until shutdown().  A lost connection is logged
        and made again after a second; runs in progress go on meanwhile."""
        listener: Optional[asyncio.Task] = None
        try:
            while not self._stop.is_set():
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = await self._connect()
                    if listener is None or listener.done():
                        if listener is not None and not listener.cancelled():
                            log.warning("worker %s: LISTEN connection lost: %s; listening "
                                        "again", self.identity, listener.exception())
                        listener = asyncio.create_task(self._listen())
                    free = self._max - len(self._running)
                    claimed = 0
                    if free > 0:
                        self._wake.clear()
                        claimed = await self._poll(free)
                    if claimed and claimed == free:
                        continue  # maybe more waiting; no free slot is handled below
                except psycopg.Error as e:
                    if not _lost(e, self._conn):
                        raise  # refused by the server (a bad task queue name, ...)
                    log.warning("worker %s: %s; connecting again in 1 s", self.identity, e)
                    await asyncio.sleep(1)
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)
                except asyncio.TimeoutError:
                    pass
            if self._running:
                pending = list(self._running.values())
                _, late = await asyncio.wait(pending, timeout=self._grace)
                for t in late:
                    t.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        finally:
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
            if self._conn is not None:
                await self._conn.close()
                self._conn = None

    async def _listen(self) -> None:
        """Sets the wake-up event on NOTIFY sched_tasks for this task queue."""
        conn = await self._connect()
        try:
            await conn.execute("LISTEN sched_tasks")
            self._wake.set()  # anything announced before LISTEN: poll once more
            async for n in conn.notifies():
                if n.payload == self.task_queue:
                    self._wake.set()
        finally:
            self._wake.set()  # the main loop notices and starts another listener
            await conn.close()

    async def _connect(self) -> psycopg.AsyncConnection:
        conn = await psycopg.AsyncConnection.connect(
            self._client.dsn, autocommit=True,
            application_name=f"pgsched worker {self.identity}"[:63])
        utc_timestamps(conn.adapters)  # nominal_time in UTC, as the client's times
        return conn

    async def _sql(self, sql: str, params: Sequence[Any]) -> Any:
        assert self._conn is not None
        cur = await self._conn.execute(sql, params)
        return await cur.fetchall() if cur.description else None

    async def _poll(self, n: int) -> int:
        rows = await self._sql(
            "SELECT run_id, workflow_id, workflow, args, attempt, schedule_id, nominal_time, "
            "last_completion_result FROM sched.poll(%s, %s, %s, %s::interval)",
            (self.task_queue, self.identity, n, f"{self._lease.total_seconds()} seconds"))
        for r in rows:
            run_id = str(r[0])
            t = asyncio.create_task(self._execute(run_id, r))
            self._running[run_id] = t
            t.add_done_callback(lambda _t, k=run_id: self._done(k))
        return len(rows)

    def _done(self, run_id: str) -> None:
        self._running.pop(run_id, None)
        self._wake.set()

    # -- one run

    async def _execute(self, run_id: str, row: Any) -> None:
        _, workflow_id, name, args, attempt, schedule_id, nominal, last = row
        target = self._workflows.get(name)
        if target is None:
            await self._report("SELECT sched.fail(%s, %s, error_type => %s)",
                               (run_id, f'workflow type "{name}" is not registered on worker '
                                f'"{self.identity}"', "NotFoundError"))
            return
        info = _workflow.Info(workflow_id, run_id, name, self.task_queue, attempt, schedule_id,
                              nominal)
        token = _workflow._current.set((info, last))
        try:
            fn = getattr(target(), "run") if isinstance(target, type) else target
            task = asyncio.ensure_future(fn(*(args or [])))
        except Exception as e:  # constructing the workflow failed
            await self._fail(run_id, e)
            return
        finally:
            _workflow._current.reset(token)
        try:
            await self._supervise(run_id, task)
        finally:
            if not task.done():  # the worker is shutting down past its grace period
                task.cancel()

    async def _supervise(self, run_id: str, task: "asyncio.Future[Any]") -> None:
        """Heartbeats while the workflow runs, then reports how it ended."""
        cancel_requested = False
        gone = False
        while not task.done():
            done, _ = await asyncio.wait({task}, timeout=self._heartbeat)
            if done:
                break
            try:
                rows = await self._sql("SELECT sched.heartbeat(%s)", (run_id,))
            except psycopg.Error as e:
                if _lost(e, self._conn):
                    # Connection trouble: keep working; if it lasts past the lease,
                    # the run goes back to the queue and the report is refused.
                    log.warning("run %s: heartbeat failed: %s", run_id, e)
                    continue
                # Terminated, timed out or re-queued: nobody wants the result.
                log.info("run %s: heartbeat refused (%s); abandoning it", run_id, e)
                gone = True
                task.cancel()
                break
            if rows[0][0] and not cancel_requested:
                cancel_requested = True
                task.cancel()
        try:
            result = await task
        except asyncio.CancelledError:
            if gone:
                return
            if cancel_requested:
                await self._report("SELECT sched.canceled(%s)", (run_id,))
                return
            raise  # the worker itself is being cancelled
        except Exception as e:
            if not gone:
                await self._fail(run_id, e)
            return
        if gone:
            return
        try:
            text = json.dumps(result)
        except (TypeError, ValueError) as e:  # the result is not JSON
            await self._fail(run_id, e)
            return
        await self._report("SELECT sched.complete(%s, %s::jsonb)", (run_id, text))

    async def _fail(self, run_id: str, e: BaseException) -> None:
        if isinstance(e, ApplicationError):
            etype, final = e.type or type(e).__name__, e.non_retryable
        else:
            etype, final = type(e).__name__, False
        await self._report("SELECT sched.fail(%s, %s, non_retryable => %s, error_type => %s)",
                           (run_id, str(e) or etype, final, etype))

    async def _report(self, sql: str, params: Sequence[Any]) -> None:
        """A report the server may refuse (55000: the run is no longer running,
        e.g. terminated or timed out meanwhile); that is logged, not raised."""
        try:
            await self._sql(sql, params)
        except psycopg.Error as e:
            log.warning("run %s: report refused: %s", params[0], e)
