"""APScheduler 3 wiring: one periodic ``tick`` job, kept in Anbu's own database.

The job store is APScheduler's ``SQLAlchemyJobStore`` on Anbu's engine (table
``apscheduler_jobs``, created by APScheduler). The job has no arguments at all: it names a
module-level function that finds this process's runner, so the job store holds no ids of people
and no health data, and a job run twice or missed is harmless (the attempts table decides).
Every process that runs the scheduler ticks; claiming makes that safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from store.db import session_scope
from store.locks import take_lock

log = logging.getLogger(__name__)
JOB_ID = "anbu-campaign-tick"
JOBS_TABLE = "apscheduler_jobs"

_tick_functions: list[Callable[[], object]] = []


def tick() -> None:
    """The job APScheduler runs: this process's tick, if one is registered."""
    for function in list(_tick_functions):
        try:
            function()
        except Exception:
            log.exception("campaign tick failed")


class CampaignScheduler:
    """Starts and stops the ticking; ``work`` is what one tick does (runner and pusher)."""

    def __init__(self, db: Engine, work: Callable[[], object], interval_s: float = 1.0) -> None:
        self.db = db
        self.work = work
        self.interval_s = interval_s
        self.jobstore = SQLAlchemyJobStore(engine=db, tablename=JOBS_TABLE)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": self.jobstore},
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone="UTC",
        )

    def start(self) -> None:
        self._create_table()
        _tick_functions.append(self.work)
        self.scheduler.start()
        self.scheduler.add_job(
            tick,
            "interval",
            seconds=self.interval_s,
            id=JOB_ID,
            replace_existing=True,
        )

    def _create_table(self) -> None:
        """Create APScheduler's table under a lock: two processes starting together would both
        see it missing and the second CREATE would fail (PostgreSQL)."""
        with session_scope(self.db) as s:
            take_lock(s, "apscheduler-ddl")
            self.jobstore.jobs_t.create(s.connection(), checkfirst=True)

    def shutdown(self) -> None:
        if self.work in _tick_functions:
            _tick_functions.remove(self.work)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
