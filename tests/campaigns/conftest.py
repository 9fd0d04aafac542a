"""Fixtures for campaign tests: a fake Twilio, a controllable clock, a runner on the test DB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from sqlalchemy import Engine

from campaigns.clock import FakeClock
from campaigns.dialer import TwilioDialer
from campaigns.runner import CampaignRunner, RunnerConfig
from store import campaigns as campaign_store
from store.db import session_scope
from store.people import get_or_create_person

ANBU_NUMBER = "+15550100000"
PUBLIC_URL = "https://anbu.example"
# Monday 2026-03-02, 09:00 in New York (EST, UTC-5).
MONDAY_9AM_NY = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_9AM_NY)


RunnerFactory = Callable[..., CampaignRunner]


@pytest.fixture
def make_runner(engine: Engine, fake_twilio: FakeTwilio, clock: FakeClock) -> RunnerFactory:
    def make(**kwargs: Any) -> CampaignRunner:
        dialer = TwilioDialer(ACCOUNT_SID, AUTH_TOKEN, fake_twilio.url)
        config = RunnerConfig(public_url=PUBLIC_URL, from_number=ANBU_NUMBER)
        return CampaignRunner(engine, dialer, config, clock=clock, **kwargs)

    return make


def make_campaign(
    engine: Engine,
    people: list[tuple[str, str, str]],
    *,
    state: str = "running",
    **fields: Any,
) -> int:
    """A campaign over ``people`` (name, phone, timezone); default Mon/Thu 10:00-12:00."""
    fields.setdefault("days", "mon,thu")
    fields.setdefault("window_start", "10:00")
    fields.setdefault("window_end", "12:00")
    fields.setdefault("calls_per_second", 100.0)
    fields.setdefault("max_concurrent", 100)
    with session_scope(engine) as s:
        campaign = campaign_store.create_campaign(
            s, name="test", script="wellness_checkin", **fields
        )
        assert campaign.id is not None
        for name, phone, tz in people:
            person = get_or_create_person(s, name=name, phone=phone, timezone=tz, consent=True)
            assert person.id is not None
            campaign_store.add_member(s, campaign.id, person.id)
        if state != "draft":
            campaign_store.set_state(s, campaign.id, state)
        return campaign.id
