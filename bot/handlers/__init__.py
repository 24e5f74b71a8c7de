"""Features, platform-blind. Each module exposes a `router`; this assembles the tree."""

from __future__ import annotations

from bot.handlers import (
    admin,
    campaigns,
    competitions,
    content,
    dashboard,
    events,
    feeds,
    growth,
    membership,
    nurture,
    people,
    pipeline,
    polls,
    privacy,
    stats,
    surveys,
)
from bot.handlers.help import help_router
from bot.router import Router, Routes


def root_router() -> Router:
    features = Router(
        "features",
        children=(
            membership.router,
            privacy.router,
            admin.router,
            dashboard.router,
            people.router,
            content.router,
            campaigns.router,
            feeds.router,
            growth.router,
            pipeline.router,
            nurture.router,
            polls.router,
            events.router,
            competitions.router,
            surveys.router,
            stats.router,
        ),
    )
    return Router("roost", children=(features, help_router(Routes(features))))
