"""Line directory: numbers to scripts, with a default line."""

from __future__ import annotations

import pytest

from telephony.lines import Line, LineDirectory, normalize_number


def test_resolve_known_and_default() -> None:
    lines = LineDirectory.from_mapping(
        {
            "+1 (555) 010-0000": "reservation",
            "+15550100002": {
                "script": "wellness",
                "handover_number": "+15550109999",
                "speaking_rate": 0.9,
                "greeting_style": "warm",
            },
        }
    )
    wellness = lines.resolve("+15550100002")
    assert wellness.script == "wellness"
    assert wellness.handover_number == "+15550109999"
    assert wellness.speaking_rate == 0.9
    assert wellness.extra == {"greeting_style": "warm"}
    assert wellness.label == "wellness"
    assert lines.resolve("+15550100000").script == "reservation"

    other = lines.resolve("+15550177777")
    assert other.script == "reservation" and other.number == "+15550177777"
    assert lines.resolve("").script == "reservation"


def test_custom_default() -> None:
    lines = LineDirectory.from_mapping({}, default={"script": "wellness", "name": "Care line"})
    assert lines.resolve("+1555").script == "wellness"
    assert lines.resolve("+1555").label == "Care line"
    assert LineDirectory.from_mapping(default=Line(script="x")).resolve("1").script == "x"


def test_from_yaml_and_json_text() -> None:
    yaml_text = """
default: reservation
lines:
  "+15550100002":
    script: wellness
    speaking_rate: 1.1
"""
    assert LineDirectory.from_text(yaml_text).resolve("+15550100002").speaking_rate == 1.1
    json_text = '{"+15550100002": "wellness"}'
    assert LineDirectory.from_text(json_text).resolve("+15550100002").script == "wellness"
    assert LineDirectory.from_text("").resolve("+1").script == "reservation"


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2]",
        '{"lines": {}, "oops": 1}',
        '{"+1555": {"speaking_rate": 100}}',
        '{"+1555": 5}',
        '{"+1 555": "a", "+1555": "b"}',
    ],
)
def test_bad_config_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        LineDirectory.from_text(text)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("+1 (555) 010-0000", "+15550100000"),
        ("tel:+15550100000", "+15550100000"),
        ("15550100000", "15550100000"),
        ("sip:Reception@Example.com", "sip:reception@example.com"),
        ("client:Alice", "client:alice"),
    ],
)
def test_normalize_number(raw: str, normal: str) -> None:
    assert normalize_number(raw) == normal
