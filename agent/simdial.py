"""The dialer without Twilio: each call Anbu places rings a simulated person on this machine.

``SimulatedDialer`` implements :class:`campaigns.dialer.Dialer` by running a
:class:`telephony.simulator.SimulatedPhone` (direction ``outbound-api``) as a task on the
server's event loop: the phone posts the signed voice webhook and opens the media stream exactly
as Twilio would for an answered outbound call, and a scripted person speaks their lines (Piper's
voice, through :class:`agent.simcall.Caller`) each time the agent falls silent. So a demo campaign
runs end to end on a laptop, and tests drive whole check-ins.

Where the call goes is ``targets`` (``ANBU_SIMULATED_DIAL_URL``): by default the server's own
address; in a cluster the workers' (or their load balancer's) addresses, taken in turn, as Twilio
would send an answered call to the load balancer while the scheduler process only dials. The
simulated person lives in the dialling process, so a draining scheduler waits for its calls
(:meth:`SimulatedDialer.wait_all`) before it exits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from agent.simcall import Caller
from campaigns.dialer import DialRequest, ProviderCall
from telephony.simulator import CallNotConnected, SimulatedPhone

log = logging.getLogger(__name__)

DEFAULT_ANSWERS = (
    "Yes, speaking.",
    "I had porridge for breakfast and soup for lunch.",
    "I slept well, thank you.",
    "My knee hurts a bit.",
    "My left knee.",
    "Three.",
    "I'm feeling fine.",
    "Yes, I took them this morning.",
    "No, nothing else, thank you.",
)


@dataclass
class Persona:
    """How the simulated person behaves: their lines, or not answering at all."""

    lines: Sequence[str] = DEFAULT_ANSWERS
    answers: bool = True
    reply_timeout_s: float = 20.0


@dataclass
class _Line:
    request: DialRequest
    target: str
    status: str = "queued"
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    phone: SimulatedPhone | None = None


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class SimulatedDialer:
    def __init__(
        self,
        *,
        targets: Sequence[str],
        token: str,
        caller: Caller,
        loop: asyncio.AbstractEventLoop,
        persona: Persona | None = None,
    ) -> None:
        """``targets``: base URLs of the servers that answer the calls, used in turn; each is
        both where the phone connects and the public URL its webhooks are signed for."""
        if not targets:
            raise ValueError("the simulated dialer needs at least one server to call")
        self.targets = [t.rstrip("/") for t in targets]
        self.token = token
        self.caller, self.loop = caller, loop
        self.persona = persona or Persona()
        self.calls: dict[str, _Line] = {}
        self.tasks: dict[str, Future[None]] = {}
        self._next = itertools.count()
        self._lock = threading.Lock()

    # campaigns.dialer.Dialer -------------------------------------------------------------------

    def place(self, request: DialRequest) -> str:
        call_sid = "CA" + uuid.uuid4().hex
        with self._lock:  # ticks dial from the scheduler's thread, one-off calls from others
            target = self.targets[next(self._next) % len(self.targets)]
        self.calls[call_sid] = _Line(request, target)
        self.tasks[call_sid] = asyncio.run_coroutine_threadsafe(self._call(call_sid), self.loop)
        return call_sid

    def fetch(self, call_sid: str) -> ProviderCall | None:
        line = self.calls.get(call_sid)
        return ProviderCall(call_sid, line.status, line.started) if line else None

    def find(self, to: str, since: dt.datetime) -> list[ProviderCall]:
        return [
            ProviderCall(sid, line.status, line.started)
            for sid, line in self.calls.items()
            if line.request.to == to and line.started >= since
        ]

    def update_twiml(self, call_sid: str, twiml: str) -> bool:
        line = self.calls.get(call_sid)
        if line is None or line.phone is None or line.status == "completed":
            return False
        if "<Hangup" in twiml:
            # The simulated network plays no TwiML <Say>: ending the stream is what matters.
            asyncio.run_coroutine_threadsafe(line.phone.drop(post_status=True), self.loop)
        return True

    # the simulated person -----------------------------------------------------------------------

    async def _call(self, call_sid: str) -> None:
        line = self.calls[call_sid]
        request = line.request
        phone = SimulatedPhone(
            line.target,
            self.token,
            public_url=line.target,
            from_number=request.from_,
            to_number=request.to,
            call_sid=call_sid,
            direction="outbound-api",
            voice_path=_path(request.voice_url),
            status_path=_path(request.status_url),
        )
        line.phone = phone
        try:
            async with phone:
                if not self.persona.answers:
                    line.status = "no-answer"
                    await phone.post_status("no-answer")
                    return
                line.status = "in-progress"
                await phone.dial()
                for text in self.persona.lines:
                    await phone.wait_for_agent_silence(timeout=self.persona.reply_timeout_s)
                    if phone.ended.is_set():
                        break
                    audio = await asyncio.to_thread(self.caller.speech, text)
                    await phone.say(audio, wait=True)
                if not phone.ended.is_set():
                    await phone.wait_for_agent_silence(timeout=self.persona.reply_timeout_s)
                if not phone.ended.is_set():
                    await phone.hang_up()
        except CallNotConnected:
            log.warning("simulated call %s was not connected", call_sid)
            line.status = "failed"
            await phone.post_status("failed")
        except Exception:
            log.exception("simulated call %s failed", call_sid)
            line.status = "failed"
        finally:
            if line.status == "in-progress":
                line.status = "completed"

    async def wait_all(self, timeout: float) -> None:
        """Wait for every simulated call placed so far to end (a draining scheduler, tests)."""
        futures = [asyncio.wrap_future(f) for f in list(self.tasks.values()) if not f.done()]
        if futures:
            await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), timeout)


def dial_targets(setting: str, own_url: str) -> list[str]:
    """``ANBU_SIMULATED_DIAL_URL`` as a list of base URLs; empty means this process's own."""
    targets = [part.strip() for part in setting.split(",") if part.strip()]
    return targets or [own_url]


def persona_from_settings(text: str) -> Persona:
    lines = [part.strip() for part in text.split("|") if part.strip()]
    return Persona(lines=lines) if lines else Persona()


__all__ = [
    "DEFAULT_ANSWERS",
    "Persona",
    "SimulatedDialer",
    "dial_targets",
    "persona_from_settings",
]
