"""Discord objects as the API returns them, every required field present (checked by tests
against the spec's component schemas)."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

_EPOCH_MS = 1420070400000
_counter = itertools.count(1)


def snowflake() -> str:
    """A real-shaped snowflake: milliseconds since Discord's epoch, then a counter."""
    return str(((int(time.time() * 1000) - _EPOCH_MS) << 22) | (next(_counter) & 0x3FFFFF))


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name.lower(),
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": name,
        "primary_guild": None,
        **({"bot": True} if bot else {}),
    }


def pii_user(user_id: str, name: str) -> dict[str, Any]:
    base = user(user_id, name, bot=True)
    base.pop("primary_guild")
    return {**base, "mfa_enabled": False, "locale": "en-US", "verified": True}


def application(app_id: str, bot_user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": app_id,
        "name": "Roost",
        "icon": None,
        "description": "",
        "type": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "flags_new": "0",
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": {k: v for k, v in bot_user.items() if k != "bot"},
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": [],
        "bot_public": True,
        "bot_require_code_grant": False,
    }


def role(role_id: str, name: str, position: int, permissions: str = "0") -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": permissions,
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }


def guild_channel(channel_id: str, guild_id: str, name: str, position: int = 0) -> dict[str, Any]:
    return {
        "id": channel_id,
        "type": 0,
        "flags": 0,
        "guild_id": guild_id,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "parent_id": None,
        "rate_limit_per_user": 0,
    }


def dm_channel(channel_id: str, recipient: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": channel_id,
        "type": 1,
        "flags": 0,
        "recipients": [recipient],
        "last_message_id": None,
    }


def member(account: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    return {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "flags": 0,
        "joined_at": now_iso(),
        "nick": None,
        "pending": False,
        "premium_since": None,
        "roles": roles,
        "user": account,
        "mute": False,
        "deaf": False,
    }


def guild(guild_id: str, owner_id: str, app_id: str, roles: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": guild_id,
        "name": "Acme Talent Community",
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "owner_id": owner_id,
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "roles": roles,
        "default_message_notifications": 0,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
    }


def invite(
    code: str,
    guild_obj: dict[str, Any],
    channel: dict[str, Any],
    inviter: dict[str, Any],
    max_uses: int,
    max_age: int,
    uses: int,
) -> dict[str, Any]:
    slim_guild = {
        k: guild_obj[k]
        for k in (
            "id",
            "name",
            "splash",
            "banner",
            "description",
            "icon",
            "features",
            "verification_level",
            "vanity_url_code",
            "nsfw_level",
            "nsfw",
            "premium_subscription_count",
        )
    }
    return {
        "type": 0,
        "code": code,
        "expires_at": None,
        "guild": slim_guild,
        "guild_id": guild_obj["id"],
        "channel": {"id": channel["id"], "type": 0, "name": channel["name"]},
        "inviter": inviter,
        "uses": uses,
        "max_uses": max_uses,
        "max_age": max_age,
        "temporary": False,
        "created_at": now_iso(),
    }


def command(
    app_id: str, guild_id: str | None, body: dict[str, Any], version: str
) -> dict[str, Any]:
    made = {
        "id": snowflake(),
        "application_id": app_id,
        "version": version,
        "default_member_permissions": None
        if body.get("default_member_permissions") is None
        else str(body["default_member_permissions"]),
        "type": body.get("type", 1),
        "name": body["name"],
        "description": body.get("description", ""),
        "options": body.get("options", []),
        "nsfw": body.get("nsfw", False),
    }
    if guild_id:
        made["guild_id"] = guild_id
    return made


def message(
    message_id: str,
    channel_id: str,
    author: dict[str, Any],
    body: dict[str, Any],
    *,
    webhook_id: str | None = None,
    interaction_user: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ids = itertools.count(1)
    components = [
        {
            "type": 1,
            "id": next(ids),
            "components": [
                {
                    "type": 2,
                    "id": next(ids),
                    "style": c.get("style", 1),
                    "label": c.get("label"),
                    **({"custom_id": c["custom_id"]} if "custom_id" in c else {}),
                    **({"url": c["url"]} if "url" in c else {}),
                    "disabled": c.get("disabled", False),
                }
                for c in row.get("components", [])
                if c.get("type") == 2
            ],
        }
        for row in body.get("components") or []
        if row.get("type") == 1
    ]
    embeds = [
        {"type": "rich", **{k: v for k, v in e.items() if k != "type"}}
        for e in body.get("embeds") or []
    ]
    made = {
        "type": 0 if interaction_user is None else 20,
        "content": body.get("content") or "",
        "mentions": [],
        "mention_roles": [],
        "attachments": body.get("_attachments", []),
        "embeds": embeds,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "flags": body.get("flags") or 0,
        "components": components,
        "id": message_id,
        "channel_id": channel_id,
        "author": author,
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
    }
    if body.get("nonce") is not None:
        made["nonce"] = body["nonce"]
    if webhook_id:
        made["webhook_id"] = webhook_id
    if body.get("poll"):
        poll = body["poll"]
        made["poll"] = {
            "question": {"text": poll["question"]["text"]},
            "answers": [
                {"answer_id": i + 1, "poll_media": {"text": a["poll_media"]["text"]}}
                for i, a in enumerate(poll["answers"])
            ],
            "expiry": now_iso(),
            "allow_multiselect": poll.get("allow_multiselect", False),
            "layout_type": 1,
            "results": {"answer_counts": [], "is_finalized": False},
        }
    return made


def attachment(filename: str, data: bytes) -> dict[str, Any]:
    attachment_id = snowflake()
    url = f"https://cdn.discordapp.test/attachments/{attachment_id}/{filename}"
    return {
        "id": attachment_id,
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": "application/json"
        if filename.endswith(".json")
        else "application/octet-stream",
    }
