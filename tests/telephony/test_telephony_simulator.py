"""Whole calls: the simulated phone against the Twilio router on a real server.

Assertions are about order and content on the 20 ms line timeline, never about wall-clock time.
"""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest
from fastapi import WebSocket
from telephony_testkit import TOKEN, RecordingHooks, ServeFactory, next_message, tone

from telephony.media import (
    DtmfMessage,
    MarkMessage,
    MediaMessage,
    StartMessage,
    StopMessage,
    clear_message,
    mark_message,
    media_message,
    mulaw_to_pcm16,
    pcm16_to_mulaw,
)
from telephony.simulator import AgentUtterance, CallNotConnected, SimulatedPhone
from telephony.webhooks import CallRefused

FRAME = 320  # bytes of 8 kHz pcm16 per 20 ms


def voiced(frame: bytes) -> bool:
    return any(b != 0xFF for b in frame)


class EchoAgent:
    """Collects the caller's voiced audio, plays it back followed by a mark, until the stop."""

    def __init__(self, echo_bytes: int) -> None:
        self.echo_bytes = echo_bytes
        self.frames_after_mark: int | None = None
        self.marks: list[tuple[str, int]] = []
        self.saw_stop = False
        self.disconnected = False

    async def __call__(self, ws: WebSocket, start: StartMessage) -> None:
        heard = bytearray()
        while (message := await next_message(ws)) is not None:
            if isinstance(message, MediaMessage):
                if self.frames_after_mark is not None:
                    self.frames_after_mark += 1
                if voiced(message.audio) and len(heard) < self.echo_bytes:
                    heard += message.audio
                    if len(heard) >= self.echo_bytes:
                        await ws.send_text(media_message(start.stream_sid, bytes(heard)))
                        await ws.send_text(mark_message(start.stream_sid, "echo"))
                        self.frames_after_mark = 0
            elif isinstance(message, MarkMessage):
                self.marks.append((message.name, self.frames_after_mark or 0))
            elif isinstance(message, StopMessage):
                self.saw_stop = True
        self.disconnected = True


async def test_echo_call_mark_after_playout_and_hang_up(
    serve: ServeFactory, tmp_path: Path
) -> None:
    speech = tone(0.5)  # exactly 25 frames
    agent = EchoAgent(echo_bytes=len(speech) // 2)
    hooks = RecordingHooks(media_handler=agent, extra_parameters={"campaign": "c-1"})
    utterances: list[AgentUtterance] = []

    async with serve(hooks) as server:
        phone = SimulatedPhone(server.url, TOKEN, to_number="+15550100002")
        phone.on_agent_utterance(utterances.append)
        async with phone:
            await phone.dial()
            await phone.say(speech, wait=True)
            heard = await phone.wait_for_agent_silence(timeout=10)
            await phone.hang_up()
            await asyncio.wait_for(hooks.stream_done.wait(), 5)
            await asyncio.wait_for(hooks.status_seen.wait(), 5)

        # The call was set up like Twilio's: line from the called number, parameters passed.
        ((params, line),) = hooks.incoming
        assert params["CallStatus"] == "ringing" and params["CallSid"] == phone.call_sid
        assert line.script == "wellness"
        (start,) = hooks.starts
        assert start.call_sid == phone.call_sid and start.stream_sid == phone.stream_sid
        assert start.custom_parameters["script"] == "wellness"
        assert start.custom_parameters["direction"] == "inbound"
        assert start.custom_parameters["campaign"] == "c-1"

        # The agent's audio came back exactly (µ-law is idempotent after one pass).
        assert heard == mulaw_to_pcm16(pcm16_to_mulaw(speech))
        assert phone.utterances.get_nowait().audio == heard
        assert [u.audio for u in utterances] == [heard]

        # The mark came back only after its 25 frames had played: meanwhile the phone kept
        # sending one caller frame per played frame.
        assert phone.marks_echoed == ["echo"]
        assert agent.marks == [("echo", agent.marks[0][1])]
        assert agent.marks[0][1] >= 25
        received = next(e for e in phone.events if e.kind == "mark")
        echoed = next(e for e in phone.events if e.kind == "mark_echoed")
        assert echoed.tick - received.tick >= 25

        # Caller hang-up: stop, then disconnect, then a signed status callback that was accepted.
        assert agent.saw_stop and agent.disconnected
        assert phone.ended_by == "caller"
        assert hooks.statuses[-1]["CallStatus"] == "completed"
        assert hooks.statuses[-1]["CallSid"] == phone.call_sid
        assert phone.status_callback_codes == [204]
        assert phone.protocol_errors == []

    # Both sides sit on one timeline: the echo is heard after the caller spoke it.
    path = tmp_path / "call.wav"
    phone.save_wav(path)
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        stereo = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert stereo[:, 0].tobytes() == bytes(phone.caller_audio)
    assert stereo[:, 1].tobytes() == bytes(phone.agent_audio)
    caller_start = np.flatnonzero(stereo[:, 0])[0]
    agent_start = np.flatnonzero(stereo[:, 1])[0]
    assert agent_start > caller_start + len(speech) // 2 - 160


async def test_clear_flushes_playout_and_echoes_pending_marks(serve: ServeFactory) -> None:
    marks: list[str] = []

    async def talk_then_barge_in(ws: WebSocket, start: StartMessage) -> None:
        frames = 0
        while (message := await next_message(ws)) is not None:
            if isinstance(message, MediaMessage):
                frames += 1
                if frames == 3:
                    long_reply = pcm16_to_mulaw(tone(5.0, hz=300))
                    await ws.send_text(media_message(start.stream_sid, long_reply))
                    await ws.send_text(mark_message(start.stream_sid, "long"))
                    await ws.send_text(mark_message(start.stream_sid, "after-long"))
                if frames == 13:
                    await ws.send_text(clear_message(start.stream_sid))
            elif isinstance(message, MarkMessage):
                marks.append(message.name)
                if len(marks) == 2:
                    await ws.close()
                    return

    hooks = RecordingHooks(media_handler=talk_then_barge_in)
    async with serve(hooks) as server, SimulatedPhone(server.url, TOKEN) as phone:
        await phone.dial()
        await phone.wait_ended(timeout=10)
        await asyncio.wait_for(hooks.status_seen.wait(), 5)

    assert marks == ["long", "after-long"]
    assert phone.marks_echoed == ["long", "after-long"]
    kinds = [e.kind for e in phone.events]
    assert kinds.index("clear") < kinds.index("mark_echoed")
    clear_tick = next(e.tick for e in phone.events if e.kind == "clear")
    # Only part of the five seconds played, and nothing after the clear.
    played = [
        voiced_pcm(phone.agent_audio[i : i + FRAME])
        for i in range(0, len(phone.agent_audio), FRAME)
    ]
    assert 0 < sum(played) < 250
    assert not any(played[clear_tick + 1 :])
    # The server closed the socket: the call ended and Twilio-style status was posted.
    assert phone.ended_by == "server"
    assert hooks.statuses[-1]["CallStatus"] == "completed"


def voiced_pcm(frame: bytes | bytearray) -> bool:
    return bool(np.abs(np.frombuffer(bytes(frame), dtype="<i2")).max(initial=0) > 32)


async def test_mark_with_nothing_queued_is_echoed_at_once(serve: ServeFactory) -> None:
    echoes: list[str] = []

    async def mark_only(ws: WebSocket, start: StartMessage) -> None:
        await ws.send_text(mark_message(start.stream_sid, "empty"))
        while (message := await next_message(ws)) is not None:
            if isinstance(message, MarkMessage):
                echoes.append(message.name)
                await ws.close()
                return

    hooks = RecordingHooks(media_handler=mark_only)
    async with serve(hooks) as server, SimulatedPhone(server.url, TOKEN) as phone:
        await phone.dial()
        await phone.wait_ended(timeout=10)
    assert echoes == ["empty"]
    assert not any(
        voiced_pcm(phone.agent_audio[i : i + FRAME])
        for i in range(0, len(phone.agent_audio), FRAME)
    )


async def test_drop_is_a_disconnect_without_stop(serve: ServeFactory) -> None:
    agent = EchoAgent(echo_bytes=10**9)
    hooks = RecordingHooks(media_handler=agent)
    async with serve(hooks) as server, SimulatedPhone(server.url, TOKEN) as phone:
        await phone.dial()
        await phone.say(tone(0.2), wait=True)
        await phone.drop()
        await asyncio.wait_for(hooks.stream_done.wait(), 5)
    assert agent.disconnected and not agent.saw_stop
    assert phone.ended_by == "dropped"
    assert hooks.statuses == []  # nothing posted unless asked
    assert "stop" not in phone.counts


async def test_dtmf_digits_arrive_in_order(serve: ServeFactory) -> None:
    digits: list[str] = []

    async def collect(ws: WebSocket, start: StartMessage) -> None:
        while (message := await next_message(ws)) is not None:
            if isinstance(message, DtmfMessage):
                digits.append(message.digit)

    hooks = RecordingHooks(media_handler=collect)
    async with serve(hooks) as server, SimulatedPhone(server.url, TOKEN, speed=4) as phone:
        await phone.dial()
        await phone.press("12#*9")
        with pytest.raises(ValueError):
            await phone.press("x")
        await phone.hang_up()
        await asyncio.wait_for(hooks.stream_done.wait(), 5)
    assert digits == list("12#*9")


async def test_public_url_behind_a_tunnel(serve: ServeFactory) -> None:
    """Signatures cover the public URL (with its path prefix), not the local address."""
    hooks = RecordingHooks()
    public = "https://anbu-tunnel.example/prefix"
    async with serve(hooks, public_url=public) as server:
        async with SimulatedPhone(server.url, TOKEN, public_url=public, speed=4) as phone:
            await phone.dial()
            assert phone.stream_url == "wss://anbu-tunnel.example/prefix/twilio/media"
            await asyncio.wait_for(hooks.stream_done.wait(), 5)
        # Without public_url the phone signs the local URL, which the server does not accept.
        with pytest.raises(CallNotConnected) as refused:
            await SimulatedPhone(server.url, TOKEN).dial()
        assert refused.value.status == 403
    assert len(hooks.starts) == 1


async def test_wrong_token_is_refused(serve: ServeFactory) -> None:
    hooks = RecordingHooks()
    async with serve(hooks) as server, SimulatedPhone(server.url, "not-the-token") as phone:
        with pytest.raises(CallNotConnected) as refused:
            await phone.dial()
    assert refused.value.status == 403
    assert hooks.incoming == [] and hooks.starts == []


async def test_refused_call_is_not_connected(serve: ServeFactory) -> None:
    hooks = RecordingHooks(refuse=CallRefused("Sorry, we are closed."))
    async with serve(hooks) as server:
        async with SimulatedPhone(server.url, TOKEN) as phone:
            with pytest.raises(CallNotConnected, match="we are closed") as refused:
                await phone.dial()
            assert "<Hangup" in refused.value.twiml
        hooks.refuse = CallRefused()
        async with SimulatedPhone(server.url, TOKEN) as phone:
            with pytest.raises(CallNotConnected) as rejected:
                await phone.dial()
            assert "<Reject" in rejected.value.twiml
        hooks.refuse = RuntimeError("database down")
        async with SimulatedPhone(server.url, TOKEN) as phone:
            with pytest.raises(CallNotConnected, match="Sorry"):
                await phone.dial()
    assert hooks.starts == []
