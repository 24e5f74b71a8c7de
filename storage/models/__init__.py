"""Every table of Roost; importing this package registers them all on SQLModel.metadata."""

from storage.models.audit import AuditEntry
from storage.models.content import (
    Campaign,
    ContentItem,
    ContentTally,
    Delivery,
    HandledEvent,
    Interaction,
    Lease,
    PlatformPost,
    TitleVariant,
)
from storage.models.engagement import (
    CommunityEvent,
    Competition,
    Entry,
    Judge,
    Poll,
    PollOption,
    Registration,
    Score,
    Survey,
    SurveyResponse,
    Vote,
)
from storage.models.growth import CodeAttempt, InviteCode, Join, PlatformInvite, Referral
from storage.models.people import Consent, FormProgress, Identity, Label, LinkCode, Member
from storage.models.pipeline import Feedback, Invitation, Job

__all__ = [
    "AuditEntry",
    "Campaign",
    "CodeAttempt",
    "CommunityEvent",
    "Competition",
    "Consent",
    "ContentItem",
    "ContentTally",
    "Delivery",
    "Entry",
    "Feedback",
    "FormProgress",
    "HandledEvent",
    "Identity",
    "Interaction",
    "Invitation",
    "InviteCode",
    "Job",
    "Join",
    "Judge",
    "Label",
    "Lease",
    "LinkCode",
    "Member",
    "PlatformInvite",
    "PlatformPost",
    "Poll",
    "PollOption",
    "Referral",
    "Registration",
    "Score",
    "Survey",
    "SurveyResponse",
    "TitleVariant",
    "Vote",
]
