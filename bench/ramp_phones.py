"""The caller side of the concurrency ramp: N simulated phones in one process of their own.

Kept out of the server's process on purpose: the phones stand in for Twilio, which costs the
server nothing, but each phone still does JSON, base64 and mu-law work every 20 ms. In the
server's process that work would take the GIL from the calls being measured. Here it costs only
CPU time on the same machine, which is reported next to the server's.

Imports nothing heavy (no models, no server), so a ``spawn`` child starts fast.

Definitions, all measured at the phone:

* **response latency** of a turn: from the phone's tick that sent the caller's last voiced frame
  to the first agent ``media`` message received after it.
* **underrun**: a 20 ms tick at which the phone had no agent audio to play although the agent
  was mid-response, i.e. a response's first ``media`` had arrived and the ``mark`` the agent
  sends after every response had not. Pipecat sends audio at twice real time, so the phone's
  buffer only runs dry when the server fell behind real time (a late sentence, a stalled event
  loop). Counted as ticks and as episodes (runs of consecutive ticks).
* **failed call**: not connected, a turn with no reply within ``reply_timeout_s``, the call not
  ended by the agent (its goodbye) within the level's time bound, or an exception.
"""

from __future__ import annotations

import asyncio
import os
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from telephony.simulator import SimulatedPhone

PCM_FRAME = 320  # bytes of 8 kHz int16 per 20 ms
VOICED = 500  # int16 peak above which a caller frame counts as speech


@dataclass
class CallRecord:
    """One call's measurements (plain data: it crosses a process boundary)."""

    index: int
    call_sid: str = ""
    connected: bool = False
    greeting_s: float | None = None
    turns_s: list[float | None] = field(default_factory=list)
    underrun_ticks: int = 0
    underrun_episodes: int = 0
    agent_ticks: int = 0
    underrun_at: list[int] = field(default_factory=list)
    ended_by: str | None = None
    error: str | None = None
    wall_s: float = 0.0

    @property
    def failed(self) -> bool:
        return (
            not self.connected
            or self.error is not None
            or any(t is None for t in self.turns_s)
            or self.ended_by != "server"
        )


class RampPhone(SimulatedPhone):
    """The simulated phone with wall-clock ticks and underrun accounting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tick_at: dict[int, float] = {}
        self.media_at: list[float] = []
        self._responding = False
        self._in_gap = False
        self.underrun_ticks = 0
        self.underrun_episodes = 0
        self.agent_ticks = 0
        self.underrun_at: list[int] = []  # agent ticks into the response when a gap began
        self._response_ticks = 0

    def _event(self, kind: str, name: str = "", size: int = 0) -> None:
        if kind == "media":
            self.media_at.append(time.monotonic())
            if not self._responding:
                self._response_ticks = 0
            self._responding = True
        elif kind in ("mark", "clear"):
            self._responding = False  # everything of this response has been sent (or dropped)
        super()._event(kind, name, size)

    async def _tick_once(self) -> None:
        self.tick_at[self._tick] = time.monotonic()
        if self._playout_has_audio():
            self.agent_ticks += 1
            self._response_ticks += 1
            self._in_gap = False
        elif self._responding:
            self.underrun_ticks += 1
            if not self._in_gap:
                self.underrun_episodes += 1
                self.underrun_at.append(self._response_ticks)
            self._in_gap = True
        await super()._tick_once()

    def first_media_after(self, at: float) -> float | None:
        for when in self.media_at:
            if when >= at:
                return when
        return None


def voiced_frames(pcm: bytes) -> int:
    """20 ms frames of ``pcm`` up to and including the last voiced one."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
    step = PCM_FRAME // 2
    loud = [
        i
        for i in range(0, (samples.size + step - 1) // step)
        if np.abs(samples[i * step : (i + 1) * step]).max(initial=0) > VOICED
    ]
    return loud[-1] + 1 if loud else 0


async def _wait_media(phone: RampPhone, after: float, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not phone.ended.is_set():
        found = phone.first_media_after(after)
        if found is not None:
            return found
        await asyncio.sleep(0.005)
    return phone.first_media_after(after)


async def one_call(index: int, cfg: dict[str, Any], lines: list[bytes]) -> CallRecord:
    """Dial, wait for the greeting, say each line after the agent goes quiet, wait for the
    agent to hang up."""
    record = CallRecord(index)
    started = time.monotonic()
    phone = RampPhone(
        cfg["url"],
        cfg["token"],
        public_url=cfg["public_url"],
        from_number=f"+1555019{index:04d}",
        to_number=cfg["to_number"],
        speed=1.0,
    )
    try:
        async with phone:
            record.call_sid = phone.call_sid
            await phone.dial()
            record.connected = True
            dialled = time.monotonic()
            first = await _wait_media(phone, dialled, cfg["reply_timeout_s"])
            record.greeting_s = None if first is None else first - dialled
            for pcm in lines:
                await phone.wait_for_agent_silence(quiet_s=0.8, timeout=cfg["reply_timeout_s"])
                if phone.ended.is_set():
                    record.turns_s.append(None)
                    break
                begin = phone._tick  # the caller's first frame goes out on this tick
                await phone.say(pcm, wait=True)
                end = phone.tick_at.get(begin + voiced_frames(pcm)) or time.monotonic()
                reply = await _wait_media(phone, end, cfg["reply_timeout_s"])
                record.turns_s.append(None if reply is None else reply - end)
            await phone.wait_ended(timeout=cfg["end_timeout_s"])
            record.ended_by = phone.ended_by
    except Exception as exc:  # a failed call is a result, not a crash of the ramp
        record.error = f"{type(exc).__name__}: {exc}"[:300]
        if os.environ.get("ANBU_RAMP_DEBUG"):
            traceback.print_exc()
    finally:
        record.underrun_ticks = phone.underrun_ticks
        record.underrun_episodes = phone.underrun_episodes
        record.agent_ticks = phone.agent_ticks
        record.underrun_at = phone.underrun_at[:20]
        record.wall_s = round(time.monotonic() - started, 2)
    return record


async def _level(cfg: dict[str, Any], calls: list[list[bytes]]) -> list[CallRecord]:
    async def staggered(i: int, lines: list[bytes]) -> CallRecord:
        await asyncio.sleep(i * cfg["stagger_s"])
        return await one_call(i, cfg, lines)

    tasks = [asyncio.create_task(staggered(i, lines)) for i, lines in enumerate(calls)]
    done, pending = await asyncio.wait(tasks, timeout=cfg["level_timeout_s"])
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    records = []
    for i, task in enumerate(tasks):
        if task in done and task.exception() is None:
            records.append(task.result())
        else:
            records.append(CallRecord(i, error="level time bound reached"))
    return records


def run_level(cfg: dict[str, Any], calls: list[list[bytes]]) -> dict[str, Any]:
    """Entry point of the child process: play ``calls`` at once, return plain dicts."""
    import resource

    started = time.monotonic()
    records = asyncio.run(_level(cfg, calls))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "calls": [asdict(r) | {"failed": r.failed} for r in records],
        "phone_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "phone_wall_s": round(time.monotonic() - started, 2),
    }
