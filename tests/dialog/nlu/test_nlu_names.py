import pytest

from dialog.nlu import parse_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it's John Smith", "John Smith"),
        ("It's John Smith, thanks.", "John Smith"),
        ("under Maria", "Maria"),
        ("my name is ann lee", "Ann Lee"),
        ("the name is Park", "Park"),
        ("John", "John"),
        ("john.", "John"),
        ("um it's Lee", "Lee"),
        ("under the name of Garcia", "Garcia"),
        ("you can put it under Chen please", "Chen"),
        ("this is Dorothy speaking", "Dorothy"),
        ("Mary-Jane O'Brien", "Mary-Jane O'Brien"),
        ("my name is will", "Will"),
        ("j o h n", "John"),
        ("José Núñez", "José Núñez"),
        ("yes it's Patel", "Patel"),
    ],
)
def test_parse_name(text: str, expected: str) -> None:
    assert parse_name(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "yes", "no", "I don't know", "42", "sorry what", "hello", "a table for two", "fine",
     "will", "what", "🙂", "it's 7"],
)  # fmt: skip
def test_parse_name_none(text: str) -> None:
    assert parse_name(text) is None
