"""The pipecat STT service that feeds each VAD-cut utterance to the shared recogniser.

Pipecat's ``WhisperSTTService`` loads its own model per service (one per call), defaults to a hub
model that would download, and logs transcripts; this service instead borrows the process's
:class:`~asr.recognizer.SpeechRecognizer`, decodes on its bounded pool, never logs text, and
turns the noise guard's verdict into a :class:`~asr.frames.NoSpeechFrame` so that the dialog can
re-prompt rather than wait for a transcript that will never come.

Built on :class:`~pipecat.services.stt_service.SegmentedSTTService`: that base buffers audio
between ``VADUserStartedSpeakingFrame`` and ``VADUserStoppedSpeakingFrame`` (plus up to a second
of pre-roll), pads it with trailing silence, and calls :meth:`run_stt` once per utterance from a
background task, so audio keeps flowing while a decode runs.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any

from loguru import logger
from pipecat.frames.frames import Frame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from asr.frames import AsrHintsFrame, CallerTranscriptionFrame, NoSpeechFrame
from asr.recognizer import SpeechRecognizer

DEFAULT_TTFS_P99_S = 1.0
"""Speech end to transcript, p99, on 2 CPU cores with tiny.en: decode ~0.3-0.5 s plus queueing."""


class AnbuSTTService(SegmentedSTTService):
    """Per-call STT service over a process-wide recogniser.

    Emits, for each utterance, either a finalized ``TranscriptionFrame`` (a
    :class:`~asr.frames.CallerTranscriptionFrame`, which keeps the text out of logs) whose
    ``result`` is the :class:`~asr.transcript.Transcript` (confidence, decode and queue times),
    or a :class:`~asr.frames.NoSpeechFrame`. Hints for the expected answer are set with
    :meth:`set_hints` or an :class:`~asr.frames.AsrHintsFrame` from either direction.
    """

    def __init__(
        self,
        recognizer: SpeechRecognizer,
        *,
        hints: Sequence[str] = (),
        beam_size: int = 1,
        ttfs_p99_latency: float = DEFAULT_TTFS_P99_S,
        **kwargs: Any,
    ) -> None:
        """Wrap ``recognizer`` for one call.

        Args:
            recognizer: The shared recogniser (see :func:`asr.recognizer.shared_recognizer`).
            hints: Vocabulary for the first answer; replaced by later hints.
            beam_size: Decoder beam; 1 is greedy and fastest.
            ttfs_p99_latency: Reported to turn strategies as the p99 transcript delay.
            **kwargs: Passed to ``SegmentedSTTService`` (``sample_rate``,
                ``trailing_silence_secs``, ...).
        """
        settings = STTSettings(model=Path(recognizer.model_path).name, language=Language.EN)
        super().__init__(settings=settings, ttfs_p99_latency=ttfs_p99_latency, **kwargs)
        self._recognizer = recognizer
        self._hints: tuple[str, ...] = tuple(hints)
        self._beam_size = beam_size

    @property
    def wants_wav_segments(self) -> bool:
        """Raw PCM16 at the pipeline rate: the recogniser resamples it itself."""
        return False

    @property
    def hints(self) -> tuple[str, ...]:
        """The hints the next utterance will be decoded with."""
        return self._hints

    def can_generate_metrics(self) -> bool:
        """Processing time is the decode plus queue wait of each utterance."""
        return True

    def set_hints(self, hints: Sequence[str]) -> None:
        """Use ``hints`` for every following utterance; an empty sequence clears them."""
        self._hints = (hints,) if isinstance(hints, str) else tuple(hints)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Consume hint frames; everything else goes through the segmenting base."""
        if isinstance(frame, AsrHintsFrame):
            # Only the root class's bookkeeping (observers); the STT base would forward it.
            await FrameProcessor.process_frame(self, frame, direction)
            self.set_hints(frame.hints)
            return
        await super().process_frame(frame, direction)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        """Recognise one utterance of raw PCM16 at :attr:`sample_rate`.

        A failed decode is reported upstream as an error and downstream as a ``NoSpeechFrame``
        with reason ``"error"``, so the caller's turn still gets an answer from the agent.
        """
        await self.start_processing_metrics()
        try:
            transcript = await self._recognizer.transcribe_async(
                audio, sample_rate=self.sample_rate, hints=self._hints, beam_size=self._beam_size
            )
        except Exception as exc:
            await self.stop_processing_metrics()
            logger.error("{}: speech recognition failed: {}", self, type(exc).__name__)
            await self.push_error(f"{self}: speech recognition failed", exception=exc)
            yield NoSpeechFrame(reason="error", user_id=self._user_id)
            return
        await self.stop_processing_metrics()

        if transcript.is_noise:
            logger.debug("{}: no speech ({})", self, transcript.metrics())
            yield NoSpeechFrame(
                reason=transcript.noise_reason or "noise", user_id=self._user_id, result=transcript
            )
            return
        logger.debug("{}: transcript ({})", self, transcript.metrics())
        yield CallerTranscriptionFrame(
            transcript.text,
            self._user_id,
            time_now_iso8601(),
            Language.EN,
            result=transcript,
        )
