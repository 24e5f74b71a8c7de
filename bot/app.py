"""The composition root and the event loop of the core.

`build_app(settings, adapters, db, clock)` is the one place where Roost is put together.
`App.handle` takes one inbound event through identify → middleware chain → handler → commit →
replies, in that order, so nothing a member is told can be rolled back afterwards.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from bot.adapter import Adapter, CommandMenu, MenuEntry, Undeliverable
from bot.clock import Clock
from bot.context import Context
from bot.events import (
    ActionPressed,
    ChatKind,
    CommandInvoked,
    Event,
    FirstContact,
    FormSubmitted,
    MemberActive,
    MemberLeft,
    Origin,
    TextReceived,
    User,
)
from bot.forms import (
    ANSWER_ACTION,
    CONTINUE_ACTION,
    PART,
    Conversations,
    ModalSequences,
    clean_values,
)
from bot.handlers import root_router
from bot.kinds import Launch, Refresh, Reschedule
from bot.messages import (
    AnswerJoin,
    Ask,
    DirectTarget,
    Message,
    Outbound,
    PublishHome,
    Replace,
    Say,
    Sent,
)
from bot.middleware import (
    Call,
    Endpoint,
    Middleware,
    authorize,
    log_event,
    opt_out,
    rate_limit,
)
from bot.parsing import clean
from bot.router import Role, Routes, UsageError
from bot.scheduler.campaigns import Campaigns
from bot.scheduler.scheduler import Scheduler
from bot.scheduler.worker import DeliveryWorker
from bot.settings import RoleSettings, Settings
from bot.web import WebServer
from storage.content import posts_of
from storage.db import Database
from storage.members import create_member, find_identity
from storage.models import Identity

log = logging.getLogger("roost")

STOP_GRACE = 15.0  # seconds a stopping Roost gives deliveries in flight
SORRY = "Sorry, something went wrong on our side and nothing was changed. Please try again."


def role_of(roles: RoleSettings, user: User) -> Role:
    """The highest role any of the user's tags earns: `platform:user_id` or `platform:role`."""
    tags = {f"{user.platform}:{user.id}"} | {f"{user.platform}:{r}" for r in user.platform_roles}
    for role, holders in ((Role.ADMIN, roles.admin), (Role.HR, roles.hr)):
        if tags & set(holders):
            return role
    return Role.EMPLOYEE if tags & set(roles.employee) else Role.MEMBER


class App:
    def __init__(
        self,
        settings: Settings,
        adapters: Sequence[Adapter],
        db: Database,
        clock: Clock,
        routes: Routes,
    ) -> None:
        self.settings = settings
        self.adapters = {adapter.platform: adapter for adapter in adapters}
        self.db = db
        self.clock = clock
        self.routes = routes
        composers = {name: kind.composer(settings) for name, kind in routes.kinds.items()}
        self.worker = DeliveryWorker(db, self.adapters, clock, settings.outbox, composers)
        self.campaigns = Campaigns(
            db, clock, settings, self.communities, self.worker.wake, routes.kinds
        )
        self.scheduler = Scheduler(db, self.campaigns, clock, settings)
        self.conversations = Conversations()
        self.sequences = ModalSequences()
        self.handled = 0  # inbound events handled completely since start
        self._progress = asyncio.Condition()
        self.web = WebServer(settings.web, self)
        stop = routes.commands["stop"]
        self.chain: list[Middleware] = [
            log_event,
            opt_out(Endpoint("stop", stop.handler, command=stop), self.conversations.end),
            rate_limit(settings.limits.commands_per_minute),
            authorize,
        ]

    async def handle(self, event: Event) -> None:
        """Handle one inbound event completely; never raises for a member's mistake."""
        await self._process(event)
        async with self._progress:
            self.handled += 1
            self._progress.notify_all()

    def communities(self) -> dict[str, str | None]:
        """Each platform's community channel, where campaigns post."""
        return {platform: adapter.community for platform, adapter in self.adapters.items()}

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

    async def _process(self, event: Event) -> None:
        ctx = await self._handle(event)
        if ctx is not None:
            await self._deliver(ctx)
            for signal in ctx.signals:
                match signal:
                    case Reschedule():
                        await self.scheduler.sync()
                    case Launch(campaign_id):
                        await self.campaigns.launch(campaign_id)
                    case Refresh(kind, subject_id):
                        await self.refresh(kind, subject_id)
            for followup in ctx.followups:
                await self._process(followup)

    async def refresh(self, kind: str, subject_id: int) -> None:
        """Live counts: a subject's posts that show buttons are edited to what they show now
        (a platform's native poll counts itself)."""
        live = self.routes.kinds[kind].live
        assert live is not None, f"campaign kind {kind} shows nothing live"
        async with self.db.session() as session:
            posts = await posts_of(session, kind, subject_id)
            message = await live(session, subject_id)
        for post in posts:
            adapter = self.adapters.get(post.platform)
            if adapter is None or (message.poll and adapter.capabilities.native_polls):
                continue  # not running here, or the platform counts its own poll
            try:
                await adapter.edit(Sent(post.platform, post.chat_id, post.message_id), message)
            except Exception:
                log.exception("could not update %s %s on %s", kind, subject_id, post.platform)

    async def wait_handled(self, count: int) -> None:
        """Until `count` inbound events have been handled completely (replies sent)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.handled >= count)

    async def _handle(self, event: Event) -> Context[Any] | None:
        event = typed(event)
        origin = event.origin
        async with self.db.session() as session:
            found = await find_identity(session, origin.platform, origin.user.id)
            if found is None and isinstance(event, MemberActive | MemberLeft):
                return None  # never heard of them: keep nothing
            now = self.clock.now()
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
                _refresh(identity, origin.user)
                if origin.chat.kind is ChatKind.DM and not identity.deliverable:
                    identity.deliverable, identity.undeliverable_reason = True, None
            member.last_active_at = now
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
            )
            try:
                if member.privacy_notice_at is None:
                    first = dataclasses.replace(ctx, event=FirstContact(origin=origin))
                    for greet in self.routes.events.get(FirstContact, ()):
                        await greet(first)
                await self._run_chain(Call(ctx, self._resolve(ctx)))
                await session.commit()
            except Exception:
                await session.rollback()
                log.exception("failed handling %s on %s", type(event).__name__, origin.platform)
                ctx.outbound[:] = [Say(Message(SORRY))]
                ctx.followups.clear()
        return ctx

    def _resolve(self, ctx: Context[Any]) -> Endpoint | None:
        event = ctx.event
        key = (event.origin.platform, event.origin.user.id)
        conversation = self.conversations.get(key)
        if isinstance(event, CommandInvoked):
            command = self.routes.commands.get(event.name.lower())
            if command is None:
                return Endpoint("unknown", _unknown_command)
            return Endpoint(command.name, command.handler, command.role, command)
        if isinstance(event, ActionPressed):
            if event.action == ANSWER_ACTION and conversation:
                return Endpoint("form.answer", self._answer)
            if event.action == CONTINUE_ACTION:
                return Endpoint("form.continue", self._form_continue)
            action = self.routes.actions.get(event.action)
            if action is None:
                return Endpoint("stale", _stale_button)
            return Endpoint(action.name, action.handler, action.role)
        if isinstance(event, FormSubmitted) and PART in event.form:
            return Endpoint("form.part", self._form_part)
        if isinstance(event, FormSubmitted):
            form = self.routes.forms.get(event.form)
            return Endpoint(event.form, form.handler, form.role, form=form) if form else None
        if isinstance(event, TextReceived):
            if conversation:
                return Endpoint("form.answer", self._answer)
            return Endpoint("chat", _chat) if ctx.in_dm else None
        handlers = self.routes.events.get(type(event), [])
        return Endpoint(type(event).__name__, _all(handlers)) if handlers else None

    async def _run_chain(self, call: Call) -> None:
        async def step(index: int) -> None:
            if index < len(self.chain):
                await self.chain[index](call, lambda: step(index + 1))
            elif call.endpoint is not None:
                await _invoke(call)

        await step(0)

    async def _answer(self, ctx: Context[Any]) -> None:
        """The next answer in a conversation standing in for a modal form."""
        event = ctx.event
        key = (event.origin.platform, event.origin.user.id)
        conversation = self.conversations.get(key)
        assert conversation is not None
        raw = event.value if isinstance(event, ActionPressed) else event.text
        result = conversation.answer(raw)
        if isinstance(result, Message):
            ctx.reply(result)
            return
        self.conversations.end(key)
        form = conversation.form.id
        ctx.followups.append(FormSubmitted(origin=event.origin, form=form, values=result))

    async def _form_part(self, ctx: Context[FormSubmitted]) -> None:
        """One modal of a longer form: keep its answers, offer the next (a modal cannot open
        another modal directly), or hand on the whole form once complete."""
        event = ctx.event
        key = (event.origin.platform, event.origin.user.id)
        result = self.sequences.answer(key, event.form, event.values)
        if result is None:
            ctx.reply("That form has expired; please start again.")
        elif isinstance(result, Message):
            ctx.reply(result)
        else:
            form, values = result
            ctx.followups.append(FormSubmitted(origin=event.origin, form=form, values=values))

    async def _form_continue(self, ctx: Context[ActionPressed]) -> None:
        part = self.sequences.next_part((ctx.event.origin.platform, ctx.event.origin.user.id))
        if part is None:
            ctx.reply("That form has expired; please start again.")
        else:
            ctx.outbound.append(Ask(part))

    async def _deliver(self, ctx: Context[Any]) -> None:
        origin = ctx.event.origin
        adapter = self.adapters[origin.platform]
        for op in ctx.outbound:
            try:
                await self._deliver_one(adapter, ctx.event, op)
            except Undeliverable as exc:
                await self._mark_undeliverable(origin, str(exc))
                if _private_to(op, origin) and origin.chat.kind is not ChatKind.DM:
                    await self._say_where_asked(adapter, origin)
            except Exception:
                log.exception("could not deliver a reply on %s", origin.platform)

    async def _say_where_asked(self, adapter: Adapter, origin: Origin) -> None:
        """Someone acted in a channel and the answer was for them alone, but their DMs are
        closed to the bot (on Telegram: they never started it). Say so where they are."""
        name = origin.user.name or "Hi"
        note = Message(
            f"{name}, I can't write to you privately yet: open a chat with me (on Telegram, "
            "press Start), then try again."
        )
        try:
            await adapter.reply(origin, note, ephemeral=True)
        except Exception:
            log.exception("could not explain a closed DM on %s", origin.platform)

    async def _deliver_one(self, adapter: Adapter, event: Event, op: Outbound) -> None:
        origin = event.origin
        if isinstance(op, Ask):
            form = op.form
            caps = adapter.capabilities
            if caps.modal_forms and origin.interaction:
                parts = self.sequences.start(
                    (origin.platform, origin.user.id), form, caps.max_form_fields
                )
                await adapter.open_form(origin, parts)
                return
            start = self.conversations.start((origin.platform, origin.user.id), form)
            if origin.chat.kind is ChatKind.DM:
                await adapter.reply(origin, start, ephemeral=False)
            else:  # answers are personal: ask in private
                await adapter.send(DirectTarget(origin.platform, origin.user.id), start)
        elif isinstance(op, AnswerJoin):
            await adapter.answer_join(origin, approve=op.approve)
        elif isinstance(op, Replace):
            pressed = event.message_id if isinstance(event, ActionPressed) else None
            if adapter.capabilities.edit_in_place and pressed:
                await adapter.edit(Sent(origin.platform, origin.chat.id, pressed), op.message)
            else:
                await adapter.reply(origin, op.message, ephemeral=False)
        elif isinstance(op, PublishHome):
            if adapter.capabilities.home:
                await adapter.publish_home(origin, op.message)
        elif op.target is not None:  # perhaps on another platform (HR told of something)
            elsewhere = self.adapters.get(op.target.platform)
            if elsewhere is None:
                log.warning("not sending to %s: it is not running", op.target.platform)
            else:
                await elsewhere.send(op.target, op.message)
        else:
            await adapter.reply(origin, op.message, ephemeral=op.ephemeral)

    async def _mark_undeliverable(self, origin: Origin, reason: str) -> None:
        async with self.db.session() as session:
            found = await find_identity(session, origin.platform, origin.user.id)
            if found:
                found[1].deliverable = False
                found[1].undeliverable_reason = reason[:200]
                await session.commit()

    def menu(self) -> CommandMenu:
        visible = self.routes.visible(Role.ADMIN)
        roles = self.settings.roles
        return CommandMenu(
            member=tuple(MenuEntry(c.name, c.help, c.args) for c in visible if c.role < Role.HR),
            hr=tuple(MenuEntry(c.name, c.help, c.args) for c in visible if c.role >= Role.HR),
            hr_holders=(*roles.admin, *roles.hr),
            role_holders=(*roles.admin, *roles.hr, *roles.employee),
        )

    async def run(self) -> None:
        """Serve until every adapter has finished (the console at end of input) or cancelled."""
        for adapter in self.adapters.values():
            self.web.app.router.add_routes(adapter.routes())
        await self.web.start()
        stopping = asyncio.Event()
        background = [
            asyncio.create_task(self.worker.run(stopping), name="delivery"),
            asyncio.create_task(self.scheduler.run(stopping), name="scheduler"),
        ]
        try:
            async with asyncio.TaskGroup() as group:
                for adapter in self.adapters.values():
                    group.create_task(adapter.run(self.handle, self.menu()), name=adapter.platform)
        finally:
            stopping.set()  # let deliveries in flight finish rather than cut them off
            _, late = await asyncio.wait(background, timeout=STOP_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await self.web.stop()


def build_app(settings: Settings, adapters: Sequence[Adapter], db: Database, clock: Clock) -> App:
    return App(settings, adapters, db, clock, Routes(root_router()))


async def _invoke(call: Call) -> None:
    endpoint, ctx = call.endpoint, call.ctx
    assert endpoint is not None
    event = ctx.event
    if endpoint.command is not None and isinstance(event, CommandInvoked):
        try:
            ctx.args = endpoint.command.parse(event.text, event.options)
        except UsageError as exc:
            command = endpoint.command
            usage = command.usage(ctx.capabilities.command_prefix)
            ctx.reply(f"Hmm, {exc}. Usage: `{usage}` — {command.help}")
            return
    if endpoint.form is not None:
        submitted = ctx.event
        assert isinstance(submitted, FormSubmitted)
        try:
            values = clean_values(endpoint.form.build(ctx), submitted.values)
        except ValueError as exc:
            ctx.reply(f"{exc} Nothing was saved; please try again.")
            return
        ctx.event = dataclasses.replace(submitted, values=values)
    try:
        await endpoint.handler(ctx)
    except UsageError as exc:  # a value the handler could not read: say so, keep nothing
        await ctx.session.rollback()
        ctx.outbound.clear()
        ctx.signals.clear()
        ctx.followups.clear()
        ctx.reply(f"Hmm, {exc}. Nothing was changed.")


def typed(event: Event) -> Event:
    """What a person typed, without the control characters no field means (see `clean`)."""
    if isinstance(event, CommandInvoked):
        options = {k: clean(v) for k, v in event.options.items()} if event.options else None
        return dataclasses.replace(event, text=clean(event.text), options=options)
    if isinstance(event, TextReceived):
        return dataclasses.replace(event, text=clean(event.text))
    if isinstance(event, FormSubmitted):
        return dataclasses.replace(event, values={k: clean(v) for k, v in event.values.items()})
    return event


def _refresh(identity: Identity, user: User) -> None:
    if user.handle and identity.handle != user.handle:
        identity.handle = user.handle
    if user.name and identity.display_name != user.name:
        identity.display_name = user.name


def _private_to(op: Outbound, origin: Origin) -> bool:
    """Whether `op` is a message for the person `origin` names, in their DM."""
    target = op.target if isinstance(op, Say) else None
    return isinstance(target, DirectTarget) and target.user_id == origin.user.id


def _all(handlers: list[Any]) -> Any:
    async def run_all(ctx: Context[Any]) -> None:
        for handler in handlers:
            await handler(ctx)

    return run_all


async def _unknown_command(ctx: Context[CommandInvoked]) -> None:
    ctx.reply(
        f"I don't know {ctx.cmd(ctx.event.name)}. Type {ctx.cmd('help')} to see what I can do."
    )


async def _stale_button(ctx: Context[ActionPressed]) -> None:
    ctx.reply(f"That button no longer does anything. Type {ctx.cmd('help')} to see what I can do.")


async def _chat(ctx: Context[TextReceived]) -> None:
    ctx.reply(f"I answer commands: type {ctx.cmd('help')} to see them, or STOP to stop messages.")
