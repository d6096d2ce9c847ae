"""Errors, named as in temporalio (temporalio.service.RPCError, temporalio.client's
WorkflowFailureError, ...).  Server errors keep their SQLSTATE in `.sqlstate`."""

from __future__ import annotations

import enum
from typing import Any, Optional

import psycopg


class RPCStatusCode(enum.IntEnum):
    """The gRPC codes that pg_sched's SQLSTATEs correspond to."""

    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    FAILED_PRECONDITION = 9
    ABORTED = 10


_STATUS = {
    "22023": RPCStatusCode.INVALID_ARGUMENT,
    "42704": RPCStatusCode.NOT_FOUND,
    "23505": RPCStatusCode.ALREADY_EXISTS,
    "55000": RPCStatusCode.FAILED_PRECONDITION,
    "40001": RPCStatusCode.ABORTED,
}


class TemporalError(Exception):
    """Base of every error of this package (Temporal's name)."""


class RPCError(TemporalError):
    """A call refused by the server: `status` (gRPC-like), `sqlstate`, `message`."""

    def __init__(self, message: str, status: RPCStatusCode, sqlstate: Optional[str]):
        super().__init__(message)
        self.message = message
        self.status = status
        self.sqlstate = sqlstate


class ScheduleAlreadyRunningError(RPCError):
    """create_schedule with an id that exists."""


class WorkflowAlreadyStartedError(RPCError):
    """start_workflow refused by the id conflict or reuse policy."""


class ApplicationError(TemporalError):
    """Raise it from a workflow to set the error type or make the failure final."""

    def __init__(self, message: str, *details: Any, type: Optional[str] = None,
                 non_retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.details = details
        self.type = type
        self.non_retryable = non_retryable


class WorkflowFailureError(TemporalError):
    """result() of a run that did not complete: `status` (failed, canceled,
    terminated, timed_out), `message`, `error_type` and the run's `raw` description."""

    def __init__(self, status: str, message: Optional[str], error_type: Optional[str],
                 raw: dict):
        super().__init__(f"workflow execution {status}: {message or ''}".rstrip(": "))
        self.status = status
        self.message = message
        self.error_type = error_type
        self.raw = raw
        self.cause = ApplicationError(message or status, type=error_type)


def translate(err: psycopg.Error, cls: type = RPCError) -> RPCError:
    """A psycopg error as an RPCError (or the given subclass)."""
    state = getattr(err, "sqlstate", None)
    diag = getattr(err, "diag", None)
    message = (diag.message_primary if diag is not None and diag.message_primary else str(err))
    return cls(message, _STATUS.get(state or "", RPCStatusCode.UNKNOWN), state)
