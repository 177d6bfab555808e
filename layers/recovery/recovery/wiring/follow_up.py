"""Builds the follow-up service: the follow-up run and the follow-up page."""

from __future__ import annotations

from recovery.domain.classify import Thresholds
from recovery.observability import logger, record_metric
from recovery.services.alerts import CachedConfig
from recovery.services.follow_up import FollowUps
from recovery.store.alerting import ConfigStore
from recovery.store.follow_up import FollowUpStore
from recovery.store.links import LinkStore
from recovery.store.sources import SourceStore
from recovery.wiring.customers import build_messenger
from recovery.wiring.messaging import MessagingSettings


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
    return FollowUps(
        FollowUpStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        build_messenger(settings),
        settings.public_url,
        record_metric,
        thresholds=source_thresholds,
    )
