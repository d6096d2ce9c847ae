"""Client mapping: every option of a schedule goes to pg_sched and comes back
from describe() as the same Python values; errors map to temporalio's
exception names; update() retries on a stale conflict token; workflow id
policies; duration and time conversions."""

import unittest
from datetime import datetime, timedelta, timezone

from support import DSN, AsyncTest, unique

from pgsched.client import (Client, Schedule, ScheduleActionStartWorkflow, ScheduleBackfill,
                            ScheduleCalendarSpec, ScheduleCatchupMode, ScheduleDstPolicy,
                            ScheduleDstRepeated,
                            ScheduleDstSkipped, ScheduleIntervalSpec, ScheduleOverlapPolicy,
                            SchedulePolicy, ScheduleRange, ScheduleSpec, ScheduleState,
                            ScheduleUpdate)
from pgsched.common import (RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy,
                            duration_text, parse_duration, time_text)
from pgsched.exceptions import (RPCError, RPCStatusCode, ScheduleAlreadyRunningError,
                                WorkflowAlreadyStartedError)


class Conversions(unittest.TestCase):
    def test_durations_and_times(self):
        self.assertEqual(duration_text(timedelta(minutes=2)), "120 seconds")
        self.assertEqual(duration_text(timedelta(milliseconds=1500)), "1.500000 seconds")
        self.assertEqual(parse_duration("PT1H30M"), timedelta(hours=1, minutes=30))
        self.assertEqual(parse_duration("P365D"), timedelta(days=365))
        self.assertEqual(parse_duration("PT0.25S"), timedelta(milliseconds=250))
        self.assertEqual(time_text(datetime(2025, 1, 2, 3, 4, 5)), "2025-01-02T03:04:05+00:00")


class ClientTests(AsyncTest):
    async def asyncSetUp(self):
        self.client = await Client.connect(DSN)

    async def asyncTearDown(self):
        await self.client.close()

    async def test_every_option_round_trips(self):
        sid = unique("full")
        start = datetime(2025, 1, 1, tzinfo=timezone.utc)
        handle = await self.client.create_schedule(
            sid,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    "SyncCrm", "accounts", {"full": False}, id=sid, task_queue="sync",
                    execution_timeout=timedelta(hours=1), run_timeout=timedelta(minutes=20),
                    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=10),
                                             maximum_attempts=5,
                                             non_retryable_error_types=["Fatal"]),
                    memo={"team": "sales-ops"}),
                spec=ScheduleSpec(
                    calendars=[ScheduleCalendarSpec(
                        second=[ScheduleRange(0)], minute=[ScheduleRange(0, 30, 30)],
                        hour=[ScheduleRange(9, 17)], day_of_week=[ScheduleRange(1, 5)],
                        comment="weekdays")],
                    intervals=[ScheduleIntervalSpec(every=timedelta(hours=6),
                                                    offset=timedelta(minutes=5))],
                    cron_expressions=["0 12 * * sat"],
                    skip=[ScheduleCalendarSpec(month=[ScheduleRange(12)],
                                               day_of_month=[ScheduleRange(25)],
                                               hour=[ScheduleRange(0, 23)],
                                               minute=[ScheduleRange(0, 59)],
                                               second=[ScheduleRange(0, 59)])],
                    start_at=start, end_at=datetime(2099, 1, 1, tzinfo=timezone.utc),
                    jitter=timedelta(minutes=2), time_zone_name="America/New_York"),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE,
                                      catchup_window=timedelta(minutes=10),
                                      pause_on_failure=True),
                state=ScheduleState(note="owned by sales-ops", paused=True,
                                    limited_actions=True, remaining_actions=1000)),
            trigger_immediately=True,
            backfill=[ScheduleBackfill(datetime(2025, 6, 2, 13, tzinfo=timezone.utc),
                                       datetime(2025, 6, 2, 15, 10, tzinfo=timezone.utc),
                                       ScheduleOverlapPolicy.ALLOW_ALL)],
            memo={"ticket": "OPS-1234"})
        d = await handle.describe()
        s = d.schedule
        self.assertEqual((s.action.workflow, s.action.args, s.action.id, s.action.task_queue),
                         ("SyncCrm", ["accounts", {"full": False}], sid, "sync"))
        self.assertEqual(s.action.execution_timeout, timedelta(hours=1))
        self.assertEqual(s.action.run_timeout, timedelta(minutes=20))
        self.assertEqual(s.action.retry_policy.initial_interval, timedelta(seconds=10))
        self.assertEqual(s.action.retry_policy.maximum_attempts, 5)
        self.assertEqual(s.action.retry_policy.non_retryable_error_types, ["Fatal"])
        self.assertEqual(s.action.memo, {"team": "sales-ops"})
        cal = s.spec.calendars[0]
        self.assertEqual(cal.hour, (ScheduleRange(9, 17),))
        self.assertEqual(cal.minute, (ScheduleRange(0), ScheduleRange(30)))  # normalised
        self.assertEqual(cal.comment, "weekdays")
        self.assertEqual(len(s.spec.calendars), 2)  # the cron string became a calendar
        self.assertEqual(s.spec.intervals[0].offset, timedelta(minutes=5))
        self.assertEqual(s.spec.skip[0].day_of_month, (ScheduleRange(25),))
        self.assertEqual((s.spec.start_at, s.spec.jitter, s.spec.time_zone_name),
                         (start, timedelta(minutes=2), "America/New_York"))
        self.assertEqual(s.policy, SchedulePolicy(ScheduleOverlapPolicy.BUFFER_ONE,
                                                  timedelta(minutes=10), True))
        self.assertEqual(s.state, ScheduleState("owned by sales-ops", True, True, 1000))
        self.assertEqual(await d.memo(), {"ticket": "OPS-1234"})
        # trigger_immediately (1) and the backfill (13:00-15:10 UTC on a Monday, :00 and :30
        # in New York = 09:00-11:00 local: 5 times; 10 more minutes for the jitter) each acted
        self.assertEqual(d.info.num_actions, 6)
        self.assertEqual(len(d.info.running_actions), 1)  # allow_all ones do not count
        self.assertIsInstance(d.info.created_at, datetime)
        await handle.delete()

    async def test_last_days_nth_weekdays_dst_and_explain(self):
        """Issue 14's spec options: negative day_of_month, nth weekdays, the DST
        policy; they come back from describe() as given, and explain() says why."""
        sid = unique("richer")
        spec = ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(1)], minute=[ScheduleRange(30)],
                                            day_of_month=[ScheduleRange(-3, -1)],
                                            comment="month end"),
                       ScheduleCalendarSpec(hour=[ScheduleRange(9)],
                                            day_of_week=[ScheduleRange(1, nth=3),
                                                         ScheduleRange(5, nth=-1)])],
            cron_expressions=["0 12 L * *"],
            time_zone_name="America/New_York",
            dst=ScheduleDstPolicy(repeated=ScheduleDstRepeated.FIRST,
                                  skipped=ScheduleDstSkipped.NEXT_VALID))
        handle = await self.client.create_schedule(
            sid, Schedule(action=ScheduleActionStartWorkflow("W", id=sid, task_queue="richer"),
                          spec=spec))
        try:
            got = (await handle.describe()).schedule.spec
            self.assertEqual(got.dst, ScheduleDstPolicy(ScheduleDstRepeated.FIRST,
                                                        ScheduleDstSkipped.NEXT_VALID))
            self.assertEqual(got.calendars[0].day_of_month, (ScheduleRange(-3, -1),))
            self.assertEqual(got.calendars[1].day_of_week,
                             (ScheduleRange(1, nth=3), ScheduleRange(5, nth=-1)))
            self.assertEqual(got.calendars[2].day_of_month, (ScheduleRange(-1),))  # cron "L"
            rows = await handle.explain(datetime(2035, 1, 1, tzinfo=timezone.utc),
                                        datetime(2035, 1, 31, 23, 59, tzinfo=timezone.utc))
            # 3rd Monday (15th), last Friday (26th), last three days at 01:30, the 31st at noon
            self.assertEqual([(r.local_time.day, r.local_time.hour) for r in rows],
                             [(15, 9), (26, 9), (29, 1), (30, 1), (31, 1), (31, 12)])
            self.assertTrue(all(r.outcome == "fire" for r in rows))
            self.assertEqual(rows[2].matched, [{"calendar": 0, "comment": "month end"}])
            # a stored spec is canonical: its cron string is calendar 2 there
            self.assertEqual(rows[5].matched, [{"calendar": 2}])
            # fall back in New York: the second 01:30 is dropped by the policy
            fall = await self.client.explain_spec(
                ScheduleSpec(cron_expressions=["30 1 * * *"], time_zone_name="America/New_York",
                             dst=ScheduleDstPolicy(repeated=ScheduleDstRepeated.FIRST)),
                datetime(2024, 11, 3, tzinfo=timezone.utc),
                datetime(2024, 11, 3, 23, 59, tzinfo=timezone.utc), schedule_id=sid)
            self.assertEqual([(r.dst, r.outcome, r.utc_offset) for r in fall],
                             [("first_pass", "fire", "-04:00"),
                              ("second_pass", "dst_policy", "-05:00")])
            self.assertIsNotNone(fall[0].jitter)
        finally:
            await handle.delete()

    async def test_errors(self):
        sid = unique("err")
        sched = Schedule(action=ScheduleActionStartWorkflow("W", id=sid, task_queue="q"),
                         spec=ScheduleSpec(), state=ScheduleState(paused=True))
        await self.client.create_schedule(sid, sched)
        with self.assertRaises(ScheduleAlreadyRunningError) as cm:
            await self.client.create_schedule(sid, sched)
        self.assertEqual(cm.exception.status, RPCStatusCode.ALREADY_EXISTS)
        with self.assertRaises(RPCError) as cm:
            await self.client.get_schedule_handle(unique("nope")).describe()
        self.assertEqual(cm.exception.status, RPCStatusCode.NOT_FOUND)
        with self.assertRaises(RPCError) as cm:
            await self.client.create_schedule(unique("bad"), Schedule(
                action=sched.action,
                spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(25)])])))
        self.assertEqual(cm.exception.status, RPCStatusCode.INVALID_ARGUMENT)
        self.assertIn("hour", cm.exception.message)
        await self.client.get_schedule_handle(sid).delete()

    async def test_catchup_mode_concurrency_limit_and_unpause(self):
        import asyncio
        sid = unique("cm")
        handle = await self.client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow("W", id=sid, task_queue=sid),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ALL,
                                  catchup_mode=ScheduleCatchupMode.LATEST,
                                  concurrency_limit=4),
            state=ScheduleState(paused=True)))
        p = (await handle.describe()).schedule.policy
        self.assertEqual((p.catchup_mode, p.concurrency_limit),
                         (ScheduleCatchupMode.LATEST, 4))
        self.assertEqual(SchedulePolicy().catchup_mode, ScheduleCatchupMode.ALL)
        with self.assertRaises(RPCError) as cm:
            await self.client.create_schedule(unique("cmbad"), Schedule(
                action=ScheduleActionStartWorkflow("W", id=sid, task_queue="q"),
                spec=ScheduleSpec(),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL,
                                      concurrency_limit=2)))
        self.assertEqual(cm.exception.status, RPCStatusCode.INVALID_ARGUMENT)
        self.assertIn("concurrency_limit", cm.exception.message)
        await handle.delete()

        # unpause(catchup=...) replays the paused period; unpause() does not.
        # Times of the last 10 s are on time, so every mode fires them.
        every_second = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=1))])
        handles = {}
        for mode in ("replay", "plain"):
            handles[mode] = await self.client.create_schedule(unique("cm" + mode), Schedule(
                action=ScheduleActionStartWorkflow("W", id=unique("cmw"), task_queue="q"),
                spec=every_second,
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
                state=ScheduleState(paused=True)))
        await asyncio.sleep(2.5)
        before = datetime.now(timezone.utc)
        await handles["replay"].unpause(catchup=ScheduleCatchupMode.ALL)
        await handles["plain"].unpause()
        replayed = [a for a in (await handles["replay"].describe()).info.recent_actions
                    if a.scheduled_at < before]
        plain = [a for a in (await handles["plain"].describe()).info.recent_actions
                 if a.scheduled_at < before]
        self.assertGreaterEqual(len(replayed), 2)
        self.assertEqual(plain, [])
        for h in handles.values():
            await h.delete()

    async def test_update_retries_on_stale_token(self):
        sid = unique("upd")
        handle = await self.client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow("W", id=sid, task_queue="q"),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
            state=ScheduleState(paused=True)))
        calls = []

        async def updater(input):
            calls.append(input.description.conflict_token)
            if len(calls) == 1:  # someone else changes the schedule meanwhile
                await handle.unpause(note="changed concurrently")
                await handle.pause(note="changed concurrently")
            input.description.schedule.policy.overlap = ScheduleOverlapPolicy.BUFFER_ALL
            input.description.schedule.state.note = "updated"
            return ScheduleUpdate(schedule=input.description.schedule)
        await handle.update(updater)
        self.assertEqual(len(calls), 2)
        self.assertNotEqual(calls[0], calls[1])
        d = await handle.describe()
        self.assertEqual(d.schedule.policy.overlap, ScheduleOverlapPolicy.BUFFER_ALL)
        self.assertEqual(d.schedule.state.note, "updated")
        # an updater returning None changes nothing
        token = d.conflict_token
        await handle.update(lambda input: None)
        self.assertEqual((await handle.describe()).conflict_token, token)
        await handle.delete()

    async def test_workflow_id_policies(self):
        wid, q = unique("wf"), unique("q")
        h1 = await self.client.start_workflow("W", {"n": 1}, id=wid, task_queue=q)
        with self.assertRaises(WorkflowAlreadyStartedError):
            await self.client.start_workflow("W", id=wid, task_queue=q)
        h2 = await self.client.start_workflow(
            "W", id=wid, task_queue=q, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
        self.assertEqual(h1.run_id, h2.run_id)
        self.assertEqual((await h1.describe()).raw_description["args"], [{"n": 1}])
        h3 = await self.client.start_workflow(
            "W", id=wid, task_queue=q, id_reuse_policy=WorkflowIDReusePolicy.TERMINATE_IF_RUNNING,
            run_timeout=timedelta(minutes=1), execution_timeout=timedelta(hours=1),
            retry_policy=RetryPolicy(maximum_attempts=2))
        self.assertNotEqual(h3.run_id, h1.run_id)
        raw = (await h3.describe()).raw_description
        self.assertEqual((raw["run_timeout"], raw["execution_timeout"]), ("PT1M", "PT1H"))
        self.assertEqual(raw["retry_policy"]["maximum_attempts"], 2)
        await h3.terminate(reason="done")


if __name__ == "__main__":
    unittest.main()
