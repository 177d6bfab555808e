"""Builds the cases service from the cases function's environment, so its handler stays thin."""

from __future__ import annotations

import os
from typing import Any

from recovery.alert_wiring import AlertSettings, _metric
from recovery.alerts import CachedConfig
from recovery.cases import Cases
from recovery.customer_wiring import build_messenger
from recovery.settings import SettingsError
from recovery.store import models
from recovery.store.alerting import ConfigStore
from recovery.store.cases import CaseStore
from recovery.store.links import LinkStore


def user_pool_client_id() -> str:
    value = os.environ.get("USER_POOL_CLIENT_ID", "").strip()
    if not value:
        raise SettingsError("environment variable USER_POOL_CLIENT_ID is not set")
    return value


def build_cases(settings: AlertSettings, sender: Any | None = None) -> Cases:
    import boto3

    from recovery.notify.senders import AwsSender

    models.bind(settings.base.table_name, settings.base.region)
    sender = sender or AwsSender(
        boto3.client("ses"), boto3.client("sns"), settings.sender_address, settings.configuration_set
    )
    return Cases(
        CaseStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender,
        settings.public_url,
        _metric,
        messenger=build_messenger(settings),
    )
