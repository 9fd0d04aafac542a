"""The real app refuses what Twilio did not sign, and survives what a broken stream sends."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from e2e_kit import Live, converse
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from telephony.signature import sign_request, websocket_url_for
from telephony.simulator import SimulatedPhone


def _params(call_sid: str, status: str = "ringing") -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call_sid,
        "CallStatus": status,
        "From": "+15550100777",
        "To": "+15550100000",
        "Direction": "inbound",
    }


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/status"])
async def test_unsigned_webhooks_are_refused(live: Live, path: str) -> None:
    token = live.settings.webhook_token()
    signed_url = live.settings.public_url + path
    params = _params("CAforged0000000000000000000000000", "completed")
    good = sign_request(token, signed_url, params)
    attempts: dict[str, tuple[dict[str, str], dict[str, str]]] = {
        "missing": (params, {}),
        "forged": (params, sign_request("not-the-token", signed_url, params)),
        "tampered": ({**params, "From": "+15550100666"}, good),
        "wrong url": (params, sign_request(token, "http://evil.example" + path, params)),
        "garbage": (params, {"X-Twilio-Signature": "!!!"}),
    }
    async with httpx.AsyncClient(base_url=live.url) as http:
        for name, (form, headers) in attempts.items():
            response = await http.post(path, data=form, headers=headers)
            assert response.status_code == 403, name
        # The same request, correctly signed, is accepted: the 403s were about the signature.
        accepted = await http.post(path, data=params, headers=good)
    assert accepted.status_code in (200, 204)
    assert live.call_count() == 0


async def test_media_socket_with_a_bad_signature_is_refused(live: Live) -> None:
    ws_url = websocket_url_for(live.url, "/twilio/media")
    public = websocket_url_for(live.settings.public_url, "/twilio/media")
    for headers in ({}, sign_request("not-the-token", public), {"X-Twilio-Signature": "x"}):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url, additional_headers=headers, open_timeout=5):
                pass
        assert refused.value.response.status_code == 403
    assert live.call_count() == 0


class JunkPhone(SimulatedPhone):
    """A phone whose line is noisy at the protocol level: junk before and during the call."""

    async def raw(self, data: str | bytes) -> None:
        assert self._ws is not None
        await self._ws.send(data)

    async def _send(self, message: dict[str, Any], *, seq: bool = True) -> None:
        if message.get("event") == "start":
            for junk in _before_start(self.stream_sid):
                await self.raw(junk)
        await super()._send(message, seq=seq)


def _before_start(stream_sid: str) -> list[str | bytes]:
    return [
        json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": "//8="}}),
        json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": "early"}}),
        "{not json",
        b"\x00\x01binary",
    ]


def _during_call(stream_sid: str, call_sid: str) -> list[str | bytes]:
    media = {"event": "media", "streamSid": stream_sid}
    return [
        "{not json",
        "[1, 2, 3]",
        '"just a string"',
        json.dumps({"no": "event"}),
        json.dumps({"event": "party", "streamSid": stream_sid}),
        json.dumps({**media, "media": {"payload": "***not base64***"}}),
        json.dumps({**media, "media": {"payload": 12345}}),
        json.dumps({**media, "media": "not an object"}),
        json.dumps({**media}),
        json.dumps({"event": "mark", "streamSid": stream_sid}),
        json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": 7}}),
        json.dumps({"event": "dtmf", "streamSid": stream_sid, "dtmf": {}}),
        json.dumps({"event": "dtmf", "streamSid": stream_sid, "dtmf": {"digit": "X"}}),
        json.dumps({"event": "connected", "protocol": "Call"}),
        json.dumps(
            {
                "event": "start",
                "streamSid": stream_sid,
                "start": {"callSid": call_sid, "streamSid": stream_sid},
            }
        ),
        b"\xff\x00 binary in the middle",
        "x" * 70_000,
    ]


async def test_malformed_and_out_of_order_messages_do_not_break_a_call(live: Live) -> None:
    goodbye = await asyncio.to_thread(live.caller.speech, "Goodbye.")
    phone = JunkPhone(
        live.url,
        live.settings.webhook_token(),
        public_url=live.settings.public_url,
        from_number="+15550100777",
    )
    async with phone:
        await phone.dial()
        for junk in _during_call(phone.stream_sid, phone.call_sid):
            await phone.raw(junk)
        await converse(phone, [goodbye])
        await phone.wait_ended(timeout=30)
        # Replayed and stale status callbacks after the end change nothing.
        call = await live.wait_finalised(phone.call_sid)
        before = (call.status, call.outcome, call.ended_at)
        for status in ("completed", "in-progress", "ringing", "completed"):
            assert await phone.post_status(status) == 204
        after = live.call(phone.call_sid)

    assert phone.ended_by == "server"  # the agent said goodbye: the call went on regardless
    assert after is not None
    assert (after.status, after.outcome, after.ended_at) == before
    assert before[:2] == ("completed", "completed")
    caller = [t for t in live.turns(phone.call_sid) if t.speaker == "caller"]
    assert [t.kind for t in caller] == ["text"]
    async with httpx.AsyncClient(base_url=live.url) as http:
        assert (await http.get("/healthz")).status_code == 200
