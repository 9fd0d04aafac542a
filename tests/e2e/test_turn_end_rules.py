"""The end-of-turn rule and the lead-in split, without a call (fast)."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.controller import speech_pieces
from agent.turn_end import answers
from dialog.loader import load_script
from dialog.types import Expectation, SlotType

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("slot", "slot_type", "text", "done"),
    [
        ("party_size", SlotType.PARTY_SIZE, "four people", True),
        ("party_size", SlotType.PARTY_SIZE, "I think we will be", False),
        ("date", SlotType.DATE, "tomorrow", True),
        ("date", SlotType.DATE, "I'd like to come on", False),
        ("time", SlotType.TIME, "seven thirty", True),
        ("confirm", SlotType.YES_NO, "yes please", True),
        ("confirm", SlotType.YES_NO, "well", False),
        ("request", SlotType.CHOICE, "I'd like to book a table", True),
        ("request", SlotType.CHOICE, "I'd like to", False),
    ],
)
def test_answers_follows_the_expected_slot(
    slot: str, slot_type: SlotType, text: str, done: bool
) -> None:
    script = load_script("reservation")
    expect = Expectation(slot=slot, slot_type=slot_type)
    assert answers(script, expect, text, TODAY) is done


def test_nothing_expected_means_answered() -> None:
    assert answers(load_script("reservation"), None, "anything", TODAY)


def test_lead_in_is_split_only_from_long_prompts() -> None:
    long = "Let me check: a table for 4 on Tuesday, November 24th at 7:30 pm, under Smith."
    assert speech_pieces(long) == ["Let me check:", long.split(": ", 1)[1]]
    assert speech_pieces("We open at 5: come early.") == ["We open at 5: come early."]
    assert speech_pieces("Thank you for calling. Goodbye!") == ["Thank you for calling. Goodbye!"]
