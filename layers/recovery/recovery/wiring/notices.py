"""Builds the owner notices (docs/notices.md): the alert function sends them, the sweep writes reminders."""

from __future__ import annotations

from recovery.notify.senders import Sender
from recovery.observability import record_metric
from recovery.services.alerts import CachedConfig
from recovery.services.owner_notices import OwnerNotices, Reminders, SlackThread
from recovery.store.alerting import ConfigStore
from recovery.store.notices import NoticeStore
from recovery.wiring import bind_table
from recovery.wiring.messaging import MessagingSettings, address_hasher, aws_sender, suppressed


def build_owner_notices(
    settings: MessagingSettings, sender: Sender | None = None, slack: SlackThread | None = None
) -> OwnerNotices:
    """`slack`: the alerting service, whose Slack thread helpers reply in the case's thread."""
    bind_table(settings.base)
    return OwnerNotices(
        NoticeStore(),
        CachedConfig(ConfigStore()),
        sender or aws_sender(settings),
        address_hasher(settings.base),
        settings.public_url,
        record_metric,
        suppressed=suppressed(),
        slack=slack,
    )


def build_reminders() -> Reminders:
    """The sweep's reminders (the table is bound by the sweep's own wiring)."""
    return Reminders(NoticeStore(), record_metric)
