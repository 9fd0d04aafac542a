"""The JSON API: the same data and permissions as the pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from webkit import ADMIN_PASSWORD, XSS, Seeded

from store import audit, session_scope

AUTH = ("admin", ADMIN_PASSWORD)


def test_calls_list_and_filters(client: TestClient, seeded: Seeded) -> None:
    body = client.get("/api/calls", auth=AUTH).json()
    assert body["total"] == 2
    assert {c["call_sid"] for c in body["calls"]} == {seeded.call_sid, seeded.inbound_sid}
    kim = client.get("/api/calls", params={"q": "Kim"}, auth=AUTH).json()
    assert [c["call_sid"] for c in kim["calls"]] == [seeded.call_sid]
    assert kim["calls"][0]["person_name"] == "Mrs Kim" and kim["calls"][0]["recording"]
    booked = client.get("/api/calls", params={"outcome": "booked"}, auth=AUTH).json()
    assert [c["call_sid"] for c in booked["calls"]] == [seeded.inbound_sid]
    assert client.get("/api/calls", params={"limit": 0}, auth=AUTH).status_code == 422


def test_call_detail_keeps_its_shape_and_is_audited(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    body = client.get(f"/api/calls/{seeded.call_sid}", auth=AUTH).json()
    assert set(body) == {
        "call_sid", "direction", "line", "script", "status", "outcome", "started_at",
        "answered_at", "ended_at", "recording", "answers", "turns",
    }  # fmt: skip
    assert body["outcome"] == "completed" and body["turns"][1]["text"] == XSS
    assert {
        "key": "sleep",
        "value": "slept_poorly",
        "raw_text": "badly",
        "confidence": 0.9,
    } in body["answers"]
    with session_scope(app.state.runtime.db) as s:
        assert audit.list_entries(s, action="view_call")[0].target == f"call:{seeded.call_sid}"
    assert client.get("/api/calls/CAnope", auth=AUTH).status_code == 404


def test_alerts_list_ack_and_resolve(client: TestClient, seeded: Seeded) -> None:
    active = client.get("/api/alerts", auth=AUTH).json()
    assert [a["reason"] for a in active] == ["fall", "missed_medication"]
    assert active[0]["call_sid"] == seeded.call_sid
    acked = client.post(
        f"/api/alerts/{seeded.urgent_alert_id}/ack", json={"note": "on my way"}, auth=AUTH
    ).json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "admin"
    assert acked["acknowledged_at"] and "on my way" in acked["notes"]
    resolved = client.post(f"/api/alerts/{seeded.alert_id}/resolve", auth=AUTH).json()
    assert resolved["status"] == "resolved" and resolved["resolved_by"] == "admin"
    assert [a["reason"] for a in client.get("/api/alerts", auth=AUTH).json()] == ["fall"]
    assert len(client.get("/api/alerts", params={"status": "all"}, auth=AUTH).json()) == 2
    assert client.post("/api/alerts/999/ack", auth=AUTH).status_code == 404
    too_long = client.post(
        f"/api/alerts/{seeded.alert_id}/ack", json={"note": "x" * 3000}, auth=AUTH
    )
    assert too_long.status_code == 422


def test_person_and_dashboard(client: TestClient, seeded: Seeded) -> None:
    person = client.get(f"/api/people/{seeded.person_id}", auth=AUTH).json()
    assert person["name"] == "Mrs Kim" and person["opted_out"] is False
    assert person["checkins"][0]["answers"]["mood"] == "low"
    assert {a["reason"] for a in person["alerts"]} == {"fall", "missed_medication"}
    assert client.get("/api/people/999", auth=AUTH).status_code == 404
    dash = client.get("/api/dashboard", auth=AUTH).json()
    assert dash["today"] == {"completed": 1, "booked": 1}
    assert dash["open_alerts"] == {"urgent": 1, "normal": 1}


def test_recording_and_csv_over_the_api(client: TestClient, seeded: Seeded) -> None:
    wav = client.get(f"/api/calls/{seeded.call_sid}/recording", auth=AUTH)
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
    exported = client.get("/api/export/calls.csv", auth=AUTH)
    assert exported.status_code == 200 and seeded.call_sid in exported.text
