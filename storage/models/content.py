"""Content, the campaigns that send it, the outbox of deliveries and the fact log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.states import CampaignStatus, ContentStatus, DeliveryState
from storage.types import UTCDateTime


class ContentItem(SQLModel, table=True):
    __tablename__ = "content_item"

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # ContentKind
    body: str
    image_url: str | None = None
    link_url: str | None = None
    status: str = ContentStatus.DRAFT
    author_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class TitleVariant(SQLModel, table=True):
    __tablename__ = "title_variant"

    id: int | None = Field(default=None, primary_key=True)
    content_id: int = Field(foreign_key="content_item.id", index=True)
    position: int
    title: str


class Campaign(SQLModel, table=True):
    """One push of something to an audience; every unsolicited send belongs to one."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # declared by the feature that sends it (bot.kinds.CampaignKind)
    subject_type: str
    subject_id: int
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = CampaignStatus.DRAFT
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recurrence: str | None = None
    on_unknown: str = "skip"  # what to do with rows a crash left uncertain: skip | resend
    parent_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    sample_fraction: float | None = None  # A/B: this share first, the best title to the rest
    sample_wait_seconds: int | None = None
    winner_variant_id: int | None = Field(default=None, foreign_key="title_variant.id")
    seed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # reproducible A/B
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    launched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CampaignMember(SQLModel, table=True):
    """A member a campaign was made for by name (a nurture step's, a job alert's, a privacy
    notice's): rows, not a list in the audience, so a campaign to 100,000 listed members is
    one indexed query however many there are."""

    __tablename__ = "campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    member_id: int = Field(foreign_key="member.id", index=True)


class Delivery(SQLModel, table=True):
    """The outbox: one row per (campaign, recipient). `recipient` is `m:<member id>` for a DM
    or `c:<platform>:<chat id>` for a channel post."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "recipient"),
        Index("ix_delivery_claim", "state", "campaign_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    recipient: str
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    platform: str
    variant_id: int | None = Field(default=None, foreign_key="title_variant.id")
    state: str = DeliveryState.PENDING
    reason: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    token: str | None = Field(default=None, unique=True)  # for Read presses and tracked links
    nonce: str | None = None
    platform_message_id: str | None = None
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = None  # the worker's presence lease while `claimed` or `sending`
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Interaction(SQLModel, table=True):
    """A fact: member M did `kind` (delivered, opened, finished, clicked, voted, registered,
    attended, answered, invited, responded, applied) to a subject at a time. Every metric is a
    query over these rows."""

    __table_args__ = (Index("ix_interaction_subject", "subject_type", "subject_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    kind: str  # Fact
    subject_type: str
    subject_id: int
    variant_id: int | None = None
    platform: str
    at: datetime = Field(sa_type=UTCDateTime)


class ContentTally(SQLModel, table=True):
    """Content facts counted by the hour as they are recorded (`storage.content.tally`), so
    `/stats content` sums a few hundred rows where the fact log holds millions. A member's
    opens, finishes and clicks are facts once per item; deliveries are counted each."""

    __tablename__ = "content_tally"

    content_id: int = Field(primary_key=True)
    variant_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    facts: int = 0


class Feed(SQLModel, table=True):
    """An RSS or Atom feed HR follows: its new entries become industry news to review."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True)
    title: str | None = None
    added_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # read no more


class FeedEntry(SQLModel, table=True):
    """An entry of a feed already seen (by its id, else its link), and the draft it became."""

    __tablename__ = "feed_entry"
    __table_args__ = (UniqueConstraint("feed_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    key: str
    content_id: int | None = Field(default=None, foreign_key="content_item.id")
    at: datetime = Field(sa_type=UTCDateTime)


class PlatformPost(SQLModel, table=True):
    """Where a subject (poll, announcement, content page) was posted on a platform, so votes,
    edits and presses can be mapped back to it."""

    __tablename__ = "platform_post"
    __table_args__ = (Index("ix_platform_post_native", "platform", "native_id"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_type: str
    subject_id: int
    platform: str
    chat_id: str
    message_id: str
    native_id: str | None = None
    at: datetime = Field(sa_type=UTCDateTime)


class Lease(SQLModel, table=True):
    """Who does what among Roost processes sharing one database: a singleton duty (`scheduler`,
    `listen:telegram`, …) is done by the one process holding its lease, and a delivery
    worker's presence (`worker:<process>`) says its claimed rows are still being worked on."""

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = Field(sa_type=UTCDateTime)


class HandledEvent(SQLModel, table=True):
    """An inbound event's platform id, kept for a day: a retry that reaches any Roost process
    finds it here and is not handled again."""

    __tablename__ = "handled_event"

    key: str = Field(primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
