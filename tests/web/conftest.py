"""Fixtures for the operator pages and API: a fresh app on SQLite per test, logged-in clients."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webkit import Seeded, login, make_app, seed


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return make_app(tmp_path / "data")


@pytest.fixture
def seeded(app: FastAPI) -> Seeded:
    return seed(app, app.state.runtime.settings.resolved_recordings_dir)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # Not entered with ``with``: that would run the lifespan, which loads the speech models.
    c = TestClient(app, follow_redirects=False)
    yield c
    c.close()


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    """``client``, logged in as the first admin; its CSRF token is ``client.csrf``."""
    client.csrf = login(client)  # type: ignore[attr-defined]
    return client
