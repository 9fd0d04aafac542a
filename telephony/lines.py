"""Phone lines: which script answers which number, with that line's own settings.

One Anbu process can answer several Twilio numbers (a reservation line, a wellness check-in
line, ...). The directory is plain configuration, a mapping or a JSON/YAML string from settings,
and any number not listed gets the default line, so an unconfigured install still answers.

Example (YAML)::

    default: reservation
    lines:
      "+1 555 010 0000": reservation
      "+15550100002":
        script: wellness
        handover_number: "+15550109999"
        speaking_rate: 0.9
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

__all__ = ["DEFAULT_SCRIPT", "Line", "LineDirectory", "normalize_number"]

DEFAULT_SCRIPT = "reservation"

_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")


def normalize_number(number: str) -> str:
    """Canonical form for matching: digits with an optional leading ``+``.

    Formatting differs between a human-written config and Twilio's E.164 ``To``; SIP URIs and
    client identities, which are not phone numbers, are only trimmed and lower-cased.
    """
    raw = number.strip()
    if raw.lower().startswith("tel:"):
        raw = raw[4:]
    if _PHONE_LIKE.match(raw):
        digits = re.sub(r"\D", "", raw)
        return ("+" if raw.startswith("+") else "") + digits
    return raw.lower()


@dataclass(frozen=True)
class Line:
    """One number's configuration. ``extra`` keeps unknown keys for other components."""

    script: str = DEFAULT_SCRIPT
    number: str = ""
    name: str = ""
    handover_number: str = ""
    speaking_rate: float = 1.0
    voice: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Human name of the line (its script unless configured)."""
        return self.name or self.script

    @classmethod
    def from_config(cls, number: str, config: Mapping[str, Any] | str) -> Line:
        """Build from a config entry: a script name, or a mapping of settings."""
        if isinstance(config, str):
            return cls(script=config, number=number)
        if not isinstance(config, Mapping):
            raise ValueError(f"line {number or 'default'}: expected a script name or a mapping")
        known: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for key, value in config.items():
            if key in {"script", "name", "handover_number", "voice"}:
                known[key] = str(value)
            elif key == "speaking_rate":
                rate = float(value)
                if not 0.25 <= rate <= 4.0:
                    raise ValueError(f"line {number or 'default'}: speaking_rate out of range")
                known[key] = rate
            elif key != "number":
                extra[str(key)] = str(value)
        return cls(number=number, extra=extra, **known)


@dataclass(frozen=True)
class LineDirectory:
    """Lines by normalised number, plus the line for any number not listed."""

    default: Line = field(default_factory=Line)
    lines: Mapping[str, Line] = field(default_factory=dict)

    @classmethod
    def from_mapping(
        cls,
        lines: Mapping[str, Mapping[str, Any] | str] | None = None,
        default: Mapping[str, Any] | str | Line = DEFAULT_SCRIPT,
    ) -> LineDirectory:
        """Build from ``{number: script | {settings}}`` and a default script or settings."""
        default_line = default if isinstance(default, Line) else Line.from_config("", default)
        table: dict[str, Line] = {}
        for number, config in (lines or {}).items():
            key = normalize_number(str(number))
            if not key:
                raise ValueError("line with an empty number")
            if key in table:
                raise ValueError(f"line {number} is configured twice")
            table[key] = Line.from_config(key, config)
        return cls(default=default_line, lines=table)

    @classmethod
    def from_text(cls, text: str) -> LineDirectory:
        """Parse JSON or YAML: ``{default: ..., lines: {...}}``, or just the lines mapping."""
        if not text.strip():
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            data = yaml.safe_load(text)
        if not isinstance(data, Mapping):
            raise ValueError("line directory must be a mapping")
        if "lines" in data or "default" in data:
            unknown = set(data) - {"lines", "default"}
            if unknown:
                raise ValueError(f"unknown line directory keys: {sorted(unknown)}")
            return cls.from_mapping(data.get("lines") or {}, data.get("default", DEFAULT_SCRIPT))
        return cls.from_mapping(data)

    def resolve(self, called_number: str) -> Line:
        """The line for a number; unknown or empty numbers get the default line."""
        line = self.lines.get(normalize_number(called_number or ""))
        if line is not None:
            return line
        return replace(self.default, number=normalize_number(called_number or ""))
