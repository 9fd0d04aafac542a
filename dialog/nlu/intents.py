"""Things a caller can say at any point of a call, whatever question is open.

Detected with phrase rules, not the embedding classifier: these are closed, safety-relevant
phrases where a miss or a false hit must be explainable, and the check runs on every turn.

Declaration order of :class:`GlobalIntent` *is* the priority order :func:`detect_intents` returns:
an emergency outranks everything; an opt-out outranks a transfer, which outranks a call-back, etc.

False-positive guards, each decided deliberately:

* "help" is an emergency only when the utterance is nothing but a plea ("help", "help me",
  "please somebody help") or names a symptom; "can you help me book a table" is not.
* A symptom phrase directly negated ("no chest pain", "I'm not bleeding", "don't have trouble
  breathing") is not an emergency. A fall report ("I fell") has no such guard: "no, I fell" is
  still a fall, and "I didn't fall" never matches. "fell asleep" is excluded.
* "agent"/"person" alone are not HUMAN ("one person", "travel agent"); a request to speak to
  someone, "operator", "representative", "real person", "live agent" are.
* "sorry"/"what" are REPEAT only as (nearly) the whole utterance: "sorry, I'm late" is not.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

from dialog.nlu.normalize import normalize


class GlobalIntent(StrEnum):
    """Call-level intents, declared in priority order (highest first)."""

    EMERGENCY = "emergency"
    STOP_CALLING = "stop_calling"
    HUMAN = "human"
    CALL_LATER = "call_later"
    GOODBYE = "goodbye"
    SLOWER = "slower"
    REPEAT = "repeat"


class _Rule(NamedTuple):
    intent: GlobalIntent
    pattern: re.Pattern[str]
    reason: str = ""
    negatable: bool = True


def _rx(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


_E = GlobalIntent.EMERGENCY
_RULES: tuple[_Rule, ...] = (
    _Rule(
        _E,
        _rx(
            r"i (?:just )?fell(?! asleep| for| in love)",
            r"(?:i've|i have|i've just) fallen",
            r"i(?:'ve| have)? had a fall",
            r"fell (?:down|over|out of)",
            r"i'm on the floor",
            r"(?:can't|cannot|can not|unable to) get up",
            r"took a (?:bad )?fall",
        ),
        "fall",
        negatable=False,
    ),
    _Rule(_E, _rx(r"heart attack"), "heart_attack"),
    _Rule(
        _E,
        _rx(
            r"chest (?:pain|pains|hurts|is hurting|feels tight|is tight)",
            r"chest feels",
            r"pain in my chest",
            r"tightness in my chest",
        ),
        "chest_pain",
    ),
    _Rule(
        _E,
        _rx(
            r"(?:can't|cannot|can not|could not|couldn't) (?:breathe|breath|catch my breath)",
            r"(?:hard|difficult) to breathe",
            r"(?:trouble|difficulty|struggling) breathing",
            r"short(?:ness)? of breath",
            r"struggling to breathe",
            r"choking",
        ),
        "breathing",
    ),
    _Rule(
        _E,
        _rx(
            r"a stroke(?! of)",
            r"^stroke$",
            r"face (?:is )?drooping",
            r"slurr(?:ed|ing) (?:my )?(?:words|speech)",
        ),
        "stroke",
    ),
    _Rule(_E, _rx(r"bleeding", r"lots of blood", r"blood everywhere"), "bleeding"),
    _Rule(_E, _rx(r"unconscious", r"passed out", r"not breathing", r"collapsed"), "collapse"),
    _Rule(
        _E,
        _rx(r"ambulance", r"call 911", r"nine one one", r"911", r"paramedics"),
        "ambulance",
        negatable=False,
    ),
    _Rule(_E, _rx(r"(?:it's|this is) an emergency", r"emergency"), "help"),
    _Rule(
        GlobalIntent.STOP_CALLING,
        _rx(
            r"stop (?:calling|ringing|phoning)",
            r"(?:don't|do not|never) call (?:me|here|this)",
            r"(?:don't|do not) (?:ever )?call (?:me )?again",
            r"take (?:me|my number) off",
            r"remove (?:me|my number)",
            r"unsubscribe",
            r"opt out",
            r"no more calls",
            r"quit calling",
            r"leave me alone",
            r"(?:don't|do not) want (?:any )?(?:more )?calls",
        ),
        negatable=False,
    ),
    _Rule(
        GlobalIntent.HUMAN,
        _rx(
            r"(?:real|live|actual|human) (?:person|agent|being|human)",
            r"a human",
            r"(?:talk|speak) (?:to|with) (?:a person|someone|somebody|a manager|the manager|staff)",
            r"operator",
            r"representative",
            r"live agent",
            r"(?:to|an) agent",
            r"customer service",
            r"receptionist",
            r"transfer me",
            r"put me through",
        ),
    ),
    _Rule(
        GlobalIntent.CALL_LATER,
        _rx(
            r"call (?:me )?(?:back|later|again later|another time|again tomorrow|tomorrow)",
            r"(?:not|bad) a good time",
            r"bad time",
            r"i'm (?:busy|driving|in a meeting)",
            r"try (?:me )?(?:again )?later",
            r"another time",
            r"can't talk (?:right )?now",
            r"not a good moment",
            r"ring (?:me )?(?:back|later)",
        ),
    ),
    _Rule(
        GlobalIntent.GOODBYE,
        _rx(
            r"bye",
            r"goodbye",
            r"good bye",
            r"bye bye",
            r"that's all",
            r"that is all",
            r"that's it",
            r"i have to go",
            r"i've got to go",
            r"gotta go",
            r"i'm done",
            r"talk to you later",
            r"see you",
            r"have a (?:good|nice) (?:day|one)",
        ),
        negatable=False,  # "no thanks, that's all" is a goodbye
    ),
    _Rule(GlobalIntent.GOODBYE, _rx(r"hang up", r"hanging up")),
    _Rule(
        GlobalIntent.SLOWER,
        _rx(r"slow down", r"slower", r"too fast", r"slowly", r"so fast", r"talking fast"),
        negatable=False,
    ),
    _Rule(
        GlobalIntent.REPEAT,
        _rx(
            r"say (?:that|it) again",
            r"say again",
            r"repeat (?:that|it|the question|yourself)",
            r"(?:can|could) you repeat",
            r"come again",
            r"didn't (?:catch|hear|get) (?:that|you)",
            r"(?:can't|cannot) hear you",
            r"what did you say",
            r"one more time",
            r"pardon",
        ),
    ),
)
_HELP_PLEA = re.compile(
    r"(?:(?:oh|god|please|somebody|someone|anybody|anyone|i|need|help|me|now|quick|quickly"
    r"|hurry|urgent|urgently|it's|its|an|emergency|i'm|hurt|injured|god|dear) ?)+"
)
_REPEAT_WHOLE = frozenset({
    "what", "sorry", "huh", "pardon", "pardon me", "excuse me", "sorry what", "what was that",
    "sorry what was that", "what's that", "say what", "eh", "i'm sorry", "what sorry",
    "sorry say that again", "come again",
})  # fmt: skip
_HUMAN_WHOLE = frozenset({"agent", "an agent", "human", "a human", "person", "a person", "someone"})
_NEGATORS = re.compile(r"\b(?:no|not|never|don't|didn't|doesn't|haven't|hasn't|without|nor)\b")


def _negated(t: str, start: int) -> bool:
    """A negator within the three words before ``start``, with no "but" in between."""
    window = t[:start].split()[-3:]
    if "but" in window:
        window = window[window.index("but") + 1 :]
    return bool(_NEGATORS.search(" ".join(window)))


def _hits(t: str) -> list[_Rule]:
    hits = []
    for rule in _RULES:
        for m in rule.pattern.finditer(t):
            if not (rule.negatable and _negated(t, m.start())):
                hits.append(rule)
                break
    if "help" in t.split() and _HELP_PLEA.fullmatch(t):
        hits.append(_Rule(_E, _HELP_PLEA, "help"))
    if t in _REPEAT_WHOLE:
        hits.append(_Rule(GlobalIntent.REPEAT, _HELP_PLEA))
    if t.removesuffix(" please") in _HUMAN_WHOLE:
        hits.append(_Rule(GlobalIntent.HUMAN, _HELP_PLEA))
    return hits


def detect_intents(text: str) -> list[GlobalIntent]:
    """All global intents in ``text``, highest priority first, each once."""
    found = {rule.intent for rule in _hits(normalize(text))}
    if GlobalIntent.STOP_CALLING in found:
        found.discard(GlobalIntent.CALL_LATER)  # "don't call me again" is no call-back request
    return [intent for intent in GlobalIntent if intent in found]


def emergency_reason(text: str) -> str | None:
    """A short code for the first emergency in ``text`` ("fall", "chest_pain", "breathing",
    "stroke", "bleeding", "heart_attack", "collapse", "ambulance", "help"), else ``None``."""
    for rule in _hits(normalize(text)):
        if rule.intent is GlobalIntent.EMERGENCY:
            return rule.reason
    return None
