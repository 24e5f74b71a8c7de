"""The composition root and the event loop of the core.

`build_app(settings, adapters, db, clock)` is the one place where Roost is put together: the
delivery worker, the campaigns, the scheduler and the web server are made there and handed to
the `App`. `App.handle` takes one inbound event through identify → middleware chain → handler
→ commit → replies → signals, in that order, so nothing a member is told can be rolled back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import secrets
import socket
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.adapter import Adapter
from bot.clock import Clock
from bot.context import Context
from bot.dashboard import Dashboard
from bot.dispatch import invoke, resolve, typed
from bot.events import ChatKind, Event, FirstContact, MemberActive, MemberLeft, User
from bot.flow import FormFlow
from bot.handlers import root_router
from bot.kinds import CampaignKind, Launch, Refresh, Reschedule, Signal
from bot.messages import Message, Say, Sent
from bot.middleware import Call, Endpoint, Middleware, authorize, log_event, opt_out, rate_limit
from bot.outbox.links import tracked_links
from bot.pages import Site
from bot.replies import Replies
from bot.roles import menu, role_of
from bot.router import Routes, UsageError
from bot.scheduler.campaigns import Campaigns
from bot.scheduler.scheduler import Scheduler
from bot.scheduler.singleton import Singleton
from bot.scheduler.worker import DeliveryWorker
from bot.settings import ConfigError, Settings
from bot.web import WebServer
from storage.content import posts_of
from storage.db import Database
from storage.inbound import first_time
from storage.members import create_member, find_identity
from storage.models import Identity, Member

log = logging.getLogger("roost")

STOP_GRACE = 15.0  # seconds a stopping Roost gives deliveries in flight
SORRY = "Sorry, something went wrong on our side and nothing was changed. Please try again."


class App:
    def __init__(
        self,
        settings: Settings,
        adapters: Mapping[str, Adapter],
        db: Database,
        clock: Clock,
        routes: Routes,
        *,
        worker: DeliveryWorker,
        campaigns: Campaigns,
        scheduler: Scheduler,
        web: WebServer,
        process: str,
    ) -> None:
        self.settings, self.adapters, self.db, self.clock = settings, adapters, db, clock
        self.routes, self.process = routes, process
        self.worker, self.campaigns, self.scheduler, self.web = worker, campaigns, scheduler, web
        self.flow = FormFlow(db)
        self.replies = Replies(adapters, db, self.flow)
        self.handled = 0  # inbound events handled completely since start
        self.refused = 0  # of them, inputs refused (nothing they asked for was kept)
        self._progress = asyncio.Condition()
        stop = routes.commands["stop"]
        assert stop.handler is not None
        self.chain: list[Middleware] = [
            log_event,
            opt_out(Endpoint("stop", stop.handler, command=stop), self.flow.end),
            rate_limit(settings.limits.commands_per_minute),
            authorize,
        ]

    async def handle(self, event: Event) -> None:
        """Handle one inbound event completely, once however often the platform sends it;
        never raises for a member's mistake."""
        await self._process(event, first=True)
        async with self._progress:
            self.handled += 1
            self._progress.notify_all()

    async def wait_handled(self, count: int) -> None:
        """Until `count` inbound events have been handled completely (replies sent)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.handled >= count)

    def describe(self, message: Message) -> dict[str, str]:
        """How `message` shows on each running platform."""
        return {platform: a.describe(message) for platform, a in self.adapters.items()}

    async def invite_links(self, code: str, have: set[str]) -> dict[str, dict[str, str]]:
        """Each running platform's ways in for `code` but those in `have`; a platform that
        fails is left out (and logged) rather than costing HR the others."""
        found: dict[str, dict[str, str]] = {}
        for platform, adapter in self.adapters.items():
            if platform in have:
                continue
            try:
                found[platform] = await adapter.invite_links(code)
            except Exception:
                log.exception("could not make %s links for an invite code", platform)
        return {platform: links for platform, links in found.items() if links}

    async def _process(self, event: Event, *, first: bool = False) -> None:
        ctx = await self._handle(event, first=first)
        if ctx is not None and ctx.refused:
            self.refused += 1
            log.info("refused %s on %s", type(ctx.event).__name__, ctx.platform)
        if ctx is not None:
            await self.replies.deliver(ctx)
            for signal in ctx.signals:
                try:
                    await self._act_on(signal)
                except Exception:  # committed already: log it, and keep serving everyone else
                    log.exception("could not act on %s", signal)
            for followup in ctx.followups:
                await self._process(followup)

    async def _act_on(self, signal: Signal) -> None:
        match signal:
            case Reschedule():
                await self.scheduler.sync()
            case Launch(campaign_id):
                await self.scheduler.launch(campaign_id)
            case Refresh(kind, subject_id):
                await self.refresh(kind, subject_id)

    async def refresh(self, kind: CampaignKind, subject_id: int) -> None:
        """Live counts: a subject's posts that show buttons are edited to what they show now
        (a platform's native poll counts itself)."""
        live = kind.live
        assert live is not None, f"campaign kind {kind.name} shows nothing live"
        async with self.db.session() as session:
            posts = await posts_of(session, kind.subject.key, subject_id)
            message = await live(session, subject_id)
        for post in posts:
            adapter = self.adapters.get(post.platform)
            if adapter is None or (message.poll and adapter.capabilities.native_polls):
                continue  # not running here, or the platform counts its own poll
            try:
                await adapter.edit(Sent(post.platform, post.chat_id, post.message_id), message)
            except Exception:
                log.exception("could not update %s %s on %s", kind.name, subject_id, post.platform)

    async def _identify(
        self, session: AsyncSession, event: Event, now: datetime, *, first: bool
    ) -> tuple[Member, Identity] | None:
        """Who sent `event` (a member is made at first contact), touched as active now; None
        when the event came before or is about someone Roost never heard of."""
        origin = event.origin
        if (
            first
            and origin.event_id is not None
            and not await first_time(session, f"{origin.platform}:{origin.event_id}", now)
        ):
            log.info("%s %s came again; handled once already", origin.platform, origin.event_id)
            return None
        found = await find_identity(session, origin.platform, origin.user.id)
        if found is None and isinstance(event, MemberActive | MemberLeft):
            return None  # never heard of them: keep nothing
        if found is None:
            member, identity = await create_member(
                session,
                platform=origin.platform,
                platform_user_id=origin.user.id,
                name=origin.user.name,
                handle=origin.user.handle,
                now=now,
            )
        else:
            member, identity = found
            if origin.chat.kind is ChatKind.DM and not identity.deliverable:
                identity.deliverable, identity.undeliverable_reason = True, None
        _refresh(identity, origin.user)
        member.last_active_at = identity.last_seen_at = now
        return member, identity

    async def _handle(self, event: Event, *, first: bool) -> Context[Any] | None:
        event = typed(event)
        origin = event.origin
        async with self.db.session() as session:
            now = self.clock.now()
            found = await self._identify(session, event, now, first=first)
            if found is None:
                return None
            member, identity = found
            ctx: Context[Any] = Context(
                event=event,
                session=session,
                settings=self.settings,
                now=now,
                member=member,
                identity=identity,
                role=role_of(self.settings.roles, origin.user),
                capabilities=self.adapters[origin.platform].capabilities,
                invite_links=self.invite_links,
                describe=self.describe,
                kinds=self.routes.kinds,
            )
            try:
                if member.privacy_notice_at is None:
                    greeting = dataclasses.replace(ctx, event=FirstContact(origin=origin))
                    for greet in self.routes.events.get(FirstContact, ()):
                        await greet(greeting)
                await self._run_chain(Call(ctx, await resolve(self.routes, self.flow, ctx)))
                await session.commit()
            except UsageError as exc:  # refused in the handler: keep nothing it wrote
                await session.rollback()
                again = await self._identify(session, event, now, first=first)
                assert again is not None
                ctx.member, ctx.identity = again
                ctx.outbound.clear()
                ctx.signals.clear()
                ctx.followups.clear()
                ctx.refuse(f"Hmm, {exc}. Nothing was changed.")
                await session.commit()
            except Exception:
                await session.rollback()
                log.exception("failed handling %s on %s", type(event).__name__, origin.platform)
                ctx.outbound[:] = [Say(Message(SORRY))]
                ctx.followups.clear()
        return ctx

    async def _run_chain(self, call: Call) -> None:
        async def step(index: int) -> None:
            if index < len(self.chain):
                await self.chain[index](call, lambda: step(index + 1))
            elif call.endpoint is not None:
                await invoke(call)

        await step(0)

    async def run(self, *, deliver_only: bool = False) -> None:
        """Serve until every adapter has finished (the console at end of input) or cancelled.

        Every process delivers, and takes the calls platforms make to its web server
        (webhooks). The singleton duties, the scheduler and each platform's one inbound
        connection, are done by whichever process holds their lease. `deliver_only` (`roost
        worker`) only delivers: no web server, no duties, no command menus published."""
        ttl = timedelta(seconds=self.settings.processes.lease_seconds)
        duties = [
            Singleton(name, work, db=self.db, clock=self.clock, process=self.process, ttl=ttl)
            for name, work in [
                ("scheduler", self.scheduler.lead),
                *((f"listen:{a.platform}", a.listen) for a in self.adapters.values() if a.listens),
            ]
        ]
        if not deliver_only:
            for adapter in self.adapters.values():
                self.web.app.router.add_routes(adapter.routes())
            await self.web.start()
        stopping = asyncio.Event()
        background = [asyncio.create_task(self.worker.run(stopping), name="delivery")]
        if not deliver_only:
            background += [asyncio.create_task(d.run(stopping), name=d.name) for d in duties]
        shown = None if deliver_only else menu(self.routes, self.settings.roles)
        try:
            async with asyncio.TaskGroup() as group:
                for adapter in self.adapters.values():
                    group.create_task(adapter.run(self.handle, shown), name=adapter.platform)
        finally:
            stopping.set()  # let deliveries in flight finish rather than cut them off
            _, late = await asyncio.wait(background, timeout=STOP_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            if not deliver_only:
                await self.web.stop()


def features() -> Routes:
    """Every feature Roost has, indexed: the one place that knows them all."""
    return Routes(root_router())


def build_app(
    settings: Settings,
    adapters: Sequence[Adapter],
    db: Database,
    clock: Clock,
    routes: Routes | None = None,
) -> App:
    """Roost, put together: every feature's routes (or those given), the delivery worker with
    each campaign kind's composer, the campaigns, the scheduler and the web server."""
    routes = routes or features()
    if unknown := sorted(set(settings.duties.hours) - set(routes.duties)):
        raise ConfigError(
            f"[duties] hours: there is no daily duty {', '.join(unknown)} "
            f"(there are {', '.join(sorted(routes.duties))})"
        )
    running = {adapter.platform: adapter for adapter in adapters}
    process = process_name()
    worker = DeliveryWorker(
        db,
        running,
        clock,
        settings,
        routes.kinds,
        process=process,
        lease=timedelta(seconds=settings.processes.lease_seconds),
    )

    def communities() -> dict[str, str | None]:
        """Each platform's community channel, where campaigns post."""
        return {platform: adapter.community for platform, adapter in running.items()}

    campaigns = Campaigns(
        db, clock, settings, communities, worker.wake, routes.kinds, routes.duties
    )
    scheduler = Scheduler(db, campaigns, clock, settings)
    web = WebServer(
        Site(db, clock, settings),
        [*routes.web.values(), tracked_links(routes.kinds)],
        Dashboard(
            settings,
            db,
            clock,
            list(routes.pages.values()),
            list(routes.reports.values()),
            routes.kinds,
        ),
        platforms=lambda: sorted(running),
    )
    return App(
        settings,
        running,
        db,
        clock,
        routes,
        worker=worker,
        campaigns=campaigns,
        scheduler=scheduler,
        web=web,
        process=process,
    )


def process_name() -> str:
    """This process among others on the database: host, pid and a random part (a pid comes
    back after a restart), so a lease's holder says where to look."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _refresh(identity: Identity, user: User) -> None:
    if user.handle and identity.handle != user.handle:
        identity.handle = user.handle
    if user.name and identity.display_name != user.name:
        identity.display_name = user.name
    if sorted(user.platform_roles) != identity.platform_roles:
        identity.platform_roles = sorted(user.platform_roles)
