"""One call's conversation, persisted turn by turn.

The caller's words are committed the moment they are heard, before the dialog reacts; the
agent's reply, the answers and alerts it produced and the dialog state are committed together
right after. A dropped line or a killed process therefore loses nothing that was said, and a
retried write cannot duplicate a turn (the store refuses a second ``(call, seq)``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlmodel import Session

from agent.runtime import Runtime
from dialog.engine import DialogEngine, Turn
from dialog.state import DialogState
from dialog.types import (
    AlertEvent,
    AnswerEvent,
    CallbackEvent,
    HangUpEvent,
    OptOutEvent,
    TransferEvent,
    UserInput,
    VoiceEvent,
)
from store import alerts, calls, optouts
from store.db import session_scope
from store.people import find_person_by_phone

log = logging.getLogger(__name__)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class CallSession:
    """Drives a :class:`DialogEngine` for one call and writes everything to the store.

    Blocking (database and NLU); the phone pipeline runs it in a worker thread.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        script: str,
        call_sid: str,
        direction: str = "inbound",
        line: str = "",
        from_number: str = "",
        to_number: str = "",
        person_id: int | None = None,
        person_name: str = "",
        now: dt.datetime | None = None,
    ) -> None:
        self.runtime = runtime
        self.script_name = script
        self.call_sid = call_sid
        self.direction = direction
        self.person_id = person_id
        self.person_name = person_name
        self.from_number, self.to_number = from_number, to_number
        # The other party's number: caller ID inbound, the number we dialled outbound.
        self.party_number = from_number if direction == "inbound" else to_number
        self._fixed_now = now
        runtime.script(script)  # unknown script: fail before anything is written
        with session_scope(runtime.db) as s:
            if person_id is None and _E164.match(self.party_number):
                # A known person phoning in (e.g. the care line) is greeted by name, and what
                # they say joins their history; caller ID is a hint, the script still checks.
                known = find_person_by_phone(s, self.party_number)
                if known is not None:
                    person_id, self.person_id = known.id, known.id
                    self.person_name = self.person_name or known.name
            call = calls.create_call(
                s,
                call_sid=call_sid,
                direction=direction,
                line=line or script,
                script=script,
                from_number=from_number,
                to_number=to_number,
                person_id=person_id,
            )
            assert call.id is not None
            self.call_id: int = call.id
        self.engine: DialogEngine = runtime.engine(script, call_id=self.call_id, now=now)
        self.state: DialogState | None = None
        self.outcome: str | None = None
        self.transfer_requested = False
        self.speaking_rate = self.engine.script.voice.speaking_rate

    @property
    def ended(self) -> bool:
        return self.state is not None and self.state.ended

    def now(self) -> dt.datetime:
        return self._fixed_now or self.runtime.now()

    def start(self) -> Turn:
        context = self.runtime.context(
            caller_number=self.party_number,
            person_name=self.person_name,
            person_id=self.person_id,
            call_id=self.call_id,
            now=self.now(),
        )
        turn = self.engine.start(context)
        self._record_agent(turn, caller_turn_id=None)
        return turn

    def handle(
        self,
        user: UserInput,
        *,
        heard_at: dt.datetime | None = None,
        ended_at: dt.datetime | None = None,
    ) -> Turn:
        """One caller input: write it, let the dialog answer, write the answer.

        ``heard_at`` and ``ended_at`` are when the caller started and stopped speaking (or
        pressed the keys); without them the turn is stamped with the time it was written.
        """
        if self.state is None:
            raise RuntimeError("start() the call before handling input")
        # PostgreSQL refuses NUL in text; ASR never produces it, but a keypad or test might.
        user = user.model_copy(
            update={
                "text": user.text.replace("\x00", ""),
                "digits": user.digits.replace("\x00", ""),
            }
        )
        with session_scope(self.runtime.db) as s:
            caller = calls.add_turn(
                s,
                self.call_id,
                speaker="caller",
                kind=user.kind.value,
                text=user.text if user.kind.value == "text" else user.digits,
                confidence=user.confidence,
                started_at=heard_at,
                ended_at=ended_at or heard_at,
            )
            caller_turn_id = caller.id
        turn = self.engine.step(self.state, user)
        self._record_agent(turn, caller_turn_id=caller_turn_id)
        return turn

    def finish(self, *, status: str = "completed", outcome: str | None = None) -> None:
        """Close the call record; safe to call more than once (hang-up, drop, status callback)."""
        final = outcome or self.outcome or ("completed" if self.ended else "abandoned")
        with session_scope(self.runtime.db) as s:
            calls.finish_call(s, self.call_sid, status=status, outcome=final)

    # ---- persistence ------------------------------------------------------------------------

    def _record_agent(self, turn: Turn, *, caller_turn_id: int | None) -> None:
        self.state = turn.state
        with session_scope(self.runtime.db) as s:
            for event in turn.events:
                self._apply(s, event, caller_turn_id)
            if turn.say:
                calls.add_turn(s, self.call_id, speaker="agent", text=turn.text)
            calls.save_dialog_state(s, self.call_id, turn.state.model_dump(mode="json"))

    def _apply(self, s: Session, event: Any, caller_turn_id: int | None) -> None:
        if isinstance(event, AnswerEvent):
            calls.add_answer(
                s,
                self.call_id,
                key=event.key,
                value=event.value,
                raw_text=event.raw,
                confidence=event.confidence,
                person_id=self.person_id,
                turn_id=caller_turn_id,
            )
        elif isinstance(event, AlertEvent):
            alerts.raise_alert(
                s,
                severity=event.severity.value,
                reason=event.reason,
                detail=event.detail,
                call_id=self.call_id,
                person_id=self.person_id,
            )
            # The reason is health information: it stays in the database, not in logs.
            log.info("alert raised: call=%s severity=%s", self.call_id, event.severity.value)
        elif isinstance(event, OptOutEvent):
            if _E164.match(self.party_number):  # withheld caller ID: nothing to opt out
                optouts.add_opt_out(s, self.party_number, person_id=self.person_id, source="call")
            else:
                log.info("opt-out heard on call %s without a usable number", self.call_id)
        elif isinstance(event, CallbackEvent):
            calls.add_answer(
                s,
                self.call_id,
                key="callback_request",
                value=True,
                raw_text=event.when,
                confidence=1.0,
                person_id=self.person_id,
                turn_id=caller_turn_id,
            )
        elif isinstance(event, TransferEvent):
            self.transfer_requested = True
            self.outcome = "transferred"
        elif isinstance(event, HangUpEvent):
            self.outcome = event.outcome
        elif isinstance(event, VoiceEvent):
            self.speaking_rate = event.speaking_rate
