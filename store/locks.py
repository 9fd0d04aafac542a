"""Serialise writers that must read, decide and then write (e.g. "is there still room?").

:func:`take_lock` upserts a named row in ``store_lock``. Writing that row

* on PostgreSQL takes its row lock until the transaction ends, so a second booking waits, and
  (at the default READ COMMITTED isolation) its later queries see the first booking once it
  commits — the same effect as ``SELECT ... FOR UPDATE`` on a lock row or a transaction-level
  advisory lock, with the row created on first use;
* on SQLite is the first write of the transaction, which takes the database's single write lock
  (waiting up to ``busy_timeout``) before anything is read — the semantics of ``BEGIN
  IMMEDIATE``. The ``sqlite3`` module opens the transaction right before this statement, so no
  stale read snapshot can precede it. If the session already wrote, it already holds the lock.

The lock lasts until the caller commits or rolls back, so callers keep such transactions short.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

_UPSERT = text(
    "INSERT INTO store_lock (name, version) VALUES (:name, 1) "
    "ON CONFLICT (name) DO UPDATE SET version = store_lock.version + 1"
)


def take_lock(session: Session, name: str) -> None:
    """Hold the named lock until ``session``'s transaction ends."""
    session.execute(_UPSERT, {"name": name})
