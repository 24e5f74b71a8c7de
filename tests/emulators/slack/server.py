"""A Slack workspace on 127.0.0.1, as slack-sdk and slack-bolt talk to it.

The Web API (`/api/<method>`, bearer tokens, JSON or form bodies), `response_url` endpoints,
file upload URLs, and Socket Mode (`apps.connections.open` → a websocket with hello, envelopes
and acks). Toward the app it acts as Slack: signed HTTP requests, or Socket Mode envelopes.
Calls are validated against the official spec; rate limits follow Slack's tiers and the
one-message-a-second pace per channel, answering 429 with Retry-After.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import math
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, WSMsgType, web

from tests.emulators.slack.spec import (
    FORM,
    JSON,
    SlackError,
    check_blocks,
    check_view,
    content_types,
    known_method,
    validate_call,
    validate_event,
)

TEAM, APP, BOT_USER = "T0ROOST", "A0ROOST", "U0BOT"
COMMUNITY = "C0COMMUNITY"
TIERS = {  # calls per minute per workspace, by Slack's published tiers
    "auth.test": 100,
    "chat.postEphemeral": 100,
    "chat.update": 50,
    "chat.delete": 50,
    "conversations.open": 50,
    "conversations.info": 50,
    "users.info": 100,
    "usergroups.users.list": 20,
    "views.open": 100,
    "views.update": 100,
    "views.publish": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
    "apps.connections.open": 100,
}


@dataclass
class SlackLimits:
    enabled: bool = True
    minute: float = 60.0  # how long a tier's minute lasts (tests shorten it)
    tiers: dict[str, int] = field(default_factory=lambda: dict(TIERS))
    channel_burst: int = 10  # chat.postMessage: about one a second per channel, short bursts
    channel_per_second: float = 1.0


@dataclass
class SlackFaults:
    storm: int = 0  # the next N calls get 429
    storm_retry_after: int = 1
    errors: int = 0  # the next N calls get 500
    slow: float = 0.0  # seconds each call takes to reach Slack (the latency switch)
    broken: set[str] = field(default_factory=set)  # methods that answer 500 until mended


TRIGGER_LIFE = 3.0  # seconds a trigger_id can open a view, once


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    ignored: tuple[str, ...] = ()  # arguments sent in a body this method does not read
    error: str | None = None  # what Slack answered, when it refused


@dataclass
class Window:
    key: str  # a method, or "channel:<id>"
    issued: float
    until: float


class SlackEmulator:
    def __init__(
        self, limits: SlackLimits | None = None, signing_secret: str = "signing-secret"
    ) -> None:
        self.bot_token, self.app_token = "xoxb-roost-test", "xapp-roost-test"
        self.signing_secret = signing_secret
        self.limits = limits or SlackLimits()
        self.faults = SlackFaults()
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.channels: dict[str, dict[str, Any]] = {
            COMMUNITY: {"id": COMMUNITY, "name": "community", "is_channel": True}
        }
        self.messages: list[dict[str, Any]] = []
        self.ephemeral: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.windows: list[Window] = []
        self.app_url: str | None = None  # where HTTP-mode requests go
        # What the app subscribed to, as its manifest says: Slack sends nothing else.
        self.bot_events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
        self.unsubscribed: list[str] = []  # events that happened but the app never heard of
        self.triggers: dict[str, float] = {}  # trigger_id -> when issued (monotonic)
        self.exchanged: set[str] = set()  # trigger_ids that opened a view already
        self.url = ""
        self._ids = itertools.count(1)
        self._minute: dict[str, deque[float]] = defaultdict(deque)
        self._channel_tokens: dict[str, tuple[float, float]] = {}
        self._socket: web.WebSocketResponse | None = None
        self.sockets = 0  # Socket Mode connections open now
        self.peak_sockets = 0  # the most ever open at once
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.http: ClientSession | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{response_id}", self._response_url)
        app.router.add_get("/socket", self._socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self.http = ClientSession()
        return self.url

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self.http:
            await self.http.close()
        if self._runner:
            await self._runner.cleanup()

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def ts(self) -> str:
        return f"{time.time():.6f}"

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, condition: Any, seconds: float = 5) -> None:
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(condition)

    # -- the Web API --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        known = known_method(method) and hasattr(self, "m_" + method.replace(".", "_"))
        params, ignored = await _params(request, content_types(method) if known else (FORM,))
        call = Call(method, params, time.monotonic(), ignored=ignored)
        self.calls.append(call)
        try:
            self._authorize(method, request.headers.get("Authorization", ""), params)
            if not known:
                raise SlackError("unknown_method", status=404)
            validate_call(method, params)
            if self.faults.slow:
                await asyncio.sleep(self.faults.slow)
                call.at = time.monotonic()  # when it reached Slack
            if self.faults.errors or method in self.faults.broken:
                self.faults.errors = max(0, self.faults.errors - 1)
                raise SlackError("internal_error", status=500)
            self._rate_check(method, params, call.at)
            result = await getattr(self, "m_" + method.replace(".", "_"))(params)
        except SlackError as exc:
            call.status, call.error = exc.status, exc.error
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
            body: dict[str, Any] = {"ok": False, "error": exc.error}
            if exc.messages:
                body["response_metadata"] = {"messages": list(exc.messages)}
            return web.json_response(body, status=exc.status, headers=headers)
        finally:
            await self._notify()
        return web.json_response({"ok": True, **result})

    def _authorize(self, method: str, header: str, params: dict[str, Any]) -> None:
        token = header.removeprefix("Bearer ").strip() or params.pop("token", "")
        params.pop("token", None)
        if not token:
            raise SlackError("not_authed")
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token not in (self.bot_token, self.app_token):
            raise SlackError("invalid_auth")
        if token != wanted:
            raise SlackError("not_allowed_token_type")

    def _rate_check(self, method: str, params: dict[str, Any], now: float) -> None:
        keys = [method] + (
            [f"channel:{params.get('channel')}"] if method == "chat.postMessage" else []
        )
        waiting = [w.until for w in self.windows if w.key in keys and w.until > now]
        if waiting:
            self._too_many(keys[-1], now, max(waiting) - now, record=False)
        if self.faults.storm:
            self.faults.storm -= 1
            self._too_many(keys[-1], now, self.faults.storm_retry_after)
        if not self.limits.enabled:
            return
        per_minute = self.limits.tiers.get(method)
        if per_minute is not None:
            seen = self._minute[method]
            while seen and now - seen[0] >= self.limits.minute:
                seen.popleft()
            if len(seen) >= per_minute:
                self._too_many(method, now, self.limits.minute - (now - seen[0]))
            seen.append(now)
        if method == "chat.postMessage":
            channel = str(params.get("channel"))
            burst, rate = self.limits.channel_burst, self.limits.channel_per_second
            tokens, last = self._channel_tokens.get(channel, (float(burst), now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1:
                self._too_many(f"channel:{channel}", now, (1 - tokens) / rate)
            self._channel_tokens[channel] = (tokens - 1, now)

    def _too_many(self, key: str, now: float, seconds: float, *, record: bool = True) -> None:
        retry_after = max(1, math.ceil(seconds))
        if record:
            self.windows.append(Window(key, now, now + retry_after))
        raise SlackError("ratelimited", status=429, retry_after=retry_after)

    def calls_inside_windows(self, grace: float = 0.25) -> list[Call]:
        """Calls made while a 429's Retry-After said to wait (after `grace` for calls already
        on their way): the client's failures to honour it."""
        late = []
        for call in self.calls:
            keys = {call.method, f"channel:{call.params.get('channel')}"}
            if any(
                w.key in keys and w.issued + grace < call.at < w.until - 0.01 for w in self.windows
            ):
                late.append(call)
        return late

    # -- methods ------------------------------------------------------------------------------

    async def m_auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://roost-test.slack.com/",
            "team": "Roost Test",
            "user": "roost",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "B0BOT",
            "is_enterprise_install": False,
        }

    async def m_apps_connections_open(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.url.replace("http://", "ws://") + "/socket"}

    def _channel(self, channel: str) -> dict[str, Any]:
        found = self.channels.get(channel)
        if found is None:
            raise SlackError("channel_not_found")
        if found.get("is_im") and self.users[found["user"]]["deleted"]:
            raise SlackError("account_inactive")
        return found

    def _post(self, p: dict[str, Any], **extra: Any) -> dict[str, Any]:
        channel = self._channel(str(p["channel"]))
        blocks = check_blocks(p["blocks"], limit=50) if p.get("blocks") else None
        if not p.get("text") and not blocks:
            raise SlackError("no_text")
        if len(p.get("text") or "") > 40000:
            raise SlackError("msg_too_long")
        message = {
            "type": "message",
            "channel": channel["id"],
            "ts": self.ts(),
            "user": BOT_USER,
            "bot_id": "B0BOT",
            "text": p.get("text", ""),
            "blocks": blocks,
            **extra,
        }
        return message

    async def m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._post(p)
        self.messages.append(message)
        return {"channel": message["channel"], "ts": message["ts"], "message": message}

    async def m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["user"] not in self.users or self.users[p["user"]]["deleted"]:
            raise SlackError("user_not_in_channel")
        message = self._post(p, to=p["user"])
        self.ephemeral.append(message)
        return {"message_ts": message["ts"]}

    async def m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages:
            if message["channel"] == p["channel"] and message["ts"] == p["ts"]:
                updated = self._post(p)
                message.update(text=updated["text"], blocks=updated["blocks"], edited=True)
                return {"channel": p["channel"], "ts": p["ts"], "text": message["text"]}
        raise SlackError("message_not_found")

    async def m_chat_delete(self, p: dict[str, Any]) -> dict[str, Any]:
        for message in list(self.messages):
            if message["channel"] == p.get("channel") and message["ts"] == p.get("ts"):
                self.messages.remove(message)
                return {"channel": p["channel"], "ts": p["ts"]}
        raise SlackError("message_not_found")

    async def m_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        user = str(p.get("users", ""))
        if user not in self.users:
            raise SlackError("user_not_found")
        if self.users[user]["deleted"]:
            raise SlackError("user_disabled")
        channel = self.dm_channel(user)
        return {"channel": {"id": channel}}

    def dm_channel(self, user: str) -> str:
        channel = f"D{user}"
        self.channels.setdefault(channel, {"id": channel, "is_im": True, "user": user})
        return channel

    async def m_conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._channel(str(p.get("channel")))}

    async def m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("user") not in self.users:
            raise SlackError("user_not_found")
        return {"user": self.users[p["user"]]}

    async def m_usergroups_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["usergroup"] not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": self.usergroups[p["usergroup"]]}

    def issue_trigger(self, trigger: str) -> str:
        self.triggers[trigger] = time.monotonic()
        return trigger

    async def m_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        view = check_view(p["view"])
        trigger = str(p["trigger_id"])
        issued = self.triggers.get(trigger)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if trigger in self.exchanged:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_LIFE:
            raise SlackError("expired_trigger_id")
        self.exchanged.add(trigger)
        view = {**view, "id": self.next_id("V"), "user": p["trigger_id"].split("-")[1]}
        self.views[view["id"]] = view
        return {"view": view}

    async def m_views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("view_id") not in self.views:
            raise SlackError("not_found")
        view = {
            **check_view(p["view"]),
            "id": p["view_id"],
            "user": self.views[p["view_id"]]["user"],
        }
        self.views[p["view_id"]] = view
        return {"view": view}

    async def m_views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        view = check_view(p["view"])
        if view["type"] != "home":
            raise SlackError("invalid_arguments")
        self.homes[str(p["user_id"])] = view
        return {"view": {**view, "id": self.next_id("V")}}

    async def m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = self.next_id("F")
        self.files[file_id] = {
            "id": file_id,
            "name": p["filename"],
            "length": int(p["length"]),
            "data": None,
        }
        return {"file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}

    async def m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        items = json.loads(p["files"]) if isinstance(p["files"], str) else p["files"]
        done = []
        for item in items:
            file = self.files.get(item["id"])
            if file is None or file["data"] is None:
                raise SlackError("file_not_found")
            file["title"] = item.get("title")
            done.append({"id": file["id"], "name": file["name"], "title": file["title"]})
        if p.get("channel_id"):
            channel = self._channel(str(p["channel_id"]))
            self.messages.append(
                {
                    "type": "message",
                    "channel": channel["id"],
                    "ts": self.ts(),
                    "user": BOT_USER,
                    "text": p.get("initial_comment", ""),
                    "files": done,
                }
            )
        return {"files": done}

    async def _upload(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["file_id"])
        if file is None:
            return web.Response(status=404)
        file["data"] = await request.read()
        if len(file["data"]) != file["length"]:
            return web.Response(status=400, text="length mismatch")
        return web.Response(text=f"OK - {len(file['data'])}")

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = request.match_info["response_id"].split("-")[0]
        if body.get("blocks"):
            check_blocks(body["blocks"], limit=50)
        self.ephemeral.append({"to": user, "via": "response_url", **body})
        await self._notify()
        return web.Response(text="ok")

    # -- toward the app: Socket Mode or signed HTTP --------------------------------------------

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=30)
        await socket.prepare(request)
        self._socket = socket
        self.sockets += 1
        self.peak_sockets = max(self.peak_sockets, self.sockets)
        try:
            await socket.send_json(
                {
                    "type": "hello",
                    "num_connections": self.sockets,
                    "connection_info": {"app_id": APP},
                    "debug_info": {"host": "emulator", "approximate_connection_time": 3600},
                }
            )
            await self._notify()
            async for frame in socket:
                if frame.type == WSMsgType.TEXT:
                    ack = json.loads(frame.data)
                    future = self._acks.pop(ack.get("envelope_id", ""), None)
                    if future is not None and not future.done():
                        future.set_result(ack)
        finally:
            self.sockets -= 1
            if self._socket is socket:
                self._socket = None
        await self._notify()
        return socket

    @property
    def socket_connected(self) -> bool:
        return self._socket is not None and not self._socket.closed

    async def deliver(self, kind: str, payload: dict[str, Any]) -> int:
        """Send `payload` (a slash command, an interaction or an event envelope) to the app as
        Slack would: over Socket Mode when connected, else as a signed HTTP request. Returns the
        HTTP status (200 for an acked envelope)."""
        if kind == "events_api":
            validate_event(payload)
            topic = _topic(payload["event"])
            if topic not in self.bot_events:
                self.unsubscribed.append(topic)
                return 200  # it happened in the workspace; the app is simply not told
        if self.socket_connected:
            assert self._socket is not None
            envelope_id = self.next_id("env-")
            acked: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._acks[envelope_id] = acked
            await self._socket.send_json(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "payload": payload,
                    "accepts_response_payload": kind != "events_api",
                    "retry_attempt": 0,
                    "retry_reason": "",
                }
            )
            async with asyncio.timeout(3):  # Slack's own patience
                await acked
            return 200
        body, content_type = _encode(kind, payload)
        return await self.post_signed(body, content_type)

    async def post_signed(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> int:
        """POST to the app with a real X-Slack-Signature (or a forged one, for tests)."""
        assert self.app_url is not None and self.http is not None
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        key = (secret or self.signing_secret).encode()
        digest = hmac.new(key, f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest}",
            **(headers or {}),
        }
        sent = {k: v for k, v in sent.items() if v}
        async with self.http.post(self.app_url, data=body.encode(), headers=sent) as response:
            return response.status

    def envelope(self, event: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        return {
            "token": "verification-token",
            "team_id": TEAM,
            "api_app_id": APP,
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": self.next_id("Ev"),
            "event_time": int(now),
            "authed_users": [BOT_USER],
        }


MANIFEST = json.loads(
    (Path(__file__).parents[3] / "bot" / "adapters" / "slack" / "manifest.json").read_text()
)
MESSAGE_TOPICS = {"im": "message.im", "channel": "message.channels", "group": "message.groups"}


def _topic(event: dict[str, Any]) -> str:
    """The subscription an event arrives under: message events by where they were written."""
    if event["type"] == "message":
        return MESSAGE_TOPICS.get(event.get("channel_type", ""), "message.mpim")
    return str(event["type"])


def _encode(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    if kind == "slash_commands":
        return urllib.parse.urlencode(payload), "application/x-www-form-urlencoded"
    if kind == "interactive":
        return urllib.parse.urlencode(
            {"payload": json.dumps(payload)}
        ), "application/x-www-form-urlencoded"
    return json.dumps(payload), "application/json"


async def _params(
    request: web.Request, accepted: tuple[str, ...]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The call's arguments as Slack reads them: the query string, then a form body, or a JSON
    body where the method accepts JSON; a JSON body it does not accept is read as nothing."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params, ()
    if request.content_type == JSON:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPOk(  # Slack answers a body it cannot parse with invalid_json
                text='{"ok":false,"error":"invalid_json"}', content_type=JSON
            ) from None
        if not isinstance(body, dict):
            return params, ()
        if JSON not in accepted:
            return params, tuple(body)
        params.update(body)
    elif request.content_type == FORM:
        params.update((await request.post()).items())
    return params, ()
