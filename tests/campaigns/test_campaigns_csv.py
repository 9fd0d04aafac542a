"""CSV people lists: E.164 numbers, every bad row with its line, all-or-nothing unless skipping."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from campaigns.csv_import import ImportRefused, import_people, parse_people
from store import campaigns as campaign_store
from store.models import Person

GOOD = """name,phone,timezone,language,notes,consent
Mrs Kim,(212) 555-0101,America/New_York,en,knee surgery,yes
Mr Lee,+44 20 7946 0958,Europe/London,en,,yes
"""
BAD = (
    GOOD
    + """Nobody,,America/New_York,en,,yes
Short,12345,America/New_York,en,,yes
Martian,212-555-0102,Mars/Base,en,,yes
Twice,+1 212 555 0101,America/New_York,en,,yes
Unsure,212-555-0103,America/New_York,en,,maybe
"""
)


def test_numbers_normalised_and_bad_rows_reported_by_line() -> None:
    parsed = parse_people(BAD, region="US")
    assert [(r.line, r.phone) for r in parsed.rows] == [(2, "+12125550101"), (3, "+442079460958")]
    reasons = {e.line: e.reason for e in parsed.errors}
    assert set(reasons) == {4, 5, 6, 7, 8}
    assert "empty" in reasons[4]
    assert "not a valid number" in reasons[5]
    assert "time zone" in reasons[6]
    assert "line 2" in reasons[7]
    assert "consent" in reasons[8]
    assert all("555" not in r for r in reasons.values())  # reasons never repeat a number


def test_missing_column_is_reported() -> None:
    parsed = parse_people("name,timezone\nA,UTC\n")
    assert parsed.rows == [] and parsed.errors[0].line == 1 and "phone" in parsed.errors[0].reason


def test_bad_file_imports_nothing_unless_skipping(session: Session) -> None:
    campaign = campaign_store.create_campaign(session, name="c", script="wellness_checkin")
    assert campaign.id is not None
    with pytest.raises(ImportRefused) as refused:
        import_people(session, campaign.id, parse_people(BAD))
    assert len(refused.value.errors) == 5
    assert session.exec(select(Person)).all() == []
    report = import_people(session, campaign.id, parse_people(BAD), skip_bad_rows=True)
    assert (report.imported, report.already, len(report.skipped)) == (2, 0, 5)
    again = import_people(session, campaign.id, parse_people(GOOD))
    assert (again.imported, again.already) == (0, 2)
    people = {p.phone: p for p in session.exec(select(Person))}
    assert people["+12125550101"].timezone == "America/New_York"
    assert people["+12125550101"].consent is True
    assert len(campaign_store.members(session, campaign.id)) == 2
