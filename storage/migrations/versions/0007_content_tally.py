"""Content facts counted by the hour as they are recorded, so `/stats content` reads a few
hundred tally rows instead of every fact; counted once here from the facts so far

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_tally",
        sa.Column("content_id", sa.Integer(), primary_key=True),
        sa.Column("variant_id", sa.Integer(), primary_key=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), primary_key=True),
        sa.Column("hour", UTCDateTime(), primary_key=True),
        sa.Column("facts", sa.Integer(), nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    hour = "date_trunc('hour', at)" if postgres else "strftime('%Y-%m-%d %H:00:00.000000', at)"
    op.execute(
        "INSERT INTO content_tally (content_id, variant_id, kind, hour, facts)"
        f" SELECT subject_id, variant_id, kind, {hour}, count(*) FROM interaction"
        " WHERE subject_type = 'content' AND member_id IS NOT NULL"
        f" AND variant_id IS NOT NULL GROUP BY subject_id, variant_id, kind, {hour}"
    )


def downgrade() -> None:
    op.drop_table("content_tally")
