"""Shared fixtures: the classifier loads the real bundled model once per test session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def classifier():  # type: ignore[no-untyped-def]
    from dialog.nlu.categories import ALL
    from dialog.nlu.classifier import TextClassifier

    clf = TextClassifier()
    clf.warm([c for cats in ALL.values() for c in cats])
    return clf
