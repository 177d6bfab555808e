"""Builds the cases service from the cases function's environment, so its handler stays thin."""

from __future__ import annotations

import os
from typing import Any

from recovery.services.alerts import CachedConfig
from recovery.services.cases import Cases
from recovery.settings import SettingsError
from recovery.store import models
from recovery.store.alerting import ConfigStore
from recovery.store.cases import CaseStore
from recovery.store.links import LinkStore
from recovery.wiring.customers import build_messenger
from recovery.wiring.messaging import MessagingSettings, aws_sender, record_metric


def user_pool_client_id() -> str:
    value = os.environ.get("USER_POOL_CLIENT_ID", "").strip()
    if not value:
        raise SettingsError("environment variable USER_POOL_CLIENT_ID is not set")
    return value


def build_cases(settings: MessagingSettings, sender: Any | None = None) -> Cases:
    models.bind(settings.base.table_name, settings.base.region)
    sender = sender or aws_sender(settings)
    return Cases(
        CaseStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender,
        settings.public_url,
        record_metric,
        messenger=build_messenger(settings),
    )
