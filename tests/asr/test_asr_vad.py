"""The shared-session VAD behaves exactly like pipecat's own, with one model for all calls."""

from __future__ import annotations

import numpy as np
from asr_testkit import phone_to_16k, speech
from pipecat.audio.vad.silero import SileroVADAnalyzer

from asr.vad import SharedSileroVADAnalyzer


def _pcm16k(text: str) -> np.ndarray:
    audio, rate = speech("piper", text)
    return (phone_to_16k(audio, rate) * 32767).astype("<i2")


def _ready(analyzer: SileroVADAnalyzer) -> SileroVADAnalyzer:
    analyzer.set_sample_rate(16000)  # what the pipeline does when the call starts
    return analyzer


def _confidences(analyzer: SileroVADAnalyzer, pcm16: bytes) -> list[float]:
    _ready(analyzer)
    window = analyzer.num_frames_required() * 2
    return [
        analyzer.voice_confidence(pcm16[i : i + window])
        for i in range(0, len(pcm16) - window, window)
    ]


def test_same_attributes_as_pipecats_analyzer() -> None:
    # Guards the constructor shortcut against a pipecat upgrade adding state.
    stock, shared = SileroVADAnalyzer(sample_rate=16000), SharedSileroVADAnalyzer(sample_rate=16000)
    assert set(vars(shared)) == set(vars(stock))


def test_one_session_for_every_call_and_separate_state() -> None:
    a, b = SharedSileroVADAnalyzer(sample_rate=16000), SharedSileroVADAnalyzer(sample_rate=16000)
    assert a._model.session is b._model.session
    assert a._model is not b._model


def test_scores_match_pipecats_analyzer_on_speech_and_silence() -> None:
    audio = _pcm16k("four people tomorrow at seven thirty")
    pcm = np.concatenate([np.zeros(8000, dtype="<i2"), audio]).tobytes()
    stock = _confidences(SileroVADAnalyzer(sample_rate=16000), pcm)
    shared = _confidences(SharedSileroVADAnalyzer(sample_rate=16000), pcm)
    assert np.allclose(stock, shared, atol=1e-6)
    assert max(shared) > 0.8 and min(shared[:10]) < 0.2  # it does hear speech, and silence


def test_interleaved_calls_do_not_share_state() -> None:
    pcm = _pcm16k("yes please").tobytes()
    alone = _confidences(SharedSileroVADAnalyzer(sample_rate=16000), pcm)
    a = _ready(SharedSileroVADAnalyzer(sample_rate=16000))
    b = _ready(SharedSileroVADAnalyzer(sample_rate=16000))
    window = a.num_frames_required() * 2
    silence = bytes(window)
    interleaved = []
    for i in range(0, len(pcm) - window, window):
        b.voice_confidence(silence)  # another call's audio between every window
        interleaved.append(a.voice_confidence(pcm[i : i + window]))
    assert np.allclose(alone, interleaved, atol=1e-6)
