"""Core messages as Block Kit: header, mrkdwn sections, fields, images and action buttons;
forms as modals; the member's home as an App Home view.

Every limit of Slack's Block Kit reference is kept here, since Slack refuses a whole message
or modal for one field too long: 50 blocks a message and 100 a view, 3000 characters a section
and 2000 a field, 150 a header, 75 a button or option label, 3000 an input.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.messages import ActionButton, FieldKind, Form, FormField, LinkButton, Message, Style

_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def mrkdwn(markdown: str) -> str:
    """The core's Markdown subset as Slack mrkdwn, with &, < and > escaped as Slack asks."""
    text = markdown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _LINK.sub(lambda m: f"<{m[2]}|{m[1]}>", text)
    return _BOLD.sub(r"*\1*", text)


MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
SECTION, INPUT, OPTION_VALUE, METADATA = 3000, 3000, 150, 3000
MORE, JOIN = "~", "\n\n"  # a long text field's further inputs, joined again on submission


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def chunks(text: str, size: int = SECTION) -> list[str]:
    """`text` in pieces of at most `size`, cut at a line or a space where there is one, and
    never inside a link (`<url|text>`) or an escape (`&amp;`)."""
    pieces = []
    while len(text) > size:
        cut = size
        opened, entity = text.rfind("<", 0, cut), text.rfind("&", 0, cut)
        if opened > text.rfind(">", 0, cut):
            cut = opened or size
        elif entity > text.rfind(";", 0, cut) and cut - entity < 6:
            cut = entity or size
        else:
            space = max(text.rfind("\n", 0, cut), text.rfind(" ", 0, cut))
            cut = space if space > size // 2 else cut
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ")
    return [*pieces, text] if text else pieces


def blocks(message: Message, limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """The message as at most `limit` blocks: a body too long for them ends in an ellipsis."""
    out: list[dict[str, Any]] = []
    if message.title:
        out.append({"type": "header", "text": _plain(message.title, 150)})
    tail = _tail(message)
    room = limit - len(out) - len(tail)
    body = chunks(mrkdwn(message.body))
    if len(body) > room:
        body = body[: max(room, 0)]
        if body:
            body[-1] = body[-1][: SECTION - 1] + "…"
    out += [{"type": "section", "text": {"type": "mrkdwn", "text": b}} for b in body]
    return out + tail[: limit - len(out)]


def _tail(message: Message) -> list[dict[str, Any]]:
    """What follows the body: fields, the image and the buttons."""
    out: list[dict[str, Any]] = []
    fields = [
        {"type": "mrkdwn", "text": f"*{mrkdwn(f.name)}*\n{mrkdwn(f.value)}"[:2000]}
        for f in message.fields
    ]
    for start in range(0, len(fields), 10):
        out.append({"type": "section", "fields": fields[start : start + 10]})
    if message.image is not None and message.image.url:
        out.append(
            {
                "type": "image",
                "image_url": message.image.url,
                "alt_text": (message.image.alt or "image")[:2000],
            }
        )
    elements = [_button(i, b) for i, b in enumerate(message.buttons)]
    for start in range(0, len(elements), 25):
        out.append(
            {
                "type": "actions",
                "block_id": f"actions-{start}",
                "elements": elements[start : start + 25],
            }
        )
    return out


def _button(index: int, button: ActionButton | LinkButton) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": _plain(button.label, 75)}
    if isinstance(button, LinkButton):
        element.update(action_id=f"link#{index}", url=button.url[:3000])
        return element
    # action ids must be unique within a block; the index after # keeps them so
    element.update(action_id=f"{button.action}#{index}"[:255], value=(button.value or "-")[:2000])
    if button.style is not Style.DEFAULT:
        element["style"] = button.style.value
    return element


def fallback_text(message: Message) -> str:
    """The notification text Slack shows where blocks are not rendered."""
    text = " — ".join(p for p in (message.title, message.body) if p)
    return mrkdwn(text)[:3000] or "Roost"


def action_of(action_id: str, value: str) -> tuple[str, str]:
    action = action_id.rsplit("#", 1)[0]
    return action, "" if value == "-" else value


def modal(form: Form, metadata: str) -> dict[str, Any]:
    inputs = [block for f in form.fields for block in _inputs(f)][:VIEW_BLOCKS]
    intro = chunks(mrkdwn(form.intro))[: VIEW_BLOCKS - len(inputs)]
    return {
        "type": "modal",
        "callback_id": form.id[:255],
        "private_metadata": metadata[:METADATA],
        "title": _plain(form.title, 24),
        "submit": _plain(form.submit_label, 24),
        "close": _plain("Cancel", 24),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in intro]
        + inputs,
    }


def _inputs(spec: FormField) -> list[dict[str, Any]]:
    """One input, or for text longer than a Slack input holds (3000), more: the first keeps
    the field's name and the rest continue it, so a 6000-character story fits in one modal."""
    if spec.kind in (FieldKind.CHOICE, FieldKind.YES_NO) or spec.max_length <= INPUT:
        return [_input(spec)]
    blocks, left, given, part = [], spec.max_length, spec.default or "", 1
    while left > 0:
        most = min(left, INPUT)
        name, label = (
            (spec.name, spec.label)
            if part == 1
            else (f"{spec.name}{MORE}{part}", f"{spec.label} (continued, optional)")
        )
        piece = FormField(
            name,
            label,
            spec.kind,
            required=spec.required and part == 1,
            max_length=most,
            default=given[:most] or None,
        )
        blocks.append(_input(piece))
        given, left, part = given[most:], left - most - len(JOIN), part + 1
    return blocks


def _input(spec: FormField) -> dict[str, Any]:
    element: dict[str, Any]
    if spec.kind in (FieldKind.CHOICE, FieldKind.YES_NO):
        choices = spec.choices if spec.kind is FieldKind.CHOICE else ("yes", "no")
        kind, most = (
            ("static_select", 100) if spec.kind is FieldKind.CHOICE else ("radio_buttons", 10)
        )
        choices = tuple(c for c in choices if len(c) <= OPTION_VALUE)[:most]
        options = [
            {"text": _plain(c.capitalize() if spec.kind is FieldKind.YES_NO else c, 75), "value": c}
            for c in choices
        ]
        element = {"type": kind, "action_id": "value", "options": options}
        if spec.default in choices:
            element["initial_option"] = options[choices.index(spec.default)]
    else:
        most = max(1, min(spec.max_length, INPUT))
        element = {
            "type": "plain_text_input",
            "action_id": "value",
            "max_length": most,
            "multiline": spec.kind is FieldKind.LONG_TEXT,
        }
        if spec.default:
            element["initial_value"] = spec.default[:most]
    return {
        "type": "input",
        "block_id": spec.name[:255],
        "label": _plain(spec.label, 2000),
        "element": element,
        "optional": not spec.required,
    }


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """A submitted modal's values by field; a long field's inputs joined again, in order."""
    parts: dict[str, dict[int, str]] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        entry = actions.get("value", {})
        selected = entry.get("selected_option")
        value = selected["value"] if selected else entry.get("value") or ""
        name, _, part = block_id.partition(MORE)
        parts.setdefault(name, {})[int(part) if part.isdigit() else 1] = value
    return {
        name: JOIN.join(p for _, p in sorted(pieces.items()) if p.strip())
        for name, pieces in parts.items()
    }


def home_view(message: Message) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks(message, VIEW_BLOCKS)}


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def describe(message: Message) -> str:
    """How `message` shows on Slack, for HR's preview: its blocks and what gets cut."""
    made = blocks(message)
    kinds = ", ".join(dict.fromkeys(block["type"] for block in made))
    parts = [f"Block Kit: {len(made)} blocks ({kinds}; a message holds {MESSAGE_BLOCKS})"]
    if message.title and len(message.title) > 150:
        parts.append("the title is cut to 150 characters (a header's limit)")
    if len(chunks(mrkdwn(message.body))) > sum(b["type"] == "section" for b in made):
        parts.append("the text is cut to fit 50 blocks")
    if message.image is not None and message.image.data:
        parts.append("the image follows as a file")
    if message.buttons:
        parts.append(f"{len(message.buttons)} buttons")
    return "; ".join(parts) + "."
