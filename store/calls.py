"""Calls, their turns and extracted answers, written as they happen.

Each function flushes (so ids exist) but never commits: the caller commits after every turn so a
dropped websocket or killed process loses at most the turn in flight. Duplicates are refused by
the database (``call_sid`` and ``(call_id, seq)`` are unique), and provider status callbacks are
applied idempotently by sequence number, so retries and replays cannot double-write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import DIRECTIONS, SPEAKERS, TERMINAL_STATUSES, TURN_KINDS, Answer, Call, Turn
from store.types import as_utc, utcnow

# How specific an outcome is. A later report may refine an outcome (a "completed" call turns out
# to have been answered by voicemail) but never blur it: a dialog-level outcome such as
# "opted_out" must survive the carrier's generic "completed" callback that follows it.
_GENERIC_OUTCOMES = frozenset({"completed", "failed", "canceled"})
_CARRIER_OUTCOMES = frozenset({"no-answer", "busy"})


def outcome_rank(outcome: str | None) -> int:
    """0 for none, 1 for generic, 2 for carrier-specific, 3 for anything the dialog decided."""
    if outcome is None:
        return 0
    if outcome in _GENERIC_OUTCOMES:
        return 1
    if outcome in _CARRIER_OUTCOMES:
        return 2
    return 3


def _check(value: str, allowed: frozenset[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"invalid {what} {value!r}; expected one of {sorted(allowed)}")


def create_call(
    s: Session,
    *,
    call_sid: str,
    direction: str,
    line: str,
    script: str,
    from_number: str = "",
    to_number: str = "",
    person_id: int | None = None,
    status: str = "in-progress",
) -> Call:
    """Insert a call; a second call with the same ``call_sid`` fails on the unique constraint."""
    _check(direction, DIRECTIONS, "direction")
    call = Call(
        call_sid=call_sid,
        direction=direction,
        line=line,
        script=script,
        from_number=from_number,
        to_number=to_number,
        person_id=person_id,
        status=status,
    )
    if status == "in-progress":
        call.answered_at = call.started_at
    s.add(call)
    s.flush()
    return call


def get_call(s: Session, call_sid: str) -> Call | None:
    """The call with this provider id, if any."""
    return s.exec(select(Call).where(Call.call_sid == call_sid)).first()


def _call_by_id(s: Session, call_id: int) -> Call:
    call = s.get(Call, call_id)
    if call is None:
        raise LookupError(f"no call with id {call_id}")
    return call


def add_turn(
    s: Session,
    call_id: int,
    *,
    speaker: str,
    text: str,
    kind: str = "text",
    confidence: float | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    seq: int | None = None,
) -> Turn:
    """Append a turn with the next ``seq`` (1, 2, ...) for the call.

    Safe for one writer per call; should two writers race, the ``(call_id, seq)`` unique
    constraint makes the loser fail instead of writing a duplicate. A caller replaying a turn
    it may already have written passes its own ``seq`` to get the same protection.
    """
    _check(speaker, SPEAKERS, "speaker")
    _check(kind, TURN_KINDS, "turn kind")
    if seq is None:
        current = s.exec(select(func.max(Turn.seq)).where(Turn.call_id == call_id)).one()
        seq = (current or 0) + 1
    turn = Turn(
        call_id=call_id,
        seq=seq,
        speaker=speaker,
        kind=kind,
        text=text,
        confidence=confidence,
        started_at=as_utc(started_at) if started_at else utcnow(),
        ended_at=as_utc(ended_at) if ended_at else None,
    )
    s.add(turn)
    s.flush()
    return turn


def add_answer(
    s: Session,
    call_id: int,
    *,
    key: str,
    value: Any,
    raw_text: str,
    confidence: float,
    person_id: int | None = None,
    turn_id: int | None = None,
) -> Answer:
    """Record one extracted answer; ``value`` must be JSON-serialisable.

    ``person_id`` defaults to the call's person so the next check-in can recall it.
    """
    if person_id is None:
        person_id = _call_by_id(s, call_id).person_id
    answer = Answer(
        call_id=call_id,
        person_id=person_id,
        turn_id=turn_id,
        key=key,
        value=value,
        raw_text=raw_text,
        confidence=confidence,
    )
    s.add(answer)
    s.flush()
    return answer


def save_dialog_state(s: Session, call_id: int, state: dict[str, Any]) -> None:
    """Replace the call's saved dialog state (a JSON snapshot taken after each turn)."""
    call = _call_by_id(s, call_id)
    call.dialog_state = dict(state)  # a new object, so the JSON column is seen as changed
    s.add(call)
    s.flush()


def _settle(call: Call, *, status: str, outcome: str | None, ended_at: datetime | None) -> bool:
    """Apply an end-of-call report to ``call``; return whether anything changed.

    A terminal status is final (the first one wins); an outcome only moves to a more specific
    one; ``ended_at`` is set once.
    """
    changed = False
    if call.status not in TERMINAL_STATUSES and call.status != status:
        call.status = status
        changed = True
    if outcome is not None and outcome_rank(outcome) > outcome_rank(call.outcome):
        call.outcome = outcome
        changed = True
    if status in TERMINAL_STATUSES and call.ended_at is None:
        call.ended_at = as_utc(ended_at) if ended_at else utcnow()
        changed = True
    return changed


def finish_call(
    s: Session,
    call_sid: str,
    *,
    status: str,
    outcome: str | None = None,
    ended_at: datetime | None = None,
) -> bool:
    """Mark a call ended. Idempotent: repeating it (or a vaguer report) changes nothing.

    Returns whether anything changed; ``False`` also when the call is unknown.
    """
    call = get_call(s, call_sid)
    if call is None:
        return False
    changed = _settle(call, status=status, outcome=outcome, ended_at=ended_at)
    if changed:
        s.add(call)
        s.flush()
    return changed


def apply_status_callback(s: Session, call_sid: str, status: str, seq: int) -> bool:
    """Apply a provider status callback unless an equal or newer one was already applied.

    Providers retry and reorder callbacks; ``seq`` (Twilio's ``SequenceNumber``) decides. A
    terminal status also sets the outcome (``no-answer``, ``busy``...) unless the dialog already
    recorded a more specific one. Returns whether the callback was applied.
    """
    call = get_call(s, call_sid)
    if call is None or seq <= call.last_status_seq:
        return False
    call.last_status_seq = seq
    if status in TERMINAL_STATUSES:
        _settle(call, status=status, outcome=status, ended_at=None)
    elif call.status not in TERMINAL_STATUSES:
        call.status = status
        if status == "in-progress" and call.answered_at is None:
            call.answered_at = utcnow()
    s.add(call)
    s.flush()
    return True


def list_turns(s: Session, call_id: int) -> list[Turn]:
    """The call's turns in order."""
    return list(s.exec(select(Turn).where(Turn.call_id == call_id).order_by(col(Turn.seq))))


def list_answers(s: Session, call_id: int) -> list[Answer]:
    """The call's answers in the order they were recorded."""
    query = select(Answer).where(Answer.call_id == call_id).order_by(col(Answer.id))
    return list(s.exec(query))
