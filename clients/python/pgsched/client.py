"""A Temporal-shaped client for pg_sched: the names and call shapes of
temporalio.client (Client, Schedule, ScheduleHandle, WorkflowHandle, ...) over
psycopg 3's AsyncConnection and the sched.* SQL functions.

Every method is one SQL statement on an autocommit connection, so each call
is its own transaction, as pg_sched's README asks of workers and clients.
Documents are built as the JSON that sched.create_schedule reads and rebuilt
from what sched.describe returns (canonical form: cron strings come back as
calendars, defaults filled in).
"""

from __future__ import annotations

import asyncio
import enum
import inspect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import (Any, AsyncIterator, Awaitable, Callable, List, Mapping, Optional,
                    Sequence, Union)

import psycopg
from psycopg.types.json import Jsonb

from . import workflow as _workflow
from .common import (RetryPolicy, TypedSearchAttributes, WorkflowIDConflictPolicy,
                     WorkflowIDReusePolicy, duration_text, parse_duration, parse_time,
                     policy_name, search_attributes_json, time_text, utc_timestamps)
from .exceptions import (RPCError, ScheduleAlreadyRunningError, WorkflowAlreadyStartedError,
                         WorkflowFailureError, translate)

_ARG_UNSET: Any = object()  # start_workflow's "no positional argument"

# ---------------------------------------------------------------- specs


@dataclass(frozen=True)
class ScheduleRange:
    """start..end (inclusive) by step; end 0 (or below start) means start, step 0 means 1.

    pg_sched extensions (Temporal has neither): in day_of_month, negative values
    count from the end of the month (ScheduleRange(-1) = the last day,
    ScheduleRange(-3, -1) = the last three days); in day_of_week, `nth` picks
    the n-th such weekday of the month, 1-5, or -1..-5 from the end
    (ScheduleRange(1, nth=3) = the third Monday, ScheduleRange(5, nth=-1) = the
    last Friday)."""

    start: int
    end: int = 0
    step: int = 0
    nth: int = 0

    def _to_json(self) -> dict:
        out = {"start": self.start}
        if self.end > self.start:
            out["end"] = self.end
        if self.step > 1:
            out["step"] = self.step
        if self.nth:
            out["nth"] = self.nth
        return out

    @staticmethod
    def _from_json(obj: dict) -> "ScheduleRange":
        return ScheduleRange(obj["start"], obj.get("end", 0), obj.get("step", 0),
                             obj.get("nth", 0))


def _ranges_json(value: Any) -> Any:
    if isinstance(value, str):  # cron field syntax, e.g. "mon-fri"
        return value
    if isinstance(value, int):
        return [{"start": value}]
    return [r._to_json() if isinstance(r, ScheduleRange) else r for r in value]


def _ranges(obj: Optional[list], default: Sequence[ScheduleRange]) -> Sequence[ScheduleRange]:
    if obj is None:
        return tuple(default)
    return tuple(ScheduleRange._from_json(r) for r in obj)


@dataclass
class ScheduleCalendarSpec:
    """Temporal's calendar: each field a sequence of ScheduleRange (or cron field text)."""

    second: Sequence[ScheduleRange] = (ScheduleRange(0),)
    minute: Sequence[ScheduleRange] = (ScheduleRange(0),)
    hour: Sequence[ScheduleRange] = (ScheduleRange(0),)
    day_of_month: Sequence[ScheduleRange] = (ScheduleRange(1, 31),)
    month: Sequence[ScheduleRange] = (ScheduleRange(1, 12),)
    year: Sequence[ScheduleRange] = ()
    day_of_week: Sequence[ScheduleRange] = (ScheduleRange(0, 6),)
    comment: Optional[str] = None

    def _to_json(self) -> dict:
        out = {}
        for name in ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week"):
            value = getattr(self, name)
            if name == "year" and not value:
                continue  # no year ranges: every year
            out[name] = _ranges_json(value)
        if self.comment:
            out["comment"] = self.comment
        return out

    @staticmethod
    def _from_json(obj: dict) -> "ScheduleCalendarSpec":
        return ScheduleCalendarSpec(
            second=_ranges(obj.get("second"), (ScheduleRange(0),)),
            minute=_ranges(obj.get("minute"), (ScheduleRange(0),)),
            hour=_ranges(obj.get("hour"), (ScheduleRange(0),)),
            day_of_month=_ranges(obj.get("day_of_month"), (ScheduleRange(1, 31),)),
            month=_ranges(obj.get("month"), (ScheduleRange(1, 12),)),
            year=_ranges(obj.get("year"), ()),
            day_of_week=_ranges(obj.get("day_of_week"), (ScheduleRange(0, 6),)),
            comment=obj.get("comment"),
        )


@dataclass
class ScheduleIntervalSpec:
    """Every `every` since the Unix epoch, shifted by `offset` (UTC)."""

    every: timedelta
    offset: Optional[timedelta] = None

    def _to_json(self) -> dict:
        out = {"every": duration_text(self.every)}
        if self.offset:
            out["offset"] = duration_text(self.offset)
        return out

    @staticmethod
    def _from_json(obj: dict) -> "ScheduleIntervalSpec":
        return ScheduleIntervalSpec(parse_duration(obj["every"]), parse_duration(obj.get("offset")))


class ScheduleDstRepeated(str, enum.Enum):
    """A local time that occurs twice (fall back): fire at both instants, or one."""

    BOTH = "both"
    FIRST = "first"
    SECOND = "second"


class ScheduleDstSkipped(str, enum.Enum):
    """A local time in a spring-forward gap: do not fire, or fire at the first
    instant after the gap."""

    SKIP = "skip"
    NEXT_VALID = "next_valid"


@dataclass
class ScheduleDstPolicy:
    """pg_sched's per-spec DST policy (the spec's "dst"; temporal #8205).  The
    defaults are Temporal's behaviour: both passes fire, gap times are skipped."""

    repeated: ScheduleDstRepeated = ScheduleDstRepeated.BOTH
    skipped: ScheduleDstSkipped = ScheduleDstSkipped.SKIP

    def _to_json(self) -> dict:
        return {"repeated": ScheduleDstRepeated(self.repeated).value,
                "skipped": ScheduleDstSkipped(self.skipped).value}

    @staticmethod
    def _from_json(obj: dict) -> "ScheduleDstPolicy":
        return ScheduleDstPolicy(ScheduleDstRepeated(obj.get("repeated", "both")),
                                 ScheduleDstSkipped(obj.get("skipped", "skip")))


@dataclass
class ScheduleSpec:
    calendars: Sequence[ScheduleCalendarSpec] = field(default_factory=list)
    intervals: Sequence[ScheduleIntervalSpec] = field(default_factory=list)
    cron_expressions: Sequence[str] = field(default_factory=list)
    skip: Sequence[ScheduleCalendarSpec] = field(default_factory=list)
    start_at: Optional[datetime] = None
    end_at: Optional[datetime] = None
    jitter: Optional[timedelta] = None
    time_zone_name: Optional[str] = None
    dst: Optional[ScheduleDstPolicy] = None

    def _to_json(self) -> dict:
        out: dict = {}
        if self.calendars:
            out["calendars"] = [c._to_json() for c in self.calendars]
        if self.intervals:
            out["intervals"] = [i._to_json() for i in self.intervals]
        if self.cron_expressions:
            out["cron_expressions"] = list(self.cron_expressions)
        if self.skip:
            out["skip"] = [c._to_json() for c in self.skip]
        if self.start_at is not None:
            out["start_at"] = time_text(self.start_at)
        if self.end_at is not None:
            out["end_at"] = time_text(self.end_at)
        if self.jitter:
            out["jitter"] = duration_text(self.jitter)
        if self.time_zone_name:
            out["time_zone_name"] = self.time_zone_name
        if self.dst is not None:
            out["dst"] = self.dst._to_json()
        return out

    @staticmethod
    def _from_json(obj: dict) -> "ScheduleSpec":
        return ScheduleSpec(
            calendars=[ScheduleCalendarSpec._from_json(c) for c in obj.get("calendars") or []],
            intervals=[ScheduleIntervalSpec._from_json(i) for i in obj.get("intervals") or []],
            cron_expressions=list(obj.get("cron_expressions") or []),
            skip=[ScheduleCalendarSpec._from_json(c) for c in obj.get("skip") or []],
            start_at=parse_time(obj.get("start_at")),
            end_at=parse_time(obj.get("end_at")),
            jitter=parse_duration(obj.get("jitter")),
            time_zone_name=obj.get("time_zone_name"),
            dst=ScheduleDstPolicy._from_json(obj["dst"]) if obj.get("dst") else None,
        )


@dataclass
class ScheduleExplainRow:
    """One row of sched.explain: a candidate time, where it stands in its zone,
    what matched it and what becomes of it."""

    nominal_time: datetime
    utc: str
    local_time: datetime          # naive: the spec zone's wall clock
    utc_offset: str
    dst: Optional[str]            # first_pass, second_pass, after_gap
    matched: List[dict]           # [{"calendar": 0, "comment": ...}, {"cron_expression": 1}, ...]
    outcome: str                  # fire, skip_calendar, dst_policy, processed, paused, ...
    reason: Optional[str]
    jitter: Optional[timedelta]
    actual_time: Optional[datetime]


_EXPLAIN_COLUMNS = ("nominal_time, utc, local_time, utc_offset, dst, matched, outcome, reason, "
                    "jitter, actual_time")


# ---------------------------------------------------------------- action, policy, state


class ScheduleActionStartWorkflow:
    """Start a workflow: `workflow` is a class, its run method, or a type name;
    positional arguments after it (or `args=`) are the workflow's arguments.
    `.workflow` is always the type name, as in temporalio."""

    def __init__(self, workflow: Any, *positional: Any, args: Optional[Sequence[Any]] = None,
                 id: str, task_queue: str, execution_timeout: Optional[timedelta] = None,
                 run_timeout: Optional[timedelta] = None,
                 task_timeout: Optional[timedelta] = None,
                 retry_policy: Optional[RetryPolicy] = None,
                 memo: Optional[Mapping[str, Any]] = None,
                 id_time_format: Optional[str] = None, **_unsupported: Any):
        self.workflow = _workflow.name_of(workflow)
        # pg_sched's own: the suffix of each run's workflow id, a to_char() pattern
        self.id_time_format = id_time_format
        self.args = list(args) if args is not None else list(positional)
        self.id = id
        self.task_queue = task_queue
        self.execution_timeout = execution_timeout
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout  # accepted, not used: no workflow tasks here
        self.retry_policy = retry_policy
        self.memo = dict(memo) if memo is not None else None

    def __repr__(self) -> str:
        return (f"ScheduleActionStartWorkflow(workflow={self.workflow!r}, args={self.args!r}, "
                f"id={self.id!r}, task_queue={self.task_queue!r})")

    def _to_json(self) -> dict:
        out: dict = {"workflow": self.workflow, "id": self.id, "task_queue": self.task_queue,
                     "args": list(self.args)}
        if self.execution_timeout is not None:
            out["execution_timeout"] = duration_text(self.execution_timeout)
        if self.run_timeout is not None:
            out["run_timeout"] = duration_text(self.run_timeout)
        if self.retry_policy is not None:
            out["retry_policy"] = self.retry_policy._to_json()
        if self.memo is not None:
            out["memo"] = self.memo
        if self.id_time_format is not None:
            out["id_time_format"] = self.id_time_format
        return out

    @staticmethod
    def _from_json(obj: dict) -> "ScheduleActionStartWorkflow":
        return ScheduleActionStartWorkflow(
            obj["workflow"], args=obj.get("args") or [], id=obj["id"],
            task_queue=obj["task_queue"],
            execution_timeout=parse_duration(obj.get("execution_timeout")),
            run_timeout=parse_duration(obj.get("run_timeout")),
            retry_policy=RetryPolicy._from_json(obj.get("retry_policy")),
            memo=obj.get("memo"), id_time_format=obj.get("id_time_format"))


class ScheduleOverlapPolicy(enum.IntEnum):
    SKIP = 1
    BUFFER_ONE = 2
    BUFFER_ALL = 3
    CANCEL_OTHER = 4
    TERMINATE_OTHER = 5
    ALLOW_ALL = 6


class ScheduleCatchupMode(enum.IntEnum):
    """What becomes of due times that are late (more than 10 s) but within the
    catch-up window (pg_sched's; Cadence's catch-up policy is SKIP/ONE/ALL):
    ALL fire, only the LATEST of them fires, NONE fires."""
    ALL = 1
    LATEST = 2
    NONE = 3


@dataclass
class SchedulePolicy:
    overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP
    catchup_window: timedelta = timedelta(days=365)
    pause_on_failure: bool = False
    # Temporal's SchedulePolicies field; pg_sched keeps it in the action document
    keep_original_workflow_id: bool = False
    catchup_mode: ScheduleCatchupMode = ScheduleCatchupMode.ALL
    # open runs at most before the overlap policy decides (skip, buffer_one,
    # buffer_all only above 1)
    concurrency_limit: int = 1

    def _to_json(self) -> dict:
        return {"overlap": policy_name(self.overlap),
                "catchup_window": duration_text(self.catchup_window),
                "pause_on_failure": self.pause_on_failure,
                "catchup_mode": policy_name(self.catchup_mode),
                "concurrency_limit": self.concurrency_limit}

    @staticmethod
    def _from_json(obj: dict) -> "SchedulePolicy":
        return SchedulePolicy(
            overlap=ScheduleOverlapPolicy[obj.get("overlap", "skip").upper()],
            catchup_window=parse_duration(obj.get("catchup_window")) or timedelta(days=365),
            pause_on_failure=bool(obj.get("pause_on_failure", False)),
            catchup_mode=ScheduleCatchupMode[obj.get("catchup_mode", "all").upper()],
            concurrency_limit=int(obj.get("concurrency_limit", 1)))


@dataclass
class ScheduleState:
    note: Optional[str] = None
    paused: bool = False
    limited_actions: bool = False
    remaining_actions: int = 0

    def _to_json(self) -> dict:
        out: dict = {"paused": self.paused}
        if self.note is not None:
            out["note"] = self.note
        if self.limited_actions:
            out["limited_actions"] = True
            out["remaining_actions"] = self.remaining_actions
        return out

    @staticmethod
    def _from_json(obj: dict) -> "ScheduleState":
        return ScheduleState(note=obj.get("note"), paused=bool(obj.get("paused", False)),
                             limited_actions=bool(obj.get("limited_actions", False)),
                             remaining_actions=int(obj.get("remaining_actions", 0)))


@dataclass
class Schedule:
    action: ScheduleActionStartWorkflow
    spec: ScheduleSpec
    policy: SchedulePolicy = field(default_factory=SchedulePolicy)
    state: ScheduleState = field(default_factory=ScheduleState)

    def _to_json(self, for_update: bool = False) -> dict:
        out = {"action": self.action._to_json(), "spec": self.spec._to_json(),
               "policy": self.policy._to_json()}
        if self.policy.keep_original_workflow_id:
            out["action"]["keep_original_workflow_id"] = True
        st = self.state
        # An exhausted limited schedule is described as limited with 0 remaining,
        # which pg_sched refuses as input: an update then leaves state as it is.
        if not (for_update and st.limited_actions and st.remaining_actions <= 0):
            out["state"] = st._to_json()
        return out

    @staticmethod
    def _from_json(obj: dict) -> "Schedule":
        policy = SchedulePolicy._from_json(obj.get("policy") or {})
        policy.keep_original_workflow_id = bool(
            obj["action"].get("keep_original_workflow_id", False))
        return Schedule(action=ScheduleActionStartWorkflow._from_json(obj["action"]),
                        spec=ScheduleSpec._from_json(obj.get("spec") or {}),
                        policy=policy,
                        state=ScheduleState._from_json(obj.get("state") or {}))


@dataclass
class ScheduleBackfill:
    start_at: datetime
    end_at: datetime
    overlap: Optional[ScheduleOverlapPolicy] = None
    # pg_sched's own: replace the action's arguments and memo for these runs
    args: Optional[Sequence[Any]] = None
    memo: Optional[Mapping[str, Any]] = None

    def _to_json(self) -> dict:
        out: dict = {"start_at": time_text(self.start_at), "end_at": time_text(self.end_at)}
        if self.overlap is not None:
            out["overlap"] = policy_name(self.overlap)
        if self.args is not None:
            out["args"] = list(self.args)
        if self.memo is not None:
            out["memo"] = dict(self.memo)
        return out


@dataclass
class ScheduleTriggerResult:
    """What a trigger did (sched.trigger_immediately): outcome "started" with the
    run, or "buffered" / "skipped" by the overlap policy; the nominal time names
    the run."""

    outcome: str
    run_id: Optional[str]
    workflow_id: Optional[str]
    nominal_time: datetime


@dataclass
class ScheduleBackfillResult:
    """What a backfill did with its actions (sched.backfill_actions)."""

    actions: int
    started: int
    buffered: int
    skipped: int
    pending: int


@dataclass
class ScheduleAuditEntry:
    """One change of a schedule (sched.schedule_audit)."""

    at: datetime
    schedule_id: str
    operation: str
    role: str
    session_role: str
    note: Optional[str]
    detail: Optional[dict]


# ---------------------------------------------------------------- descriptions


@dataclass
class ScheduleActionExecutionStartWorkflow:
    workflow_id: str
    first_execution_run_id: str


@dataclass
class ScheduleActionResult:
    scheduled_at: datetime
    started_at: datetime
    action: ScheduleActionExecutionStartWorkflow
    status: str  # the run's current pg_sched status (pending, running, completed, ...)


def _recent(items: Optional[list]) -> List[ScheduleActionResult]:
    return [ScheduleActionResult(
                parse_time(a.get("scheduled_at")), parse_time(a.get("started_at")),
                ScheduleActionExecutionStartWorkflow(a["workflow_id"], a["run_id"]),
                a.get("status"))
            for a in items or []]


@dataclass
class ScheduleInfo:
    num_actions: int
    num_actions_missed_catchup_window: int
    num_actions_skipped_overlap: int
    running_actions: Sequence[ScheduleActionExecutionStartWorkflow]
    recent_actions: Sequence[ScheduleActionResult]
    next_action_times: Sequence[datetime]
    created_at: datetime
    last_updated_at: Optional[datetime]
    num_buffer_dropped: int = 0
    buffer_size: int = 0

    @staticmethod
    def _from_json(obj: dict) -> "ScheduleInfo":
        return ScheduleInfo(
            num_actions=int(obj.get("num_actions", 0)),
            num_actions_missed_catchup_window=int(obj.get("num_actions_missed_catchup_window", 0)),
            num_actions_skipped_overlap=int(obj.get("num_actions_skipped_overlap", 0)),
            running_actions=[ScheduleActionExecutionStartWorkflow(a["workflow_id"], a["run_id"])
                             for a in obj.get("running_actions") or []],
            recent_actions=_recent(obj.get("recent_actions")),
            next_action_times=[parse_time(t) for t in obj.get("next_action_times") or []],
            created_at=parse_time(obj.get("created_at")),
            last_updated_at=parse_time(obj.get("last_updated_at")),
            num_buffer_dropped=int(obj.get("num_buffer_dropped", 0)),
            buffer_size=int(obj.get("buffer_size", 0)))


@dataclass
class ScheduleDescription:
    id: str
    schedule: Schedule
    info: ScheduleInfo
    conflict_token: Optional[int]
    raw_description: dict
    typed_search_attributes: TypedSearchAttributes = TypedSearchAttributes.empty

    @property
    def search_attributes(self) -> Mapping[str, Sequence[Any]]:
        """The untyped form (Temporal's deprecated one): name -> [value]."""
        return {p.key.name: list(p.value) if isinstance(p.value, list) else [p.value]
                for p in self.typed_search_attributes}

    async def memo(self) -> Mapping[str, Any]:
        return self.raw_description.get("memo") or {}


@dataclass
class ScheduleUpdateInput:
    description: ScheduleDescription


@dataclass
class ScheduleUpdate:
    """search_attributes: None leaves them, TypedSearchAttributes replaces them
    (TypedSearchAttributes.empty removes them all), as Temporal's UpdateSchedule."""

    schedule: Schedule
    search_attributes: Optional[TypedSearchAttributes] = None


@dataclass
class ScheduleListActionStartWorkflow:
    workflow: str


@dataclass
class ScheduleListState:
    note: Optional[str]
    paused: bool


@dataclass
class ScheduleListSchedule:
    action: ScheduleListActionStartWorkflow
    spec: ScheduleSpec
    state: ScheduleListState


@dataclass
class ScheduleListInfo:
    recent_actions: Sequence[ScheduleActionResult]
    next_action_times: Sequence[datetime]


@dataclass
class ScheduleListDescription:
    id: str
    schedule: ScheduleListSchedule
    info: ScheduleListInfo
    memo_value: Optional[Mapping[str, Any]] = None

    async def memo(self) -> Mapping[str, Any]:
        return self.memo_value or {}


@dataclass
class ScheduleCountAggregationGroup:
    count: int
    group_values: Sequence[Any]


@dataclass
class ScheduleCount:
    count: int
    groups: Sequence[ScheduleCountAggregationGroup]


class _ScheduleIterator:
    """list_schedules()'s result: iterate it with `async for`, after or without
    `await` (the docs write `async for s in await client.list_schedules()`)."""

    def __init__(self, client: "Client", query: Optional[str] = None):
        self._client = client
        self._query = query
        self._items: Optional[List[ScheduleListDescription]] = None

    def __await__(self):
        async def fetch():
            await self._load()
            return self
        return fetch().__await__()

    async def _load(self) -> None:
        if self._items is None:
            columns = ("SELECT schedule_id, workflow, paused, note, spec, recent_actions, "
                       "next_action_times, memo FROM ")
            if self._query is None:
                rows = await self._client._fetchall(
                    columns + "sched.list_schedules() ORDER BY schedule_id", ())
            else:
                # in the query's ORDER BY, then by id
                rows = await self._client._fetchall(
                    columns + "sched.list_schedules(%s)", (self._query,))
            self._items = [
                ScheduleListDescription(
                    id=r[0],
                    schedule=ScheduleListSchedule(ScheduleListActionStartWorkflow(r[1]),
                                                  ScheduleSpec._from_json(r[4] or {}),
                                                  ScheduleListState(r[3], r[2])),
                    info=ScheduleListInfo(_recent(r[5]), list(r[6] or [])),
                    memo_value=r[7])
                for r in rows]

    def __aiter__(self) -> AsyncIterator[ScheduleListDescription]:
        async def gen():
            await self._load()
            for item in self._items or []:
                yield item
        return gen()


# ---------------------------------------------------------------- workflows


class WorkflowExecutionStatus(enum.IntEnum):
    """Temporal's statuses; RUNNING covers pg_sched's scheduled, pending and running."""

    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    CONTINUED_AS_NEW = 6
    TIMED_OUT = 7


_STATUS = {"scheduled": WorkflowExecutionStatus.RUNNING, "pending": WorkflowExecutionStatus.RUNNING,
           "running": WorkflowExecutionStatus.RUNNING,
           "completed": WorkflowExecutionStatus.COMPLETED,
           "failed": WorkflowExecutionStatus.FAILED, "canceled": WorkflowExecutionStatus.CANCELED,
           "terminated": WorkflowExecutionStatus.TERMINATED,
           "timed_out": WorkflowExecutionStatus.TIMED_OUT}


@dataclass
class WorkflowExecutionDescription:
    id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus
    start_time: Optional[datetime]
    close_time: Optional[datetime]
    raw_description: dict  # sched.describe_workflow's document (pg_sched status and all)

    @staticmethod
    def _from_json(d: dict) -> "WorkflowExecutionDescription":
        return WorkflowExecutionDescription(
            id=d["workflow_id"], run_id=d["run_id"], workflow_type=d["workflow"],
            task_queue=d["task_queue"], status=_STATUS[d["status"]],
            start_time=parse_time(d.get("created_at")), close_time=parse_time(d.get("closed_at")),
            raw_description=d)


class WorkflowHandle:
    """A workflow id (and the run this handle started, if any)."""

    def __init__(self, client: "Client", id: str, *, run_id: Optional[str] = None,
                 result_run_id: Optional[str] = None, first_execution_run_id: Optional[str] = None):
        self._client = client
        self.id = id
        self.run_id = run_id
        self.result_run_id = result_run_id or run_id
        self.first_execution_run_id = first_execution_run_id or run_id

    async def describe(self) -> WorkflowExecutionDescription:
        """The latest run of the workflow id."""
        return WorkflowExecutionDescription._from_json(await self._raw())

    async def _raw(self) -> dict:
        return await self._client._fetchval("SELECT sched.describe_workflow(%s)", (self.id,))

    async def result(self, *, poll_interval: float = 0.1) -> Any:
        """Waits until the latest run of the id is closed, following a cron chain
        (its next run is open again), and returns the result or raises
        WorkflowFailureError.  Polls sched.describe_workflow."""
        while True:
            d = await self._raw()
            status = d["status"]
            if status == "completed":
                return d.get("result")
            if status in ("failed", "canceled", "terminated", "timed_out"):
                raise WorkflowFailureError(status, d.get("error") or d.get("close_reason"),
                                           d.get("error_type"), d)
            await asyncio.sleep(poll_interval)

    async def cancel(self, reason: Optional[str] = None) -> None:
        await self._client._call("SELECT sched.cancel_workflow(%s, %s)", (self.id, reason))

    async def terminate(self, *args: Any, reason: Optional[str] = None) -> None:
        await self._client._call("SELECT sched.terminate_workflow(%s, %s)", (self.id, reason))

    async def signal(self, signal: Any, arg: Any = None, *, args: Sequence[Any] = ()) -> None:
        """Records the signal on the open run (and ends a start delay early)."""
        name = signal if isinstance(signal, str) else getattr(signal, "__name__", str(signal))
        payload = arg if not args else list(args)
        await self._client._call("SELECT sched.signal_workflow(%s, %s, %s)",
                                 (self.id, name, Jsonb(payload) if payload is not None else None))


# ---------------------------------------------------------------- schedule handle


class ScheduleHandle:
    def __init__(self, client: "Client", id: str):
        self._client = client
        self.id = id

    async def backfill(self, *backfill: ScheduleBackfill) -> ScheduleBackfillResult:
        """Temporal's backfill; returns what it did with the ranges' actions."""
        if not backfill:
            raise ValueError("at least one backfill required")
        rows = await self._client._fetchall(
            "SELECT actions, started, buffered, skipped, pending"
            "  FROM sched.backfill_actions(%s, %s)",
            (self.id, Jsonb([b._to_json() for b in backfill])))
        return ScheduleBackfillResult(*rows[0])

    async def audit(self) -> List[ScheduleAuditEntry]:
        """The schedule's audit trail, oldest first (what the caller may see)."""
        rows = await self._client._fetchall(
            "SELECT at, schedule_id, operation, role, session_role, note, detail"
            "  FROM sched.schedule_audit WHERE schedule_id = %s ORDER BY audit_id", (self.id,))
        return [ScheduleAuditEntry(*r) for r in rows]

    async def delete(self) -> None:
        await self._client._call("SELECT sched.delete(%s)", (self.id,))

    async def describe(self) -> ScheduleDescription:
        d = await self._client._fetchval("SELECT sched.describe(%s)", (self.id,))
        attrs = d.get("search_attributes") or {}
        types = {}
        if attrs:
            types = dict(await self._client._fetchall(
                "SELECT name, type FROM sched.search_attributes()", ()))
        return ScheduleDescription(id=d["id"], schedule=Schedule._from_json(d["schedule"]),
                                   info=ScheduleInfo._from_json(d.get("info") or {}),
                                   conflict_token=d.get("conflict_token"), raw_description=d,
                                   typed_search_attributes=TypedSearchAttributes._from_json(
                                       attrs, types))

    async def pause(self, *, note: Optional[str] = None) -> None:
        await self._client._call("SELECT sched.pause(%s, %s)",
                                 (self.id, note if note is not None else "Paused via Python SDK"))

    async def unpause(self, *, note: Optional[str] = None,
                      catchup: Optional[ScheduleCatchupMode] = None) -> None:
        """catchup: replay the paused period with this catch-up mode (within the
        catch-up window); None (the default) does not replay it."""
        await self._client._call("SELECT sched.unpause(%s, %s, %s)",
                                 (self.id, note if note is not None else "Unpaused via Python SDK",
                                  policy_name(catchup)))

    async def explain(self, start: datetime, end: datetime) -> List[ScheduleExplainRow]:
        """sched.explain(id, start, end): the schedule's times in [start, end] (at
        most 1000) and the outcome each would have if nothing changed from now."""
        rows = await self._client._fetchall(
            f"SELECT {_EXPLAIN_COLUMNS} FROM sched.explain(%s, %s, %s)", (self.id, start, end))
        return [ScheduleExplainRow(*r) for r in rows]

    async def trigger(self, *, overlap: Optional[ScheduleOverlapPolicy] = None,
                      scheduled_time: Optional[datetime] = None,
                      args: Optional[Sequence[Any]] = None,
                      memo: Optional[Mapping[str, Any]] = None) -> ScheduleTriggerResult:
        """Temporal's trigger (TriggerImmediatelyRequest: overlap, scheduled_time, the
        time that names the run); args and memo replace the action's for this run.
        Returns what it did."""
        rows = await self._client._fetchall(
            "SELECT outcome, run_id::text, workflow_id, nominal_time"
            "  FROM sched.trigger_immediately(%s, %s, %s, %s, %s)",
            (self.id, policy_name(overlap), scheduled_time,
             Jsonb(list(args) if isinstance(args, tuple) else args)
             if args is not None else None,
             Jsonb(memo) if memo is not None else None))
        return ScheduleTriggerResult(*rows[0])

    async def update(self, updater: Callable[[ScheduleUpdateInput],
                                             Union[Optional[ScheduleUpdate],
                                                   Awaitable[Optional[ScheduleUpdate]]]],
                     *, attempts: int = 3) -> None:
        """Describe, call `updater` (sync or async), send its schedule with the
        description's conflict token.  If the schedule changed in between (40001),
        describe and call the updater again, up to `attempts` times in all, then
        raise: the updater must not have side effects of its own."""
        for attempt in range(1, attempts + 1):
            desc = await self.describe()
            upd = updater(ScheduleUpdateInput(description=desc))
            if inspect.isawaitable(upd):
                upd = await upd
            if upd is None:
                return
            try:
                attrs = search_attributes_json(upd.search_attributes)
                await self._client._call(
                    "SELECT sched.update(%s, %s, %s, %s)",
                    (self.id, Jsonb(upd.schedule._to_json(for_update=True)), desc.conflict_token,
                     Jsonb(attrs) if attrs is not None else None),
                    translate_errors=False)
                return
            except psycopg.Error as e:
                if e.sqlstate == "40001" and attempt < attempts:
                    continue
                raise translate(e) from e


# ---------------------------------------------------------------- client


class Client:
    """Connect with `await Client.connect(dsn)` (a libpq connection string or URI)."""

    def __init__(self, conn: psycopg.AsyncConnection, dsn: str, identity: str):
        self._conn = conn
        self.dsn = dsn
        self.identity = identity

    @staticmethod
    async def connect(target_host: str, *, identity: Optional[str] = None, **_ignored: Any
                      ) -> "Client":
        conn = await psycopg.AsyncConnection.connect(target_host, autocommit=True)
        utc_timestamps(conn.adapters)
        if identity is None:
            import os
            import socket
            identity = f"{os.getpid()}@{socket.gethostname()}"
        return Client(conn, target_host, identity)

    async def close(self) -> None:
        await self._conn.close()

    # One statement per call on the autocommit connection; psycopg serialises
    # concurrent calls of tasks sharing the client.
    async def _call(self, sql: str, params: Sequence[Any], *, translate_errors: bool = True,
                    error_class: type = RPCError) -> Any:
        try:
            cur = await self._conn.execute(sql, params)
            return await cur.fetchall() if cur.description else None
        except psycopg.Error as e:
            if not translate_errors:
                raise
            raise translate(e, error_class) from e

    async def _fetchall(self, sql: str, params: Sequence[Any]) -> list:
        return await self._call(sql, params)

    async def _fetchval(self, sql: str, params: Sequence[Any]) -> Any:
        rows = await self._call(sql, params)
        return rows[0][0] if rows else None

    # -- schedules

    async def create_schedule(self, id: str, schedule: Schedule, *,
                              trigger_immediately: bool = False,
                              backfill: Sequence[ScheduleBackfill] = (),
                              memo: Optional[Mapping[str, Any]] = None,
                              search_attributes: Optional[Union[TypedSearchAttributes,
                                                                Mapping[str, Any]]] = None,
                              **_ignored: Any) -> ScheduleHandle:
        """search_attributes: TypedSearchAttributes (or a plain {name: value}) of
        attributes registered with sched.add_search_attribute."""
        attrs = search_attributes_json(search_attributes)
        try:
            await self._conn.execute(
                "SELECT sched.create_schedule(%s, %s, trigger_immediately => %s, "
                "backfill => %s, memo => %s, search_attributes => %s)",
                (id, Jsonb(schedule._to_json()), trigger_immediately,
                 Jsonb([b._to_json() for b in backfill]),
                 Jsonb(dict(memo)) if memo is not None else None,
                 Jsonb(attrs) if attrs is not None else None))
        except psycopg.Error as e:
            raise translate(e, ScheduleAlreadyRunningError if e.sqlstate == "23505"
                            else RPCError) from e
        return ScheduleHandle(self, id)

    def get_schedule_handle(self, id: str) -> ScheduleHandle:
        return ScheduleHandle(self, id)

    async def explain_spec(self, spec: ScheduleSpec, start: datetime, end: datetime, *,
                           schedule_id: Optional[str] = None) -> List[ScheduleExplainRow]:
        """sched.explain(spec, start, end, schedule_id): every candidate time of a
        spec in [start, end], with jitter as schedule_id would get it."""
        rows = await self._fetchall(
            f"SELECT {_EXPLAIN_COLUMNS} FROM sched.explain(%s::jsonb, %s, %s, %s)",
            (Jsonb(spec._to_json()), start, end, schedule_id))
        return [ScheduleExplainRow(*r) for r in rows]

    def list_schedules(self, query: Optional[str] = None, **_ignored: Any) -> _ScheduleIterator:
        """The schedules a list query matches (Temporal's list filter, e.g.
        "TemporalSchedulePaused = true AND Env = 'prod'"); None lists them all."""
        return _ScheduleIterator(self, query)

    async def count_schedules(self, query: Optional[str] = None) -> ScheduleCount:
        """How many schedules a list query matches; with "GROUP BY attr", the
        count of each value (Temporal's CountSchedules)."""
        d = await self._fetchval("SELECT sched.count_schedules(%s)", (query or "",))
        return ScheduleCount(count=d["count"], groups=[
            ScheduleCountAggregationGroup(count=g["count"], group_values=g["group_values"])
            for g in d.get("groups") or []])

    # -- workflows

    async def start_workflow(self, workflow: Any, arg: Any = _ARG_UNSET, *,
                             args: Sequence[Any] = (), id: str, task_queue: str,
                             execution_timeout: Optional[timedelta] = None,
                             run_timeout: Optional[timedelta] = None,
                             task_timeout: Optional[timedelta] = None,
                             id_reuse_policy: Any = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                             id_conflict_policy: Any = WorkflowIDConflictPolicy.UNSPECIFIED,
                             retry_policy: Optional[RetryPolicy] = None,
                             cron_schedule: str = "",
                             memo: Optional[Mapping[str, Any]] = None,
                             start_delay: Optional[timedelta] = None,
                             **_ignored: Any) -> WorkflowHandle:
        """Starts one run (sched.start_workflow); `arg` is the single positional
        argument, `args` several."""
        all_args = list(args) if arg is _ARG_UNSET else [arg]
        reuse = policy_name(id_reuse_policy) or "allow_duplicate"
        conflict = policy_name(id_conflict_policy)
        if conflict in (None, "unspecified"):
            conflict = "fail"
        if reuse == "terminate_if_running":
            reuse, conflict = "allow_duplicate", "terminate_existing"
        if start_delay is not None and start_delay == timedelta(0):
            start_delay = None
        try:
            cur = await self._conn.execute(
                "SELECT sched.start_workflow(%s, %s, %s, args => %s, cron_schedule => %s, "
                "start_delay => %s::interval, id_reuse_policy => %s, id_conflict_policy => %s, "
                "execution_timeout => %s::interval, run_timeout => %s::interval, "
                "retry_policy => %s, memo => %s)",
                (_workflow.name_of(workflow), id, task_queue, Jsonb(all_args),
                 cron_schedule or None, duration_text(start_delay), reuse, conflict,
                 duration_text(execution_timeout), duration_text(run_timeout),
                 Jsonb(retry_policy._to_json()) if retry_policy is not None else None,
                 Jsonb(dict(memo)) if memo is not None else None))
            run_id = str((await cur.fetchone())[0])
        except psycopg.Error as e:
            raise translate(e, WorkflowAlreadyStartedError if e.sqlstate == "23505"
                            else RPCError) from e
        return WorkflowHandle(self, id, run_id=run_id)

    async def execute_workflow(self, workflow: Any, arg: Any = _ARG_UNSET,
                               **kwargs: Any) -> Any:
        handle = await self.start_workflow(workflow, arg, **kwargs)
        return await handle.result()

    def get_workflow_handle(self, workflow_id: str, *, run_id: Optional[str] = None
                            ) -> WorkflowHandle:
        return WorkflowHandle(self, workflow_id, run_id=run_id)

    def get_workflow_handle_for(self, workflow: Any, workflow_id: str, **kw: Any
                                ) -> WorkflowHandle:
        return self.get_workflow_handle(workflow_id, **kw)
