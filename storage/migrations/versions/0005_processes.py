"""several Roost processes on one database: leases for every singleton duty and each worker's
presence, rows claimed by a named worker, inbound events handled once, forms in progress

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.rename_table("scheduler_lease", "lease")
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString()))
    # rows a worker of the old kind left in flight: `sending` meant only "claimed"
    op.execute("UPDATE delivery SET state = 'claimed' WHERE state = 'sending'")
    op.create_table(
        "handled_event",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_handled_event_at", "handled_event", ["at"])
    op.create_table(
        "form_progress",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("platform_user_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("platform", "platform_user_id"),
    )
    op.create_index("ix_form_progress_member_id", "form_progress", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_form_progress_member_id", table_name="form_progress")
    op.drop_table("form_progress")
    op.drop_index("ix_handled_event_at", table_name="handled_event")
    op.drop_table("handled_event")
    op.execute("UPDATE delivery SET state = 'sending' WHERE state = 'claimed'")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("claimed_by")
    op.rename_table("lease", "scheduler_lease")
