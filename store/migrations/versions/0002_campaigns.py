"""Outbound campaigns: campaign, campaign_member, call_attempt, do_not_call, webhook_delivery.

Revision ID: 0002_campaigns
Revises: 0001
Create Date: 2026-11-30

Branches from 0001 alongside other features' 0002 revisions (``store.db.upgrade`` upgrades to
every head). APScheduler's own job table is created by APScheduler, not here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_campaigns"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("script", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("days", sa.String(), nullable=False),
        sa.Column("window_start", sa.String(), nullable=False),
        sa.Column("window_end", sa.String(), nullable=False),
        sa.Column("start_date", sa.String(), nullable=True),
        sa.Column("end_date", sa.String(), nullable=True),
        sa.Column("retry_outcomes", sa.String(), nullable=False),
        sa.Column("retry_delay_minutes", sa.Integer(), nullable=False),
        sa.Column("max_attempts_per_window", sa.Integer(), nullable=False),
        sa.Column("calls_per_second", sa.Float(), nullable=False),
        sa.Column("max_concurrent", sa.Integer(), nullable=False),
        sa.Column("unreachable_after", sa.Integer(), nullable=False),
        _ts("next_dial_at", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign"),
    )
    op.create_table(
        "campaign_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("consecutive_unreached", sa.Integer(), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name="fk_campaign_member_campaign_id_campaign"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_campaign_member_person_id_person"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_member"),
        sa.UniqueConstraint(
            "campaign_id", "person_id", name="uq_campaign_member_campaign_id_person_id"
        ),
    )
    op.create_table(
        "call_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("script", sa.String(), nullable=False),
        sa.Column("to_number", sa.String(), nullable=False),
        _ts("window_start"),
        _ts("window_end"),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        _ts("due_at"),
        _ts("dial_at", nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        _ts("claimed_at", nullable=True),
        sa.Column("call_sid", sa.String(), nullable=True),
        sa.Column("answered_by", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("finished_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name="fk_call_attempt_campaign_id_campaign"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_call_attempt_person_id_person"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_call_attempt"),
        sa.UniqueConstraint("call_sid", name="uq_call_attempt_call_sid"),
        sa.UniqueConstraint(
            "campaign_id",
            "person_id",
            "window_start",
            "attempt_no",
            name="uq_call_attempt_campaign_id_person_id_window_start_attempt_no",
        ),
    )
    op.create_index("ix_call_attempt_status_due_at", "call_attempt", ["status", "due_at"])
    op.create_index("ix_call_attempt_campaign_id_status", "call_attempt", ["campaign_id", "status"])
    op.create_table(
        "do_not_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_do_not_call"),
        sa.UniqueConstraint("phone", name="uq_do_not_call_phone"),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        _ts("next_try_at"),
        sa.Column("last_error", sa.String(), nullable=True),
        _ts("created_at"),
        _ts("delivered_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name="fk_webhook_delivery_alert_id_alert"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_delivery"),
        sa.UniqueConstraint("alert_id", name="uq_webhook_delivery_alert_id"),
    )


def downgrade() -> None:
    for table in ("webhook_delivery", "do_not_call", "call_attempt", "campaign_member", "campaign"):
        op.drop_table(table)
