"""A text console onto the real engine, NLU and store: type what a caller would say.

Typing stands in for speaking, so a script can be tried (and a newcomer can see what Anbu does)
without audio. ``#digits`` presses keys, an empty line is silence, ``/quit`` hangs up.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlmodel import select

from agent.runtime import Runtime
from agent.session import CallSession
from dialog.types import UserInput
from store import Alert, Answer, Reservation, Turn
from store.db import session_scope
from store.people import get_or_create_person


def parse_line(line: str) -> UserInput | None:
    """A console line as caller input; None means the caller hung up."""
    text = line.strip()
    if text in ("/quit", "/exit", "/hangup"):
        return None
    if text.startswith("#") and len(text) > 1:
        return UserInput.dtmf(text[1:].strip())
    if not text:
        return UserInput.silence()
    return UserInput.said(text)


def run_chat(
    runtime: Runtime,
    script: str,
    *,
    person: str = "",
    phone: str = "",
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    now: dt.datetime | None = None,
) -> CallSession:
    direction = "outbound" if script == "wellness_checkin" else "inbound"
    person_id = None
    if person:
        with session_scope(runtime.db) as s:
            record = get_or_create_person(
                s, name=person, phone=phone or None, timezone=runtime.settings.timezone
            )
            person_id = record.id
    session = CallSession(
        runtime,
        script=script,
        call_sid=f"CHAT{uuid.uuid4().hex[:30]}",
        direction=direction,
        line=f"chat:{script}",
        from_number=phone if direction == "inbound" else runtime.settings.twilio_phone_number,
        to_number=phone if direction == "outbound" else runtime.settings.twilio_phone_number,
        person_id=person_id,
        person_name=person,
        now=now,
    )
    turn = session.start()
    write(f"agent> {turn.text}")
    while not session.ended:
        try:
            user = parse_line(read("you> "))
        except EOFError:
            user = None
        if user is None:
            break
        turn = session.handle(user)
        write(f"agent> {turn.text}")
    session.finish()
    write(summary(runtime, session))
    return session


def summary(runtime: Runtime, session: CallSession) -> str:
    """What the call left in the database, as a short report."""
    with session_scope(runtime.db) as s:
        turns = s.exec(select(Turn).where(Turn.call_id == session.call_id)).all()
        answers = s.exec(select(Answer).where(Answer.call_id == session.call_id)).all()
        raised = s.exec(select(Alert).where(Alert.call_id == session.call_id)).all()
        booked = s.exec(select(Reservation).where(Reservation.call_id == session.call_id)).all()
        lines = [
            "",
            f"--- recorded: call {session.call_sid}, outcome {session.outcome or 'abandoned'}, "
            f"{len(turns)} turns",
        ]
        lines += [f"answer   {a.key} = {a.value!r}  (heard: {a.raw_text!r})" for a in answers]
        lines += [f"alert    [{a.severity}] {a.reason}" for a in raised]
        lines += [
            f"booking  #{r.id} {r.name}, {r.party_size} people, "
            f"{r.starts_at.astimezone(runtime.now().tzinfo):%a %d %b %H:%M}, {r.status}"
            for r in booked
        ]
    return "\n".join(lines)
