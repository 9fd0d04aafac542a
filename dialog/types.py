"""The dialog engine's vocabulary: what goes in, what comes out, and the port it acts through.

These types are the contract between the dialog and everything around it (the text chat, the
phone pipeline, the store). They are plain pydantic models so that a call's state and every event
serialise to JSON: a call can be persisted after each turn and resumed or audited later.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, Field


class InputKind(StrEnum):
    TEXT = "text"
    DTMF = "dtmf"
    NO_INPUT = "no_input"


class UserInput(BaseModel):
    """One thing the caller did: said something, pressed keys, or stayed silent."""

    kind: InputKind
    text: str = ""
    digits: str = ""
    confidence: float = 1.0

    @classmethod
    def said(cls, text: str, confidence: float = 1.0) -> UserInput:
        return cls(kind=InputKind.TEXT, text=text, confidence=confidence)

    @classmethod
    def dtmf(cls, digits: str) -> UserInput:
        return cls(kind=InputKind.DTMF, digits=digits)

    @classmethod
    def silence(cls) -> UserInput:
        return cls(kind=InputKind.NO_INPUT)


class SlotType(StrEnum):
    YES_NO = "yes_no"
    DATE = "date"
    TIME = "time"
    NUMBER = "number"
    PARTY_SIZE = "party_size"
    PERSON_NAME = "person_name"
    CHOICE = "choice"
    SCALE = "scale"
    CATEGORY = "category"
    FREE_TEXT = "free_text"


class Severity(StrEnum):
    URGENT = "urgent"
    NORMAL = "normal"


class AnswerEvent(BaseModel):
    """A value the caller gave for a question, normalised; written to the store at once."""

    type: Literal["answer"] = "answer"
    key: str
    value: Any
    raw: str
    confidence: float = 1.0


class AlertEvent(BaseModel):
    """Something a human must look at. ``detail`` may hold health content: never log it."""

    type: Literal["alert"] = "alert"
    severity: Severity
    reason: str
    detail: str = ""


class TransferEvent(BaseModel):
    type: Literal["transfer"] = "transfer"


class HangUpEvent(BaseModel):
    type: Literal["hang_up"] = "hang_up"
    outcome: str = "completed"


class OptOutEvent(BaseModel):
    type: Literal["opt_out"] = "opt_out"


class CallbackEvent(BaseModel):
    type: Literal["callback"] = "callback"
    when: str = ""


class VoiceEvent(BaseModel):
    """A hint for speech output (e.g. the caller asked us to speak slower)."""

    type: Literal["voice"] = "voice"
    speaking_rate: float


class ActionEvent(BaseModel):
    """A port action the engine performed, with its result: the audit trail of side effects."""

    type: Literal["action"] = "action"
    name: str
    ok: bool
    data: dict[str, Any] = Field(default_factory=dict)


Event = Annotated[
    AnswerEvent
    | AlertEvent
    | TransferEvent
    | HangUpEvent
    | OptOutEvent
    | CallbackEvent
    | VoiceEvent
    | ActionEvent,
    Field(discriminator="type"),
]


class Expectation(BaseModel):
    """What the engine is waiting for: lets ASR bias its decoder and DTMF collect digits."""

    slot: str
    slot_type: SlotType
    hints: list[str] = Field(default_factory=list)
    max_digits: int = 1


class ActionResult(BaseModel):
    ok: bool
    data: dict[str, Any] = Field(default_factory=dict)


class ActionPort(Protocol):
    """Where the engine's side effects happen (bookings, look-ups).

    The engine stays pure and deterministic given the port's answers; the agent supplies a port
    backed by the store, tests supply an in-memory one.
    """

    def perform(self, action: str, args: dict[str, Any]) -> ActionResult: ...
