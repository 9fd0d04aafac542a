"""Calls, turns and answers: committed as they happen, never duplicated, idempotent updates."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store import Answer, Call, Turn, alerts, calls, make_engine, people, session_scope


def _call(s: Session, sid: str = "CA1", **kwargs: object) -> Call:
    call = calls.create_call(
        s, call_sid=sid, direction="inbound", line="restaurant", script="booking", **kwargs
    )  # type: ignore[arg-type]
    assert call.id is not None
    return call


def test_turns_get_sequential_seq(session: Session) -> None:
    call = _call(session)
    other = _call(session, "CA2")
    assert call.id is not None and other.id is not None
    seqs = [
        calls.add_turn(session, call.id, speaker="agent", text="Hello").seq,
        calls.add_turn(session, call.id, speaker="caller", text="Hi").seq,
        calls.add_turn(session, other.id, speaker="agent", text="Hello").seq,
        calls.add_turn(session, call.id, speaker="caller", text="", kind="no_input").seq,
        calls.add_turn(session, call.id, speaker="caller", text="1", kind="dtmf").seq,
    ]
    assert seqs == [1, 2, 1, 3, 4]
    listed = calls.list_turns(session, call.id)
    assert [(t.seq, t.kind) for t in listed] == [
        (1, "text"),
        (2, "text"),
        (3, "no_input"),
        (4, "dtmf"),
    ]


def test_duplicate_turn_refused(engine: Engine) -> None:
    with session_scope(engine) as s:
        call = _call(s)
        call_id = call.id
        assert call_id is not None
        calls.add_turn(s, call_id, speaker="caller", text="Hi")
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        calls.add_turn(s, call_id, speaker="caller", text="Hi", seq=1)  # a replayed turn
    with session_scope(engine) as s:
        assert len(calls.list_turns(s, call_id)) == 1


def test_duplicate_call_sid_refused(engine: Engine) -> None:
    with session_scope(engine) as s:
        _call(s)
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        _call(s)


def test_invalid_values_refused(session: Session) -> None:
    with pytest.raises(ValueError):
        calls.create_call(session, call_sid="x", direction="sideways", line="l", script="s")
    call = _call(session)
    assert call.id is not None
    with pytest.raises(ValueError):
        calls.add_turn(session, call.id, speaker="robot", text="x")
    with pytest.raises(ValueError):
        calls.add_turn(session, call.id, speaker="agent", text="x", kind="video")


def test_committed_data_survives_engine_disposal(engine: Engine, db_url: str) -> None:
    """Commit per turn, then "crash": a new engine sees every committed row and nothing else."""
    with session_scope(engine) as s:
        person = people.get_or_create_person(s, name="Mrs Park", phone="+821055501234")
        call = _call(s, person_id=person.id)
        call_id, person_id = call.id, person.id
        assert call_id is not None
    for i in range(3):
        with session_scope(engine) as s:
            turn = calls.add_turn(s, call_id, speaker="caller", text=f"turn {i}")
            calls.add_answer(
                s,
                call_id,
                key=f"q{i}",
                value={"n": i},
                raw_text="...",
                confidence=0.8,
                turn_id=turn.id,
            )
    with session_scope(engine) as s:
        alerts.raise_alert(s, severity="urgent", reason="fall", call_id=call_id)
    # A turn in flight when the process dies: flushed, never committed.
    doomed = Session(engine)
    calls.add_turn(doomed, call_id, speaker="caller", text="in flight")
    doomed.close()
    engine.dispose()

    fresh = make_engine(db_url)
    try:
        with session_scope(fresh) as s:
            assert [t.text for t in calls.list_turns(s, call_id)] == ["turn 0", "turn 1", "turn 2"]
            answers = calls.list_answers(s, call_id)
            assert [(a.key, a.value, a.person_id) for a in answers] == [
                ("q0", {"n": 0}, person_id),
                ("q1", {"n": 1}, person_id),
                ("q2", {"n": 2}, person_id),
            ]
            assert [a.reason for a in alerts.list_alerts(s)] == ["fall"]
    finally:
        fresh.dispose()


_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from store import calls, make_engine, session_scope
    from sqlmodel import Session
    engine = make_engine(sys.argv[1])
    with session_scope(engine) as s:
        call = calls.create_call(s, call_sid="CA-kill", direction="outbound", line="care",
                                 script="checkin")
        call_id = call.id
    for i in range(2):
        with session_scope(engine) as s:
            calls.add_turn(s, call_id, speaker="caller", text=f"said {i}")
            calls.add_answer(s, call_id, key=f"k{i}", value=i, raw_text="", confidence=1.0)
    s = Session(engine)
    calls.add_turn(s, call_id, speaker="caller", text="never committed")
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_sigkilled_process_keeps_committed_turns(engine: Engine, db_url: str) -> None:
    repo_root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, db_url], cwd=repo_root, timeout=60, check=False
    )
    assert proc.returncode == -9
    with session_scope(engine) as s:
        call = calls.get_call(s, "CA-kill")
        assert call is not None and call.id is not None
        assert [t.text for t in calls.list_turns(s, call.id)] == ["said 0", "said 1"]
        assert [a.value for a in calls.list_answers(s, call.id)] == [0, 1]


def test_dialog_state_saved(engine: Engine) -> None:
    with session_scope(engine) as s:
        call_id = _call(s).id
        assert call_id is not None
        calls.save_dialog_state(s, call_id, {"node": "ask_party", "slots": {"date": "2030-01-01"}})
    with session_scope(engine) as s:
        calls.save_dialog_state(s, call_id, {"node": "confirm", "slots": {"party": 4}})
    with session_scope(engine) as s:
        call = s.get(Call, call_id)
        assert call is not None
        assert call.dialog_state == {"node": "confirm", "slots": {"party": 4}}


def test_finish_call_is_idempotent_and_keeps_specific_outcome(session: Session) -> None:
    _call(session)
    assert calls.finish_call(session, "CA1", status="completed", outcome="opted_out")
    call = calls.get_call(session, "CA1")
    assert call is not None and call.ended_at is not None
    ended = call.ended_at
    assert not calls.finish_call(session, "CA1", status="completed", outcome="opted_out")
    # The carrier's generic report that follows must not blur the dialog's outcome.
    assert not calls.finish_call(session, "CA1", status="completed", outcome="completed")
    assert not calls.finish_call(session, "CA1", status="failed", outcome="failed")
    assert (call.status, call.outcome, call.ended_at) == ("completed", "opted_out", ended)
    assert not calls.finish_call(session, "missing", status="completed")


def test_finish_call_refines_a_generic_outcome(session: Session) -> None:
    _call(session)
    assert calls.finish_call(session, "CA1", status="completed", outcome="completed")
    assert calls.finish_call(session, "CA1", status="completed", outcome="voicemail")
    call = calls.get_call(session, "CA1")
    assert call is not None and call.outcome == "voicemail"


def test_status_callbacks_apply_once_in_order(session: Session) -> None:
    calls.create_call(
        session,
        call_sid="CA-out",
        direction="outbound",
        line="care",
        script="checkin",
        status="queued",
    )
    assert calls.apply_status_callback(session, "CA-out", "ringing", 0)
    assert not calls.apply_status_callback(session, "CA-out", "ringing", 0)  # retried
    assert calls.apply_status_callback(session, "CA-out", "in-progress", 2)
    assert not calls.apply_status_callback(session, "CA-out", "ringing", 1)  # arrived late
    call = calls.get_call(session, "CA-out")
    assert call is not None
    assert (call.status, call.last_status_seq) == ("in-progress", 2)
    assert call.answered_at is not None and call.ended_at is None
    assert calls.apply_status_callback(session, "CA-out", "completed", 3)
    assert (call.status, call.outcome) == ("completed", "completed")
    assert call.ended_at is not None
    assert calls.apply_status_callback(session, "CA-out", "in-progress", 4)
    assert call.status == "completed"  # terminal status never regresses
    assert not calls.apply_status_callback(session, "unknown", "ringing", 9)


def test_status_callback_does_not_override_dialog_outcome(session: Session) -> None:
    _call(session)
    calls.finish_call(session, "CA1", status="completed", outcome="transferred")
    assert calls.apply_status_callback(session, "CA1", "completed", 5)
    call = calls.get_call(session, "CA1")
    assert call is not None and call.outcome == "transferred"


def test_no_answer_callback_sets_outcome(session: Session) -> None:
    calls.create_call(
        session,
        call_sid="CA-na",
        direction="outbound",
        line="care",
        script="checkin",
        status="ringing",
    )
    assert calls.apply_status_callback(session, "CA-na", "no-answer", 1)
    call = calls.get_call(session, "CA-na")
    assert call is not None
    assert (call.status, call.outcome) == ("no-answer", "no-answer")
    assert call.answered_at is None


def test_answers_default_to_the_calls_person(session: Session) -> None:
    person = people.get_or_create_person(session, name="Kim", phone="+821099990000")
    call = _call(session, person_id=person.id)
    assert call.id is not None
    answer = calls.add_answer(
        session, call.id, key="mood", value="good", raw_text="fine", confidence=0.7
    )
    assert answer.person_id == person.id
    rows = session.exec(select(Answer)).all()
    assert len(rows) == 1
    assert session.exec(select(Turn)).all() == []
