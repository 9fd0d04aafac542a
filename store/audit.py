"""The audit trail: who viewed a call or exported health data, and when.

Entries name the target by id (``call:CA123``, ``export:calls``), never by its content, so the
trail itself holds no health answers or phone numbers. Functions flush; the caller commits —
usually in the same transaction as the read it records, so a view is never served unrecorded.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from store.models import AuditLog


def record(s: Session, actor: str, action: str, target: str = "") -> AuditLog:
    """Append one entry."""
    if not actor or not action:
        raise ValueError("an audit entry needs an actor and an action")
    entry = AuditLog(actor=actor, action=action, target=target)
    s.add(entry)
    s.flush()
    return entry


def list_entries(
    s: Session, *, actor: str | None = None, action: str | None = None, limit: int = 200
) -> list[AuditLog]:
    """Newest first, optionally for one actor or action."""
    query = select(AuditLog).order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
    if actor is not None:
        query = query.where(AuditLog.actor == actor)
    if action is not None:
        query = query.where(AuditLog.action == action)
    return list(s.exec(query.limit(limit)))
