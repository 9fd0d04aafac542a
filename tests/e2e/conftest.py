"""Fixtures for end-to-end calls (helpers live in ``e2e_kit``).

The speech models are loaded and the phrase cache warmed once per test session (warming takes
~20 s on two cores); every server built afterwards borrows them, so a test's own server starts
in well under a second.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_kit import Live, serve, test_settings

from agent.runtime import Runtime
from agent.simcall import Caller
from agent.voice import Voice

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ServeFactory = Callable[..., contextlib.AbstractContextManager[Live]]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="session")
def voice(tmp_path_factory: pytest.TempPathFactory) -> Voice:
    """The process's models, loaded and warmed once for the whole session."""
    settings = test_settings(tmp_path_factory.mktemp("voice"), 0)
    loaded = Voice.load(settings)
    loaded.warm(Runtime.create(settings))
    return loaded


@pytest.fixture(scope="session")
def caller(voice: Voice) -> Caller:
    """The simulated caller's mouth (Piper) and ears (Whisper), sharing the server's models."""
    return Caller(voice.synthesizer, voice.recognizer)


@pytest.fixture
def serve_app(voice: Voice, caller: Caller, tmp_path: Path) -> Iterator[ServeFactory]:
    """``with serve_app(silence_timeout_secs=1.5) as live:`` a real server with these settings."""
    counter = iter(range(100))

    def factory(**overrides: Any) -> contextlib.AbstractContextManager[Live]:
        return serve(voice, caller, tmp_path / f"server{next(counter)}", **overrides)

    yield factory


@pytest.fixture
def live(serve_app: ServeFactory) -> Iterator[Live]:
    """A real server on default test settings."""
    with serve_app() as server:
        yield server
