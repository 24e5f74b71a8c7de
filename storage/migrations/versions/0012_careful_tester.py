"""What a careful tester found: a nurture step's sends are the outbox's numbers, not a
counter of its own; each daily duty's last run is kept, so a missed one runs once later; a
member chooses the account messages reach (two accounts may be on one platform); a removed
feed is marked, not renamed

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
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("preferred_identity_id", sa.Integer()))
    op.execute(
        "UPDATE member SET preferred_identity_id = (SELECT identity.id FROM identity "
        "WHERE identity.member_id = member.id AND identity.platform = member.preferred_platform "
        "ORDER BY identity.last_seen_at DESC, identity.id DESC LIMIT 1) "
        "WHERE preferred_platform IS NOT NULL"
    )
    with op.batch_alter_table("member") as batch:
        batch.drop_column("preferred_platform")
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("removed_at", UTCDateTime()))
    op.execute(  # feeds removed as `removed:<id>:<url>` get their address back
        "UPDATE feed SET removed_at = created_at, "
        "url = substr(url, length('removed:' || id || ':') + 1) WHERE url LIKE 'removed:%'"
    )
    op.create_table(
        "duty_run",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), primary_key=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("seconds", sa.Float()),
    )


def downgrade() -> None:
    op.drop_table("duty_run")
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("removed_at")
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("preferred_platform", sqlmodel.sql.sqltypes.AutoString()))
    op.execute(
        "UPDATE member SET preferred_platform = (SELECT platform FROM identity "
        "WHERE identity.id = member.preferred_identity_id)"
    )
    with op.batch_alter_table("member") as batch:
        batch.drop_column("preferred_identity_id")
    with op.batch_alter_table("nurture_step") as batch:
        batch.add_column(sa.Column("sent", sa.Integer(), nullable=False, server_default="0"))
