"""A simulated phone that calls an Anbu server exactly the way Twilio would.

It lets people without a Twilio account phone the agent, and lets tests drive whole calls. The
phone posts the signed voice webhook, follows the ``<Connect><Stream>`` TwiML, opens the signed
media websocket, and then behaves like a phone line: every 20 ms it sends one frame of caller
audio (µ-law silence when the caller is quiet) and plays one frame of the agent's audio.

Playback follows Twilio's rules, because the agent's turn-taking depends on them: agent audio is
queued and played at real-time pace; a ``mark`` is echoed only once the audio queued before it
has been played; ``clear`` drops the queue and echoes every pending mark at once. When the server
closes the socket the call is over (audio still queued is not played, as on Twilio) and, like
Twilio, the phone then posts a signed ``completed`` status callback.

The phone knows nothing about speech: callers' words go in as 8 kHz PCM, the agent's come out as
8 kHz PCM (:attr:`SimulatedPhone.agent_audio`, :attr:`SimulatedPhone.utterances`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import json
import logging
import time
import uuid
import wave
import xml.etree.ElementTree as ET
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from telephony.media import (
    FRAME_BYTES,
    SAMPLE_RATE,
    ClearMessage,
    OutboundMarkMessage,
    OutboundMediaMessage,
    ProtocolError,
    mulaw_to_pcm16,
    parse_outbound_message,
    pcm16_to_mulaw,
)
from telephony.signature import public_url_for, sign_request, websocket_url_for

__all__ = [
    "AgentUtterance",
    "CallNotConnected",
    "PhoneEvent",
    "SimulatedPhone",
    "parse_stream_twiml",
]

log = logging.getLogger(__name__)

FRAME_S = FRAME_BYTES / SAMPLE_RATE  # 20 ms
_PCM_FRAME = FRAME_BYTES * 2
_MULAW_SILENCE = b"\xff" * FRAME_BYTES
_DTMF = frozenset("0123456789*#")
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


class CallNotConnected(RuntimeError):
    """The server did not connect the call to a media stream (refused it, errored, rejected)."""

    def __init__(self, message: str, *, twiml: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.twiml = twiml
        self.status = status


@dataclass(frozen=True, slots=True)
class PhoneEvent:
    """Something that happened on the line, at ``tick`` (20 ms frames since the stream began).

    ``kind`` is one of ``media``, ``mark``, ``clear`` (received from the server), ``mark_echoed``,
    ``dtmf``, ``stop`` (sent by the phone), ``protocol_error`` or ``closed``.
    """

    tick: int
    kind: str
    name: str = ""
    size: int = 0

    @property
    def time_s(self) -> float:
        return self.tick * FRAME_S


@dataclass(frozen=True, slots=True)
class AgentUtterance:
    """One stretch of agent speech (ended by ≥ the phone's gap of no agent audio)."""

    start_s: float
    end_s: float
    audio: bytes  # 8 kHz mono int16


@dataclass(frozen=True, slots=True)
class _Mark:
    name: str


UtteranceCallback = Callable[[AgentUtterance], Awaitable[None] | None]


def parse_stream_twiml(document: str) -> tuple[str, dict[str, str]]:
    """The ``<Connect><Stream url>`` and its ``<Parameter>``s, or :class:`CallNotConnected`."""
    try:
        root = ET.fromstring(document)  # noqa: S314 - TwiML from the server under test
    except ET.ParseError as exc:
        raise CallNotConnected("voice webhook did not answer with TwiML", twiml=document) from exc
    stream = root.find("./Connect/Stream")
    if root.tag != "Response" or stream is None or not stream.get("url"):
        said = " ".join(t.text or "" for t in root.iter("Say")).strip()
        detail = f": said {said!r}" if said else ""
        raise CallNotConnected(f"call was not connected to a stream{detail}", twiml=document)
    parameters = {
        p.get("name", ""): p.get("value", "") for p in stream.iter("Parameter") if p.get("name")
    }
    return stream.get("url", ""), parameters


def _origin(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(parts.scheme.lower())


class SimulatedPhone:
    """One call from a simulated caller to an Anbu server. See the module docstring."""

    def __init__(
        self,
        base_url: str,
        auth_token: str,
        *,
        public_url: str | None = None,
        from_number: str = "+15550100001",
        to_number: str = "+15550100000",
        call_sid: str | None = None,
        account_sid: str | None = None,
        direction: str = "inbound",
        voice_path: str = "/twilio/voice",
        status_path: str = "/twilio/status",
        extra_params: Mapping[str, str] | None = None,
        speed: float = 1.0,
        utterance_gap_s: float = 0.6,
        voiced_peak: int = 32,
        http: httpx.AsyncClient | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        """``base_url`` is where the server really listens; ``public_url`` is the address it
        believes it has (``ANBU_PUBLIC_URL``), which is what Twilio signs. For a call Anbu
        placed (``direction="outbound-api"``), ``from_number`` is Anbu's line, as with Twilio.
        ``speed`` > 1 runs the line faster than real time (tests only; the timeline stays in
        20 ms frames)."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.base_url = base_url.rstrip("/")
        self.public_url = (public_url or base_url).rstrip("/")
        self.auth_token = auth_token
        self.from_number = from_number
        self.to_number = to_number
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.account_sid = account_sid or "AC" + uuid.uuid4().hex
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.direction = direction
        self.voice_path = voice_path
        self.status_path = status_path
        self.extra_params = dict(extra_params or {})
        self.speed = speed
        self.utterance_gap_s = utterance_gap_s
        self.voiced_peak = voiced_peak
        self.connect_timeout = connect_timeout

        # What happened on the call.
        self.twiml: str | None = None
        self.stream_url: str | None = None
        self.custom_parameters: dict[str, str] = {}
        self.agent_audio = bytearray()
        self.caller_audio = bytearray()
        self.events: list[PhoneEvent] = []
        self.counts: Counter[str] = Counter()
        self.marks_echoed: list[str] = []
        self.protocol_errors: list[ProtocolError] = []
        self.utterances: asyncio.Queue[AgentUtterance] = asyncio.Queue()
        self.ended = asyncio.Event()
        self.ended_by: str | None = None  # "caller", "server" or "dropped"
        self.close_code: int | None = None
        self.status_callback_codes: list[int] = []

        self._http = http or httpx.AsyncClient(timeout=connect_timeout)
        self._owns_http = http is None
        self._ws: ClientConnection | None = None
        self._send_lock = asyncio.Lock()
        self._sequence = 0
        self._chunk = 0
        self._tick = 0
        self._answered_at: float | None = None
        self._caller = bytearray()
        self._caller_idle = asyncio.Event()
        self._caller_idle.set()
        self._playout: deque[bytes | _Mark] = deque()
        self._marks_due: list[str] = []
        self._marks_to_flush: list[str] = []
        self._utterance_start: int | None = None
        self._last_voiced: int | None = None
        self._cursor_tick = 0
        self._callbacks: list[UtteranceCallback] = []
        self._background: set[asyncio.Task[None]] = set()
        self._pump_task: asyncio.Task[None] | None = None
        self._recv_task: asyncio.Task[None] | None = None
        self._closing: str | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> SimulatedPhone:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Hang up if still on the call, and release the HTTP client."""
        if self._ws is not None and self._closing is None:
            with contextlib.suppress(Exception):
                await self.hang_up()
        if self._owns_http:
            await self._http.aclose()

    def call_params(self, status: str) -> dict[str, str]:
        """The form fields Twilio posts about this call."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": status,
            "Called": self.to_number,
            "Caller": self.from_number,
            "Direction": self.direction,
            "From": self.from_number,
            "To": self.to_number,
        }
        params.update(self.extra_params)
        return params

    async def _post_signed(self, path: str, params: dict[str, str]) -> httpx.Response:
        signed_url = public_url_for(self.public_url, path)
        return await self._http.post(
            self.base_url + path,
            data=params,
            headers=sign_request(self.auth_token, signed_url, params),
        )

    async def dial(self) -> None:
        """Ring the server, follow its TwiML to the media stream and start the line."""
        if self._ws is not None:
            raise RuntimeError("this phone has already dialled")
        response = await self._post_signed(self.voice_path, self.call_params("ringing"))
        self.twiml = response.text
        if not response.is_success:
            raise CallNotConnected(
                f"voice webhook answered HTTP {response.status_code}",
                twiml=response.text,
                status=response.status_code,
            )
        self.stream_url, self.custom_parameters = parse_stream_twiml(response.text)
        headers = sign_request(self.auth_token, self.stream_url)
        try:
            self._ws = await connect(
                self._local_ws_url(self.stream_url),
                additional_headers=headers,
                open_timeout=self.connect_timeout,
                max_size=None,
                compression=None,
            )
        except Exception as exc:
            raise CallNotConnected(f"media stream refused: {exc}", twiml=response.text) from exc
        self._answered_at = time.monotonic()
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"}, seq=False)
        await self._send(
            {
                "event": "start",
                "start": {
                    "accountSid": self.account_sid,
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": self.custom_parameters,
                    "mediaFormat": {
                        "encoding": "audio/x-mulaw",
                        "sampleRate": SAMPLE_RATE,
                        "channels": 1,
                    },
                },
                "streamSid": self.stream_sid,
            }
        )
        self._recv_task = asyncio.create_task(self._receive(), name=f"phone-recv-{self.call_sid}")
        self._pump_task = asyncio.create_task(self._pump(), name=f"phone-pump-{self.call_sid}")

    def _local_ws_url(self, stream_url: str) -> str:
        """Connect to ``base_url`` when the stream URL points at the public address."""
        public = urlsplit(websocket_url_for(self.public_url, "/"))
        stream = urlsplit(stream_url)
        if _origin(stream_url) != _origin(public.geturl()):
            return stream_url
        local = urlsplit(websocket_url_for(self.base_url, "/"))
        path = stream.path
        prefix = public.path.rstrip("/")
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        return urlunsplit(
            (local.scheme, local.netloc, local.path.rstrip("/") + path, stream.query, "")
        )

    async def post_status(self, status: str) -> int:
        """Post a signed status callback, as Twilio does on call progress; returns HTTP status."""
        params = self.call_params(status)
        params["CallbackSource"] = "call-progress-events"
        if self._answered_at is not None:
            params["CallDuration"] = str(int(time.monotonic() - self._answered_at))
        response = await self._post_signed(self.status_path, params)
        self.status_callback_codes.append(response.status_code)
        return response.status_code

    async def hang_up(self) -> None:
        """The caller hangs up: ``stop``, close the socket, then the ``completed`` callback."""
        if self._ws is None:
            raise RuntimeError("not dialled")
        if self._closing is not None:
            await self.ended.wait()
            return
        self._closing = "caller"
        await self._stop_pump()
        with contextlib.suppress(ConnectionClosed):
            await self._send(
                {
                    "event": "stop",
                    "streamSid": self.stream_sid,
                    "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
                }
            )
            self._event("stop")
        with contextlib.suppress(ConnectionClosed):
            await self._ws.close()
        await self._join_receiver()
        await self._post_status_quietly()
        self._finish("caller")

    async def drop(self, *, post_status: bool = False) -> None:
        """Lose the connection: the socket dies with no ``stop`` and no close handshake."""
        if self._ws is None:
            raise RuntimeError("not dialled")
        if self._closing is not None:
            await self.ended.wait()
            return
        self._closing = "dropped"
        await self._stop_pump()
        self._ws.transport.abort()
        await self._join_receiver()
        if post_status:
            await self._post_status_quietly()
        self._finish("dropped")

    async def wait_ended(self, timeout: float | None = None) -> None:
        """Wait until the call is over, whoever ended it."""
        await asyncio.wait_for(self.ended.wait(), timeout)

    async def _stop_pump(self) -> None:
        task, self._pump_task = self._pump_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _join_receiver(self) -> None:
        task = self._recv_task
        if task is not None and task is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await task

    async def _post_status_quietly(self) -> None:
        try:
            await self.post_status("completed")
        except httpx.HTTPError as exc:
            log.warning("status callback failed: %s", type(exc).__name__)

    def _finish(self, by: str) -> None:
        if self.ended.is_set():
            return
        self.ended_by = by
        if self._ws is not None:
            self.close_code = self._ws.close_code
        self._close_utterance()
        self._event("closed", by)
        self.ended.set()

    # ------------------------------------------------------------------ the caller's side

    async def say(self, pcm16_8k: bytes, *, wait: bool = False) -> None:
        """Queue caller speech (8 kHz mono int16); with ``wait``, return once it has been sent."""
        if len(pcm16_8k) % 2:
            raise ValueError("pcm16 audio must have an even number of bytes")
        if pcm16_8k:
            self._caller += pcm16_8k
            self._caller_idle.clear()
        if wait:
            await self.finish_speaking()

    async def finish_speaking(self) -> None:
        """Wait until everything given to :meth:`say` has gone down the line."""
        waiter = asyncio.create_task(self._caller_idle.wait())
        ender = asyncio.create_task(self.ended.wait())
        try:
            await asyncio.wait({waiter, ender}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            ender.cancel()

    async def press(self, digits: str) -> None:
        """Press keys: one ``dtmf`` message per digit, a short gap apart."""
        bad = set(digits) - _DTMF
        if bad:
            raise ValueError(f"not DTMF digits: {''.join(sorted(bad))}")
        for index, digit in enumerate(digits):
            if index:
                await asyncio.sleep(0.1 / self.speed)
            await self._send(
                {
                    "event": "dtmf",
                    "streamSid": self.stream_sid,
                    "dtmf": {"track": "inbound_track", "digit": digit},
                }
            )
            self._event("dtmf", digit)

    # ------------------------------------------------------------------ the agent's side

    def on_agent_utterance(self, callback: UtteranceCallback) -> None:
        """Call ``callback`` (plain or async) with each agent utterance as it completes."""
        self._callbacks.append(callback)

    async def wait_for_agent_silence(self, quiet_s: float = 0.8, timeout: float = 15) -> bytes:
        """Agent audio since the last call, once the agent has spoken and gone quiet.

        Waits for some agent audio to be played, then for its queue to be empty and ``quiet_s``
        of line time to pass without agent audio. Returns early, with what there is, when the
        call ends or ``timeout`` (wall-clock seconds) passes. Leading and trailing silence is
        trimmed; an empty result means the agent said nothing.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet_ticks = max(1, round(quiet_s / FRAME_S))
        while not self.ended.is_set() and loop.time() < deadline:
            last = self._last_voiced
            heard = last is not None and last >= self._cursor_tick
            if (
                heard
                and last is not None
                and not self._playout_has_audio()
                and self._tick - (last + 1) >= quiet_ticks
            ):
                break
            await asyncio.sleep(FRAME_S / self.speed)
        start_tick, self._cursor_tick = self._cursor_tick, self._tick
        return _trim(bytes(self.agent_audio[start_tick * _PCM_FRAME :]), self.voiced_peak)

    def _playout_has_audio(self) -> bool:
        return any(not isinstance(item, _Mark) for item in self._playout)

    # ------------------------------------------------------------------ the line

    def _event(self, kind: str, name: str = "", size: int = 0) -> None:
        self.events.append(PhoneEvent(self._tick, kind, name, size))
        self.counts[kind] += 1

    async def _send(self, message: dict[str, Any], *, seq: bool = True) -> None:
        ws = self._ws
        if ws is None:
            raise RuntimeError("not connected")
        async with self._send_lock:
            if seq:
                self._sequence += 1
                message = {"sequenceNumber": str(self._sequence), **message}
            await ws.send(json.dumps(message))

    async def _receive(self) -> None:
        ws = self._ws
        assert ws is not None
        try:
            async for raw in ws:
                self._handle(raw)
                if self._marks_to_flush:
                    await self._flush_marks()
        except ConnectionClosed:
            pass
        finally:
            if self._closing is None:
                self._closing = "server"
                self.close_code = ws.close_code
                await self._stop_pump()
                self._playout.clear()  # like Twilio: unplayed audio is lost with the stream
                await self._post_status_quietly()
                self._finish("server")

    def _handle(self, raw: str | bytes) -> None:
        self._marks_to_flush = []
        message = parse_outbound_message(raw)
        if isinstance(message, ProtocolError):
            self.protocol_errors.append(message)
            self._event("protocol_error", message.reason)
            return
        if message.stream_sid != self.stream_sid:
            self.protocol_errors.append(ProtocolError("wrong_stream_sid", event=message.event))
            self._event("protocol_error", "wrong_stream_sid")
            return
        if isinstance(message, OutboundMediaMessage):
            audio = message.audio
            for offset in range(0, len(audio), FRAME_BYTES):
                self._playout.append(audio[offset : offset + FRAME_BYTES])
            self._event("media", size=len(audio))
        elif isinstance(message, OutboundMarkMessage):
            self._playout.append(_Mark(message.name))
            self._event("mark", message.name)
        elif isinstance(message, ClearMessage):
            self._event("clear")
            pending = [*self._marks_due]
            pending += [item.name for item in self._playout if isinstance(item, _Mark)]
            self._marks_due = []
            self._playout.clear()
            self._marks_to_flush = pending

    async def _flush_marks(self) -> None:
        names, self._marks_to_flush = self._marks_to_flush, []
        for name in names:
            await self._echo_mark(name)

    async def _echo_mark(self, name: str) -> None:
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})
        self.marks_echoed.append(name)
        self._event("mark_echoed", name)

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        interval = FRAME_S / self.speed
        next_at = loop.time()
        try:
            while True:
                await self._tick_once()
                next_at += interval
                delay = next_at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -1.0:
                    next_at = loop.time()  # stalled: resume the pace instead of bursting
                else:
                    await asyncio.sleep(0)
        except ConnectionClosed:
            return

    async def _tick_once(self) -> None:
        # Marks whose audio finished playing during the previous frame.
        due, self._marks_due = self._marks_due, []
        while self._playout and isinstance(self._playout[0], _Mark):
            head = self._playout.popleft()
            assert isinstance(head, _Mark)
            due.append(head.name)
        for name in due:
            await self._echo_mark(name)

        frame, had_audio = self._take_agent_frame()
        played = mulaw_to_pcm16(frame)
        self.agent_audio += played

        caller = bytes(self._caller[:_PCM_FRAME])
        del self._caller[:_PCM_FRAME]
        caller = caller.ljust(_PCM_FRAME, b"\x00")
        self.caller_audio += caller
        self._chunk += 1
        await self._send(
            {
                "event": "media",
                "streamSid": self.stream_sid,
                "media": {
                    "track": "inbound",
                    "chunk": str(self._chunk),
                    "timestamp": str(self._tick * 20),
                    "payload": _b64(pcm16_to_mulaw(caller)),
                },
            }
        )
        if not self._caller:
            self._caller_idle.set()

        voiced = had_audio and _peak(played) > self.voiced_peak
        self._segment(voiced)
        self._tick += 1

    def _take_agent_frame(self) -> tuple[bytes, bool]:
        out = bytearray()
        while len(out) < FRAME_BYTES and self._playout:
            head = self._playout[0]
            if isinstance(head, _Mark):
                # Audio before it is in this frame: echo once the frame has played.
                self._playout.popleft()
                self._marks_due.append(head.name)
                continue
            need = FRAME_BYTES - len(out)
            out += head[:need]
            if len(head) > need:
                self._playout[0] = head[need:]
            else:
                self._playout.popleft()
        had_audio = bool(out)
        return bytes(out.ljust(FRAME_BYTES, _MULAW_SILENCE[:1])), had_audio

    def _segment(self, voiced: bool) -> None:
        if voiced:
            if self._utterance_start is None:
                self._utterance_start = self._tick
            self._last_voiced = self._tick
        elif (
            self._utterance_start is not None
            and self._last_voiced is not None
            and (self._tick - self._last_voiced) * FRAME_S >= self.utterance_gap_s
        ):
            self._close_utterance()

    def _close_utterance(self) -> None:
        start, last = self._utterance_start, self._last_voiced
        self._utterance_start = None
        if start is None or last is None:
            return
        audio = bytes(self.agent_audio[start * _PCM_FRAME : (last + 1) * _PCM_FRAME])
        utterance = AgentUtterance(start * FRAME_S, (last + 1) * FRAME_S, audio)
        self.utterances.put_nowait(utterance)
        for callback in self._callbacks:
            result = callback(utterance)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ output

    def save_wav(self, path: str | Path) -> None:
        """Write the call as stereo 8 kHz WAV: caller left, agent right, aligned in time."""
        caller = np.frombuffer(bytes(self.caller_audio), dtype="<i2")
        agent = np.frombuffer(bytes(self.agent_audio), dtype="<i2")
        frames = max(caller.size, agent.size)
        stereo = np.zeros((frames, 2), dtype="<i2")
        stereo[: caller.size, 0] = caller
        stereo[: agent.size, 1] = agent
        with wave.open(str(path), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(stereo.tobytes())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _peak(pcm16: bytes) -> int:
    samples = np.frombuffer(pcm16, dtype="<i2")
    return int(np.abs(samples.astype(np.int32)).max()) if samples.size else 0


def _trim(pcm16: bytes, threshold: int) -> bytes:
    """Cut leading and trailing frames that are silence."""
    frames = [pcm16[i : i + _PCM_FRAME] for i in range(0, len(pcm16), _PCM_FRAME)]
    loud = [i for i, frame in enumerate(frames) if _peak(frame) > threshold]
    if not loud:
        return b""
    return b"".join(frames[loud[0] : loud[-1] + 1])
