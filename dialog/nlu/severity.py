"""Pain severity on a 1-5 scale from a number ("a three", "4 out of 5") or words ("pretty bad").

Older callers often answer a rating question in words; mapping them keeps the answer usable
instead of re-asking. A number wins over words ("bad, maybe a 4" is 4). Scales callers volunteer
out of 10 are halved (rounded up): "7 out of 10" is 4.
"""

from __future__ import annotations

import re

from dialog.nlu.choice import parse_scale
from dialog.nlu.normalize import normalize
from dialog.nlu.numbers import find_numbers

# Checked in order: longer and negated phrases first so "not too bad" is not read as "bad".
_WORDS: tuple[tuple[str, int], ...] = (
    (r"not (?:too |that |very )?bad|hardly|barely|a (?:little|bit|tiny bit)|slight(?:ly)?|mild", 1),
    (r"unbearable|excruciating|agony|agonising|agonizing|worst|terrible|awful|unbearable", 5),
    (r"very bad|really bad|severe|horrible|really hurts|a lot", 4),
    (r"moderate|medium|middling|bad|quite|pretty sore|it hurts", 3),
    (r"uncomfortable|sore|achy|noticeable|some", 2),
)
_COMPILED = tuple((re.compile(rf"\b(?:{p})\b"), v) for p, v in _WORDS)


def pain_severity(text: str) -> int | None:
    """Severity 1 (mild) .. 5 (unbearable), or ``None`` if ``text`` gives none."""
    t = normalize(text)
    m = re.search(r"\b(\d+|\w+) out of (?:10|ten)\b", t)
    if m:
        spans = find_numbers([m.group(1)])
        if spans and 0 <= spans[0].value <= 10:
            return max(1, (spans[0].value + 1) // 2)
    number = parse_scale(t, 1, 5)
    if number is not None:
        return number
    for pattern, value in _COMPILED:
        if pattern.search(t):
            return value
    return None
