"""The tables: people, calls and what was said in them, reservations, alerts and opt-outs.

Design notes (why the schema looks like this):

* Every timestamp is a :class:`~store.types.UTCDateTime` so that both SQLite and PostgreSQL hand
  back aware UTC datetimes.
* Enumerated values (direction, speaker, severity...) are plain strings checked by the repository
  functions rather than database enums: telephony providers add statuses, and changing a
  PostgreSQL enum needs a migration that SQLite cannot express.
* Phone numbers, transcripts and answers are excluded from ``repr`` so that logging a model by
  accident never writes health answers or numbers to a log.
* The metadata has a naming convention so that every constraint has a stable name, which Alembic
  needs to alter constraints later (SQLite batch mode and PostgreSQL alike). Later tables
  (campaigns) only have to subclass ``SQLModel`` with ``table=True`` in this package and add a
  migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata

# Allowed values, checked in the repository functions.
DIRECTIONS = frozenset({"inbound", "outbound"})
SPEAKERS = frozenset({"caller", "agent"})
TURN_KINDS = frozenset({"text", "dtmf", "no_input"})
TERMINAL_STATUSES = frozenset({"completed", "failed", "no-answer", "busy", "canceled"})
RESERVATION_STATUSES = frozenset({"booked", "cancelled"})
SEVERITIES = frozenset({"urgent", "normal"})
ALERT_STATUSES = frozenset({"open", "acknowledged", "resolved"})
OPT_OUT_SOURCES = frozenset({"call", "operator", "import"})


def _ts() -> Any:
    """A fresh "now" timestamp column (a Column object can belong to only one table)."""
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def _opt_ts() -> Any:
    """A fresh nullable timestamp column."""
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Person(SQLModel, table=True):
    """Someone the agent calls or who calls in; the check-in's subject."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    phone: str | None = Field(default=None, unique=True, repr=False)  # E.164
    timezone: str = "UTC"  # IANA name
    language: str = "en"
    notes: str = Field(default="", repr=False)
    consent: bool = False
    created_at: datetime = _ts()


class Call(SQLModel, table=True):
    """One phone call, inbound or outbound, with its latest dialog state for resumption."""

    __tablename__ = "call"
    __table_args__ = (Index("ix_call_person_id_started_at", "person_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(unique=True)
    direction: str
    line: str = ""
    script: str = ""
    person_id: int | None = Field(default=None, foreign_key="person.id")
    from_number: str = Field(default="", repr=False)
    to_number: str = Field(default="", repr=False)
    status: str = "in-progress"
    outcome: str | None = None
    started_at: datetime = _ts()
    answered_at: datetime | None = _opt_ts()
    ended_at: datetime | None = _opt_ts()
    dialog_state: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True), repr=False
    )
    recording_path: str | None = None
    error: str | None = None
    last_status_seq: int = -1  # provider sequence numbers start at 0


class Turn(SQLModel, table=True):
    """One utterance, key press or silence; ``seq`` orders them and blocks duplicates."""

    __tablename__ = "turn"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id")
    seq: int
    speaker: str
    kind: str = "text"
    text: str = Field(default="", repr=False)
    confidence: float | None = None
    started_at: datetime = _ts()
    ended_at: datetime | None = _opt_ts()


class Answer(SQLModel, table=True):
    """One extracted answer (a slot value) from a call, kept for the next call's memory."""

    __tablename__ = "answer"
    __table_args__ = (
        Index("ix_answer_person_id_key_created_at", "person_id", "key", "created_at"),
        Index("ix_answer_call_id", "call_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    turn_id: int | None = Field(default=None, foreign_key="turn.id")
    key: str
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True), repr=False)
    raw_text: str = Field(default="", repr=False)
    confidence: float = 1.0
    created_at: datetime = _ts()


class Reservation(SQLModel, table=True):
    """A table booking occupying [starts_at, ends_at)."""

    __tablename__ = "reservation"
    __table_args__ = (
        Index("ix_reservation_starts_at", "starts_at"),
        Index("ix_reservation_phone", "phone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(repr=False)
    name: str = Field(repr=False)
    party_size: int
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = "booked"
    notes: str = Field(default="", repr=False)
    call_id: int | None = Field(default=None, foreign_key="call.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Alert(SQLModel, table=True):
    """Something a human must look at (e.g. a check-in found the person unwell)."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_status_severity", "status", "severity"),
        Index("ix_alert_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int | None = Field(default=None, foreign_key="call.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    severity: str
    reason: str
    detail: str = Field(default="", repr=False)
    status: str = "open"
    notes: str = Field(default="", repr=False)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = _opt_ts()
    resolved_by: str | None = None
    resolved_at: datetime | None = _opt_ts()


class OptOut(SQLModel, table=True):
    """A number that must never be called again."""

    __tablename__ = "opt_out"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(unique=True, repr=False)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    source: str = "call"
    created_at: datetime = _ts()


class StoreLock(SQLModel, table=True):
    """Named lock rows: writing one serialises writers on both backends (see reservations)."""

    __tablename__ = "store_lock"

    name: str = Field(primary_key=True)
    version: int = 0
