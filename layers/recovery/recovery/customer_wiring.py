"""Builds customer messaging from a function's environment: the messenger (for every function that writes
to a customer) and the instant acknowledgement."""

from __future__ import annotations

from recovery.alert_wiring import AlertSettings
from recovery.alerts import CachedConfig
from recovery.customer_ack import CustomerAcks
from recovery.customer_contact import CustomerMessenger
from recovery.deliverability import SuppressionStore
from recovery.domain.identity import PiiHasher
from recovery.store import models, secrets
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.customer_messages import ScheduledMessageStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore


def build_messenger(settings: AlertSettings) -> CustomerMessenger:
    """SES and SNS behind the guardrails; binds the models."""
    import boto3

    from recovery.notify.senders import AwsSender

    models.bind(settings.base.table_name, settings.base.region)
    sender = AwsSender(
        boto3.client("ses"), boto3.client("sns"), settings.sender_address, settings.configuration_set
    )

    def address_hash(address: str) -> str:
        # The same keyed hash the suppression list and alert deliveries use.
        return PiiHasher(secrets.secret_bytes(settings.base.pii_key_secret_arn)).digest(
            "address", address.lower()
        )

    return CustomerMessenger(
        AlertStore(),
        LinkStore(),
        sender,
        address_hash,
        settings.public_url,
        suppressed=SuppressionStore().is_suppressed,
    )


def build_customer_acks(settings: AlertSettings) -> CustomerAcks:
    messenger = build_messenger(settings)
    return CustomerAcks(
        AlertStore(), FeedbackStore(), CachedConfig(ConfigStore()), messenger, ScheduledMessageStore()
    )
