import pytest

from dialog.nlu import parse_choice, parse_scale
from dialog.nlu.severity import pain_severity

SEATING = {"inside": ["indoors", "in the dining room"], "patio": ["outside", "outdoors", "terrace"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inside please", "inside"),
        ("Inside.", "inside"),
        ("outside", "patio"),
        ("Patio.", "patio"),
        ("I'd prefer to sit outdoors", "patio"),
        ("somewhere in the dining room", "inside"),
        ("not the patio, inside", "inside"),
        ("inside or outside", None),
        ("in", None),
        ("whatever", None),
        ("", None),
    ],
)
def test_parse_choice(text: str, expected: str | None) -> None:
    assert parse_choice(text, SEATING) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("three", 3),
        ("3", 3),
        ("a 4", 4),
        ("about a two", 2),
        ("4 out of 5", 4),
        ("on a scale of one to five I'd say three", 3),
        ("a solid five", 5),
        ("for", 4),
        ("um, to", 2),
        ("three or four", None),
        ("six", None),
        ("0", None),
        ("I don't know", None),
        ("", None),
    ],
)
def test_parse_scale(text: str, expected: int | None) -> None:
    assert parse_scale(text) == expected


def test_parse_scale_custom_range() -> None:
    assert parse_scale("8 out of 10", 1, 10) == 8
    assert parse_scale("eleven", 1, 10) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mild", 1),
        ("just a bit", 1),
        ("not too bad", 1),
        ("sore", 2),
        ("moderate", 3),
        ("severe", 4),
        ("terrible", 5),
        ("it's unbearable", 5),
        ("a three", 3),
        ("7 out of 10", 4),
        ("bad, maybe a 4", 4),
        ("no idea", None),
    ],
)
def test_pain_severity(text: str, expected: int | None) -> None:
    assert pain_severity(text) == expected
