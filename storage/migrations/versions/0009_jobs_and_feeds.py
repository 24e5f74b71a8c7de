"""Jobs members find themselves: alerts for new jobs, jobs imported from an applicant
tracking system's board (their id there), and when a Not now came back; the RSS and Atom
feeds HR follows, and the entries already seen

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString()))
        batch.create_unique_constraint("uq_job_external_id", ["external_id"])
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("came_back_at", UTCDateTime()))
    op.create_table(
        "job_alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("function", sqlmodel.sql.sqltypes.AutoString()),
        sa.Column("seniority", sqlmodel.sql.sqltypes.AutoString()),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_job_alert_member_id", "job_alert", ["member_id"])
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString()),
        sa.Column("added_by_member_id", sa.Integer(), sa.ForeignKey("member.id")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("checked_at", UTCDateTime()),
        sa.UniqueConstraint("url"),
    )
    op.create_table(
        "feed_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feed.id"), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("content_id", sa.Integer(), sa.ForeignKey("content_item.id")),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("feed_id", "key"),
    )
    op.create_index("ix_feed_entry_feed_id", "feed_entry", ["feed_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_entry_feed_id", table_name="feed_entry")
    op.drop_table("feed_entry")
    op.drop_table("feed")
    op.drop_index("ix_job_alert_member_id", table_name="job_alert")
    op.drop_table("job_alert")
    with op.batch_alter_table("invitation") as batch:
        batch.drop_column("came_back_at")
    with op.batch_alter_table("job") as batch:
        batch.drop_constraint("uq_job_external_id", type_="unique")
        batch.drop_column("external_id")
