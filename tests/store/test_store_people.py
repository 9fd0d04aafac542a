"""People and the check-in's memory of earlier calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from store import Call, calls, people, session_scope


def test_get_or_create_by_phone(session: Session) -> None:
    a = people.get_or_create_person(
        session, name="Mrs Park", phone="+821055501234", timezone="Asia/Seoul", language="ko"
    )
    b = people.get_or_create_person(session, name="Misheard", phone="+821055501234")
    assert a.id == b.id and b.name == "Mrs Park" and b.timezone == "Asia/Seoul"
    assert people.find_person_by_phone(session, "+821055501234") is a
    assert people.find_person_by_phone(session, "+821000000000") is None
    c = people.get_or_create_person(session, name="No Phone")
    assert people.get_or_create_person(session, name="No Phone").id == c.id


def test_bad_phone_and_timezone_refused_without_echoing_the_number(session: Session) -> None:
    with pytest.raises(ValueError) as info:
        people.get_or_create_person(session, name="X", phone="010-5550-1234")
    assert "5550" not in str(info.value)
    with pytest.raises(ValueError):
        people.get_or_create_person(session, name="X", phone="+821055501234", timezone="Mars/Base")


def _checkin(
    s: Session, sid: str, person_id: int, started: datetime, answers: dict[str, object]
) -> int:
    call = calls.create_call(
        s, call_sid=sid, direction="outbound", line="care", script="checkin", person_id=person_id
    )
    call.started_at = started
    assert call.id is not None
    for key, value in answers.items():
        calls.add_answer(s, call.id, key=key, value=value, raw_text=str(value), confidence=0.9)
    return call.id


def test_previous_answers_returns_last_calls_values(engine: Engine) -> None:
    day = datetime(2030, 3, 1, 9, tzinfo=UTC)
    with session_scope(engine) as s:
        park = people.get_or_create_person(s, name="Mrs Park", phone="+821055501234")
        other = people.get_or_create_person(s, name="Mr Lee", phone="+821055505678")
        assert park.id is not None and other.id is not None
        pid, oid = park.id, other.id
    with session_scope(engine) as s:
        first = _checkin(s, "CA-1", pid, day, {"mood": "good", "sleep_hours": 7})
    with session_scope(engine) as s:
        second = _checkin(s, "CA-2", pid, day + timedelta(days=1), {"mood": "tired", "pain": None})
    with session_scope(engine) as s:
        _checkin(s, "CA-x", oid, day + timedelta(days=1), {"mood": "great"})
    with session_scope(engine) as s:
        current = _checkin(s, "CA-3", pid, day + timedelta(days=2), {"mood": "happy"})

    with session_scope(engine) as s:
        before = people.previous_answers(s, pid, before_call_id=current)
        assert {k: (v.value, v.call_id) for k, v in before.items()} == {
            "mood": ("tired", second),
            "pain": (None, second),
            "sleep_hours": (7, first),
        }
        assert before["mood"].at.tzinfo == UTC
        assert "tired" not in repr(before["mood"])
        latest = people.previous_answers(s, pid)
        assert latest["mood"].value == "happy"
        assert people.previous_answers(s, pid, before_call_id=first) == {}
        assert s.get(Call, current) is not None
