"""Lost provider events and numbers blocked at claim time, against the fake Twilio.

* A status callback that beats the create reply names a CallSid no attempt has yet, so it is
  dropped; the periodic reconciliation asks Twilio once the attempt has been silent for
  ``check_after`` and settles it (the choice documented in :meth:`CampaignRunner.reconcile`).
* A process that crashed right after dialling left a fresh ``dialing`` attempt: the restarted
  process adopts the call Twilio has instead of dialling again.
* A number put on the do-not-call list (or opted out) after its attempt was planned is recorded
  as ``blocked``: not reaching the person, so the unreachable streak neither resets nor grows.
"""

from __future__ import annotations

import datetime as dt
import threading

from conftest import RunnerFactory, make_campaign
from fake_twilio import FakeTwilio
from sqlalchemy import Engine, update
from sqlmodel import col, select

from campaigns import claim, planner
from campaigns.clock import FakeClock
from store import alerts as alert_store
from store import attempts as attempt_store
from store import campaigns as campaign_store
from store import optouts
from store.db import session_scope
from store.models import CallAttempt, CampaignMember

KIM = ("Mrs Kim", "+12125550101", "America/New_York")
PARK = ("Mr Park", "+12125550102", "America/New_York")
EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"


def attempts(engine: Engine) -> list[CallAttempt]:
    with session_scope(engine) as s:
        return list(s.exec(select(CallAttempt).order_by(col(CallAttempt.id))))


def age(engine: Engine, attempt_id: int, minutes: float) -> None:
    """Let ``minutes`` of store time pass for one attempt (its last status change)."""
    with session_scope(engine) as s:
        row = s.get(CallAttempt, attempt_id)
        assert row is not None
        s.execute(
            update(CallAttempt)
            .where(col(CallAttempt.id) == attempt_id)
            .values(updated_at=row.updated_at - dt.timedelta(minutes=minutes))
        )


def test_status_callback_racing_the_create_reply_is_settled_by_reconciliation(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM])
    runner = make_runner()
    clock.advance(hours=1)  # Monday 10:00 New York
    fake_twilio.hold_from = 1  # Twilio has the call; its create reply is slow
    ticking = threading.Thread(target=runner.tick)
    ticking.start()
    assert fake_twilio.holding.wait(30)
    sid = fake_twilio.creates[0].sid
    # The line is busy: Twilio's callbacks arrive before the create reply does.
    fake_twilio.set_status(sid, "busy")
    runner.on_status(sid, "initiated")
    runner.on_status(sid, "busy")
    (attempt,) = attempts(engine)
    assert (attempt.status, attempt.call_sid, attempt.outcome) == ("dialing", None, None)
    fake_twilio.release()
    ticking.join(30)
    (attempt,) = attempts(engine)
    assert (attempt.status, attempt.call_sid) == ("ringing", sid)  # the busy callback was lost
    assert attempt.id is not None

    runner.tick()  # just heard from: left to its callbacks, Twilio is not asked
    assert fake_twilio.fetches.get(sid, 0) == 0 and attempts(engine)[0].status == "ringing"
    age(engine, attempt.id, minutes=3)  # silent for longer than check_after (2 minutes)
    report = runner.tick()
    assert report.reconciled == 1 and fake_twilio.fetches[sid] == 1
    first, retry = attempts(engine)
    assert (first.status, first.outcome) == ("done", "busy")
    assert (retry.attempt_no, retry.status) == (2, "pending")  # busy is retried, 30 min later
    assert fake_twilio.dials_to(KIM[1]) == 1


def test_periodic_check_leaves_a_live_call_alone_and_spaces_the_next_check(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM])
    runner = make_runner()
    clock.advance(hours=1)
    runner.tick()
    sid = fake_twilio.creates[0].sid
    runner.on_status(sid, "in-progress")
    fake_twilio.set_status(sid, "in-progress")
    (attempt,) = attempts(engine)
    assert attempt.id is not None and attempt.status == "in_progress"
    age(engine, attempt.id, minutes=3)  # a long conversation, no callbacks meanwhile
    assert runner.tick().reconciled == 0 and fake_twilio.fetches[sid] == 1
    runner.tick()
    assert fake_twilio.fetches[sid] == 1  # checked once, not on every tick
    assert attempts(engine)[0].status == "in_progress"
    # The completed callback is lost too: the next check settles the attempt.
    fake_twilio.set_status(sid, "completed")
    age(engine, attempt.id, minutes=3)
    assert runner.tick().reconciled == 1
    assert (attempts(engine)[0].status, attempts(engine)[0].outcome) == ("done", "completed")


def test_restart_adopts_a_crashed_process_fresh_dial_instead_of_dialling_again(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(engine, [KIM, PARK])
    clock.advance(hours=1)
    dead = make_runner()
    planner.plan(engine, clock.now())
    assert len(claim.claim_campaign(engine, 1, now=clock.now(), owner="dead")) == 2
    with session_scope(engine) as s:
        for a in attempt_store.with_status(s, ["claimed"]):
            attempt_store.set_status(s, a, "dialing")
    # Kim's call reached Twilio and the process died before the reply; Park's never left.
    kim_sid = dead.dialer.place(dead._request(attempts(engine)[0]))
    clock.advance(seconds=20)  # restarted well inside stale_after

    restarted = make_runner()
    assert restarted.reconcile(startup=True) == 1
    kim, park = attempts(engine)
    assert (kim.status, kim.call_sid) == ("ringing", kim_sid)  # adopted, still ringing
    assert (park.status, park.call_sid) == ("dialing", None)  # maybe a live dialler's: left
    assert restarted.tick().dialled == []
    assert fake_twilio.dials_to(KIM[1]) == 1 and fake_twilio.dials_to(PARK[1]) == 0
    # Kim's callbacks now find the attempt.
    restarted.on_status(kim_sid, "completed")
    assert (attempts(engine)[0].status, attempts(engine)[0].outcome) == ("done", "completed")
    # Once Park's dial is stale and Twilio has no such call, it was never placed: dial it.
    clock.advance(minutes=3)
    restarted.tick()
    assert fake_twilio.dials_to(PARK[1]) == 1 and fake_twilio.dials_to(KIM[1]) == 1
    assert len(attempts(engine)) == 2


def test_number_blocked_at_claim_time_is_blocked_and_keeps_the_streak(
    engine: Engine, make_runner: RunnerFactory, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    make_campaign(
        engine, [KIM, PARK], days=EVERY_DAY, max_attempts_per_window=1, unreachable_after=2
    )
    runner = make_runner()
    clock.advance(hours=1)  # Monday 10:00: neither answers
    runner.tick()
    for call in fake_twilio.creates:
        runner.on_status(call.sid, "no-answer")

    def streaks() -> list[int]:
        with session_scope(engine) as s:
            members = s.exec(select(CampaignMember).order_by(col(CampaignMember.id)))
            return [m.consecutive_unreached for m in members]

    assert streaks() == [1, 1]
    # Tuesday's attempts are planned; then Kim's family asks for no calls and Park opts out.
    clock.advance(days=1)
    assert planner.plan(engine, clock.now()) == 2
    with session_scope(engine) as s:
        campaign_store.add_do_not_call(s, KIM[1], "family asked")
        optouts.add_opt_out(s, PARK[1], source="operator")
    report = runner.tick()
    assert report.dialled == [] and len(fake_twilio.creates) == 2
    tuesday = attempts(engine)[2:]
    assert [(a.status, a.outcome, a.call_sid) for a in tuesday] == [("done", "blocked", None)] * 2
    assert streaks() == [1, 1]  # not reset (nobody was reached), not grown (nobody was tried)
    with session_scope(engine) as s:
        assert alert_store.list_alerts(s) == []  # a second "unreached" window would raise one
        assert campaign_store.outcome_counts(s, 1) == {"no-answer": 2, "blocked": 2}
    clock.advance(days=1)
    runner.tick()  # never planned again
    assert len(attempts(engine)) == 4 and len(fake_twilio.creates) == 2
