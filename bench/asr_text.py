"""Word error rate with a normaliser that does not punish how a number is written.

Whisper writes "seven thirty" as "7:30", "730" or "seven thirty" depending on the prompt and the
model's mood; "four people" as "4 people". Those are the same words to a caller and to the
dialog's parsers, so before counting errors both sides are lower-cased, stripped of punctuation
and fillers, and every number (spoken or written) becomes digits, with clock-like "730" split
as "7 30". Everything else (a wrong name, a missing "not") still counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dialog.nlu.numbers import find_numbers

FILLERS = frozenset({"um", "uh", "er", "ah", "hmm", "mm", "erm"})
_CLOCK = re.compile(r"^(1[0-2]|[1-9])([0-5]\d)$")


def normalise(text: str) -> list[str]:
    """Words of ``text`` in the canonical form WER is counted on."""
    t = text.lower()
    t = re.sub(r"(\d)[:.](\d)", r"\1 \2", t)
    t = re.sub(r"\b([ap])\.?m\b\.?", r"\1m", t)
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", t)
    t = re.sub(r"[^\w\s']", " ", t)
    words = [w.strip("'") for w in t.split()]
    words = [w for w in words if w and w not in FILLERS]
    out: list[str] = []
    spans = {s.start: s for s in find_numbers(words)}
    i = 0
    while i < len(words):
        span = spans.get(i)
        if span is not None and span.end > i:
            out.append(str(span.value))
            i = span.end
            continue
        out.append(words[i])
        i += 1
    final: list[str] = []
    for w in out:
        m = _CLOCK.match(w)
        final.extend([m.group(1), m.group(2)] if m else [w])
    return final


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Word-level Levenshtein distance (substitutions + deletions + insertions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(pairs: Sequence[tuple[str, str]]) -> tuple[float, int, int]:
    """Corpus WER over (reference, hypothesis) pairs: (rate, errors, reference words)."""
    errors = words = 0
    for ref, hyp in pairs:
        r, h = normalise(ref), normalise(hyp)
        errors += edit_distance(r, h)
        words += len(r)
    return (errors / words if words else 0.0), errors, words
