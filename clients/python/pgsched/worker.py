"""Worker: runs the workflows of one task queue (temporalio.worker.Worker's shape).

Loop: claim runs in batches with sched.poll(max_tasks) into a local buffer;
start buffered runs as asyncio tasks (an instance of the registered class, its
async `run(*args)`) while fewer than max_concurrent_workflow_tasks are
running; claim again when the buffer is down to half.  A run that takes longer
than heartbeat_interval is heartbeated (sched.heartbeat renews its lease; the
task is cancelled when it says cancellation was requested, abandoned when it
is refused); so is a buffered run that waits that long for a slot.  Reports
are queued and sent by one reporter task: every completion waiting when it
wakes goes in one sched.complete_runs call (per-run refusals are logged and
dropped); so do failures, in one sched.fail_runs call with their error
types (one sched.fail each on a server without it), and cancellations go
with sched.canceled.  Idle, it waits for NOTIFY sched_tasks
with its task queue as payload, or poll_interval.

Every SQL call is its own transaction (autocommit): the README's rule that
makes worker calls deadlock-free.  Runs are at-least-once: a run whose lease
lapsed (a worker died or stalled) is claimed again and starts from scratch.
A report is sent at most once: when the connection breaks during the call,
its outcome is unknown and it is not sent again (if it did not commit, the
run's lease lapses and the run is delivered again).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from datetime import timedelta
from typing import Any, Deque, Dict, List, Optional, Sequence, Tuple

import psycopg

from . import workflow as _workflow
from .client import Client
from .common import utc_timestamps
from .exceptions import ApplicationError

log = logging.getLogger("pgsched.worker")

# The most runs sched.poll claims in one call.
_POLL_LIMIT = 1000


def _lost(e: psycopg.Error, conn: Optional[psycopg.AsyncConnection]) -> bool:
    """Whether an error means the connection is gone (rather than a refusal)."""
    return (e.sqlstate is None or e.sqlstate[:2] in ("08", "57")
            or conn is None or conn.closed)


class Worker:
    def __init__(self, client: Client, *, task_queue: str, workflows: Sequence[Any] = (),
                 activities: Sequence[Any] = (), identity: Optional[str] = None,
                 max_concurrent_workflow_tasks: int = 10,
                 max_buffered_workflow_tasks: Optional[int] = None,
                 lease: timedelta = timedelta(seconds=30),
                 heartbeat_interval: Optional[timedelta] = None,
                 poll_interval: timedelta = timedelta(seconds=10),
                 report_batch_delay: timedelta = timedelta(0),
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
        self._max_buffered = max(0, self._max if max_buffered_workflow_tasks is None
                                 else max_buffered_workflow_tasks)
        self._lease = lease
        self._heartbeat = (heartbeat_interval or lease / 3).total_seconds()
        self._poll_interval = poll_interval.total_seconds()
        self._report_delay = report_batch_delay.total_seconds()
        self._grace = (graceful_shutdown_timeout.total_seconds()
                       if graceful_shutdown_timeout is not None else None)
        # claimed, not started: (run_id, poll row, loop time of the last lease renewal)
        self._buffer: Deque[List[Any]] = collections.deque()
        self._running: Dict[str, asyncio.Task] = {}
        self._reports: List[Tuple[str, str, Any]] = []  # (kind, run_id, parameters)
        self._report_wanted = asyncio.Event()
        self._reporting = False
        self._closing = False
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._run_task: Optional[asyncio.Task] = None
        self._conn: Optional[psycopg.AsyncConnection] = None
        self._batched: Optional[bool] = None  # does the server have sched.complete_runs?
        self._batched_fail: Optional[bool] = None  # ... sched.fail_runs with error_types?

    # -- lifecycle

    async def __aenter__(self) -> "Worker":
        self._run_task = asyncio.create_task(self.run())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stops claiming and waits for the runs it holds (running or buffered)
        to run and report (at most graceful_shutdown_timeout, if given: runs
        still going are then abandoned unreported, and their leases lapse:
        another worker runs them again)."""
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
        reporter = asyncio.create_task(self._reporter())
        keeper = asyncio.create_task(self._keep_buffer())
        try:
            while not self._stop.is_set():
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = await self._connect()
                        self._batched = None
                        self._batched_fail = None
                        self._report_wanted.set()  # reports that waited for a connection
                    if listener is None or listener.done():
                        if listener is not None and not listener.cancelled():
                            log.warning("worker %s: LISTEN connection lost: %s; listening "
                                        "again", self.identity, listener.exception())
                        listener = asyncio.create_task(self._listen())
                    self._start_buffered()
                    want = self._max + self._max_buffered - len(self._buffer) - len(self._running)
                    claimed = 0
                    if want > 0 and len(self._buffer) <= self._max_buffered // 2:
                        want = min(want, _POLL_LIMIT)
                        self._wake.clear()
                        claimed = await self._poll(want)
                        self._start_buffered()
                    if claimed and claimed == want:
                        continue  # maybe more waiting
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
            await self._drain()
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            # the reporter sends what is queued, then ends
            self._closing = True
            self._report_wanted.set()
            await asyncio.gather(reporter, return_exceptions=True)
            if self._reports:
                log.warning("worker %s: %d reports not sent (no connection); their runs "
                            "are delivered again after their leases", self.identity,
                            len(self._reports))
                self._reports = []
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
            if self._conn is not None:
                await self._conn.close()
                self._conn = None

    async def _drain(self) -> None:
        """After shutdown(): runs what is buffered as slots free up, waits for
        the running ones, and past the grace period cancels the rest
        (unreported: their leases lapse).  Buffered runs are never dropped
        silently: they either run or their leases lapse."""
        loop = asyncio.get_running_loop()
        deadline = None if self._grace is None else loop.time() + self._grace
        while self._running or self._buffer:
            self._start_buffered()
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            done, _ = await asyncio.wait(list(self._running.values()), timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if not done:  # grace period over
                break
        late = list(self._running.values())
        if self._buffer:
            log.info("worker %s: shutting down with %d claimed runs not started; their "
                     "leases will lapse", self.identity, len(self._buffer))
            self._buffer.clear()
        for t in late:
            t.cancel()
        await asyncio.gather(*late, return_exceptions=True)

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

    # -- claiming

    async def _poll(self, n: int) -> int:
        rows = await self._sql(
            "SELECT run_id, workflow_id, workflow, args, attempt, schedule_id, nominal_time, "
            "last_completion_result, last_failure FROM sched.poll(%s, %s, %s, %s::interval)",
            (self.task_queue, self.identity, n, f"{self._lease.total_seconds()} seconds"))
        now = asyncio.get_running_loop().time()
        for r in rows:
            self._buffer.append([str(r[0]), r, now])
        return len(rows)

    def _start_buffered(self) -> None:
        while self._buffer and len(self._running) < self._max:
            run_id, row, renewed = self._buffer.popleft()
            t = asyncio.create_task(self._execute(run_id, row, renewed))
            self._running[run_id] = t
            t.add_done_callback(lambda _t, k=run_id: self._done(k))

    def _done(self, run_id: str) -> None:
        self._running.pop(run_id, None)
        self._wake.set()

    async def _keep_buffer(self) -> None:
        """Heartbeats buffered runs that wait for a slot longer than
        heartbeat_interval (their leases run from the claim); drops those
        whose heartbeat is refused and reports those cancelled meanwhile."""
        while True:
            await asyncio.sleep(self._heartbeat / 2)
            now = asyncio.get_running_loop().time()
            for entry in list(self._buffer):
                if now - entry[2] < self._heartbeat or self._conn is None:
                    continue
                try:
                    rows = await self._sql("SELECT sched.heartbeat(%s)", (entry[0],))
                except psycopg.Error as e:
                    if _lost(e, self._conn):
                        log.warning("run %s: heartbeat failed: %s", entry[0], e)
                        break
                    log.info("run %s: heartbeat refused (%s); dropping it", entry[0], e)
                    self._discard(entry)
                    continue
                entry[2] = asyncio.get_running_loop().time()
                if rows[0][0]:  # cancellation requested before it started
                    self._discard(entry)
                    self._report("canceled", entry[0], None)

    def _discard(self, entry: List[Any]) -> None:
        try:
            self._buffer.remove(entry)
        except ValueError:
            pass  # started meanwhile: its own supervision takes over

    # -- one run

    async def _execute(self, run_id: str, row: Any, renewed: float) -> None:
        _, workflow_id, name, args, attempt, schedule_id, nominal, last, failure = row
        target = self._workflows.get(name)
        if target is None:
            self._report("fail", run_id, (f'workflow type "{name}" is not registered on '
                                          f'worker "{self.identity}"', False, "NotFoundError"))
            return
        info = _workflow.Info(workflow_id, run_id, name, self.task_queue, attempt, schedule_id,
                              nominal)
        token = _workflow._current.set((info, last, failure))
        try:
            fn = getattr(target(), "run") if isinstance(target, type) else target
            task = asyncio.ensure_future(fn(*(args or [])))
        except Exception as e:  # constructing the workflow failed
            self._fail(run_id, e)
            return
        finally:
            _workflow._current.reset(token)
        try:
            await self._supervise(run_id, task, renewed)
        finally:
            if not task.done():  # the worker is shutting down past its grace period
                task.cancel()

    async def _supervise(self, run_id: str, task: "asyncio.Future[Any]", renewed: float) -> None:
        """Heartbeats while the workflow runs, then queues the report of how it ended."""
        loop = asyncio.get_running_loop()
        cancel_requested = False
        gone = False
        while not task.done():
            wait = max(0.0, renewed + self._heartbeat - loop.time())
            done, _ = await asyncio.wait({task}, timeout=wait)
            if done:
                break
            renewed = loop.time()
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
                self._report("canceled", run_id, None)
                return
            raise  # the worker itself is being cancelled
        except Exception as e:
            if not gone:
                self._fail(run_id, e)
            return
        if gone:
            return
        try:
            text = json.dumps(result)
        except (TypeError, ValueError) as e:  # the result is not JSON
            self._fail(run_id, e)
            return
        self._report("complete", run_id, text)

    def _fail(self, run_id: str, e: BaseException) -> None:
        if isinstance(e, ApplicationError):
            etype, final = e.type or type(e).__name__, e.non_retryable
        else:
            etype, final = type(e).__name__, False
        self._report("fail", run_id, (str(e) or etype, final, etype))

    # -- reports

    def _report(self, kind: str, run_id: str, params: Any) -> None:
        self._reports.append((kind, run_id, params))
        self._report_wanted.set()

    async def _reporter(self) -> None:
        """Sends the queued reports whenever there are some and the previous
        send is over: reports that arrive during a send go in the next one."""
        while True:
            await self._report_wanted.wait()
            if self._report_delay and not self._closing:
                await asyncio.sleep(self._report_delay)
            self._report_wanted.clear()
            connected = self._conn is not None and not self._conn.closed
            if connected:
                await self._flush()
            # (not connected: the main loop connects again and sets the event)
            if self._closing and (not self._reports or not connected):
                return

    async def _flush(self) -> None:
        """One send of everything queued; each report is sent once only."""
        if self._reporting or not self._reports or self._conn is None or self._conn.closed:
            return
        self._reporting = True
        batch, self._reports = self._reports, []
        try:
            completions = [(r, p) for k, r, p in batch if k == "complete"]
            if completions:
                await self._send_completions(completions)
            failures = [(r, p) for k, r, p in batch if k == "fail"]
            if failures:
                await self._send_failures(failures)
            for kind, run_id, params in batch:
                if kind == "canceled":
                    await self._send_one(run_id, "SELECT sched.canceled(%s)", (run_id,))
        finally:
            self._reporting = False
            if self._reports:
                self._report_wanted.set()

    async def _send_completions(self, completions: List[Tuple[str, str]]) -> None:
        if self._batched is None:
            rows = await self._guard(None, "SELECT to_regprocedure("
                                     "'sched.complete_runs(uuid[], jsonb[])') IS NOT NULL", ())
            self._batched = bool(rows and rows[0][0])
        if not self._batched:  # a server without the batched API
            for run_id, text in completions:
                await self._send_one(run_id, "SELECT sched.complete(%s, %s::jsonb)",
                                     (run_id, text))
            return
        ids = [r for r, _ in completions]
        rows = await self._guard(
            ids, "SELECT run_id, status, sqlstate, message "
            "FROM sched.complete_runs(%s::uuid[], %s::jsonb[])",
            (ids, [t for _, t in completions]))
        for run_id, status, sqlstate, message in rows or ():
            if sqlstate is not None:
                # e.g. terminated or timed out meanwhile: nobody wants the result
                log.warning("run %s: completion refused (%s): %s", run_id, sqlstate, message)

    async def _send_failures(self, failures: List[Tuple[str, Any]]) -> None:
        if self._batched_fail is None:
            rows = await self._guard(None, "SELECT to_regprocedure("
                                     "'sched.fail_runs(uuid[], text[], boolean[], text[])') IS NOT NULL",
                                     ())
            self._batched_fail = bool(rows and rows[0][0])
        if not self._batched_fail:  # a server without error types in the batch
            for run_id, params in failures:
                await self._send_one(
                    run_id, "SELECT sched.fail(%s, %s, non_retryable => %s, "
                    "error_type => %s)", (run_id, *params))
            return
        ids = [r for r, _ in failures]
        rows = await self._guard(
            ids, "SELECT run_id, status, sqlstate, message "
            "FROM sched.fail_runs(%s::uuid[], %s::text[], %s::boolean[], %s::text[])",
            (ids, [p[0] for _, p in failures], [p[1] for _, p in failures],
             [p[2] for _, p in failures]))
        for run_id, status, sqlstate, message in rows or ():
            if sqlstate is not None:
                log.warning("run %s: failure report refused (%s): %s", run_id, sqlstate, message)

    async def _send_one(self, run_id: str, sql: str, params: Sequence[Any]) -> None:
        await self._guard([run_id], sql, params)

    async def _guard(self, run_ids: Optional[List[str]], sql: str,
                     params: Sequence[Any]) -> Any:
        """One report call; a refusal or a lost connection is logged, never
        raised and never retried (a lost call may have committed)."""
        try:
            return await self._sql(sql, params)
        except psycopg.Error as e:
            what = "report" if run_ids is None else f"report of {', '.join(run_ids[:5])}" + (
                f" and {len(run_ids) - 5} more" if len(run_ids) > 5 else "")
            if _lost(e, self._conn):
                log.warning("%s: connection lost (%s); not sent again: a run whose "
                            "report did not commit is delivered again after its lease",
                            what, e)
            else:
                log.warning("%s refused: %s", what, e)
            return None
