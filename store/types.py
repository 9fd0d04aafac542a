"""Column types and clock helpers shared by every table.

SQLite has no time-zone-aware timestamp: SQLAlchemy stores a naive string and hands back a naive
datetime, while PostgreSQL's ``timestamptz`` hands back an aware one in the session's zone. A call
placed at 09:00 in Seoul and compared with a reservation at 00:00 UTC must agree on both
backends, so every timestamp goes through :class:`UTCDateTime`, which only accepts aware values,
stores UTC and always returns aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime (the only kind the store accepts)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse naive ones rather than guess their zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: the store only accepts time-zone-aware values")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that is aware-in, UTC-stored, aware-UTC-out on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        if dialect.name == "sqlite":
            # SQLite compares timestamps as text: store one zone and one format so that
            # ordering and range queries stay correct.
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - defensive, drivers return datetime
            raise TypeError(f"unexpected timestamp type {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
