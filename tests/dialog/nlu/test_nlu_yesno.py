import pytest

from dialog.nlu import parse_yes_no

YES = [
    "yes", "Yes.", "yeah I did", "yep", "yup", "sure", "of course", "that's right", "correct",
    "Uh-huh.", "Mm-hmm.", "okay", "all right", "absolutely", "definitely", "I did", "I have",
    "yes please", "well yes", "oh yeah", "I think so", "no problem", "I don't mind", "you bet",
    "Yeah, I took them this morning.", "um yes", "i mean yes", "sure thing",
]  # fmt: skip
NO = [
    "no", "No.", "nope", "nah", "not really", "I didn't", "no I haven't", "absolutely not",
    "I don't think so", "of course not", "Uh-uh.", "never", "not at all", "I haven't",
    "that's not right", "oh no", "yeah no", "no, I fell", "definitely not", "I did not",
    "I'm not", "um no",
]  # fmt: skip
UNCLEAR = [
    "", "maybe", "I'm not sure", "I don't know", "hello", "what", "I guess", "not bad",
    "the weather is nice", "12", "🙂", "perhaps", "I can't remember",
]  # fmt: skip


@pytest.mark.parametrize("text", YES)
def test_yes(text: str) -> None:
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", NO)
def test_no(text: str) -> None:
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", UNCLEAR)
def test_unclear(text: str) -> None:
    assert parse_yes_no(text) is None
