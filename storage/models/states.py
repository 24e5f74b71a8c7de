"""Every state and kind a row can be in, by name: stored as their plain string values (the
columns stay strings), compared and assigned through these in code. Campaign kinds are not
here: each feature declares its own (`bot.kinds.CampaignKind`)."""

from __future__ import annotations

from enum import StrEnum


class ContentStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"  # an employee's story, waiting for HR
    APPROVED = "approved"
    DECLINED = "declined"


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # made for HR to confirm (job invitations)
    SCHEDULED = "scheduled"
    SENDING = "sending"  # launched: its rows exist
    DONE = "done"
    CANCELLED = "cancelled"
    MISSED = "missed"  # Roost was down past the grace when it was due


class DeliveryState(StrEnum):
    HELD = "held"  # made, waiting for its A/B sample's winner
    PENDING = "pending"
    CLAIMED = "claimed"  # taken by a worker, not yet on the wire: safe to hand back
    SENDING = "sending"  # its own request is going out
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # decided at launch (consent, cap) or cancelled; the reason says
    UNKNOWN = "unknown"  # may have gone out: a timeout, or a worker stopped mid-send


class Fact(StrEnum):
    """What an interaction records (never what anyone wrote)."""

    DELIVERED = "delivered"
    OPENED = "opened"
    FINISHED = "finished"
    CLICKED = "clicked"
    INVITED = "invited"
    RESPONDED = "responded"
    APPLIED = "applied"


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class ReferralStatus(StrEnum):
    PENDING = "pending"
    QUALIFIED = "qualified"
    REFUSED = "refused"


class InvitationStatus(StrEnum):
    INVITED = "invited"
    INTERESTED = "interested"
    NOT_NOW = "not_now"
    NOT_FOR_ME = "not_for_me"
    APPLIED = "applied"
    INTERVIEWING = "interviewing"
    HIRED = "hired"


class ContentKind(StrEnum):
    INDUSTRY_NEWS = "industry_news"
    COMPANY_NEWS = "company_news"
    EMPLOYEE_VOICE = "employee_voice"


class EventKind(StrEnum):
    INFO_SESSION = "info_session"
    LIVE_BROADCAST = "live_broadcast"
    OPEN_DAY = "open_day"
    OTHER = "other"


class NurtureStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class EnrollmentState(StrEnum):
    ACTIVE = "active"  # walking the sequence
    DONE = "done"  # past its last step
    LEFT = "left"  # applied, said STOP or Not for me, erased, or the sequence was cancelled
