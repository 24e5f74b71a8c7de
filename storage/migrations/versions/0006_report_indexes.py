"""indexes for HR's reports at scale: a member's latest consent per kind in one probe

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 00:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_consent_latest", "consent", ["member_id", "kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_consent_latest", table_name="consent")
