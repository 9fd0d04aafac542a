"""Fixtures for telephony tests (helpers live in ``telephony_testkit``)."""

from __future__ import annotations

import pytest
from telephony_testkit import ServeFactory, serve_factory


@pytest.fixture
def serve() -> ServeFactory:
    """``async with serve(hooks, public_url=...) as server:`` runs the Twilio router on uvicorn."""
    return serve_factory()
