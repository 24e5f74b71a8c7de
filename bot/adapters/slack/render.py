"""Core messages as Block Kit: header, mrkdwn sections, fields, images and action buttons;
forms as modals; the member's home as an App Home view."""

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


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def blocks(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if message.title:
        out.append({"type": "header", "text": _plain(message.title, 150)})
    body = mrkdwn(message.body)
    for start in range(0, len(body), 3000):
        out.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": body[start : start + 3000]}}
        )
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
                "alt_text": message.image.alt or "image",
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
        element.update(action_id=f"link#{index}", url=button.url)
        return element
    # action ids must be unique within a block; the index after # keeps them so
    element.update(action_id=f"{button.action}#{index}", value=button.value or "-")
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
    return {
        "type": "modal",
        "callback_id": form.id,
        "private_metadata": metadata,
        "title": _plain(form.title, 24),
        "submit": _plain(form.submit_label, 24),
        "close": _plain("Cancel", 24),
        "blocks": (
            [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(form.intro)}}]
            if form.intro
            else []
        )
        + [_input(f) for f in form.fields],
    }


def _input(spec: FormField) -> dict[str, Any]:
    element: dict[str, Any]
    if spec.kind in (FieldKind.CHOICE, FieldKind.YES_NO):
        choices = spec.choices if spec.kind is FieldKind.CHOICE else ("yes", "no")
        options = [
            {"text": _plain(c.capitalize() if spec.kind is FieldKind.YES_NO else c, 75), "value": c}
            for c in choices
        ]
        kind = "static_select" if spec.kind is FieldKind.CHOICE else "radio_buttons"
        element = {"type": kind, "action_id": "value", "options": options}
        if spec.default in choices:
            element["initial_option"] = options[choices.index(spec.default)]
    else:
        element = {
            "type": "plain_text_input",
            "action_id": "value",
            "max_length": spec.max_length,
            "multiline": spec.kind is FieldKind.LONG_TEXT,
        }
        if spec.default:
            element["initial_value"] = spec.default
    return {
        "type": "input",
        "block_id": spec.name,
        "label": _plain(spec.label, 2000),
        "element": element,
        "optional": not spec.required,
    }


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        entry = actions.get("value", {})
        selected = entry.get("selected_option")
        values[block_id] = selected["value"] if selected else entry.get("value") or ""
    return values


def home_view(message: Message) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks(message)}


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def describe(message: Message) -> str:
    """How `message` shows on Slack, for HR's preview: its blocks and what gets cut."""
    made = blocks(message)
    kinds = ", ".join(dict.fromkeys(block["type"] for block in made))
    parts = [f"Block Kit: {len(made)} blocks ({kinds}; a message holds 50)"]
    if message.title and len(message.title) > 150:
        parts.append("the title is cut to 150 characters (a header's limit)")
    if message.image is not None and message.image.data:
        parts.append("the image follows as a file")
    if message.buttons:
        parts.append(f"{len(message.buttons)} buttons")
    return "; ".join(parts) + "."
