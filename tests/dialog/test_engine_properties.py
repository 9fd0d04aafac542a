"""Property tests: no caller input crashes the engine, and a call's state always survives JSON.

Inputs are drawn from arbitrary text (non-ASCII, emoji, control characters, 10 kB lines),
keypad strings and silences, mixed with phrases the scripts understand so that random walks reach
deep into both scripts (corrections, fully booked, emergencies, opt-outs). Every turn must either
end the call or say something, and ``DialogState.from_json(state.to_json()) == state`` must hold
after every step. A last test drives the real :class:`CallSession` on SQLite and checks that every
caller input became exactly one caller turn row.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialog.engine import DialogEngine, Turn
from dialog.loader import load_script
from dialog.state import DialogState
from dialog.types import ActionResult, UserInput

NOW = "2026-11-23T15:00:00-05:00"

PHRASES = [
    "book a table",
    "a table for 4 tomorrow at 7pm",
    "actually make it five people",
    "no, Saturday",
    "no make it 8 pm",
    "yes",
    "no",
    "John Smith",
    "cancel my reservation",
    "change my booking",
    "the time",
    "what time are you open",
    "talk to a person",
    "sorry what?",
    "speak slower please",
    "goodbye",
    "yes speaking",
    "no this is her daughter",
    "I fell and can't get up",
    "stop calling me",
    "call me later",
    "I had porridge",
    "I slept badly",
    "my knee hurts",
    "five",
    "it's worse",
    "um",
    "7:30",
    "730",
    "twenty",
]

texts = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(PHRASES),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(PHRASES), st.text(max_size=20)),
    st.sampled_from(["x" * 10_000, "😀" * 2_500, "a table for 4 " * 700, "\x00\x07\x1b" * 3_000]),
)
inputs = st.one_of(
    texts.map(UserInput.said),
    st.text(alphabet="0123456789*# ", max_size=8).map(UserInput.dtmf),
    st.just(UserInput.silence()),
)


class FakePort:
    """An in-memory ActionPort covering every outcome the scripts branch on.

    Deterministic (the answer is a function of the arguments), so that stepping one state twice
    must give the same turn; different arguments reach different outcomes.
    """

    _AVAILABILITY = (
        ActionResult(ok=True),
        ActionResult(ok=False, data={"reason": "full", "alternatives": ["18:00", "20:30"]}),
        ActionResult(ok=False, data={"reason": "closed_day"}),
        ActionResult(ok=False, data={"reason": "closed_time"}),
        ActionResult(ok=False, data={"reason": "full_day"}),
        ActionResult(ok=False, data={"reason": "invalid"}),
        ActionResult(ok=False, data={"reason": "too_large"}),
    )

    def perform(self, action: str, args: dict[str, Any]) -> ActionResult:
        key = sum(json.dumps(args, sort_keys=True, default=str).encode()) + len(action)
        if action == "check_availability":
            return self._AVAILABILITY[key % len(self._AVAILABILITY)]
        if action == "find_reservation":
            if key % 2:
                data = {"id": 7, "party_size": 2, "date": "2026-11-25", "time": "19:00"}
                return ActionResult(ok=True, data=data)
            return ActionResult(ok=False, data={"reason": "not_found"})
        if key % 3 == 0:
            return ActionResult(ok=False, data={"reason": "full"})
        return ActionResult(ok=True, data={"id": 8})


CONTEXTS: dict[str, dict[str, Any]] = {
    "reservation": {
        "business_name": "Anbu Bistro",
        "caller_number": "+15550100001",
        "address": "12 Harbour Street",
        "parking": "Free parking behind the building.",
        "hours_text": "every day from 5 pm to 10 pm",
        "max_party_size": 12,
        "memory": {},
        "now": NOW,
    },
    "wellness_checkin": {
        "organisation_name": "Sunrise Community Care",
        "person_name": "Mrs Kim",
        "memory": {"pain": {"value": "some"}, "pain_where": {"value": "my left knee"}},
        "now": NOW,
    },
}


def _check_turn(turn: Turn) -> None:
    assert turn.ended or turn.say, "a turn that does not end the call must say something"
    assert all(isinstance(s, str) and s for s in turn.say)
    for said in turn.say:  # a template whose value is missing leaves a hole: "I could offer ."
        assert " ." not in said and " ," not in said and not said.startswith(". "), said
    assert DialogState.from_json(turn.state.to_json()) == turn.state
    assert turn.ended == turn.state.ended
    if not turn.ended:
        assert turn.state.node in ENGINES[turn.state.script].script.nodes


ENGINES = {name: DialogEngine(load_script(name), FakePort()) for name in CONTEXTS}


@pytest.mark.parametrize("script", sorted(CONTEXTS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(inputs, min_size=1, max_size=14))
def test_no_input_sequence_crashes_and_state_round_trips(
    script: str, steps: list[UserInput]
) -> None:
    engine = ENGINES[script]
    turn = engine.start(CONTEXTS[script])
    _check_turn(turn)
    for user in steps:
        if turn.ended:
            after = engine.step(turn.state, user)
            assert after.ended and not after.say and not after.events
            break
        state_before = turn.state.to_json()
        turn = engine.step(DialogState.from_json(turn.state.to_json()), user)
        _check_turn(turn)
        assert turn.state.to_json() != state_before or turn.state.turn > 0
        # the engine never mutates its input: stepping the same state twice gives the same turn
        again = engine.step(DialogState.from_json(state_before), user)
        assert again.say == turn.say
        assert again.state == turn.state


@pytest.mark.parametrize("script", sorted(CONTEXTS))
@settings(max_examples=30, deadline=None)
@given(digits=st.lists(st.text(alphabet="0123456789*#", min_size=0, max_size=12), max_size=10))
def test_digit_sequences_never_crash(script: str, digits: list[str]) -> None:
    engine = ENGINES[script]
    turn = engine.start(CONTEXTS[script])
    for keys in digits:
        if turn.ended:
            break
        turn = engine.step(turn.state, UserInput.dtmf(keys))
        _check_turn(turn)
        if keys.strip() == "0":
            assert turn.ended and turn.state.outcome == "transferred"


@pytest.mark.parametrize("script", sorted(CONTEXTS))
def test_silence_always_ends_politely(script: str) -> None:
    engine = ENGINES[script]
    turn = engine.start(CONTEXTS[script])
    for _ in range(10):
        if turn.ended:
            break
        turn = engine.step(turn.state, UserInput.silence())
        _check_turn(turn)
    assert turn.ended
    assert turn.state.outcome == "no_input"
    assert "goodbye" in turn.text.lower()


@pytest.mark.parametrize(
    "text",
    ["x" * 10_000, "안녕하세요 " * 1_000, "😀" * 3_000, "\x00" * 10_000, "book " * 2_000],
)
def test_very_long_input_is_a_reprompt_or_an_answer(text: str) -> None:
    engine = ENGINES["reservation"]
    turn = engine.start(CONTEXTS["reservation"])
    turn = engine.step(turn.state, UserInput.said(text))
    _check_turn(turn)
    assert not turn.ended
    assert turn.say


# ---- the real session on SQLite: every caller input is one caller turn row -------------------


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from agent.runtime import Runtime
    from agent.settings import Settings

    folder: Path = tmp_path_factory.mktemp("props")
    return Runtime.create(Settings(data_dir=folder, _env_file=None))


@pytest.mark.parametrize("script", sorted(CONTEXTS))
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(inputs, min_size=1, max_size=8))
def test_session_loses_no_turn(runtime: Any, script: str, steps: list[UserInput]) -> None:
    from sqlmodel import select

    from agent.session import CallSession
    from store import Turn as TurnRow
    from store.db import session_scope

    direction = "outbound" if script == "wellness_checkin" else "inbound"
    session = CallSession(
        runtime,
        script=script,
        call_sid=f"PROP{uuid.uuid4().hex[:28]}",
        direction=direction,
        from_number="+15550100001",
        to_number="+15550100002",
        person_name="Mrs Kim" if direction == "outbound" else "",
        now=dt.datetime.fromisoformat(NOW),
    )
    session.start()
    handled = 0
    for user in steps:
        if session.ended:
            break
        turn = session.handle(user)
        handled += 1
        assert turn.ended or turn.say
    session.finish()
    with session_scope(runtime.db) as s:
        rows = s.exec(select(TurnRow).where(TurnRow.call_id == session.call_id)).all()
        caller_rows = [r for r in rows if r.speaker == "caller"]
        agent_rows = [r for r in rows if r.speaker == "agent"]
    assert len(caller_rows) == handled
    assert len(agent_rows) == handled + 1  # the greeting, then one reply per input


# ---- port answers with no alternatives: the caller never hears a hole in a sentence ----------


class ScriptedPort:
    """Answers each action with a fixed result (default: ok)."""

    def __init__(self, **results: ActionResult) -> None:
        self.results = results

    def perform(self, action: str, args: dict[str, Any]) -> ActionResult:
        return self.results.get(action, ActionResult(ok=True, data={"id": 1}))


def _book_until_readback(engine: DialogEngine) -> Turn:
    turn = engine.start(CONTEXTS["reservation"])
    for line in ("a table for 4 tomorrow at 7pm", "John Smith"):
        turn = engine.step(turn.state, UserInput.said(line))
        _check_turn(turn)
    return turn


@pytest.mark.parametrize("reason", ["invalid", "too_large", "unsupported"])
def test_check_refused_without_alternatives(reason: str) -> None:
    port = ScriptedPort(check_availability=ActionResult(ok=False, data={"reason": reason}))
    turn = _book_until_readback(DialogEngine(load_script("reservation"), port))
    assert "offer" not in turn.text.lower()
    assert turn.ended and turn.state.outcome == "transferred"


def test_booking_taken_in_the_meantime_is_checked_again() -> None:
    port = ScriptedPort(book_reservation=ActionResult(ok=False, data={"reason": "full"}))
    engine = DialogEngine(load_script("reservation"), port)
    turn = _book_until_readback(engine)
    assert "shall i book" in turn.text.lower()
    port.results["check_availability"] = ActionResult(
        ok=False, data={"reason": "full", "alternatives": ["18:00", "20:30"]}
    )
    turn = engine.step(turn.state, UserInput.said("yes"))
    _check_turn(turn)
    assert "just been taken" in turn.text.lower()
    assert "6 pm or 8:30 pm" in turn.text


def test_change_to_a_closed_time_says_so() -> None:
    found = {"id": 7, "party_size": 2, "date": "2026-11-25", "time": "19:00"}
    port = ScriptedPort(
        find_reservation=ActionResult(ok=True, data=found),
        check_availability=ActionResult(ok=False, data={"reason": "closed_time"}),
    )
    engine = DialogEngine(load_script("reservation"), port)
    turn = engine.start(CONTEXTS["reservation"])
    for line in ("change my booking", "Garcia", "the time", "3 pm"):
        turn = engine.step(turn.state, UserInput.said(line))
        _check_turn(turn)
    assert "not open at 3 pm" in turn.text.lower()
    assert "offer" not in turn.text.lower()
