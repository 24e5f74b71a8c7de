"""The form flow: a form is a modal where the platform has one (a sequence of modals when it
is longer than the platform allows) and a short conversation elsewhere. These endpoints take
each answer or part until the form is whole, then hand it on as one `FormSubmitted`."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.events import ActionPressed, FormSubmitted, Origin
from bot.forms import Conversations, ModalSequences
from bot.messages import Ask, Message


class FormFlow:
    def __init__(self) -> None:
        self.conversations = Conversations()
        self.sequences = ModalSequences()

    def talking(self, origin: Origin) -> bool:
        """Whether this person is in the middle of a conversation standing in for a form."""
        return self.conversations.get((origin.platform, origin.user.id)) is not None

    async def answer(self, ctx: Context[Any]) -> None:
        """The next answer in a conversation standing in for a modal form."""
        event = ctx.event
        key = (event.origin.platform, event.origin.user.id)
        conversation = self.conversations.get(key)
        assert conversation is not None
        raw = event.value if isinstance(event, ActionPressed) else event.text
        result = conversation.answer(raw)
        if isinstance(result, Message):
            ctx.reply(result)
            return
        self.conversations.end(key)
        form = conversation.form.id
        ctx.followups.append(FormSubmitted(origin=event.origin, form=form, values=result))

    async def part(self, ctx: Context[FormSubmitted]) -> None:
        """One modal of a longer form: keep its answers, offer the next (a modal cannot open
        another modal directly), or hand on the whole form once complete."""
        event = ctx.event
        key = (event.origin.platform, event.origin.user.id)
        result = self.sequences.answer(key, event.form, event.values)
        if result is None:
            ctx.reply("That form has expired; please start again.")
        elif isinstance(result, Message):
            ctx.reply(result)
        else:
            form, values = result
            ctx.followups.append(FormSubmitted(origin=event.origin, form=form, values=values))

    async def next_part(self, ctx: Context[ActionPressed]) -> None:
        part = self.sequences.next_part((ctx.event.origin.platform, ctx.event.origin.user.id))
        if part is None:
            ctx.reply("That form has expired; please start again.")
        else:
            ctx.outbound.append(Ask(part))
