"""Yes/no answers in the many ways people give them: "yeah I did", "nope", "I don't think so".

The rules, in order, mirror how a listener decides:

1. An explicit hedge ("not sure", "I don't know", "maybe") means we must ask again: ``None``.
2. A leading polarity word decides ("yeah, I did" / "no, I haven't"), unless a "not" follows it
   ("absolutely not", "sure not") or it is an idiom ("no problem" means yes).
3. Otherwise look for phrases anywhere: a negation ("I didn't", "not really", "never") beats an
   affirmative auxiliary ("of course I didn't" is no), because English negates by adding words.

Word and phrase tables rather than an embedding model: these answers are short and closed-class,
and a table is exact, explainable and runs in microseconds.
"""

from __future__ import annotations

import re

from dialog.nlu.normalize import normalize

_HEDGES = re.compile(
    r"\b(?:not sure|unsure|don't know|do not know|dunno|no idea|maybe|perhaps|can't remember"
    r"|cannot remember|don't remember|not certain|i'm not certain|hard to say|not bad|sort of"
    r"|kind of|not too bad)\b"
)
_YES_IDIOMS = re.compile(
    r"\b(?:no problem|no worries|no doubt|why not|don't mind|do not mind|i think so|i guess so"
    r"|i believe so|you bet|for sure|of course|that's right|that is right|that's correct"
    r"|sounds good|go ahead|please do|all right|alright)\b"
)
_LEAD_YES = frozenset({
    "yes", "yeah", "yea", "yep", "yup", "ya", "yah", "yas", "aye", "sure", "absolutely",
    "definitely", "certainly", "correct", "right", "uhhuh", "affirmative", "indeed", "ok",
    "okay", "alright", "exactly", "totally", "true",
})  # fmt: skip
_LEAD_NO = frozenset({"no", "nope", "nah", "naw", "negative", "uhuh", "never", "nay"})
_OPENERS = frozenset({"well", "oh", "ah", "so", "hmm", "um", "hey"})
_NEGATIVE = re.compile(r"\b(?:not|never|nothing|none|no|nope|nah|n't|\w+n't|cannot|neither|nor)\b")
_AFFIRMATIVE = re.compile(
    r"\b(?:(?:i|we|he|she|it|they) (?:did|do|does|have|has|had|am|was|were|will|can|could|is)"
    r"|i'm|i've|i'd|i will|yes|yeah|yep|yup|sure|absolutely|definitely|certainly|correct|please"
    r"|uhhuh|okay|ok|right|true|exactly)\b"
)


def parse_yes_no(text: str) -> bool | None:
    """``True`` for yes, ``False`` for no, ``None`` when the answer is unclear or absent."""
    words = normalize(text).split()
    while len(words) > 1 and (words[0] in _OPENERS or words[:2] == ["i", "mean"]):
        words = words[2:] if words[0] == "i" else words[1:]
    if not words:
        return None
    t = " ".join(words)
    if _HEDGES.search(t) and words[0] not in _LEAD_YES | _LEAD_NO:
        return None
    idiom = _YES_IDIOMS.search(t)
    # "of course not" / "no, that's right... not" fall through to the negation rule
    if (
        idiom
        and not re.search(r"\bnot\b", t[idiom.end() :][:8])
        and (not _NEGATIVE.search(t[: idiom.start()]) or idiom.group(0).startswith("no "))
    ):
        return True
    first, second = words[0], words[1] if len(words) > 1 else ""
    if first in _LEAD_YES and second not in ("not", "no"):  # "yeah, no" means no
        return True
    if (first in _LEAD_NO or second == "no") and second not in ("problem", "worries", "doubt"):
        return False
    if _NEGATIVE.search(t):
        return False
    if _AFFIRMATIVE.search(t):
        return True
    return None
