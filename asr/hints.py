"""Turning the expected answer's vocabulary into a Whisper prompt.

Whisper reads ``initial_prompt`` as text that came before the utterance, so a short list in the
written form we want back ("Party size: two, four, six people.") biases both the words and their
spelling ("seven thirty" rather than "730"). The prompt is decoded on every call, so it is kept
short: a long prompt costs time and makes the model more willing to echo it over noise.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_PROMPT_CHARS = 200
"""About 50 tokens; Whisper allows 223, but more buys nothing for one answer."""


def build_prompt(hints: Sequence[str]) -> str | None:
    """A short comma-separated prompt from hints, or None when there are none.

    Items are stripped, de-duplicated (case-insensitively, first spelling wins) and joined with
    ", "; the prompt ends with a full stop so that the utterance reads as a new sentence. Items
    that would push the prompt past :data:`MAX_PROMPT_CHARS` are dropped, never cut mid-word.
    """
    if isinstance(hints, str):  # a lone string is one hint, not a sequence of letters
        hints = (hints,)
    seen: set[str] = set()
    items: list[str] = []
    length = 0
    for raw in hints:
        item = " ".join(str(raw).split()).rstrip(",;")
        key = item.lower()
        if not item or key in seen:
            continue
        extra = len(item) + (2 if items else 0)
        if length + extra > MAX_PROMPT_CHARS:
            break
        seen.add(key)
        items.append(item)
        length += extra
    if not items:
        return None
    prompt = ", ".join(items)
    return prompt if prompt[-1] in ".?!" else prompt + "."
