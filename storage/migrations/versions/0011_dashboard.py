"""The HR dashboard: sign-in links and sessions (hashes only), and each account's platform roles
as its last event said, to check `[roles]` against on every request

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("identity") as batch:
        batch.add_column(
            sa.Column("platform_roles", sa.JSON(), nullable=False, server_default="[]")
        )
    op.create_table(
        "web_session",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("csrf", sqlmodel.sql.sqltypes.AutoString()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime()),
        sa.Column("revoked_at", UTCDateTime()),
    )
    op.create_index("ix_web_session_member_id", "web_session", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_web_session_member_id", table_name="web_session")
    op.drop_table("web_session")
    with op.batch_alter_table("identity") as batch:
        batch.drop_column("platform_roles")
