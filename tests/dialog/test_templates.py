"""Prompt templates: values are spoken the way a person says them, and a gap never crashes."""

from __future__ import annotations

import pytest

from dialog.templates import lookup, ordinal, placeholders, render, speak, speak_date, speak_time


@pytest.mark.parametrize(
    ("n", "said"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (23, "23rd"), (31, "31st"), (111, "111th")],
)  # fmt: skip
def test_ordinal(n: int, said: str) -> None:
    assert ordinal(n) == said


def test_speak_date() -> None:
    assert speak_date("2026-11-24") == "Tuesday, November 24th"
    assert speak_date("2026-12-01") == "Tuesday, December 1st"


@pytest.mark.parametrize(
    ("value", "said"),
    [("19:00", "7 pm"), ("19:30", "7:30 pm"), ("12:00", "noon"), ("00:00", "12 am"),
     ("00:15", "12:15 am"), ("09:05", "9:05 am"), ("12:30", "12:30 pm"), ("23:59", "11:59 pm")],
)  # fmt: skip
def test_speak_time(value: str, said: str) -> None:
    assert speak_time(value) == said


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (4, "4"),
        ("John Smith", "John Smith"),
        ("2026-11-28", "Saturday, November 28th"),
        ("20:30", "8:30 pm"),
        (["18:00"], "6 pm"),
        (["18:00", "20:30"], "6 pm or 8:30 pm"),
        (["17:45", "18:00", "20:30"], "5:45 pm, 6 pm or 8:30 pm"),
    ],
)
def test_speak(value: object, said: str) -> None:
    assert speak(value) == said


def test_render_fills_slots_and_paths() -> None:
    values = {
        "party_size": 4,
        "date": "2026-11-24",
        "time": "19:30",
        "result": {"alternatives": ["18:00", "20:30"]},
    }
    said = render(
        "A table for {party_size} on {date} at {time}. I could offer {result.alternatives}.",
        values,
    )
    assert said == (
        "A table for 4 on Tuesday, November 24th at 7:30 pm. I could offer 6 pm or 8:30 pm."
    )


def test_render_missing_value_is_empty_not_an_error() -> None:
    assert render("Hello {person_name}, welcome.", {}) == "Hello, welcome."
    assert render("Hello  {a.b.c}  there", {"a": {"b": 3}}) == "Hello there"


def test_render_keeps_non_ascii_and_braces_in_values() -> None:
    assert render("Name: {name}", {"name": "Zoë {Müller}"}) == "Name: Zoë {Müller}"


def test_placeholders_and_lookup() -> None:
    assert placeholders("{a} and {b.c} {{literal}}") == ["a", "b.c"]
    with pytest.raises(ValueError):
        placeholders("unclosed {a")
    assert lookup("a.b", {"a": {"b": 1}}) == 1
    assert lookup("a.x", {"a": {"b": 1}}) is None
    assert lookup("a.b", {"a": 5}) is None
