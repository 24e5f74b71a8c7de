"""What a careful tester found: a nurture step's sends are the outbox's numbers, not a
counter of its own; each daily duty's last run is kept, so a missed one runs once later; a
member chooses the account messages reach (two accounts may be on one platform); a removed
feed is marked, not renamed; a campaign's members are rows (`campaign_member`), not a list in
its audience that PostgreSQL could not take past 32,767 members

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
        "campaign_member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.UniqueConstraint("campaign_id", "member_id"),
    )
    op.create_index("ix_campaign_member_member_id", "campaign_member", ["member_id"])
    _listed_members_become_rows()
    op.create_table(
        "duty_run",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), primary_key=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("seconds", sa.Float()),
    )


def _listed_members_become_rows() -> None:
    """Campaigns that kept their members as a list (`filter.member_ids`) list them as rows."""
    conn = op.get_bind()
    campaigns = sa.table("campaign", sa.column("id"), sa.column("audience", sa.JSON()))
    listed = sa.table("campaign_member", sa.column("campaign_id"), sa.column("member_id"))
    for campaign_id, audience in conn.execute(sa.select(campaigns.c.id, campaigns.c.audience)):
        members = ((audience or {}).get("filter") or {}).pop("member_ids", None)
        if members is None:
            continue
        audience["filter"]["listed"] = campaign_id
        conn.execute(
            campaigns.update().where(campaigns.c.id == campaign_id).values(audience=audience)
        )
        if members:
            conn.execute(
                listed.insert(),
                [{"campaign_id": campaign_id, "member_id": m} for m in dict.fromkeys(members)],
            )


def downgrade() -> None:
    op.drop_table("duty_run")
    op.drop_index("ix_campaign_member_member_id", table_name="campaign_member")
    op.drop_table("campaign_member")
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
