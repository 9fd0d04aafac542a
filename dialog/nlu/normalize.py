"""Turn raw ASR text into one predictable shape that every parser in this package reads.

Whisper tiny.en capitalises and punctuates inconsistently, so every parser would otherwise repeat
the same clean-up. Doing it once here keeps the parsers small and means a fix to, say, how "p.m."
is spelled lands in every slot at once.

The output is lower case, words separated by single spaces, with only the punctuation a parser
needs: apostrophes inside words ("don't", "o'clock" becomes "oclock") and ':' between digits
("7:30"). Hyphens become spaces ("twenty-three" -> "twenty three"), thousands separators go
("1,000" -> "1000"), "a.m."/"p.m." become "am"/"pm" and are split from a digit ("7pm" -> "7 pm").
Hesitation fillers are dropped ("um", "uh", "you know", and "like" when it is set off by commas or
stands before a number); meaningful back-channels are kept as one token each: "uh huh"/"mm hmm"
become "uhhuh" (yes) and "uh uh" becomes "uhuh" (no).

Input is capped at :data:`MAX_CHARS` before any work, so a 10 kB transcript costs no more than a
long sentence: nobody answers a question in 2000 characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_CHARS = 2000

_FILLERS = frozenset({"um", "umm", "ummm", "uh", "uhh", "uhhh", "er", "erm", "hmm", "hm", "mm"})

# Order matters: multi-word back-channels must be folded before single fillers are dropped.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Control characters first: \x00 and \x01 are used as sentinels below.
    (re.compile(r"[\x00-\x1f\x7f-\x9f]"), " "),
    (re.compile(r"[’‘`´]"), "'"),
    (re.compile(r"\b(\d),(\d{3})\b"), r"\1\2"),
    (re.compile(r"\b([ap])\s?\.\s?m\b\.?"), r"\1m"),
    (re.compile(r"\b(\d{1,2}(?::\d{2})?)(am|pm)\b"), r"\1 \2"),
    (re.compile(r"\bo'?\s?clock\b"), "oclock"),
    (re.compile(r"\b(?:uh[\s-]?huh|mm[\s-]?hmm|mhm+|mm[\s-]?hm)\b"), " uhhuh "),
    (re.compile(r"\buh[\s-]uh\b"), " uhuh "),
    (re.compile(r",\s*like\s*,"), " "),
    (re.compile(r"\byou know\b"), " "),
    (
        re.compile(
            r"(?<!'d )(?<!would )(?<!\bi )(?<!\bwe )"
            r"\blike (?=(?:\d|a couple|one|two|three|four|five|six|seven|eight|nine|ten)\b)"
        ),
        "",
    ),
    (re.compile(r"(?<=\d):(?=\d)"), "\x00"),  # protect time colons from the strip below
    (re.compile(r"(?<=\w)'(?=\w)"), "\x01"),  # protect in-word apostrophes
    (re.compile(r"[^\w\x00\x01]+|_"), " "),
)


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Return ``text`` lower-cased, de-punctuated, de-filled and space-collapsed.

    Cached because one utterance is typically parsed by several slot parsers and the intent
    detector in the same turn; the cache is bounded so a long call cannot grow it without limit.
    """
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    text = text.replace("\x00", ":").replace("\x01", "'")
    return " ".join(word for word in text.split() if word not in _FILLERS)


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``; the unit every parser here matches on."""
    return normalize(text).split()
