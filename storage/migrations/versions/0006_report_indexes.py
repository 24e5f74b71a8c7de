"""HR's reports at scale: a member's latest consent per kind in one index probe, and the source
of their first touch kept on the member, so reports by source read one table

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 00:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_consent_latest", "consent", ["member_id", "kind", "id"])
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("first_source", sqlmodel.sql.sqltypes.AutoString()))
    op.execute(
        "UPDATE member SET first_source = (SELECT source FROM member_join"
        " WHERE member_join.member_id = member.id AND member_join.first_touch"
        " ORDER BY member_join.id LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.drop_column("first_source")
    op.drop_index("ix_consent_latest", table_name="consent")
