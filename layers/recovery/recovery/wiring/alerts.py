"""Builds the alerting service: the alert, sweep and ack functions."""

from __future__ import annotations

from recovery.notify.senders import Sender
from recovery.notify.slack import SlackPoster
from recovery.observability import record_metric
from recovery.services.alerts import Alerts, CachedConfig
from recovery.settings import SlackSettings
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from recovery.wiring import bind_table
from recovery.wiring.messaging import MessagingSettings, address_hasher, aws_sender, slack_poster, suppressed


def build_alerts(
    settings: MessagingSettings, sender: Sender | None = None, slack: SlackPoster | None = None
) -> Alerts:
    """The alerting service; Slack when the function has `SLACK_SECRET` (the alert and sweep functions)."""
    bind_table(settings.base)
    return Alerts(
        AlertStore(),
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender or aws_sender(settings),
        address_hasher(settings.base),
        settings.public_url,
        record_metric,
        suppressed=suppressed(),
        slack=slack or slack_poster(SlackSettings.from_env()),
    )
