"""How many people a booking is for: "a table for two", "four people", "me and my wife".

Read in three tiers, most specific first:

1. People counted by the caller: number + people noun ("two adults and a kid" = 3, "two couples"
   = 4) and single mentions ("my wife", "a friend"), plus the caller when they include themself
   ("me and my wife" = 2). "including" ends the sum ("four people including two kids" = 4).
2. A number in a party context: "for four", "party of 6", "five of us", "we're four".
3. A lone number or "just me" as the whole answer.

Numbers that belong to a date or time ("at 7", "7 pm", "the 23rd", "seven thirty") are never
taken, so "tomorrow at 7" has no party size. "for" before a number is a preposition; "for" *as*
the number (Whisper's spelling of "four" in "a table for for") is read only right after "for"/"of"
and at a phrase boundary.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from dialog.nlu.normalize import normalize
from dialog.nlu.numbers import HOMOPHONES, NumberSpan, find_numbers, whole_homophone

MAX_PARTY = 100

_PEOPLE = frozenset({
    "people", "persons", "person", "guests", "guest", "adults", "adult", "kids", "kid",
    "children", "child", "pax", "diners", "seats", "covers", "babies", "baby", "toddlers",
    "toddler", "teenagers", "teens", "friends", "friend", "others", "more", "ladies", "men",
    "women", "boys", "girls", "grandkids", "grandchildren", "colleagues", "seniors",
})  # fmt: skip
_RELATIONS = frozenset({
    "wife", "husband", "partner", "friend", "kid", "child", "son", "daughter", "mom", "mum",
    "mother", "dad", "father", "boyfriend", "girlfriend", "fiance", "fiancee", "sister",
    "brother", "baby", "grandson", "granddaughter", "grandma", "grandpa", "grandmother",
    "grandfather", "colleague", "guest", "aunt", "uncle", "cousin", "niece", "nephew",
    "neighbor", "neighbour", "carer", "caregiver", "nurse", "adult", "person", "date", "spouse",
    "toddler", "teenager", "boss", "roommate", "granny",
})  # fmt: skip
_PAIRS = frozenset({"parents", "grandparents", "couple", "in-laws"})
_DETERMINERS = frozenset({"a", "an", "my", "our", "his", "her", "their", "the", "one"})
_SELF_ONLY = frozenset({
    "just me", "only me", "just myself", "by myself", "myself", "alone", "on my own",
    "just the one", "just one", "me", "only one", "just one person", "one person",
})  # fmt: skip
_TIME_BEFORE = frozenset({
    "at", "around", "by", "until", "till", "til", "the", "on", "before", "after", "past", "to",
    "aged", "age", "ages", "from",
})  # fmt: skip
_TIME_AFTER = frozenset({
    "am", "pm", "oclock", "hours", "hour", "minutes", "minute", "days", "day", "weeks", "week",
    "months", "years", "year", "o", "oh", "past", "to", "after", "tonight", "in",
})  # fmt: skip
_MONTHS = frozenset({
    "january", "jan", "february", "feb", "march", "april", "apr", "may", "june", "july",
    "august", "aug", "september", "sept", "october", "oct", "november", "nov", "december", "dec",
})  # fmt: skip
_CONTEXT_BEFORE: tuple[tuple[str, ...], ...] = (
    ("party", "of"),
    ("group", "of"),
    ("family", "of"),
    ("total", "of"),
    ("table", "for"),
    ("we", "are"),
    ("we're",),
    ("be",),
    ("for",),
    ("of",),
)
_GLUE = frozenset({
    "please", "just", "we", "are", "we're", "will", "be", "we'll", "there", "there'll", "it's",
    "it", "is", "it'll", "about", "around", "maybe", "probably", "think", "i", "so", "yeah",
    "yes", "ok", "okay", "oh", "total", "in", "all", "people", "guests", "persons", "of", "us",
    "for", "a", "table", "party", "reservation", "booking", "thanks", "thank", "you", "um",
    "uh", "then", "well", "actually", "make", "let's", "say", "only",
})  # fmt: skip


def _at(words: Sequence[str], i: int) -> str:
    return words[i] if 0 <= i < len(words) else ""


def _is_datetime(s: NumberSpan, words: Sequence[str], spans: Sequence[NumberSpan]) -> bool:
    before, after = _at(words, s.start - 1), _at(words, s.end)
    adjacent = any(o.start == s.end or o.end == s.start for o in spans if o is not s)
    return (
        s.ordinal
        or (len(words[s.start]) >= 3 and words[s.start].isdigit())
        or before in _TIME_BEFORE
        or (before == "about" and _at(words, s.start - 2) in _TIME_BEFORE)
        or (after in _TIME_AFTER and not (after == "tonight" and before in ("for", "of")))
        or before in _MONTHS
        or after in _MONTHS
        or (after == "of" and _at(words, s.end + 1) in _MONTHS)
        or adjacent
    )


def _counted(words: Sequence[str], spans: Sequence[NumberSpan]) -> int | None:
    """Tier 1: the sum of explicitly counted people, or ``None`` when nobody was counted."""
    stop = words.index("including") if "including" in words else len(words)
    by_start = {s.start: s for s in spans}
    total, groups, i = 0, 0, 0
    while i < stop:
        w, nxt = words[i], _at(words, i + 1)
        span = by_start.get(i)
        if span is not None and not span.ordinal:
            noun = _at(words, span.end)
            if noun in _PEOPLE or noun == "couples":
                total += span.value * (2 if noun == "couples" else 1)
                groups += 1
            elif _at(words, span.start - 1) == "plus":
                total += span.value
                groups += 1
            i = span.end + 1
            continue
        if w in _DETERMINERS and nxt in _RELATIONS:
            total, groups, i = total + 1, groups + 1, i + 2
            continue
        if w in ("my", "our") and nxt in _PAIRS:
            total, groups, i = total + 2, groups + 1, i + 2
            continue
        i += 1
    if groups == 0:
        return None
    head = words[:stop]
    pairs = list(itertools.pairwise(head))
    with_self = (
        any(w in ("me", "myself") for w in head)
        or ("and", "i") in pairs
        or (
            "i",
            "and",
        )
        in pairs
    )
    return total + (1 if with_self else 0)


def _in_context(words: Sequence[str], spans: Sequence[NumberSpan]) -> int | None:
    """Tier 2: a number the words around it mark as a head count."""
    for s in spans:
        if words[s.end : s.end + 2] == ["of", "us"] and not s.ordinal:
            return s.value  # "the two of us": "the" here is no date
        if _is_datetime(s, words, spans):
            continue
        for before in _CONTEXT_BEFORE:
            if tuple(words[max(0, s.start - len(before)) : s.start]) == before:
                return s.value
    for i, w in enumerate(words[:-1]):
        nxt, after = words[i + 1], _at(words, i + 2)
        if w in ("for", "of") and nxt in HOMOPHONES and nxt != "won":
            if after in ("", "please", "at", "on", "tomorrow", "tonight", "this", "next", "and"):
                return HOMOPHONES[nxt]
            if after in _PEOPLE:
                return HOMOPHONES[nxt]
    if "both of us" in " ".join(words):
        return 2
    return None


def _whole_answer(words: Sequence[str], spans: Sequence[NumberSpan]) -> int | None:
    """Tier 3: "4", "four please", "just me"."""
    text = " ".join(words)
    if text.removesuffix(" please") in _SELF_ONLY:
        return 1
    usable = [s for s in spans if not _is_datetime(s, words, spans)]
    covered = {i for s in usable for i in range(s.start, s.end)}
    rest = [w for i, w in enumerate(words) if i not in covered and w not in _GLUE]
    if len(usable) == 1 and not rest:
        return usable[0].value
    return whole_homophone(words)


def parse_party_size(text: str) -> int | None:
    """Number of people in the party (1..100), or ``None`` if ``text`` does not say."""
    words = normalize(text).split()
    if not words:
        return None
    spans = find_numbers(words)
    for tier in (_counted, _in_context, _whole_answer):
        size = tier(words, spans)
        if size is not None:
            return size if 1 <= size <= MAX_PARTY else None
    return None
