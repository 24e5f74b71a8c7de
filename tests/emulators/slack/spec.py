"""Slack validation: Web API calls against the official OpenAPI (swagger) description, events
against the Events API envelope schema, and Block Kit against Slack's documented limits.

The specification is from 2021. Newer methods the adapter needs are described below from
Slack's documentation, and newer optional fields are accepted; a required one is never missed.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from tests.emulators.specs import SPECS

# Methods newer than the 2021 spec: name -> required parameters (from Slack's method docs).
NEWER_METHODS = {
    "apps.connections.open": (),
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
}
NEWER_EVENTS = {"app_home_opened"}  # also older than the spec's own snapshot missed


class SlackError(Exception):
    """`{"ok": false, "error": code}` as Slack answers (HTTP 200, except rate limits)."""

    def __init__(self, error: str, status: int = 200, retry_after: int | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.retry_after = retry_after


@cache
def web_api() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPECS / "slack" / "web_openapi_v2.json").read_text())
    return data


@cache
def _envelope() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SPECS / "slack" / "common_event_wrapper_schema.json").read_text()
    )
    return data


@cache
def _topics() -> frozenset[str]:
    spec = json.loads((SPECS / "slack" / "events_api_async_v1.json").read_text())
    return frozenset(topic.replace(".", "_") for topic in spec["topics"])


def known_method(method: str) -> bool:
    return method in NEWER_METHODS or f"/{method}" in web_api()["paths"]


def validate_call(method: str, params: dict[str, Any]) -> None:
    """Required parameters present and typed as the spec says; the token is checked apart."""
    if method in NEWER_METHODS:
        for name in NEWER_METHODS[method]:
            if params.get(name) in (None, ""):
                raise SlackError("invalid_arguments")
        return
    for operation in web_api()["paths"][f"/{method}"].values():
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if name == "token":
                continue
            value = params.get(name)
            if value in (None, ""):
                if parameter.get("required"):
                    raise SlackError(
                        "invalid_arguments" if name != "channel" else "channel_not_found"
                    )
                continue
            _check_type(name, parameter.get("type", "string"), value)


def _check_type(name: str, kind: str, value: Any) -> None:
    if kind == "boolean" and str(value).lower() not in ("true", "false", "1", "0"):
        raise SlackError(f"invalid_{name}")
    if kind == "integer":
        try:
            int(value)
        except (TypeError, ValueError):
            raise SlackError(f"invalid_{name}") from None


def validate_event(envelope: dict[str, Any]) -> None:
    """What the emulator sends: the Events API wrapper, and an event type Slack documents."""
    jsonschema.validate(envelope, _envelope())
    kind = envelope["event"]["type"]
    if kind not in _topics() and kind not in NEWER_EVENTS:
        raise AssertionError(f"emulator emitted an undocumented event type {kind}")


# -- Block Kit: the limits Slack enforces with invalid_blocks ----------------------------------

BLOCK_TYPES = {"header", "section", "actions", "image", "context", "divider", "input"}


def check_blocks(blocks: Any, *, limit: int) -> list[dict[str, Any]]:
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list) or len(blocks) > limit:
        raise SlackError("invalid_blocks")
    for block in blocks:
        _check_block(block)
    return blocks


def _text(obj: Any, limit: int, *, plain: bool = False) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise SlackError("invalid_blocks")
    if plain and obj["type"] != "plain_text":
        raise SlackError("invalid_blocks")
    if not 1 <= len(obj.get("text", "")) <= limit:
        raise SlackError("invalid_blocks")


def _check_block(block: dict[str, Any]) -> None:
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        raise SlackError("invalid_blocks")
    if kind == "header":
        _text(block.get("text"), 150, plain=True)
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            raise SlackError("invalid_blocks")
        if "text" in block:
            _text(block["text"], 3000)
        fields = block.get("fields", [])
        if len(fields) > 10:
            raise SlackError("invalid_blocks")
        for item in fields:
            _text(item, 2000)
    elif kind == "actions":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 25:
            raise SlackError("invalid_blocks")
        ids = [e.get("action_id") for e in elements]
        if len(ids) != len(set(ids)):
            raise SlackError("invalid_blocks")  # action_ids must be unique within a block
        for element in elements:
            _check_element(element)
    elif kind == "image":
        if not block.get("image_url") and not block.get("slack_file"):
            raise SlackError("invalid_blocks")
        if not block.get("alt_text"):
            raise SlackError("invalid_blocks")
    elif kind == "input":
        _text(block.get("label"), 2000, plain=True)
        _check_element(block.get("element", {}))


def _check_element(element: dict[str, Any]) -> None:
    kind = element.get("type")
    if kind == "button":
        _text(element.get("text"), 75, plain=True)
        if len(element.get("value", "")) > 2000 or len(element.get("url", "")) > 3000:
            raise SlackError("invalid_blocks")
    elif kind in ("static_select", "radio_buttons"):
        options = element.get("options", [])
        if not 1 <= len(options) <= 100:
            raise SlackError("invalid_blocks")
        for option in options:
            _text(option.get("text"), 75, plain=True)
            if not option.get("value"):
                raise SlackError("invalid_blocks")
    elif kind != "plain_text_input":
        raise SlackError("invalid_blocks")
    if "action_id" in element and len(element["action_id"]) > 255:
        raise SlackError("invalid_blocks")


def check_view(view: Any) -> dict[str, Any]:
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise SlackError("invalid_arguments")
    if view["type"] == "modal":
        _text(view.get("title"), 24, plain=True)
        if "submit" in view:
            _text(view["submit"], 24, plain=True)
    check_blocks(view.get("blocks", []), limit=100)
    return view
