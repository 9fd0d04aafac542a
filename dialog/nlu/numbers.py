"""Numbers as callers say them: "4", "four", "twenty three", "23rd", "the third", "a couple".

Library choice, measured (``bench/nlu_bench.py``, 48 phrasings of our callers with a known first
number): ``text2num`` 3.1.0 (``alpha2digit``, Rust core) scored 36/48 at ~1.5 µs/call. By design
it leaves small isolated numbers as words ("a table for two", "two", "one" stay words at its
default threshold), and it cannot read "a couple"/"a dozen" or the "for"/"to"/"too" homophones
Whisper writes for a lone "four"/"two"; its output is also text that must be re-tokenised. This
word-table parser scored 48/48 at ~2.5 µs/call (plus ~7 µs for an uncached normalize) and adds
no dependency, so it is what the slot parsers use. (The table was written alongside this parser,
so its score is optimistic; the gaps found in text2num are structural, not tuning.)

:func:`find_numbers` is the workhorse: it returns every number in a token list with its token
span, so that party-size, date, time and scale parsers can look at the words around each number
(is it after "at"? before "people"?) instead of each re-implementing number reading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dialog.nlu.normalize import normalize

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19,
}  # fmt: skip
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}

# Words Whisper writes for a lone spoken number. Only trusted when they are the whole answer:
# "for" in "a table for two" is a preposition.
HOMOPHONES = {"for": 4, "fore": 4, "to": 2, "too": 2, "won": 1, "ate": 8}

_DIGITS = re.compile(r"(\d{1,9})(st|nd|rd|th)?")
_SOFT_WORDS = frozenset({"just", "please", "maybe", "about", "around", "it's", "its", "uh", "um"})


@dataclass(frozen=True)
class NumberSpan:
    """One number found in a token list: ``words[start:end]`` said ``value``."""

    start: int
    end: int
    value: int
    ordinal: bool = False


def _small(word: str) -> int | None:
    return _UNITS.get(word, _TEENS.get(word))


def _read_words(words: Sequence[str], i: int) -> NumberSpan | None:
    """Read one spelled-out number starting at ``words[i]``, greedily but conservatively.

    Two units in a row are two numbers ("seven thirty" is 7 then 30), which is what the time
    parser needs; "hundred"/"thousand" multiply, "and" is allowed only right after them.
    """
    start, total, current, j = i, 0, 0, i
    last = ""  # kind of the previous word: unit, teen, tens, hundred, thousand
    if words[j] == "a" and j + 1 < len(words) and words[j + 1] in ("hundred", "thousand"):
        current, last, j = 1, "unit", j + 1
    while j < len(words):
        w = words[j]
        if w in _ORDINAL_UNITS and last in ("", "tens", "hundred", "thousand"):
            if w == "second" and last == "" and j > 0 and words[j - 1] in ("a", "one", "per"):
                break  # "just a second"
            value = total + current + _ORDINAL_UNITS[w]
            return NumberSpan(start, j + 1, value, ordinal=True)
        if w in _ORDINAL_TENS and last in ("", "hundred", "thousand"):
            return NumberSpan(start, j + 1, total + current + _ORDINAL_TENS[w], ordinal=True)
        small = _small(w)
        if w in _UNITS and last in ("", "tens", "hundred", "thousand"):
            current, last = current + _UNITS[w], "unit"
        elif small is not None and w in _TEENS and last in ("", "hundred", "thousand"):
            current, last = current + small, "teen"
        elif w in _TENS and last in ("", "hundred", "thousand"):
            current, last = current + _TENS[w], "tens"
        elif w == "hundred" and last in ("unit", "teen", "tens") and current % 100 == current:
            current, last = current * 100, "hundred"
        elif w == "thousand" and last in ("unit", "teen", "tens", "hundred"):
            total, current, last = total + current * 1000, 0, "thousand"
        elif w == "and" and last in ("hundred", "thousand") and j + 1 < len(words):
            nxt = words[j + 1]
            if nxt not in _UNITS and nxt not in _TEENS and nxt not in _TENS:
                break
        else:
            break
        j += 1
    while j > start and words[j - 1] == "and":
        j -= 1
    if j == start or last == "":
        return None
    return NumberSpan(start, j, total + current)


def _read_special(words: Sequence[str], i: int) -> NumberSpan | None:
    """Quantity idioms: "a couple (of)", "a dozen", "half a dozen"."""
    rest = list(words[i : i + 3])
    if rest[:2] == ["a", "couple"] or rest[:1] == ["couple"]:
        return NumberSpan(i, i + (2 if rest[0] == "a" else 1), 2)
    if rest[:2] == ["a", "dozen"]:
        return NumberSpan(i, i + 2, 12)
    if rest == ["half", "a", "dozen"]:
        return NumberSpan(i, i + 3, 6)
    return None


def find_numbers(words: Sequence[str]) -> list[NumberSpan]:
    """Every number in ``words`` (already normalised tokens), left to right, non-overlapping."""
    found: list[NumberSpan] = []
    i = 0
    while i < len(words):
        w = words[i]
        digits = _DIGITS.fullmatch(w)
        span: NumberSpan | None
        if digits:
            span = NumberSpan(i, i + 1, int(digits.group(1)), ordinal=bool(digits.group(2)))
        else:
            span = _read_special(words, i) or _read_words(words, i)
        if span is None:
            i += 1
            continue
        found.append(span)
        i = span.end
    return found


def whole_homophone(words: Sequence[str]) -> int | None:
    """The number a lone homophone stands for when it is (nearly) the whole answer: "for." -> 4."""
    content = [w for w in words if w not in _SOFT_WORDS]
    if len(content) == 1 and content[0] in HOMOPHONES:
        return HOMOPHONES[content[0]]
    return None


def parse_number(text: str) -> int | None:
    """The first number in ``text`` (cardinal or ordinal), or ``None`` if there is none.

    >>> parse_number("um twenty three"), parse_number("the 3rd"), parse_number("for")
    (23, 3, 4)
    """
    words = normalize(text).split()
    spans = find_numbers(words)
    if spans:
        return spans[0].value
    return whole_homophone(words)
