"""The campaign engine against a fake Twilio and a controllable clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from conftest import ANBU_NUMBER, RunnerFactory, make_campaign
from fake_twilio import FakeTwilio
from sqlalchemy import Engine
from sqlmodel import select

from campaigns import claim, planner
from campaigns.clock import FakeClock
from store import alerts as alert_store
from store import attempts as attempt_store
from store import campaigns as campaign_store
from store import optouts
from store.db import session_scope
from store.models import CallAttempt, CampaignMember

KIM = ("Mrs Kim", "+12125550101", "America/New_York")
LEE = ("Mr Lee", "+442079460958", "Europe/London")
PARK = ("Mr Park", "+12125550102", "America/New_York")


def attempts(engine: Engine) -> list[CallAttempt]:
    with session_scope(engine) as s:
        return list(s.exec(select(CallAttempt).order_by(CallAttempt.id)))  # type: ignore[arg-type]


def test_calls_only_inside_each_persons_window(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM, LEE])
    runner = make_runner()
    # Monday 09:00 New York = 14:00 London: London's window (10-12) has closed, NY's not open.
    assert runner.tick().dialled == []
    clock.advance(hours=1)  # 10:00 New York
    runner.tick()
    assert fake_twilio.dials_to(KIM[1]) == 1 and fake_twilio.dials_to(LEE[1]) == 0
    call = fake_twilio.creates[0]
    assert call.from_ == ANBU_NUMBER
    assert call.param("Url") == "https://anbu.example/twilio/voice"
    assert call.param("StatusCallback").endswith("/twilio/status?attempt=1")
    assert call.params["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert call.param("MachineDetection") == "Enable" and call.param("AsyncAmd") == "true"
    assert call.param("AsyncAmdStatusCallback").endswith("/twilio/amd?attempt=1")
    runner.tick()  # the same window is never planned twice
    assert len(fake_twilio.creates) == 1
    # Thursday 10:30 London: Lee's window; Kim's opens at 15:00 UTC.
    clock.set(dt.datetime(2026, 3, 5, 10, 30, tzinfo=dt.UTC))
    runner.tick()
    assert fake_twilio.dials_to(LEE[1]) == 1 and fake_twilio.dials_to(KIM[1]) == 1


def test_dst_change_moves_the_utc_dial_time(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM], days="mon")
    runner = make_runner()
    clock.set(dt.datetime(2026, 3, 9, 14, 5, tzinfo=dt.UTC))  # 10:05 EDT, after the change
    runner.tick()
    assert fake_twilio.dials_to(KIM[1]) == 1
    clock.set(dt.datetime(2026, 3, 2, 14, 5, tzinfo=dt.UTC))  # 09:05 EST a week earlier
    assert runner.tick().dialled == []


def test_retries_with_delay_and_limit_then_unreachable_alert(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(
        engine, [KIM], retry_delay_minutes=20, max_attempts_per_window=3, unreachable_after=2
    )
    runner = make_runner()
    clock.advance(hours=1, minutes=1)  # Monday 10:01 New York
    for expected_dials in (1, 2, 3):
        runner.tick()
        assert fake_twilio.dials_to(KIM[1]) == expected_dials
        runner.on_status(fake_twilio.creates[-1].sid, "no-answer")
        runner.tick()  # the retry is not due yet
        assert fake_twilio.dials_to(KIM[1]) == expected_dials
        clock.advance(minutes=20)
    runner.tick()
    assert fake_twilio.dials_to(KIM[1]) == 3  # at most three per window
    rows = attempts(engine)
    assert [(a.attempt_no, a.outcome) for a in rows] == [(1, "no-answer")] * 1 + [
        (2, "no-answer"),
        (3, "no-answer"),
    ]
    with session_scope(engine) as s:
        member = s.exec(select(CampaignMember)).one()
        assert member.consecutive_unreached == 1
        assert alert_store.list_alerts(s) == []
    # Thursday: busy until the limit again → second window missed → the unreachable alert.
    clock.set(dt.datetime(2026, 3, 5, 15, 1, tzinfo=dt.UTC))
    for _ in range(3):
        runner.tick()
        runner.on_status(fake_twilio.creates[-1].sid, "busy")
        clock.advance(minutes=20)
    runner.tick()
    with session_scope(engine) as s:
        raised = alert_store.list_alerts(s)
        assert [(a.reason, a.severity) for a in raised] == [("unreachable", "urgent")]
    # Reached the next Monday: the streak resets and nothing more is raised.
    clock.set(dt.datetime(2026, 3, 9, 14, 1, tzinfo=dt.UTC))
    runner.tick()
    runner.on_dialog_finished(fake_twilio.creates[-1].sid, "completed")
    runner.on_status(fake_twilio.creates[-1].sid, "completed")
    with session_scope(engine) as s:
        assert s.exec(select(CampaignMember)).one().consecutive_unreached == 0
        assert len(alert_store.list_alerts(s)) == 1
    assert attempts(engine)[-1].outcome == "completed"


def test_retry_after_window_end_expires(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM], retry_delay_minutes=90)
    runner = make_runner()
    clock.set(dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC))  # 11:00, window ends at 12:00
    runner.tick()
    runner.on_status(fake_twilio.creates[-1].sid, "no-answer")
    clock.advance(minutes=90)  # 12:30: the retry came due after the window closed
    report = runner.tick()
    assert report.expired == 1 and report.dialled == []
    assert [(a.attempt_no, a.status, a.outcome) for a in attempts(engine)] == [
        (1, "done", "no-answer"),
        (2, "done", "expired"),
    ]
    assert fake_twilio.dials_to(KIM[1]) == 1


def test_pacing_and_concurrency_cap(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    people = [(f"P{i}", f"+1212555{i:04d}", "America/New_York") for i in range(200, 210)]
    make_campaign(engine, people, calls_per_second=2.0, max_concurrent=3)
    runner = make_runner()
    clock.advance(hours=1)
    assert len(runner.tick().dialled) == 2  # two per second
    assert len(runner.tick().dialled) == 0  # same instant: no more slots
    with session_scope(engine) as s:
        dial_times = sorted(a.dial_at for a in s.exec(select(CallAttempt)) if a.dial_at)
    assert dial_times[1] - dial_times[0] == dt.timedelta(seconds=0.5)
    clock.advance(seconds=1)
    assert len(runner.tick().dialled) == 1  # a slot is free but the cap (3 at once) is reached
    clock.advance(seconds=5)
    assert runner.tick().dialled == []
    runner.on_status(fake_twilio.creates[0].sid, "busy")
    runner.on_status(fake_twilio.creates[1].sid, "completed")
    assert len(runner.tick().dialled) == 2
    with session_scope(engine) as s:
        assert attempt_store.in_flight(s, 1) == 3


def test_opt_outs_and_do_not_call_are_never_dialled(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM, LEE, PARK], days="mon,tue,wed,thu,fri,sat,sun")
    with session_scope(engine) as s:
        optouts.add_opt_out(s, KIM[1], source="call")
        campaign_store.add_do_not_call(s, LEE[1], "family asked")
    runner = make_runner()
    clock.set(dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC))
    runner.tick()
    assert fake_twilio.dials_to(PARK[1]) == 1
    # Park opts out on the call; the next windows never dial him again.
    runner.on_dialog_finished(fake_twilio.creates[-1].sid, "opted_out")
    with session_scope(engine) as s:
        optouts.add_opt_out(s, PARK[1], source="call")
    for day in range(1, 4):
        clock.set(dt.datetime(2026, 3, 2 + day, 10, 30, tzinfo=dt.UTC))  # London
        runner.tick()
        clock.set(dt.datetime(2026, 3, 2 + day, 15, 30, tzinfo=dt.UTC))  # New York
        runner.tick()
    assert [c.to for c in fake_twilio.creates] == [PARK[1]]
    assert attempts(engine)[0].outcome == "opted_out"
    # An opt-out heard after an attempt was planned (but before it was dialled) also holds.
    with session_scope(engine) as s:
        aid = attempt_store.plan_attempt(
            s,
            campaign_id=1,
            person_id=3,
            script="wellness_checkin",
            to_number=PARK[1],
            window_start=clock.now(),
            window_end=clock.now() + dt.timedelta(hours=1),
            due_at=clock.now(),
            attempt_no=5,
        )
    runner.tick()
    assert len(fake_twilio.creates) == 1
    with session_scope(engine) as s:
        assert (attempt_store.get_attempt(s, aid) or CallAttempt()).outcome == "blocked"  # type: ignore[call-arg]


def test_voicemail_leaves_message_and_counts_as_not_reached(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM], retry_outcomes="no-answer,busy,failed,voicemail")
    runner = make_runner(
        voicemail_twiml=lambda script: f"<Response><Say>{script}</Say><Hangup/></Response>"
    )
    clock.advance(hours=1)
    runner.tick()
    sid = fake_twilio.creates[-1].sid
    assert runner.on_machine(sid, "machine_end_beep", attempt_id=1) is True
    update = fake_twilio.calls[sid].updates[-1]
    assert "<Say>wellness_checkin</Say><Hangup/>" in update["Twiml"]
    runner.on_dialog_finished(sid, None)  # the stream ends when the message is over
    runner.on_status(sid, "completed")
    first = attempts(engine)[0]
    assert (first.outcome, first.answered_by) == ("voicemail", "machine_end_beep")
    assert attempts(engine)[1].attempt_no == 2  # voicemail was configured to retry
    with session_scope(engine) as s:
        assert s.exec(select(CampaignMember)).one().consecutive_unreached == 0  # window open
    # A human answering is not a voicemail, and nothing is sent to the call.
    clock.advance(minutes=30)
    runner.tick()
    human = fake_twilio.creates[-1].sid
    assert runner.on_machine(human, "human") is False
    assert fake_twilio.calls[human].updates == []


def test_refused_dial_fails_without_retrying_forever(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM], max_attempts_per_window=2, retry_delay_minutes=0)
    runner = make_runner()
    clock.advance(hours=1)
    fake_twilio.fail_next_create = 400
    runner.tick()
    assert attempts(engine)[0].outcome == "failed" and attempts(engine)[0].call_sid is None
    runner.tick()
    assert fake_twilio.dials_to(KIM[1]) == 1  # the retry
    runner.on_status(fake_twilio.creates[-1].sid, "failed")
    runner.tick()
    assert fake_twilio.dials_to(KIM[1]) == 1 and len(attempts(engine)) == 2


def test_reconcile_adopts_a_placed_call_and_requeues_an_unplaced_one(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    """A process died after committing "dialing": whether Twilio got the request decides."""
    make_campaign(engine, [KIM, PARK])
    clock.advance(hours=1)
    dead = make_runner()
    planner.plan(engine, clock.now())
    claimed = claim.claim_campaign(engine, 1, now=clock.now(), owner="dead")
    assert len(claimed) == 2
    with session_scope(engine) as s:
        for a in attempt_store.with_status(s, ["claimed"]):
            attempt_store.set_status(s, a, "dialing")
    # Twilio did receive Kim's call (its reply was lost); Park's request never left.
    kim_sid = dead.dialer.place(dead._request(attempts(engine)[0]))
    fake_twilio.set_status(kim_sid, "no-answer")
    restarted = make_runner()
    assert restarted.reconcile(sole=True) == 2
    kim, park = attempts(engine)[:2]
    assert (kim.call_sid, kim.status, kim.outcome) == (kim_sid, "done", "no-answer")
    assert (park.status, park.call_sid) == ("pending", None)
    restarted.tick()
    assert fake_twilio.dials_to(PARK[1]) == 1
    assert fake_twilio.dials_to(KIM[1]) == 1  # never re-dialled; its retry waits 30 minutes
    clock.advance(minutes=30)
    restarted.tick()
    assert fake_twilio.dials_to(KIM[1]) == 2
    assert [a.attempt_no for a in attempts(engine) if a.to_number == KIM[1]] == [1, 2]


def test_one_off_call_uses_the_same_dialer(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio
) -> None:
    runner = make_runner()
    attempt_id = runner.place_now("+12125550199", "wellness_checkin")
    assert fake_twilio.dials_to("+12125550199") == 1
    with session_scope(engine) as s:
        a = attempt_store.get_attempt(s, attempt_id)
        assert a is not None and a.status == "ringing" and a.campaign_id is None
        campaign_store.add_do_not_call(s, "+12125550198")
    try:
        runner.place_now("+12125550198", "wellness_checkin")
    except PermissionError:
        pass
    else:
        raise AssertionError("a do-not-call number was accepted")
    assert fake_twilio.dials_to("+12125550198") == 0
