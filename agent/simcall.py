"""``anbu call``: phone the running server through the local simulated line.

The simulated phone (``telephony.simulator``) does what Twilio does; this module gives it a
mouth and ears: typed or scripted lines are spoken with the bundled Piper voice and sent as
caller audio, and the agent's audio is transcribed locally with the bundled Whisper model so
you can read what it said. Both legs are saved as a stereo WAV.
"""

from __future__ import annotations

import asyncio
import threading
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.settings import Settings
from agent.voice import Voice
from asr.recognizer import SpeechRecognizer
from telephony.simulator import AgentUtterance, SimulatedPhone
from tts.resample import to_rate
from tts.synthesizer import SpeechSynthesizer

PHONE_RATE = 8000


@dataclass
class CallScript:
    """What the simulated caller does: lines to say (text or WAV files), keys to press."""

    steps: list[str] = field(default_factory=list)  # "text", "#digits", "wav:path", "/wait"


def read_wav_8k(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV files are supported")
        frames = wav.readframes(wav.getnframes())
        if wav.getnchannels() == 2:
            import numpy as np

            stereo = np.frombuffer(frames, dtype="<i2").reshape(-1, 2)
            frames = stereo.mean(axis=1).astype("<i2").tobytes()
        return to_rate(frames, wav.getframerate(), PHONE_RATE)


class Caller:
    """Speaks for the simulated caller and listens to the agent."""

    def __init__(self, synthesizer: SpeechSynthesizer, recognizer: SpeechRecognizer) -> None:
        self.synthesizer, self.recognizer = synthesizer, recognizer

    @classmethod
    def from_settings(cls, settings: Settings) -> Caller:
        """The process's own models (shared with a server in the same process, never reloaded)."""
        voice = Voice.load(settings)
        return cls(voice.synthesizer, voice.recognizer)

    def speech(self, text: str) -> bytes:
        audio = b"".join(self.synthesizer.synthesize_sentences(text))
        return to_rate(audio, self.synthesizer.sample_rate, PHONE_RATE)

    async def hear(self, audio: bytes) -> str:
        if not audio:
            return ""
        transcript = await self.recognizer.transcribe_async(audio, sample_rate=PHONE_RATE)
        return "" if transcript.is_noise else transcript.text


async def place_call(
    *,
    server: str,
    public_url: str,
    token: str,
    caller: Caller,
    steps: Sequence[str] | None,
    ask: Callable[[], str] | None = None,
    show: Callable[[str], None] = print,
    save_to: Path | None = None,
    from_number: str = "+15550100001",
    to_number: str = "+15550100000",
    reply_timeout: float = 20.0,
) -> SimulatedPhone:
    """Dial, play each step after the agent has finished speaking, then hang up.

    With ``steps`` None, lines are read interactively from ``ask`` until ``/hangup``.
    """
    phone = SimulatedPhone(
        server, token, public_url=public_url, from_number=from_number, to_number=to_number
    )
    printer_tasks: list[asyncio.Task[None]] = []

    async def on_utterance(utterance: AgentUtterance) -> None:
        text = await caller.hear(utterance.audio)
        show(f"agent> {text or '(inaudible)'}")

    phone.on_agent_utterance(lambda u: printer_tasks.append(asyncio.ensure_future(on_utterance(u))))
    async with phone:
        await phone.dial()
        pending = list(steps) if steps is not None else None
        while not phone.ended.is_set():
            await phone.wait_for_agent_silence(timeout=reply_timeout)
            await asyncio.gather(*printer_tasks)
            if phone.ended.is_set():
                break
            if pending is not None:
                if not pending:
                    break
                step = pending.pop(0)
            else:
                assert ask is not None
                try:
                    step = await asyncio.to_thread(ask)
                except EOFError:
                    break
            if step.strip() in ("/hangup", "/quit"):
                break
            await _perform(phone, caller, step, show)
        if not phone.ended.is_set():
            await phone.hang_up()
        await asyncio.gather(*printer_tasks)
        if save_to is not None:
            phone.save_wav(save_to)
            show(f"(both legs saved to {save_to})")
    return phone


async def _perform(
    phone: SimulatedPhone, caller: Caller, step: str, show: Callable[[str], None]
) -> None:
    step = step.strip()
    if step.startswith("#") and len(step) > 1:
        show(f"you>   [keys {step[1:]}]")
        await phone.press(step[1:])
    elif step.startswith("wav:"):
        show(f"you>   [{step[4:]}]")
        await phone.say(read_wav_8k(Path(step[4:])), wait=True)
    elif step in ("", "/wait"):
        show("you>   (silence)")
        await asyncio.sleep(7.0)
    else:
        show(f"you>   {step}")
        await phone.say(await asyncio.to_thread(caller.speech, step), wait=True)


DEMO_LINES = [
    "Hi, I'd like to book a table for four tomorrow at seven thirty please.",
    "It's under John Smith.",
    "Yes, please.",
    "No, that's all, thank you.",
]


def start_demo_call(settings: Settings, server: str, *, print_to: Callable[[str], None]) -> None:
    """In a background thread: wait until the server is healthy, then phone it once.

    Lets a newcomer see (and hear, in the saved WAV) a whole booking without typing anything.
    """

    def run() -> None:
        import httpx

        for _ in range(600):
            try:
                if httpx.get(f"{server}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        caller = Caller.from_settings(settings)
        save_to = settings.data_dir / "demo-call.wav"
        print_to("--- demo call: a simulated caller phones the agent (transcribed locally) ---")
        asyncio.run(
            place_call(
                server=server,
                public_url=settings.public_url,
                token=settings.webhook_token(),
                caller=caller,
                steps=DEMO_LINES,
                show=print_to,
                save_to=save_to,
            )
        )
        print_to("--- demo call over; the booking is in the database. Call again: anbu call ---")

    threading.Thread(target=run, name="anbu-demo-call", daemon=True).start()
