"""Shared database fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL: the server is ``ANBU_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``, trust auth). One database
``anbu_test_<random>`` is created and migrated per test session and dropped at the end; tables
are truncated before each test instead of re-migrating. If the server is unreachable the
PostgreSQL tests fail (CI starts the server, so a silent skip would hide a broken setup). Run
``pytest -m "not postgres"`` to leave them out on purpose.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

# Without an installed package, ``pytest`` (unlike ``python -m pytest``) does not put the repo
# root on sys.path, and ``import store`` would find the ``tests/store`` folder instead.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from store import make_engine, metadata, new_session, upgrade  # noqa: E402

PG_URL_ENV = "ANBU_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the PostgreSQL test server")


class PgServer:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url).set(drivername="postgresql")
        self.created: list[str] = []

    def _admin(self) -> psycopg.Connection:
        conninfo = self.admin_url.render_as_string(hide_password=False)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"anbu_test_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        url = self.admin_url.set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        assert name is not None
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        if name in self.created:
            self.created.remove(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    admin_url = os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)
    server = PgServer(admin_url)
    problem = ""
    try:
        server._admin().close()
    except psycopg.OperationalError as exc:
        problem = str(exc).strip()
    if problem:
        where = server.admin_url.render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL test server unreachable at {where}: {problem}\nStart PostgreSQL "
            f"(make postgres) or point {PG_URL_ENV} at a server where this user may "
            'CREATE DATABASE; deselect with -m "not postgres" to run SQLite only.',
            pytrace=False,
        )
    yield server
    for name in list(server.created):
        url = server.admin_url.set(database=name).render_as_string(hide_password=False)
        server.drop_database(url)


@pytest.fixture(scope="session")
def pg_db_url(pg_server: PgServer) -> str:
    """The session's PostgreSQL database (migrated by ``pg_engine``)."""
    return pg_server.create_database()


@pytest.fixture(scope="session")
def pg_engine(pg_db_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """URL of a database migrated by ``engine`` (SQLite: a file per test)."""
    if backend == "sqlite":
        return f"sqlite:///{(tmp_path / 'db' / 'anbu.db').as_posix()}"
    return str(request.getfixturevalue("pg_db_url"))


@pytest.fixture
def engine(backend: str, db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated engine on an empty schema."""
    if backend == "sqlite":
        eng = make_engine(db_url)
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    pg: Engine = request.getfixturevalue("pg_engine")
    _truncate_all(pg)
    yield pg


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine``; whatever the test leaves uncommitted is rolled back."""
    s = new_session(engine)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no tables at all, for migration tests (PostgreSQL: created and dropped)."""
    if backend == "sqlite":
        yield f"sqlite:///{(tmp_path / 'empty.db').as_posix()}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)
