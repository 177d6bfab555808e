"""Builds the follow-up service from a function's environment: shared by the follow-up run and the
follow-up page so each handler stays a few lines."""

from __future__ import annotations

from recovery.domain.classify import Thresholds
from recovery.observability import logger
from recovery.services.alerts import CachedConfig
from recovery.services.customer_contact import CustomerMessenger
from recovery.services.deliverability import SuppressionStore
from recovery.services.follow_up import FollowUps
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.follow_up import FollowUpStore
from recovery.store.links import LinkStore
from recovery.store.sources import SourceStore
from recovery.wiring.messaging import MessagingSettings, address_hasher, aws_sender, record_metric


def source_thresholds(source_id: str) -> Thresholds | None:
    """The source's own verdict bands, so an answer is judged as its original score was."""
    source = SourceStore().get(source_id)
    if source is None or not source.thresholds:
        return None
    try:
        return Thresholds.model_validate(source.thresholds)
    except ValueError:
        logger.warning("source thresholds not valid; defaults used", extra={"source": source_id})
        return None


def build_follow_ups(settings: MessagingSettings) -> FollowUps:
    sender = aws_sender(settings)
    links = LinkStore()
    messenger = CustomerMessenger(
        AlertStore(),
        links,
        sender,
        address_hasher(settings),
        settings.public_url,
        suppressed=SuppressionStore().is_suppressed,
    )
    return FollowUps(
        FollowUpStore(),
        CachedConfig(ConfigStore()),
        links,
        messenger,
        settings.public_url,
        record_metric,
        thresholds=source_thresholds,
    )
