"""Understanding what callers say: ASR text in, typed slot values and intents out.

Every parser is a pure, deterministic function that never raises on any ``str``; they share one
normaliser (:mod:`dialog.nlu.normalize`) and one number reader (:mod:`dialog.nlu.numbers`). The
embedding classifier loads its model lazily, so importing this package stays cheap.
"""

from dialog.nlu.choice import parse_choice, parse_scale
from dialog.nlu.classifier import Category, Classification, TextClassifier, get_classifier
from dialog.nlu.dates import parse_date
from dialog.nlu.intents import GlobalIntent, detect_intents, emergency_reason
from dialog.nlu.names import parse_name
from dialog.nlu.normalize import normalize
from dialog.nlu.numbers import parse_number
from dialog.nlu.party import parse_party_size
from dialog.nlu.severity import pain_severity
from dialog.nlu.times import parse_time
from dialog.nlu.yesno import parse_yes_no

__all__ = [
    "Category",
    "Classification",
    "GlobalIntent",
    "TextClassifier",
    "detect_intents",
    "emergency_reason",
    "get_classifier",
    "normalize",
    "pain_severity",
    "parse_choice",
    "parse_date",
    "parse_name",
    "parse_number",
    "parse_party_size",
    "parse_scale",
    "parse_time",
    "parse_yes_no",
]
