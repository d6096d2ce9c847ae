"""Issue 14 in the client: trigger with overlap, scheduled_time and overrides
(returning what it did), backfill with overrides (returning its counts), the
workflow id options (id_time_format on the action, Temporal's
keep_original_workflow_id on the policy), the audit trail, and the last
failure inside a workflow through the Worker (workflow.get_last_failure())."""

from datetime import datetime, timedelta, timezone

from support import DSN, AsyncTest, unique, wait_for

from pgsched import workflow
from pgsched.client import (Client, Schedule, ScheduleActionStartWorkflow, ScheduleBackfill,
                            ScheduleOverlapPolicy, SchedulePolicy, ScheduleSpec)
from pgsched.exceptions import ApplicationError, RPCError, RPCStatusCode
from pgsched.worker import Worker


@workflow.defn
class Flaky:
    @workflow.run
    async def run(self, fail: bool) -> dict:
        failure = workflow.get_last_failure()
        if fail:
            raise ApplicationError("quota exceeded", type="QuotaError")
        return {"saw_failure": workflow.has_last_failure(),
                "message": failure.message if failure else None,
                "type": failure.type if failure else None,
                "previous": workflow.get_last_completion_result()}


class OverrideTests(AsyncTest):
    async def asyncSetUp(self):
        self.client = await Client.connect(DSN)

    async def asyncTearDown(self):
        await self.client.close()

    async def test_trigger_and_backfill_say_what_they_did(self):
        sid, queue = unique("ovr"), unique("ovr-q")
        handle = await self.client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow("W", 1, id=sid, task_queue=queue,
                                               memo={"team": "a"}),
            spec=ScheduleSpec(cron_expressions=["0 * 1 1 * 2023"])))
        at = datetime(2030, 5, 1, 12, 0, 0, 750000, tzinfo=timezone.utc)
        r = await handle.trigger(scheduled_time=at, args=["override"], memo={"team": "b"})
        self.assertEqual(r.outcome, "started")
        self.assertEqual(r.workflow_id, f"{sid}-2030-05-01T12:00:00Z")
        self.assertEqual(r.nominal_time, at.replace(microsecond=0))
        desc = await self.client.get_workflow_handle(r.workflow_id)._raw()
        self.assertEqual(desc["args"], ["override"])
        self.assertEqual(desc["memo"], {"team": "b"})
        self.assertEqual(desc["run_id"], r.run_id)

        skipped = await handle.trigger()
        self.assertEqual((skipped.outcome, skipped.run_id), ("skipped", None))
        buffered = await handle.trigger(overlap=ScheduleOverlapPolicy.BUFFER_ONE)
        self.assertEqual(buffered.outcome, "buffered")

        res = await handle.backfill(
            ScheduleBackfill(datetime(2023, 1, 1, tzinfo=timezone.utc),
                             datetime(2023, 1, 1, 2, tzinfo=timezone.utc),
                             overlap=ScheduleOverlapPolicy.ALLOW_ALL, args=["bf"],
                             memo={"why": "gap"}))
        self.assertEqual((res.actions, res.started, res.buffered, res.skipped, res.pending),
                         (3, 3, 0, 0, 0))
        bf = await self.client.get_workflow_handle(f"{sid}-2023-01-01T01:00:00Z")._raw()
        self.assertEqual((bf["args"], bf["memo"]), (["bf"], {"why": "gap"}))

        with self.assertRaises(RPCError) as cm:
            await handle.trigger(args={"not": "a list"})  # type: ignore[arg-type]
        self.assertEqual(cm.exception.status, RPCStatusCode.INVALID_ARGUMENT)

        ops = [e.operation for e in await handle.audit()]
        self.assertEqual(ops, ["create", "trigger", "trigger", "trigger", "backfill"])
        entry = (await handle.audit())[1]
        self.assertEqual(entry.detail["outcome"], "started")
        self.assertEqual(entry.role, entry.session_role)
        await handle.delete()
        self.assertEqual((await handle.audit())[-1].operation, "delete")

    async def test_workflow_id_options_round_trip(self):
        sid = unique("ids")
        handle = await self.client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow("W", id=sid, task_queue="ids-q",
                                               id_time_format="YYYYMMDD"),
            spec=ScheduleSpec()))
        d = await handle.describe()
        self.assertEqual(d.schedule.action.id_time_format, "YYYYMMDD")
        self.assertFalse(d.schedule.policy.keep_original_workflow_id)
        r = await handle.trigger(scheduled_time=datetime(2031, 2, 3, tzinfo=timezone.utc))
        self.assertEqual(r.workflow_id, f"{sid}-20310203")

        keep = unique("keep")
        kh = await self.client.create_schedule(keep, Schedule(
            action=ScheduleActionStartWorkflow("W", id=keep, task_queue="ids-q"),
            spec=ScheduleSpec(),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL,
                                  keep_original_workflow_id=True)))
        d = await kh.describe()
        self.assertTrue(d.schedule.policy.keep_original_workflow_id)
        self.assertEqual((await kh.trigger()).workflow_id, keep)
        # the id has an open run: even allow_all cannot start a second one
        self.assertEqual((await kh.trigger()).outcome, "skipped")
        # update keeps the option (describe, change, send back)
        await kh.update(lambda u: u.description)
        d = await kh.describe()
        self.assertTrue(d.schedule.policy.keep_original_workflow_id)
        await handle.delete()
        await kh.delete()

    async def test_last_failure_reaches_the_next_run(self):
        sid, queue = unique("lf"), unique("lf-q")
        handle = await self.client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow(Flaky.run, True, id=sid, task_queue=queue),
            spec=ScheduleSpec()))
        async with Worker(self.client, task_queue=queue, workflows=[Flaky]):
            first = await handle.trigger(scheduled_time=datetime(2030, 1, 1, tzinfo=timezone.utc))

            async def closed(wf):
                async def check():
                    d = await self.client.get_workflow_handle(wf)._raw()
                    return d if d["status"] in ("completed", "failed") else None
                return check

            failed = await wait_for(await closed(first.workflow_id), timeout=15)
            self.assertEqual(failed["error_type"], "QuotaError")
            second = await handle.trigger(scheduled_time=datetime(2030, 1, 2, tzinfo=timezone.utc),
                                          args=[False])
            done = await wait_for(await closed(second.workflow_id), timeout=15)
            self.assertEqual(done["result"], {"saw_failure": True, "message": "quota exceeded",
                                              "type": "QuotaError", "previous": None})
            third = await handle.trigger(scheduled_time=datetime(2030, 1, 3, tzinfo=timezone.utc),
                                         args=[False])
            done = await wait_for(await closed(third.workflow_id), timeout=15)
            self.assertEqual(done["result"]["saw_failure"], False)
            self.assertEqual(done["result"]["previous"]["saw_failure"], True)
        await handle.delete()


if __name__ == "__main__":
    import unittest
    unittest.main()
