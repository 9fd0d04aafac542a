"""Call attempts: the durable record of every dial, and the locks that make it happen once.

Two rules keep a restart, a crash or a second process from dialling anyone twice:

* an attempt is inserted with ``ON CONFLICT DO NOTHING`` on (campaign, person, window, number),
  so two planners create it once;
* it leaves ``pending`` only inside a transaction that holds it locked: PostgreSQL
  ``SELECT ... FOR UPDATE SKIP LOCKED`` (a second dialer skips it), SQLite the database's write
  lock (taken first with :func:`store.locks.take_lock`, so the read cannot be stale).

Functions flush and never commit; claimers commit right after claiming, before dialling.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.locks import take_lock
from store.models import ATTEMPT_STATUSES, IN_FLIGHT_STATUSES, CallAttempt, metadata
from store.people import check_e164
from store.types import as_utc, utcnow


def _is_pg(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def plan_attempt(
    s: Session,
    *,
    campaign_id: int | None,
    person_id: int | None,
    script: str,
    to_number: str,
    window_start: datetime,
    window_end: datetime,
    due_at: datetime,
    attempt_no: int = 1,
) -> int | None:
    """Insert a pending attempt unless that (campaign, person, window, number) exists.

    Returns the new id, or None when another planner (or an earlier tick) already made it.
    """
    check_e164(to_number)
    now = utcnow()
    table = metadata.tables["call_attempt"]
    values: dict[str, Any] = {
        "campaign_id": campaign_id,
        "person_id": person_id,
        "script": script,
        "to_number": to_number,
        "window_start": as_utc(window_start),
        "window_end": as_utc(window_end),
        "attempt_no": attempt_no,
        "status": "pending",
        "due_at": as_utc(due_at),
        "created_at": now,
        "updated_at": now,
    }
    insert: Any = postgresql.insert if _is_pg(s) else sqlite.insert
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["campaign_id", "person_id", "window_start", "attempt_no"]
        )
        .returning(table.c.id)
    )
    row = s.execute(statement).first()
    return int(row[0]) if row is not None else None


def lock_claims(s: Session, name: str) -> None:
    """Serialise claimers of one queue (a campaign's pacing and concurrency cap)."""
    take_lock(s, name)


def due_for_update(
    s: Session, *, now: datetime, campaign_id: int | None, limit: int
) -> list[CallAttempt]:
    """Pending attempts due by ``now`` and still inside their window, oldest first, locked.

    PostgreSQL skips rows another transaction holds; SQLite relies on the write lock the caller
    took first. ``campaign_id`` None selects one-off calls.
    """
    if limit <= 0:
        return []
    query = (
        select(CallAttempt)
        .where(
            CallAttempt.status == "pending",
            col(CallAttempt.due_at) <= as_utc(now),
            col(CallAttempt.window_end) > as_utc(now),
        )
        .order_by(col(CallAttempt.due_at), col(CallAttempt.id))
        .limit(limit)
    )
    if campaign_id is None:
        query = query.where(col(CallAttempt.campaign_id).is_(None))
    else:
        query = query.where(CallAttempt.campaign_id == campaign_id)
    if _is_pg(s):
        query = query.with_for_update(skip_locked=True)
    return list(s.exec(query))


def lock_attempt(s: Session, attempt_id: int) -> CallAttempt:
    """The attempt, locked against concurrent settlement until the transaction ends."""
    if _is_pg(s):
        query = select(CallAttempt).where(CallAttempt.id == attempt_id).with_for_update()
        attempt = s.exec(query).first()
    else:
        take_lock(s, "attempts")
        attempt = s.get(CallAttempt, attempt_id, populate_existing=True)
    if attempt is None:
        raise LookupError(f"no call attempt with id {attempt_id}")
    return attempt


def get_attempt(s: Session, attempt_id: int) -> CallAttempt | None:
    return s.get(CallAttempt, attempt_id)


def by_call_sid(s: Session, call_sid: str) -> CallAttempt | None:
    return s.exec(select(CallAttempt).where(CallAttempt.call_sid == call_sid)).first()


def set_status(s: Session, attempt: CallAttempt, status: str, **fields: Any) -> None:
    """Change an attempt's status (and any other columns given) and flush."""
    if status not in ATTEMPT_STATUSES:
        raise ValueError(f"invalid attempt status {status!r}")
    attempt.status = status
    for name, value in fields.items():
        setattr(attempt, name, value)
    attempt.updated_at = utcnow()
    s.add(attempt)
    s.flush()


def in_flight(s: Session, campaign_id: int | None) -> int:
    """Attempts claimed but not settled: what counts against the concurrency cap."""
    query = select(func.count()).where(col(CallAttempt.status).in_(sorted(IN_FLIGHT_STATUSES)))
    if campaign_id is None:
        query = query.where(col(CallAttempt.campaign_id).is_(None))
    else:
        query = query.where(CallAttempt.campaign_id == campaign_id)
    return int(s.exec(query).one())


def with_status(s: Session, statuses: Sequence[str]) -> list[CallAttempt]:
    query = select(CallAttempt).where(col(CallAttempt.status).in_(list(statuses)))
    return list(s.exec(query.order_by(col(CallAttempt.id))))


def pending_past_window(s: Session, now: datetime, limit: int = 500) -> list[int]:
    """Ids of pending attempts whose window closed before they were placed."""
    query = (
        select(CallAttempt.id)
        .where(CallAttempt.status == "pending", col(CallAttempt.window_end) <= as_utc(now))
        .order_by(col(CallAttempt.id))
        .limit(limit)
    )
    return [int(i) for i in s.exec(query) if i is not None]


def for_campaign(s: Session, campaign_id: int) -> list[CallAttempt]:
    query = select(CallAttempt).where(CallAttempt.campaign_id == campaign_id)
    return list(s.exec(query.order_by(col(CallAttempt.id))))


def last_for_person(s: Session, campaign_id: int, person_id: int) -> CallAttempt | None:
    query = (
        select(CallAttempt)
        .where(CallAttempt.campaign_id == campaign_id, CallAttempt.person_id == person_id)
        .order_by(col(CallAttempt.window_start).desc(), col(CallAttempt.attempt_no).desc())
    )
    return s.exec(query).first()
