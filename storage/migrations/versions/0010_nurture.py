"""Nurture sequences: their steps with branches and numbers, and each member's enrollment

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 02:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
NUMBERS = ("entered", "sent", "opened", "moved_on", "left")  # each step's


def upgrade() -> None:
    op.create_table(
        "nurture",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("status", TEXT(), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("created_by_member_id", sa.Integer(), sa.ForeignKey("member.id")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "nurture_step",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nurture_id", sa.Integer(), sa.ForeignKey("nurture.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("wait_hours", sa.Integer(), nullable=False),
        sa.Column("unopened_days", sa.Integer()),
        sa.Column("partial_days", sa.Integer()),
        sa.Column("followup_content_id", sa.Integer(), sa.ForeignKey("content_item.id")),
        sa.Column("goto", sa.JSON(), nullable=False),
        *(sa.Column(n, sa.Integer(), nullable=False) for n in NUMBERS),
        sa.UniqueConstraint("nurture_id", "position"),
    )
    op.create_table(
        "enrollment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nurture_id", sa.Integer(), sa.ForeignKey("nurture.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", TEXT(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("opened", sa.Boolean(), nullable=False),
        sa.Column("retitled", sa.Boolean(), nullable=False),
        sa.Column("followed_up", sa.Boolean(), nullable=False),
        sa.Column("reason", TEXT()),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime()),
        sa.UniqueConstraint("nurture_id", "member_id"),
    )
    op.create_index("ix_enrollment_member_id", "enrollment", ["member_id"])
    op.create_index("ix_enrollment_due", "enrollment", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_enrollment_due", table_name="enrollment")
    op.drop_index("ix_enrollment_member_id", table_name="enrollment")
    op.drop_table("enrollment")
    op.drop_table("nurture_step")
    op.drop_table("nurture")
