"""Numbers that asked not to be called again.

Adding is a single ``INSERT ... ON CONFLICT DO NOTHING`` on both backends, so a repeated or
concurrent opt-out never creates a second row and never fails the call that records it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from store.models import OPT_OUT_SOURCES, OptOut
from store.people import check_e164
from store.types import utcnow


def add_opt_out(
    s: Session, phone: str, *, person_id: int | None = None, source: str = "call"
) -> bool:
    """Record an opt-out; ``True`` if new, ``False`` if the number had already opted out."""
    check_e164(phone)
    if source not in OPT_OUT_SOURCES:
        raise ValueError(f"invalid opt-out source {source!r}")
    dialect = s.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OptOut)
        .values(phone=phone, person_id=person_id, source=source, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["phone"])
    )
    result: Any = s.execute(statement)
    return bool(result.rowcount == 1)


def is_opted_out(s: Session, phone: str) -> bool:
    """Whether this E.164 number must not be called."""
    return s.exec(select(OptOut.id).where(OptOut.phone == phone)).first() is not None
