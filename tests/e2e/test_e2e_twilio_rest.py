"""Ending calls through Twilio's REST API: after the last mark, idempotently, and hand-overs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from conftest import ServeFactory
from e2e_fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, fake_twilio
from e2e_kit import Live, TimedPhone, converse

HANDOVER = "+15550109999"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


def _twilio_settings(fake: FakeTwilio) -> dict[str, str]:
    """Twilio configured: ends and hand-overs go through the (fake) REST API."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "twilio_api_base": fake.url,
        "handover_number": HANDOVER,
    }


async def _say_goodbye(live: Live, goodbye: bytes, *, early: bool) -> TimedPhone:
    """One short call; ``early``: the caller says goodbye over the greeting (a barge-in)."""
    phone = live.phone()
    async with phone:
        await phone.dial()
        if early:
            while not phone.counts["media"]:
                await asyncio.sleep(0.02)
            await asyncio.sleep(1.0)
            await phone.say(goodbye)
        else:
            await converse(phone, [goodbye])
        await phone.wait_ended(timeout=30)
    await live.wait_finalised(phone.call_sid)
    return phone


async def test_hang_up_after_the_last_mark_and_tolerate_a_gone_call(
    serve_app: ServeFactory, twilio: FakeTwilio
) -> None:
    with serve_app(**_twilio_settings(twilio)) as live:
        goodbye = await asyncio.to_thread(live.caller.speech, "Goodbye.")
        twilio.answers = [404]  # the first call is already gone when Anbu hangs up
        gone = await _say_goodbye(live, goodbye, early=True)
        normal = await _say_goodbye(live, goodbye, early=False)
        calls = {p.call_sid: live.call(p.call_sid) for p in (gone, normal)}

    updates = [(u.call_sid, u.status) for u in twilio.updates]
    assert updates == [(gone.call_sid, 404), (normal.call_sid, 200)]
    for phone, update in zip((gone, normal), twilio.updates, strict=True):
        assert update.form == {"Status": "completed"}
        heard = phone.echo_started.get("anbu-final")
        assert heard is not None and update.at >= heard, "hung up before the goodbye was heard"
    for call in calls.values():
        assert call is not None
        assert (call.status, call.outcome) == ("completed", "completed")


async def test_hand_over_dials_the_configured_number_and_nothing_is_recorded(
    serve_app: ServeFactory, twilio: FakeTwilio
) -> None:
    with serve_app(**_twilio_settings(twilio), record_calls=False) as live:
        phone = live.phone()
        async with phone:
            await phone.dial()
            await converse(phone, ["#0"])
            await phone.wait_ended(timeout=30)
        call = await live.wait_finalised(phone.call_sid)
        folder = live.settings.resolved_recordings_dir

    assert call.outcome == "transferred"
    # record_calls=False: no WAV anywhere, no path on the call.
    assert call.recording_path is None
    assert not folder.exists() or not any(folder.iterdir())
    [update] = twilio.updates
    assert update.call_sid == phone.call_sid
    assert set(update.form) == {"Twiml"}
    assert f"<Dial>{HANDOVER}</Dial>" in update.form["Twiml"].replace(" ", "")
    heard = phone.echo_started.get("anbu-final")
    assert heard is not None and update.at >= heard, "handed over before the caller heard why"
