"""Silero VAD with one ONNX session per process, like the recogniser.

Pipecat's ``SileroVADAnalyzer`` loads the model (an ONNX session, ~20 ms on this CPU) for every
call, on the path to the greeting. The session holds no per-stream state — the recurrent state
and the audio context live on the small wrapper object — and onnxruntime sessions may run
concurrently, so every call here gets its own wrapper around one shared session.
"""

from __future__ import annotations

import threading

import onnxruntime
from pipecat.audio.vad.silero import SileroOnnxModel, SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams

_lock = threading.Lock()
_session: onnxruntime.InferenceSession | None = None


def _shared_session() -> onnxruntime.InferenceSession:
    global _session
    with _lock:
        if _session is None:
            # Load exactly as pipecat does (its bundled model, CPU, one thread), once.
            _session = SileroVADAnalyzer()._model.session
        return _session


def _model() -> SileroOnnxModel:
    model: SileroOnnxModel = SileroOnnxModel.__new__(SileroOnnxModel)
    model.session = _shared_session()
    model.sample_rates = [8000, 16000]
    model.reset_states()  # type: ignore[no-untyped-call]  # pipecat leaves it unannotated
    return model


class SharedSileroVADAnalyzer(SileroVADAnalyzer):
    """A per-call Silero VAD whose model weights are shared by the whole process."""

    def __init__(self, *, sample_rate: int | None = None, params: VADParams | None = None) -> None:
        # Skip SileroVADAnalyzer.__init__ (it loads a session); set what it sets.
        VADAnalyzer.__init__(self, sample_rate=sample_rate, params=params)
        self._model = _model()
        self._windows_since_reset = 0
        self._low_confidence_windows = 0
