"""Telegram through python-telegram-bot: polling or a webhook on Roost's own web server.

The adapter holds a PTB `Application` and translates; it decides nothing. Its `EvenPacer`
(pacing.py) keeps sends evenly under Telegram's flood limits and waits out every `retry_after`,
pausing the sends it concerns meanwhile; a `TimedOut` is reported, never resent, because the
message may have been delivered.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from aiohttp import web
from httpx_aiohttp import AiohttpTransport
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeChatAdministrators,
    BotCommandScopeDefault,
    InputFile,
    Update,
)
from telegram import Message as TgMessage
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from bot.adapter import (
    Capabilities,
    CommandMenu,
    DeliveryError,
    Dispatch,
    StartupError,
    Uncertain,
    Undeliverable,
)
from bot.adapters.telegram.inbound import PLATFORM, to_event
from bot.adapters.telegram.pacing import EvenPacer
from bot.adapters.telegram.render import (
    CAPTION_LIMIT,
    describe,
    keyboard,
    message_html,
    pages,
)
from bot.events import Origin
from bot.messages import ChannelTarget, DirectTarget, Form, Message, PollSpec, Sent, Target
from bot.settings import TelegramSettings

PACE_PER_SECOND = 29.5  # Telegram allows about 30 messages a second: a little under, evenly

log = logging.getLogger("roost.telegram")

UPDATES = ["message", "callback_query", "chat_member", "chat_join_request", "poll_answer"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramAdapter:
    platform = PLATFORM
    capabilities = Capabilities(
        native_polls=True,
        invite_links=True,
        dm_needs_start=True,
        edit_in_place=True,
        max_text=4096,
        max_buttons=100,
        max_upload=50 * 2**20,  # what a bot may send as a document
    )

    def __init__(self, settings: TelegramSettings, public_url: Callable[[], str]) -> None:
        """`public_url` is asked when the webhook is set, once Roost's web server listens."""
        assert settings.token is not None
        self.settings = settings
        self.public_url = public_url
        api = settings.api_url.rstrip("/")
        timeout = settings.request_timeout
        builder = (
            ApplicationBuilder()
            .token(settings.token.get_secret_value())
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .request(request_over_aiohttp(timeout, timeout, connections=16))  # > sends in flight
            .get_updates_request(request_over_aiohttp(timeout, settings.poll_timeout + timeout))
        )
        if settings.pace:
            # Evenly spaced sends, not PTB's default burst: a leaky bucket of 30 a second lets
            # 30 through at once and more soon after, which Telegram answers with 429s. A group
            # gets up to 20 posts in any minute at once, so replies there stay quick.
            pacer = EvenPacer(PACE_PER_SECOND, max_retries=settings.max_retries)
            builder = builder.rate_limiter(pacer)  # type: ignore[arg-type]  # PTB narrows by chain
        if settings.mode == "webhook":
            builder = builder.updater(None)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.admins: set[int] = set()
        self.listens = settings.mode == "polling"
        self._dispatch: Dispatch | None = None
        self._ready = asyncio.Event()

    # -- lifecycle ----------------------------------------------------------------------------

    async def run(self, dispatch: Dispatch, menu: CommandMenu | None) -> None:
        self._dispatch = dispatch
        app = self.application
        await app.initialize()
        try:
            await self._load_admins()
            if menu is not None:
                await self._publish(menu)
            await app.start()  # hands updates, from polling or the webhook, to `_on_update`
            if not self.listens and menu is not None:
                hook = f"{self.public_url().rstrip('/')}{self.settings.webhook_path}"
                try:
                    await app.bot.set_webhook(
                        hook, secret_token=self._secret(), allowed_updates=UPDATES
                    )
                except TelegramError as exc:
                    raise StartupError(f"Telegram refused the webhook {hook}: {exc}") from None
            log.info("Telegram: @%s, %s mode", app.bot.username, self.settings.mode)
            self._ready.set()
            await asyncio.Event().wait()
        finally:
            self._ready.clear()
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()

    async def listen(self) -> None:
        """Long polling, in the one process holding Telegram's lease (Telegram refuses a
        second poller). Updates a killed poller fetched but never confirmed come again here,
        and the core handles each update id once."""
        await self._ready.wait()
        await self._load_admins()  # changes seen by the previous holder, not by this process
        updater = self.application.updater
        assert updater is not None
        await updater.start_polling(timeout=self.settings.poll_timeout, allowed_updates=UPDATES)
        try:
            await asyncio.Event().wait()
        finally:
            if updater.running:
                await updater.stop()

    def routes(self) -> Sequence[web.RouteDef]:
        if self.settings.mode != "webhook":
            return ()
        return (web.post(self.settings.webhook_path, self._webhook),)

    async def _webhook(self, request: web.Request) -> web.Response:
        """Telegram's webhook call: the secret token compared in constant time, nothing read
        from a request that fails it."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret().encode()):
            return web.Response(status=401, text="bad secret token")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise TypeError("not an update")
            update = Update.de_json(data, self.application.bot)
        except (UnicodeDecodeError, ValueError, TelegramError, KeyError, TypeError):
            return web.Response(status=400, text="not an update")
        await self.application.update_queue.put(update)
        return web.Response(text="ok")

    def _secret(self) -> str:
        assert self.settings.webhook_secret is not None
        return self.settings.webhook_secret.get_secret_value()

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self._track_admins(update)
        if update.callback_query is not None:
            await update.callback_query.answer()
        event = to_event(update, self.application.bot.username, self.admins)
        if event is not None and self._dispatch is not None:
            await self._dispatch(event)

    async def _load_admins(self) -> None:
        chat = self.settings.community_chat_id
        if chat is not None:
            members = await self.application.bot.get_chat_administrators(chat)
            self.admins = {m.user.id for m in members}

    def _track_admins(self, update: Update) -> None:
        change = update.chat_member
        if change is None or change.chat.id != self.settings.community_chat_id:
            return
        user, status = change.new_chat_member.user.id, change.new_chat_member.status
        if status in ("administrator", "creator"):
            self.admins.add(user)
        else:
            self.admins.discard(user)

    async def _publish(self, menu: CommandMenu) -> None:
        """Member commands for everyone; HR commands too in HR members' private chats and,
        when group admins are HR, for the community's administrators."""
        bot = self.application.bot
        member = [BotCommand(e.name, e.help[:256]) for e in menu.member]
        everything = member + [BotCommand(e.name, e.help[:256]) for e in menu.hr]
        await bot.set_my_commands(member, scope=BotCommandScopeDefault())
        for holder in menu.hr_holders:
            platform, _, ident = holder.partition(":")
            if platform == PLATFORM and ident.lstrip("-").isdigit():
                await bot.set_my_commands(everything, scope=BotCommandScopeChat(int(ident)))
        community = self.settings.community_chat_id
        if community is not None and f"{PLATFORM}:group_admin" in menu.hr_holders:
            await bot.set_my_commands(
                everything, scope=BotCommandScopeChatAdministrators(community)
            )

    # -- outbound -----------------------------------------------------------------------------

    @property
    def community(self) -> str | None:
        chat = self.settings.community_chat_id
        return str(chat) if chat is not None else None

    async def send(
        self, target: Target, message: Message, *, idempotency_key: str | None = None
    ) -> Sent:
        chat = target.user_id if isinstance(target, DirectTarget) else target.chat_id
        assert isinstance(target, DirectTarget | ChannelTarget)
        return await self._send(int(chat), message)

    async def reply(self, origin: Origin, message: Message, *, ephemeral: bool) -> Sent | None:
        return await self._send(int(origin.chat.id), message)

    async def edit(self, sent: Sent, message: Message) -> None:
        await self._call(
            self.application.bot.edit_message_text(
                message_html(message)[:4096],
                chat_id=int(sent.chat_id),
                message_id=int(sent.message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(message.buttons),
            )
        )

    async def delete(self, sent: Sent) -> None:
        await self._call(
            self.application.bot.delete_message(int(sent.chat_id), int(sent.message_id))
        )

    async def open_form(self, origin: Origin, form: Form) -> None:
        raise NotImplementedError("Telegram has no modal forms; the core asks in turn")

    async def send_poll(self, target: Target, poll: PollSpec) -> Sent:
        chat = int(target.user_id if isinstance(target, DirectTarget) else target.chat_id)
        quiz = poll.correct is not None
        sent = await self._call(
            self.application.bot.send_poll(
                chat,
                poll.question,
                list(poll.options),
                is_anonymous=poll.anonymous,
                type="quiz" if quiz else "regular",
                allows_multiple_answers=poll.multiple,
                explanation=poll.explanation,
                # Bot API 10.1 takes correct_option_ids; PTB 22.8 still sends the 10.0 name.
                api_kwargs={"correct_option_ids": [poll.correct]} if quiz else None,
            )
        )
        assert sent.poll is not None
        return Sent(PLATFORM, str(chat), str(sent.message_id), native_id=sent.poll.id)

    async def answer_join(self, origin: Origin, *, approve: bool) -> None:
        bot, chat, user = self.application.bot, int(origin.chat.id), int(origin.user.id)
        answer = bot.approve_chat_join_request if approve else bot.decline_chat_join_request
        await self._call(answer(chat, user))

    async def publish_home(self, origin: Origin, message: Message) -> None:
        raise NotImplementedError("Telegram has no home view")

    def describe(self, message: Message) -> str:
        return describe(message)

    async def invite_links(self, code: str) -> dict[str, str]:
        """A deep link to the bot and, with a community group, an invite link named after the
        code, so `chat_member.invite_link.name` tells exactly which code brought someone."""
        bot = self.application.bot
        links = {"deep_link": f"https://t.me/{bot.username}?start={code}"}
        if self.settings.community_chat_id is not None:
            invite = await self._call(
                bot.create_chat_invite_link(self.settings.community_chat_id, name=code[:32])
            )
            links["group_link"] = invite.invite_link
        return links

    async def _send(self, chat: int, message: Message) -> Sent:
        bot, text, markup = self.application.bot, message_html(message), keyboard(message.buttons)
        if message.attachment is not None or message.image is not None:
            caption = text if len(text) <= CAPTION_LIMIT else None
            if message.attachment is not None:
                file = message.attachment
                call = bot.send_document(
                    chat,
                    InputFile(file.data, filename=file.filename),
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            else:
                assert message.image is not None
                photo = message.image.data or message.image.url
                call = bot.send_photo(
                    chat, photo, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            sent = await self._call(call)
            if caption is None:
                sent = await self._text(chat, text, markup)
            return Sent(PLATFORM, str(chat), str(sent.message_id))
        return Sent(PLATFORM, str(chat), str((await self._text(chat, text, markup)).message_id))

    async def _text(self, chat: int, text: str, markup: Any) -> TgMessage:
        parts = pages(text)
        last: TgMessage | None = None
        for i, part in enumerate(parts):
            last = await self._call(
                self.application.bot.send_message(
                    chat,
                    part,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if i == len(parts) - 1 else None,
                )
            )
        assert last is not None
        return last

    async def _call(self, request: Any) -> Any:
        try:
            return await request
        except Forbidden as exc:
            raise Undeliverable(exc.message) from exc
        except TimedOut as exc:
            raise Uncertain("timed out: it may have been delivered, so it is not resent") from exc
        except TelegramError as exc:
            raise DeliveryError(exc.message) from exc


def request_over_aiohttp(timeout: float, read_timeout: float, connections: int = 1) -> HTTPXRequest:
    """PTB's request over aiohttp, the HTTP client of the other two adapters. httpx's own pool
    checks every idle connection on every request, which with a worker's sends in flight costs
    more CPU than Roost's whole delivery (see bench/fanout.py)."""
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=connections))
    return HTTPXRequest(
        connection_pool_size=connections,
        read_timeout=read_timeout,
        write_timeout=timeout,
        connect_timeout=timeout,
        httpx_kwargs={"transport": transport},
    )
