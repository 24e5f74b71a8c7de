"""Routing and invocation: which endpoint an event reaches, and calling it with its arguments
parsed, its form's values checked, and a mistake it finds answered without keeping anything."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, Event, FormSubmitted, TextReceived
from bot.flow import FormFlow
from bot.forms import ANSWER_ACTION, CONTINUE_ACTION, PART, clean_values
from bot.middleware import Call, Endpoint
from bot.parsing import clean
from bot.router import Command, Routes, UsageError


def typed(event: Event) -> Event:
    """What a person typed, and the name their platform gives them, without the control and
    invisible characters no field means (see `clean`)."""
    user = event.origin.user
    if user.name is not None or user.handle is not None:
        named = dataclasses.replace(
            user,
            name=clean(user.name)[:200] if user.name else user.name,
            handle=clean(user.handle)[:200] if user.handle else user.handle,
        )
        event = dataclasses.replace(event, origin=dataclasses.replace(event.origin, user=named))
    if isinstance(event, CommandInvoked):
        options = {k: clean(v) for k, v in event.options.items()} if event.options else None
        return dataclasses.replace(event, text=clean(event.text), options=options)
    if isinstance(event, TextReceived):
        return dataclasses.replace(event, text=clean(event.text))
    if isinstance(event, FormSubmitted):
        return dataclasses.replace(event, values={k: clean(v) for k, v in event.values.items()})
    return event


async def resolve(routes: Routes, flow: FormFlow, ctx: Context[Any]) -> Endpoint | None:
    """The endpoint for `ctx.event`, or None when nothing handles it."""
    event = ctx.event
    if isinstance(event, CommandInvoked):
        command = routes.commands.get(event.name.lower())
        if command is None:
            return Endpoint("unknown", _unknown_command)
        try:
            picked, text = command.pick(event.text, event.options, ctx.role)
        except UsageError as exc:
            return Endpoint(command.name, _refused(command, str(exc)), command.role)
        if picked is command:
            assert command.handler is not None
            options = None if command.subcommands else event.options
            return Endpoint(command.name, command.handler, command.role, command, text=text,
                            options=options)  # fmt: skip
        assert picked.handler is not None
        return Endpoint(f"{command.name}.{picked.name}", picked.handler, picked.role, picked,
                        parent=command, text=text)  # fmt: skip
    if isinstance(event, ActionPressed):
        if event.action == ANSWER_ACTION and await flow.talking(ctx):
            return Endpoint("form.answer", flow.answer)
        if event.action == CONTINUE_ACTION:
            return Endpoint("form.continue", flow.next_part)
        action = routes.actions.get(event.action)
        if action is None:
            return Endpoint("stale", _stale_button)
        if action.payload is not None and action.payload.unpack(event.value) is None:
            return Endpoint(action.name, _unreadable_button, action.role)
        return Endpoint(action.name, action.handler, action.role)
    if isinstance(event, FormSubmitted) and PART in event.form:
        return Endpoint("form.part", flow.part)
    if isinstance(event, FormSubmitted):
        form = routes.forms.get(event.form)
        return Endpoint(event.form, form.handler, form.role, form=form) if form else None
    if isinstance(event, TextReceived):
        if await flow.talking(ctx):
            return Endpoint("form.answer", flow.answer)
        return Endpoint("chat", _chat) if ctx.in_dm else None
    handlers = routes.events.get(type(event), [])
    return Endpoint(type(event).__name__, _all(handlers)) if handlers else None


async def invoke(call: Call) -> None:
    endpoint, ctx = call.endpoint, call.ctx
    assert endpoint is not None
    event = ctx.event
    if endpoint.command is not None and isinstance(event, CommandInvoked):
        command = endpoint.command
        try:
            ctx.args = command.parse(endpoint.text, endpoint.options)
        except UsageError as exc:
            parent = endpoint.parent.name if endpoint.parent else ""
            usage = command.usage(ctx.capabilities.command_prefix, parent)
            ctx.refuse(f"Hmm, {exc}. Usage: `{usage}` — {command.help}")
            return
    if endpoint.form is not None:
        submitted = ctx.event
        assert isinstance(submitted, FormSubmitted)
        try:
            values = clean_values(endpoint.form.build(ctx), submitted.values)
        except ValueError as exc:
            ctx.refuse(f"{exc} Nothing was saved; please try again.")
            return
        ctx.event = dataclasses.replace(submitted, values=values)
    await endpoint.handler(ctx)  # a UsageError it raises is a refusal: the app keeps nothing


def _all(handlers: list[Any]) -> Any:
    async def run_all(ctx: Context[Any]) -> None:
        for handler in handlers:
            await handler(ctx)

    return run_all


def _refused(command: Command, problem: str) -> Any:
    """A command typed with a sub-command it does not have: what it has, for this person."""

    async def refuse(ctx: Context[CommandInvoked]) -> None:
        prefix = ctx.capabilities.command_prefix
        lines = [
            f"`{sub.usage(prefix, command.name)}` {sub.help}"
            for sub in command.subcommands
            if sub.role <= ctx.role
        ]
        ctx.refuse(f"Hmm, {problem}.\n" + "\n".join(lines))

    return refuse


async def _unknown_command(ctx: Context[CommandInvoked]) -> None:
    ctx.reply(
        f"I don't know {ctx.cmd(ctx.event.name)}. Type {ctx.cmd('help')} to see what I can do."
    )


async def _stale_button(ctx: Context[ActionPressed]) -> None:
    ctx.reply(f"That button no longer does anything. Type {ctx.cmd('help')} to see what I can do.")


async def _unreadable_button(ctx: Context[ActionPressed]) -> None:
    """A press whose value is none this button's action made (an old or forged one)."""
    ctx.refuse(
        "Sorry, that button is from a message I can't read any more; nothing was changed. "
        f"Type {ctx.cmd('help')} to see what I can do."
    )


async def _chat(ctx: Context[TextReceived]) -> None:
    ctx.reply(f"I answer commands: type {ctx.cmd('help')} to see them, or STOP to stop messages.")
