"""Slack through slack-bolt: Socket Mode, or HTTP on Roost's own web server.

One slash command (default `/roost`) carries every core command as its first word. Bolt
verifies request signatures (401 for bad, stale or missing ones); events Slack retries are
handled once, by event id. Calls are paced by method tier and per channel, and a 429 pauses
every call it concerns for its Retry-After.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapter import Capabilities, CommandMenu, DeliveryError, Dispatch, Undeliverable
from bot.adapters.slack import render
from bot.adapters.slack.pacing import Pacer, PausingRetryHandler
from bot.events import (
    ActionPressed,
    Chat,
    ChatKind,
    CommandInvoked,
    Event,
    FormSubmitted,
    HomeOpened,
    MemberActive,
    MemberJoined,
    Origin,
    TextReceived,
    User,
)
from bot.messages import ChannelTarget, DirectTarget, Form, Message, PollSpec, Sent, Target
from bot.settings import SlackSettings

log = logging.getLogger("roost.slack")
GROUPS_FRESH = 60.0  # seconds: user groups read this recently need no reading on a takeover
PLATFORM = "slack"
GONE = {
    "user_disabled",
    "account_inactive",
    "user_not_found",
    "cannot_dm_bot",
    "user_not_in_channel",
}


class SlackAdapter:
    platform = PLATFORM
    capabilities = Capabilities(
        modal_forms=True,
        max_form_fields=20,
        ephemeral_replies=True,
        home=True,
        max_text=3000,
        max_buttons=25,
        max_upload=2**30,  # Slack takes files up to a gigabyte
    )

    def __init__(self, settings: SlackSettings) -> None:
        assert settings.bot_token is not None
        self.settings = settings
        self.capabilities = dataclasses.replace(
            self.capabilities, command_prefix=f"{settings.command} "
        )
        self.pacer = Pacer(settings.rate_window)
        handlers = [
            AsyncConnectionErrorRetryHandler(),
            PausingRetryHandler(self.pacer, settings.max_retries),
        ]
        self.client = AsyncWebClient(
            token=settings.bot_token.get_secret_value(),
            base_url=settings.api_url,
            retry_handlers=handlers,
        )
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None

        async def authorize() -> AuthorizeResult:  # Bolt passes what the function names
            return await self._authorize()

        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=secret,
            request_verification_enabled=settings.mode == "http",
            authorize=authorize,
            logger=logging.getLogger("roost.slack.bolt"),
        )
        self.bolt.command(settings.command)(self._on_command)
        self.bolt.action(re.compile(".+"))(self._on_action)
        self.bolt.view(re.compile(".+"))(self._on_view)
        self.bolt.event("app_home_opened")(self._on_home)
        self.bolt.event("team_join")(self._on_team_join)
        self.bolt.event("member_joined_channel")(self._on_channel_join)
        self.bolt.event("message")(self._on_message)
        self.bolt.event("subteam_members_changed")(self._on_group_change)
        self.groups: dict[str, set[str]] = {}  # user group id -> members (roles by group)
        self._names: dict[str, tuple[str | None, str | None]] = {}
        self._dms: dict[str, str] = {}
        self.listens = settings.mode == "socket"
        self._groups_read = 0.0  # when the user groups were last read (monotonic)
        self._dispatch: Dispatch | None = None
        self._ready = asyncio.Event()
        self._identity: AuthorizeResult | None = None  # who the bot is, asked once
        self._learning: set[asyncio.Task[None]] = set()  # names being looked up

    # -- lifecycle ----------------------------------------------------------------------------

    async def _authorize(self) -> AuthorizeResult:
        """Bolt's question for every request, answered from one auth.test at start: asked
        on the first request instead, it would spend a slash command's three seconds (its
        trigger_id's life) before the modal could open."""
        if self._identity is None:
            assert self.settings.bot_token is not None
            self._identity = AuthorizeResult.from_auth_test_response(
                auth_test_response=await self.client.auth_test(),
                bot_token=self.settings.bot_token.get_secret_value(),
            )
        return self._identity

    async def run(self, dispatch: Dispatch, menu: CommandMenu | None) -> None:
        self._dispatch = dispatch
        for holder in menu.role_holders if menu else ():  # user groups in [roles] are watched
            platform, _, ident = holder.partition(":")
            if platform == PLATFORM and ident.startswith("S"):
                self.groups[ident] = set()
        await self._read_groups()
        self.client.session = aiohttp.ClientSession()  # one pool, not a session per call
        await self._authorize()
        try:
            log.info("Slack: %s mode, command %s", self.settings.mode, self.settings.command)
            self._ready.set()
            await asyncio.Event().wait()
        finally:
            self._ready.clear()
            await self.client.session.close()

    async def _read_groups(self) -> None:
        """The members of each user group that [roles] names (kept current by events)."""
        self._groups_read = time.monotonic()
        for ident in self.groups:
            try:
                listed = await self._api("usergroups.users.list", None, usergroup=ident)
            except DeliveryError as exc:  # roles by group wait; everything else goes on
                log.warning("could not read user group %s: %s", ident, exc)
                continue
            self.groups[ident] = set(listed.get("users", []))

    async def listen(self) -> None:
        """Socket Mode, in the one process holding Slack's lease."""
        await self._ready.wait()
        if time.monotonic() - self._groups_read > GROUPS_FRESH:
            await self._read_groups()  # changes the previous holder saw, this process did not
        assert self.settings.app_token is not None
        socket = AsyncSocketModeHandler(
            self.bolt,
            self.settings.app_token.get_secret_value(),
            web_client=AsyncWebClient(base_url=self.settings.api_url),
        )
        await socket.connect_async()  # type: ignore[no-untyped-call]
        try:
            await asyncio.Event().wait()
        finally:
            await socket.close_async()  # type: ignore[no-untyped-call]

    def routes(self) -> Sequence[web.RouteDef]:
        if self.settings.mode != "http":
            return ()
        return (web.post(self.settings.events_path, self._http),)

    async def _http(self, request: web.Request) -> web.Response:
        """A request whose signature cannot even be computed (a timestamp that is not a number,
        a body that is not UTF-8) is refused as unsigned, and a JSON body that is no object
        as malformed, where Bolt would fail with a 500."""
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if stamp and not (stamp.isascii() and stamp.isdigit()):
            return web.Response(status=401, text="invalid request")
        try:
            body = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=401, text="invalid request")
        if not _readable(request.content_type, body):
            return web.Response(status=400, text="not a Slack request")
        return await to_aiohttp_response(
            await self.bolt.async_dispatch(await to_bolt_request(request))
        )

    def describe(self, message: Message) -> str:
        return render.describe(message)

    async def invite_links(self, code: str) -> dict[str, str]:
        """Slack has no invite links outside Enterprise Grid: members redeem the code."""
        return {"command": f"{self.settings.command} join {code}"}

    # -- inbound ------------------------------------------------------------------------------

    async def _emit(self, event: Event | None) -> None:
        if event is not None and self._dispatch is not None:
            await self._dispatch(event)

    async def _user(self, user_id: str, name: str | None = None, handle: str | None = None) -> User:
        """Who this is. A name the event does not carry is looked up in the background (and
        reaches the core with their next event): a users.info first would spend the three
        seconds a slash command's modal has to open."""
        if user_id not in self._names:
            if name is None:
                learning = asyncio.create_task(self._learn_name(user_id))
                self._learning.add(learning)
                learning.add_done_callback(self._learning.discard)
            self._names[user_id] = (name or handle, handle)
        name, handle = self._names[user_id]
        roles = frozenset(g for g, members in self.groups.items() if user_id in members)
        return User(PLATFORM, user_id, name=name, handle=handle, platform_roles=roles)

    async def _learn_name(self, user_id: str) -> None:
        try:
            info = (await self._api("users.info", None, user=user_id)).get("user", {})
        except DeliveryError as exc:
            log.info("could not look up a Slack user's name: %s", exc)
            return
        name, handle = info.get("real_name") or info.get("name"), info.get("name")
        self._names[user_id] = (name, handle or self._names.get(user_id, (None, None))[1])

    async def _origin(
        self,
        user_id: str,
        channel: str | None,
        interaction: dict[str, Any] | None = None,
        name: str | None = None,
        handle: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> Origin:
        """Who and where; an event's `event_id` (the same when Slack retries it) goes along,
        so the core handles it once whichever Roost process the retry reaches."""
        kind = ChatKind.DM if not channel or channel.startswith("D") else ChatKind.CHANNEL
        chat = Chat(PLATFORM, channel or "", kind)
        token = json.dumps(interaction) if interaction else None
        event_id = (body or {}).get("event_id")
        return Origin(await self._user(user_id, name, handle), chat, token, event_id)

    async def _on_command(self, ack: Any, command: dict[str, Any]) -> None:
        await ack()
        name, _, rest = (command.get("text") or "").strip().partition(" ")
        origin = await self._origin(
            command["user_id"],
            command.get("channel_id"),
            {"trigger_id": command.get("trigger_id"), "response_url": command.get("response_url")},
            handle=command.get("user_name"),
        )
        await self._emit(
            CommandInvoked(origin=origin, name=(name or "help").lower(), text=rest.strip())
        )

    async def _on_action(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        action = body["actions"][0]
        if action["action_id"].startswith("link#"):
            return  # a link button: the browser opened it; nothing for the core
        name, value = render.action_of(action["action_id"], action.get("value", ""))
        channel = (body.get("channel") or {}).get("id")
        user = body["user"]
        origin = await self._origin(
            user["id"],
            channel,
            {"trigger_id": body.get("trigger_id"), "response_url": body.get("response_url")},
            handle=user.get("username"),
        )
        message_ts = (body.get("container") or {}).get("message_ts")
        await self._emit(
            ActionPressed(origin=origin, action=name, value=value, message_id=message_ts)
        )

    async def _on_view(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        view = body["view"]
        origin = await self._origin(
            body["user"]["id"],
            view.get("private_metadata") or None,
            {"trigger_id": body.get("trigger_id")},
            handle=body["user"].get("username"),
        )
        await self._emit(
            FormSubmitted(
                origin=origin, form=view["callback_id"], values=render.submitted_values(view)
            )
        )

    async def _on_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            origin = await self._origin(event["user"], event.get("channel"), body=body)
            await self._emit(HomeOpened(origin=origin))

    async def _on_team_join(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event["user"]
        if not user.get("is_bot"):
            origin = await self._origin(
                user["id"], None, name=user.get("real_name"), handle=user.get("name"), body=body
            )
            await self._emit(MemberJoined(origin=origin))

    async def _on_channel_join(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel") == self.settings.community_channel:
            origin = await self._origin(event["user"], None, body=body)
            await self._emit(MemberJoined(origin=origin))

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype") or "user" not in event:
            return
        origin = await self._origin(event["user"], event.get("channel"), body=body)
        if event.get("channel_type") == "im":
            await self._emit(TextReceived(origin=origin, text=event.get("text", "")))
        else:
            await self._emit(MemberActive(origin=origin))

    async def _on_group_change(self, event: dict[str, Any]) -> None:
        group = self.groups.get(event.get("subteam_id", ""))
        if group is not None:
            group.update(event.get("added_users", []))
            group.difference_update(event.get("removed_users", []))

    # -- outbound -----------------------------------------------------------------------------

    @property
    def community(self) -> str | None:
        return self.settings.community_channel

    async def send(
        self, target: Target, message: Message, *, idempotency_key: str | None = None
    ) -> Sent:
        if isinstance(target, DirectTarget):
            if target.dm_chat_id:
                try:
                    return await self._post(target.dm_chat_id, message)
                except DeliveryError as exc:
                    if str(exc) != "channel_not_found":  # else opened again below
                        raise
            return await self._post(await self._dm(target.user_id), message)
        assert isinstance(target, ChannelTarget)
        return await self._post(target.chat_id, message)

    async def reply(self, origin: Origin, message: Message, *, ephemeral: bool) -> Sent | None:
        """In a DM, a message; in a channel, an ephemeral answer only the member sees (but a
        file can't be ephemeral: a message with one goes to the member's DM instead)."""
        has_file = message.attachment is not None or (message.image and message.image.data)
        if origin.chat.kind is ChatKind.DM:
            return await self._post(origin.chat.id or await self._dm(origin.user.id), message)
        if has_file:
            return await self._post(await self._dm(origin.user.id), message)
        response_url = json.loads(origin.interaction or "{}").get("response_url")
        if response_url:
            await AsyncWebhookClient(response_url).send(
                text=render.fallback_text(message),
                blocks=render.blocks(message),
                response_type="ephemeral",
            )
        else:
            await self._api(
                "chat.postEphemeral",
                origin.chat.id,
                channel=origin.chat.id,
                user=origin.user.id,
                text=render.fallback_text(message),
                blocks=render.blocks(message),
            )
        return None

    async def edit(self, sent: Sent, message: Message) -> None:
        await self._api(
            "chat.update",
            sent.chat_id,
            channel=sent.chat_id,
            ts=sent.message_id,
            text=render.fallback_text(message),
            blocks=render.blocks(message),
        )

    async def delete(self, sent: Sent) -> None:
        await self._api("chat.delete", sent.chat_id, channel=sent.chat_id, ts=sent.message_id)

    async def open_form(self, origin: Origin, form: Form) -> None:
        trigger = json.loads(origin.interaction or "{}").get("trigger_id")
        view = render.modal(form, origin.chat.id if origin.chat.kind is ChatKind.CHANNEL else "")
        await self._api("views.open", None, trigger_id=trigger, view=view)

    async def publish_home(self, origin: Origin, message: Message) -> None:
        await self._api(
            "views.publish", None, user_id=origin.user.id, view=render.home_view(message)
        )

    async def send_poll(self, target: Target, poll: PollSpec) -> Sent:
        raise NotImplementedError("Slack has no native polls; the core uses buttons")

    async def answer_join(self, origin: Origin, *, approve: bool) -> None:
        raise NotImplementedError("Slack workspaces have no join requests for apps")

    async def _dm(self, user_id: str) -> str:
        if user_id not in self._dms:
            opened = await self._api("conversations.open", None, users=user_id)
            self._dms[user_id] = opened["channel"]["id"]
        return self._dms[user_id]

    async def _post(self, channel: str, message: Message) -> Sent:
        posted = await self._api(
            "chat.postMessage",
            channel,
            channel=channel,
            text=render.fallback_text(message),
            blocks=render.blocks(message),
        )
        if message.attachment is not None or (message.image is not None and message.image.data):
            file = message.attachment
            data, name = (file.data, file.filename) if file else (message.image.data, "image.png")  # type: ignore[union-attr]
            await self.pacer.wait("files.getUploadURLExternal")
            await self._guard(
                self.client.files_upload_v2(
                    channel=channel, content=data, filename=name, title=name
                )
            )
        return Sent(PLATFORM, channel, posted["ts"])

    async def _api(self, method: str, paced: str | None, /, **params: Any) -> dict[str, Any]:
        """Call `method` once its tier (and channel `paced`, for posts) has room, through
        slack-sdk's own method, which sends each the encoding Slack reads (form or JSON)."""
        await self.pacer.wait(method, paced)
        call = getattr(self.client, method.replace(".", "_"))
        response = await self._guard(call(**params))
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def _guard(self, call: Any) -> Any:
        try:
            return await call
        except SlackApiError as exc:
            data = exc.response.data
            error = (
                str(data.get("error"))
                if isinstance(data, dict)
                else f"http {exc.response.status_code}"
            )
            if error in GONE:
                raise Undeliverable(error) from exc
            raise DeliveryError(error) from exc


def _readable(content_type: str, body: str) -> bool:
    """Whether Bolt can read the body: a JSON object, or a form whose `payload` (an
    interaction) is one."""
    if content_type == "application/x-www-form-urlencoded":
        payload = urllib.parse.parse_qs(body).get("payload")
        body = payload[0] if payload else "{}"
    elif content_type != "application/json":
        return True
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False
