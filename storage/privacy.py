"""A member's right to see and to erase their data.

`POLICY` names every column that points at a member and says what erasure does to the rows it
points from. A test fails when a new table references members without an entry here, so a
feature cannot quietly keep personal data out of reach of /mydata and /forgetme.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Table, delete, or_, select, update
from sqlmodel import SQLModel, col
from sqlmodel import select as rows
from sqlmodel.ext.asyncio.session import AsyncSession

import storage.models  # noqa: F401  (every table on the metadata)
from storage.models import Campaign, Consent, Delivery, Member


class Erase(StrEnum):
    DELETE = "delete"  # the rows are about the member and nothing else
    SCRUB = "scrub"  # keep the row for anonymous counts, null its personal columns
    KEEP = "keep"  # only an id: once the member row is scrubbed it points at nobody


@dataclass(frozen=True)
class Rule:
    table: str
    column: str
    erase: Erase
    scrub: tuple[str, ...] = ()


MEMBER_FIELDS = ("display_name", "function", "seniority", "location", "interests")

POLICY = (
    Rule("identity", "member_id", Erase.DELETE),
    Rule("consent", "member_id", Erase.DELETE),
    Rule("form_progress", "member_id", Erase.DELETE),
    Rule("label", "member_id", Erase.DELETE),
    Rule("member_note", "member_id", Erase.DELETE),
    Rule("web_session", "member_id", Erase.DELETE),
    Rule("member_note", "author_member_id", Erase.KEEP),
    Rule("label", "created_by_member_id", Erase.KEEP),
    Rule("link_code", "member_id", Erase.DELETE),
    Rule("invite_code", "referrer_member_id", Erase.KEEP),
    Rule("invite_code", "created_by_member_id", Erase.KEEP),
    Rule("member_join", "member_id", Erase.KEEP),
    Rule("code_attempt", "member_id", Erase.DELETE),
    Rule("referral", "referrer_member_id", Erase.KEEP),
    Rule("referral", "referred_member_id", Erase.KEEP),
    Rule("content_item", "author_member_id", Erase.KEEP),
    Rule("feed", "added_by_member_id", Erase.KEEP),
    Rule("campaign", "created_by_member_id", Erase.KEEP),
    Rule("delivery", "member_id", Erase.KEEP),
    Rule("campaign_member", "member_id", Erase.DELETE),
    Rule("interaction", "member_id", Erase.KEEP),
    Rule("poll", "created_by_member_id", Erase.KEEP),
    Rule("vote", "member_id", Erase.KEEP),
    Rule("competition", "created_by_member_id", Erase.KEEP),
    Rule("judge", "member_id", Erase.KEEP),
    Rule("entry", "member_id", Erase.SCRUB, ("link", "text")),
    Rule("score", "judge_member_id", Erase.KEEP),
    Rule("community_event", "created_by_member_id", Erase.KEEP),
    Rule("registration", "member_id", Erase.KEEP),
    Rule("survey", "created_by_member_id", Erase.KEEP),
    Rule("survey_response", "member_id", Erase.SCRUB, ("comment",)),
    Rule("job", "created_by_member_id", Erase.KEEP),
    Rule("job_alert", "member_id", Erase.DELETE),
    Rule("nurture", "created_by_member_id", Erase.KEEP),
    Rule("enrollment", "member_id", Erase.DELETE),
    Rule("invitation", "member_id", Erase.SCRUB, ("source",)),  # out of reports by source
    Rule("feedback", "member_id", Erase.SCRUB, ("comment",)),
    Rule("audit_entry", "actor_member_id", Erase.KEEP),
    # what HR did to the member stays, but not its detail (a label's name, a job)
    Rule("audit_entry", "target_member_id", Erase.SCRUB, ("detail",)),
)


def member_references() -> set[tuple[str, str]]:
    """Every (table, column) with a foreign key to member.id."""
    found = set()
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.target_fullname == "member.id" for fk in column.foreign_keys):
                found.add((table.name, column.name))
    return found


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


async def export(session: AsyncSession, member_id: int) -> dict[str, Any]:
    """Everything Roost holds that points at the member, table by table."""
    conn = await session.connection()
    member = _table("member")
    result: dict[str, Any] = {
        "member": _rows(await conn.execute(select(member).where(member.c.id == member_id)))
    }
    by_table: dict[str, list[str]] = {}
    for rule in POLICY:
        by_table.setdefault(rule.table, []).append(rule.column)
    for name, columns in by_table.items():
        table = _table(name)
        condition = or_(*(table.c[column] == member_id for column in columns))
        rows = _rows(
            await conn.execute(select(table).where(condition).order_by(*table.primary_key))
        )
        if rows:
            result[name] = rows
    return result


def to_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, default=_default, ensure_ascii=False).encode()


async def erase(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Remove the member's personal data everywhere, in the caller's transaction."""
    await session.flush()
    conn = await session.connection()
    for rule in POLICY:
        table = _table(rule.table)
        where = table.c[rule.column] == member_id
        if rule.erase is Erase.DELETE:
            await conn.execute(delete(table).where(where))
        elif rule.erase is Erase.SCRUB:
            blank: dict[str, Any] = {
                c: {} if isinstance(table.c[c].type, JSON) else None for c in rule.scrub
            }
            await conn.execute(update(table).where(where).values(blank))
    member = _table("member")
    values: dict[str, Any] = dict.fromkeys(MEMBER_FIELDS)
    values.update(erased_at=now, consent_news=False, consent_jobs=False)  # with the log
    values.update(preferred_identity_id=None)
    await conn.execute(update(member).where(member.c.id == member_id).values(values))


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


# -- keeping people only while we may --------------------------------------------------------

RENEWAL, WARNING = "privacy_renewal", "privacy_warning"  # the privacy feature's campaign kinds
LAPSED = "lapsed"  # the wording version of a consent that ran out, unrenewed


@dataclass(frozen=True)
class Due:
    """What the daily privacy sweep has to do, by member id."""

    renew: tuple[int, ...]  # asked to renew their consent or agree to a new notice
    expire: tuple[tuple[int, str], ...]  # (member, consent kind) lapsing unrenewed now
    warn: tuple[int, ...]  # inactive past the retention: told they will be erased
    purge: tuple[int, ...]  # warned long enough ago and still inactive: erased now
    unwarned: frozenset[int] = frozenset()  # of `purge`: who said no to every message


async def due(
    session: AsyncSession,
    now: datetime,
    *,
    lifetime: timedelta,
    retention: timedelta,
    notice: timedelta,
    version: str,
) -> Due:
    """Read once, decided in Python: consents are a few rows a member, and the sweep runs daily.

    A consent lapses `lifetime` after it was given and is renewed by being given again; the
    member is asked `notice` before (an earlier request, such as a new notice's months ago,
    does not count for this one). A member who has not seen the current notice version is
    asked once. A member inactive for `retention` is warned, then erased `notice` later unless
    they did anything in between; a consent that merely lapsed does not stop the warning (it
    is about their data, and they never said no). Who said no to every message (STOP, or no
    when asked) is never written to: not asked about a new notice, and erased `notice` after
    the retention without a warning."""
    living = rows(Member).where(col(Member.erased_at).is_(None))
    members = {m.id: m for m in await session.exec(living) if m.id is not None}
    latest: dict[tuple[int, str], Consent] = {}
    for consent in await session.exec(rows(Consent).order_by(col(Consent.id))):
        latest[(consent.member_id, consent.kind)] = consent
    asked: dict[tuple[str, int], list[tuple[datetime, Any]]] = {}
    sent = (
        rows(col(Delivery.member_id), col(Campaign.kind), Campaign.created_at, Campaign.audience)
        .join(Campaign, col(Campaign.id) == Delivery.campaign_id)
        .where(col(Campaign.kind).in_((RENEWAL, WARNING)), col(Delivery.member_id).is_not(None))
    )
    for member_id, kind, at, audience in await session.exec(sent):
        asked.setdefault((kind, member_id or 0), []).append((at, audience.get("version")))
    writable = {member for (member, _), consent in latest.items() if consent.granted}
    # who agreed to some message and never took it back (a lapse is not a no): warned
    warnable = {
        member
        for (member, _), consent in latest.items()
        if consent.granted or consent.wording_version == LAPSED
    }
    renew, expire, warn, purge, unwarned = set(), [], [], [], set()
    for (member_id, kind), consent in latest.items():
        if member_id not in members or not consent.granted:
            continue
        window = consent.at + lifetime - notice  # this consent's renewal request is due
        renewal_asked = any(at >= window for at, _ in asked.get((RENEWAL, member_id), []))
        if consent.at <= now - lifetime:
            expire.append((member_id, kind))
        elif consent.at <= now - lifetime + notice and not renewal_asked:
            renew.add(member_id)
    for member_id, member in members.items():
        seen = member.privacy_version == version or any(
            v == version for _, v in asked.get((RENEWAL, member_id), [])
        )
        if member.onboarded_at is not None and not seen and member_id in writable:
            renew.add(member_id)
        active = member.last_active_at or member.created_at
        warned = [at for at, _ in asked.get((WARNING, member_id), []) if at > active]
        if member_id not in warnable:  # no warning for who wants no message
            if active <= now - retention - notice:
                purge.append(member_id)
                unwarned.add(member_id)
        elif warned and min(warned) <= now - notice:
            purge.append(member_id)
        elif not warned and active <= now - retention:
            warn.append(member_id)
    gone = set(purge)
    return Due(
        renew=tuple(sorted(renew - gone)),
        expire=tuple(sorted(e for e in expire if e[0] not in gone)),
        warn=tuple(sorted(warn)),
        purge=tuple(sorted(purge)),
        unwarned=frozenset(unwarned),
    )
