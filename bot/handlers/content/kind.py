"""Content as a campaign kind: what a push says (a title, a teaser, Read), how HR reads its
subject, and where its tracked Source link leads."""

from __future__ import annotations

from datetime import datetime

from bot.handlers.content.reading import Read
from bot.kinds import CampaignKind, Render, Subject
from bot.messages import ActionButton, Image, LinkButton, Message, Style
from bot.parsing import web_link
from storage.content import KINDS, record, variants
from storage.db import Session
from storage.models import Campaign, ContentItem, Delivery
from storage.models.states import Fact


class ContentComposer:
    """What a content campaign's row says: a title, a teaser, Read (and links)."""

    def __init__(self, teaser_chars: int, public_url: str) -> None:
        self.teaser_chars, self.public_url = teaser_chars, public_url.rstrip("/")

    async def __call__(self, session: Session, _campaign: Campaign, item: ContentItem) -> Render:
        """The item's titles, once; each row then costs no database work."""
        titles = {v.id: v.title for v in await variants(session, item.id or 0)}
        first = next(iter(titles.values()), "")
        teaser = (
            item.body
            if len(item.body) <= self.teaser_chars
            else item.body[: self.teaser_chars].rsplit(" ", 1)[0] + "…"
        )
        body, url = f"_{KINDS[item.kind]}_\n{teaser}", self.public_url

        def message(row: Delivery) -> Message:
            title = titles.get(row.variant_id, first)
            buttons: list[ActionButton | LinkButton] = [
                Read(row.token or "").button("Read", Style.PRIMARY),
                LinkButton("Open in browser", f"{url}/a/{row.token}"),
            ]
            if item.link_url:
                buttons.append(LinkButton("Source", f"{url}/r/{row.token}"))
            image = Image(url=item.image_url, alt=title) if item.image_url else None
            return Message(title=title, body=body, buttons=tuple(buttons), image=image)

        return message


async def title_of(session: Session, item: ContentItem) -> str:
    titles = await variants(session, item.id or 0)
    return titles[0].title if titles else f"#{item.id}"


async def followed(
    session: Session, row: Delivery, campaign: Campaign, now: datetime
) -> str | None:
    """The Source link of a push was followed: a click (and an open), then on to the source."""
    item = await session.get(ContentItem, campaign.subject_id)
    if item is None or not item.link_url or not web_link(item.link_url):
        return None
    for fact in (Fact.CLICKED, Fact.OPENED):
        await record(session, row.member_id, fact, item.id or 0, row.variant_id, row.platform,
                     now, once=row.member_id is not None)  # fmt: skip
    return item.link_url


CONTENT = CampaignKind(
    "content",
    Subject("content", ContentItem, title_of),
    lambda s: ContentComposer(s.content.teaser_chars, s.web.public_url),
    label="content push",
    titled=True,
    followed=followed,
)
