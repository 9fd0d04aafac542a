"""The router's media websocket: handshake signature, start handling, and hand-over."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi import WebSocket
from telephony_testkit import TOKEN, RecordingHooks, ServeFactory, make_app, next_message
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from telephony.media import DtmfMessage, StartMessage
from telephony.signature import SIGNATURE_HEADER, compute_signature, sign_request
from telephony.webhooks import stream_parameters

START = {
    "event": "start",
    "sequenceNumber": "1",
    "start": {
        "accountSid": "AC" + "0" * 32,
        "streamSid": "MZ" + "1" * 32,
        "callSid": "CA" + "2" * 32,
        "tracks": ["inbound"],
        "customParameters": {"line": "reservation"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    },
    "streamSid": "MZ" + "1" * 32,
}
CONNECTED = {"event": "connected", "protocol": "Call", "version": "1.0.0"}


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/twilio/media"


async def test_bad_handshake_signature_is_refused(serve: ServeFactory) -> None:
    hooks = RecordingHooks()
    async with serve(hooks) as server:
        url = ws_url(server.url)
        for headers in ({}, {SIGNATURE_HEADER: "forged"}, sign_request("wrong", url)):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url, additional_headers=headers):
                    pass
            assert refused.value.response.status_code == 403
        # Signed for a different URL (query added) is refused too.
        with pytest.raises(InvalidStatus):
            async with connect(url + "?x=1", additional_headers=sign_request(TOKEN, url)):
                pass
    assert hooks.starts == []


async def test_junk_before_start_is_skipped_and_nothing_after_start_is_consumed(
    serve: ServeFactory,
) -> None:
    after_start: list[object] = []

    async def first_message_only(ws: WebSocket, start: StartMessage) -> None:
        after_start.append(await next_message(ws))

    hooks = RecordingHooks(media_handler=first_message_only)
    async with serve(hooks) as server:
        url = ws_url(server.url)
        async with connect(url, additional_headers=sign_request(TOKEN, url)) as ws:
            await ws.send("this is not json")
            await ws.send(b"\x00\x01binary")
            await ws.send(json.dumps({"event": "media", "streamSid": "MZ", "media": {}}))
            await ws.send(json.dumps(CONNECTED))
            await ws.send(json.dumps({"event": "surprise"}))
            await ws.send(json.dumps(START))
            dtmf = {"event": "dtmf", "streamSid": START["streamSid"], "dtmf": {"digit": "7"}}
            await ws.send(json.dumps(dtmf))
            await asyncio.wait_for(hooks.stream_done.wait(), 5)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1000
    (start,) = hooks.starts
    assert start.call_sid == "CA" + "2" * 32
    assert start.custom_parameters == {"line": "reservation"}
    assert len(after_start) == 1 and isinstance(after_start[0], DtmfMessage)
    assert after_start[0].digit == "7"


async def test_no_start_times_out_with_policy_violation(serve: ServeFactory) -> None:
    hooks = RecordingHooks()
    async with serve(hooks, start_timeout=0.3) as server:
        url = ws_url(server.url)
        async with connect(url, additional_headers=sign_request(TOKEN, url)) as ws:
            await ws.send(json.dumps(CONNECTED))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1008
    assert hooks.starts == []


async def test_disconnect_before_start_does_not_reach_hooks(serve: ServeFactory) -> None:
    hooks = RecordingHooks()
    async with serve(hooks) as server:
        url = ws_url(server.url)
        async with connect(url, additional_headers=sign_request(TOKEN, url)) as ws:
            await ws.send(json.dumps(CONNECTED))
        await asyncio.sleep(0.1)
    assert hooks.starts == []


async def test_failing_hook_closes_with_internal_error(serve: ServeFactory) -> None:
    async def broken(ws: WebSocket, start: StartMessage) -> None:
        raise RuntimeError("bug")

    hooks = RecordingHooks(media_handler=broken)
    async with serve(hooks) as server:
        url = ws_url(server.url)
        async with connect(url, additional_headers=sign_request(TOKEN, url)) as ws:
            await ws.send(json.dumps(START))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1011


async def test_voice_twiml_points_at_public_websocket() -> None:
    hooks = RecordingHooks(extra_parameters={"line": "override"})
    app = make_app(hooks, public_base="https://anbu.example")
    params = {
        "CallSid": "CA1",
        "From": "+15550100002",  # Anbu's own line: outbound calls resolve by From
        "To": "+15550123456",
        "Direction": "outbound-api",
    }
    headers = {
        SIGNATURE_HEADER: compute_signature(TOKEN, "https://anbu.example/twilio/voice", params)
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://local"
    ) as client:
        response = await client.post("/twilio/voice", data=params, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert 'url="wss://anbu.example/twilio/media"' in response.text
    ((_, line),) = hooks.incoming
    assert line.script == "wellness"
    assert '<Parameter name="line" value="override"' in response.text
    assert '<Parameter name="direction" value="outbound-api"' in response.text
    assert stream_parameters(params, line)["script"] == "wellness"


async def test_media_url_follows_the_mount_point() -> None:
    from fastapi import FastAPI

    from telephony.lines import LineDirectory
    from telephony.webhooks import twilio_router

    app = FastAPI()
    router = twilio_router(
        hooks=RecordingHooks(),
        lines=LineDirectory(),
        auth_token=lambda: TOKEN,
        public_base=lambda: "https://anbu.example",
    )
    app.include_router(router, prefix="/phone")
    params = {"CallSid": "CA1", "From": "+1", "To": "+2", "Direction": "inbound"}
    url = "https://anbu.example/phone/twilio/voice"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://local"
    ) as client:
        response = await client.post(
            "/phone/twilio/voice", data=params, headers=sign_request(TOKEN, url, params)
        )
    assert response.status_code == 200
    assert 'url="wss://anbu.example/phone/twilio/media"' in response.text
