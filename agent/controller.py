"""The call controller: the pipecat processor between speech recognition and speech synthesis.

It turns what the caller did (a transcript, keypresses, a long silence, speech that was only
noise) into one dialog step, and the step's reply into speech followed by a Twilio ``mark``.
It also owns the conversational reflexes a phone call needs: barge-in (the caller talks over
the agent: stop and listen), re-prompting on silence, and ending the call only after the
goodbye has actually been played (the last mark comes back).

Dialog steps touch the database and the NLU model, so they run in a worker thread, one at a
time per call, while this processor keeps handling frames (so a barge-in is never delayed by a
step in flight).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    Frame,
    InputDTMFFrame,
    InputTransportMessageFrame,
    OutputTransportMessageFrame,
    StartFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from agent.serializer import mark_message
from agent.session import CallSession
from agent.turn_end import answers
from asr.frames import AsrHintsFrame, NoSpeechFrame
from dialog.engine import Turn
from dialog.types import Expectation, UserInput
from tts.frames import SpeakingRateFrame

log = logging.getLogger(__name__)
FINAL_MARK = "anbu-final"


@dataclass
class TurnTiming:
    """Where one response's time went; seconds, monotonic clock. No text: safe to log."""

    speech_end: float | None = None  # caller stopped speaking (VAD stop minus its hangover)
    vad_stop: float | None = None  # VAD decided the turn was over
    transcript: float | None = None  # ASR result reached the controller
    released: float | None = None  # the turn was judged complete and went to the dialog
    dialog_done: float | None = None  # the dialog's reply was ready
    first_audio: float | None = None  # the agent started speaking
    asr_decode_s: float | None = None
    asr_queue_s: float | None = None

    def summary(self) -> dict[str, float | None]:
        def span(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else round(b - a, 4)

        return {
            "end_of_turn_s": span(self.speech_end, self.vad_stop),
            "asr_s": span(self.vad_stop, self.transcript),
            "hold_s": span(self.transcript, self.released),
            "dialog_s": span(self.released or self.transcript, self.dialog_done),
            "tts_first_audio_s": span(self.dialog_done, self.first_audio),
            "response_s": span(self.speech_end, self.first_audio),
            "asr_decode_s": self.asr_decode_s,
            "asr_queue_s": self.asr_queue_s,
        }


@dataclass
class CallEnd:
    """How the conversation asked to end: hang up, or hand over to a person."""

    transfer: bool
    outcome: str | None


@dataclass
class ControllerConfig:
    silence_timeout_s: float = 6.0
    dtmf_timeout_s: float = 2.0
    final_mark_timeout_s: float = 30.0
    barge_in: bool = True


@dataclass(frozen=True)
class Heard:
    """When one stretch of caller speech (or a key press) began and ended, wall clock."""

    started: dt.datetime
    ended: dt.datetime

    @classmethod
    def now(cls) -> Heard:
        at = dt.datetime.now(dt.UTC)
        return cls(at, at)


@dataclass
class _Held:
    """Caller speech heard but not yet answered: it may be the first half of a sentence."""

    text: str
    heard: Heard
    confidence: float


@dataclass
class _Timers:
    silence: asyncio.TimerHandle | None = None
    dtmf: asyncio.TimerHandle | None = None
    hold: asyncio.TimerHandle | None = None


class CallController(FrameProcessor):
    """One per call. ``on_end`` is awaited once, after the final sentence has been heard."""

    def __init__(
        self,
        session: CallSession,
        *,
        stream_sid: str,
        on_end: Callable[[CallEnd], Awaitable[None]],
        config: ControllerConfig | None = None,
        vad_stop_secs: float = 0.0,
        turn_end_secs: float | None = None,
    ) -> None:
        """``vad_stop_secs`` is the VAD's pause detector; ``turn_end_secs`` the longest pause
        that ends a turn whose words do not answer the question yet (default: the VAD's)."""
        super().__init__(name="call-controller")
        self.session = session
        self.stream_sid = stream_sid
        self.config = config or ControllerConfig()
        self.timings: list[TurnTiming] = []
        self._on_end = on_end
        self._vad_stop_secs = vad_stop_secs
        self._turn_end_secs = max(vad_stop_secs, turn_end_secs or 0.0)
        self._expect: Expectation | None = None
        self._held: _Held | None = None
        self._caller_speaking = False
        self._lock = asyncio.Lock()
        self._timers = _Timers()
        self._digits = ""
        self._max_digits = 1
        self._bot_speaking = False
        self._ending: CallEnd | None = None
        self._ended = False
        self._marks = 0
        self._current = TurnTiming()
        self._rate = session.speaking_rate
        self._tasks: set[asyncio.Task[None]] = set()
        # One entry per VAD segment, consumed by the transcript (or no-speech verdict) it
        # produces: the ASR answers in order, so the oldest segment is the one transcribed.
        self._segments: deque[Heard] = deque()
        self._speech_started: dt.datetime | None = None
        self.greeted_at: float | None = None
        self.started_at: float | None = None

    # ---- frames -----------------------------------------------------------------------------

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            self.started_at = time.monotonic()
            self._spawn(self._greet())
            return
        if isinstance(frame, TranscriptionFrame):
            result = getattr(frame, "result", None)
            self._current.transcript = time.monotonic()
            self._current.asr_decode_s = getattr(result, "decode_s", None)
            self._current.asr_queue_s = getattr(result, "queue_wait_s", None)
            confidence = float(getattr(result, "confidence", 1.0) or 1.0)
            self._on_transcript(frame.text, self._heard(), confidence)
            return  # consumed: the transcript never goes further down (nor into any log)
        if isinstance(frame, NoSpeechFrame):
            self._current.transcript = time.monotonic()
            heard = self._heard()
            if self._held is None:
                self._respond(UserInput.silence(), heard)
            elif not self._more_speech_coming():
                self._release_held()  # noise after a fragment: the fragment was the turn
            return
        if isinstance(frame, InputDTMFFrame):
            self._on_digit(str(frame.button.value))
            return
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._speech_started = _wall(frame.timestamp - frame.start_secs)
            self._caller_speaking = True
            self._cancel_hold()  # the caller goes on: what was held is the start of the turn
            self._cancel_silence()
            if self._bot_speaking and self.config.barge_in and not self._ending:
                await self.broadcast_interruption()  # Twilio `clear`: stop talking, listen
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            now = time.monotonic()
            # The VAD decides after ``stop_secs`` of silence (its hangover): speech ended then.
            hangover = frame.stop_secs or self._vad_stop_secs
            lag = max(0.0, time.time() - frame.timestamp)
            self._current = TurnTiming(vad_stop=now - lag, speech_end=now - lag - hangover)
            ended = _wall(frame.timestamp - hangover)
            started = min(self._speech_started or ended, ended)
            self._segments.append(Heard(started, ended))
            self._speech_started = None
            self._caller_speaking = False
        elif isinstance(frame, BotStartedSpeakingFrame):
            self._bot_speaking = True
            self._cancel_silence()
            if self._current.first_audio is None and self._current.dialog_done is not None:
                self._current.first_audio = time.monotonic()
                self.timings.append(self._current)
            if self.greeted_at is None:
                self.greeted_at = time.monotonic()
        elif isinstance(frame, BotStoppedSpeakingFrame):
            self._bot_speaking = False
            if not self._ending:
                self._arm_silence()
        elif isinstance(frame, InputTransportMessageFrame) and isinstance(frame.message, dict):
            if frame.message.get("event") == "mark" and frame.message.get("name") == FINAL_MARK:
                self._spawn(self._finish())
            return
        await self.push_frame(frame, direction)

    # ---- turns ------------------------------------------------------------------------------

    async def _greet(self) -> None:
        async with self._lock:
            turn = await asyncio.to_thread(self.session.start)
            self._current = TurnTiming(dialog_done=time.monotonic())
            await self._speak(turn)

    def _heard(self) -> Heard:
        return self._segments.popleft() if self._segments else Heard.now()

    def _more_speech_coming(self) -> bool:
        """The caller is talking now, or spoke again and that piece is still being decoded."""
        return self._caller_speaking or bool(self._segments)

    def _on_transcript(self, text: str, heard: Heard, confidence: float) -> None:
        """Answer now, or hold the words for the rest of the sentence (see ``turn_end``)."""
        held, self._held = self._held, None
        if held is not None:
            text = f"{held.text} {text}"
            heard = Heard(held.heard.started, heard.ended)
            confidence = min(confidence, held.confidence)
        self._held = _Held(text, heard, confidence)
        if self._more_speech_coming():
            return  # the next transcript will be merged with this one
        if answers(self.session.engine.script, self._expect, text, self.session.now().date()):
            self._release_held()
            return
        silent_for = (dt.datetime.now(dt.UTC) - heard.ended).total_seconds()
        remaining = self._turn_end_secs - silent_for
        if remaining <= 0:
            self._release_held()
        else:
            loop = asyncio.get_running_loop()
            self._timers.hold = loop.call_later(remaining, self._release_held)

    def _release_held(self) -> None:
        self._cancel_hold()
        held, self._held = self._held, None
        if held is None:
            return
        self._current.released = time.monotonic()
        self._respond(UserInput.said(held.text, confidence=held.confidence), held.heard)

    def _cancel_hold(self) -> None:
        if self._timers.hold is not None:
            self._timers.hold.cancel()
            self._timers.hold = None

    def _respond(self, user: UserInput, heard: Heard | None = None) -> None:
        self._cancel_silence()
        if self._ending or self._ended:
            return
        self._spawn(self._step(user, heard or Heard.now()))

    async def _step(self, user: UserInput, heard: Heard) -> None:
        async with self._lock:
            if self._ending or self._ended or self.session.ended:
                return
            turn = await asyncio.to_thread(
                self.session.handle, user, heard_at=heard.started, ended_at=heard.ended
            )
            self._current.dialog_done = time.monotonic()
            await self._speak(turn)

    async def _speak(self, turn: Turn) -> None:
        if self.session.speaking_rate != self._rate:
            self._rate = self.session.speaking_rate
            await self.push_frame(SpeakingRateFrame(rate=self._rate))
        self._expect = turn.expect
        if turn.expect is not None:
            self._max_digits = turn.expect.max_digits
            await self.push_frame(
                AsrHintsFrame(hints=list(turn.expect.hints)), FrameDirection.UPSTREAM
            )
        if turn.say:
            for piece in speech_pieces(turn.text):
                await self.push_frame(TTSSpeakFrame(piece))
        if turn.ended:
            self._ending = CallEnd(
                transfer=self.session.transfer_requested, outcome=self.session.outcome
            )
            await self.push_frame(
                OutputTransportMessageFrame(message=mark_message(self.stream_sid, FINAL_MARK))
            )
            self._spawn(self._final_mark_watchdog())
        else:
            self._marks += 1
            name = f"anbu-{self._marks}"
            await self.push_frame(
                OutputTransportMessageFrame(message=mark_message(self.stream_sid, name))
            )

    async def _final_mark_watchdog(self) -> None:
        """If Twilio never echoes the final mark, end anyway rather than hold the line."""
        await asyncio.sleep(self.config.final_mark_timeout_s)
        await self._finish()

    async def _finish(self) -> None:
        if self._ended or self._ending is None:
            return
        self._ended = True
        self._cancel_silence()
        await self._on_end(self._ending)

    # ---- DTMF and silence -------------------------------------------------------------------

    def _on_digit(self, digit: str) -> None:
        self._cancel_silence()
        self._release_held()  # keys after words: the words were a turn of their own
        if self._timers.dtmf is not None:
            self._timers.dtmf.cancel()
            self._timers.dtmf = None
        if digit == "#" or (digit == "0" and not self._digits):
            self._flush_digits(digit if digit == "0" else "")
            return
        self._digits += digit
        if len(self._digits) >= self._max_digits:
            self._flush_digits()
        else:
            loop = asyncio.get_running_loop()
            self._timers.dtmf = loop.call_later(self.config.dtmf_timeout_s, self._flush_digits)

    def _flush_digits(self, extra: str = "") -> None:
        digits, self._digits = self._digits + extra, ""
        if digits:
            self._current = TurnTiming(vad_stop=time.monotonic(), speech_end=time.monotonic())
            self._current.transcript = self._current.vad_stop
            self._respond(UserInput.dtmf(digits))

    def _arm_silence(self) -> None:
        self._cancel_silence()
        loop = asyncio.get_running_loop()
        self._timers.silence = loop.call_later(self.config.silence_timeout_s, self._on_silence)

    def _cancel_silence(self) -> None:
        if self._timers.silence is not None:
            self._timers.silence.cancel()
            self._timers.silence = None

    def _on_silence(self) -> None:
        self._timers.silence = None
        if not self._bot_speaking:
            self._current = TurnTiming()
            self._respond(UserInput.silence())

    # ---- housekeeping -----------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "call %s: dialog step failed", self.session.call_id, exc_info=task.exception()
            )

    async def cleanup(self) -> None:
        self._cancel_silence()
        self._cancel_hold()
        if self._timers.dtmf is not None:
            self._timers.dtmf.cancel()
        for task in list(self._tasks):
            task.cancel()
        await super().cleanup()


def _wall(epoch_s: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC)


_LEAD_IN = re.compile(r"^([^.!?:]{3,30}:)\s+(?=\S)")


def speech_pieces(text: str) -> list[str]:
    """``text`` with a short lead-in ("Let me check:") split off into a piece of its own.

    Synthesis goes sentence by sentence and the agent is silent until the first one is ready;
    a read-back is one long templated sentence (~0.3-0.7 s of CPU on two cores). Its lead-in is
    quick to say, and the rest is synthesised while it plays.
    """
    match = _LEAD_IN.match(text)
    if match is None or len(text) < 60:
        return [text]
    return [match.group(1), text[match.end() :]]
