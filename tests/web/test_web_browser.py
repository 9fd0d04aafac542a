"""Browser tests: Playwright driving the system's Chromium (installed with apt, never downloaded).

The app runs on uvicorn in a thread without its lifespan (no speech models); the check-in call
the pages show is made through the agent's own call session (:class:`agent.session.CallSession`)
— the dialog, NLU and store path a phone call takes — and its recording is a small WAV.
Screenshots of the main pages go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from webkit import ADMIN_PASSWORD, make_app, write_wav

from agent.session import CallSession
from campaigns import manage
from dialog.types import UserInput
from store import calls, people, reservations, session_scope

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-artifacts" / "screenshots"
HOSTILE = '<script>document.title="pwned";alert(1)</script><img src=x onerror=alert(2)>'
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    subprocess.run(["bash", str(REPO / "infra" / "ensure-chromium.sh")], check=True)
    path = shutil.which("chromium")
    assert path is not None
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _seed(app: FastAPI) -> str:
    """A check-in through the call session (alerts included), earlier weeks, a booking."""
    runtime = app.state.runtime
    with session_scope(runtime.db) as s:
        person = people.get_or_create_person(
            s, name="Mrs Kim", phone="+15550100001", timezone="America/New_York", consent=True
        )
        person_id = person.id
    assert person_id is not None
    now = dt.datetime.now(dt.UTC)
    moods, sleeps = ["good", "okay", "low", "okay", "good"], ["slept_well", "slept_poorly"]
    for week in range(5, 0, -1):  # five earlier weekly check-ins for the charts
        with session_scope(runtime.db) as s:
            call = calls.create_call(
                s,
                call_sid=f"CAweek{week}",
                direction="outbound",
                line="carecall",
                script="wellness_checkin",
                to_number="+15550100001",
                person_id=person_id,
            )
            assert call.id is not None
            call.started_at = now - dt.timedelta(weeks=week)
            for key, value in (("mood", moods[week - 1]), ("sleep", sleeps[week % 2])):
                calls.add_answer(s, call.id, key=key, value=value, raw_text=value, confidence=1)
            calls.add_answer(s, call.id, key="pain", value="none", raw_text="no", confidence=1)
            calls.finish_call(s, call.call_sid, status="completed", outcome="completed")
    session = CallSession(
        runtime,
        script="wellness_checkin",
        call_sid="CAbrowser1",
        direction="outbound",
        line="carecall",
        to_number="+15550100001",
        person_id=person_id,
        person_name="Mrs Kim",
    )
    session.start()
    for said in (
        "yes this is she",
        "I had soup and a sandwich",
        "I slept badly",
        "my knee hurts",
        "my knee",
        "about a four",
        "I'm feeling a bit down",
        "no I forgot",
        HOSTILE,
    ):
        if session.ended:
            break
        session.handle(UserInput.said(said, confidence=0.92))
    session.finish()
    wav = runtime.settings.resolved_recordings_dir / "CAbrowser1.wav"
    write_wav(wav, seconds=1.0)
    with session_scope(runtime.db) as s:
        call = calls.get_call(s, "CAbrowser1")
        assert call is not None
        call.recording_path = str(wav)
        tz = ZoneInfo(runtime.settings.timezone)
        today = dt.datetime.now(tz).date()
        for hour, party, name in ((18, 4, "Patel"), (19, 6, "Okafor"), (19, 2, "Lindqvist")):
            reservations.book(
                s,
                phone="+15550100123",
                name=name,
                party_size=party,
                starts_at=dt.datetime.combine(today, dt.time(hour, 0), tzinfo=tz),
                capacity=runtime.settings.capacity,
                booking_minutes=runtime.settings.booking_minutes,
            )
    spec = manage.CampaignSpec(name="Weekly check-ins", days="mon,thu", window="10:00-12:00")
    manage.create(runtime.db, spec, "name,phone\nMr Lee,+12025550142\nMrs Park,+12025550143\n")
    return "CAbrowser1"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    app = make_app(tmp_path_factory.mktemp("browser") / "data")
    call_sid = _seed(app)
    with session_scope(app.state.runtime.db) as s:
        person = people.find_person_by_phone(s, "+15550100001")
        assert person is not None and person.id is not None
        person_id = person.id
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.05):
        if server.started:
            started.set()
        assert thread.is_alive(), "the server did not start"
    yield f"http://127.0.0.1:{port}", call_sid, person_id
    server.should_exit = True
    thread.join()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser: Browser, live: tuple[str, str, int]) -> Iterator[Page]:
    base, _, _ = live
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    yield pg
    context.close()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_login_then_dashboard(page: Page) -> None:
    page.goto("/")
    assert "/login" in page.url
    _shot(page, "login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Wrong user name or password")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Today")
    expect(page.locator("svg.chart rect.o-completed").first).to_be_visible()
    _shot(page, "dashboard")


def test_call_made_through_the_session_shows_safely_and_plays(
    page: Page, live: tuple[str, str, int]
) -> None:
    _, call_sid, _ = live
    page.goto("/calls")
    _shot(page, "calls")
    page.click(f"a[href='/calls/{call_sid}']")
    expect(page.locator("h1")).to_contain_text(call_sid)
    transcript = page.locator("ol.transcript")
    expect(transcript).to_contain_text("my knee hurts")
    expect(transcript).to_contain_text(HOSTILE)  # shown as text ...
    assert page.title() != "pwned" and page.dialogs == []  # type: ignore[attr-defined]
    assert page.locator("ol.transcript script, ol.transcript img").count() == 0  # ... not markup
    expect(page.locator("table").first).to_contain_text("severe_pain")
    audio = page.locator("audio#recording")
    expect(audio).to_be_visible()
    page.evaluate("document.getElementById('recording').play()")
    page.wait_for_function("() => document.getElementById('recording').currentTime > 0")
    duration = page.evaluate("document.getElementById('recording').duration")
    assert abs(duration - 1.0) < 0.05
    assert page.evaluate("document.getElementById('recording').error") is None
    _shot(page, "call")


def test_acknowledge_an_alert(page: Page) -> None:
    page.goto("/alerts")
    row = page.locator("tr", has_text="missed_medication")
    row.locator("input[name=note]").fill("Rang her daughter; she will check the pill box")
    row.locator("button", has_text="Acknowledge").click()
    row = page.locator("tr", has_text="missed_medication")
    expect(row).to_contain_text("acknowledged")
    expect(row).to_contain_text("seen by admin")
    expect(row).to_contain_text("Rang her daughter")
    _shot(page, "alerts")


def test_export_csv(page: Page, live: tuple[str, str, int]) -> None:
    _, call_sid, _ = live
    page.goto("/calls")
    with page.expect_download() as info:
        page.click("text=Export CSV")
    text = Path(info.value.path()).read_text()
    rows = {r["call_sid"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[call_sid]["answer:pain_severity"] == "4"
    assert rows[call_sid]["number"] == "'+15550100001"  # would be a formula in a spreadsheet


def test_person_and_reservation_pages(page: Page, live: tuple[str, str, int]) -> None:
    _, _, person_id = live
    page.goto(f"/people/{person_id}")
    expect(page.locator("h1")).to_contain_text("Mrs Kim")
    assert page.locator("svg.chart circle.point").count() >= 10
    _shot(page, "person")
    page.goto("/reservations")
    expect(page.locator("table")).to_contain_text("Okafor")
    _shot(page, "reservations")
    page.goto("/api/docs")
    expect(page.locator("table.api")).to_contain_text("/api/calls/{call_sid}")


def test_campaign_pages(page: Page) -> None:
    page.goto("/campaigns")
    page.click("text=Weekly check-ins")
    expect(page.locator("dl.facts")).to_contain_text("mon,thu")
    page.click("button[value=start]")
    expect(page.locator("h1 .badge")).to_have_text("running")
    _shot(page, "campaign")
