"""Golden conversations: whole calls, typed, through the real engine, NLU, scripts and store.

Each YAML file under this folder is one call: the caller's lines, what the agent's replies must
contain, and what the database must hold afterwards. The format is documented in README.md in
this folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlmodel import select

from agent.runtime import Runtime
from agent.session import CallSession
from agent.settings import Settings
from dialog.types import UserInput
from store import Alert, Answer, Call, OptOut, Reservation, Turn
from store import calls as call_store
from store.db import session_scope
from store.people import get_or_create_person
from store.reservations import book

HERE = Path(__file__).parent
CASES = sorted(HERE.rglob("*.yaml"))
TZ = "America/New_York"


def _case_id(path: Path) -> str:
    return str(path.relative_to(HERE).with_suffix(""))


@pytest.fixture(scope="module")
def runtime_factory(tmp_path_factory: pytest.TempPathFactory):
    def make(overrides: dict[str, Any]) -> Runtime:
        folder = tmp_path_factory.mktemp("golden")
        settings = Settings(
            data_dir=folder,
            timezone=TZ,
            business_name="Anbu Bistro",
            organisation_name="Sunrise Community Care",
            _env_file=None,
            **overrides,
        )
        return Runtime.create(settings)

    return make


def _contains_all(text: str, expected: str | list[str]) -> None:
    wanted = [expected] if isinstance(expected, str) else expected
    for part in wanted:
        assert part.lower() in text.lower(), f"expected {part!r} in agent reply {text!r}"


def _user_input(step: dict[str, Any]) -> UserInput:
    if "dtmf" in step:
        return UserInput.dtmf(str(step["dtmf"]))
    if step.get("silence"):
        return UserInput.silence()
    return UserInput.said(str(step["caller"]))


def _seed(runtime: Runtime, case: dict[str, Any], tz: ZoneInfo) -> int | None:
    person_id = None
    with session_scope(runtime.db) as s:
        for b in case.get("bookings", []):
            start = dt.datetime.fromisoformat(b["at"]).replace(tzinfo=tz)
            made = book(
                s,
                phone=b.get("phone", case.get("caller", "+15550100001")),
                name=b["name"],
                party_size=b["party_size"],
                starts_at=start,
                capacity=runtime.settings.capacity,
                booking_minutes=runtime.settings.booking_minutes,
            )
            assert made is not None, f"seed booking does not fit: {b}"
        if "person" in case:
            person = get_or_create_person(
                s, name=case["person"], phone=case.get("caller", "+15550100001"), timezone=TZ
            )
            person_id = person.id
            previous = case.get("previous_answers")
            if previous:
                earlier = call_store.create_call(
                    s,
                    call_sid=f"PREV{abs(hash(case['person']))}",
                    direction="outbound",
                    line="wellness_checkin",
                    script="wellness_checkin",
                    person_id=person_id,
                )
                earlier.started_at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
                s.add(earlier)
                s.flush()
                assert earlier.id is not None
                for key, value in previous.items():
                    call_store.add_answer(
                        s,
                        earlier.id,
                        key=key,
                        value=value,
                        raw_text=str(value),
                        confidence=1.0,
                        person_id=person_id,
                    )
    return person_id


@pytest.mark.parametrize("path", CASES, ids=[_case_id(p) for p in CASES])
def test_golden_conversation(path: Path, runtime_factory) -> None:
    case = yaml.safe_load(path.read_text())
    runtime = runtime_factory(case.get("settings", {}))
    tz = ZoneInfo(TZ)
    now = dt.datetime.fromisoformat(case.get("now", "2026-11-23T15:00:00")).replace(tzinfo=tz)
    person_id = _seed(runtime, case, tz)
    direction = "outbound" if case["script"] == "wellness_checkin" else "inbound"
    caller = case.get("caller", "+15550100001")
    session = CallSession(
        runtime,
        script=case["script"],
        call_sid=f"GOLD{path.stem[:28]}",
        direction=direction,
        from_number=caller if direction == "inbound" else "+15550100000",
        to_number=caller if direction == "outbound" else "+15550100000",
        person_id=person_id,
        person_name=case.get("person", ""),
        now=now,
    )
    turns = case["turns"]
    first = session.start()
    if (
        turns
        and "agent" in turns[0]
        and not any(k in turns[0] for k in ("caller", "dtmf", "silence"))
    ):
        _contains_all(first.text, turns[0]["agent"])
        turns = turns[1:]
    reply = first
    for step in turns:
        assert not session.ended, f"call ended before {step!r}"
        reply = session.handle(_user_input(step))
        if "agent" in step:
            _contains_all(reply.text, step["agent"])
        assert reply.say, "every turn must end with the agent saying something"
        for absent in step.get("agent_not", []):
            assert absent.lower() not in reply.text.lower()
    session.finish()
    _check_expectations(runtime, session, case.get("expect", {}), tz)


def _check_expectations(
    runtime: Runtime, session: CallSession, expect: dict[str, Any], tz: ZoneInfo
) -> None:
    with session_scope(runtime.db) as s:
        call = s.exec(select(Call).where(Call.call_sid == session.call_sid)).one()
        if "ended" in expect:
            assert session.ended is expect["ended"]
        if "outcome" in expect:
            assert call.outcome == expect["outcome"]
        if "transfer" in expect:
            assert session.transfer_requested is expect["transfer"]
        turns = s.exec(select(Turn).where(Turn.call_id == call.id)).all()
        assert len(turns) >= 1
        if "reservations" in expect:
            rows = s.exec(select(Reservation).order_by(Reservation.id)).all()
            got = [
                {
                    "name": r.name,
                    "party_size": r.party_size,
                    "status": r.status,
                    "at": r.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
                }
                for r in rows
            ]
            for wanted in expect["reservations"]:
                assert any(all(g.get(k) == v for k, v in wanted.items()) for g in got), (
                    f"no reservation like {wanted} in {got}"
                )
            if "reservation_count" in expect:
                assert (
                    len([g for g in got if g["status"] == "booked"]) == expect["reservation_count"]
                )
        if "answers" in expect:
            answers = {
                a.key: a.value for a in s.exec(select(Answer).where(Answer.call_id == call.id))
            }
            for key, value in expect["answers"].items():
                assert answers.get(key) == value, f"answer {key}: {answers.get(key)!r} != {value!r}"
        if "no_answers" in expect:
            assert not s.exec(select(Answer).where(Answer.call_id == call.id)).all()
        if "alerts" in expect:
            raised = [
                {"severity": a.severity, "reason": a.reason}
                for a in s.exec(select(Alert).where(Alert.call_id == call.id))
            ]
            for wanted in expect["alerts"]:
                assert any(all(r.get(k) == v for k, v in wanted.items()) for r in raised), (
                    f"no alert like {wanted} in {raised}"
                )
            if not expect["alerts"]:
                assert raised == []
        if "opted_out" in expect:
            opted = s.exec(select(OptOut).where(OptOut.phone == session.party_number)).first()
            assert (opted is not None) is expect["opted_out"]
