"""Builds the cases service: the cases function (a lead's API and the approval pages)."""

from __future__ import annotations

import os

from recovery.notify.senders import Sender
from recovery.observability import record_metric
from recovery.services.alerts import CachedConfig
from recovery.services.cases import Cases
from recovery.settings import SettingsError
from recovery.store.alerting import ConfigStore
from recovery.store.cases import CaseStore
from recovery.store.links import LinkStore
from recovery.wiring.customers import build_messenger
from recovery.wiring.messaging import MessagingSettings, aws_sender, bind_table


def user_pool_client_id() -> str:
    value = os.environ.get("USER_POOL_CLIENT_ID", "").strip()
    if not value:
        raise SettingsError("environment variable USER_POOL_CLIENT_ID is not set")
    return value


def build_cases(settings: MessagingSettings, sender: Sender | None = None) -> Cases:
    """One sender for the approvals and the customer messages."""
    bind_table(settings.base)
    sender = sender or aws_sender(settings)
    return Cases(
        CaseStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender,
        settings.public_url,
        record_metric,
        messenger=build_messenger(settings, sender),
    )
