"""Helpers for telephony tests: a real uvicorn server on a random port, and recording hooks.

A plain module (not ``conftest``) so test files can import it; ``tests/telephony`` has no
``__init__.py`` on purpose, as a package there would shadow the real ``telephony``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, WebSocket

from telephony.lines import Line, LineDirectory
from telephony.media import StartMessage
from telephony.webhooks import twilio_router

TOKEN = "test-auth-token-0123456789abcdef"

MediaHandler = Callable[[WebSocket, StartMessage], Awaitable[None]]


@dataclass
class RecordingHooks:
    """CallHooks that record what they saw; the media behaviour is pluggable per test."""

    media_handler: MediaHandler | None = None
    extra_parameters: dict[str, str] = field(default_factory=dict)
    refuse: BaseException | None = None
    incoming: list[tuple[dict[str, str], Line]] = field(default_factory=list)
    statuses: list[dict[str, str]] = field(default_factory=list)
    starts: list[StartMessage] = field(default_factory=list)
    stream_done: asyncio.Event = field(default_factory=asyncio.Event)
    status_seen: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_incoming(self, params: dict[str, str], line: Line) -> dict[str, str]:
        self.incoming.append((params, line))
        if self.refuse is not None:
            raise self.refuse
        return dict(self.extra_parameters)

    async def on_status(self, params: dict[str, str]) -> None:
        self.statuses.append(params)
        self.status_seen.set()

    async def on_media_stream(self, websocket: WebSocket, start: StartMessage) -> None:
        self.starts.append(start)
        try:
            if self.media_handler is not None:
                await self.media_handler(websocket, start)
        finally:
            self.stream_done.set()


def make_app(
    hooks: RecordingHooks,
    *,
    public_base: str | Callable[[], str] = "http://testserver",
    lines: LineDirectory | None = None,
    start_timeout: float = 5.0,
) -> FastAPI:
    app = FastAPI()
    base = public_base if callable(public_base) else (lambda: public_base)
    app.include_router(
        twilio_router(
            hooks=hooks,
            lines=lines or LineDirectory.from_mapping({"+15550100002": "wellness"}),
            auth_token=lambda: TOKEN,
            public_base=base,
            start_timeout=start_timeout,
        )
    )
    return app


@dataclass
class Server:
    url: str
    public: dict[str, str]


ServeFactory = Callable[..., contextlib.AbstractAsyncContextManager[Server]]


def serve_factory() -> ServeFactory:
    """``async with serve(hooks, public_url=...) as server:`` runs the router under uvicorn.

    ``public_url`` is what the app believes its public base is; default: the real address.
    """

    @contextlib.asynccontextmanager
    async def run(
        hooks: RecordingHooks, *, public_url: str | None = None, **kwargs: Any
    ) -> AsyncIterator[Server]:
        public: dict[str, str] = {}
        app = make_app(hooks, public_base=lambda: public["base"], **kwargs)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", ws="websockets-sansio"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        public["base"] = public_url or url
        try:
            yield Server(url=url, public=public)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 10)

    return run


async def next_message(websocket: WebSocket) -> object | None:
    """The next parsed Twilio message on a server-side socket; None once it disconnects."""
    from telephony.media import parse_message

    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    raw = message.get("text")
    return parse_message(raw if raw is not None else message.get("bytes") or b"")


def tone(seconds: float, hz: float = 440.0, amplitude: int = 8000) -> bytes:
    """8 kHz int16 sine, a stand-in for speech."""
    import numpy as np

    t = np.arange(int(8000 * seconds)) / 8000
    return (np.sin(2 * np.pi * hz * t) * amplitude).astype("<i2").tobytes()
