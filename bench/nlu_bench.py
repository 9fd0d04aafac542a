"""Benchmark for dialog.nlu: classifier per-turn latency, parser cost, library comparisons.

Run: ``HF_HUB_OFFLINE=1 python bench/nlu_bench.py`` (prints one JSON object). The requirement is
< 30 ms per classified turn on CPU after warm-up, with torch on one thread.

Library comparisons score each candidate on phrase tables of how our callers speak (Whisper
tiny.en output: words or digits, fillers, homophones); ``text2num`` is optional (skipped if absent).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from dialog import nlu
from dialog.nlu.categories import ALL

TODAY = dt.date(2025, 11, 19)  # a Wednesday
D = dt.date
DATE_TABLE: list[tuple[str, dt.date | None]] = [
    ("today", TODAY), ("tonight", TODAY), ("tomorrow", D(2025, 11, 20)),
    ("tomorrow at 7", D(2025, 11, 20)), ("the day after tomorrow", D(2025, 11, 21)),
    ("day after tomorrow", D(2025, 11, 21)), ("friday", D(2025, 11, 21)),
    ("Friday.", D(2025, 11, 21)), ("um friday please", D(2025, 11, 21)),
    ("this saturday", D(2025, 11, 22)), ("saturday at 7", D(2025, 11, 22)),
    ("next friday", D(2025, 11, 28)), ("next wednesday", D(2025, 11, 26)),
    ("the 23rd", D(2025, 11, 23)), ("23rd", D(2025, 11, 23)), ("on the 23rd", D(2025, 11, 23)),
    ("the twenty third", D(2025, 11, 23)), ("the 3rd", D(2025, 12, 3)),
    ("on the 12th", D(2025, 12, 12)), ("december 3rd", D(2025, 12, 3)),
    ("December third.", D(2025, 12, 3)), ("dec 3", D(2025, 12, 3)),
    ("3rd of december", D(2025, 12, 3)), ("the third of december", D(2025, 12, 3)),
    ("march 1st", D(2026, 3, 1)), ("in two days", D(2025, 11, 21)),
    ("in 2 days", D(2025, 11, 21)), ("in a week", D(2025, 11, 26)),
    ("uh, in three days please", D(2025, 11, 22)), ("friday the 28th", D(2025, 11, 28)),
    ("a table for two on the 23rd", D(2025, 11, 23)), ("12/3", D(2025, 12, 3)),
    ("december 3rd 2026", D(2026, 12, 3)),
    ("7 pm", None), ("yes", None), ("next week", None), ("a table for two", None),
    ("for four people", None), ("at 8", None), ("I'd like to book", None),
]  # fmt: skip
NUMBER_TABLE: list[tuple[str, int | None]] = [
    ("4", 4), ("four", 4), ("twenty three", 23), ("twenty-three", 23),
    ("one hundred and five", 105),
    ("a table for two", 2), ("a table for four", 4), ("four people", 4), ("party of six", 6),
    ("for four", 4), ("just two", 2), ("two", 2), ("one", 1), ("three", 3), ("about a two", 2),
    ("a 4", 4), ("4 out of 5", 4), ("three please", 3), ("the 3rd", 3), ("the third", 3),
    ("december third", 3), ("twenty first", 21), ("the twelfth", 12), ("a couple", 2),
    ("a couple of us", 2), ("a dozen", 12), ("for", 4), ("too", 2), ("to.", 2),
    ("um, twelve", 12), ("seven thirty", 7), ("at eight", 8), ("eight pm", 8), ("ten", 10),
    ("fifteen", 15), ("ninety nine", 99), ("2 adults", 2), ("1,000", 1000), ("five of us", 5),
    ("we are six", 6), ("just me and one friend", 1), ("nothing", None), ("yes", None),
    ("no", None), ("just a second", None), ("to me", None), ("and", None), ("a few", None),
]  # fmt: skip
UTTERANCES = [
    "I had some porridge and a cup of tea", "not much really", "I skipped breakfast",
    "I slept alright I suppose", "terrible night, my hip was aching", "I'm feeling a bit lonely",
    "pretty good thanks love", "no pain today", "my knee is giving me trouble again",
    "I had a sandwich at lunchtime", "couldn't sleep at all", "oh you know, can't complain",
]  # fmt: skip


def _time_us(fn: Callable[[str], Any], inputs: list[str], rounds: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for text in inputs:
            fn(text)
    return (time.perf_counter() - start) / (rounds * len(inputs)) * 1e6


def _score(fn: Callable[[str], Any], table: list[tuple[str, Any]]) -> dict[str, Any]:
    wrong = [text for text, want in table if fn(text) != want]
    inputs = [text for text, _ in table]
    fn(inputs[0])  # first-call setup (imports, caches) is not per-call cost
    return {
        "correct": len(table) - len(wrong),
        "total": len(table),
        "mean_us": round(_time_us(fn, inputs, rounds=5), 1),
        "wrong": wrong,
    }


def _dateparser_date(text: str) -> dt.date | None:
    import dateparser

    base = dt.datetime.combine(TODAY, dt.time(12))
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "DATE_ORDER": "MDY"}
    parsed = dateparser.parse(text, languages=["en"], settings=settings)  # type: ignore[arg-type]
    return parsed.date() if parsed else None


def _text2num_first(text: str) -> int | None:
    from text_to_num import alpha2digit  # type: ignore[import-not-found]

    m = re.search(r"\d+", alpha2digit(text, "en").replace(",", ""))
    return int(m.group(0)) if m else None


def compare_libraries() -> dict[str, Any]:
    result: dict[str, Any] = {
        "dates": {
            "own_parse_date": _score(lambda t: nlu.parse_date(t, TODAY), DATE_TABLE),
            "dateparser_1.5.0": _score(_dateparser_date, DATE_TABLE),
        },
        "numbers": {"own_parse_number": _score(nlu.parse_number, NUMBER_TABLE)},
    }
    try:
        result["numbers"]["text2num_alpha2digit"] = _score(_text2num_first, NUMBER_TABLE)
    except ImportError:
        result["numbers"]["text2num_alpha2digit"] = "not installed"
    return result


def parser_costs() -> dict[str, float]:
    """Mean µs per call over all table inputs. Inputs repeat, so these include the hit path of
    normalize()'s LRU cache, as in a real turn where several parsers read the same utterance;
    ``normalize_uncached`` is the extra cost of the first parser to see a new utterance."""
    inputs = [t for t, _ in DATE_TABLE] + [t for t, _ in NUMBER_TABLE] + UTTERANCES
    parsers: dict[str, Callable[[str], Any]] = {
        "normalize_uncached": nlu.normalize.__wrapped__,  # type: ignore[attr-defined]
        "parse_number": nlu.parse_number,
        "parse_yes_no": nlu.parse_yes_no,
        "parse_date": lambda t: nlu.parse_date(t, TODAY),
        "parse_time": lambda t: nlu.parse_time(t, "pm"),
        "parse_party_size": nlu.parse_party_size,
        "parse_name": nlu.parse_name,
        "parse_scale": nlu.parse_scale,
        "parse_choice": lambda t: nlu.parse_choice(t, {"inside": ["indoors"], "patio": ["out"]}),
        "detect_intents": nlu.detect_intents,
        "pain_severity": nlu.pain_severity,
    }
    return {name: round(_time_us(fn, inputs), 1) for name, fn in parsers.items()}


def classifier_latency(n: int = 200) -> dict[str, Any]:
    import torch

    clf = nlu.TextClassifier()
    categories = [c for cats in ALL.values() for c in cats]
    t0 = time.perf_counter()
    clf.warm(categories)
    warm_s = time.perf_counter() - t0
    sets = list(ALL.values())
    # distinct texts so no utterance embedding is served from the cache
    texts = [
        f"{UTTERANCES[i % len(UTTERANCES)]} {'and ' * (i // len(UTTERANCES))}" for i in range(n)
    ]
    for text in texts[:10]:
        clf.classify(text + " warm", sets[0])
    samples = []
    for i, text in enumerate(texts):
        start = time.perf_counter()
        clf.classify(text, sets[i % len(sets)])
        samples.append((time.perf_counter() - start) * 1e3)
    samples.sort()
    return {
        "torch_threads": torch.get_num_threads(),
        "load_and_warm_s": round(warm_s, 2),
        "turns": n,
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (n - 1))], 2),
        "max_ms": round(samples[-1], 2),
        "requirement_ms": 30,
    }


def main() -> None:
    report = {
        "classifier": classifier_latency(),
        "parser_mean_us": parser_costs(),
        "library_comparison": compare_libraries(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
