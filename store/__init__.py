"""Anbu's data layer: tables, migrations, sessions and the functions that read and write them.

Repository functions live in ``store.calls``, ``store.people``, ``store.reservations``,
``store.alerts`` and ``store.optouts``; each takes a session and flushes but leaves committing to
the caller, who commits after every turn.
"""

from store.db import make_engine, new_session, session_factory, session_scope, upgrade
from store.models import (
    Alert,
    Answer,
    Call,
    OptOut,
    Person,
    Reservation,
    StoreLock,
    Turn,
    metadata,
)
from store.people import AnswerSnapshot

__all__ = [
    "Alert",
    "Answer",
    "AnswerSnapshot",
    "Call",
    "OptOut",
    "Person",
    "Reservation",
    "StoreLock",
    "Turn",
    "make_engine",
    "metadata",
    "new_session",
    "session_factory",
    "session_scope",
    "upgrade",
]
