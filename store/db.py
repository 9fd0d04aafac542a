"""Engines, sessions and schema upgrades.

Durability is the point of this module: every turn and answer is committed as it happens, so a
killed process or a dropped websocket loses at most the turn in flight. For SQLite that means
WAL (readers never block the writer), ``synchronous=FULL`` (a commit survives power loss, not just
a process crash), enforced foreign keys and a busy timeout so that concurrent writers wait for the
lock instead of failing.

SQLite transactions keep the ``sqlite3`` module's default behaviour: a transaction begins at the
first write, reads before it run in autocommit. Code that must read and then write consistently
(booking a table) first writes a lock row, which gives ``BEGIN IMMEDIATE`` semantics; see
:mod:`store.locks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_MS = 15_000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATE_LOCK = 0x616E6275  # "anbu": the advisory lock that serialises concurrent upgrades


def normalize_url(url: str | URL) -> URL:
    """Pick the psycopg 3 driver for PostgreSQL URLs written without one."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _is_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for SQLite or PostgreSQL with the durability settings described above.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine` (e.g. ``echo``).
    """
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if _is_sqlite_file(parsed) and not str(parsed.database).startswith("file:"):
            Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    raise ValueError(f"unsupported database backend {backend!r}: use sqlite or postgresql")


def alembic_config() -> Config:
    """An Alembic config built in code from the migrations shipped inside this package.

    No ``alembic.ini`` is needed, so ``upgrade`` works from an installed wheel.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine_or_url: Engine | str | URL, revision: str = "heads") -> None:
    """Bring the schema up to ``revision`` (idempotent: a current schema is left alone).

    The default is every head, so features developed side by side may each add a migration
    branching from the same parent; a later merge revision joins them.
    """
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    try:
        cfg = alembic_config()
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Workers of a cluster start together on one database: one migrates, the others
                # wait here (the lock ends with the transaction) and then find nothing to do.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK}
                )
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def session_factory(engine: Engine) -> Callable[[], Session]:
    """A factory of sessions whose objects stay readable after commit (``expire_on_commit``
    off): the agent keeps using a ``Call`` after committing a turn without another query."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


def new_session(engine: Engine) -> Session:
    """One session with ``expire_on_commit=False``; the caller commits and closes it."""
    return Session(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit when the block succeeds, roll back when it raises."""
    session = new_session(engine)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
