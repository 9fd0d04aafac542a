"""Workers starting together on a fresh database create one admin, and none of them crashes."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine

from agent.auth import bootstrap_first_admin
from agent.settings import Settings
from store import users
from store.db import session_scope


def test_concurrent_bootstrap_makes_one_admin(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, admin_password="s3cret-pass", _env_file=None)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start_worker() -> None:
        barrier.wait()
        try:
            bootstrap_first_admin(engine, settings)
        except BaseException as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=start_worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(engine) as s:
        assert users.count_users(s) == 1
