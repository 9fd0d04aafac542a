import datetime as dt

import pytest

from dialog.nlu import parse_time

T = dt.time


@pytest.mark.parametrize(
    ("text", "prefer", "expected"),
    [
        ("seven pm", None, T(19)),
        ("7 pm", None, T(19)),
        ("7pm", None, T(19)),
        ("7 p.m.", None, T(19)),
        ("7:30", None, T(7, 30)),
        ("7:30", "pm", T(19, 30)),
        ("7:30 PM", None, T(19, 30)),
        ("730", "pm", T(19, 30)),
        ("730", None, T(7, 30)),
        ("seven thirty", "pm", T(19, 30)),
        ("Seven thirty pm.", None, T(19, 30)),
        ("seven oh five", None, T(7, 5)),
        ("eight forty five", "pm", T(20, 45)),
        ("half past six", "pm", T(18, 30)),
        ("quarter to eight", None, T(7, 45)),
        ("a quarter past 7 in the evening", None, T(19, 15)),
        ("ten past seven", None, T(7, 10)),
        ("twenty to nine", "pm", T(20, 40)),
        ("noon", "pm", T(12)),
        ("midday", None, T(12)),
        ("midnight", "pm", T(0)),
        ("6 o'clock", "pm", T(18)),
        ("six oclock", None, T(6)),
        ("at 8", "pm", T(20)),
        ("at eight", None, T(8)),
        ("around 6 30", "pm", T(18, 30)),
        ("a table for two tomorrow at 7", "pm", T(19)),
        ("tonight at 7", None, T(19)),
        ("7 in the morning", "pm", T(7)),
        ("eight", "pm", T(20)),
        ("um, eight please", "pm", T(20)),
        ("12", "pm", T(12)),
        ("12 am", None, T(0)),
        ("19:45", None, T(19, 45)),
        ("1900 hours", None, T(19)),
        ("at for", "pm", T(16)),
        ("how about 8:15 pm", None, T(20, 15)),
    ],
)
def test_parse_time(text: str, prefer: str | None, expected: dt.time) -> None:
    assert parse_time(text, prefer) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "for four people", "the 23rd", "yes", "i have 2 kids", "at 25", "99:99",
     "friday", "🙂"],
)  # fmt: skip
def test_parse_time_none(text: str) -> None:
    assert parse_time(text, "pm") is None
