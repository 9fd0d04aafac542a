"""A person's name from an answer to "what name is the booking under?".

Lead-ins ("it's", "my name is", "under", "put it under") and trailing politeness are stripped;
the rest must look like one to four name words. Two stop lists decide what does not: after an
explicit lead-in ("my name is Will") only words that cannot be names are refused (pronouns,
yes/no, negations), while a bare answer must also avoid everyday words ("fine", "sorry", "table"),
because there "Will" is likelier the verb. Letter-by-letter spelling ("j o h n") is joined.
Output is title-cased ("o'brien" -> "O'Brien"); ASR casing is not trusted either way.
"""

from __future__ import annotations

import re

from dialog.nlu.normalize import MAX_CHARS

_LEAD_INS = re.compile(
    r"^(?:(?:yes|yeah|sure|ok|okay|um|uh|oh|well|hi|hello)\s+)*"
    r"(?:(?:(?:you can |please )?(?:put|book) it (?:under|for)(?: the name)?(?: of)?"
    r"|(?:the )?(?:reservation|booking|table) (?:is )?(?:under|for)(?: the name)?(?: of)?"
    r"|under the name(?: of)?|under|my name is|my name's|my names|the name is|the name's"
    r"|the names|name is|name's|it's|it is|its|this is|i'm|i am|call me|they call me|it's for"
    r"|for)\s+)+"  # stacked: "it's under Patel", "yes it's for the name of Patel"
)
_TRAILERS = re.compile(r"\s+(?:please|thanks|thank you|thank you very much|here|speaking)$")
_NEVER = frozenset({
    "yes", "yeah", "yep", "no", "nope", "not", "i", "me", "my", "you", "your", "we", "us", "he",
    "she", "it", "they", "them", "a", "an", "the", "is", "am", "are", "was", "don't", "didn't",
    "know", "what", "why", "who", "how", "sorry", "and", "or", "but", "to", "of", "in", "on",
    "at", "for", "with", "that", "this", "there", "here", "name", "um", "uh", "can't", "okay",
    "ok", "sure", "hello", "hi", "bye", "goodbye", "please", "thanks", "thank", "again",
    "repeat", "huh", "pardon", "nothing", "none", "nobody", "anything", "something", "someone",
    "do", "does", "did", "have", "has", "had", "be", "been", "so", "if", "then", "just",
})  # fmt: skip
_COMMON = frozenset({
    "fine", "good", "great", "well", "okay", "table", "reservation", "booking", "people",
    "tomorrow", "today", "tonight", "time", "later", "now", "wait", "hold", "on", "one",
    "second", "minute", "moment", "like", "want", "would", "could", "should", "need", "book",
    "call", "speak", "talk", "person", "human", "operator", "help", "thing", "things", "right",
    "wrong", "correct", "sure", "absolutely", "really", "very", "too", "also", "maybe", "think",
    "guess", "busy", "tired", "hungry", "sick", "pain", "hurt", "happy", "sad", "lonely",
    "morning", "evening", "afternoon", "night", "dinner", "lunch", "breakfast", "please",
    "sir", "madam", "ma'am", "mister", "miss", "excuse", "can", "will", "may", "let", "get",
    "go", "come", "see", "say", "said", "tell", "told", "back", "again", "more", "less", "all",
    "some", "any", "many", "much", "few", "couple", "friday", "saturday", "sunday", "monday",
    "tuesday", "wednesday", "thursday", "pm", "am", "oclock", "guests", "party",
})  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def _clean(text: str) -> str:
    text = text[:MAX_CHARS].lower().replace("’", "'")
    text = re.sub(r"[^\w\s'-]|_", " ", text)
    return " ".join(text.split())


def parse_name(text: str) -> str | None:
    """The name given in ``text``, title-cased, or ``None`` if it holds no plausible name."""
    t = _clean(text)
    lead = _LEAD_INS.match(t + " ")
    explicit = lead is not None and lead.group(0).strip() not in ("", "for")
    t = _TRAILERS.sub("", t[lead.end() :].strip() if lead else t)
    words = t.split()
    if len(words) >= 2 and all(len(w) == 1 and w.isalpha() for w in words):
        words = ["".join(words)]  # spelled out: "j o h n"
    refused = _NEVER if explicit else _NEVER | _COMMON
    name: list[str] = []
    for w in words:
        if w in refused or not _WORD.fullmatch(w):
            break
        name.append(w)
    if not name or len(name) > 4 or (len(name) < len(words) and words[len(name)] not in _NEVER):
        return None
    if len(name) == 1 and len(name[0]) == 1:
        return None
    return " ".join(w.title() if "'" not in w else _title_apostrophe(w) for w in name)


def _title_apostrophe(word: str) -> str:
    """ "o'brien" -> "O'Brien" but "d'angelo" -> "D'Angelo"; str.title() alone does this too,
    except it also capitalises after an apostrophe-s ("john's" -> "John'S"), so guard that."""
    head, _, tail = word.partition("'")
    return head.title() + "'" + (tail.title() if len(tail) > 1 else tail)
