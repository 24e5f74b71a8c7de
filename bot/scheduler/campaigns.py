"""Launching campaigns: a schedule becomes outbox rows, and title variants are tested.

A launch makes one row per recipient (consent and the frequency cap decided then), then
splits member rows between the content's title variants with seeded randomness. With a
sample (say 20%), only the sample is sent at first; after the wait, the variant with the best
open rate goes to everyone else.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.clock import Clock
from bot.kinds import CampaignKind, Duty, Launch
from bot.segments import member_filter
from bot.settings import Settings
from storage import duties
from storage.content import NEXT_TITLE, titles_sent
from storage.db import Database
from storage.members import ConsentKind
from storage.models import Campaign, Delivery, Interaction, TitleVariant
from storage.models.states import CampaignStatus, DeliveryState, Fact
from storage.outbox import ASKED, Recipients, enqueue

log = logging.getLogger("roost.campaigns")


class Campaigns:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        communities: Callable[[], Mapping[str, str | None]],
        wake: Callable[[], None],
        kinds: Mapping[str, CampaignKind],
        duties: Mapping[str, Duty] | None = None,
    ) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self.communities, self.wake, self.kinds = communities, wake, kinds
        self.duties = duties or {}
        self.later: Callable[[int, datetime], None] = lambda _id, _at: None  # set by the scheduler

    async def run_duty(self, name: str) -> list[int]:
        """A feature's daily duty, committed with the record that it ran, then the campaigns it
        made launched; their runs."""
        duty = self.duties[name]
        began, started_at = time.perf_counter(), self.clock.now()
        async with self.db.session() as session:
            await duties.started(session, name, started_at)
            await session.commit()
        async with self.db.session() as session:
            signals = await duty.run(session, started_at, self.settings)
            took = time.perf_counter() - began
            await duties.finished(session, name, self.clock.now(), took)
            await session.commit()
        runs = []
        for signal in signals:
            if isinstance(signal, Launch) and (run := await self.launch(signal.campaign_id)):
                runs.append(run)
        return runs

    async def launch(self, campaign_id: int) -> int | None:
        """Make the rows of a campaign (of one run, for a recurring one); its run's id."""
        async with self.db.session() as session:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None or campaign.status in (
                CampaignStatus.CANCELLED,
                CampaignStatus.DONE,
                CampaignStatus.SENDING,
            ):
                return None
            if campaign.kind not in self.kinds:  # its feature is gone: say so, send nothing
                log.warning("campaign %s: no feature sends kind %r", campaign.id, campaign.kind)
                return None
            now = self.clock.now()
            run = campaign
            if campaign.recurrence:
                runs = (
                    await session.exec(
                        select(func.count()).where(Campaign.parent_id == campaign.id)
                    )
                ).one()
                run = Campaign(
                    kind=campaign.kind,
                    subject_type=campaign.subject_type,
                    subject_id=campaign.subject_id,
                    audience=campaign.audience,
                    on_unknown=campaign.on_unknown,
                    parent_id=campaign.id,
                    sample_fraction=campaign.sample_fraction,
                    sample_wait_seconds=campaign.sample_wait_seconds,
                    seed=campaign.seed + runs,
                    created_at=now,
                )
                session.add(run)
                await session.flush()
            assert run.id is not None
            kind = self.kinds[run.kind]
            if kind.solicited:  # kept with the campaign: the cap never counts these
                run.audience = {**run.audience, "consent": ASKED}
            audience = run.audience
            communities = self.communities()
            launching = await kind.launching(session, run, now, self.settings)
            recipients = Recipients(
                channels=[(p, c) for p, c in communities.items() if c]
                if audience.get("channels")
                else (),
                members=member_filter(audience) if audience.get("dm") else None,
                consent=None if kind.solicited else ConsentKind(audience.get("consent", "news")),
                exclude=launching.exclude,
            )
            outbox = self.settings.outbox
            await enqueue(
                session,
                run.id,
                recipients,
                now=now,
                cap=outbox.frequency_cap,
                cap_window=timedelta(days=outbox.cap_days),
                held=True,
            )
            if launching.after is not None:
                await launching.after(session, run.id)
            await self._assign_variants(session, run, titled=kind.titled)
            run.status, run.launched_at = CampaignStatus.SENDING, now
            await session.commit()
            run_id = run.id
            wait = run.sample_fraction is not None and run.sample_wait_seconds
        self.wake()
        if wait:
            self.later(run_id, now + timedelta(seconds=run.sample_wait_seconds or 0))
        return run_id

    async def _assign_variants(self, session: Any, run: Campaign, *, titled: bool) -> None:
        variants = (
            list(
                await session.exec(
                    select(TitleVariant.id)
                    .where(TitleVariant.content_id == run.subject_id)
                    .order_by(col(TitleVariant.position))
                )
            )
            if titled
            else []
        )
        rows = list(
            await session.exec(
                select(Delivery)
                .where(Delivery.campaign_id == run.id, Delivery.state == DeliveryState.HELD)
                .order_by(col(Delivery.id))
            )
        )
        members = [r for r in rows if r.member_id is not None]
        random.Random(run.seed).shuffle(members)
        sample = (
            len(members)
            if run.sample_fraction is None
            else math.ceil(len(members) * run.sample_fraction)
        )
        again = run.audience.get("title") == NEXT_TITLE  # a nurture's second try
        sent = (
            await titles_sent(session, run.subject_id, [r.member_id or 0 for r in members])
            if again and variants
            else {}
        )
        for i, row in enumerate(members[:sample]):
            index = i
            if row.member_id in sent and sent[row.member_id] in variants:
                index = variants.index(sent[row.member_id]) + 1  # the title after theirs
            row.variant_id, row.state = (
                variants[index % len(variants)] if variants else None,
                DeliveryState.PENDING,
            )
        for row in rows:
            if row.member_id is None:  # a channel post is one message for all: the first title
                row.variant_id, row.state = variants[0] if variants else None, DeliveryState.PENDING

    async def choose_winner(self, run_id: int) -> int | None:
        """After the sample's wait: the title with the best open rate goes to the rest."""
        async with self.db.session() as session:
            run = await session.get(Campaign, run_id)
            if run is None or run.status == CampaignStatus.CANCELLED:
                return None
            rates = await open_rates(session, run)
            winner = max(rates, key=lambda v: (rates[v], -v)) if rates else None
            held = await session.exec(
                select(Delivery).where(
                    Delivery.campaign_id == run_id, Delivery.state == DeliveryState.HELD
                )
            )
            for row in held:
                row.variant_id, row.state = winner, DeliveryState.PENDING
            run.winner_variant_id = winner
            await session.commit()
        self.wake()
        return winner


async def open_rates(session: Any, run: Campaign) -> dict[int, float]:
    """Per title variant of a run's sent member rows: the share whose member opened."""
    sent = list(
        await session.exec(
            select(Delivery.member_id, Delivery.variant_id).where(
                Delivery.campaign_id == run.id,
                Delivery.state == DeliveryState.SENT,
                col(Delivery.member_id).is_not(None),
            )
        )
    )
    opened = set(
        await session.exec(
            select(Interaction.member_id, Interaction.variant_id).where(
                Interaction.kind == Fact.OPENED,
                Interaction.subject_type == run.subject_type,
                Interaction.subject_id == run.subject_id,
            )
        )
    )
    by_variant: dict[int, list[bool]] = {}
    for member, variant in sent:
        if variant is not None:
            by_variant.setdefault(variant, []).append((member, variant) in opened)
    return {v: sum(hits) / len(hits) for v, hits in by_variant.items()}
