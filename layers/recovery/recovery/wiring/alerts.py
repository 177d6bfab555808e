"""Builds the alerting service: the alert, sweep and ack functions."""

from __future__ import annotations

from recovery.notify.senders import Sender
from recovery.notify.slack import SlackPoster
from recovery.notify.teams import TeamsPoster
from recovery.observability import record_metric
from recovery.services.alerts import Alerts, CachedConfig
from recovery.services.teams_alerts import TeamsAlerts
from recovery.settings import SlackSettings, TeamsSettings
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from recovery.wiring import bind_table
from recovery.wiring.messaging import (
    MessagingSettings,
    address_hasher,
    aws_sender,
    slack_poster,
    suppressed,
    teams_poster,
)
from recovery.wiring.notices import build_reminders


def build_alerts(
    settings: MessagingSettings,
    sender: Sender | None = None,
    slack: SlackPoster | None = None,
    teams: TeamsPoster | None = None,
) -> Alerts:
    """The alerting service; Slack when the function has `SLACK_SECRET`, Microsoft Teams when it has
    `TEAMS_SECRET_PREFIX` (the alert and sweep functions)."""
    bind_table(settings.base)
    store, links_store = AlertStore(), LinkStore()
    workflows = teams or teams_poster(TeamsSettings.from_env())
    return Alerts(
        store,
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        links_store,
        sender or aws_sender(settings),
        address_hasher(settings.base),
        settings.public_url,
        record_metric,
        suppressed=suppressed(),
        slack=slack or slack_poster(SlackSettings.from_env()),
        teams=(
            TeamsAlerts(store, links_store, workflows, settings.public_url, record_metric)
            if workflows is not None
            else None
        ),
        reminders=build_reminders(),
    )
