"""Cutting a prompt into sentences: the unit of synthesis, streaming and caching.

Piper speaks one sentence per chunk anyway; cutting the text first lets the first sentence play
while the next is synthesised, and lets the fixed sentence of a prompt ("Thank you.") be reused
from the cache when the sentence after it is templated ("Your table for four is booked.").
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and
# a capital, digit or opening quote, so "7.30", "e.g. this" and "p.m. tomorrow" are not cut.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_SPACES = re.compile(r"\s+")
_ABBREVIATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "St.", "No.", "Mt.")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` with whitespace squeezed; empty pieces are dropped."""
    clean = _SPACES.sub(" ", text).strip()
    if not clean:
        return []
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(clean):
        head = clean[start : match.start()].rstrip()
        if head.endswith(_ABBREVIATIONS):  # "Dr. Lee" is one sentence
            continue
        pieces.append(clean[start : match.end()].strip())
        start = match.end()
    pieces.append(clean[start:].strip())
    return [p for p in pieces if p]
