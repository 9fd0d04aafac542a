"""Deciding whether Whisper heard speech or made text up.

tiny.en writes plausible text over silence, hiss and clicks ("you", "Thank you for watching"),
and with an answer-vocabulary prompt it will even echo the prompt ("Two, four, six people." from
white noise). A phone agent that takes invented text as an answer books wrong tables, so every
transcript passes through this guard.

Thresholds were calibrated on the phone path (22050 Hz TTS -> 8 kHz mu-law -> 16 kHz) with the
bundled tiny.en, greedy decoding, 22 short answers x 2 voices (Piper, espeak-ng) x 4 hint sets
against 10 noise kinds (silence, hiss, white/pink/brown noise, hum, 1 kHz tone, periodic and
random clicks) x 3 lengths (0.6, 2, 4 s) x the same hint sets:

* speech never scored ``no_speech_prob`` above 0.59; where it was above 0.45 the decode was
  ``avg_logprob >= -1.01``, and its weakest decode of a correct answer was -1.32;
* noise mostly scored ``no_speech_prob`` 0.6-0.97 with ``avg_logprob`` -0.9 to -4; the hard
  cases were a tone (0.51, -1.45), clicks (0.54, -1.19) and prompt-echo loops ("six, six,
  six", 0.52, -0.72).

So "no speech" needs a high no-speech probability and a weak decode, with a stricter bar in the
unsure band; a very weak decode alone (below -1.5) counts as invented; and repetition loops are
caught by compression ratio, repeated words and the token budget. With these rules all 120
noise cases were rejected and one speech case ("What?" heard as "Walk", -1.75) was. Real
callers are noisier than synthetic voices, so the rules are not tighter than the data demands.
"""

from __future__ import annotations

import re

NO_SPEECH_PROB = 0.6
"""Above this, Whisper leans towards "no speech" ..."""
NO_SPEECH_LOGPROB = -0.6
"""... and a decode this weak or weaker confirms it."""
UNSURE_NO_SPEECH_PROB = 0.45
"""Between this and :data:`NO_SPEECH_PROB` the model is unsure ..."""
UNSURE_LOGPROB = -1.1
"""... and a decode weaker than this tips it to "no speech" (a 1 kHz tone scored 0.51/-1.45)."""
MIN_LOGPROB = -1.5
"""A decode weaker than this is rejected whatever the no-speech probability."""
MAX_COMPRESSION_RATIO = 2.4
"""Whisper's own repetition-loop limit: "yes yes yes yes ..." compresses too well."""
MAX_REPEATS = 4
"""The same word this many times in a row is a decoding loop ("no, no, no" is a caller)."""
UNSURE_REPEATS = 3
"""... or this many when the model also doubts there was speech (clicks gave "six, six, six")."""

# Whole-utterance texts that tiny.en produces from non-speech and no caller means as an answer.
_NOISE_UTTERANCES = frozenset({"you", "the", "the end", "bye bye bye", "so", "uh", "um", "hmm"})
# Fragments that only ever come from the video subtitles Whisper was trained on.
_NOISE_FRAGMENTS = (
    "thank you for watching",
    "thanks for watching",
    "enjoyed this video",
    "see you in the next video",
    "like and subscribe",
    "subscribe to",
    "subtitles by",
    "amara.org",
    "www.",
    "[music]",
    "(music)",
    "[blank_audio]",
    "♪",
)
_NOT_WORD = re.compile(r"[^\w\s\[\]().'♪]+")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-case, drop punctuation that carries no meaning here, squeeze spaces."""
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", text.lower())).strip(" .")


def _repeats(words: list[str]) -> int:
    """Longest run of the same word ("six six six six" is 4)."""
    best = run = 0
    previous = None
    for word in words:
        run = run + 1 if word == previous else 1
        best = max(best, run)
        previous = word
    return best


def noise_reason(
    text: str,
    *,
    avg_logprob: float,
    no_speech_prob: float,
    compression_ratio: float,
    hit_token_cap: bool = False,
) -> str | None:
    """Why this decode should be treated as noise, or None if it looks like real speech."""
    plain = normalise(text)
    if not any(ch.isalnum() for ch in plain):
        return "empty"
    if no_speech_prob > NO_SPEECH_PROB and avg_logprob < NO_SPEECH_LOGPROB:
        return "no_speech"
    if no_speech_prob > UNSURE_NO_SPEECH_PROB and avg_logprob < UNSURE_LOGPROB:
        return "no_speech"
    if avg_logprob < MIN_LOGPROB:
        return "low_logprob"
    run = _repeats(re.findall(r"[\w']+", plain))
    looping = run >= MAX_REPEATS or (
        run >= UNSURE_REPEATS and no_speech_prob > UNSURE_NO_SPEECH_PROB
    )
    if hit_token_cap or compression_ratio > MAX_COMPRESSION_RATIO or looping:
        return "repetition"
    if plain in _NOISE_UTTERANCES or any(frag in plain for frag in _NOISE_FRAGMENTS):
        return "hallucination"
    return None
