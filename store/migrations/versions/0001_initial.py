"""Initial schema: person, call, turn, answer, reservation, alert, opt_out, store_lock.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Hand-checked against ``store.models`` (``tests/store/test_migrations.py`` compares them). Column
types are plain SQLAlchemy types on purpose: ``UTCDateTime`` is ``DateTime(timezone=True)`` plus
Python-side conversion and SQLModel's ``AutoString`` is an unbounded ``VARCHAR``. Constraint names
follow ``store.models.NAMING_CONVENTION``. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_person"),
        sa.UniqueConstraint("phone", name="uq_person_phone"),
    )
    op.create_table(
        "store_lock",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_store_lock"),
    )
    op.create_table(
        "call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(), nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("line", sa.String(), nullable=False),
        sa.Column("script", sa.String(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("from_number", sa.String(), nullable=False),
        sa.Column("to_number", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        _ts("started_at"),
        _ts("answered_at", nullable=True),
        _ts("ended_at", nullable=True),
        sa.Column("dialog_state", sa.JSON(), nullable=True),
        sa.Column("recording_path", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("last_status_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_call_person_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_call"),
        sa.UniqueConstraint("call_sid", name="uq_call_call_sid"),
    )
    op.create_index("ix_call_person_id_started_at", "call", ["person_id", "started_at"])
    op.create_table(
        "opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_opt_out_person_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_opt_out"),
        sa.UniqueConstraint("phone", name="uq_opt_out_phone"),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        _ts("acknowledged_at", nullable=True),
        sa.Column("resolved_by", sa.String(), nullable=True),
        _ts("resolved_at", nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name="fk_alert_call_id_call"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_alert_person_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_alert"),
    )
    op.create_index("ix_alert_created_at", "alert", ["created_at"])
    op.create_index("ix_alert_status_severity", "alert", ["status", "severity"])
    op.create_table(
        "reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        _ts("starts_at"),
        _ts("ends_at"),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name="fk_reservation_call_id_call"),
        sa.PrimaryKeyConstraint("id", name="pk_reservation"),
    )
    op.create_index("ix_reservation_phone", "reservation", ["phone"])
    op.create_index("ix_reservation_starts_at", "reservation", ["starts_at"])
    op.create_table(
        "turn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        _ts("started_at"),
        _ts("ended_at", nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name="fk_turn_call_id_call"),
        sa.PrimaryKeyConstraint("id", name="pk_turn"),
        sa.UniqueConstraint("call_id", "seq", name="uq_turn_call_id_seq"),
    )
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("turn_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("raw_text", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name="fk_answer_call_id_call"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_answer_person_id_person"),
        sa.ForeignKeyConstraint(["turn_id"], ["turn.id"], name="fk_answer_turn_id_turn"),
        sa.PrimaryKeyConstraint("id", name="pk_answer"),
    )
    op.create_index("ix_answer_call_id", "answer", ["call_id"])
    op.create_index(
        "ix_answer_person_id_key_created_at", "answer", ["person_id", "key", "created_at"]
    )


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes on both backends.
    children_first = ("answer", "turn", "reservation", "alert", "opt_out", "call", "store_lock")
    for table in (*children_first, "person"):
        op.drop_table(table)
