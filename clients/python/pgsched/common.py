"""Shared types and conversions of the pgsched client (temporalio.common's names).

Durations go to the server as interval text ("90 seconds", "0.250000 seconds"),
which every pg_sched duration field reads; datetimes as RFC 3339 with an offset
(a naive datetime is taken as UTC, as the Temporal SDK does).  Durations come
back as ISO 8601 ("PT1H30M", "P365D"), times as RFC 3339.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Sequence

from psycopg.adapt import AdaptersMap
from psycopg.types.datetime import TimestamptzBinaryLoader, TimestamptzLoader


@dataclass
class RetryPolicy:
    """Temporal's RetryPolicy: how a failed (or run-timed-out) run is retried."""

    initial_interval: timedelta = timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    maximum_interval: Optional[timedelta] = None
    maximum_attempts: int = 0
    non_retryable_error_types: Optional[Sequence[str]] = None

    def _to_json(self) -> dict:
        out: dict = {
            "initial_interval": duration_text(self.initial_interval),
            "backoff_coefficient": self.backoff_coefficient,
            "maximum_attempts": self.maximum_attempts,
        }
        if self.maximum_interval is not None:
            out["maximum_interval"] = duration_text(self.maximum_interval)
        if self.non_retryable_error_types:
            out["non_retryable_error_types"] = list(self.non_retryable_error_types)
        return out

    @staticmethod
    def _from_json(obj: Optional[dict]) -> Optional["RetryPolicy"]:
        if obj is None:
            return None
        return RetryPolicy(
            initial_interval=parse_duration(obj.get("initial_interval")) or timedelta(seconds=1),
            backoff_coefficient=obj.get("backoff_coefficient", 2.0),
            maximum_interval=parse_duration(obj.get("maximum_interval")),
            maximum_attempts=obj.get("maximum_attempts", 0),
            non_retryable_error_types=list(obj.get("non_retryable_error_types") or []),
        )


class WorkflowIDReusePolicy(enum.IntEnum):
    """What a start does when every run of the workflow id is closed."""

    ALLOW_DUPLICATE = 1
    ALLOW_DUPLICATE_FAILED_ONLY = 2
    REJECT_DUPLICATE = 3
    TERMINATE_IF_RUNNING = 4  # = allow_duplicate plus id_conflict_policy terminate_existing


class WorkflowIDConflictPolicy(enum.IntEnum):
    """What a start does when the workflow id has an open run."""

    UNSPECIFIED = 0  # the server's default: fail
    FAIL = 1
    USE_EXISTING = 2
    TERMINATE_EXISTING = 3


def policy_name(value: Any) -> Optional[str]:
    """An enum member (or a string) as the server's lower-case policy name."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return value.name.lower()
    return str(value).lower()


def duration_text(value: Any) -> Optional[str]:
    """A timedelta (or a number of seconds, or text) as PostgreSQL interval text."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        us = value // timedelta(microseconds=1)
        sign = "-" if us < 0 else ""
        sec, frac = divmod(abs(us), 1_000_000)
        if frac:
            return f"{sign}{sec}.{frac:06d} seconds"
        return f"{sign}{sec} seconds"
    if isinstance(value, (int, float)):
        return f"{value} seconds"
    return str(value)


_ISO_DURATION = re.compile(
    r"^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: Any) -> Optional[timedelta]:
    """An ISO 8601 duration ("PT1H30M", "P365D") or a number of seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    m = _ISO_DURATION.match(str(value))
    if not m:
        raise ValueError(f"unexpected duration from the server: {value!r}")
    neg, w, d, h, mi, s = m.groups()
    td = timedelta(
        weeks=int(w or 0), days=int(d or 0), hours=int(h or 0), minutes=int(mi or 0),
        seconds=float(s or 0),
    )
    return -td if neg else td


def time_text(value: Optional[datetime]) -> Optional[str]:
    """A datetime as RFC 3339 with an offset; naive means UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def parse_time(value: Any) -> Optional[datetime]:
    """A time from the server, always with tzinfo datetime.timezone.utc."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return value.astimezone(timezone.utc)


# Every time the client returns carries datetime.timezone.utc, whether it came
# in JSON (describe) or as a timestamptz column (poll's nominal_time), which
# psycopg would otherwise return in the session's TimeZone (ZoneInfo("Etc/UTC"),
# or a local zone).
class _UtcTimestamptzLoader(TimestamptzLoader):
    def load(self, data: Any) -> datetime:
        return super().load(data).astimezone(timezone.utc)


class _UtcTimestamptzBinaryLoader(TimestamptzBinaryLoader):
    def load(self, data: Any) -> datetime:
        return super().load(data).astimezone(timezone.utc)


def utc_timestamps(adapters: AdaptersMap) -> None:
    """Makes a connection's timestamptz values come back in UTC (timezone.utc)."""
    adapters.register_loader("timestamptz", _UtcTimestamptzLoader)
    adapters.register_loader("timestamptz", _UtcTimestamptzBinaryLoader)


# ---------------------------------------------------------------- search attributes
# temporalio.common's typed search attributes: a key names an attribute and its
# indexed type (registered on the server with sched.add_search_attribute), a
# pair gives it a value, TypedSearchAttributes is the whole set of a schedule.


class SearchAttributeIndexedValueType(enum.IntEnum):
    TEXT = 1
    KEYWORD = 2
    INT = 3
    DOUBLE = 4
    BOOL = 5
    DATETIME = 6
    KEYWORD_LIST = 7


# pg_sched's type names (sched.search_attributes()), by indexed value type
_SA_TYPE_NAMES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}
_SA_TYPES_BY_NAME = {v: k for k, v in _SA_TYPE_NAMES.items()}


@dataclass(frozen=True)
class SearchAttributeKey:
    """A typed search attribute name: SearchAttributeKey.for_keyword("Env")."""

    name: str
    indexed_value_type: SearchAttributeIndexedValueType

    @staticmethod
    def for_text(name: str) -> "SearchAttributeKey":
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.TEXT)

    @staticmethod
    def for_keyword(name: str) -> "SearchAttributeKey":
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.KEYWORD)

    @staticmethod
    def for_int(name: str) -> "SearchAttributeKey":
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.INT)

    @staticmethod
    def for_float(name: str) -> "SearchAttributeKey":
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.DOUBLE)

    @staticmethod
    def for_bool(name: str) -> "SearchAttributeKey":
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.BOOL)

    @staticmethod
    def for_datetime(name: str) -> "SearchAttributeKey":
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.DATETIME)

    @staticmethod
    def for_keyword_list(name: str) -> "SearchAttributeKey":
        return SearchAttributeKey(name, SearchAttributeIndexedValueType.KEYWORD_LIST)

    def value_set(self, value: Any) -> "SearchAttributePair":
        return SearchAttributePair(self, value)


@dataclass(frozen=True)
class SearchAttributePair:
    key: SearchAttributeKey
    value: Any


@dataclass(frozen=True)
class TypedSearchAttributes:
    """The search attributes of a schedule; TypedSearchAttributes.empty has none."""

    search_attributes: Sequence[SearchAttributePair] = ()

    def __len__(self) -> int:
        return len(self.search_attributes)

    def __iter__(self):
        return iter(self.search_attributes)

    def __contains__(self, key: object) -> bool:
        return any(p.key == key for p in self.search_attributes)

    def get(self, key: SearchAttributeKey, default: Any = None) -> Any:
        for p in self.search_attributes:
            if p.key == key:
                return p.value
        return default

    def __getitem__(self, key: SearchAttributeKey) -> Any:
        for p in self.search_attributes:
            if p.key == key:
                return p.value
        raise KeyError(key)

    def _to_json(self) -> dict:
        out: dict = {}
        for p in self.search_attributes:
            v = p.value
            if isinstance(v, datetime):
                v = time_text(v)
            elif p.key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD_LIST:
                v = list(v)
            out[p.key.name] = v
        return out

    @staticmethod
    def _from_json(obj: Optional[dict], types: dict) -> "TypedSearchAttributes":
        pairs = []
        for name in sorted(obj or {}):
            t = _SA_TYPES_BY_NAME.get(types.get(name, ""), SearchAttributeIndexedValueType.KEYWORD)
            v = obj[name]
            if t == SearchAttributeIndexedValueType.DATETIME:
                v = parse_time(v)
            elif t == SearchAttributeIndexedValueType.DOUBLE:
                v = float(v)
            pairs.append(SearchAttributePair(SearchAttributeKey(name, t), v))
        return TypedSearchAttributes(pairs)


TypedSearchAttributes.empty = TypedSearchAttributes(())  # type: ignore[attr-defined]


def search_attributes_json(value: Any) -> Optional[dict]:
    """TypedSearchAttributes, or a plain mapping {name: value}, as the JSON object
    sched.create_schedule and sched.update take (None stays None)."""
    if value is None:
        return None
    if isinstance(value, TypedSearchAttributes):
        return value._to_json()
    out = {}
    for k, v in dict(value).items():
        out[k] = time_text(v) if isinstance(v, datetime) else v
    return out
