import pytest

from dialog.nlu import GlobalIntent, detect_intents, emergency_reason

G = GlobalIntent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what", G.REPEAT), ("What?", G.REPEAT), ("sorry?", G.REPEAT), ("pardon", G.REPEAT),
        ("say that again", G.REPEAT), ("could you repeat that", G.REPEAT),
        ("I didn't catch that", G.REPEAT),
        ("slow down", G.SLOWER), ("speak slower please", G.SLOWER),
        ("you're talking too fast", G.SLOWER),
        ("talk to a person", G.HUMAN), ("a real person", G.HUMAN), ("operator", G.HUMAN),
        ("representative", G.HUMAN), ("agent", G.HUMAN), ("can I speak to someone", G.HUMAN),
        ("stop calling me", G.STOP_CALLING), ("don't call me again", G.STOP_CALLING),
        ("take me off your list", G.STOP_CALLING), ("unsubscribe", G.STOP_CALLING),
        ("call me later", G.CALL_LATER), ("call back tomorrow", G.CALL_LATER),
        ("not a good time", G.CALL_LATER), ("I'm driving", G.CALL_LATER),
        ("bye", G.GOODBYE), ("Goodbye!", G.GOODBYE), ("that's all", G.GOODBYE),
        ("hang up", G.GOODBYE), ("no thanks that's all", G.GOODBYE),
        ("help", G.EMERGENCY), ("help me", G.EMERGENCY), ("please help me", G.EMERGENCY),
        ("I fell", G.EMERGENCY), ("I've fallen", G.EMERGENCY), ("chest pain", G.EMERGENCY),
        ("I can't breathe", G.EMERGENCY), ("I can't get up", G.EMERGENCY),
        ("call an ambulance", G.EMERGENCY), ("heart attack", G.EMERGENCY),
        ("I think I'm having a stroke", G.EMERGENCY), ("I'm bleeding", G.EMERGENCY),
    ],
)  # fmt: skip
def test_detects(text: str, intent: GlobalIntent) -> None:
    assert intent in detect_intents(text)


@pytest.mark.parametrize(
    "text",
    ["", "yes", "a table for one person", "my travel agent", "I'd like help with a booking",
     "can you help me book a table", "what time is it", "sorry I'm late", "I fell asleep early",
     "I didn't fall", "no chest pain", "I'm not bleeding", "I have no trouble breathing",
     "don't hang up", "I stroke my cat", "a stroke of luck", "I slept well",
     "I don't want to talk to a person", "my chest is fine"],
)  # fmt: skip
def test_no_false_positives(text: str) -> None:
    assert detect_intents(text) == []


def test_priority_order() -> None:
    assert detect_intents("help I fell, bye") == [G.EMERGENCY, G.GOODBYE]
    assert detect_intents("stop calling me, goodbye") == [G.STOP_CALLING, G.GOODBYE]
    assert detect_intents("don't call me back") == [G.STOP_CALLING]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I fell", "fall"), ("no, I fell in the kitchen", "fall"), ("I can't get up", "fall"),
        ("my chest hurts", "chest_pain"), ("chest pain", "chest_pain"),
        ("I can't breathe", "breathing"), ("I'm short of breath", "breathing"),
        ("help", "help"), ("help me please", "help"), ("it's an emergency", "help"),
        ("I'm bleeding", "bleeding"), ("I think I had a stroke", "stroke"),
        ("heart attack", "heart_attack"), ("call 911", "ambulance"),
        ("help I can't breathe", "breathing"), ("nothing wrong", None), ("", None),
    ],
)  # fmt: skip
def test_emergency_reason(text: str, reason: str | None) -> None:
    assert emergency_reason(text) == reason
