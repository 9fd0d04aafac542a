"""Numbers that asked not to be called again.

Adding is a single ``INSERT ... ON CONFLICT DO NOTHING`` on both backends, so a repeated or
concurrent opt-out never creates a second row and never fails the call that records it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from store.models import OPT_OUT_SOURCES, OptOut, metadata
from store.people import check_e164
from store.types import utcnow

OPT_OUT_TABLE = "opt_out"


def add_opt_out(
    s: Session, phone: str, *, person_id: int | None = None, source: str = "call"
) -> bool:
    """Record an opt-out; ``True`` if new, ``False`` if the number had already opted out."""
    check_e164(phone)
    if source not in OPT_OUT_SOURCES:
        raise ValueError(f"invalid opt-out source {source!r}")
    dialect = s.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = metadata.tables[OPT_OUT_TABLE]
    statement = (
        insert(table)
        .values(phone=phone, person_id=person_id, source=source, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["phone"])
    )
    # RETURNING says whether a row was written; rowcount is not reliable across drivers here
    # (psycopg reports -1). SQLite supports RETURNING since 3.35.
    return s.execute(statement.returning(table.c.id)).first() is not None


def is_opted_out(s: Session, phone: str) -> bool:
    """Whether this E.164 number must not be called."""
    return s.exec(select(OptOut.id).where(OptOut.phone == phone)).first() is not None
