"""The process's speech models: one recogniser, one voice, one phrase cache for every call.

Loaded once at start-up (``/healthz`` answers only after), never per call. Fixed prompts of every
script are synthesised into the phrase cache before the first call, so a greeting starts playing
the moment the stream opens.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from agent.runtime import Runtime
from agent.settings import Settings
from asr.recognizer import SpeechRecognizer, shared_recognizer
from dialog.templates import placeholders, render
from tts.cache import PhraseCache
from tts.synthesizer import SpeechSynthesizer, shared_synthesizer

log = logging.getLogger(__name__)
PHONE_RATE = 8000  # Twilio's µ-law rate: synthesise straight to it, resample once
STATIC_VARS = frozenset(
    {"business_name", "organisation_name", "address", "parking", "hours_text", "max_party_size"}
)


@dataclass
class Voice:
    recognizer: SpeechRecognizer
    synthesizer: SpeechSynthesizer
    cache: PhraseCache

    @classmethod
    def load(cls, settings: Settings) -> Voice:
        started = time.monotonic()
        recognizer = shared_recognizer(
            settings.whisper_model,
            device=settings.whisper_device,
            workers=settings.asr_workers,
            window_s=settings.asr_window_secs,
            max_batch=settings.asr_batch_size,
        )
        synthesizer = shared_synthesizer(settings.piper_voice)
        log.info("speech models loaded in %.1f s", time.monotonic() - started)
        return cls(recognizer, synthesizer, PhraseCache(synthesizer))

    def warm(self, runtime: Runtime) -> int:
        """Synthesise every prompt whose wording does not depend on the caller."""
        context = runtime.context(caller_number="", now=runtime.now())
        count = 0
        for script in runtime.scripts.values():
            phrases = [render(t, context) for t in fixed_prompts(script.model_dump())]
            count += self.cache.warm(phrases, rate=script.voice.speaking_rate, out_rate=PHONE_RATE)
        return count


def fixed_prompts(script: dict[str, Any]) -> list[str]:
    """Templates in a script dump that name only static business settings (or nothing)."""
    found: list[str] = []
    for node in script["nodes"].values():
        found += node["say"] + node["nomatch"] + node["noinput"]
    for handler in script["intents"].values():
        found += handler["say"]
    for slot in script["slots"].values():
        found += slot["invalid"]
    return [t for t in found if set(placeholders(t)) <= STATIC_VARS]
