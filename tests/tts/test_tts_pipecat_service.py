"""The TTS service inside a real pipecat pipeline (pipecat's own ``run_test`` harness)."""

from __future__ import annotations

from collections.abc import Sequence

from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    TTSTextFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import run_test

from tts.cache import PhraseCache
from tts.frames import SpeakingRateFrame
from tts.synthesizer import SpeechSynthesizer
from tts.tts_service import AnbuTTSService

RATE = 8000  # a Twilio leg
PARAMS = PipelineParams(audio_in_sample_rate=RATE, audio_out_sample_rate=RATE)
PROMPT = "Thank you for calling Anbu Bistro. How many people is the booking for?"


def _of(frames: Sequence[Frame], kind: type) -> list:
    return [f for f in frames if isinstance(f, kind)]


def _service(synthesizer: SpeechSynthesizer, cache: PhraseCache | None = None) -> AnbuTTSService:
    return AnbuTTSService(synthesizer, cache=cache, stop_frame_timeout_s=0.2)


async def test_speaks_a_prompt_sentence_by_sentence(synthesizer: SpeechSynthesizer) -> None:
    tts = _service(synthesizer)
    down, up = await run_test(tts, frames_to_send=[TTSSpeakFrame(PROMPT)], pipeline_params=PARAMS)

    audio = _of(down, TTSAudioRawFrame)
    assert len(audio) == 2  # one frame per sentence
    assert all(f.sample_rate == RATE and f.num_channels == 1 for f in audio)
    seconds = sum(len(f.audio) for f in audio) / 2 / RATE
    assert 3.0 < seconds < 7.0
    kinds = [type(f) for f in down if isinstance(f, (TTSStartedFrame, TTSAudioRawFrame))]
    assert kinds[0] is TTSStartedFrame  # audio comes inside a started/stopped context
    assert _of(down, TTSStoppedFrame)
    assert [f.text for f in _of(down, TTSTextFrame)] == [PROMPT]
    assert len({f.context_id for f in audio}) == 1
    assert not _of(up, ErrorFrame)


async def test_cached_sentence_is_replayed(synthesizer: SpeechSynthesizer) -> None:
    cache = PhraseCache(synthesizer)
    cache.warm(["Thank you for calling Anbu Bistro."], out_rate=RATE)
    fixed = cache.get("Thank you for calling Anbu Bistro.", out_rate=RATE)
    tts = _service(synthesizer, cache)
    down, _ = await run_test(tts, frames_to_send=[TTSSpeakFrame(PROMPT)], pipeline_params=PARAMS)

    audio = _of(down, TTSAudioRawFrame)
    assert audio[0].audio == fixed
    assert cache.stats().hits == 2  # the lookup above and the replay


async def test_speaking_rate_frame_slows_the_next_text(synthesizer: SpeechSynthesizer) -> None:
    tts = _service(synthesizer)
    frames = [
        TTSSpeakFrame(PROMPT),
        SpeakingRateFrame(rate=0.8),
        TTSSpeakFrame(PROMPT),
    ]
    down, _ = await run_test(tts, frames_to_send=frames, pipeline_params=PARAMS)

    by_context: dict[str | None, int] = {}
    for frame in _of(down, TTSAudioRawFrame):
        by_context[frame.context_id] = by_context.get(frame.context_id, 0) + len(frame.audio)
    normal, slow = list(by_context.values())
    assert slow > normal * 1.08
    assert tts.rate == 0.8
    assert not _of(down, SpeakingRateFrame)  # consumed


async def test_bad_rate_frame_is_reported_not_applied(synthesizer: SpeechSynthesizer) -> None:
    tts = _service(synthesizer)
    _, up = await run_test(
        tts, frames_to_send=[SpeakingRateFrame(rate=9.0)], pipeline_params=PARAMS
    )
    assert tts.rate == 1.0
    assert _of(up, ErrorFrame)
