"""Graceful drain: how a worker leaves (a rolling upgrade, a scale-down) without dropping calls.

On SIGTERM ``anbu serve`` does not stop at once (uvicorn would close every media websocket, i.e.
hang up on every caller). Instead:

1. the worker stops taking calls: ``/readyz`` answers 503, so the load balancer takes it out of
   rotation, and a ``/twilio/voice`` webhook that still arrives is answered with a
   ``<Redirect>`` to ``ANBU_DRAIN_REDIRECT_URL`` (the cluster's public voice URL: another worker
   takes the call) or, without one, a polite ``<Say>`` and ``<Hangup>``;
2. whatever registered with :meth:`Drain.on_drain` is stopped (the campaign scheduler: it stops
   claiming attempts);
3. the calls in progress run to their end, bounded by ``ANBU_DRAIN_TIMEOUT_SECS``; calls whose
   TwiML was just answered but whose media stream has not connected yet are waited for too;
4. then uvicorn shuts down as usual and the process exits 0.

A second SIGTERM (or SIGINT) skips the wait. Kubernetes' ``terminationGracePeriodSeconds`` must
be longer than the drain timeout, or the kubelet's SIGKILL cuts the calls anyway.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import uvicorn

from telephony import twiml
from telephony.webhooks import CallRefused

__all__ = ["DRAIN_MESSAGE", "Drain", "DrainingServer", "draining_refusal"]

log = logging.getLogger(__name__)

DRAIN_MESSAGE = (
    "Sorry, we can't take your call on this line right now. Please call again in a minute."
)
#: How long a call answered with ``<Connect><Stream>`` may take to open its media stream.
STREAM_START_GRACE_S = 15.0
_POLL_S = 0.2


def draining_refusal(redirect_url: str) -> CallRefused:
    """What a draining worker answers a new call with."""
    if redirect_url:
        return CallRefused(twiml=twiml.redirect(redirect_url))
    return CallRefused(DRAIN_MESSAGE)


class Drain:
    """A worker's drain state and procedure; ``app.state.drain``."""

    def __init__(self, *, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.draining = False
        self.finished = asyncio.Event()
        self._stoppers: list[Callable[[], Awaitable[None]]] = []

    def on_drain(self, stop: Callable[[], Awaitable[None]]) -> None:
        """Run ``stop`` when the drain begins (e.g. the campaign scheduler's stop)."""
        self._stoppers.append(stop)

    async def run(self, hooks: Any | None) -> bool:
        """Drain; True if every call ended within the timeout. ``hooks``: the PhoneHooks, or
        None while the models are still loading (then there is nothing to wait for)."""
        self.draining = True
        if hooks is not None:
            hooks.accepting = False
        log.info("draining: no new calls; waiting for the calls in progress")
        for stop in self._stoppers:
            try:
                await stop()
            except Exception:
                log.exception("a drain callback failed; draining anyway")
        deadline = time.monotonic() + self.timeout_s
        clean = True
        while hooks is not None and _busy(hooks):
            if time.monotonic() >= deadline:
                clean = False
                log.warning(
                    "drain timeout (%.0f s) with %d calls in progress; they will be cut",
                    self.timeout_s,
                    len(hooks.active),
                )
                break
            await asyncio.sleep(_POLL_S)
        if clean:
            log.info("drained: no calls in progress")
        self.finished.set()
        return clean


def _busy(hooks: Any) -> bool:
    if hooks.active:
        return True
    now = time.monotonic()
    answered: dict[str, float] = getattr(hooks, "answered", {})
    return any(now - at < STREAM_START_GRACE_S for at in answered.values())


class DrainingServer(uvicorn.Server):
    """uvicorn, except that the first SIGTERM drains before the usual graceful shutdown, and the
    process then exits 0 (uvicorn re-raises the signal it caught, which would exit 143)."""

    def __init__(self, config: uvicorn.Config, *, start_drain: Callable[[], Awaitable[Any]]):
        super().__init__(config)
        self._start_drain = start_drain
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[None] | None = None

    async def serve(self, sockets: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets=sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self._drain_task is None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._begin)
            return
        super().handle_exit(sig, frame)

    def _begin(self) -> None:
        if self._drain_task is None:
            self._drain_task = asyncio.ensure_future(self._drain_then_exit())

    async def _drain_then_exit(self) -> None:
        try:
            await self._start_drain()
        finally:
            self.should_exit = True
