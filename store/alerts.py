"""Alerts for the care team: raised by a call, then acknowledged and resolved by a person.

Who acted and when is recorded on the row, and notes accumulate with their author and time,
because an alert about someone's health is an audit trail, not just a flag. Acknowledging or
resolving twice keeps the first actor and time.
"""

from __future__ import annotations

from sqlalchemy import case
from sqlmodel import Session, col, select

from store.models import ALERT_STATUSES, SEVERITIES, Alert
from store.types import utcnow


def raise_alert(
    s: Session,
    *,
    severity: str,
    reason: str,
    detail: str = "",
    call_id: int | None = None,
    person_id: int | None = None,
) -> Alert:
    """Open an alert. ``reason`` is a short code (e.g. ``fall``); ``detail`` is free text."""
    if severity not in SEVERITIES:
        raise ValueError(f"invalid severity {severity!r}; expected one of {sorted(SEVERITIES)}")
    alert = Alert(
        severity=severity, reason=reason, detail=detail, call_id=call_id, person_id=person_id
    )
    s.add(alert)
    s.flush()
    return alert


def list_alerts(s: Session, status: str | None = None) -> list[Alert]:
    """Alerts, urgent first, then newest first; optionally only those with ``status``."""
    urgent_first = case((col(Alert.severity) == "urgent", 0), else_=1)
    query = select(Alert).order_by(urgent_first, col(Alert.created_at).desc(), col(Alert.id).desc())
    if status is not None:
        if status not in ALERT_STATUSES:
            raise ValueError(f"invalid alert status {status!r}")
        query = query.where(Alert.status == status)
    return list(s.exec(query))


def _get(s: Session, alert_id: int) -> Alert:
    alert = s.get(Alert, alert_id)
    if alert is None:
        raise LookupError(f"no alert with id {alert_id}")
    return alert


def _add_note(alert: Alert, by: str, note: str) -> None:
    if note:
        line = f"[{utcnow().isoformat(timespec='seconds')}] {by}: {note}"
        alert.notes = f"{alert.notes}\n{line}" if alert.notes else line


def acknowledge(s: Session, alert_id: int, by: str, note: str = "") -> Alert:
    """Mark an open alert as seen by ``by``; a resolved alert stays resolved."""
    alert = _get(s, alert_id)
    now = utcnow()
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = by, now
    if alert.status == "open":
        alert.status = "acknowledged"
    _add_note(alert, by, note)
    alert.updated_at = now
    s.add(alert)
    s.flush()
    return alert


def resolve(s: Session, alert_id: int, by: str, note: str = "") -> Alert:
    """Close an alert; resolving implies acknowledging if nobody had."""
    alert = _get(s, alert_id)
    now = utcnow()
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = by, now
    if alert.resolved_at is None:
        alert.resolved_by, alert.resolved_at = by, now
    alert.status = "resolved"
    _add_note(alert, by, note)
    alert.updated_at = now
    s.add(alert)
    s.flush()
    return alert
