"""The wellness categories with the real bundled model; phrasings here are not the examples."""

import pytest

from dialog.nlu import Category, TextClassifier
from dialog.nlu.categories import ALL, MEALS, MOOD, PAIN, SLEEP

HELD_OUT = {
    "meals": [
        ("I had a bowl of cereal and some fruit", "ate_well"),
        ("had a nice roast dinner with all the trimmings", "ate_well"),
        ("just a couple of crackers", "ate_little"),
        ("only a small bowl of soup", "ate_little"),
        ("I haven't had anything since yesterday", "did_not_eat"),
        ("I wasn't up to eating", "did_not_eat"),
    ],
    "sleep": [
        ("slept soundly", "slept_well"),
        ("really well, eight hours", "slept_well"),
        ("I was up and down all night", "slept_poorly"),
        ("not a wink", "slept_poorly"),
        ("terrible, my back kept me up", "slept_poorly"),
    ],
    "mood": [
        ("I'm happy as can be", "good"),
        ("very good thank you dear", "good"),
        ("oh, so-so", "okay"),
        ("I feel a bit down in the dumps", "low"),
        ("I miss my wife terribly", "low"),
    ],
    "pain": [
        ("nope, no pain whatsoever", "none"),
        ("no it doesn't hurt", "none"),
        ("I'm feeling fine", "none"),
        ("my hip is bothering me", "some"),
        ("my back's been playing up again", "some"),
        ("a bit of a headache", "some"),
    ],
}
CASES = [(name, text, label) for name, items in HELD_OUT.items() for text, label in items]


def test_held_out_phrasings_are_not_examples() -> None:
    examples = {e.lower() for cats in ALL.values() for c in cats for e in c.examples}
    assert not {text.lower() for _, text, _ in CASES} & examples


@pytest.mark.parametrize(("name", "text", "label"), CASES)
def test_held_out(classifier: TextClassifier, name: str, text: str, label: str) -> None:
    result = classifier.classify(text, ALL[name])
    assert result.label == label, result


@pytest.mark.parametrize(
    "text", ["no pain at all", "there's no pain", "it doesn't hurt", "I'm not in pain"]
)
def test_negation_beats_pain_keyword(classifier: TextClassifier, text: str) -> None:
    assert classifier.classify(text, PAIN).label == "none"


def test_keyword_wins_outright(classifier: TextClassifier) -> None:
    result = classifier.classify("I tossed and turned", SLEEP)
    assert (result.label, result.by, result.confidence) == ("slept_poorly", "keyword", 1.0)


@pytest.mark.parametrize("text", ["asdf qwerty zxcv", "the purple bananas sing", "", "🙂"])
def test_gibberish_is_unlabelled(classifier: TextClassifier, text: str) -> None:
    for cats in (MEALS, SLEEP, MOOD, PAIN):
        result = classifier.classify(text, cats)
        assert result.label is None or result.confidence < 0.5


def test_deterministic(classifier: TextClassifier) -> None:
    first = classifier.classify("I had a few spoonfuls of soup", MEALS)
    assert all(
        classifier.classify("I had a few spoonfuls of soup", MEALS) == first for _ in range(3)
    )


def test_custom_categories_and_threshold(classifier: TextClassifier) -> None:
    cats = [
        Category(label="tea", examples=["a cup of tea", "earl grey"]),
        Category(label="coffee", examples=["an espresso", "a latte"], keywords=["coffee"]),
    ]
    assert classifier.classify("I'd love a cappuccino", cats, threshold=0.3).label == "coffee"
    assert classifier.classify("no coffee, just tea", cats).label != "coffee"
    assert classifier.classify("I'd love a cappuccino", cats, threshold=0.99).label is None
