"""Builds the alerting service from a function's environment: shared by the alert, sweep and ack
functions so each handler stays a few lines. The sender, address hash and metric here serve every other
wiring too (customer messages, follow-ups, anomaly alerts, the digest)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from recovery.domain.identity import PiiHasher
from recovery.observability import metrics
from recovery.services.alerts import Alerts, CachedConfig
from recovery.services.deliverability import SuppressionStore
from recovery.settings import Settings, SettingsError, public_base_url
from recovery.store import models, secrets
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore

if TYPE_CHECKING:
    from recovery.notify.senders import AwsSender


@dataclass(frozen=True)
class MessagingSettings:
    base: Settings
    sender_address: str
    public_url: str
    configuration_set: str | None

    @classmethod
    def from_env(cls) -> MessagingSettings:
        base = Settings.from_env()
        sender = os.environ.get("SENDER_ADDRESS", "").strip()
        public_url = public_base_url()
        if not sender:
            raise SettingsError("environment variable SENDER_ADDRESS is not set")
        if not public_url.startswith(("https://", "http://")):
            raise SettingsError(
                "PUBLIC_BASE_URL (or the parameter PUBLIC_BASE_URL_PARAMETER names) must be an http(s) URL"
            )
        return cls(base, sender, public_url, os.environ.get("SES_CONFIGURATION_SET") or None)


def record_metric(name: str, value: float, unit: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit(unit), value=value)


def aws_sender(settings: MessagingSettings) -> AwsSender:
    """SES and SNS, from the sender address and configuration set; binds the models too."""
    import boto3

    from recovery.notify.senders import AwsSender

    models.bind(settings.base.table_name, settings.base.region)
    return AwsSender(
        boto3.client("ses"), boto3.client("sns"), settings.sender_address, settings.configuration_set
    )


def address_hasher(settings: MessagingSettings) -> Callable[[str], str]:
    """The keyed hash of an address that delivery rows and the suppression list are keyed by."""

    def address_hash(address: str) -> str:
        return PiiHasher(secrets.secret_bytes(settings.base.pii_key_secret_arn)).digest(
            "address", address.lower()
        )

    return address_hash


def build_alerts(settings: MessagingSettings) -> Alerts:
    sender = aws_sender(settings)
    return Alerts(
        AlertStore(),
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender,
        address_hasher(settings),
        settings.public_url,
        record_metric,
        suppressed=SuppressionStore().is_suppressed,
    )
