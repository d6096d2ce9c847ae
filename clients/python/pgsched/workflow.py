"""The workflow-side helpers of temporalio.workflow that make sense here:
`@workflow.defn` (optional; names the workflow, by default its class name),
`@workflow.run` (a marker), `workflow.info()`,
`workflow.get_last_completion_result()` and `workflow.get_last_failure()` inside a
running workflow.  There is no deterministic replay: a workflow's `run` is
ordinary async Python."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")

_NAME_ATTR = "__pgsched_workflow_name__"


def defn(cls: Optional[T] = None, *, name: Optional[str] = None, **_ignored: Any):
    """Marks a workflow class; `name` overrides the class name."""

    def wrap(c: T) -> T:
        setattr(c, _NAME_ATTR, name or c.__name__)  # type: ignore[attr-defined]
        return c

    return wrap(cls) if cls is not None else wrap


def run(fn: Callable) -> Callable:
    """Marks a workflow's entry point (the method is always `run`)."""
    return fn


def signal(fn: Optional[Callable] = None, **_ignored: Any):
    """Accepted for compatibility; signals are recorded on the run (see the README)."""
    return fn if fn is not None else (lambda f: f)


def name_of(workflow: Any) -> str:
    """The workflow type name of a class, its `run` method, or a string."""
    if isinstance(workflow, str):
        return workflow
    if isinstance(workflow, type):
        return getattr(workflow, _NAME_ATTR, workflow.__name__)
    owner = getattr(workflow, "__self__", None)  # a bound method
    if owner is not None:
        return name_of(owner if isinstance(owner, type) else type(owner))
    qual = getattr(workflow, "__qualname__", None)
    if qual:
        parts = qual.split(".")
        if len(parts) >= 2 and "<locals>" not in parts[-2]:
            cls = getattr(workflow, "__globals__", {}).get(parts[-2])
            if isinstance(cls, type):
                return name_of(cls)
            return parts[-2]
        return getattr(workflow, "__name__", qual)
    raise TypeError(f"cannot name workflow {workflow!r}: give a class, its run method or a string")


@dataclass(frozen=True)
class Info:
    """What a running workflow knows about its run."""

    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    attempt: int
    schedule_id: Optional[str]
    nominal_time: Optional[datetime]


_current: contextvars.ContextVar = contextvars.ContextVar("pgsched_workflow")


def info() -> Info:
    return _current.get()[0]


def get_last_completion_result(type_hint: Any = None) -> Any:
    """The result of the schedule's (or cron job's) last completed run, or None."""
    return _current.get()[1]


def has_last_completion_result() -> bool:
    return _current.get()[1] is not None


def get_last_failure() -> Optional[BaseException]:
    """The failure of the schedule's (or cron job's) last failed run, as an
    ApplicationError with its message and error type (`.type`), or None once a
    later run completed (Temporal's last failure)."""
    failure = _current.get()[2] if len(_current.get()) > 2 else None
    if failure is None:
        return None
    from .exceptions import ApplicationError  # avoids an import cycle
    err = ApplicationError(failure.get("message") or "", type=failure.get("error_type"))
    err.workflow_id = failure.get("workflow_id")  # type: ignore[attr-defined]
    err.run_id = failure.get("run_id")  # type: ignore[attr-defined]
    return err


def has_last_failure() -> bool:
    return len(_current.get()) > 2 and _current.get()[2] is not None
