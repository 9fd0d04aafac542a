"""No parser may raise on any text: ASR output is untrusted input."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dialog import nlu

PARSERS = [
    nlu.normalize, nlu.parse_number, nlu.parse_yes_no, nlu.parse_party_size, nlu.parse_name,
    nlu.parse_scale, nlu.detect_intents, nlu.emergency_reason, nlu.pain_severity,
    lambda t: nlu.parse_date(t, dt.date(2025, 2, 28)),
    lambda t: nlu.parse_time(t, "pm"),
    lambda t: nlu.parse_choice(t, {"a": ["x y"], "b": []}),
]  # fmt: skip
WORDS = st.sampled_from(
    [
        "a",
        "the",
        "for",
        "to",
        "two",
        "7",
        "7:30",
        "730",
        "pm",
        "am",
        "at",
        "of",
        "us",
        "me",
        "and",
        "my",
        "wife",
        "23rd",
        "december",
        "friday",
        "next",
        "tomorrow",
        "half",
        "past",
        "quarter",
        "no",
        "not",
        "yes",
        "help",
        "i",
        "fell",
        "hundred",
        "thousand",
        "couple",
        "oclock",
        "99",
        "0",
        "12/3",
        "2026",
        ",",
        ".",
        "'",
        "-",
        ":",
        "/",
        "🙂",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_parser_raises_on_any_text(text: str) -> None:
    for parse in PARSERS:
        parse(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=12).map(" ".join))
def test_no_parser_raises_on_parser_vocabulary(text: str) -> None:
    for parse in PARSERS:
        parse(text)


@settings(max_examples=10, deadline=None)
@given(st.text(min_size=1, max_size=5).map(lambda s: s * 4000))
def test_large_input(text: str) -> None:
    for parse in PARSERS:
        parse(text)


def test_huge_digit_string_and_emoji() -> None:
    for text in ["9" * 10_000, "🙂" * 5000, "\x00\ufeff\u200b", "١٢٣", "７ｐｍ"]:
        for parse in PARSERS:
            parse(text)
