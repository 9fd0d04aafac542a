"""Schema: migrations from empty match the models; engine settings; timestamps stay UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

import store
from store import calls, make_engine, metadata, session_scope, upgrade
from store.db import MIGRATIONS_DIR, alembic_config

TABLES = {"person", "call", "turn", "answer", "reservation", "alert", "opt_out", "store_lock"}
CAMPAIGN_TABLES = {"campaign", "campaign_member", "call_attempt", "do_not_call", "webhook_delivery"}


def test_upgrade_from_empty_matches_metadata(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    upgrade(empty_db_url)  # already at head: a no-op
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES | CAMPAIGN_TABLES
            heads = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            assert "0002_campaigns" in heads
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_migrations_ship_inside_the_package() -> None:
    package_dir = Path(store.__file__).resolve().parent
    assert package_dir / "migrations" == MIGRATIONS_DIR
    for name in ("env.py", "script.py.mako", "versions/0001_initial.py"):
        assert (MIGRATIONS_DIR / name).is_file()
    assert alembic_config().config_file_name is None  # no alembic.ini needed


def test_sqlite_pragmas_and_parent_folder(tmp_path: Path) -> None:
    db_file = tmp_path / "nested" / "dir" / "anbu.db"
    engine = make_engine(f"sqlite:///{db_file.as_posix()}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert db_file.exists()
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://u@db.example/anbu", "postgres://u@db/anbu"])
def test_postgres_urls_use_psycopg(url: str) -> None:
    engine = make_engine(url)  # no connection is made until first use
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


def test_unsupported_backend_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u@h/db")


def test_foreign_keys_enforced(session: Session) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        calls.add_turn(session, 999, speaker="caller", text="hello")


def test_timestamps_round_trip_as_aware_utc(engine: Engine) -> None:
    seoul = timezone(timedelta(hours=9))
    started = datetime(2030, 1, 2, 9, 30, tzinfo=seoul)
    with session_scope(engine) as s:
        call = calls.create_call(s, call_sid="CA-tz", direction="inbound", line="l", script="s")
        assert call.id is not None
        turn = calls.add_turn(s, call.id, speaker="caller", text="hi", started_at=started)
        turn_id = turn.id
    with session_scope(engine) as s:
        loaded = s.get(store.Turn, turn_id)
        assert loaded is not None
        assert loaded.started_at == started
        assert loaded.started_at.tzinfo == UTC
        assert loaded.started_at.hour == 0


def test_naive_datetimes_refused(session: Session) -> None:
    call = calls.create_call(session, call_sid="CA-n", direction="inbound", line="l", script="s")
    assert call.id is not None
    with pytest.raises(ValueError, match="naive"):
        calls.add_turn(session, call.id, speaker="agent", text="x", started_at=datetime(2030, 1, 1))


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        calls.create_call(s, call_sid="CA-rb", direction="inbound", line="l", script="s")
        raise RuntimeError("boom")
    with session_scope(engine) as s:
        assert calls.get_call(s, "CA-rb") is None


def test_repr_hides_numbers_and_answers(session: Session) -> None:
    call = calls.create_call(
        session,
        call_sid="CA-r",
        direction="outbound",
        line="care",
        script="checkin",
        to_number="+821012345678",
    )
    assert call.id is not None
    turn = calls.add_turn(session, call.id, speaker="caller", text="I fell in the bathroom")
    answer = calls.add_answer(
        session, call.id, key="fall", value=True, raw_text="I fell", confidence=0.9
    )
    shown = repr(call) + repr(turn) + repr(answer) + str(call) + str(answer)
    for secret in ("+821012345678", "fell"):
        assert secret not in shown
