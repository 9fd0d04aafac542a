import pytest

from dialog.nlu import parse_party_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a table for two", 2),
        ("A table for 2, please.", 2),
        ("four people", 4),
        ("4 people", 4),
        ("just me", 1),
        ("just myself", 1),
        ("me", 1),
        ("me and my wife", 2),
        ("my wife and I", 2),
        ("me and three friends", 4),
        ("two adults and a kid", 3),
        ("a table for two adults and a kid", 3),
        ("me, my wife and our two kids", 4),
        ("my parents and me", 3),
        ("four people including two kids", 4),
        ("two couples", 4),
        ("party of 6", 6),
        ("party of six", 6),
        ("4", 4),
        ("four", 4),
        ("four please", 4),
        ("um, like, four", 4),
        ("for four", 4),
        ("a table for for", 4),
        ("party of for", 4),
        ("for to", 2),
        ("there will be five of us", 5),
        ("the two of us", 2),
        ("both of us", 2),
        ("we are four", 4),
        ("we're 6", 6),
        ("we'll be about six", 6),
        ("around 8 people", 8),
        ("a couple of us", 2),
        ("me plus two", 3),
        ("a table for two tomorrow at 7pm", 2),
        ("for four at 7", 4),
        ("table for 4 on december 3rd", 4),
        ("it'll be 3 of us at 8", 3),
    ],
)
def test_parse_party_size(text: str, expected: int) -> None:
    assert parse_party_size(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow at 7", "7 pm", "seven thirty", "the 23rd", "for 7:30", "yes",
     "I'd like to book a table", "can I book for Friday", "a table for 300", "call me later",
     "on december 3rd", "at 8 please", "🙂"],
)  # fmt: skip
def test_parse_party_size_none(text: str) -> None:
    assert parse_party_size(text) is None
