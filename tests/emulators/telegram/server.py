"""A Telegram Bot API server on 127.0.0.1, as python-telegram-bot talks to it.

`POST /bot<token>/<method>` with form or multipart bodies; answers `{"ok": true, "result": …}`
or Telegram's error objects. State: the bot, users, the community supergroup and private chats,
messages, polls, invite links, the update queue (long polling) or a webhook. Every request is
validated against the official spec and every object returned is built to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import secrets
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, ClassVar

from aiohttp import ClientSession, web

from tests.emulators.telegram.spec import ApiError, bad_request, build, has_method, validate_request

COMMUNITY_ID = -1001000000001
SENDS = {"sendMessage", "sendPhoto", "sendDocument", "sendPoll"}
WEBHOOK_PORTS = {80, 88, 443, 8443}  # the only ports Telegram calls a webhook on
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
DEFAULT_UPDATES = {
    "message",
    "edited_message",
    "callback_query",
    "poll_answer",
    "my_chat_member",
    "chat_join_request",
    "poll",
}


@dataclass
class Limits:
    """Telegram's flood limits; `enabled=False` for benchmarks of Roost's own overhead."""

    enabled: bool = True
    per_second: int = 30
    private_burst: int = 20  # "short bursts are allowed": a conversation is one
    private_per_second: float = 1.0
    group_per_minute: int = 20
    group_window: float = 60.0  # seconds; shorter only to test pacing without waiting a minute


@dataclass
class Faults:
    storm: int = 0  # the next N sends get 429
    storm_retry_after: int = 1
    errors: int = 0  # the next N requests get 500
    slow: float = 0.0  # seconds added to every answer
    deliver_then_stall: int = 0  # the next N sends are delivered, then answered too late
    stall_seconds: float = 3.0


@dataclass
class TgUser:
    id: int
    first_name: str
    username: str | None = None
    started: bool = False  # has opened a private chat with the bot
    blocked: bool = False

    def json(self) -> dict[str, Any]:
        return build(
            "User", id=self.id, is_bot=False, first_name=self.first_name, username=self.username
        )


@dataclass
class Request:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class Window:
    """A 429 answer sent at `issued`: nothing for `chat` (None: anything) before `until`."""

    chat: int | None
    issued: float
    until: float
    why: str = "limit"  # which rule: "storm" (a fault a test injected), "global", "group", "chat"


class TelegramEmulator:
    def __init__(self, token: str = "123456:TEST-TOKEN", limits: Limits | None = None) -> None:
        self.token = token
        self.limits = limits or Limits()
        self.faults = Faults()
        self.bot = build(
            "User",
            id=int(token.split(":")[0]),
            is_bot=True,
            first_name="Roost",
            username="roost_test_bot",
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
        )
        self.users: dict[int, TgUser] = {}
        self.group_members: dict[int, str] = {}  # user id -> status
        self.admins: set[int] = set()
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.polls: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[Request] = []
        self.windows: list[Window] = []
        self.updates: list[dict[str, Any]] = []
        self.allowed: set[str] = set(DEFAULT_UPDATES)
        self.webhook: dict[str, Any] | None = None
        # A public HTTPS origin -> the local HTTP address behind it: the TLS-terminating proxy
        # Roost sits behind in production, since Telegram calls HTTPS webhooks only.
        self.proxies: dict[str, str] = {}
        self.files: dict[str, bytes] = {}
        self.pending_link: dict[int, dict[str, Any] | None] = {}
        # Telegram serves one long poll per bot: a second one terminates the first with 409.
        self.conflicts = 0  # long polls so terminated
        self._poller: web.Request | None = None
        self._superseded: set[int] = set()
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._sent: deque[float] = deque()
        self._group_sent: dict[int, deque[float]] = defaultdict(deque)
        self._private_tokens: dict[int, tuple[float, float]] = {}
        self.queries: set[str] = set()  # callback query ids issued, not yet answered
        self._changed = asyncio.Condition()
        self._released = False
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self._pusher: asyncio.Task[None] | None = None
        self.url = ""

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=UPLOAD + 2**20)  # a document and its form
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._http = ClientSession()
        return self.url

    async def stop(self) -> None:
        await self.release()
        if self._pusher:
            self._pusher.cancel()
        if self._http:
            await self._http.close()
        if self._runner:
            await self._runner.cleanup()

    async def release(self) -> None:
        """End every waiting long poll now (so the bot can stop without waiting it out)."""
        self._released = True
        async with self._changed:
            self._changed.notify_all()

    def reopen(self) -> None:
        """Long polls wait again (for a bot that starts anew after `release`)."""
        self._released = False

    # -- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        now = time.monotonic()
        if request.match_info["token"] != self.token:
            return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        params = await _params(request)
        record = Request(method, params, now)
        self.requests.append(record)
        try:
            if not has_method(method) or not hasattr(self, f"m_{method}"):
                raise ApiError(404, "Not Found")
            typed = validate_request(method, params)
            if self.faults.slow:
                await asyncio.sleep(self.faults.slow)
            if self.faults.errors:
                self.faults.errors -= 1
                raise ApiError(500, "Internal Server Error")
            if method in SENDS:
                self._flood_check(typed, now)
            if method == "getUpdates":
                result = await self._long_poll(typed, request)
            else:
                result = await getattr(self, f"m_{method}")(typed)
            if method in SENDS and self.faults.deliver_then_stall:
                self.faults.deliver_then_stall -= 1
                await asyncio.sleep(self.faults.stall_seconds)
        except ApiError as exc:
            record.status = exc.code
            return _json(exc.payload(), exc.code)
        finally:
            async with self._changed:
                self._changed.notify_all()
        return _json({"ok": True, "result": result})

    # -- limits -------------------------------------------------------------------------------

    def _flood_check(self, params: dict[str, Any], now: float) -> None:
        chat = _int(params["chat_id"])
        waiting = [w.until for w in self.windows if w.until > now and w.chat in (None, chat)]
        if waiting:  # told to wait and did not: refused again, for the time still left
            left = max(waiting) - now
            raise ApiError(
                429, f"Too Many Requests: retry after {math.ceil(left)}", math.ceil(left)
            )
        if self.faults.storm:
            self.faults.storm -= 1
            self._too_many(None, now, self.faults.storm_retry_after, "storm")
        if not self.limits.enabled:
            return
        while self._sent and now - self._sent[0] >= 1:
            self._sent.popleft()
        if len(self._sent) >= self.limits.per_second:
            self._too_many(None, now, 1, "global")
        if chat < 0:
            sent = self._group_sent[chat]
            window = self.limits.group_window
            while sent and now - sent[0] >= window:
                sent.popleft()
            if len(sent) >= self.limits.group_per_minute:
                self._too_many(chat, now, int(window - (now - sent[0])) + 1, "group")
            sent.append(now)
        else:
            tokens, last = self._private_tokens.get(chat, (float(self.limits.private_burst), now))
            tokens = min(
                self.limits.private_burst, tokens + (now - last) * self.limits.private_per_second
            )
            if tokens < 1:
                self._too_many(chat, now, 1, "chat")
            self._private_tokens[chat] = (tokens - 1, now)
        self._sent.append(now)

    def _too_many(self, chat: int | None, now: float, retry_after: int, why: str) -> None:
        self.windows.append(Window(chat, now, now + retry_after, why))
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def sends_inside_windows(self, grace: float = 0.25) -> list[Request]:
        """Sends that arrived while a 429 told the bot to wait: the limiter's failures. A send
        arriving within `grace` of the 429 was on its way before the bot could know."""
        return [
            req
            for req in self.requests
            if req.method in SENDS
            and any(
                w.issued + grace < req.at < w.until - 0.01
                and w.chat in (None, _int(req.params.get("chat_id", 0)))
                for w in self.windows
            )
        ]

    # -- updates ------------------------------------------------------------------------------

    async def push(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        if kind == "callback_query":  # an id Telegram issued, to be answered once
            self.queries.add(payload["id"])
        update = build("Update", update_id=update_id, **{kind: payload})
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update_id

    async def _long_poll(self, p: dict[str, Any], request: web.Request) -> list[dict[str, Any]]:
        """One long poll at a time, as Telegram serves them: a poll from a second bot
        instance while another is still waiting on a live connection ends the waiting one
        with 409 (one whose client is gone, such as a killed process, is not counted)."""
        other = self._poller
        if other is not None and other.transport is not None and not other.transport.is_closing():
            self.conflicts += 1
            self._superseded.add(id(other))
        self._poller = request
        try:
            return await self.m_getUpdates(p, request)
        finally:
            self._superseded.discard(id(request))
            if self._poller is request:
                self._poller = None

    async def m_getUpdates(
        self, p: dict[str, Any], request: web.Request | None = None
    ) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            self.allowed = set(p["allowed_updates"]) or set(DEFAULT_UPDATES)
        offset, limit = p.get("offset", 0), p.get("limit", 100)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + p.get("timeout", 0)
        async with self._changed:
            while True:
                if id(request) in self._superseded:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                ready = [u for u in self.updates if self._wanted(u)][:limit]
                left = deadline - time.monotonic()
                if ready or left <= 0 or self._released:
                    return ready
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)

    def _wanted(self, update: dict[str, Any]) -> bool:
        return any(kind in self.allowed for kind in update if kind != "update_id")

    async def m_setWebhook(self, p: dict[str, Any]) -> bool:
        url = urllib.parse.urlsplit(p["url"])
        if url.scheme != "https" or not url.hostname:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if "." not in url.hostname:  # `localhost`, an intranet name: nothing Telegram reaches
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        if (url.port or 443) not in WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = p.get("secret_token")
        if secret is not None and not WEBHOOK_SECRET.fullmatch(secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        self.webhook = {"url": p["url"], "secret": secret}
        if "allowed_updates" in p:
            self.allowed = set(p["allowed_updates"]) or set(DEFAULT_UPDATES)
        if p.get("drop_pending_updates"):
            self.updates.clear()
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.create_task(self._push_webhook())
        return True

    async def m_deleteWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = None
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def m_getWebhookInfo(self, _p: dict[str, Any]) -> dict[str, Any]:
        return build(
            "WebhookInfo",
            url=self.webhook["url"] if self.webhook else "",
            has_custom_certificate=False,
            pending_update_count=len(self.updates),
        )

    async def _push_webhook(self) -> None:
        """POST queued updates to the webhook one at a time, retrying until it answers 2xx."""
        assert self._http is not None
        while self.webhook:
            async with self._changed:
                ready = [u for u in self.updates if self._wanted(u)]
                if not ready:
                    await self._changed.wait()
                    continue
            update, hook = ready[0], self.webhook
            headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret"]} if hook["secret"] else {}
            try:
                url = self.through_proxy(hook["url"])
                async with self._http.post(url, json=update, headers=headers) as response:
                    delivered = response.status < 300
            except OSError:
                delivered = False
            if delivered:
                self.updates.remove(update)
            else:
                await asyncio.sleep(0.05)

    def through_proxy(self, url: str) -> str:
        for public, local in self.proxies.items():
            if url.startswith(public):
                return local + url[len(public) :]
        return url

    # -- bot methods --------------------------------------------------------------------------

    async def m_getMe(self, _p: dict[str, Any]) -> dict[str, Any]:
        return self.bot

    async def m_setMyCommands(self, p: dict[str, Any]) -> bool:
        scope = p.get("scope", {"type": "default"})
        if len(p["commands"]) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in p["commands"]:
            if not COMMAND.fullmatch(command["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[json.dumps(scope, sort_keys=True)] = p["commands"]
        return True

    async def m_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        _check_markup(p)
        plain, entities = _formatted(p, "text")
        return self._post(p, text=plain, entities=entities)

    async def m_sendPhoto(self, p: dict[str, Any]) -> dict[str, Any]:
        _check_caption(p)
        upload: Any = p.get("photo")
        if hasattr(upload, "file") and len(upload.file.read()) > PHOTO:
            raise ApiError(413, "Request Entity Too Large")
        photo = [
            build(
                "PhotoSize",
                file_id=f"photo{next(self._ids)}",
                file_unique_id=secrets.token_hex(4),
                width=800,
                height=600,
            )
        ]
        caption, entities = _formatted(p, "caption")
        return self._post(p, photo=photo, caption=caption, caption_entities=entities)

    async def m_sendDocument(self, p: dict[str, Any]) -> dict[str, Any]:
        _check_caption(p)
        upload = p["document"]
        name = getattr(upload, "filename", None) or "file"
        data = upload.file.read() if hasattr(upload, "file") else b""
        if len(data) > UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        file_id = f"doc{next(self._ids)}"
        document = build(
            "Document",
            file_id=file_id,
            file_unique_id=secrets.token_hex(4),
            file_name=name,
            file_size=len(data),
        )
        caption, entities = _formatted(p, "caption")
        message = self._post(p, document=document, caption=caption, caption_entities=entities)
        self.files[file_id] = data
        return message

    async def m_sendPoll(self, p: dict[str, Any]) -> dict[str, Any]:
        options = p["options"]
        if not 2 <= len(options) <= 12:
            raise bad_request("poll must have 2-12 options")
        if not 1 <= len(p["question"]) <= 300:
            raise bad_request("POLL_QUESTION_INVALID")
        if any(not 1 <= len(o.get("text", "")) <= 100 for o in options):
            raise bad_request("POLL_OPTION_INVALID")
        if len(p.get("explanation") or "") > 200:
            raise bad_request("explanation is too long")
        poll_id = str(next(self._ids) * 1000)
        poll = build(
            "Poll",
            id=poll_id,
            question=p["question"],
            total_voter_count=0,
            is_closed=False,
            options=[
                build("PollOption", persistent_id=f"{poll_id}-{i}", text=o["text"], voter_count=0)
                for i, o in enumerate(options)
            ],
            is_anonymous=p.get("is_anonymous", True),
            type=p.get("type", "regular"),
            allows_multiple_answers=p.get("allows_multiple_answers", False),
            allows_revoting=p.get("allows_revoting", True),
            members_only=False,
            correct_option_ids=p.get("correct_option_ids"),
            explanation=p.get("explanation"),
        )
        message = self._post(p, poll=poll)
        self.polls[poll_id] = {
            "poll": poll,
            "chat": _int(p["chat_id"]),
            "message_id": message["message_id"],
        }
        return message

    async def m_stopPoll(self, p: dict[str, Any]) -> dict[str, Any]:
        for entry in self.polls.values():
            if entry["chat"] == _int(p["chat_id"]) and entry["message_id"] == p["message_id"]:
                entry["poll"]["is_closed"] = True
                return entry["poll"]  # type: ignore[no-any-return]
        raise bad_request("poll can't be stopped")

    async def m_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (_int(p.get("chat_id", 0)), p.get("message_id", 0))
        if key not in self.messages:
            raise bad_request("message to edit not found")
        _check_markup(p)
        message = self.messages[key]
        if message.get("text") == p["text"] and message.get("reply_markup") == p.get(
            "reply_markup"
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup "
                "of the message"
            )
        plain, entities = _formatted(p, "text")
        message.update(text=plain, edit_date=int(time.time()))
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message.pop("reply_markup", None)
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        return message

    async def m_deleteMessage(self, p: dict[str, Any]) -> bool:
        if self.messages.pop((_int(p["chat_id"]), p["message_id"]), None) is None:
            raise bad_request("message to delete not found")
        return True

    async def m_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        if p["callback_query_id"] not in self.queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.queries.discard(p["callback_query_id"])
        return True

    async def m_createChatInviteLink(self, p: dict[str, Any]) -> dict[str, Any]:
        self._community(p)
        if len(p.get("name", "")) > 32:
            raise bad_request("invite link name is too long")
        if p.get("creates_join_request") and p.get("member_limit"):
            raise bad_request("member limit can't be specified for links requiring approval")
        link = f"https://t.me/+{secrets.token_urlsafe(12)}"
        self.links[link] = build(
            "ChatInviteLink",
            invite_link=link,
            creator=self.bot,
            is_primary=False,
            is_revoked=False,
            creates_join_request=p.get("creates_join_request", False),
            name=p.get("name"),
            expire_date=p.get("expire_date"),
            member_limit=p.get("member_limit"),
        )
        return self.links[link]

    async def m_revokeChatInviteLink(self, p: dict[str, Any]) -> dict[str, Any]:
        self._community(p)
        if p["invite_link"] not in self.links:
            raise bad_request("INVITE_HASH_INVALID")
        self.links[p["invite_link"]]["is_revoked"] = True
        return self.links[p["invite_link"]]

    async def m_approveChatJoinRequest(self, p: dict[str, Any]) -> bool:
        self._community(p)
        if self.group_members.get(p["user_id"]) != "pending":
            raise bad_request("HIDE_REQUESTER_MISSING")
        await self._set_status(
            self.users[p["user_id"]], "member", self.pending_link.pop(p["user_id"], None)
        )
        return True

    async def m_declineChatJoinRequest(self, p: dict[str, Any]) -> bool:
        self._community(p)
        self.group_members.pop(p["user_id"], None)
        return True

    async def m_getChatMember(self, p: dict[str, Any]) -> dict[str, Any]:
        self._community(p)
        user = self.users.get(p["user_id"])
        if user is None:
            raise bad_request("user not found")
        return self._member_json(user, self.group_members.get(user.id, "left"))

    async def m_getChatAdministrators(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        self._community(p)
        return [self._member_json(self.users[uid], "administrator") for uid in sorted(self.admins)]

    # -- helpers ------------------------------------------------------------------------------

    def _community(self, p: dict[str, Any]) -> None:
        if _int(p["chat_id"]) != COMMUNITY_ID:
            raise bad_request("chat not found")

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        if chat_id == COMMUNITY_ID:
            return build("Chat", id=chat_id, type="supergroup", title="Acme Talent Community")
        user = self.users[chat_id]
        return build(
            "Chat", id=chat_id, type="private", first_name=user.first_name, username=user.username
        )

    def _post(self, p: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = _int(p["chat_id"])
        if chat_id != COMMUNITY_ID:
            user = self.users.get(chat_id)
            if user is None:
                raise bad_request("chat not found")
            if user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        message_id = next(self._message_ids[chat_id])
        message = build(
            "Message",
            message_id=message_id,
            date=int(time.time()),
            chat=self.chat_json(chat_id),
            from_=self.bot,
            reply_markup=p.get("reply_markup"),
            **content,
        )
        self.messages[(chat_id, message_id)] = message
        return message

    def _member_json(self, user: TgUser, status: str) -> dict[str, Any]:
        if status == "administrator":
            rights = dict.fromkeys(
                (
                    "can_be_edited",
                    "is_anonymous",
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                ),
                False,
            )
            return build("ChatMemberAdministrator", status=status, user=user.json(), **rights)
        if status == "member":
            return build("ChatMemberMember", status=status, user=user.json())
        return build("ChatMemberLeft", status="left", user=user.json())

    async def _set_status(
        self, user: TgUser, status: str, link: dict[str, Any] | None = None
    ) -> None:
        old = self.group_members.get(user.id, "left")
        old = "left" if old == "pending" else old
        self.group_members[user.id] = status
        await self.push(
            "chat_member",
            build(
                "ChatMemberUpdated",
                chat=self.chat_json(COMMUNITY_ID),
                from_=user.json(),
                date=int(time.time()),
                old_chat_member=self._member_json(user, old),
                new_chat_member=self._member_json(user, status),
                invite_link=link,
            ),
        )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request("chat not found") from None


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, content_type="application/json")


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    if request.content_type.startswith("multipart/"):
        return dict((await request.post()).items())
    return dict((await request.post()).items()) or dict(request.query)


def _check_caption(p: dict[str, Any]) -> None:
    _check_markup(p)


def _check_markup(p: dict[str, Any]) -> None:
    for key in ("text", "caption"):
        if key in p:
            _formatted(p, key)
    markup = p.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not 1 <= len(button.get("callback_data", "-").encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            if ("callback_data" in button) == ("url" in button):  # exactly one of them
                raise bad_request("BUTTON_TYPE_INVALID")
            if "url" in button and not _public_link(button["url"]):
                raise bad_request("BUTTON_URL_INVALID")


def _public_link(url: str) -> bool:
    """What a URL button may open: http(s) or tg, to a host with a dot in it (Telegram
    refuses `localhost` and other bare host names)."""
    if not LINK.match(url):
        return False
    host = urllib.parse.urlsplit(url).hostname or ""
    return url.lower().startswith("tg://") or "." in host


LINK = re.compile(r"^(https?|tg)://[^\s]+$", re.I)
COMMAND = re.compile(r"[a-z0-9_]{1,32}")  # Bot API: lowercase English letters, digits, _
UPLOAD = 50 * 2**20  # bytes: what a bot may send as a document
PHOTO = 10 * 2**20  # and as a photo
LIMITS = {"text": 4096, "caption": 1024}  # characters after entity parsing
# What HTML parse mode accepts besides tags: only these named entities, and numeric ones.
STRAY = re.compile(
    r"<(?!/?[a-zA-Z][a-zA-Z-]*(?:\s[^<>]*)?>)|&(?!(?:lt|gt|amp|quot|#\d+|#x[\da-fA-F]+);)"
)


def _formatted(p: dict[str, Any], key: str) -> tuple[str | None, list[dict[str, Any]] | None]:
    """What Telegram stores of a formatted text: the plain text and its entities, within the
    length Telegram allows after parsing."""
    if key not in p:
        return None, None
    plain, entities = p[key], None
    if p.get("parse_mode") == "HTML":
        if stray := STRAY.search(plain):
            raise bad_request(
                f"can't parse entities: unexpected {stray[0]!r} at byte offset {stray.start()}"
            )
        parser = _Html()
        parser.feed(plain)
        parser.close()
        if parser.stack:
            tag = parser.stack[-1][0]
            raise bad_request(
                f"can't parse entities: can't find end tag corresponding to start tag {tag}"
            )
        plain, entities = parser.text, parser.entities or None
    if key == "text" and not plain.strip():
        raise bad_request("message text is empty")
    if len(plain) > LIMITS[key]:
        raise bad_request(
            "message caption is too long" if key == "caption" else "message is too long"
        )
    return plain, entities


class _Html(HTMLParser):
    """Telegram's HTML parse mode: only its tags, properly nested; offsets in UTF-16 units."""

    KINDS: ClassVar[dict[str, str]] = {
        "b": "bold",
        "strong": "bold",
        "i": "italic",
        "em": "italic",
        "u": "underline",
        "ins": "underline",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "a": "text_link",
        "code": "code",
        "pre": "pre",
        "tg-spoiler": "spoiler",
        "blockquote": "blockquote",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self.stack: list[tuple[str, int, str | None]] = []

    def _offset(self) -> int:
        return len(self.text.encode("utf-16-le")) // 2

    ATTRIBUTES: ClassVar[dict[str, set[str]]] = {
        "a": {"href"},
        "code": {"class"},
        "span": {"class"},
        "blockquote": {"expandable"},
    }

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "span" and given.get("class") == "tg-spoiler":
            tag = "tg-spoiler"
        if tag not in self.KINDS:
            raise bad_request(f'can\'t parse entities: unsupported start tag "{tag}"')
        for name in set(given) - self.ATTRIBUTES.get("span" if tag == "tg-spoiler" else tag, set()):
            raise bad_request(f'can\'t parse entities: unsupported attribute "{name}" of "{tag}"')
        if tag == "a" and not LINK.match(given.get("href") or ""):
            raise bad_request("can't parse entities: an a tag needs an http(s) or tg href")
        if self.stack and self.stack[-1][0] in ("pre", "code") and tag != "code":
            raise bad_request(f"can't parse entities: {tag} can't be inside pre or code")
        self.stack.append((tag, self._offset(), given.get("href")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.stack and self.stack[-1][0] == "tg-spoiler":
            tag = "tg-spoiler"
        if not self.stack or self.stack[-1][0] != tag:
            raise bad_request(f'can\'t parse entities: unmatched end tag "{tag}"')
        _, start, href = self.stack.pop()
        if self._offset() > start:
            entity = build(
                "MessageEntity",
                type=self.KINDS[tag],
                offset=start,
                length=self._offset() - start,
                url=href,
            )
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text += data
