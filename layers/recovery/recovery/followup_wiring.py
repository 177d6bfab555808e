"""Builds the follow-up service from a function's environment: shared by the follow-up run and the
follow-up page so each handler stays a few lines."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from recovery.alert_wiring import AlertSettings
from recovery.alerts import CachedConfig
from recovery.customer_contact import CustomerMessenger
from recovery.deliverability import SuppressionStore
from recovery.domain.classify import Thresholds
from recovery.domain.identity import PiiHasher
from recovery.followups import Followups
from recovery.observability import logger, metrics
from recovery.store import models, secrets
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.followups import FollowupStore
from recovery.store.links import LinkStore
from recovery.store.sources import SourceStore


def _metric(name: str, value: float, unit: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit(unit), value=value)


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


def build_followups(settings: AlertSettings) -> Followups:
    import boto3

    from recovery.notify.senders import AwsSender

    models.bind(settings.base.table_name, settings.base.region)
    sender = AwsSender(
        boto3.client("ses"), boto3.client("sns"), settings.sender_address, settings.configuration_set
    )

    def address_hash(address: str) -> str:
        return PiiHasher(secrets.secret_bytes(settings.base.pii_key_secret_arn)).digest(
            "address", address.lower()
        )

    links = LinkStore()
    messenger = CustomerMessenger(
        AlertStore(),
        links,
        sender,
        address_hash,
        settings.public_url,
        suppressed=SuppressionStore().is_suppressed,
    )
    return Followups(
        FollowupStore(),
        CachedConfig(ConfigStore()),
        links,
        messenger,
        settings.public_url,
        _metric,
        thresholds=source_thresholds,
    )
