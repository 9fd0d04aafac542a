"""People lists from CSV: every row checked, every bad row reported with its line and reason.

A file with any bad row imports nothing unless the operator asks to skip bad rows, because a
half-imported list is worse than none: the agency would not know who is missing. Phone numbers
are parsed with ``phonenumbers`` and stored as E.164; reasons never repeat the number (they may
end up in logs).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlmodel import Session

from store import campaigns as campaign_store
from store.people import get_or_create_person

REQUIRED = ("name", "phone")
KNOWN = ("name", "phone", "timezone", "language", "notes", "consent")
_TRUE = frozenset({"yes", "y", "true", "1", "x"})
_FALSE = frozenset({"no", "n", "false", "0", ""})


@dataclass(frozen=True, slots=True)
class PersonRow:
    line: int
    name: str
    phone: str  # E.164
    timezone: str
    language: str
    notes: str
    consent: bool


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str


@dataclass
class ParsedList:
    rows: list[PersonRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int  # people newly put on the campaign
    already: int  # already on it
    skipped: list[RowError]


class ImportRefused(ValueError):
    """The file has bad rows and skipping them was not asked for; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s); nothing imported")
        self.errors = errors


def normalise_phone(raw: str, region: str) -> str:
    """E.164 for a number as people write it; ValueError (without the number) if impossible."""
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("phone number could not be read") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("phone number is not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_people(text: str, *, region: str = "US", default_timezone: str = "UTC") -> ParsedList:
    """Check every row of a CSV (with a header line); line numbers count the header as 1."""
    result = ParsedList()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        result.errors.append(RowError(1, f"missing column(s): {', '.join(missing)}"))
        return result
    reader.fieldnames = header
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if not any(values.values()):
            continue  # blank line
        try:
            row = _row(line, values, region, default_timezone)
        except ValueError as exc:
            result.errors.append(RowError(line, str(exc)))
            continue
        if row.phone in seen:
            result.errors.append(RowError(line, f"same phone number as line {seen[row.phone]}"))
            continue
        seen[row.phone] = line
        result.rows.append(row)
    return result


def _row(line: int, v: dict[str, str], region: str, default_tz: str) -> PersonRow:
    name = v.get("name", "")
    if not name:
        raise ValueError("name is empty")
    if not v.get("phone"):
        raise ValueError("phone is empty")
    phone = normalise_phone(v["phone"], region)
    tz = v.get("timezone") or default_tz
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc
    consent_text = v.get("consent", "yes").lower()
    if consent_text not in _TRUE | _FALSE:
        raise ValueError(f"consent must be yes or no, not {consent_text!r}")
    return PersonRow(
        line=line,
        name=name,
        phone=phone,
        timezone=tz,
        language=v.get("language") or "en",
        notes=v.get("notes", ""),
        consent=consent_text in _TRUE,
    )


def import_people(
    s: Session, campaign_id: int, parsed: ParsedList, *, skip_bad_rows: bool = False
) -> ImportReport:
    """Create (or find, by phone) each person and put them on the campaign.

    Flushes only; the caller commits, so a refusal or failure leaves the database untouched.
    """
    if parsed.errors and not skip_bad_rows:
        raise ImportRefused(parsed.errors)
    campaign_store.get_campaign(s, campaign_id)
    imported = already = 0
    for row in parsed.rows:
        person = get_or_create_person(
            s,
            name=row.name,
            phone=row.phone,
            timezone=row.timezone,
            language=row.language,
            notes=row.notes,
            consent=row.consent,
        )
        assert person.id is not None
        if campaign_store.add_member(s, campaign_id, person.id):
            imported += 1
        else:
            already += 1
    return ImportReport(imported=imported, already=already, skipped=list(parsed.errors))
