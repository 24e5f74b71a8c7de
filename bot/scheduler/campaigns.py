"""Launching campaigns: a schedule becomes outbox rows, and title variants are tested.

A launch makes one row per recipient (consent and the frequency cap decided then), each
written once with its state and title: member rows are split between the content's title
variants with seeded randomness. With a sample (say 20%), only the sample is sent at first;
the launch says when the variant with the best open rate is to go to everyone else.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot.clock import Clock
from bot.kinds import CampaignKind, Duty, Launch
from bot.settings import Settings
from storage import duties
from storage.campaigns import ASKED, Audience, settle
from storage.content import NEXT_TITLE
from storage.db import Database, Session
from storage.members import ConsentKind
from storage.models import Campaign, Delivery, Interaction, TitleVariant
from storage.models.states import CampaignStatus, DeliveryState, Fact
from storage.outbox import Recipients, Titles, enqueue

log = logging.getLogger("roost.campaigns")


@dataclass(frozen=True, slots=True)
class Launched:
    """A run whose rows exist, and when its title test is to be decided (if it has one)."""

    run_id: int
    decide_at: datetime | None = None


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

    async def run_duty(self, name: str) -> list[Launched]:
        """A feature's daily duty, committed with the record that it ran, then the campaigns it
        made launched."""
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

    async def launch(self, campaign_id: int) -> Launched | None:
        """Make the rows of a campaign (of one run, for a recurring one)."""
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
            run = await self._run_of(session, campaign, now)
            assert run.id is not None
            kind = self.kinds[run.kind]
            audience = Audience.of(run.audience)
            if kind.solicited and audience.consent != ASKED:  # so the cap never counts them
                audience = dataclasses.replace(audience, consent=ASKED)
                run.audience = audience.stored()
            communities = self.communities()
            launching = await kind.launching(session, run, now, self.settings)
            recipients = Recipients(
                channels=[(p, c) for p, c in communities.items() if c] if audience.channels else (),
                members=audience.members() if audience.dm else None,
                consent=None if kind.solicited else ConsentKind(audience.consent),
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
                titles=await _titles(session, run, audience) if kind.titled else None,
            )
            if launching.after is not None:
                await launching.after(session, run.id)
            run.status, run.launched_at = CampaignStatus.SENDING, now
            await settle(session, [run.id], now)  # nothing to send: done at once
            await session.commit()
            wait = run.sample_fraction is not None and run.sample_wait_seconds
            launched = Launched(run.id, now + timedelta(seconds=wait) if wait else None)
        self.wake()
        return launched

    async def _run_of(self, session: Session, campaign: Campaign, now: datetime) -> Campaign:
        """The campaign itself, or for a recurring one a new run of it."""
        if not campaign.recurrence:
            return campaign
        runs = (
            await session.exec(select(func.count()).where(Campaign.parent_id == campaign.id))
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
        return run

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


async def open_rates(session: Session, run: Campaign) -> dict[int, float]:
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


async def _titles(session: Session, run: Campaign, audience: Audience) -> Titles:
    """How a titled campaign's rows get their titles: the content's variants in order."""
    variants = list(
        await session.exec(
            select(TitleVariant.id)
            .where(TitleVariant.content_id == run.subject_id)
            .order_by(col(TitleVariant.position))
        )
    )
    again = audience.title == NEXT_TITLE  # a nurture's second try: another title each
    return Titles(
        [v for v in variants if v is not None],
        seed=run.seed,
        sample=run.sample_fraction,
        one=audience.title if isinstance(audience.title, int) else None,
        after=run.subject_id if again else None,
    )
