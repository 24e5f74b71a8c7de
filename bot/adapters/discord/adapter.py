"""Discord through discord.py: the gateway for events, an app-commands tree for commands.

discord.py reads and obeys Discord's per-route buckets and 429s; this adapter also paces its
own sends to the global limit in advance, remembers members whose DMs are closed after the
first 403 (so invalid requests never pile up toward Discord's ban), and attributes joins by
comparing invite use counts, one invite per code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import discord
import yarl
from aiohttp import web
from aiolimiter import AsyncLimiter
from discord import app_commands

from bot.adapter import Capabilities, CommandMenu, DeliveryError, Dispatch, Undeliverable
from bot.adapters.discord import render
from bot.events import (
    ActionPressed,
    Chat,
    ChatKind,
    CommandInvoked,
    Event,
    FormSubmitted,
    MemberActive,
    MemberJoined,
    MemberLeft,
    Origin,
    PollAnswered,
    TextReceived,
    User,
)
from bot.messages import ChannelTarget, DirectTarget, Form, Message, PollSpec, Sent, Target
from bot.settings import DiscordSettings

log = logging.getLogger("roost.discord")
PLATFORM = "discord"
DEFER_AFTER = 2.5  # seconds: Discord wants an answer within 3


class DiscordAdapter:
    platform = PLATFORM
    listens = True  # the gateway: two connections would each receive every event
    capabilities = Capabilities(
        idempotent_sends=True,
        native_polls=True,
        modal_forms=True,
        max_form_fields=5,
        ephemeral_replies=True,
        invite_links=True,
        max_text=4096,
        max_buttons=25,
        max_upload=10 * 2**20,  # a bot's files per message in a server without boosts
    )

    def __init__(self, settings: DiscordSettings, *, defer_after: float = DEFER_AFTER) -> None:
        assert settings.token is not None and settings.guild_id is not None
        self.settings = settings
        self.defer_after = defer_after
        # discord.py has no per-client endpoint setting: these class attributes are the way.
        discord.http.Route.BASE = f"{settings.api_url.rstrip('/')}/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
        intents = discord.Intents.none()
        intents.guilds = intents.members = intents.guild_messages = intents.dm_messages = True
        intents.invites = intents.polls = intents.dm_polls = intents.guild_polls = True
        self.client = discord.Client(intents=intents, chunk_guilds_at_startup=False)
        self.tree = app_commands.CommandTree(self.client)
        self.guild = discord.Object(id=settings.guild_id)
        # Discord allows 50 requests a second: 48 a second with bursts of 2 is never more
        # than 50 in any second, and sustains 96% of the limit.
        self.pace = AsyncLimiter(2, 2 / 48)
        self.closed_dms: set[str] = set()
        self._interactions: dict[str, tuple[discord.Interaction, asyncio.Lock]] = {}
        self._uses: dict[str, int] = {}
        self._unclaimed: dict[str, int] = {}
        self._joins = asyncio.Lock()
        self._dispatch: Dispatch | None = None
        self.ready = asyncio.Event()  # the gateway's READY: its caches are filled
        self._open = asyncio.Event()  # logged in: sends work
        for name in (
            "on_ready",
            "on_interaction",
            "on_member_join",
            "on_member_remove",
            "on_message",
            "on_raw_poll_vote_add",
            "on_raw_poll_vote_remove",
        ):
            setattr(self.client, name, getattr(self, f"_{name}"))

    # -- lifecycle ----------------------------------------------------------------------------

    async def run(self, dispatch: Dispatch, menu: CommandMenu | None) -> None:
        """Log in for REST (sends need no gateway) and keep the server's commands current."""
        self._dispatch = dispatch
        for entry, hr in (
            [*((e, False) for e in menu.member), *((e, True) for e in menu.hr)] if (menu) else []
        ):
            self.tree.add_command(
                render.slash_command(entry, hr=hr, run=self._on_command), guild=self.guild
            )
        assert self.settings.token is not None
        try:
            await self.client.login(self.settings.token.get_secret_value())
            if menu is not None:
                await self._sync_commands()
            self._open.set()
            await asyncio.Event().wait()
        finally:
            self._open.clear()
            await self.client.close()

    async def listen(self) -> None:
        """The gateway, in the one process holding Discord's lease; events (interactions
        included) come only to it."""
        await self._open.wait()
        try:
            await self.client.connect(reconnect=True)
        finally:
            self.ready.clear()
            if self.client.ws is not None and not self.client.is_closed():
                with contextlib.suppress(Exception):
                    await self.client.ws.close(code=1000)

    async def _sync_commands(self) -> None:
        """Upload the command list only when it differs from what the server has."""
        assert self.client.application_id is not None
        local: list[Any] = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=self.guild)]
        remote = await self.client.http.get_guild_commands(
            self.client.application_id, self.guild.id
        )
        if render.fingerprint(local) != render.fingerprint(list(remote)):  # type: ignore[arg-type]
            await self.tree.sync(guild=self.guild)
            log.info("Discord: %d commands synced", len(local))

    def routes(self) -> Sequence[web.RouteDef]:
        return ()

    async def _on_ready(self) -> None:
        guild = self.client.get_guild(self.guild.id)
        if guild is not None:
            self._uses = {i.code: i.uses or 0 for i in await guild.invites()}
        self.ready.set()

    # -- inbound ------------------------------------------------------------------------------

    async def _emit(self, event: Event) -> None:
        if self._dispatch is not None:
            await self._dispatch(event)

    def _user(self, user: discord.User | discord.Member) -> User:
        roles = frozenset(r.name for r in getattr(user, "roles", [])[1:])  # [0] is @everyone
        return User(
            PLATFORM, str(user.id), name=user.display_name, handle=user.name, platform_roles=roles
        )

    def _origin(
        self,
        user: discord.User | discord.Member,
        channel: Any,
        interaction: str | None = None,
        event_id: str | None = None,
    ) -> Origin:
        private = isinstance(channel, discord.DMChannel) or channel is None
        chat = Chat(
            PLATFORM,
            str(channel.id) if channel is not None else "",
            ChatKind.DM if private else ChatKind.CHANNEL,
        )
        return Origin(self._user(user), chat, interaction, event_id)

    async def _on_command(
        self, interaction: discord.Interaction, name: str, options: dict[str, str]
    ) -> None:
        origin = self._remember(interaction)
        await self._answered(interaction, CommandInvoked(origin=origin, name=name, options=options))

    async def _on_interaction(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        if interaction.type is discord.InteractionType.component:
            action, _, value = str(data.get("custom_id", "")).partition("|")
            message_id = str(interaction.message.id) if interaction.message else None
            event: Event = ActionPressed(
                origin=self._remember(interaction),
                action=action,
                value=value,
                message_id=message_id,
            )
        elif interaction.type is discord.InteractionType.modal_submit:
            event = FormSubmitted(
                origin=self._remember(interaction),
                form=str(data.get("custom_id")),
                values=render.modal_values(data),
            )
        else:
            return  # application commands go through the tree
        await self._answered(interaction, event)

    def _remember(self, interaction: discord.Interaction) -> Origin:
        key = str(interaction.id)
        self._interactions[key] = (interaction, asyncio.Lock())
        return self._origin(interaction.user, interaction.channel, key, f"i{key}")

    async def _answered(self, interaction: discord.Interaction, event: Event) -> None:
        """Hand the event to the core; defer if it takes long, and acknowledge an interaction
        the core answered elsewhere (in DMs) so Discord does not show a failure."""
        key = str(interaction.id)
        work = asyncio.ensure_future(self._emit(event))
        done, _ = await asyncio.wait({work}, timeout=self.defer_after)
        if not done:
            async with self._interactions[key][1]:
                if not interaction.response.is_done():
                    await interaction.response.defer(thinking=True, ephemeral=True)
            await work
        async with self._interactions[key][1]:
            if not interaction.response.is_done():
                await interaction.response.send_message(
                    "Done: I've sent you a direct message.", ephemeral=True
                )
        self._interactions.pop(key, None)

    async def _on_member_join(self, member: discord.Member) -> None:
        await self._emit(
            MemberJoined(origin=self._origin(member, None), invite=await self._invite_used())
        )

    async def _invite_used(self) -> str | None:
        """Which invite's use count went up. With one invite per code, joins through the same
        invite at once are all attributed; joins through different invites at the same
        moment cannot be told apart from Discord's data, and are left unattributed."""
        guild = self.client.get_guild(self.guild.id)
        if guild is None:
            return None
        async with self._joins:
            now = {i.code: i.uses or 0 for i in await guild.invites()}
            for code, uses in now.items():
                grown = uses - self._uses.get(code, 0)
                if grown > 0:
                    self._unclaimed[code] = self._unclaimed.get(code, 0) + grown
            self._uses = now
            candidates = [code for code, count in self._unclaimed.items() if count > 0]
            if len(candidates) != 1:
                if candidates:
                    log.warning("joins through %d invites at once: not attributed", len(candidates))
                    self._unclaimed.clear()
                return None
            self._unclaimed[candidates[0]] -= 1
            return candidates[0]

    async def _on_member_remove(self, member: discord.Member) -> None:
        await self._emit(MemberLeft(origin=self._origin(member, None)))

    async def _on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        origin = self._origin(message.author, message.channel, event_id=f"m{message.id}")
        if origin.chat.kind is ChatKind.DM:
            await self._emit(TextReceived(origin=origin, text=message.content))
        else:
            await self._emit(MemberActive(origin=origin))

    async def _on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self._poll_vote(payload, "add")

    async def _on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self._poll_vote(payload, "remove")

    async def _poll_vote(self, payload: discord.RawPollVoteActionEvent, change: str) -> None:
        """Discord reports each answer added or taken back on its own."""
        user = self.client.get_user(payload.user_id) or await self.client.fetch_user(
            payload.user_id
        )
        origin = self._origin(user, None)
        poll, option = str(payload.message_id), payload.answer_id - 1
        await self._emit(PollAnswered(origin=origin, poll=poll, options=(option,), change=change))

    # -- outbound -----------------------------------------------------------------------------

    @property
    def community(self) -> str | None:
        channel = self.settings.channel_id
        return str(channel) if channel is not None else None

    async def send(
        self, target: Target, message: Message, *, idempotency_key: str | None = None
    ) -> Sent:
        nonce = idempotency_key[:25] if idempotency_key else None  # Discord keeps 25 characters
        if isinstance(target, DirectTarget):
            return await self._send_dm(target, message, nonce)
        assert isinstance(target, ChannelTarget)
        channel = self.client.get_channel(int(target.chat_id)) or await self._call(
            self.client.fetch_channel(int(target.chat_id))
        )
        return await self._post(channel, message, nonce=nonce)

    async def reply(self, origin: Origin, message: Message, *, ephemeral: bool) -> Sent | None:
        held = self._interactions.get(origin.interaction or "")
        if held is None:
            if origin.chat.kind is ChatKind.DM:
                return await self.send(DirectTarget(PLATFORM, origin.user.id), message)
            return await self.send(ChannelTarget(PLATFORM, origin.chat.id), message)
        interaction, lock = held
        kwargs = _content(message)
        private = ephemeral or origin.chat.kind is ChatKind.CHANNEL
        async with lock:
            if not interaction.response.is_done():
                await self._call(interaction.response.send_message(ephemeral=private, **kwargs))
                return None
            sent = await self._call(
                interaction.followup.send(ephemeral=private, wait=True, **kwargs)
            )
        return Sent(PLATFORM, origin.chat.id, str(sent.id))

    async def edit(self, sent: Sent, message: Message) -> None:
        channel = await self.client.fetch_channel(int(sent.chat_id))
        assert isinstance(channel, discord.abc.Messageable)
        partial = channel.get_partial_message(int(sent.message_id))
        await self._call(
            partial.edit(**{k: v for k, v in _content(message).items() if k != "files"})
        )

    async def delete(self, sent: Sent) -> None:
        channel = await self.client.fetch_channel(int(sent.chat_id))
        await self._call(channel.get_partial_message(int(sent.message_id)).delete())  # type: ignore[union-attr]

    async def open_form(self, origin: Origin, form: Form) -> None:
        interaction, lock = self._interactions[origin.interaction or ""]
        async with lock:
            await self._call(interaction.response.send_modal(render.modal(form)))

    async def send_poll(self, target: Target, poll: PollSpec) -> Sent:
        assert isinstance(target, ChannelTarget)
        native = discord.Poll(
            question=poll.question[:300], duration=timedelta(hours=24), multiple=poll.multiple
        )
        for option in poll.options:
            native.add_answer(text=option[:55])
        channel = self.client.get_channel(int(target.chat_id)) or await self.client.fetch_channel(
            int(target.chat_id)
        )
        assert isinstance(channel, discord.abc.Messageable)
        sent = await self._call(channel.send(poll=native))
        return Sent(PLATFORM, str(channel.id), str(sent.id), native_id=str(sent.id))

    async def answer_join(self, origin: Origin, *, approve: bool) -> None:
        raise NotImplementedError("Discord membership screening is not the bot's to answer")

    async def publish_home(self, origin: Origin, message: Message) -> None:
        raise NotImplementedError("Discord has no home view")

    def describe(self, message: Message) -> str:
        return render.describe(message)

    async def invite_links(self, code: str) -> dict[str, str]:
        """An invite of its own for the code (unique, never expiring), so its use count tells
        exactly who came through it."""
        channel_id = self.settings.channel_id
        if channel_id is None:
            return {}
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        invite = await self._call(
            channel.create_invite(max_age=0, unique=True, reason=f"Roost code {code}")
        )
        self._uses.setdefault(invite.code, 0)
        return {"invite": invite.url}

    async def _send_dm(self, target: DirectTarget, message: Message, nonce: str | None) -> Sent:
        """A DM channel Roost learnt costs no request; else the client's cache may know it, or
        one request opens it (no user lookup). A member known to refuse DMs costs none."""
        if target.user_id in self.closed_dms:  # no request, no invalid-request count
            raise Undeliverable("this member does not accept direct messages")
        channel = (
            self.client.get_partial_messageable(
                int(target.dm_chat_id), type=discord.ChannelType.private
            )
            if target.dm_chat_id
            else await self._call(self.client.create_dm(discord.Object(int(target.user_id))))
        )
        try:
            return await self._post(channel, message, nonce=nonce)
        except Undeliverable:
            self.closed_dms.add(target.user_id)
            raise

    async def _post(self, channel: Any, message: Message, *, nonce: str | None = None) -> Sent:
        sent = await self._call(channel.send(nonce=nonce, **_content(message)))
        return Sent(PLATFORM, str(channel.id), str(sent.id))

    async def _call(self, request: Any) -> Any:
        """Every REST call Roost starts waits its turn under the global limit first."""
        await self.pace.acquire()
        try:
            return await request
        except discord.Forbidden as exc:
            raise Undeliverable(exc.text or "forbidden") from exc
        except discord.HTTPException as exc:
            raise DeliveryError(exc.text or str(exc.status)) from exc


def _content(message: Message) -> dict[str, Any]:
    made: dict[str, Any] = {}
    if (embedded := render.embed(message)) is not None:
        made["embed"] = embedded
    if (buttons := render.view(message)) is not None:
        made["view"] = buttons
    if attached := render.files(message):
        made["files"] = attached
    if not made:
        made["content"] = "\u200b"
    return made
