import datetime as dt

import pytest

from dialog.nlu import parse_date

WED = dt.date(2025, 11, 19)  # a Wednesday
FRI = dt.date(2025, 11, 21)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", WED),
        ("Tonight.", WED),
        ("this evening", WED),
        ("tomorrow", dt.date(2025, 11, 20)),
        ("Tomorrow at 7", dt.date(2025, 11, 20)),
        ("the day after tomorrow", dt.date(2025, 11, 21)),
        ("day after tomorrow please", dt.date(2025, 11, 21)),
        ("friday", FRI),
        ("um, Friday please", FRI),
        ("this saturday", dt.date(2025, 11, 22)),
        ("saturday at 7", dt.date(2025, 11, 22)),
        ("wednesday", WED),
        ("next friday", dt.date(2025, 11, 28)),
        ("friday next week", dt.date(2025, 11, 28)),
        ("next wednesday", dt.date(2025, 11, 26)),
        ("the 23rd", dt.date(2025, 11, 23)),
        ("on the twenty third", dt.date(2025, 11, 23)),
        ("the 19th", WED),
        ("the 3rd", dt.date(2025, 12, 3)),
        ("the third", dt.date(2025, 12, 3)),
        ("on the 12th", dt.date(2025, 12, 12)),
        ("the 31st", dt.date(2025, 12, 31)),
        ("december 3rd", dt.date(2025, 12, 3)),
        ("December third", dt.date(2025, 12, 3)),
        ("dec 3", dt.date(2025, 12, 3)),
        ("3rd of december", dt.date(2025, 12, 3)),
        ("the third of December", dt.date(2025, 12, 3)),
        ("december the twenty third", dt.date(2025, 12, 23)),
        ("december 3rd 2026", dt.date(2026, 12, 3)),
        ("march 1st", dt.date(2026, 3, 1)),
        ("november 1st", dt.date(2026, 11, 1)),
        ("february 29th", dt.date(2028, 2, 29)),
        ("in two days", dt.date(2025, 11, 21)),
        ("in 2 days", dt.date(2025, 11, 21)),
        ("in a couple of days", dt.date(2025, 11, 21)),
        ("in a week", dt.date(2025, 11, 26)),
        ("three days from now", dt.date(2025, 11, 22)),
        ("friday the 28th", dt.date(2025, 11, 28)),
        ("a table for 2 on the 23rd at 7pm", dt.date(2025, 11, 23)),
        ("12/3", dt.date(2025, 12, 3)),
        ("12/25/2026", dt.date(2026, 12, 25)),
    ],
)
def test_parse_date(text: str, expected: dt.date) -> None:
    assert parse_date(text, WED) == expected


def test_friday_on_friday_is_today_and_next_is_a_week_on() -> None:
    assert parse_date("friday", FRI) == FRI
    assert parse_date("next friday", FRI) == dt.date(2025, 11, 28)


def test_month_rollover_at_year_end() -> None:
    assert parse_date("the 2nd", dt.date(2025, 12, 30)) == dt.date(2026, 1, 2)
    assert parse_date("tomorrow", dt.date(2025, 12, 31)) == dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    "text",
    ["", "yes", "7 pm", "at 7", "for four people", "may I book", "next week", "march on",
     "12/25/2020", "🙂", "the 32nd"],
)  # fmt: skip
def test_parse_date_none(text: str) -> None:
    assert parse_date(text, WED) is None
