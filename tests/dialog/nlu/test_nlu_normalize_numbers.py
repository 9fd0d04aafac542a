import pytest

from dialog.nlu import normalize, parse_number
from dialog.nlu.normalize import MAX_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Um, a table for two, please.", "a table for two please"),
        ("It is 7:30PM!", "it is 7:30 pm"),
        ("seven p.m.", "seven pm"),
        ("Twenty-three", "twenty three"),
        ("1,000 people", "1000 people"),
        ("6 o'clock", "6 oclock"),
        ("It’s John O’Brien", "it's john o'brien"),
        ("Uh-huh.", "uhhuh"),
        ("Uh uh.", "uhuh"),
        ("Mm-hmm", "uhhuh"),
        ("you know, like 4 people", "4 people"),
        ("I'd like a table", "i'd like a table"),
        ("I'd like four", "i'd like four"),
        ("  lots   of\tspace\n", "lots of space"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_caps_length() -> None:
    assert len(normalize("a " * 10_000)) <= MAX_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", 4),
        ("four", 4),
        ("twenty three", 23),
        ("twenty-three", 23),
        ("Twenty three.", 23),
        ("um, like, twelve", 12),
        ("one hundred and five", 105),
        ("a hundred", 100),
        ("two thousand and five", 2005),
        ("3rd", 3),
        ("the third", 3),
        ("twenty first", 21),
        ("the twelfth", 12),
        ("thirtieth", 30),
        ("a couple", 2),
        ("a couple of us", 2),
        ("a dozen", 12),
        ("half a dozen", 6),
        ("for", 4),
        ("too", 2),
        ("to.", 2),
        ("just for", 4),
        ("a table for two", 2),
        ("seven thirty", 7),
        ("1,000", 1000),
        ("fourty two", 42),
    ],
)
def test_parse_number(text: str, expected: int) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text", ["", "nothing", "hundred", "just a second", "to me", "and", "what", "a few"]
)
def test_parse_number_none(text: str) -> None:
    assert parse_number(text) is None
