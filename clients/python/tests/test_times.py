"""Times the client returns carry datetime.timezone.utc everywhere, whatever the
session's TimeZone: in describe() (JSON) and in workflow.info().nominal_time
(a timestamptz column of sched.poll), which psycopg alone would return as
ZoneInfo('Etc/UTC') or in the session's zone."""

from datetime import datetime, timedelta, timezone

from support import DSN, AsyncTest, unique

from pgsched import workflow
from pgsched.client import (Client, Schedule, ScheduleActionStartWorkflow, ScheduleBackfill,
                            ScheduleIntervalSpec, ScheduleOverlapPolicy, ScheduleSpec)
from pgsched.worker import Worker

seen = []


@workflow.defn
class Remember:
    async def run(self) -> str:
        seen.append(workflow.info().nominal_time)
        return "ok"


class TimeZoneTests(AsyncTest):
    async def test_all_times_are_timezone_utc(self):
        # a session in another zone than the server's
        dsn = DSN + " options='-c TimeZone=Europe/Paris'"
        client = await Client.connect(dsn)
        try:
            sid, queue = unique("tz"), unique("tzq")
            start = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
            handle = await client.create_schedule(
                sid, Schedule(
                    action=ScheduleActionStartWorkflow(Remember.run, id=sid, task_queue=queue),
                    spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))],
                                      start_at=start)),
                backfill=[ScheduleBackfill(start, start, overlap=ScheduleOverlapPolicy.ALLOW_ALL)])
            desc = await handle.describe()
            times = [desc.info.created_at, desc.info.last_updated_at,
                     *desc.info.next_action_times, desc.schedule.spec.start_at]
            times += [a.scheduled_at for a in desc.info.recent_actions]
            async with Worker(client, task_queue=queue, workflows=[Remember]):
                result = await client.get_workflow_handle(f"{sid}-2025-03-01T12:00:00Z").result()
            self.assertEqual(result, "ok")
            times.append(seen[-1])
            self.assertEqual(seen[-1], start)
            for t in times:
                self.assertIs(t.tzinfo, timezone.utc, repr(t))
            await handle.delete()
        finally:
            await client.close()
