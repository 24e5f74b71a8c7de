"""What a careful tester found: a nurture step's sends are the outbox's numbers, not a
counter of its own; each daily duty's last run is kept, so a missed one runs once later

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nurture_step") as batch:
        batch.drop_column("sent")
    op.create_table(
        "duty_run",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), primary_key=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("seconds", sa.Float()),
    )


def downgrade() -> None:
    op.drop_table("duty_run")
    with op.batch_alter_table("nurture_step") as batch:
        batch.add_column(sa.Column("sent", sa.Integer(), nullable=False, server_default="0"))
