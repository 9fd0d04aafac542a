"""Picking one of a few offered options, and numbers on a rating scale.

:func:`parse_choice` matches whole words/phrases only ("in" must not hit "inside"), so each key's
synonyms can be short. When several options match, the longest (most specific) phrase wins;
a tie between different options is genuinely ambiguous ("inside or outside?") and gives ``None``
so the dialog can ask again. A phrase directly negated ("not the patio") does not count.

:func:`parse_scale` reads "three", "a 4", "about a two", "4 out of 5". Numbers that restate the
scale itself ("on a scale of one to five, a three") are skipped, and two different ratings
("three or four") are ambiguous: ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dialog.nlu.normalize import normalize
from dialog.nlu.numbers import NumberSpan, find_numbers, whole_homophone

_NEGATORS = frozenset({"not", "no", "don't", "never", "without", "nor"})


def _phrase_at(words: Sequence[str], phrase: Sequence[str]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(words) - n + 1) if list(words[i : i + n]) == list(phrase)]


def parse_choice(text: str, choices: Mapping[str, Sequence[str]]) -> str | None:
    """The key of the option ``text`` picks (by the key itself or any synonym), else ``None``."""
    words = normalize(text).split()
    best: dict[str, int] = {}
    for key, synonyms in choices.items():
        for phrase in (key, *synonyms):
            p = normalize(phrase).split()
            if not p:
                continue
            for i in _phrase_at(words, p):
                window = words[max(0, i - 2) : i]
                if any(w in _NEGATORS for w in window):
                    continue
                best[key] = max(best.get(key, 0), len(p))
    if not best:
        return None
    top = max(best.values())
    winners = [k for k, v in best.items() if v == top]
    return winners[0] if len(winners) == 1 else None


def _restates_scale(s: NumberSpan, words: Sequence[str]) -> bool:
    before = words[max(0, s.start - 2) : s.start]
    after = words[s.end : s.end + 1]
    return (
        (before[-1:] in (["of"], ["from"], ["between"]) and after in (["to"], ["and"]))
        or (before[-1:] == ["to"] and s.start >= 2 and words[s.start - 2].isalnum()
        and words[s.start - 3 : s.start - 2] in (["of"], ["from"], ["scale"]))
        or before == ["out", "of"]
        or (before[-1:] in (["scale"], ["of"]) and "scale" in words[max(0, s.start - 4) : s.start])
    )  # fmt: skip


def parse_scale(text: str, lo: int = 1, hi: int = 5) -> int | None:
    """The rating in ``text`` if it lies in ``lo..hi``; ``None`` if absent, ambiguous or out."""
    words = normalize(text).split()
    spans = [s for s in find_numbers(words) if not s.ordinal and not _restates_scale(s, words)]
    values = {s.value for s in spans}
    if not values:
        homophone = whole_homophone(words)
        values = {homophone} if homophone is not None else set()
    if len(values) != 1:
        return None
    value = values.pop()
    return value if lo <= value <= hi else None
