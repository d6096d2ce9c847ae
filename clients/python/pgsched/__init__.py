"""pgsched: a Python client for pg_sched with the shape of Temporal's Python SDK.

    from pgsched.client import Client, Schedule, ScheduleActionStartWorkflow, ...
    from pgsched.worker import Worker
    from pgsched import workflow          # @workflow.defn, @workflow.run, workflow.info()
    from pgsched.common import RetryPolicy

Needs psycopg 3 (Debian: python3-psycopg) and the standard library only.
"""

from . import workflow  # noqa: F401
from .client import (Client, Schedule, ScheduleActionStartWorkflow, ScheduleAuditEntry,  # noqa
                     ScheduleBackfill, ScheduleBackfillResult, ScheduleTriggerResult,
                     ScheduleCalendarSpec, ScheduleCatchupMode, ScheduleCount,
                     ScheduleCountAggregationGroup, ScheduleDescription, ScheduleDstPolicy,
                     ScheduleDstRepeated, ScheduleDstSkipped, ScheduleExplainRow, ScheduleHandle,
                     ScheduleIntervalSpec, ScheduleOverlapPolicy, SchedulePolicy, ScheduleRange,
                     ScheduleSpec, ScheduleState, ScheduleUpdate, ScheduleUpdateInput,
                     WorkflowExecutionStatus, WorkflowHandle)
from .common import (RetryPolicy, SearchAttributeIndexedValueType, SearchAttributeKey,  # noqa
                     SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy,
                     WorkflowIDReusePolicy)
from .exceptions import (ApplicationError, RPCError, RPCStatusCode,  # noqa
                         ScheduleAlreadyRunningError, WorkflowAlreadyStartedError,
                         WorkflowFailureError)
from .worker import Worker  # noqa: F401

__version__ = "0.3.0"
