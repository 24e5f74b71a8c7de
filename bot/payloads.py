"""Button payloads that pack and unpack themselves (aiogram's `CallbackData`, typed).

A payload is a frozen dataclass of `int` and `str` fields named after the action its button
triggers: `Vote(poll=3, option=1).button("Go")` is a button whose value is `3:1`, and
`Vote.of(ctx)` reads it back in the handler. An `Action` that declares its payload has every
press checked before its handler runs: a value that does not unpack (an old button, a forged
one) is refused politely, so a handler never parses a value by hand. A payload longer than a
platform takes (Telegram: 64 bytes of `action|value`) is refused when it is made, not when
it is sent.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import TYPE_CHECKING, Any, ClassVar, Self

from bot.messages import ActionButton, Style

if TYPE_CHECKING:
    from bot.context import Context
    from bot.events import ActionPressed

LIMIT = 64  # bytes of `action|value`: Telegram's callback_data, the least any platform takes
SEPARATOR = ":"
NUMBER = 12  # digits a number field takes at most


class PayloadError(ValueError):
    """A payload that cannot be a button's value (too long, or a field holds the separator)."""


@dataclasses.dataclass(frozen=True)
class Payload:
    action: ClassVar[str]

    def __init_subclass__(cls, *, action: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if action:
            cls.action = action

    def pack(self) -> str:
        parts = [str(getattr(self, f.name)) for f in dataclasses.fields(self)]
        if any(SEPARATOR in part for part in parts[:-1]):  # the last may: it is split off last
            raise PayloadError(f"{self.action}: a field holds {SEPARATOR!r}")
        packed = SEPARATOR.join(parts)
        if len(f"{self.action}|{packed}".encode()) > LIMIT:
            raise PayloadError(f"{self.action}: {packed[:20]}… is over {LIMIT} bytes")
        return packed

    def button(self, label: str, style: Style = Style.DEFAULT) -> ActionButton:
        return ActionButton(label, self.action, self.pack(), style)

    @classmethod
    def unpack(cls, value: str) -> Self | None:
        """The payload a button's value packs, or None when it does not fit this one."""
        kinds = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        parts = value.split(SEPARATOR, len(names) - 1) if names else []
        if len(parts) != len(names) or (not names and value):
            return None
        found: dict[str, object] = {}
        for name, part in zip(names, parts, strict=True):
            if kinds[name] is int:
                if not (part.isascii() and part.isdigit() and len(part) <= NUMBER):
                    return None
                found[name] = int(part)
            elif not part:
                return None
            else:
                found[name] = part
        return cls(**found)

    @classmethod
    def of(cls, ctx: Context[ActionPressed]) -> Self:
        """The payload of the button pressed (checked already when its `Action` declares it)."""
        found = cls.unpack(ctx.event.value)
        assert found is not None, f"{cls.__name__} was not checked before {cls.action}"
        return found
