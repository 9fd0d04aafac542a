"""One recogniser for the whole test session: loading tiny.en once keeps the suite quick."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from asr.recognizer import SpeechRecognizer, shared_recognizer

ASR_WORKERS = 2


@pytest.fixture(scope="session")
def recognizer() -> Iterator[SpeechRecognizer]:
    """The bundled tiny.en on CPU with two workers, as the default settings configure it."""
    yield shared_recognizer("", device="cpu", workers=ASR_WORKERS)
