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


# ---- Operators and the audit trail (the operator pages and API) -----------------------------

ROLES = frozenset({"admin", "operator"})


class User(SQLModel, table=True):
    """Someone who logs in to the operator pages or the API.

    The table is ``app_user`` because ``user`` is a reserved word in PostgreSQL. Passwords and
    API tokens are stored only as hashes (see :mod:`store.users`); a disabled user keeps their
    row so that alerts and audit entries naming them still make sense.
    """

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str = Field(repr=False)
    role: str = "operator"
    created_at: datetime = _ts()
    disabled: bool = False
    api_token_hash: str | None = Field(default=None, unique=True, repr=False)


class AuditLog(SQLModel, table=True):
    """Who looked at or exported what, and when: viewing a call or exporting health data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str
    action: str
    target: str = ""
    at: datetime = _ts()


# ---- Outbound campaigns ---------------------------------------------------------------------
#
# The call-attempts table is the source of truth for outbound dialling: the scheduler's job
# store only holds a periodic "tick" with no arguments, so a lost or twice-run job changes
# nothing. An attempt is unique per (campaign, person, window, attempt number), so two planners
# racing insert it once; it is claimed by moving it out of ``pending`` under a row or write
# lock, so two dialers racing place it once.

CAMPAIGN_STATES = frozenset({"draft", "running", "paused", "finished"})
#: pending: waiting for its time; claimed: taken by a dialer, not yet sent to the provider;
#: dialing: a create request may have reached the provider (reconciled on start-up);
#: ringing / in_progress: the provider has it; done: settled with an outcome.
ATTEMPT_STATUSES = frozenset({"pending", "claimed", "dialing", "ringing", "in_progress", "done"})
IN_FLIGHT_STATUSES = frozenset({"claimed", "dialing", "ringing", "in_progress"})
ATTEMPT_OUTCOMES = frozenset(
    {
        "completed",
        "no-answer",
        "busy",
        "failed",
        "voicemail",
        "wrong_person",
        "opted_out",
        "expired",
    }
)
DELIVERY_STATUSES = frozenset({"pending", "delivered", "failed"})


class Campaign(SQLModel, table=True):
    """A script called to a list of people on a weekly schedule, with retries and pacing."""

    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    script: str = "wellness_checkin"
    state: str = "draft"
    days: str = "mon,tue,wed,thu,fri"  # comma-separated three-letter weekdays
    window_start: str = "10:00"  # local time in each person's own time zone
    window_end: str = "12:00"
    start_date: str | None = None  # ISO date, first day calls may be placed (local)
    end_date: str | None = None  # ISO date, last day calls may be placed (local)
    retry_outcomes: str = "no-answer,busy,failed"
    retry_delay_minutes: int = 30
    max_attempts_per_window: int = 3
    calls_per_second: float = 1.0
    max_concurrent: int = 5
    unreachable_after: int = 3  # consecutive windows not reached before an alert; 0: never
    next_dial_at: datetime | None = _opt_ts()  # pacing: the earliest the next call may start
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class CampaignMember(SQLModel, table=True):
    """A person on a campaign's list, with their run of check-ins nobody answered."""

    __tablename__ = "campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    person_id: int = Field(foreign_key="person.id")
    consecutive_unreached: int = 0
    created_at: datetime = _ts()


class CallAttempt(SQLModel, table=True):
    """One dial of one person in one calling window (campaign calls and one-off calls alike)."""

    __tablename__ = "call_attempt"
    __table_args__ = (
        UniqueConstraint("campaign_id", "person_id", "window_start", "attempt_no"),
        Index("ix_call_attempt_status_due_at", "status", "due_at"),
        Index("ix_call_attempt_campaign_id_status", "campaign_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    script: str
    to_number: str = Field(repr=False)
    window_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    window_end: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempt_no: int = 1
    status: str = "pending"
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    dial_at: datetime | None = _opt_ts()
    claimed_by: str | None = None
    claimed_at: datetime | None = _opt_ts()
    call_sid: str | None = Field(default=None, unique=True)
    answered_by: str | None = None
    outcome: str | None = None
    error: str | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    finished_at: datetime | None = _opt_ts()


class DoNotCall(SQLModel, table=True):
    """A number an operator or agency said must never be dialled (opt-outs live in opt_out)."""

    __tablename__ = "do_not_call"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(unique=True, repr=False)
    reason: str = Field(default="", repr=False)
    created_at: datetime = _ts()


class WebhookDelivery(SQLModel, table=True):
    """An urgent alert to push to the configured webhook; retried until delivered."""

    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", unique=True)
    status: str = "pending"
    tries: int = 0
    next_try_at: datetime = _ts()
    last_error: str | None = None
    created_at: datetime = _ts()
    delivered_at: datetime | None = _opt_ts()
