"""Alerts (who acknowledged and resolved, when) and opt-outs (idempotent)."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from store import OptOut, alerts, optouts


def test_alerts_list_urgent_first_then_newest(session: Session) -> None:
    old_normal = alerts.raise_alert(session, severity="normal", reason="missed_meds")
    urgent = alerts.raise_alert(session, severity="urgent", reason="fall", detail="on the floor")
    new_normal = alerts.raise_alert(session, severity="normal", reason="lonely")
    assert [a.id for a in alerts.list_alerts(session)] == [urgent.id, new_normal.id, old_normal.id]
    with pytest.raises(ValueError):
        alerts.raise_alert(session, severity="meh", reason="x")


def test_acknowledge_and_resolve_record_who_and_when(session: Session) -> None:
    alert = alerts.raise_alert(session, severity="urgent", reason="fall")
    assert alert.id is not None and alert.status == "open"
    acked = alerts.acknowledge(session, alert.id, "nurse.kim", "calling her daughter")
    assert (acked.status, acked.acknowledged_by) == ("acknowledged", "nurse.kim")
    first_ack = acked.acknowledged_at
    assert first_ack is not None
    alerts.acknowledge(session, alert.id, "nurse.lee")
    assert acked.acknowledged_by == "nurse.kim" and acked.acknowledged_at == first_ack
    assert [a.id for a in alerts.list_alerts(session, "acknowledged")] == [alert.id]
    done = alerts.resolve(session, alert.id, "nurse.lee", "daughter visited, all fine")
    assert (done.status, done.resolved_by) == ("resolved", "nurse.lee")
    assert done.resolved_at is not None and done.resolved_at >= first_ack
    assert "nurse.kim: calling her daughter" in done.notes
    assert "nurse.lee: daughter visited" in done.notes
    alerts.acknowledge(session, alert.id, "late.reader")
    assert done.status == "resolved"
    assert alerts.list_alerts(session, "open") == []
    with pytest.raises(LookupError):
        alerts.resolve(session, 9999, "x")


def test_resolve_without_acknowledge(session: Session) -> None:
    alert = alerts.raise_alert(session, severity="normal", reason="x")
    assert alert.id is not None
    alerts.resolve(session, alert.id, "ops")
    assert alert.acknowledged_by == "ops" and alert.acknowledged_at == alert.resolved_at


def test_opt_out_is_idempotent(session: Session) -> None:
    assert not optouts.is_opted_out(session, "+821055501234")
    assert optouts.add_opt_out(session, "+821055501234")
    assert not optouts.add_opt_out(session, "+821055501234", source="operator")
    assert optouts.is_opted_out(session, "+821055501234")
    assert session.exec(select(func.count()).select_from(OptOut)).one() == 1
    with pytest.raises(ValueError):
        optouts.add_opt_out(session, "+821055509999", source="rumour")
    with pytest.raises(ValueError):
        optouts.add_opt_out(session, "not a number")
