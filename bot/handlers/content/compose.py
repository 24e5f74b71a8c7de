"""HR composes, reviews, previews, edits and schedules content; employees share their stories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.events import CommandInvoked, FormSubmitted
from bot.handlers.content.kind import CONTENT, ContentComposer
from bot.handlers.content.reading import pages
from bot.kinds import Launch, Reschedule
from bot.messages import FieldKind, Form, FormField, Message, MessageField
from bot.parsing import bounded, duration, ident, options, web_link, whole
from bot.router import UsageError
from bot.scheduler.triggers import WhenError, next_run, parse_when
from bot.segments import FILTER_KEYS, nobody_in, parse_filter, size
from bot.settings import Settings
from storage.campaigns import Audience
from storage.content import KINDS, has_gone_out, latest_items, variants
from storage.models import ContentItem, Delivery, TitleVariant
from storage.models.states import CampaignStatus, ContentStatus

COMPOSE = Form(
    id="content.compose",
    title="Compose content",
    fields=(
        FormField("kind", "Kind", FieldKind.CHOICE, tuple(KINDS)),
        FormField("title", "Title", max_length=150),
        FormField("title_b", "Another title to test (optional)", required=False, max_length=150),
        FormField("title_c", "A third title to test (optional)", required=False, max_length=150),
        FormField(
            "body",
            "Text (Markdown: `**bold**`, `_italic_`, `[a link](https://…)`)",
            FieldKind.LONG_TEXT,
            max_length=6000,
        ),
        FormField(
            "link", "Link to the source (optional)", FieldKind.LINK, required=False, max_length=500
        ),
        FormField(
            "image",
            "Image address, https://… (optional)",
            FieldKind.LINK,
            required=False,
            max_length=500,
        ),
    ),
    submit_label="Save",
)
SHARE = Form(
    id="content.share",
    title="Share your story",
    intro="Tell candidates what working here is like. HR reviews every story before it goes out.",
    fields=(
        FormField("title", "A title for your story", max_length=150),
        FormField("body", "Your story", FieldKind.LONG_TEXT, max_length=6000),
    ),
    submit_label="Send to HR",
)


async def compose(ctx: Context[CommandInvoked]) -> None:
    ctx.ask(COMPOSE)


async def composed(ctx: Context[FormSubmitted]) -> None:
    values = ctx.event.values
    item = ContentItem(
        kind=values["kind"],
        body=values["body"],
        link_url=values["link"] or None,
        image_url=values["image"] or None,
        status=ContentStatus.APPROVED,
        author_member_id=ctx.member.id,
        created_at=ctx.now,
    )
    await _save(ctx, item, [values["title"], values["title_b"], values["title_c"]])
    ctx.audit("content.compose", content=item.id)
    ctx.dm(
        f"Saved as content #{item.id}. {ctx.cmd('preview', str(item.id))} shows it as members "
        f"will see it; {ctx.cmd('schedule', f'{item.id} now')} sends it."
    )


async def _save(ctx: Context[Any], item: ContentItem, titles: list[str]) -> None:
    ctx.session.add(item)
    await ctx.session.flush()
    assert item.id is not None
    for position, title in enumerate(t for t in titles if t):
        ctx.session.add(TitleVariant(content_id=item.id, position=position, title=title))
    await ctx.session.flush()


async def share(ctx: Context[CommandInvoked]) -> None:
    ctx.ask(SHARE)


async def shared(ctx: Context[FormSubmitted]) -> None:
    item = ContentItem(
        kind="employee_voice",
        body=ctx.event.values["body"],
        status=ContentStatus.PENDING_APPROVAL,
        author_member_id=ctx.member.id,
        created_at=ctx.now,
    )
    await _save(ctx, item, [ctx.event.values["title"]])
    ctx.dm(f"Thank you! Your story is #{item.id}; HR will review it before it is shared.")


async def _item(ctx: Context[CommandInvoked]) -> ContentItem | None:
    number = ident(ctx.args["content"])
    item = await ctx.session.get(ContentItem, number) if number else None
    if item is None:
        ctx.reply(
            f"There is no content {ctx.args['content'][:20]}. {ctx.cmd('content')} lists it all."
        )
    return item


async def review(ctx: Context[CommandInvoked]) -> None:
    item = await _item(ctx)
    if item is None:
        return
    if item.status != ContentStatus.PENDING_APPROVAL:
        ctx.reply(f"Content #{item.id} is {item.status.replace('_', ' ')}, not waiting for review.")
        return
    approve = ctx.event.name == "approve"
    item.status = ContentStatus.APPROVED if approve else ContentStatus.DECLINED
    ctx.audit(f"content.{item.status}", content=item.id)
    ctx.reply(f"Content #{item.id} {item.status}.")


async def preview(ctx: Context[CommandInvoked]) -> None:
    """The push exactly as a member gets it here, then how it shows on every platform."""
    item = await _item(ctx)
    if item is None:
        return
    settings = ctx.settings
    composer = ContentComposer(settings.content.teaser_chars, settings.web.public_url)
    campaign = CONTENT.campaign(item.id or 0, Audience(), ctx.now)
    pushed = (await composer(ctx.session, campaign, item))(
        Delivery(campaign_id=0, recipient="preview", platform=ctx.platform, token="preview")
    )
    titles = await variants(ctx.session, item.id or 0)
    texts = pages(item.body, settings.content.page_chars)
    ctx.dm(pushed)
    shown = ctx.describe(pushed) if ctx.describe else {}
    ctx.dm(
        Message(
            title=f"Preview of content #{item.id}",
            body=f"Above, as members get it here. Read opens {len(texts)} "
            f"page{'s' * (len(texts) != 1)}; status: {item.status}.",
            fields=(
                MessageField("Titles tested", " | ".join(t.title for t in titles), inline=False),
                *(MessageField(p.title(), text, inline=False) for p, text in shown.items()),
            ),
        )
    )


async def listing(ctx: Context[CommandInvoked]) -> None:
    items = await latest_items(ctx.session)
    if not items:
        ctx.reply(f"No content yet. {ctx.cmd('compose')} writes some.")
        return
    lines = []
    for item in items:
        titles = await variants(ctx.session, item.id or 0)
        lines.append(
            f"#{item.id} {KINDS[item.kind]} · {titles[0].title if titles else '?'} · "
            f"{item.status.replace('_', ' ')}"
        )
    ctx.reply(Message(title="Content", body="\n".join(lines)))


async def edit(ctx: Context[CommandInvoked]) -> None:
    item = await _item(ctx)
    if item is None:
        return
    if await has_gone_out(ctx.session, item.id or 0):
        ctx.reply(
            f"Content #{item.id} has already gone out, so it can't change. Compose a new one."
        )
        return
    field, value = ctx.args["field"], ctx.args["value"]
    spec = next(f for f in COMPOSE.fields if f.name == field)
    value = bounded(value, spec.label.split(" (")[0], spec.max_length)
    if field == "body":
        item.body = value
    elif field == "link":
        if not web_link(value):
            ctx.refuse("That is not a web address (one starting https://); nothing was changed.")
            return
        item.link_url = value
    else:
        position = {"title": 0, "title_b": 1, "title_c": 2}[field]
        titles = await variants(ctx.session, item.id or 0)
        if position < len(titles):
            titles[position].title = value
        else:
            ctx.session.add(
                TitleVariant(content_id=item.id or 0, position=len(titles), title=value)
            )
    ctx.audit("content.edit", content=item.id, field=field)
    ctx.reply(f"Content #{item.id}: {field} changed.")


@dataclass(frozen=True)
class Push:
    """A `/schedule` as HR typed it: when, to whom, and the title test (a share first, the
    best title after the wait)."""

    when: str
    audience: Audience
    named: str  # the segment as typed, to say it back
    sample: tuple[float, int] | None = None  # (share, seconds to wait)


def parse_schedule(text: str, settings: Settings | None = None) -> Push:
    """`every mon 09:00 to=dm function=engineering sample=20% wait=2h`."""
    given, words = options(text, ("to", "sample", "wait", *FILTER_KEYS))
    channels = dm = True
    if "to" in given:
        targets = set(given.pop("to").lower().split(","))
        if not targets <= {"channels", "dm"}:
            raise UsageError("to= takes channels, dm or channels,dm")
        channels, dm = "channels" in targets, "dm" in targets
    sample, wait = given.pop("sample", None), given.pop("wait", "2h")
    named = " ".join(f"{k}={v}" for k, v in given.items())
    audience = Audience(channels=channels, dm=dm, segment=parse_filter(named, settings))
    test = None
    if sample is not None:
        share = whole(sample.removesuffix("%"), "sample= takes a share such as 20%: it", 1, 99)
        pause = duration(wait, "wait=", longest=timedelta(days=30))
        test = (share / 100, int(pause.total_seconds()))
    return Push(" ".join(words), audience, named, test)


async def schedule(ctx: Context[CommandInvoked]) -> None:
    item = await _item(ctx)
    if item is None:
        return
    if item.status != ContentStatus.APPROVED:
        state = item.status.replace("_", " ")
        ctx.reply(f"Content #{item.id} is {state}; only approved content goes out.")
        return
    tz = ctx.settings.community.timezone
    try:
        push = parse_schedule(ctx.args.get("when", ""), ctx.settings)
        at, rule = parse_when(push.when, tz, ctx.now)
    except (UsageError, WhenError) as exc:
        example = ctx.cmd("schedule", f"{item.id} every mon 09:00 to=dm function=engineering")
        ctx.refuse(f"Hmm, {exc}. Example: `{example}`")
        return
    audience, named = push.audience, push.named
    if audience.dm and not audience.channels and await nobody_in(ctx, audience.segment, named):
        return
    nobody = bool(named and audience.dm) and not await size(ctx, audience.segment)
    note = f" No member matches {named[:80]} yet: only the channels get it." if nobody else ""
    campaign = CONTENT.campaign(
        item.id or 0,
        audience,
        ctx.now,
        status=CampaignStatus.SCHEDULED,
        scheduled_at=at,
        recurrence=rule,
        created_by_member_id=ctx.member.id,
        seed=ctx.now.microsecond,
        sample_fraction=push.sample[0] if push.sample else None,
        sample_wait_seconds=push.sample[1] if push.sample else None,
    )
    ctx.session.add(campaign)
    await ctx.session.flush()
    assert campaign.id is not None
    ctx.audit("content.schedule", content=item.id, campaign=campaign.id)
    first = next_run(at, rule, tz, ctx.now) if (rule or (at and at > ctx.now)) else None
    if first is None:
        ctx.signal(Launch(campaign.id))
        ctx.reply(f"Campaign #{campaign.id}: content #{item.id} is going out now.{note}")
    else:
        ctx.signal(Reschedule())
        shown = first.astimezone(ZoneInfo(tz)).strftime("%a %d %b %Y %H:%M")
        ctx.reply(
            f"Campaign #{campaign.id}: content #{item.id} goes out {shown} ({tz})"
            f"{' and then ' + rule if rule else ''}.{note}"
        )
