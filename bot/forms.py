"""Forms everywhere: validation shared by modals and by the conversation that replaces a modal
on platforms without one (Telegram, the console), one question at a time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.messages import ActionButton, FieldKind, Form, FormField, Message, Style
from bot.parsing import clean, ident, web_link

ANSWER_ACTION = "form.answer"
YES = ("yes", "y", "true", "1", "on")
NO = ("no", "n", "false", "0", "off")


def clean_value(spec: FormField, raw: str | None) -> str:
    """The canonical value of one answer, or ValueError with a sentence for the member."""
    value = clean(raw or "").strip()
    if not value:
        if spec.required and spec.default is None:
            raise ValueError(f"{spec.label} is required.")
        return spec.default or ""
    if len(value) > spec.max_length:
        raise ValueError(f"{spec.label} can be at most {spec.max_length} characters.")
    if spec.kind is FieldKind.YES_NO:
        if value.lower() in YES:
            return "yes"
        if value.lower() in NO:
            return "no"
        raise ValueError(f"Please answer {spec.label} with yes or no.")
    if spec.kind is FieldKind.CHOICE:
        by_name = {choice.lower(): choice for choice in spec.choices}
        if value.lower() in by_name:
            return by_name[value.lower()]
        if (number := ident(value)) and number <= len(spec.choices):
            return spec.choices[number - 1]
        raise ValueError(f"{spec.label} must be one of: {', '.join(spec.choices)}.")
    if spec.kind is FieldKind.LINK and not web_link(value):
        raise ValueError(f"{spec.label} must start with https:// (a web address).")
    return value


def clean_values(form: Form, values: Mapping[str, str]) -> dict[str, str]:
    """Validate a whole submission (from a modal); raises ValueError listing every problem."""
    cleaned, problems = {}, []
    for spec in form.fields:
        try:
            cleaned[spec.name] = clean_value(spec, values.get(spec.name))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError(" ".join(problems))
    return cleaned


def question(form: Form, index: int, problem: str | None = None) -> Message:
    spec = form.fields[index]
    lines = [problem] if problem else []
    if index == 0 and form.intro and not problem:
        lines.append(form.intro)
    lines.append(f"**{spec.label}**")
    buttons: tuple[ActionButton, ...] = ()
    if spec.kind is FieldKind.CHOICE:
        buttons = tuple(ActionButton(c, ANSWER_ACTION, c) for c in spec.choices)
    elif spec.kind is FieldKind.YES_NO:
        buttons = (
            ActionButton("Yes", ANSWER_ACTION, "yes"),
            ActionButton("No", ANSWER_ACTION, "no"),
        )
    elif spec.default:
        lines.append(f"(now: {spec.default}; send - to keep it)")
    elif not spec.required:
        lines.append("(optional; send - to skip)")
    title = f"{form.title} ({index + 1}/{len(form.fields)})"
    return Message(title=title, body="\n".join(lines), buttons=buttons)


@dataclass
class Conversation:
    form: Form
    index: int = 0
    values: dict[str, str] = field(default_factory=dict)

    def answer(self, raw: str) -> Message | dict[str, str]:
        """Take one answer: the next question (or the same one, explained), or all values."""
        spec = self.form.fields[self.index]
        text = "" if raw.strip() == "-" else raw
        try:
            self.values[spec.name] = clean_value(spec, text)
        except ValueError as exc:
            return question(self.form, self.index, str(exc))
        self.index += 1
        if self.index == len(self.form.fields):
            return self.values
        return question(self.form, self.index)


class Conversations:
    """Forms in progress, keyed by (platform, user id). Held in memory on purpose: one process
    receives a given platform's updates, and a half-finished form is cheap to start again."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], Conversation] = {}

    def start(self, key: tuple[str, str], form: Form) -> Message:
        self._open[key] = Conversation(form)
        return question(form, 0)

    def get(self, key: tuple[str, str]) -> Conversation | None:
        return self._open.get(key)

    def end(self, key: tuple[str, str]) -> None:
        self._open.pop(key, None)


CONTINUE_ACTION = "form.continue"
PART = "#part"


@dataclass
class _Sequence:
    form: Form
    parts: list[Form]
    done: int = 0
    values: dict[str, str] = field(default_factory=dict)


class ModalSequences:
    """A form longer than a platform's modal allows, asked as several modals in turn."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], _Sequence] = {}

    def start(self, key: tuple[str, str], form: Form, size: int) -> Form:
        """The modal to show now: the whole form when it fits, else its first part."""
        if PART in form.id:
            return form  # already a part of a sequence in progress
        if len(form.fields) <= size:
            return form
        chunks = [form.fields[i : i + size] for i in range(0, len(form.fields), size)]
        total = len(chunks)
        parts = [
            Form(
                id=f"{form.id}{PART}{n}",
                title=f"{form.title} ({n + 1}/{total})"[:45],
                fields=chunk,
                submit_label="Next" if n + 1 < total else form.submit_label,
            )
            for n, chunk in enumerate(chunks)
        ]
        self._open[key] = _Sequence(form, parts)
        return parts[0]

    def answer(
        self, key: tuple[str, str], part_id: str, values: Mapping[str, str]
    ) -> Message | tuple[str, dict[str, str]] | None:
        sequence = self._open.get(key)
        if sequence is None or part_id != sequence.parts[sequence.done].id:
            return None
        spec = sequence.parts[sequence.done]
        try:
            sequence.values.update(clean_values(spec, values))
        except ValueError as exc:
            return Message(
                f"{exc} Please fill that part in again.",
                buttons=(ActionButton("Try again", CONTINUE_ACTION),),
            )
        sequence.done += 1
        if sequence.done == len(sequence.parts):
            del self._open[key]
            return sequence.form.id, sequence.values
        step = f"{sequence.done + 1}/{len(sequence.parts)}"
        return Message(
            f"Thanks! One more step ({step}).",
            buttons=(ActionButton(f"Continue ({step})", CONTINUE_ACTION, style=Style.PRIMARY),),
        )

    def next_part(self, key: tuple[str, str]) -> Form | None:
        sequence = self._open.get(key)
        return sequence.parts[sequence.done] if sequence else None
