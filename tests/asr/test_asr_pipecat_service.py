"""The STT service inside a real pipecat pipeline (pipecat's own ``run_test`` harness)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from asr_testkit import noise, phone_line, speech
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameDirection
from pipecat.tests.utils import run_test

from asr.frames import AsrHintsFrame, CallerTranscriptionFrame, NoSpeechFrame
from asr.recognizer import SpeechRecognizer
from asr.stt_service import AnbuSTTService
from asr.transcript import Transcript

RATE = 8000  # a Twilio leg
PARAMS = PipelineParams(audio_in_sample_rate=RATE, audio_out_sample_rate=RATE)


def _utterance(pcm16: bytes) -> list[Frame]:
    """VAD start, the audio in 20 ms frames as a transport delivers it, VAD stop."""
    step = RATE // 50 * 2
    audio = [InputAudioRawFrame(pcm16[i : i + step], RATE, 1) for i in range(0, len(pcm16), step)]
    return [VADUserStartedSpeakingFrame(), *audio, VADUserStoppedSpeakingFrame()]


def _of(frames: Sequence[Frame], kind: type) -> list:
    return [f for f in frames if isinstance(f, kind)]


async def test_speech_becomes_one_finalized_transcription(recognizer: SpeechRecognizer) -> None:
    stt = AnbuSTTService(recognizer)
    pcm = phone_line(*speech("piper", "A table for four people, please."))
    down, up = await run_test(stt, frames_to_send=_utterance(pcm), pipeline_params=PARAMS)

    transcripts = _of(down, TranscriptionFrame)
    assert len(transcripts) == 1
    frame = transcripts[0]
    assert "four people" in frame.text.lower() or "4 people" in frame.text.lower()
    assert frame.finalized
    assert isinstance(frame, CallerTranscriptionFrame)
    assert "people" not in str(frame)
    assert isinstance(frame.result, Transcript)
    assert frame.result.decode_s > 0 and frame.result.queue_wait_s >= 0
    assert 0 < frame.result.confidence <= 1
    assert not _of(down, NoSpeechFrame) and not _of(up, ErrorFrame)
    # Audio and VAD frames still pass through for the processors after STT.
    assert len(_of(down, InputAudioRawFrame)) > 10
    assert _of(down, VADUserStoppedSpeakingFrame)


async def test_noise_becomes_no_speech_frame(recognizer: SpeechRecognizer) -> None:
    stt = AnbuSTTService(recognizer, hints=["two", "four", "six people"])
    pcm = phone_line(noise("random_clicks"), 16000)
    down, _ = await run_test(stt, frames_to_send=_utterance(pcm), pipeline_params=PARAMS)

    assert not _of(down, TranscriptionFrame)
    no_speech = _of(down, NoSpeechFrame)
    assert len(no_speech) == 1
    assert no_speech[0].reason in {"empty", "no_speech", "low_logprob", "repetition"}
    assert isinstance(no_speech[0].result, Transcript) and no_speech[0].result.is_noise


@pytest.mark.parametrize("direction", [FrameDirection.UPSTREAM, FrameDirection.DOWNSTREAM])
async def test_hints_frame_is_consumed_from_either_direction(
    recognizer: SpeechRecognizer, direction: FrameDirection
) -> None:
    stt = AnbuSTTService(recognizer, hints=["old"])
    down, up = await run_test(
        stt,
        frames_to_send=[AsrHintsFrame(hints=["two", "four", "six people"])],
        frames_to_send_direction=direction,
        pipeline_params=PARAMS,
    )
    assert stt.hints == ("two", "four", "six people")
    assert not _of(down, AsrHintsFrame) and not _of(up, AsrHintsFrame)


async def test_hints_apply_to_the_next_utterance(recognizer: SpeechRecognizer) -> None:
    """Hints sent before the answer shape its spelling: "Six." rather than "6."."""
    stt = AnbuSTTService(recognizer)
    pcm = phone_line(*speech("piper", "Six."))
    frames = [AsrHintsFrame(hints=["two", "four", "six", "eight people"]), *_utterance(pcm)]
    down, _ = await run_test(stt, frames_to_send=frames, pipeline_params=PARAMS)
    transcripts = _of(down, TranscriptionFrame)
    assert len(transcripts) == 1
    assert transcripts[0].text.strip(" .").lower() == "six"


async def test_decode_failure_still_ends_the_turn(recognizer: SpeechRecognizer) -> None:
    class Broken(SpeechRecognizer):
        def __init__(self) -> None:  # no model: every decode fails
            self.model_path = recognizer.model_path

        async def transcribe_async(self, *args: object, **kwargs: object) -> Transcript:
            raise RuntimeError("boom")

    stt = AnbuSTTService(Broken())
    pcm = phone_line(*speech("piper", "Yes."))
    down, up = await run_test(stt, frames_to_send=_utterance(pcm), pipeline_params=PARAMS)
    assert [f.reason for f in _of(down, NoSpeechFrame)] == ["error"]
    assert _of(up, ErrorFrame)


async def test_transcript_text_never_reaches_the_logs(recognizer: SpeechRecognizer) -> None:
    from loguru import logger

    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="TRACE")
    try:
        stt = AnbuSTTService(recognizer)
        pcm = phone_line(*speech("piper", "My name is Priya Raman."))
        down, _ = await run_test(stt, frames_to_send=_utterance(pcm), pipeline_params=PARAMS)
    finally:
        logger.remove(sink)
    assert "raman" in _of(down, TranscriptionFrame)[0].text.lower()
    assert lines, "expected the service to log its metrics"
    assert not [line for line in lines if "raman" in line.lower()]
