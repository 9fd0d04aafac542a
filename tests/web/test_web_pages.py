"""The pages: what they show, that caller text is escaped, and what is audited."""

from __future__ import annotations

import csv
import io

from fastapi import FastAPI
from fastapi.testclient import TestClient
from webkit import XSS, Seeded

from agent.web.csv_export import neutralise
from store import Alert, audit, session_scope


def _audit(app: FastAPI) -> list[tuple[str, str, str]]:
    with session_scope(app.state.runtime.db) as s:
        return [(e.actor, e.action, e.target) for e in audit.list_entries(s)]


def test_dashboard_counts_today_and_open_alerts(admin: TestClient, seeded: Seeded) -> None:
    page = admin.get("/").text
    assert "Calls today" in page and "completed" in page and "booked" in page
    assert "<svg" in page and 'class="o-completed"' in page
    assert "sev-urgent" in page


def test_calls_list_filters_and_search(admin: TestClient, seeded: Seeded) -> None:
    everything = admin.get("/calls").text
    assert seeded.call_sid in everything and seeded.inbound_sid in everything
    by_name = admin.get("/calls", params={"q": "kim"}).text
    assert seeded.call_sid in by_name and seeded.inbound_sid not in by_name
    by_number = admin.get("/calls", params={"q": "0199999"}).text
    assert seeded.inbound_sid in by_number and seeded.call_sid not in by_number
    by_outcome = admin.get("/calls", params={"outcome": "booked"}).text
    assert seeded.inbound_sid in by_outcome and seeded.call_sid not in by_outcome
    by_line = admin.get("/calls", params={"line": "carecall"}).text
    assert seeded.call_sid in by_line and seeded.inbound_sid not in by_line
    none = admin.get("/calls", params={"date_to": "2000-01-01"}).text
    assert seeded.call_sid not in none
    ignored = admin.get("/calls", params={"date_from": "not-a-date"})
    assert ignored.status_code == 200


def test_call_page_escapes_the_transcript_and_is_audited(
    app: FastAPI, admin: TestClient, seeded: Seeded
) -> None:
    page = admin.get(f"/calls/{seeded.call_sid}").text
    assert XSS not in page
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "How did you sleep last night?" in page
    assert "slept_poorly" in page and "0:00" in page
    assert f'src="/calls/{seeded.call_sid}/recording"' in page
    assert ("admin", "view_call", f"call:{seeded.call_sid}") in _audit(app)


def test_recording_is_served_to_logged_in_users_only(
    app: FastAPI, admin: TestClient, client: TestClient, seeded: Seeded
) -> None:
    wav = admin.get(f"/calls/{seeded.call_sid}/recording")
    assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"
    assert wav.content[:4] == b"RIFF"
    assert ("admin", "play_recording", f"call:{seeded.call_sid}") in _audit(app)
    assert admin.get(f"/calls/{seeded.inbound_sid}/recording").status_code == 404


def test_recording_outside_the_recordings_folder_is_not_served(
    app: FastAPI, admin: TestClient, seeded: Seeded, tmp_path: object
) -> None:
    with session_scope(app.state.runtime.db) as s:
        from store.calls import get_call

        call = get_call(s, seeded.call_sid)
        assert call is not None
        call.recording_path = "/etc/passwd"
        s.add(call)
    assert admin.get(f"/calls/{seeded.call_sid}/recording").status_code == 404
    assert "<audio" not in admin.get(f"/calls/{seeded.call_sid}").text


def test_acknowledge_and_resolve_from_the_queue(
    app: FastAPI, admin: TestClient, seeded: Seeded
) -> None:
    queue = admin.get("/alerts").text
    assert queue.index("fall") < queue.index("missed_medication")  # urgent first
    csrf = admin.csrf  # type: ignore[attr-defined]
    ack = admin.post(
        f"/alerts/{seeded.urgent_alert_id}/ack", data={"csrf": csrf, "note": "called her daughter"}
    )
    assert ack.status_code == 303
    done = admin.post(
        f"/alerts/{seeded.alert_id}/resolve", data={"csrf": csrf, "note": "<b>took it</b>"}
    )
    assert done.status_code == 303
    with session_scope(app.state.runtime.db) as s:
        urgent = s.get(Alert, seeded.urgent_alert_id)
        normal = s.get(Alert, seeded.alert_id)
        assert urgent is not None and normal is not None
        assert urgent.status == "acknowledged" and urgent.acknowledged_by == "admin"
        assert "called her daughter" in urgent.notes
        assert normal.status == "resolved" and normal.resolved_by == "admin"
    active = admin.get("/alerts").text
    assert "missed_medication" not in active
    resolved = admin.get("/alerts", params={"status": "resolved"}).text
    assert "&lt;b&gt;took it&lt;/b&gt;" in resolved


def test_csv_export_neutralises_formulas_and_is_audited(
    app: FastAPI, admin: TestClient, seeded: Seeded
) -> None:
    response = admin.get("/calls/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    checkin = next(r for r in rows if r["call_sid"] == seeded.call_sid)
    assert checkin["answer:needs"] == '\'=HYPERLINK("http://x")'
    assert checkin["answer:sleep"] == "slept_poorly"
    assert checkin["number"] == "'+15550100001"
    assert ("admin", "export_calls", "export:calls") in _audit(app)
    only_booked = admin.get("/calls/export.csv", params={"outcome": "booked"}).text
    assert seeded.inbound_sid in only_booked and seeded.call_sid not in only_booked


def test_neutralise() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous).startswith("'")
    assert neutralise("fine") == "fine" and neutralise(None) == "" and neutralise(3) == "3"


def test_person_page_history_charts_notes_and_opt_out(
    app: FastAPI, admin: TestClient, seeded: Seeded
) -> None:
    page = admin.get(f"/people/{seeded.person_id}").text
    assert "Mrs Kim" in page and "Mood" in page and "Sleep" in page and "Pain" in page
    assert "<circle" in page  # the mood and sleep answers are plotted
    assert ("admin", "view_person", f"person:{seeded.person_id}") in _audit(app)
    csrf = admin.csrf  # type: ignore[attr-defined]
    saved = admin.post(
        f"/people/{seeded.person_id}/notes", data={"csrf": csrf, "notes": "Daughter: <Ana>"}
    )
    assert saved.status_code == 303
    assert "Daughter: &lt;Ana&gt;" in admin.get(f"/people/{seeded.person_id}").text
    assert "opted out" not in admin.get(f"/people/{seeded.person_id}").text
    admin.post(f"/people/{seeded.person_id}/opt-out", data={"csrf": csrf})
    assert "Opted out: will not be called." in admin.get(f"/people/{seeded.person_id}").text
    assert "Mrs Kim" in admin.get("/people", params={"q": "kim"}).text


def test_reservations_by_day_with_capacity(app: FastAPI, admin: TestClient) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from store import reservations

    runtime = app.state.runtime
    tz = ZoneInfo(runtime.settings.timezone)
    day = dt.date(2031, 3, 14)
    with session_scope(runtime.db) as s:
        reservations.book(
            s,
            phone="+15550100002",
            name="Patel <script>",
            party_size=6,
            starts_at=dt.datetime(2031, 3, 14, 19, 0, tzinfo=tz),
            capacity=40,
            booking_minutes=90,
        )
    page = admin.get("/reservations", params={"day": day.isoformat()}).text
    assert "Patel &lt;script&gt;" in page
    assert "6/40" in page and "0/40" in page
    api = admin.get("/api/reservations", params={"day": day.isoformat()}).json()
    assert api["peak_covers"] == 6 and api["reservations"][0]["party_size"] == 6


def test_api_docs_page_lists_the_endpoints(admin: TestClient) -> None:
    page = admin.get("/api/docs").text
    for path in ("/api/calls", "/api/calls/{call_sid}", "/api/alerts/{alert_id}/ack"):
        assert path in page
    assert admin.get("/api/openapi.json").json()["paths"]["/api/calls"]
