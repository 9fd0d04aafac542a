"""A separate Anbu campaign process for crash and concurrency tests.

``python campaign_worker.py DB_URL TWILIO_URL START_ISO`` reconciles what a dead process left,
then runs the real APScheduler (job store in the same database) ticking the campaign runner
against the fake Twilio until nothing is left to dial. Its clock starts at ``START_ISO`` and
runs at real speed, so calling windows are deterministic.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fake_twilio import ACCOUNT_SID, AUTH_TOKEN

from campaigns.dialer import TwilioDialer
from campaigns.runner import CampaignRunner, RunnerConfig
from campaigns.scheduler import CampaignScheduler
from store import attempts as attempt_store
from store.db import make_engine, session_scope


class OffsetClock:
    def __init__(self, start: dt.datetime) -> None:
        self.start, self.t0 = start, time.monotonic()

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.t0)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0))


def main() -> None:
    db_url, twilio_url, start, mode = sys.argv[1:5]
    engine = make_engine(db_url)
    runner = CampaignRunner(
        engine,
        TwilioDialer(ACCOUNT_SID, AUTH_TOKEN, twilio_url),
        RunnerConfig(public_url="https://anbu.example", from_number="+15550100000"),
        clock=OffsetClock(dt.datetime.fromisoformat(start)),
    )
    runner.reconcile(startup=True, sole=mode == "sole")
    scheduler = CampaignScheduler(engine, runner.tick, interval_s=0.2)
    scheduler.start()
    print("started", flush=True)
    try:
        while True:
            time.sleep(0.3)
            with session_scope(engine) as s:
                planned = attempt_store.with_status(s, ["pending", "claimed", "dialing", "ringing"])
                left = [a for a in planned if a.status != "ringing"]
            if planned and not left:  # a campaign is planned in one transaction
                break
    finally:
        scheduler.shutdown()


if __name__ == "__main__":
    main()
