"""The form flow: a form is a modal where the platform has one (a sequence of modals when it
is longer than the platform allows) and a short conversation elsewhere. These endpoints take
each answer or part until the form is whole, then hand it on as one `FormSubmitted`.

A form in progress is kept in the database (`form_progress`), in the transaction of the
event that moved it on: with several Roost processes taking a platform's calls, each answer
may reach another process, and a retried answer is handled once with everything else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.adapter import Capabilities
from bot.context import Context
from bot.events import ActionPressed, FormSubmitted, Origin
from bot.forms import Conversation, ModalSequence, question
from bot.messages import Ask, Form, Message
from storage.db import Database
from storage.forms import end_progress, progress, save_progress

CONVERSATION, SEQUENCE = "conversation", "sequence"


class FormFlow:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def talking(self, ctx: Context[Any]) -> bool:
        """Whether this person is in the middle of a conversation standing in for a form."""
        return await self._conversation(ctx) is not None

    async def begin(
        self, origin: Origin, member_id: int, form: Form, caps: Capabilities, now: datetime
    ) -> Message | Form:
        """Start asking `form`: the modal to open (its first part when it is longer than
        one), or the first question of a conversation. Kept before it is shown."""
        modal = caps.modal_forms and origin.interaction
        if modal and len(form.fields) <= caps.max_form_fields:
            return form
        first: Message | Form
        if modal:
            sequence = ModalSequence.split(form, caps.max_form_fields)
            kind, state, first = SEQUENCE, sequence.state(), sequence.next_part
        else:
            kind, state, first = CONVERSATION, Conversation(form).state(), question(form, 0)
        async with self.db.session() as session:
            await save_progress(session, *_account(origin), member_id, kind, state, now)
            await session.commit()
        return first

    async def answer(self, ctx: Context[Any]) -> None:
        """The next answer in a conversation standing in for a modal form."""
        event = ctx.event
        conversation = await self._conversation(ctx)
        assert conversation is not None
        raw = event.value if isinstance(event, ActionPressed) else event.text
        result = conversation.answer(raw)
        if isinstance(result, Message):
            await self._keep(ctx, CONVERSATION, conversation.state())
            ctx.reply(result)
            return
        await end_progress(ctx.session, *_account(event.origin))
        form = conversation.form.id
        ctx.followups.append(FormSubmitted(origin=event.origin, form=form, values=result))

    async def part(self, ctx: Context[FormSubmitted]) -> None:
        """One modal of a longer form: keep its answers, offer the next (a modal cannot open
        another modal directly), or hand on the whole form once complete."""
        event = ctx.event
        sequence = await self._sequence(ctx)
        result = sequence.answer(event.form, event.values) if sequence else None
        if sequence is None or result is None:
            ctx.reply("That form has expired; please start again.")
        elif isinstance(result, Message):
            await self._keep(ctx, SEQUENCE, sequence.state())
            ctx.reply(result)
        else:
            await end_progress(ctx.session, *_account(event.origin))
            form = sequence.form.id
            ctx.followups.append(FormSubmitted(origin=event.origin, form=form, values=result))

    async def next_part(self, ctx: Context[ActionPressed]) -> None:
        sequence = await self._sequence(ctx)
        if sequence is None:
            ctx.reply("That form has expired; please start again.")
        else:
            ctx.outbound.append(Ask(sequence.next_part))

    async def end(self, ctx: Context[Any]) -> None:
        """Abandon whatever form this person was answering (STOP)."""
        await end_progress(ctx.session, *_account(ctx.event.origin))

    async def _conversation(self, ctx: Context[Any]) -> Conversation | None:
        found = await progress(ctx.session, *_account(ctx.event.origin))
        return Conversation.of(found.state) if found and found.kind == CONVERSATION else None

    async def _sequence(self, ctx: Context[Any]) -> ModalSequence | None:
        found = await progress(ctx.session, *_account(ctx.event.origin))
        return ModalSequence.of(found.state) if found and found.kind == SEQUENCE else None

    async def _keep(self, ctx: Context[Any], kind: str, state: dict[str, Any]) -> None:
        assert ctx.member.id is not None
        account = _account(ctx.event.origin)
        await save_progress(ctx.session, *account, ctx.member.id, kind, state, ctx.now)


def _account(origin: Origin) -> tuple[str, str]:
    return origin.platform, origin.user.id
