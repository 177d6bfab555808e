"""Builds customer messaging: the messenger (for every function that writes to a customer) and the
instant acknowledgement (the customer_ack function)."""

from __future__ import annotations

from recovery.notify.senders import Sender
from recovery.services.alerts import CachedConfig
from recovery.services.customer_ack import CustomerAcks
from recovery.services.customer_contact import CustomerMessenger
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.customer_messages import ScheduledMessageStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from recovery.store.replies import ReplyStore
from recovery.wiring import bind_table
from recovery.wiring.messaging import MessagingSettings, address_hasher, aws_sender, suppressed


def build_messenger(settings: MessagingSettings, sender: Sender | None = None) -> CustomerMessenger:
    """SES and SNS behind the guardrails (`sender`: the function's own, when it has one already)."""
    bind_table(settings.base)
    return CustomerMessenger(
        AlertStore(),
        LinkStore(),
        sender or aws_sender(settings),
        address_hasher(settings.base),  # the same keyed hash the suppression list and alert deliveries use
        settings.public_url,
        suppressed=suppressed(),
        reply_domain=settings.reply_domain,
        reply_routes=ReplyStore(),
    )


def build_customer_acks(settings: MessagingSettings) -> CustomerAcks:
    return CustomerAcks(
        AlertStore(),
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        build_messenger(settings),
        ScheduledMessageStore(),
    )
