"""HR's reports at a million members: content facts counted by the hour as they are recorded;
each member's current consent on the member row; the invited member's source on the
invitation; an index for members by source. Each filled once here from what is there

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
KINDS = ("news", "jobs")  # of consent, as they were at this revision


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
    with op.batch_alter_table("member") as batch:
        for kind in KINDS:
            batch.add_column(
                sa.Column(
                    f"consent_{kind}", sa.Boolean(), nullable=False, server_default=sa.false()
                )
            )
        batch.create_index(
            "ix_member_source", ["first_source", "erased_at", "last_active_at"], unique=False
        )
    for kind in KINDS:
        op.execute(
            f"UPDATE member SET consent_{kind} = COALESCE((SELECT granted FROM consent"
            f" WHERE consent.member_id = member.id AND consent.kind = '{kind}'"
            " ORDER BY consent.id DESC LIMIT 1), false)"
        )
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("source", sqlmodel.sql.sqltypes.AutoString()))
        batch.create_index(
            "ix_invitation_source", ["source", "member_id", "applied_at"], unique=False
        )
    op.execute(
        "UPDATE invitation SET source = (SELECT first_source FROM member"
        " WHERE member.id = invitation.member_id AND member.erased_at IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("invitation") as batch:
        batch.drop_index("ix_invitation_source")
        batch.drop_column("source")
    with op.batch_alter_table("member") as batch:
        batch.drop_index("ix_member_source")
        for kind in KINDS:
            batch.drop_column(f"consent_{kind}")
    op.drop_table("content_tally")
