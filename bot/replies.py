"""Reply delivery: what a handler asked for (say, replace, ask a form, answer a join request,
publish a home view) sent through the adapter of the platform it came from, once the
handler's changes are committed, so nothing a member is told can be rolled back."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from bot.adapter import Adapter, DeliveryError, Undeliverable
from bot.context import Context
from bot.events import ActionPressed, ChatKind, Origin
from bot.flow import FormFlow
from bot.forms import PART
from bot.messages import (
    AnswerJoin,
    Ask,
    Attachment,
    DirectTarget,
    Form,
    Message,
    Outbound,
    PublishHome,
    Replace,
    Say,
    Sent,
)
from storage.db import Database
from storage.members import find_identity

log = logging.getLogger("roost")


class Replies:
    def __init__(self, adapters: Mapping[str, Adapter], db: Database, flow: FormFlow) -> None:
        self.adapters, self.db, self.flow = adapters, db, flow

    async def deliver(self, ctx: Context[Any]) -> None:
        origin = ctx.event.origin
        adapter = self.adapters[origin.platform]
        for op in _in_order(ctx.outbound, adapter, origin):
            try:
                await self._one(adapter, ctx, _fitting(op, adapter))
            except Undeliverable as exc:
                await self._mark_undeliverable(origin, str(exc))
                if _private_to(op, origin) and origin.chat.kind is not ChatKind.DM:
                    await self._say_where_asked(adapter, origin)
            except Exception:
                log.exception("could not deliver a reply on %s", origin.platform)
                if (file := _file_of(op)) is not None:  # never dropped without a word
                    await self._say_not_sent(adapter, ctx, op, file)

    async def _say_not_sent(
        self, adapter: Adapter, ctx: Context[Any], op: Outbound, file: Attachment
    ) -> None:
        note = Message(
            f"I couldn't send you {file.filename} ({_size(len(file.data))}): "
            f"{adapter.platform} did not take it. Nothing else was lost; please try again "
            f"later, or get it from the dashboard ({ctx.cmd('dashboard')})."
        )
        target = op.target if isinstance(op, Say) else None
        try:
            await self._one(adapter, ctx, Say(note, target=target))
        except Exception:
            log.exception("could not say a file was not sent on %s", adapter.platform)

    async def _say_where_asked(self, adapter: Adapter, origin: Origin) -> None:
        """Someone acted in a channel and the answer was for them alone, but their DMs are
        closed to the bot (on Telegram: they never started it). Say so where they are."""
        name = origin.user.name or "Hi"
        note = Message(
            f"{name}, I can't write to you privately yet: open a chat with me (on Telegram, "
            "press Start), then try again."
        )
        try:
            await adapter.reply(origin, note, ephemeral=True)
        except DeliveryError as exc:  # not even there (they are not in the channel): no more to do
            log.warning("could not explain a closed DM on %s: %s", origin.platform, exc)
        except Exception:
            log.exception("could not explain a closed DM on %s", origin.platform)

    async def _one(self, adapter: Adapter, ctx: Context[Any], op: Outbound) -> None:
        event, origin = ctx.event, ctx.event.origin
        if isinstance(op, Ask):
            start: Message | Form = op.form
            if PART not in op.form.id:  # else a part of a form in progress: show it
                assert ctx.member.id is not None
                caps = adapter.capabilities
                start = await self.flow.begin(origin, ctx.member.id, op.form, caps, ctx.now)
            if isinstance(start, Form):
                await adapter.open_form(origin, start)
            elif origin.chat.kind is ChatKind.DM:
                await adapter.reply(origin, start, ephemeral=False)
            else:  # answers are personal: ask in private
                await adapter.send(DirectTarget(origin.platform, origin.user.id), start)
        elif isinstance(op, AnswerJoin):
            await adapter.answer_join(origin, approve=op.approve)
        elif isinstance(op, Replace):
            pressed = event.message_id if isinstance(event, ActionPressed) else None
            if adapter.capabilities.edit_in_place and pressed:
                await adapter.edit(Sent(origin.platform, origin.chat.id, pressed), op.message)
            else:
                await adapter.reply(origin, op.message, ephemeral=False)
        elif isinstance(op, PublishHome):
            if adapter.capabilities.home:
                await adapter.publish_home(origin, op.message)
        elif op.target is not None:  # perhaps on another platform (HR told of something)
            elsewhere = self.adapters.get(op.target.platform)
            if elsewhere is None:
                log.warning("not sending to %s: it is not running", op.target.platform)
            else:
                await elsewhere.send(op.target, op.message)
        else:
            await adapter.reply(origin, op.message, ephemeral=op.ephemeral)

    async def _mark_undeliverable(self, origin: Origin, reason: str) -> None:
        async with self.db.session() as session:
            found = await find_identity(session, origin.platform, origin.user.id)
            if found:
                found[1].deliverable = False
                found[1].undeliverable_reason = reason[:200]
                await session.commit()


def _file_of(op: Outbound) -> Attachment | None:
    return op.message.attachment if isinstance(op, Say | Replace) else None


def _fitting(op: Outbound, adapter: Adapter) -> Outbound:
    """`op`, or in place of a file larger than the platform takes, a message that says so."""
    file = _file_of(op)
    limit = adapter.capabilities.max_upload
    if file is None or len(file.data) <= limit or not isinstance(op, Say):
        return op
    note = (
        f"{op.message.body}\n\n".lstrip()
        + f"The file {file.filename} is {_size(len(file.data))}, more than {adapter.platform} "
        f"takes ({_size(limit)}), so it was not sent: narrow it down, or get it from the "
        "dashboard."
    )
    return dataclasses.replace(
        op, message=dataclasses.replace(op.message, body=note, attachment=None)
    )


def _size(count: int) -> str:
    if count < 2**10:
        return f"{count} bytes"
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{count / 2**10:.0f} kB"


def _in_order(ops: list[Outbound], adapter: Adapter, origin: Origin) -> list[Outbound]:
    """A modal opens first: its trigger lives three seconds (Slack, Discord), and a greeting
    DM sent before it can take one of them. Where the form is a conversation instead, the
    order is as asked (the greeting reads before the first question)."""
    if not (adapter.capabilities.modal_forms and origin.interaction):
        return ops
    return sorted(ops, key=lambda op: not isinstance(op, Ask))


def _private_to(op: Outbound, origin: Origin) -> bool:
    """Whether `op` is a message for the person `origin` names, in their DM."""
    target = op.target if isinstance(op, Say) else None
    return isinstance(target, DirectTarget) and target.user_id == origin.user.id
