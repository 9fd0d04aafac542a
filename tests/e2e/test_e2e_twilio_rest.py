"""Ending calls through Twilio's REST API: after the last mark, idempotently, and hand-overs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from conftest import ServeFactory
from e2e_kit import Live, converse
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, fake_twilio

HANDOVER = "+15550109999"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


def _twilio_settings(fake: FakeTwilio) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "twilio_api_base": fake.url,
        "handover_number": HANDOVER,
    }


async def _say_goodbye(live: Live, fake: FakeTwilio, goodbye: bytes) -> str:
    phone = live.phone()
    fake.marks_seen = lambda: list(phone.marks_echoed)
    async with phone:
        await phone.dial()
        await converse(phone, [goodbye])
        await phone.wait_ended(timeout=30)
    await live.wait_finalised(phone.call_sid)
    return phone.call_sid


async def test_hang_up_after_the_last_mark_and_tolerate_a_gone_call(
    serve_app: ServeFactory, twilio: FakeTwilio
) -> None:
    with serve_app(**_twilio_settings(twilio)) as live:
        goodbye = await asyncio.to_thread(live.caller.speech, "Goodbye.")
        twilio.answers = [404]  # the first call is already gone when Anbu hangs up
        gone = await _say_goodbye(live, twilio, goodbye)
        normal = await _say_goodbye(live, twilio, goodbye)
        calls = {sid: live.call(sid) for sid in (gone, normal)}

    assert [(u.call_sid, u.status) for u in twilio.updates] == [(gone, 404), (normal, 200)]
    for update in twilio.updates:
        assert update.form == {"Status": "completed"}
        assert "anbu-final" in update.marks_echoed, "hung up before the goodbye was heard"
    for call in calls.values():
        assert call is not None
        assert (call.status, call.outcome) == ("completed", "completed")


async def test_hand_over_dials_the_configured_number(
    serve_app: ServeFactory, twilio: FakeTwilio
) -> None:
    with serve_app(**_twilio_settings(twilio)) as live:
        phone = live.phone()
        twilio.marks_seen = lambda: list(phone.marks_echoed)
        async with phone:
            await phone.dial()
            await converse(phone, ["#0"])
            await phone.wait_ended(timeout=30)
        call = await live.wait_finalised(phone.call_sid)

    assert call.outcome == "transferred"
    [update] = twilio.updates
    assert update.call_sid == phone.call_sid
    assert set(update.form) == {"Twiml"}
    assert f"<Dial>{HANDOVER}</Dial>" in update.form["Twiml"].replace(" ", "")
    assert "anbu-final" in update.marks_echoed
