"""The pipecat TTS service that speaks with the shared Piper voice and phrase cache.

Pipecat's ``PiperTTSService`` loads its own voice per service (one per call) and downloads a
voice that is missing; this one borrows the process's :class:`~tts.synthesizer.SpeechSynthesizer`
and :class:`~tts.cache.PhraseCache`, so a fixed prompt is replayed from memory and a new one is
synthesised sentence by sentence off the event loop.

The ``TTSService`` base does the pipecat bookkeeping: it aggregates text into sentences, opens
an audio context with ``TTSStartedFrame`` (``push_start_frame=True``) and closes it with
``TTSStoppedFrame`` (``push_stop_frames=True``), and calls :meth:`run_tts` for each piece of text.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from loguru import logger
from pipecat.frames.frames import ErrorFrame, Frame, TTSAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService

from tts.cache import PhraseCache
from tts.frames import SpeakingRateFrame
from tts.synthesizer import MAX_RATE, MIN_RATE, SpeechSynthesizer


class AnbuTTSService(TTSService):
    """Per-call TTS service over a process-wide synthesizer and cache.

    ``run_tts`` yields one ``TTSAudioRawFrame`` per sentence at the pipeline's output rate,
    cached sentences at once. The speaking rate is per service (per call): set it with
    :meth:`set_rate` or a :class:`~tts.frames.SpeakingRateFrame`.
    """

    def __init__(
        self,
        synthesizer: SpeechSynthesizer,
        *,
        cache: PhraseCache | None = None,
        rate: float = 1.0,
        **kwargs: Any,
    ) -> None:
        """Wrap the shared synthesizer for one call.

        Args:
            synthesizer: The shared synthesizer (see :func:`tts.synthesizer.shared_synthesizer`).
            cache: The shared phrase cache; None synthesises everything.
            rate: Initial speaking rate, 1.0 normal.
            **kwargs: Passed to ``TTSService`` (``sample_rate``, ...).
        """
        settings = TTSSettings(model=None, voice=synthesizer.voice_id, language=None)
        super().__init__(push_start_frame=True, push_stop_frames=True, settings=settings, **kwargs)
        self._synthesizer = synthesizer
        self._cache = cache
        self._rate = 1.0
        self.set_rate(rate)

    @property
    def rate(self) -> float:
        """The speaking rate used for the next text."""
        return self._rate

    def set_rate(self, rate: float) -> None:
        """Speak following text at ``rate`` (between 0.5 and 2.0)."""
        if not MIN_RATE <= rate <= MAX_RATE:
            raise ValueError(f"rate must be between {MIN_RATE} and {MAX_RATE}, not {rate}")
        self._rate = float(rate)

    def can_generate_metrics(self) -> bool:
        """TTFB (text to first audio) and processing time are meaningful here."""
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Consume rate changes; everything else goes through the TTS base."""
        if isinstance(frame, SpeakingRateFrame):
            await FrameProcessor.process_frame(self, frame, direction)  # observers only
            try:
                self.set_rate(frame.rate)
            except ValueError as exc:
                await self.push_error(f"{self}: {exc}")
            return
        await super().process_frame(frame, direction)

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        """Speak ``text``: one audio frame per sentence, at :attr:`sample_rate`."""
        await self.start_tts_usage_metrics(text)
        try:
            async for audio in self._synthesizer.stream(
                text, rate=self._rate, out_rate=self.sample_rate, cache=self._cache
            ):
                await self.stop_ttfb_metrics()
                yield TTSAudioRawFrame(audio, self.sample_rate, 1, context_id=context_id)
        except Exception as exc:
            logger.error("{}: synthesis failed: {}", self, type(exc).__name__)
            yield ErrorFrame(error=f"{self}: synthesis failed: {exc}")
        finally:
            await self.stop_ttfb_metrics()
