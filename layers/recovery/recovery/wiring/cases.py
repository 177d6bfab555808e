"""Builds the cases function (a lead's API and the approval pages): the cases service, and what its
routes share besides: the user pool that signs leads in and the throttle in front of it, and the sources
as the console's delivery log shows them."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from recovery.notify.senders import Sender
from recovery.observability import record_metric
from recovery.services import sign_in
from recovery.services.alerts import CachedConfig
from recovery.services.cases import Cases
from recovery.services.inbound_hooks import SourceAdmin
from recovery.services.sign_in import SignInThrottle
from recovery.settings import Settings, SettingsError
from recovery.store.alerting import ConfigStore
from recovery.store.cases import CaseStore
from recovery.store.hook_log import HookLog
from recovery.store.links import LinkStore
from recovery.store.sources import SourceStore
from recovery.store.throttle import AddressWindows, NameAttempts
from recovery.wiring import bind_table, pii_hasher
from recovery.wiring.customers import build_messenger
from recovery.wiring.messaging import MessagingSettings, aws_sender


@dataclass(frozen=True)
class CasesApi:
    cases: Cases
    client_id: str  # the user pool's app client that signs leads in
    user_pool: Callable[[], Any]  # the Cognito client for signing in, made on the first sign-in
    source_admin: SourceAdmin
    sign_in_throttle: SignInThrottle  # counts each sign-in attempt before it reaches the user pool


def build_cases_api(settings: MessagingSettings) -> CasesApi:
    return CasesApi(
        build_cases(settings),
        user_pool_client_id(),
        _user_pool(),
        SourceAdmin(SourceStore(), HookLog(), settings.public_url),
        build_sign_in_throttle(settings.base),
    )


def build_sign_in_throttle(settings: Settings) -> SignInThrottle:
    """The limits of services.sign_in, counted in the table, keyed by the PII key's HMAC."""
    names = NameAttempts(
        sign_in.NAME_ATTEMPTS, sign_in.NAME_WINDOW, sign_in.lockout, sign_in.LOCKOUTS_REMEMBERED
    )
    addresses = AddressWindows(sign_in.ADDRESS_WINDOW, sign_in.ADDRESS_ATTEMPTS)
    return SignInThrottle(names, addresses, pii_hasher(settings), record_metric)


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


def _user_pool() -> Callable[[], Any]:
    """Most containers sign no one in, so the client is made on the first sign-in, then kept."""

    @functools.cache
    def client() -> Any:
        import boto3

        return boto3.client("cognito-idp")

    return client
