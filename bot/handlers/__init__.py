"""Features, platform-blind. Each module exposes a `router`; this assembles the tree."""

from __future__ import annotations

from bot.handlers import (
    campaigns,
    competitions,
    content,
    dashboard,
    events,
    feeds,
    growth,
    members,
    membership,
    nurture,
    people,
    pipeline,
    polls,
    privacy,
    surveys,
)
from bot.handlers.help import help_router
from bot.handlers.stats import stats_router
from bot.router import Router, Routes


def root_router() -> Router:
    features = Router(
        "features",
        children=(
            membership.router,
            privacy.router,
            members.router,
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
        ),
    )
    reported = Router(
        "reported", children=(features, stats_router(Routes(features).reports.values()))
    )
    return Router("roost", children=(reported, help_router(Routes(reported))))
