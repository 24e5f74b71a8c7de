"""Invite codes and referrals: making codes, finding the one a member came through, the
brute-force guard on redeeming, and when an employee's referral counts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    CodeAttempt,
    Invitation,
    InviteCode,
    Join,
    Member,
    PlatformInvite,
    Referral,
)
from storage.models.states import ReferralStatus

SOURCES = (
    "website",
    "email",
    "social",
    "rejection-letter",
    "job-fair",
    "event",
    "employee-referral",
    "alumni",
    "other",
)
PREFIX = {
    "website": "WEB",
    "email": "MAIL",
    "social": "SOC",
    "rejection-letter": "RL",
    "job-fair": "FAIR",
    "event": "EVT",
    "employee-referral": "REF",
    "alumni": "ALUM",
    "other": "GO",
}
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # nothing that reads as another character
CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def new_code(source: str) -> str:
    return f"{PREFIX.get(source, 'GO')}-" + "".join(secrets.choice(ALPHABET) for _ in range(6))


def valid_code_name(text: str) -> bool:
    """Codes travel in Telegram deep links and link names: letters, digits, - and _."""
    return 3 <= len(text) <= 32 and set(text.upper()) <= CODE_CHARS


async def create_code(
    session: AsyncSession,
    *,
    source: str,
    now: datetime,
    code: str | None = None,
    campaign: str | None = None,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
    referrer_id: int | None = None,
    created_by: int | None = None,
) -> InviteCode:
    if source not in SOURCES:
        raise ValueError(f"the source must be one of {', '.join(SOURCES)}")
    name = (code or new_code(source)).upper()
    if not valid_code_name(name):
        raise ValueError("a code is 3 to 32 letters, digits, - or _")
    if (await session.exec(select(InviteCode.id).where(InviteCode.code == name))).first():
        raise ValueError(f"the code {name} exists already")
    invite = InviteCode(
        code=name,
        source=source,
        campaign=campaign,
        expires_at=expires_at,
        max_uses=max_uses,
        referrer_member_id=referrer_id,
        created_by_member_id=created_by,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


async def add_links(
    session: AsyncSession, invite: InviteCode, platform: str, links: dict[str, str]
) -> None:
    """Keep a platform's ways in for a code, and index them by what the platform reports."""
    invite.platform_links = {**invite.platform_links, platform: links}
    for kind, url in links.items():
        ref = url.rstrip("/").rsplit("/", 1)[-1]
        session.add(
            PlatformInvite(
                invite_code_id=invite.id or 0, platform=platform, kind=kind, ref=ref, url=url
            )
        )


async def find_code(session: AsyncSession, ref: str, platform: str) -> InviteCode | None:
    """The code `ref` names: the code itself (typed, or a Telegram link named after it), or a
    platform's own invite for it (a Discord invite code, a Telegram group link)."""
    ref = ref.strip()
    found = (await session.exec(select(InviteCode).where(InviteCode.code == ref.upper()))).first()
    if found is not None:
        return found
    link = (
        await session.exec(
            select(PlatformInvite.invite_code_id).where(
                PlatformInvite.platform == platform, PlatformInvite.ref == ref.rstrip("/")
            )
        )
    ).first()
    return await session.get(InviteCode, link) if link is not None else None


LANDING_ORDER = (("telegram", "deep_link"), ("discord", "invite"), ("telegram", "group_link"))


async def visit(
    session: AsyncSession, code: str, platform: str | None, now: datetime
) -> str | None:
    """Count a visit to a code's landing link; where to send the visitor (a platform's link,
    or what to type where there is none), or None for a code that can't be used."""
    invite = (await session.exec(select(InviteCode).where(InviteCode.code == code.upper()))).first()
    if invite is None or usable(invite, now) is not None:
        return None
    invite.visits += 1
    links = invite.platform_links
    order = [(p, k) for p, k in LANDING_ORDER if platform in (None, p)]
    for name, kind in order:
        if links.get(name, {}).get(kind):
            return str(links[name][kind])
    typed = [f"{p.title()}: {ls['command']}" for p, ls in links.items() if "command" in ls]
    return (
        "Type this where our community lives: " + "; ".join(typed)
        if typed
        else f"Send /join {invite.code} to our community bot."
    )


def usable(invite: InviteCode | None, now: datetime) -> str | None:
    """Why a code can't be used now, or None when it can."""
    if invite is None:
        return "unknown"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at is not None and invite.expires_at <= now:
        return "expired"
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return "used up"
    return None


async def throttled(
    session: AsyncSession, member_id: int, now: datetime, *, per_minute: int, per_day: int
) -> str | None:
    """Count this try; how long to wait when the member has tried too often, else None."""
    since_day = now - timedelta(days=1)
    tries = list(
        await session.exec(
            select(CodeAttempt.at).where(
                CodeAttempt.member_id == member_id, col(CodeAttempt.at) > since_day
            )
        )
    )
    if len(tries) >= per_day:
        return "tomorrow"
    if sum(1 for at in tries if at > now - timedelta(minutes=1)) >= per_minute:
        return "in a minute"
    session.add(CodeAttempt(member_id=member_id, at=now))
    return None


# -- referrals --------------------------------------------------------------------------------


async def refer(
    session: AsyncSession, invite: InviteCode, member: Member, now: datetime, *, burst: int
) -> str | None:
    """Record that `invite`'s employee referred `member`; why it was refused, or None."""
    referrer = invite.referrer_member_id
    if referrer is None or member.id is None:
        return None
    if referrer == member.id:
        return "self"
    if (
        await session.exec(
            select(Referral.id).where(
                Referral.referrer_member_id == member.id,
                Referral.referred_member_id == referrer,
            )
        )
    ).first():
        return "circular"
    if (
        await session.exec(select(Referral.id).where(Referral.referred_member_id == member.id))
    ).first():
        return "already referred"
    recent = (
        await session.exec(
            select(func.count()).where(
                Referral.invite_code_id == invite.id,
                col(Referral.created_at) > now - timedelta(hours=1),
            )
        )
    ).one()
    session.add(
        Referral(
            referrer_member_id=referrer,
            referred_member_id=member.id,
            invite_code_id=invite.id or 0,
            flagged=recent + 1 >= burst,
            created_at=now,
        )
    )
    return None


async def qualify_due(session: AsyncSession, *, after_days: int) -> int:
    """Qualify every pending referral whose member onboarded and was active again at least
    `after_days` after joining. Last activity only grows, so this is exact whenever it runs."""
    pending = await session.exec(
        select(Referral, Member)
        .join(Member, col(Member.id) == Referral.referred_member_id)
        .where(Referral.status == ReferralStatus.PENDING, col(Member.onboarded_at).is_not(None))
    )
    qualified = 0
    for referral, member in pending:
        joined, seen = member.joined_at, member.last_active_at
        if joined and seen and seen - joined >= timedelta(days=after_days):
            referral.status, referral.qualified_at = ReferralStatus.QUALIFIED, member.last_active_at
            qualified += 1
    return qualified


@dataclass(frozen=True)
class ReferralCounts:
    joined: int
    active: int
    qualified: int
    applied: int  # counts only: a referrer never sees who (members agreed to nothing more)


async def referral_counts(
    session: AsyncSession, referrer_id: int, active_since: datetime
) -> ReferralCounts:
    rows = list(
        await session.exec(
            select(Referral, Member.last_active_at)
            .join(Member, col(Member.id) == Referral.referred_member_id)
            .where(Referral.referrer_member_id == referrer_id)
        )
    )
    referred = [r.referred_member_id for r, _ in rows]
    applied = (
        await session.exec(
            select(func.count(func.distinct(Invitation.member_id))).where(
                col(Invitation.member_id).in_(referred), col(Invitation.applied_at).is_not(None)
            )
        )
    ).one()
    return ReferralCounts(
        joined=len(rows),
        active=sum(1 for _, seen in rows if seen is not None and seen >= active_since),
        qualified=sum(1 for r, _ in rows if r.status == ReferralStatus.QUALIFIED),
        applied=applied,
    )


async def leaderboard(
    session: AsyncSession, since: datetime, limit: int = 10
) -> list[tuple[int, int]]:
    """(referrer member id, qualified referrals) since `since`, best first."""
    rows = await session.exec(
        select(Referral.referrer_member_id, func.count())
        .where(Referral.status == ReferralStatus.QUALIFIED, col(Referral.qualified_at) >= since)
        .group_by(col(Referral.referrer_member_id))
        .order_by(func.count().desc(), col(Referral.referrer_member_id))
        .limit(limit)
    )
    return [(member, count) for member, count in rows]


async def joins_through(session: AsyncSession, invite_id: int) -> int:
    return (await session.exec(select(func.count()).where(Join.invite_code_id == invite_id))).one()


async def code_named(session: AsyncSession, code: str) -> InviteCode | None:
    return (await session.exec(select(InviteCode).where(InviteCode.code == code.upper()))).first()


async def personal_code(session: AsyncSession, member_id: int) -> InviteCode | None:
    """An employee's referral code, if they have one that is not revoked."""
    query = select(InviteCode).where(
        InviteCode.referrer_member_id == member_id, col(InviteCode.revoked_at).is_(None)
    )
    return (await session.exec(query)).first()


async def all_codes(session: AsyncSession) -> list[tuple[InviteCode, int]]:
    """Every code in the order made, with how many of its referrals were flagged."""
    flagged = func.count(col(Referral.id))
    query = (
        select(InviteCode, flagged)
        .outerjoin(
            Referral,
            (col(Referral.invite_code_id) == InviteCode.id) & col(Referral.flagged).is_(True),
        )
        .group_by(col(InviteCode.id))
        .order_by(col(InviteCode.id))
    )
    return [(code, int(n)) for code, n in await session.exec(query)]
