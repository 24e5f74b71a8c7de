"""Core messages as Discord shows them: embeds, buttons in a view, modals for forms, and
slash commands whose options come from each command's declared arguments."""

from __future__ import annotations

import inspect
from typing import Any, Literal, Optional

import discord
from discord import app_commands

from bot.adapter import MenuEntry
from bot.messages import ActionButton, FieldKind, Form, Message, Style

STYLES = {
    Style.DEFAULT: discord.ButtonStyle.secondary,
    Style.PRIMARY: discord.ButtonStyle.primary,
    Style.DANGER: discord.ButtonStyle.danger,
}


EMBED_TOTAL = 6000  # characters across title, description, fields, footer and author
LINK_URL = 512  # a link button's URL at most


def embed(message: Message) -> discord.Embed | None:
    """The message as one embed within Discord's limits: each part's own, and 6000 characters
    in all, the fields first and the description cut to what is left."""
    if not (message.title or message.body or message.fields or message.image):
        return None
    title = (message.title or "")[:256]
    fields = [(f.name[:256] or "—", f.value[:1024] or "—", f.inline) for f in message.fields[:25]]
    room = EMBED_TOTAL - len(title) - sum(len(name) + len(value) for name, value, _ in fields)
    while room < 0 and fields:  # only with many long fields: the last ones go
        name, value, _ = fields.pop()
        room += len(name) + len(value)
    description = message.body[: min(4096, room)]
    if len(description) < len(message.body) and description:
        description = description[:-1] + "…"
    made = discord.Embed(
        title=title or None, description=description or None, colour=discord.Colour.blurple()
    )
    for name, value, inline in fields:
        made.add_field(name=name, value=value, inline=inline)
    if message.image is not None and message.image.url:
        made.set_image(url=message.image.url)
    return made


def view(message: Message) -> discord.ui.View | None:
    """Buttons ride on a short-lived view only to be sent; presses arrive as interactions."""
    if not message.buttons:
        return None
    made = discord.ui.View(timeout=60)
    for button in message.buttons[:25]:
        if isinstance(button, ActionButton):
            made.add_item(
                discord.ui.Button(
                    label=button.label[:80],
                    style=STYLES[button.style],
                    custom_id=f"{button.action}|{button.value}"[:100],
                )
            )
        elif len(button.url) <= LINK_URL:  # a longer one Discord refuses; it is in the text
            made.add_item(discord.ui.Button(label=button.label[:80], url=button.url))
    return made


def files(message: Message) -> list[discord.File]:
    import io

    found = []
    if message.attachment is not None:
        found.append(
            discord.File(io.BytesIO(message.attachment.data), filename=message.attachment.filename)
        )
    if message.image is not None and message.image.data:
        found.append(discord.File(io.BytesIO(message.image.data), filename="image.png"))
    return found


def modal(form: Form) -> discord.ui.Modal:
    made = discord.ui.Modal(title=form.title[:45], custom_id=form.id[:100], timeout=None)
    for spec in form.fields[:5]:
        label, description = spec.label[:45], (spec.label[:100] if len(spec.label) > 45 else None)
        if spec.kind in (FieldKind.CHOICE, FieldKind.YES_NO):
            choices = spec.choices if spec.kind is FieldKind.CHOICE else ("yes", "no")
            select: discord.ui.Select[Any] = discord.ui.Select(
                custom_id=spec.name,
                min_values=1 if spec.required else 0,
                max_values=1,
                options=[
                    discord.SelectOption(
                        label=c.capitalize() if spec.kind is FieldKind.YES_NO else c,
                        value=c,
                        default=c == spec.default,
                    )
                    for c in choices[:25]
                ],
            )
            made.add_item(discord.ui.Label(text=label, description=description, component=select))
        else:
            style = (
                discord.TextStyle.paragraph
                if spec.kind is FieldKind.LONG_TEXT
                else discord.TextStyle.short
            )
            made.add_item(
                discord.ui.TextInput(
                    label=label,
                    custom_id=spec.name,
                    style=style,
                    required=spec.required,
                    default=spec.default,
                    max_length=min(spec.max_length, 4000),
                )
            )
    return made


def modal_values(data: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for component in data.get("components", []):
        inner = component.get("component") or (component.get("components") or [{}])[0]
        if "value" in inner:
            values[inner["custom_id"]] = inner["value"]
        elif "values" in inner:
            values[inner["custom_id"]] = (inner["values"] or [""])[0]
    return values


def slash_command(entry: MenuEntry, *, hr: bool, run: Any) -> app_commands.Command[Any, Any, None]:
    """A slash command whose options are the command's declared arguments; choices become
    Discord's own choice lists. HR commands default to members who can manage the server
    (grant the HR role in the server's Integrations settings); the core checks roles anyway."""

    async def callback(interaction: discord.Interaction, **options: str | None) -> None:
        await run(interaction, entry.name, {k: v for k, v in options.items() if v is not None})

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for arg in entry.args:
        kind: Any = Literal[tuple(arg.choices)] if arg.choices else str
        parameters.append(
            inspect.Parameter(
                arg.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=kind if arg.required else Optional[kind],  # noqa: UP045 (discord.py reads Optional)
                default=inspect.Parameter.empty if arg.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        arg.name: (arg.help or arg.name)[:100] for arg in entry.args
    }
    command: app_commands.Command[Any, Any, None] = app_commands.Command(
        name=entry.name,
        description=entry.help[:100],
        callback=callback,  # type: ignore[arg-type]
    )
    if hr:
        command.default_permissions = discord.Permissions(manage_guild=True)
    return command


def fingerprint(commands: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What matters when deciding whether the server's commands are stale."""

    def options(command: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            sorted(
                (
                    o["name"],
                    o.get("description", ""),
                    bool(o.get("required")),
                    tuple(c["value"] for c in o.get("choices") or []),
                )
                for o in command.get("options") or []
            )
        )

    return sorted(
        (
            c["name"],
            c.get("description", ""),
            str(c.get("default_member_permissions") or ""),
            options(c),
        )
        for c in commands
    )


def describe(message: Message) -> str:
    """How `message` shows on Discord, for HR's preview: an embed and its cuts."""
    parts = ["An embed"]
    if message.title and len(message.title) > 256:
        parts.append("the title is cut to 256 characters")
    shown = embed(message)
    kept = len(shown.description or "") if shown is not None else 0
    if kept < len(message.body):
        parts.append(f"the text is cut to {kept:,} characters (an embed holds 6,000 in all)")
    if message.image is not None:
        parts.append("the image inside the embed" if message.image.url else "the image attached")
    if message.buttons:
        rows = -(-min(len(message.buttons), 25) // 5)
        parts.append(f"{len(message.buttons)} buttons in {rows} row{'s' * (rows != 1)} of 5")
    return "; ".join(parts) + "."
