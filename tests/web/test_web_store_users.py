"""Operators and the audit trail in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import Session

from store import audit, make_engine, metadata, upgrade, users


def test_migration_adds_operator_tables_matching_models(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            assert {"app_user", "audit_log"} <= set(inspect(conn).get_table_names())
            heads = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            assert "0002_operators" in heads
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, metadata) == []
    finally:
        engine.dispose()


def test_password_hash_is_salted_and_verifies() -> None:
    a, b = users.hash_password("s3cret"), users.hash_password("s3cret")
    assert a != b and a.startswith("scrypt$") and "s3cret" not in a
    assert users.verify_password("s3cret", a)
    assert not users.verify_password("S3cret", a)
    assert not users.verify_password("s3cret", "garbage")
    with pytest.raises(ValueError):
        users.hash_password("")


def test_create_authenticate_disable(session: Session) -> None:
    users.create_user(session, "maria", "pw-1", role="operator")
    assert users.authenticate(session, "maria", "pw-1") is not None
    assert users.authenticate(session, "maria", "wrong") is None
    assert users.authenticate(session, "nobody", "pw-1") is None
    with pytest.raises(ValueError, match="exists"):
        users.create_user(session, "maria", "x")
    with pytest.raises(ValueError, match="role"):
        users.create_user(session, "bob", "x", role="root")
    with pytest.raises(ValueError):
        users.create_user(session, "a:b", "x")
    users.set_disabled(session, "maria", True)
    assert users.authenticate(session, "maria", "pw-1") is None
    users.set_disabled(session, "maria", False)
    users.set_password(session, "maria", "pw-2")
    assert users.authenticate(session, "maria", "pw-2") is not None


def test_first_admin_only_when_no_users(session: Session) -> None:
    assert users.ensure_first_admin(session, "boot")
    assert not users.ensure_first_admin(session, "other")
    admin = users.authenticate(session, "admin", "boot")
    assert admin is not None and admin.role == "admin"
    assert users.count_users(session) == 1


def test_api_tokens_are_hashed_and_replaceable(session: Session) -> None:
    user = users.create_user(session, "api", "pw")
    token = users.issue_api_token(session, "api")
    assert token.startswith(users.TOKEN_PREFIX)
    assert user.api_token_hash != token and token not in repr(user)
    found = users.user_for_token(session, token)
    assert found is not None and found.username == "api"
    newer = users.issue_api_token(session, "api")
    assert users.user_for_token(session, token) is None
    assert users.user_for_token(session, "not-a-token") is None
    users.set_disabled(session, "api", True)
    assert users.user_for_token(session, newer) is None
    users.set_disabled(session, "api", False)
    users.revoke_api_token(session, "api")
    assert users.user_for_token(session, newer) is None


def test_audit_entries_newest_first(session: Session) -> None:
    audit.record(session, "maria", "view_call", "call:CA1")
    audit.record(session, "maria", "export_calls", "export:calls")
    audit.record(session, "bob", "view_call", "call:CA2")
    assert [e.target for e in audit.list_entries(session, actor="maria")] == [
        "export:calls",
        "call:CA1",
    ]
    assert len(audit.list_entries(session, action="view_call")) == 2
    with pytest.raises(ValueError):
        audit.record(session, "", "view_call")
