"""the privacy notice version each member saw or agreed to

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 19:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("privacy_version", sqlmodel.sql.sqltypes.AutoString()))
    # members already shown the notice saw the only version there was
    op.execute("UPDATE member SET privacy_version = '2026-11' WHERE privacy_notice_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.drop_column("privacy_version")
