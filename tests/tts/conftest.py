"""One Piper voice for the whole test session: loading it once keeps the suite quick."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tts.synthesizer import SpeechSynthesizer, shared_synthesizer


@pytest.fixture(scope="session")
def synthesizer() -> Iterator[SpeechSynthesizer]:
    """The bundled voice, shared as the application shares it."""
    yield shared_synthesizer("")
