"""Helpers for end-to-end calls: the real app served in-process, and a caller with a voice.

A plain module (not ``conftest``) so the test files and ``bench/call_latency.py`` can import it;
``tests/e2e`` has no ``__init__.py`` on purpose (a ``tests`` package would shadow nothing here,
but the other test folders follow the same rule).

The server runs under uvicorn on 127.0.0.1 in its own thread with its own event loop, as it would
in its own process: the simulated phone keeps its 20 ms pace in the test's loop while the server
works, so a stall on either side shows up as what it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, select

from agent.app import create_app
from agent.phone import PhoneHooks
from agent.settings import Settings
from agent.simcall import Caller
from agent.voice import Voice
from store import calls as call_store
from store.db import new_session
from store.models import Call, Reservation, Turn
from telephony.simulator import SimulatedPhone

ADMIN_PASSWORD = "e2e-admin-password"
CALLER_NUMBER = "+15550100777"
LINE_NUMBER = "+15550100000"


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1.

    Bound before the app is built because ``public_url`` must name the port (Twilio signatures
    cover the URL), and handed to uvicorn so that nothing can take the port in between.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ThreadedServer:
    """An ASGI app under uvicorn on ``sock``, in a thread with its own event loop."""

    def __init__(self, app: FastAPI, sock: socket.socket, *, ws: str = "websockets") -> None:
        # ``websockets`` is what ``anbu serve`` runs with: test the protocol stack that ships.
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", ws=ws, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._errors: list[BaseException] = []

    def start(self, *, timeout: float = 120.0) -> None:
        """Serve, and return once ``/healthz`` answers 200."""
        self._thread = threading.Thread(target=self._run, name=f"anbu-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._errors:
                raise RuntimeError("server failed to start") from self._errors[0]
            if not self._thread.is_alive():
                raise RuntimeError("server stopped while starting")
            if self._server.started:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(self.url + "/healthz", timeout=2.0).status_code == 200:
                        return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"server not healthy within {timeout:.0f} s")

    def start_plain(self, *, timeout: float = 10.0) -> None:
        """Serve an app that has no ``/healthz``: return once uvicorn is listening."""
        self._thread = threading.Thread(target=self._run, name=f"fake-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._errors or time.monotonic() > deadline:
                raise RuntimeError("server failed to start")
            time.sleep(0.02)

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self.sock]))
        except BaseException as exc:  # a thread cannot raise to anyone: start() reports it
            self._errors.append(exc)

    def stop(self, *, timeout: float = 30.0) -> None:
        """Ask uvicorn to exit (it cancels calls in flight) and wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self.sock.close()


class TimedPhone(SimulatedPhone):
    """The simulated phone, noting when it began to echo each mark (monotonic clock).

    Noted before the echo is sent: the server may react to it (hang up through the REST API)
    before the phone's own task resumes to record that it echoed the mark.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.echo_started: dict[str, float] = {}

    async def _echo_mark(self, name: str) -> None:
        self.echo_started.setdefault(name, time.monotonic())
        await super()._echo_mark(name)


@dataclass
class Live:
    """One running server and what a test needs to reach into it."""

    server: ThreadedServer
    settings: Settings
    app: FastAPI
    caller: Caller
    phones: list[TimedPhone] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def hooks(self) -> PhoneHooks:
        hooks: PhoneHooks = self.app.state.hooks
        return hooks

    def phone(self, **kwargs: Any) -> TimedPhone:
        """A simulated phone signed for this server."""
        kwargs.setdefault("from_number", CALLER_NUMBER)
        kwargs.setdefault("to_number", LINE_NUMBER)
        phone = TimedPhone(
            self.url, self.settings.webhook_token(), public_url=self.settings.public_url, **kwargs
        )
        self.phones.append(phone)
        return phone

    @contextlib.contextmanager
    def db(self) -> Iterator[Session]:
        s = new_session(self.app.state.runtime.db)
        try:
            yield s
        finally:
            s.close()

    def call(self, call_sid: str) -> Call | None:
        with self.db() as s:
            return call_store.get_call(s, call_sid)

    def turns(self, call_sid: str) -> list[Turn]:
        with self.db() as s:
            call = call_store.get_call(s, call_sid)
            return [] if call is None or call.id is None else call_store.list_turns(s, call.id)

    def reservations(self) -> list[Reservation]:
        with self.db() as s:
            return list(s.exec(select(Reservation)))

    def call_count(self) -> int:
        with self.db() as s:
            return len(list(s.exec(select(Call))))

    async def wait_finalised(self, call_sid: str, timeout: float = 15.0) -> Call:
        """The call row once the server has closed it (``ended_at`` set)."""
        deadline = time.monotonic() + timeout
        while True:
            call = self.call(call_sid)
            if call is not None and call.ended_at is not None and call_sid not in self.hooks.active:
                return call
            if time.monotonic() > deadline:
                raise AssertionError(f"call not finalised within {timeout} s: {call}")
            await asyncio.sleep(0.1)


def test_settings(data_dir: Path, port: int, **overrides: Any) -> Settings:
    """Settings for a test server: nothing read from the environment or a ``.env`` file."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "public_url": f"http://127.0.0.1:{port}",
        "admin_password": ADMIN_PASSWORD,
        "silence_timeout_secs": 6.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.contextmanager
def serve(voice: Voice, caller: Caller, data_dir: Path, **overrides: Any) -> Iterator[Live]:
    """The real app (``create_app``) with the shared models, served on a free loopback port."""
    sock = loopback_socket()
    settings = test_settings(data_dir, sock.getsockname()[1], **overrides)
    app = create_app(settings, voice=voice)
    server = ThreadedServer(app, sock)
    server.start()
    live = Live(server=server, settings=settings, app=app, caller=caller)
    try:
        yield live
    finally:
        server.stop()


async def converse(
    phone: SimulatedPhone,
    speech: Sequence[bytes | str],
    *,
    quiet_s: float = 0.8,
    timeout: float = 25.0,
) -> None:
    """After each agent turn, play the next caller line (PCM) or press keys (``"#123"``)."""
    for item in speech:
        await phone.wait_for_agent_silence(quiet_s=quiet_s, timeout=timeout)
        if phone.ended.is_set():
            raise AssertionError("the call ended before the caller had said everything")
        if isinstance(item, str):
            await phone.press(item.removeprefix("#"))
        else:
            await phone.say(item, wait=True)


def agent_media_after(phone: SimulatedPhone, tick: int) -> int | None:
    """The tick of the first agent ``media`` message received at or after ``tick``."""
    for event in phone.events:
        if event.kind == "media" and event.tick >= tick:
            return event.tick
    return None


def trimmed(pcm: bytes, threshold: int = 300) -> bytes:
    """``pcm`` (8 kHz int16) without the silence Piper puts before and after a sentence."""
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    return b"" if loud.size == 0 else samples[loud[0] : loud[-1] + 1].tobytes()


def pause(seconds: float) -> bytes:
    """Silence of ``seconds`` at the phone's 8 kHz, to put between pieces of caller speech."""
    return bytes(2 * int(8000 * seconds))
