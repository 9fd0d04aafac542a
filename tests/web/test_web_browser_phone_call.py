"""A real phone call through the simulated phone, then checked by an operator in Chromium.

The server is the real app (``create_app``) with the speech models loaded (Silero VAD, Whisper,
Piper) under uvicorn on a loopback port, built with the end-to-end helpers in
``tests/e2e/e2e_kit.py``. Every number rings the wellness check-in script; the simulated caller
(Piper's voice, heard by the server's Whisper) answers until it has told the agent about a pain
of four out of five, which raises a ``severe_pain`` alert, then hangs up. Chromium (the system's
package, never a Playwright download) then logs in, finds the call in the list, reads the
recognised words, plays the stereo WAV the pipeline wrote, acknowledges the alert with a note
and exports the CSV. A screenshot goes to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect, sync_playwright
from sqlmodel import select

from agent.settings import Settings
from agent.simcall import Caller
from agent.voice import Voice
from store.db import session_scope
from store.models import Alert, Answer, AuditLog
from store.people import get_or_create_person

REPO = Path(__file__).resolve().parents[2]
sys.path.append(str(REPO / "tests" / "e2e"))  # appended: this folder's modules come first

from e2e_kit import ADMIN_PASSWORD, CALLER_NUMBER, Live, converse, serve  # noqa: E402

SHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
# What the caller says, one line after each of the agent's questions.
CALLER_LINES = [
    "Yes, it's me.",  # Am I speaking with ...?
    "I had toast for breakfast.",  # What have you had to eat today?
    "I slept badly.",  # How did you sleep last night?
    "My knee hurts.",  # Any pain or health problems today?
    "My knee.",  # Where does it hurt?
    "About a four.",  # On a scale of one to five ...? (four or more raises severe_pain)
]
NOTE = "Rang her; the GP will see the knee tomorrow"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # websockets, pipecat


@pytest.fixture(scope="module")
def chromium() -> str:
    subprocess.run(["bash", str(REPO / "infra" / "ensure-chromium.sh")], check=True)
    path = shutil.which("chromium")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> Voice:
    """The speech models, loaded once for this module; the server's lifespan warms its cache."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("voice"))  # type: ignore[call-arg]
    return Voice.load(settings)


@pytest.fixture
def live(voice: Voice, tmp_path: Path) -> Iterator[Live]:
    caller = Caller(voice.synthesizer, voice.recognizer)
    lines = '{"default": "wellness_checkin"}'
    with serve(voice, caller, tmp_path / "server", lines=lines, record_calls=True) as server:
        yield server


async def _phone_in(live: Live) -> str:
    """Call the line, answer the check-in up to the pain score, hang up; the call's SID."""
    with session_scope(live.app.state.runtime.db) as s:  # she is known: recognised by caller ID
        get_or_create_person(s, name="Mrs Kim", phone=CALLER_NUMBER, timezone="America/New_York")
    speech = [await asyncio.to_thread(live.caller.speech, line) for line in CALLER_LINES]
    phone = live.phone()
    async with phone:
        await phone.dial()
        await converse(phone, speech)
        await phone.wait_for_agent_silence(timeout=25)  # the agent moves on to the mood question
        assert not phone.ended.is_set(), "the agent hung up before the caller did"
        await phone.hang_up()
    call_sid: str = phone.call_sid
    await live.wait_finalised(call_sid)
    return call_sid


@dataclass
class Seen:
    """What the browser found, for the checks against the database afterwards."""

    duration: float
    csv_row: dict[str, str]
    dialogs: list[str]


def _operator(page: Page, call_sid: str, wav_seconds: float) -> Seen:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    # Log in.
    page.goto("/calls")
    assert "/login" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("a[href='/logout'], form[action='/logout']").first).to_be_attached()

    # The call list shows the call; open it.
    page.goto("/calls")
    link = page.locator(f"a[href='/calls/{call_sid}']")
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("h1")).to_contain_text(call_sid)
    expect(page.locator("dl.facts")).to_contain_text("wellness_checkin")
    expect(page.locator("dl.facts")).to_contain_text(CALLER_NUMBER)

    # The transcript holds the agent's questions and the words Whisper heard from the caller.
    caller_turns = page.locator("ol.transcript li.turn.caller .text")
    expect(caller_turns.first).to_be_visible()
    heard = " ".join(caller_turns.all_inner_texts()).lower()
    for word in ("toast", "badly", "knee"):
        assert word in heard, f"{word!r} not in the caller's transcript: {heard!r}"
    agent = page.locator("ol.transcript li.turn.agent .text")
    expect(agent.filter(has_text=re.compile("scale of one to five", re.I))).to_have_count(1)

    # The answers and the alert.
    answers = page.locator("section", has=page.locator("h2", has_text="Answers"))
    expect(answers.locator("tr", has_text="pain_severity")).to_contain_text("4")
    expect(answers.locator("tr", has_text="pain_where")).to_contain_text(re.compile("knee", re.I))
    alert_row = page.locator("section", has=page.locator("h2", has_text="Alerts")).locator(
        "tbody tr", has_text="severe_pain"
    )
    expect(alert_row).to_have_count(1)
    expect(alert_row).to_contain_text("open")

    # Play the recording: the stereo WAV the pipeline wrote.
    audio = page.locator("audio#recording")
    expect(audio).to_be_visible()
    page.evaluate("document.getElementById('recording').play()")
    page.wait_for_function(
        "() => { const a = document.getElementById('recording');"
        " return a.error !== null || (a.readyState >= 2 && a.currentTime > 0); }"
    )
    assert page.evaluate("document.getElementById('recording').error") is None
    duration = float(page.evaluate("document.getElementById('recording').duration"))
    page.evaluate("document.getElementById('recording').pause()")
    assert abs(duration - wav_seconds) < 0.05, (duration, wav_seconds)

    # Acknowledge the alert with a note, from the call page.
    alert_row.locator("input[name=note]").fill(NOTE)
    alert_row.locator("button", has_text="Acknowledge").click()
    expect(page.locator("h1")).to_contain_text(call_sid)  # back on the call
    alert_row = page.locator("section", has=page.locator("h2", has_text="Alerts")).locator(
        "tbody tr", has_text="severe_pain"
    )
    expect(alert_row.locator(".badge.s-acknowledged")).to_have_text("acknowledged")
    expect(alert_row).to_contain_text("seen by admin")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone_call.png"), full_page=True)
    # ... and the queue agrees, with the note.
    page.goto("/alerts?status=acknowledged")
    queued = page.locator("table.alerts tbody tr", has_text="severe_pain")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text(NOTE)

    # Export the CSV.
    page.goto("/calls")
    with page.expect_download() as info:
        page.click("text=Export CSV")
    text = Path(info.value.path()).read_text()
    rows = {r["call_sid"]: r for r in csv.DictReader(io.StringIO(text))}
    assert call_sid in rows, f"{call_sid} not in the export: {list(rows)}"
    return Seen(duration=duration, csv_row=rows[call_sid], dialogs=dialogs)


def _browse(chromium: str, base: str, call_sid: str, wav_seconds: float) -> Seen:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(
                base_url=base, viewport={"width": 1280, "height": 900}, accept_downloads=True
            )
            return _operator(context.new_page(), call_sid, wav_seconds)
        finally:
            browser.close()


async def test_phone_call_seen_played_acknowledged_exported(live: Live, chromium: str) -> None:
    call_sid = await _phone_in(live)

    call = live.call(call_sid)
    assert call is not None
    assert (call.direction, call.script) == ("inbound", "wellness_checkin")
    assert call.status == "completed"
    assert call.outcome == "abandoned"  # the caller hung up before the goodbye
    assert call.recording_path is not None
    recording = Path(call.recording_path)
    assert recording.parent.resolve() == live.settings.resolved_recordings_dir.resolve()
    with wave.open(str(recording), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (2, 2)  # caller and agent legs
        wav_seconds = wav.getnframes() / wav.getframerate()
    assert wav_seconds > 5  # six caller lines and the agent's questions, not a stub
    with live.db() as s:
        [alert] = s.exec(select(Alert).where(Alert.call_id == call.id)).all()
        answers = {a.key: a.value for a in s.exec(select(Answer).where(Answer.call_id == call.id))}
    assert (alert.reason, alert.status, alert.acknowledged_by) == ("severe_pain", "open", None)
    assert answers["pain_severity"] == 4

    # The browser runs in a thread of its own: Playwright's sync API wants no event loop.
    seen = await asyncio.to_thread(_browse, chromium, live.url, call_sid, wav_seconds)

    assert seen.dialogs == []
    assert seen.csv_row["answer:pain_severity"] == "4"
    assert seen.csv_row["number"] == "'" + CALLER_NUMBER  # quoted: not a formula in a sheet
    assert seen.csv_row["outcome"] == "abandoned"
    with live.db() as s:
        alert = s.get(Alert, alert.id)
        assert alert is not None
        audit = [(e.actor, e.action, e.target) for e in s.exec(select(AuditLog))]
    assert alert.status == "acknowledged"
    assert alert.acknowledged_by == "admin" and alert.acknowledged_at is not None
    assert NOTE in alert.notes
    for action in ("view_call", "play_recording"):
        assert ("admin", action, f"call:{call_sid}") in audit
    assert ("admin", "export_calls", "export:calls") in audit
