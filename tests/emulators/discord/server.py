"""A Discord on 127.0.0.1: REST under /api/v10 and a gateway websocket, as discord.py uses
them. One guild (the community) with channels, roles, members, invites with use counts,
messages, DM channels, application commands and polls.

Requests are routed by the official OpenAPI's operation ids and validated against it, as are
the emulator's answers. Limits: 50 requests a second globally and per-route buckets with
Discord's X-RateLimit headers; 429s carry `retry_after`, `global` and a Via header; invalid
requests (401/403/429) are counted as Discord does before banning.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.emulators.discord import objects as o
from tests.emulators.discord.spec import (
    DiscordError,
    operation,
    validate_request,
    validate_response,
)

ROUTE_LIMITS = {"create_message": (5, 5.0), "create_channel_invite": (5, 15.0)}
DEFAULT_ROUTE_LIMIT = (50, 1.0)
UNAUTHENTICATED = {
    "create_interaction_response",
    "execute_webhook",
    "update_original_webhook_message",
    "get_original_webhook_message",
    "delete_original_webhook_message",
}


@dataclass
class DiscordLimits:
    enabled: bool = True
    global_per_second: int = 50
    routes: dict[str, tuple[int, float]] = field(default_factory=lambda: dict(ROUTE_LIMITS))


@dataclass
class DiscordFaults:
    storm: int = 0  # the next N requests get a (route) 429
    errors: int = 0  # the next N requests get 500
    slow: float = 0.0


@dataclass
class Request:
    operation: str
    path: str
    body: Any
    at: float
    status: int = 200


@dataclass
class Session:
    id: str
    events: list[tuple[int, str, Any]] = field(default_factory=list)
    seq: int = 0


class DiscordEmulator:
    def __init__(self, limits: DiscordLimits | None = None) -> None:
        self.token = "Roost.Test.Token"
        self.limits = limits or DiscordLimits()
        self.faults = DiscordFaults()
        self.app_id = o.snowflake()
        self.bot = o.user(o.snowflake(), "Roost", bot=True)
        self.guild_id, self.channel_id, self.owner_id = o.snowflake(), o.snowflake(), o.snowflake()
        self.roles = [o.role(self.guild_id, "@everyone", 0, "1024")]
        self.channels: dict[str, dict[str, Any]] = {
            self.channel_id: o.guild_channel(self.channel_id, self.guild_id, "community")
        }
        self.users: dict[str, dict[str, Any]] = {self.bot["id"]: self.bot}
        self.members: dict[str, dict[str, Any]] = {self.bot["id"]: o.member(self.bot, [])}
        self.closed_dms: set[str] = set()
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.invites: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, dict[str, Any]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}
        self.requests: list[Request] = []
        self.windows: list[tuple[str, float, float]] = []  # (bucket or "global", issued, until)
        self.invalid_requests = 0
        self.command_writes = 0
        self.files: dict[str, bytes] = {}
        self.url = ""
        self._sessions: dict[str, Session] = {}
        self.gateways = 0  # gateway connections open now
        self.peak_gateways = 0  # the most ever open at once (a bot should hold one)
        self._socket: web.WebSocketResponse | None = None
        self._session: Session | None = None
        self._recent: deque[float] = deque()
        self._buckets: dict[str, tuple[int, float]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=30 * 2**20)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner:
            await self._runner.cleanup()

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, condition: Any, seconds: float = 5) -> None:
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(condition)

    # -- REST ---------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        found = operation(request.method, path)
        body = await _body(request)
        if found is None:
            return _json({"message": "404: Not Found", "code": 0}, 404)
        template, op = found
        name = op["operationId"]
        files = body.pop("_attachments_data", []) if isinstance(body, dict) else []
        record = Request(name, path, body, time.monotonic())
        self.requests.append(record)
        headers: dict[str, str] = {}
        try:
            if (
                name not in UNAUTHENTICATED
                and request.headers.get("Authorization") != f"Bot {self.token}"
            ):
                raise DiscordError(401, 0, "401: Unauthorized")
            handler = getattr(self, f"op_{name}", None)
            if handler is None:
                raise DiscordError(404, 0, "404: Not Found")
            validate_request(template, request.method, body)
            if self.faults.slow:
                await asyncio.sleep(self.faults.slow)
            if self.faults.errors:
                self.faults.errors -= 1
                raise DiscordError(500, 0, "500: Internal Server Error")
            headers = self._rate_limit(
                name, template, path, record.at, exempt=name in UNAUTHENTICATED
            )
            if sum(len(data) for data in files) > UPLOAD:
                raise DiscordError(413, 40005, "Request entity too large")
            if files:  # on an interaction callback, the files belong to the message in `data`
                carrier = body["data"] if isinstance(body.get("data"), dict) else body
                names = [
                    a.get("filename", f"file{i}")
                    for i, a in enumerate(carrier.get("attachments") or [])
                ]
                carrier["_attachments"] = [
                    o.attachment(n, data) for n, data in zip(names, files, strict=False)
                ]
                self.files.update(
                    {a["id"]: data for a, data in zip(carrier["_attachments"], files, strict=False)}
                )
            params = _params(template, path)
            status, answer = await handler(params, body, dict(request.query))
            validate_response(template, request.method, status, answer)
        except DiscordError as exc:
            record.status = exc.status
            if exc.status in (401, 403, 429):
                self.invalid_requests += 1
            extra = getattr(exc, "headers", {})
            return _json(
                exc.payload() if exc.status != 429 else exc.errors, exc.status, {**headers, **extra}
            )
        finally:
            await self.notify()
        record.status = status
        return (
            _json(answer, status, headers)
            if status != 204
            else web.Response(status=204, headers=headers)
        )

    def _rate_limit(
        self, name: str, template: str, path: str, now: float, *, exempt: bool
    ) -> dict[str, str]:
        major = (
            path.split("/")[2]
            if template.startswith(("/channels/", "/guilds/", "/webhooks/"))
            else ""
        )
        bucket = f"{name}:{major}"
        limit, period = self.limits.routes.get(name, DEFAULT_ROUTE_LIMIT)
        if self.faults.storm:
            self.faults.storm -= 1
            self._too_many(bucket, 1.0, now, scope="user", limit=limit)
        if not self.limits.enabled:
            return {}
        if not exempt:
            while self._recent and now - self._recent[0] >= 1:
                self._recent.popleft()
            if len(self._recent) >= self.limits.global_per_second:
                self._too_many(
                    "global", 1 - (now - self._recent[0]), now, scope="global", limit=limit
                )
            self._recent.append(now)
        used, reset_at = self._buckets.get(bucket, (0, now + period))
        if now >= reset_at:
            used, reset_at = 0, now + period
        if used >= limit:
            self._too_many(bucket, reset_at - now, now, scope="user", limit=limit)
        self._buckets[bucket] = (used + 1, reset_at)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - used - 1),
            "X-RateLimit-Reset": f"{time.time() + (reset_at - now):.3f}",
            "X-RateLimit-Reset-After": f"{reset_at - now:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _too_many(self, bucket: str, seconds: float, now: float, *, scope: str, limit: int) -> None:
        self.windows.append((bucket, now, now + seconds))
        error = DiscordError(
            429,
            0,
            "You are being rate limited.",
            {
                "message": "You are being rate limited.",
                "retry_after": round(seconds, 3),
                "global": scope == "global",
            },
        )
        error.headers = {  # type: ignore[attr-defined]
            "Retry-After": str(math.ceil(seconds)),
            "Via": "1.1 google",
            "X-RateLimit-Scope": scope,
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{seconds:.3f}",
            **(
                {"X-RateLimit-Global": "true"}
                if scope == "global"
                else {"X-RateLimit-Bucket": bucket}
            ),
        }
        raise error

    def rate_limited(self) -> int:
        return sum(r.status == 429 for r in self.requests)

    # -- REST operations ----------------------------------------------------------------------

    async def op_get_my_user(self, *_: Any) -> tuple[int, Any]:
        return 200, o.pii_user(self.bot["id"], "Roost")

    async def op_get_user(self, p: dict[str, str], *_: Any) -> tuple[int, Any]:
        if p["user_id"] not in self.users:
            raise DiscordError(404, 10013, "Unknown User")
        return 200, self.users[p["user_id"]]

    async def op_get_channel(self, p: dict[str, str], *_: Any) -> tuple[int, Any]:
        if p["channel_id"] not in self.channels:
            raise DiscordError(404, 10003, "Unknown Channel")
        return 200, self.channels[p["channel_id"]]

    async def op_get_my_oauth2_application(self, *_: Any) -> tuple[int, Any]:
        return 200, o.application(self.app_id, self.bot)

    async def op_list_guild_application_commands(self, *_: Any) -> tuple[int, Any]:
        return 200, list(self.commands.values())

    async def op_bulk_set_guild_application_commands(
        self, p: dict[str, str], body: Any, _q: Any
    ) -> tuple[int, Any]:
        _check_commands(body)
        self.command_writes += 1
        version = o.snowflake()
        self.commands = {c["name"]: o.command(self.app_id, p["guild_id"], c, version) for c in body}
        return 200, list(self.commands.values())

    async def op_create_dm(self, _p: Any, body: Any, _q: Any) -> tuple[int, Any]:
        recipient = self.users.get(str(body.get("recipient_id")))
        if recipient is None:
            raise DiscordError(400, 50033, "Invalid Recipient(s)")
        return 200, self.dm_for(recipient["id"])

    def dm_for(self, user_id: str) -> dict[str, Any]:
        channel_id = f"9{user_id}"
        self.channels.setdefault(channel_id, o.dm_channel(channel_id, self.users[user_id]))
        return self.channels[channel_id]

    async def op_create_message(self, p: dict[str, str], body: Any, _q: Any) -> tuple[int, Any]:
        channel = self.channels.get(p["channel_id"])
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        if channel["type"] == 1 and channel["recipients"][0]["id"] in self.closed_dms:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        _check_message(body)
        if body.get("enforce_nonce") and body.get("nonce") is not None:
            for earlier in self.messages[channel["id"]]:
                if earlier.get("nonce") == body["nonce"]:
                    return 200, earlier  # the same send again: the first message, not a second
        message = o.message(o.snowflake(), channel["id"], self.bot, body)
        self.messages[channel["id"]].append(message)
        return 200, message

    async def op_update_message(self, p: dict[str, str], body: Any, _q: Any) -> tuple[int, Any]:
        message = self._message(p["channel_id"], p["message_id"])
        _check_message(body)
        message.update(
            {
                k: v
                for k, v in o.message(message["id"], p["channel_id"], self.bot, body).items()
                if k in ("content", "embeds", "components")
            },
            edited_timestamp=o.now_iso(),
        )
        return 200, message

    async def op_delete_message(self, p: dict[str, str], *_: Any) -> tuple[int, Any]:
        self.messages[p["channel_id"]].remove(self._message(p["channel_id"], p["message_id"]))
        return 204, None

    def _message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        for message in self.messages[channel_id]:
            if message["id"] == message_id:
                return message
        raise DiscordError(404, 10008, "Unknown Message")

    async def op_poll_expire(self, p: dict[str, str], *_: Any) -> tuple[int, Any]:
        message = self._message(p["channel_id"], p["message_id"])
        message["poll"]["results"]["is_finalized"] = True
        return 200, message

    async def op_create_channel_invite(
        self, p: dict[str, str], body: Any, _q: Any
    ) -> tuple[int, Any]:
        body = body or {}
        code = o.snowflake()[-8:]
        self.invites[code] = {
            "code": code,
            "uses": 0,
            "max_uses": body.get("max_uses", 0),
            "max_age": body.get("max_age", 86400),
            "channel_id": p["channel_id"],
        }
        await self.dispatch(
            "INVITE_CREATE",
            {
                "code": code,
                "channel_id": p["channel_id"],
                "guild_id": self.guild_id,
                "uses": 0,
                "max_uses": self.invites[code]["max_uses"],
                "max_age": self.invites[code]["max_age"],
                "temporary": False,
                "created_at": o.now_iso(),
                "inviter": self.bot,
            },
        )
        return 200, self._invite(code)

    def _invite(self, code: str) -> dict[str, Any]:
        entry = self.invites[code]
        channel = self.channels[entry["channel_id"]]
        return o.invite(
            code,
            o.guild(self.guild_id, self.owner_id, self.app_id, self.roles),
            channel,
            self.bot,
            entry["max_uses"],
            entry["max_age"],
            entry["uses"],
        )

    async def op_list_guild_invites(self, *_: Any) -> tuple[int, Any]:
        return 200, [self._invite(code) for code in self.invites]

    async def op_invite_revoke(self, p: dict[str, str], *_: Any) -> tuple[int, Any]:
        if p["code"] not in self.invites:
            raise DiscordError(404, 10006, "Unknown Invite")
        answer = self._invite(p["code"])
        channel_id = self.invites.pop(p["code"])["channel_id"]
        await self.dispatch(
            "INVITE_DELETE",
            {"code": p["code"], "channel_id": channel_id, "guild_id": self.guild_id},
        )
        return 200, answer

    async def op_get_guild_member(self, p: dict[str, str], *_: Any) -> tuple[int, Any]:
        if p["user_id"] not in self.members:
            raise DiscordError(404, 10007, "Unknown Member")
        return 200, self.members[p["user_id"]]

    async def op_add_guild_member_role(self, p: dict[str, str], *_: Any) -> tuple[int, Any]:
        self.members[p["user_id"]]["roles"].append(p["role_id"])
        return 204, None

    # interactions ---------------------------------------------------------------------------

    async def op_create_interaction_response(
        self, p: dict[str, str], body: Any, q: dict[str, str]
    ) -> tuple[int, Any]:
        interaction = self.interactions.get(p["interaction_id"])
        if interaction is None or interaction["token"] != p["interaction_token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        if interaction["responded"]:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - interaction.get("issued", time.monotonic()) > ANSWER_WITHIN:
            raise DiscordError(404, 10062, "Unknown interaction")  # the token is gone
        interaction["responded"] = True
        kind, data = body["type"], body.get("data") or {}
        resource = None
        if kind == 9:
            _check_modal(data)
            interaction["modal"] = data
        elif kind in (4, 7):
            _check_message(data)
            message = o.message(
                o.snowflake(),
                interaction["channel_id"],
                self.bot,
                data,
                interaction_user=interaction["user"],
            )
            interaction["replies"].append(message)
            resource = {"type": kind, "message": message}
        elif kind in (5, 6):
            interaction["deferred"] = True
        if q.get("with_response") not in ("true", "1", "True"):
            return 204, None
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction["id"],
                "type": interaction["type"],
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            }
        }
        if resource:
            answer["resource"] = resource
        return 200, answer

    async def op_execute_webhook(self, p: dict[str, str], body: Any, _q: Any) -> tuple[int, Any]:
        interaction = self._by_token(p["webhook_token"])
        _check_message(body)
        message = o.message(
            o.snowflake(), interaction["channel_id"], self.bot, body, webhook_id=self.app_id
        )
        interaction["replies"].append(message)
        return 200, message

    async def op_update_original_webhook_message(
        self, p: dict[str, str], body: Any, _q: Any
    ) -> tuple[int, Any]:
        interaction = self._by_token(p["webhook_token"])
        _check_message(body)
        message = o.message(
            o.snowflake(), interaction["channel_id"], self.bot, body, webhook_id=self.app_id
        )
        if interaction["replies"]:
            interaction["replies"][0] = message
        else:
            interaction["replies"].append(message)
        return 200, message

    def _by_token(self, token: str) -> dict[str, Any]:
        for interaction in self.interactions.values():
            if interaction["token"] == token:
                return interaction
        raise DiscordError(404, 10015, "Unknown Webhook")

    # -- gateway ------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        self.gateways += 1
        self.peak_gateways = max(self.peak_gateways, self.gateways)
        try:
            await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                if message["op"] == 1:
                    await socket.send_json({"op": 11})
                elif message["op"] == 2:
                    await self._identify(socket, message["d"])
                elif message["op"] == 6:
                    await self._resume(socket, message["d"])
        finally:
            self.gateways -= 1
            if self._socket is socket:
                self._socket = None
        await self.notify()
        return socket

    async def _identify(self, socket: web.WebSocketResponse, d: dict[str, Any]) -> None:
        if d.get("token", "").removeprefix("Bot ") != self.token:
            await socket.close(code=4004, message=b"Authentication failed.")
            return
        session = Session(o.snowflake())
        self._sessions[session.id] = session
        self._session = session
        ready = {
            "v": 10,
            "user": self.bot,
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": session.id,
            "resume_gateway_url": self.url.replace("http", "ws") + "/gateway",
            "application": {"id": self.app_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "shard": [0, 1],
        }
        await self.dispatch("READY", ready)
        guild = {
            **o.guild(self.guild_id, self.owner_id, self.app_id, self.roles),
            "channels": [c for c in self.channels.values() if c["type"] == 0],
            "members": list(self.members.values()),
            "member_count": len(self.members),
            "large": False,
            "joined_at": o.now_iso(),
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "unavailable": False,
        }
        await self.dispatch("GUILD_CREATE", guild)

    async def _resume(self, socket: web.WebSocketResponse, d: dict[str, Any]) -> None:
        session = self._sessions.get(d.get("session_id", ""))
        if session is None:
            await socket.send_json({"op": 9, "d": False})  # invalid session: identify again
            return
        self._session = session
        for seq, kind, data in session.events:
            if seq > (d.get("seq") or 0):
                await socket.send_json({"op": 0, "t": kind, "s": seq, "d": data})
        await self.dispatch("RESUMED", {})

    async def dispatch(self, kind: str, data: Any) -> None:
        """Send an event on the gateway (kept for a resume if the connection is down)."""
        session = self._session
        if session is None:
            return
        session.seq += 1
        session.events.append((session.seq, kind, data))
        if self._socket is not None and not self._socket.closed:
            with contextlib.suppress(ConnectionResetError):
                await self._socket.send_json({"op": 0, "t": kind, "s": session.seq, "d": data})
        await self.notify()

    async def drop_gateway(self) -> None:
        """The connection breaks (a resumable close, as Discord's 4000)."""
        if self._socket is not None:
            await self._socket.close(code=4000, message=b"Unknown error")

    @property
    def connected(self) -> bool:
        return self._socket is not None and not self._socket.closed and self._session is not None


ANSWER_WITHIN = 3.0  # seconds an interaction's first answer may take
UPLOAD = 10 * 2**20  # bytes of files a bot may attach to a message (a server without boosts)
NAME = re.compile(r"^[-_\w]{1,32}$")  # Discord's pattern for command and option names


def _check_commands(commands: Any) -> None:
    """What Discord refuses in a command list beyond the schema: a name that is not
    lowercase or not a word, and a required option after an optional one."""
    for at, command in enumerate(commands or []):
        for where, named in ((f"{at}.name", command), *(
            (f"{at}.options.{i}.name", option)
            for i, option in enumerate(command.get("options") or [])
        )):  # fmt: skip
            name = str(named.get("name", ""))
            if not NAME.match(name) or name != name.lower():
                raise _invalid(where, "Command name is invalid", "APPLICATION_COMMAND_INVALID_NAME")
        required = [bool(option.get("required")) for option in command.get("options") or []]
        if any(later and not earlier for earlier, later in itertools.pairwise(required)):
            raise _invalid(
                f"{at}.options",
                "Required options must be placed before non-required options",
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
            )


def _invalid(where: str, message: str, code: str = "BASE_TYPE_BAD_LENGTH") -> DiscordError:
    errors = {where: {"_errors": [{"code": code, "message": message}]}}
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def _check_message(body: dict[str, Any]) -> None:
    """Discord's own message limits beyond the schema's per-field ones: 2000 characters of
    content for a bot, 6000 across all embeds, named fields, five rows, unique custom ids."""
    if not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("poll")
        or body.get("attachments")
        or body.get("_attachments")
    ):
        raise DiscordError(400, 50006, "Cannot send an empty message")
    if len(body.get("content") or "") > 2000:
        raise _invalid("content", "Must be 2000 or fewer in length.")
    total = 0
    for i, embed in enumerate(body.get("embeds") or []):
        for j, item in enumerate(embed.get("fields") or []):
            if not item.get("name") or not item.get("value"):
                raise _invalid(
                    f"embeds.{i}.fields.{j}", "This field is required", "BASE_TYPE_REQUIRED"
                )
        parts = [embed.get("title"), embed.get("description")]
        parts += [(embed.get("footer") or {}).get("text"), (embed.get("author") or {}).get("name")]
        parts += [t for f in embed.get("fields") or [] for t in (f.get("name"), f.get("value"))]
        total += sum(len(t or "") for t in parts)
    if total > 6000:
        raise _invalid("embeds", "Embed size exceeds maximum size of 6000")
    rows = body.get("components") or []
    if len(rows) > 5 or any(len(r.get("components", [])) > 5 for r in rows):
        raise _invalid("components", "Must be 5 or fewer in length.")
    ids = [c["custom_id"] for r in rows for c in r.get("components", []) if "custom_id" in c]
    if len(ids) != len(set(ids)):
        raise _invalid(
            "components",
            "Component custom id cannot be duplicated",
            "COMPONENT_CUSTOM_ID_DUPLICATED",
        )


def _check_modal(data: dict[str, Any]) -> None:
    if not data.get("custom_id") or not data.get("title") or len(data["title"]) > 45:
        raise _invalid("title", "Must be 45 or fewer in length.")
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        raise _invalid("components", "Must be between 1 and 5 in length.")
    for i, row in enumerate(rows):
        for item in row.get("components", []):
            most, least = item.get("max_length") or 4000, item.get("min_length") or 0
            if least > most:
                raise _invalid(f"components.{i}.min_length", "Must be at most max_length")
            if len(item.get("value") or "") > most:
                raise _invalid(f"components.{i}.value", f"Must be {most} or fewer in length.")


def _params(template: str, path: str) -> dict[str, str]:
    names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
    values = [
        v for t, v in zip(template.split("/"), path.split("/"), strict=False) if t.startswith("{")
    ]
    return dict(zip(names, values, strict=False))


async def _body(request: web.Request) -> Any:
    if request.content_type == "application/json":
        return await request.json()
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        body = json.loads(str(form.get("payload_json", "{}")))
        files = [v for k, v in form.items() if k.startswith("files[")]
        body["_attachments_data"] = [f.file.read() for f in files if hasattr(f, "file")]
        return body
    return None


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Content-Type exactly application/json: discord.py reads anything else as text."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )
