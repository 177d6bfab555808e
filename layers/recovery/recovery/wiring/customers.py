"""Builds customer messaging from a function's environment: the messenger (for every function that writes
to a customer) and the instant acknowledgement."""

from __future__ import annotations

from recovery.services.alerts import CachedConfig
from recovery.services.customer_ack import CustomerAcks
from recovery.services.customer_contact import CustomerMessenger
from recovery.services.deliverability import SuppressionStore
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.customer_messages import ScheduledMessageStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from recovery.wiring.messaging import MessagingSettings, address_hasher, aws_sender


def build_messenger(settings: MessagingSettings) -> CustomerMessenger:
    """SES and SNS behind the guardrails; binds the models."""
    sender = aws_sender(settings)
    return CustomerMessenger(
        AlertStore(),
        LinkStore(),
        sender,
        address_hasher(settings),  # the same keyed hash the suppression list and alert deliveries use
        settings.public_url,
        suppressed=SuppressionStore().is_suppressed,
    )


def build_customer_acks(settings: MessagingSettings) -> CustomerAcks:
    messenger = build_messenger(settings)
    return CustomerAcks(
        AlertStore(), FeedbackStore(), CachedConfig(ConfigStore()), messenger, ScheduledMessageStore()
    )
