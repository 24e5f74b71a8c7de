"""One person across platforms: when each account was last used, the platform a member wants
campaigns on, their engagement score, and HR's notes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 02:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("identity") as batch:
        batch.add_column(sa.Column("last_seen_at", UTCDateTime()))
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("preferred_platform", sqlmodel.sql.sqltypes.AutoString()))
        batch.add_column(sa.Column("engagement", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "member_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("author_member_id", sa.Integer(), sa.ForeignKey("member.id")),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_member_note_member_id", "member_note", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_member_note_member_id", table_name="member_note")
    op.drop_table("member_note")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("engagement")
        batch.drop_column("preferred_platform")
    with op.batch_alter_table("identity") as batch:
        batch.drop_column("last_seen_at")
