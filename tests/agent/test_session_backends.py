"""Whole conversations through CallSession on both databases (SQLite and PostgreSQL).

The golden conversations run on SQLite; these prove the same session code persists a booking, a
check-in's answers and alerts, and awkward input (NUL, 10 kB, non-ASCII) on PostgreSQL too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from agent.runtime import Runtime
from agent.session import CallSession
from agent.settings import Settings
from dialog.types import UserInput
from store import Alert, Answer, Call, Reservation, Turn
from store.db import session_scope
from store.people import get_or_create_person

TZ = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=TZ)


def _runtime(db_url: str, tmp_path: Path) -> Runtime:
    settings = Settings(data_dir=tmp_path, database_url=db_url, timezone=str(TZ), _env_file=None)
    return Runtime.create(settings)


def test_booking_is_persisted(engine, db_url: str, tmp_path: Path) -> None:
    runtime = _runtime(db_url, tmp_path)
    call = CallSession(
        runtime, script="reservation", call_sid="CAbackend1", from_number="+15550100001", now=NOW
    )
    call.start()
    for line in ["a table for 4 tomorrow at 7:30 pm", "it's John Smith", "yes", "no thanks"]:
        call.handle(UserInput.said(line))
    call.finish()
    with session_scope(runtime.db) as s:
        booked = s.exec(select(Reservation)).one()
        assert (booked.name, booked.party_size) == ("John Smith", 4)
        assert booked.starts_at.astimezone(TZ) == dt.datetime(2026, 11, 24, 19, 30, tzinfo=TZ)
        row = s.exec(select(Call).where(Call.call_sid == "CAbackend1")).one()
        assert row.outcome == "completed" and row.ended_at is not None
        turns = s.exec(select(Turn).where(Turn.call_id == row.id)).all()
        assert [t.speaker for t in turns].count("caller") == 4


def test_checkin_answers_and_alerts_are_persisted(engine, db_url: str, tmp_path: Path) -> None:
    runtime = _runtime(db_url, tmp_path)
    with session_scope(runtime.db) as s:
        person = get_or_create_person(s, name="Mrs Kim", phone="+15550100002", timezone=str(TZ))
        person_id = person.id
    call = CallSession(
        runtime,
        script="wellness_checkin",
        call_sid="CAbackend2",
        direction="outbound",
        to_number="+15550100002",
        person_id=person_id,
        person_name="Mrs Kim",
        now=NOW,
    )
    call.start()
    for line in [
        "yes it's me",
        "just some toast",
        "badly",
        "my knee hurts",
        "my left knee",
        "five",
        "okay I guess",
        "no I forgot",
        "nothing thanks",
    ]:
        call.handle(UserInput.said(line))
    with session_scope(runtime.db) as s:
        answers = {a.key: a.value for a in s.exec(select(Answer))}
        reasons = {a.reason for a in s.exec(select(Alert))}
    assert answers["pain"] == "some" and answers["pain_severity"] == 5
    assert answers["medication"] is False
    assert {"severe_pain", "missed_medication"} <= reasons


def test_awkward_input_is_stored_not_refused(engine, db_url: str, tmp_path: Path) -> None:
    runtime = _runtime(db_url, tmp_path)
    call = CallSession(runtime, script="reservation", call_sid="CAbackend3", now=NOW)
    call.start()
    inputs = ["book\x00 a table", "ü" * 10_000, "😀 très bien", "\x00"]
    for text in inputs:
        reply = call.handle(UserInput.said(text))
        assert reply.say  # always a reply
    with session_scope(runtime.db) as s:
        row = s.exec(select(Call).where(Call.call_sid == "CAbackend3")).one()
        caller = [
            t for t in s.exec(select(Turn).where(Turn.call_id == row.id)) if t.speaker == "caller"
        ]
    assert len(caller) == len(inputs)
    assert caller[0].text == "book a table"


def test_known_caller_is_recognised_by_number(engine, db_url: str, tmp_path: Path) -> None:
    runtime = _runtime(db_url, tmp_path)
    with session_scope(runtime.db) as s:
        person = get_or_create_person(s, name="Mrs Kim", phone="+12125550102", timezone=str(TZ))
        person_id = person.id
    earlier = CallSession(
        runtime,
        script="wellness_checkin",
        call_sid="CAknown1",
        direction="outbound",
        to_number="+12125550102",
        person_id=person_id,
        person_name="Mrs Kim",
        now=NOW,
    )
    earlier.start()
    for line in ["yes", "some soup", "well", "my knee hurts", "my left knee", "two"]:
        earlier.handle(UserInput.said(line))
    earlier.finish()

    # She phones the care line herself: no person given, only her caller ID.
    inbound = CallSession(
        runtime,
        script="wellness_checkin",
        call_sid="CAknown2",
        from_number="+12125550102",
        now=NOW + dt.timedelta(days=3),
    )
    greeting = inbound.start()
    assert "Mrs Kim" in greeting.text
    assert inbound.person_id == person_id
    follow_up = inbound.handle(UserInput.said("yes it's me"))
    assert "my left knee" in follow_up.text  # last call's answer, remembered
    with session_scope(runtime.db) as s:
        row = s.exec(select(Call).where(Call.call_sid == "CAknown2")).one()
    assert row.person_id == person_id

    stranger = CallSession(
        runtime, script="reservation", call_sid="CAknown3", from_number="+12015550123", now=NOW
    )
    assert stranger.person_id is None
