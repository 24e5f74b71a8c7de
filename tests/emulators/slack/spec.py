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

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
# Methods newer than the 2021 spec, from Slack's method docs: required parameters and the
# content types each accepts.
NEWER_METHODS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "apps.connections.open": ((), (FORM,)),
    "files.getUploadURLExternal": (("filename", "length"), (FORM,)),
    "files.completeUploadExternal": (("files",), (FORM, JSON)),
}
NEWER_EVENTS = {"app_home_opened"}  # also older than the spec's own snapshot missed
# What Slack answers when a required argument is missing (else invalid_arguments).
MISSING = {"channel": "channel_not_found", "users.info user": "user_not_found"}


class SlackError(Exception):
    """`{"ok": false, "error": code}` as Slack answers (HTTP 200, except rate limits), with
    the `response_metadata.messages` Slack adds to say which field broke which rule."""

    def __init__(
        self,
        error: str,
        status: int = 200,
        retry_after: int | None = None,
        messages: tuple[str, ...] = (),
    ) -> None:
        super().__init__(error, *messages)
        self.error = error
        self.status = status
        self.retry_after = retry_after
        self.messages = messages


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


def content_types(method: str) -> tuple[str, ...]:
    """What a method reads its arguments from. A JSON body sent to a method that takes only
    form-encoded arguments is ignored by Slack, as if no argument had been given."""
    if method in NEWER_METHODS:
        return NEWER_METHODS[method][1]
    operations = web_api()["paths"][f"/{method}"].values()
    return tuple(dict.fromkeys(kind for op in operations for kind in op.get("consumes", [FORM])))


def validate_call(method: str, params: dict[str, Any]) -> None:
    """Required parameters present and typed as the spec says; the token is checked apart."""
    if method in NEWER_METHODS:
        for name in NEWER_METHODS[method][0]:
            if params.get(name) in (None, ""):
                raise SlackError(_missing(method, name))
        return
    for operation in web_api()["paths"][f"/{method}"].values():
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if name == "token":
                continue
            value = params.get(name)
            if value in (None, ""):
                if parameter.get("required"):
                    raise SlackError(_missing(method, name))
                continue
            _check_type(name, parameter.get("type", "string"), value)


def _missing(method: str, name: str) -> str:
    return MISSING.get(f"{method} {name}", MISSING.get(name, "invalid_arguments"))


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


# -- Block Kit and views: the limits of Slack's reference, refused as Slack refuses them ------
# https://api.slack.com/reference/block-kit: blocks, block elements, composition objects.

BLOCK_TYPES = {"header", "section", "actions", "image", "context", "divider", "input"}
MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100


class _Refusal(Exception):
    def __init__(self, rule: str, pointer: str) -> None:
        super().__init__(f"[ERROR] {rule} [json-pointer:{pointer}]")


def check_blocks(blocks: Any, *, limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """A message's blocks (chat.*, response_url): `invalid_blocks` with Slack's messages."""
    try:
        return _blocks(blocks, limit, "/blocks")
    except _Refusal as exc:
        raise SlackError("invalid_blocks", messages=(str(exc),)) from None


def check_view(view: Any) -> dict[str, Any]:
    """A modal or App Home view (views.*): `invalid_arguments` with Slack's messages."""
    try:
        return _view(view)
    except _Refusal as exc:
        raise SlackError("invalid_arguments", messages=(str(exc),)) from None


def _need(ok: bool, rule: str, pointer: str) -> None:
    if not ok:
        raise _Refusal(rule, pointer)


def _loads(value: Any, pointer: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise _Refusal("must be valid JSON", pointer) from None
    return value


def _length(value: Any, limit: int, pointer: str, *, least: int = 0) -> None:
    _need(isinstance(value, str), "must be a string", pointer)
    _need(least <= len(value) <= limit, f"must be {least} to {limit} characters", pointer)


def _text(obj: Any, limit: int, pointer: str, *, plain: bool = False) -> None:
    kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    _need(
        isinstance(obj, dict) and obj.get("type") in kinds, f"must be {' or '.join(kinds)}", pointer
    )
    _length(obj.get("text"), limit, f"{pointer}/text", least=1)


def _blocks(blocks: Any, limit: int, pointer: str) -> list[dict[str, Any]]:
    blocks = _loads(blocks, pointer)
    _need(isinstance(blocks, list), "must be an array", pointer)
    _need(len(blocks) <= limit, f"no more than {limit} items allowed", pointer)
    ids = [block.get("block_id") for block in blocks if isinstance(block, dict)]
    ids = [i for i in ids if i is not None]
    _need(len(ids) == len(set(ids)), "block_id must be unique", pointer)
    for index, block in enumerate(blocks):
        _block(block, f"{pointer}/{index}")
    checked: list[dict[str, Any]] = blocks
    return checked


def _block(block: Any, at: str) -> None:
    _need(isinstance(block, dict) and block.get("type") in BLOCK_TYPES, "unknown block type", at)
    kind = block["type"]
    if "block_id" in block:
        _length(block["block_id"], 255, f"{at}/block_id", least=1)
    if kind == "header":
        _text(block.get("text"), 150, f"{at}/text", plain=True)
    elif kind == "section":
        _need("text" in block or "fields" in block, "must have text or fields", at)
        if "text" in block:
            _text(block["text"], 3000, f"{at}/text")
        fields = block.get("fields", [])
        _need(len(fields) <= 10, "no more than 10 items allowed", f"{at}/fields")
        for index, item in enumerate(fields):
            _text(item, 2000, f"{at}/fields/{index}")
        if "accessory" in block:
            _element(block["accessory"], f"{at}/accessory")
    elif kind == "actions":
        elements = block.get("elements", [])
        _need(1 <= len(elements) <= 25, "must have 1 to 25 items", f"{at}/elements")
        ids = [e.get("action_id") for e in elements if e.get("action_id") is not None]
        _need(len(ids) == len(set(ids)), "action_id must be unique in a block", f"{at}/elements")
        for index, element in enumerate(elements):
            _element(element, f"{at}/elements/{index}")
    elif kind == "context":
        elements = block.get("elements", [])
        _need(1 <= len(elements) <= 10, "must have 1 to 10 items", f"{at}/elements")
        for index, item in enumerate(elements):
            _text(item, 3000, f"{at}/elements/{index}")
    elif kind == "image":
        _need(bool(block.get("image_url") or block.get("slack_file")), "needs an image", at)
        if "image_url" in block:
            _length(block["image_url"], 3000, f"{at}/image_url", least=1)
        _length(block.get("alt_text"), 2000, f"{at}/alt_text", least=1)
    elif kind == "input":
        _text(block.get("label"), 2000, f"{at}/label", plain=True)
        if "hint" in block:
            _text(block["hint"], 2000, f"{at}/hint", plain=True)
        _element(block.get("element"), f"{at}/element", input_block=True)


def _options(element: dict[str, Any], most: int, at: str) -> None:
    options = element.get("options", [])
    _need(1 <= len(options) <= most, f"must have 1 to {most} options", f"{at}/options")
    for index, option in enumerate(options):
        _text(option.get("text"), 75, f"{at}/options/{index}/text", plain=True)
        _length(option.get("value"), 150, f"{at}/options/{index}/value", least=1)
    if "initial_option" in element:
        _need(element["initial_option"] in options, "must be one of the options", at)


def _element(element: Any, at: str, *, input_block: bool = False) -> None:
    _need(isinstance(element, dict), "must be an element", at)
    kind = element.get("type")
    if "action_id" in element:
        _length(element["action_id"], 255, f"{at}/action_id", least=1)
    if "placeholder" in element:
        _text(element["placeholder"], 150, f"{at}/placeholder", plain=True)
    if kind == "button":
        _need(not input_block, "a button cannot be an input", at)
        _text(element.get("text"), 75, f"{at}/text", plain=True)
        if "style" in element:  # leave it out for the default look
            _need(element["style"] in ("primary", "danger"), "must be primary or danger", at)
        if "value" in element:
            _length(element["value"], 2000, f"{at}/value", least=1)
        if "url" in element:
            _length(element["url"], 3000, f"{at}/url", least=1)
    elif kind == "static_select":
        _options(element, 100, at)
    elif kind in ("radio_buttons", "checkboxes"):
        _options(element, 10, at)
    elif kind == "plain_text_input":
        _need(input_block, "plain_text_input goes in an input block", at)
        most = element.get("max_length", 3000)
        _need(isinstance(most, int) and 1 <= most <= 3000, "must be 1 to 3000", f"{at}/max_length")
        least = element.get("min_length", 0)
        _need(
            isinstance(least, int) and 0 <= least <= most, "must be 0 to 3000", f"{at}/min_length"
        )
        if "initial_value" in element:
            _length(element["initial_value"], most, f"{at}/initial_value")
    else:
        raise _Refusal("unknown element type", at)


def _view(view: Any) -> dict[str, Any]:
    view = _loads(view, "/view")
    _need(isinstance(view, dict) and view.get("type") in ("modal", "home"), "bad type", "/view")
    if view["type"] == "modal":
        _text(view.get("title"), 24, "/view/title", plain=True)
        for button in ("submit", "close"):
            if button in view:
                _text(view[button], 24, f"/view/{button}", plain=True)
        needs_submit = any(b.get("type") == "input" for b in view.get("blocks", []))
        _need(not needs_submit or "submit" in view, "a modal with inputs needs submit", "/view")
    for key, most in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        if key in view:
            _length(view[key], most, f"/view/{key}")
    _blocks(view.get("blocks", []), VIEW_BLOCKS, "/view/blocks")
    checked: dict[str, Any] = view
    return checked
