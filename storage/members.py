"""Queries about members: who is this account, what did they consent to, who matches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    CampaignMember,
    Consent,
    Entry,
    Identity,
    Join,
    Label,
    Member,
    Registration,
    Vote,
)
from storage.models.states import RegistrationStatus
from storage.types import row_id


class ConsentKind(StrEnum):
    NEWS = "news"  # news and event DMs
    JOBS = "jobs"  # invitations to apply


async def find_identity(
    session: AsyncSession, platform: str, platform_user_id: str
) -> tuple[Member, Identity] | None:
    row = (
        await session.exec(
            select(Member, Identity)
            .join(Identity, col(Identity.member_id) == col(Member.id))
            .where(Identity.platform == platform, Identity.platform_user_id == platform_user_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def create_member(
    session: AsyncSession,
    *,
    platform: str,
    platform_user_id: str,
    name: str | None,
    handle: str | None,
    now: datetime,
) -> tuple[Member, Identity]:
    member = Member(display_name=name, created_at=now, last_active_at=now)
    session.add(member)
    await session.flush()
    assert member.id is not None
    identity = Identity(
        member_id=member.id,
        platform=platform,
        platform_user_id=platform_user_id,
        handle=handle,
        display_name=name,
        created_at=now,
    )
    session.add(identity)
    await session.flush()
    return member, identity


def consented(kind: ConsentKind) -> Any:
    """The member's column holding their current answer of this kind."""
    return col(getattr(Member, f"consent_{kind}"))


async def consents(session: AsyncSession, member_id: int) -> dict[ConsentKind, bool]:
    """The member's current answer per kind; never asked counts as no."""
    row = (
        await session.exec(
            select(*(consented(k) for k in ConsentKind)).where(Member.id == member_id)
        )
    ).first()
    return dict(zip(ConsentKind, row or (False,) * len(ConsentKind), strict=True))


async def set_consent(
    session: AsyncSession,
    member_id: int,
    kind: ConsentKind,
    granted: bool,
    *,
    wording_version: str,
    platform: str,
    now: datetime,
) -> None:
    """Log the answer (with the wording it was given to) and make it the member's current one."""
    session.add(
        Consent(
            member_id=member_id,
            kind=kind,
            granted=granted,
            wording_version=wording_version,
            platform=platform,
            at=now,
        )
    )
    member = await session.get(Member, member_id)  # the session's own copy when it has one
    if member is not None:
        setattr(member, f"consent_{kind}", granted)


async def labels(session: AsyncSession, member_id: int) -> list[str]:
    rows = await session.exec(
        select(Label.name).where(Label.member_id == member_id).order_by(Label.name)
    )
    return list(rows)


async def first_source(session: AsyncSession, member_id: int) -> str | None:
    return (
        await session.exec(
            select(Join.source)
            .where(Join.member_id == member_id, col(Join.first_touch).is_(True))
            .limit(1)
        )
    ).first()


async def resolve(session: AsyncSession, ref: str, platform: str) -> Member | None:
    """A member named the way HR would: `#12` (member number), `@handle` on the same platform,
    or `platform:user_id`."""
    ref = ref.strip()
    if ref.startswith("#"):
        number = row_id(ref)
        member = await session.get(Member, number) if number else None
        return member if member and member.erased_at is None else None
    if ref.startswith("@"):
        where = [col(Identity.platform) == platform, func.lower(Identity.handle) == ref[1:].lower()]
    elif ":" in ref:
        other, _, user_id = ref.partition(":")
        where = [col(Identity.platform) == other, col(Identity.platform_user_id) == user_id]
    else:
        return None
    return (
        await session.exec(
            select(Member).join(Identity, col(Identity.member_id) == col(Member.id)).where(*where)
        )
    ).first()


@dataclass(frozen=True)
class MemberFilter:
    """A segment: every given criterion must hold. Used by HR search now and by every campaign
    audience later."""

    function: str | None = None
    seniority: str | None = None
    location: str | None = None
    label: str | None = None
    source: str | None = None
    platform: str | None = None
    active_within: timedelta | None = None
    inactive_for: timedelta | None = None
    consent: ConsentKind | None = None
    onboarded: bool | None = None
    registered_for: int | None = None  # an event's id: its registrants (not the waitlist)
    entered: int | None = None  # a competition's id: its entrants
    attended: int | None = None  # an event's id: who checked in
    voted: int | None = None  # a poll's id: who voted in it
    contacted_within: timedelta | None = None  # Roost sent them something this recently
    uncontacted_for: timedelta | None = None  # ... or not for this long (or never)
    engagement_min: int | None = None  # an engagement level's scores: [min, below)
    engagement_below: int | None = None
    listed: int | None = None  # the members listed for this campaign (`campaign_member`)

    def stored(self) -> dict[str, Any]:
        """As a campaign keeps it (JSON: durations as seconds, what is not given left out);
        the inverse of `MemberFilter.of`."""
        given = {k: v for k, v in vars(self).items() if v is not None}
        for key in DURATIONS:
            if key in given:
                given[key] = int(given[key].total_seconds())
        if "consent" in given:
            given["consent"] = str(given["consent"])
        return given

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> MemberFilter:
        """A filter a campaign kept; a key no filter has is refused (ValueError), never
        silently ignored."""
        unknown = set(stored) - FILTER_FIELDS
        if unknown:
            raise ValueError(f"a member filter has no {', '.join(sorted(unknown))}")
        given = dict(stored)
        for key in DURATIONS:
            if given.get(key) is not None:
                given[key] = timedelta(seconds=given[key])
        if given.get("consent") is not None:
            given["consent"] = ConsentKind(given["consent"])
        return cls(**given)


DURATIONS = ("active_within", "inactive_for", "contacted_within", "uncontacted_for")
FILTER_FIELDS = frozenset(f.name for f in fields(MemberFilter))


def _segment(flt: MemberFilter, now: datetime):  # type: ignore[no-untyped-def]
    query = select(Member).where(col(Member.erased_at).is_(None), col(Member.left_at).is_(None))
    if flt.function:
        query = query.where(func.lower(Member.function) == flt.function.lower())
    if flt.seniority:
        query = query.where(func.lower(Member.seniority) == flt.seniority.lower())
    if flt.location:
        query = query.where(col(Member.location).ilike(f"%{flt.location}%"))
    if flt.label:
        labelled = select(Label.member_id).where(Label.name == flt.label.lower())
        query = query.where(col(Member.id).in_(labelled))
    if flt.source:  # the first touch's source, kept on the member
        query = query.where(col(Member.first_source) == flt.source.lower())
    if flt.platform:
        on = select(Identity.member_id).where(Identity.platform == flt.platform)
        query = query.where(col(Member.id).in_(on))
    if flt.active_within is not None:
        query = query.where(col(Member.last_active_at) >= now - flt.active_within)
    if flt.inactive_for is not None:
        query = query.where(col(Member.last_active_at) < now - flt.inactive_for)
    if flt.consent is not None:
        query = query.where(consented(flt.consent).is_(True))
    if flt.registered_for is not None:
        registered = select(Registration.member_id).where(
            Registration.event_id == flt.registered_for,
            Registration.status == RegistrationStatus.REGISTERED,
        )
        query = query.where(col(Member.id).in_(registered))
    if flt.entered is not None:
        entrants = select(Entry.member_id).where(Entry.competition_id == flt.entered)
        query = query.where(col(Member.id).in_(entrants))
    if flt.attended is not None:
        came = select(Registration.member_id).where(
            Registration.event_id == flt.attended, col(Registration.attended_at).is_not(None)
        )
        query = query.where(col(Member.id).in_(came))
    if flt.voted is not None:
        voters = select(Vote.member_id).where(Vote.poll_id == flt.voted)
        query = query.where(col(Member.id).in_(voters))
    contacted = col(Member.last_contact_at)
    if flt.contacted_within is not None:
        query = query.where(contacted >= now - flt.contacted_within)
    if flt.uncontacted_for is not None:
        query = query.where(or_(contacted.is_(None), contacted < now - flt.uncontacted_for))
    if flt.engagement_min is not None:
        query = query.where(col(Member.engagement) >= flt.engagement_min)
    if flt.engagement_below is not None:
        query = query.where(col(Member.engagement) < flt.engagement_below)
    if flt.listed is not None:
        listed = select(CampaignMember.member_id).where(CampaignMember.campaign_id == flt.listed)
        query = query.where(col(Member.id).in_(listed))
    if flt.onboarded is not None:
        onboarded = col(Member.onboarded_at)
        query = query.where(onboarded.is_not(None) if flt.onboarded else onboarded.is_(None))
    return query


async def search(
    session: AsyncSession,
    flt: MemberFilter,
    now: datetime,
    *,
    limit: int = 20,
    offset: int = 0,
    order: str = "active",
) -> tuple[int, Sequence[Member]]:
    """How many members match, and a page of them: the most recently active first, or by
    member number, or the most engaged first."""
    query = _segment(flt, now)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    if not limit:
        return total, []
    orders = {
        "number": (col(Member.id),),
        "engagement": (col(Member.engagement).desc(), col(Member.id)),
    }
    order_by = orders.get(order, (col(Member.last_active_at).desc(), col(Member.id)))
    members = (await session.exec(query.order_by(*order_by).offset(offset).limit(limit))).all()
    return total, members


async def segment_members(
    session: AsyncSession, flt: MemberFilter, now: datetime, size: int = 1000
) -> AsyncIterator[list[tuple[Member, list[str]]]]:
    """The segment's members with their platforms, `size` at a time in id order (keyset
    paging, so an export of any size holds one chunk)."""
    query = _segment(flt, now).order_by(col(Member.id)).limit(size)
    last = 0
    while chunk := list(await session.exec(query.where(col(Member.id) > last))):
        ids = [m.id for m in chunk]
        platforms: dict[int, list[str]] = {}
        where = col(Identity.member_id).in_(ids)
        for member_id, platform in await session.exec(
            select(Identity.member_id, Identity.platform).where(where).order_by(col(Identity.id))
        ):
            platforms.setdefault(member_id, []).append(platform)
        yield [(m, platforms.get(m.id or 0, [])) for m in chunk]
        last = chunk[-1].id or 0


async def breakdown(
    session: AsyncSession, flt: MemberFilter, now: datetime, attribute: str
) -> list[tuple[str, int]]:
    """Counts of the segment by one attribute (function, seniority), largest first."""
    segment = _segment(flt, now).subquery()
    column = segment.c[attribute]
    rows = await session.exec(
        select(column, func.count()).group_by(column).order_by(func.count().desc(), column)
    )
    return [(value or "not onboarded", count) for value, count in rows]


async def segment_ids(
    session: AsyncSession, flt: MemberFilter, now: datetime, *, among: Sequence[int] | None = None
) -> list[int]:
    """The ids of the segment's members (only those `among` the given ids, if any)."""
    query = _segment(flt, now).with_only_columns(col(Member.id))
    if among is not None:
        query = query.where(col(Member.id).in_(among))
    return list(await session.exec(query.order_by(col(Member.id))))


async def segment_chunks(
    session: AsyncSession, flt: MemberFilter, now: datetime, size: int
) -> AsyncIterator[list[int]]:
    """The segment's member ids, `size` at a time in id order (keyset paging: each chunk is
    one indexed query, and memory stays flat however large the segment)."""
    query = _segment(flt, now).with_only_columns(col(Member.id)).order_by(col(Member.id))
    last = 0
    while ids := list(await session.exec(query.where(col(Member.id) > last).limit(size))):
        yield ids
        last = ids[-1]


async def accounts_named(session: AsyncSession, tags: set[str]) -> list[Identity]:
    """The known accounts among `platform:user_id` tags (as `[roles]` lists them)."""
    platforms = {tag.partition(":")[0] for tag in tags}
    candidates = await session.exec(select(Identity).where(col(Identity.platform).in_(platforms)))
    return [i for i in candidates if f"{i.platform}:{i.platform_user_id}" in tags]


async def label_of(session: AsyncSession, member_id: int, name: str) -> Label | None:
    query = select(Label).where(Label.member_id == member_id, Label.name == name)
    return (await session.exec(query)).first()


async def accounts_of(session: AsyncSession, member_id: int) -> list[Identity]:
    """A member's accounts, one per platform."""
    return list(await session.exec(select(Identity).where(Identity.member_id == member_id)))


async def first_names(
    session: AsyncSession, member_ids: Sequence[int], nameless: str = "someone"
) -> dict[int, str]:
    """Each member's first name as a leaderboard shows it; `nameless` (given the member's id
    as `{id}`) for one without a name."""
    query = select(Member).where(col(Member.id).in_(member_ids))
    return {
        m.id: (m.display_name or nameless.format(id=m.id)).split()[0]
        for m in await session.exec(query)
        if m.id is not None
    }


async def reachable_account(session: AsyncSession, member_id: int) -> Identity | None:
    """The member's account Roost writes to (see `reachable_accounts`)."""
    return (await reachable_accounts(session, [member_id])).get(member_id)


async def reachable_accounts(session: AsyncSession, members: Sequence[int]) -> dict[int, Identity]:
    """Each member's account for a DM: the one they chose (`/link here`), else the deliverable
    account they used last (one person on several platforms, or with two accounts on one,
    gets one copy, on one account)."""
    if not members:
        return {}
    rows = await session.exec(
        _by_preference(select(Identity, col(Member.preferred_identity_id)), members)
    )
    found: dict[int, Identity] = {}
    for identity, preferred in rows:
        if identity.id == preferred or identity.member_id not in found:
            found[identity.member_id] = identity
    return found


async def reachable_platforms(session: AsyncSession, members: Sequence[int]) -> dict[int, str]:
    """The platform of each member's account for a DM (as `reachable_accounts` picks it), read
    as plain columns: a campaign asks this of every member it reaches."""
    if not members:
        return {}
    query = select(col(Identity.member_id), col(Identity.id), col(Identity.platform),
                   col(Member.preferred_identity_id))  # fmt: skip
    found: dict[int, str] = {}
    for member, identity, platform, preferred in await session.exec(_by_preference(query, members)):
        if identity == preferred or member not in found:
            found[member] = platform
    return found


def _by_preference(query: Any, members: Sequence[int]) -> Any:
    """Members' deliverable accounts, the one used last first."""
    seen = func.coalesce(col(Identity.last_seen_at), col(Identity.created_at))
    return (
        query.join(Member, col(Member.id) == Identity.member_id)
        .where(col(Identity.member_id).in_(members), col(Identity.deliverable).is_(True))
        .order_by(seen.desc(), col(Identity.id).desc())
    )


async def has_joined(session: AsyncSession, member_id: int) -> bool:
    """Whether the member has any join recorded (a later one is a secondary touch)."""
    query = select(Join.id).where(Join.member_id == member_id).limit(1)
    return (await session.exec(query)).first() is not None
