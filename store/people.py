"""People and what they told us before: the check-in's memory of the last call.

Phone numbers are stored in E.164 only, so that a lookup by caller ID, an opt-out and a campaign
list agree on one spelling; normalising user input is the telephony layer's job. Errors never
repeat the number, because exception messages end up in logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from store.models import Answer, Call, Person

_E164 = re.compile(r"\+[1-9]\d{1,14}")


def check_e164(phone: str) -> str:
    """Return ``phone`` if it is E.164 (``+`` and up to 15 digits), else raise ValueError."""
    if not _E164.fullmatch(phone):
        raise ValueError("phone number is not in E.164 form (+ and country code)")
    return phone


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def find_person_by_phone(s: Session, phone: str) -> Person | None:
    """The person with this E.164 number, if any."""
    return s.exec(select(Person).where(Person.phone == phone)).first()


def get_or_create_person(
    s: Session,
    *,
    name: str,
    phone: str | None = None,
    timezone: str = "UTC",
    language: str = "en",
    notes: str = "",
    consent: bool = False,
) -> Person:
    """The person with this phone (or, without a phone, this exact name), created if absent.

    An existing person is returned unchanged: the other arguments are only used to create one,
    so a caller's misheard name never overwrites what an operator entered.
    """
    if phone is not None:
        check_e164(phone)
        existing = find_person_by_phone(s, phone)
    else:
        query = select(Person).where(Person.name == name, col(Person.phone).is_(None))
        existing = s.exec(query.order_by(col(Person.id))).first()
    if existing is not None:
        return existing
    _check_timezone(timezone)
    person = Person(
        name=name,
        phone=phone,
        timezone=timezone,
        language=language,
        notes=notes,
        consent=consent,
    )
    s.add(person)
    s.flush()
    return person


@dataclass(frozen=True, slots=True)
class AnswerSnapshot:
    """The latest answer to one question, and when and in which call it was given."""

    key: str
    value: Any
    raw_text: str
    confidence: float
    at: datetime
    call_id: int

    def __repr__(self) -> str:  # answers may be health data: keep them out of logs
        return f"AnswerSnapshot(key={self.key!r}, at={self.at.isoformat()}, call_id={self.call_id})"


def previous_answers(
    s: Session, person_id: int, before_call_id: int | None = None
) -> dict[str, AnswerSnapshot]:
    """Latest value per key from this person's earlier calls.

    With ``before_call_id``, only calls that started before that one count (the current call's
    own answers are excluded). An answer belongs to the person if it names them or its call
    does.
    """
    query = (
        select(Answer, Call)
        .join(Call, col(Answer.call_id) == col(Call.id))
        .where(or_(col(Answer.person_id) == person_id, col(Call.person_id) == person_id))
        .order_by(col(Answer.created_at).desc(), col(Answer.id).desc())
    )
    if before_call_id is not None:
        ref = s.get(Call, before_call_id)
        if ref is None:
            raise LookupError(f"no call with id {before_call_id}")
        query = query.where(
            or_(
                col(Call.started_at) < ref.started_at,
                and_(col(Call.started_at) == ref.started_at, col(Call.id) < before_call_id),
            )
        )
    latest: dict[str, AnswerSnapshot] = {}
    for answer, call in s.exec(query):
        if answer.key in latest:
            continue
        assert call.id is not None
        latest[answer.key] = AnswerSnapshot(
            key=answer.key,
            value=answer.value,
            raw_text=answer.raw_text,
            confidence=answer.confidence,
            at=answer.created_at,
            call_id=call.id,
        )
    return latest
