"""What every function that sends messages shares: its settings, the SES and SNS sender (built only by
the functions that send), the keyed hash of an address, and the suppression list's check."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recovery.domain.identity import PiiHasher
from recovery.settings import Settings, SettingsError, public_base_url
from recovery.store import models, secrets
from recovery.store.suppressions import SuppressionStore

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


def bind_table(settings: Settings) -> None:
    """Point the stores at the function's table (once per container)."""
    models.bind(settings.table_name, settings.region)


def aws_sender(settings: MessagingSettings) -> AwsSender:
    """SES and SNS, from the sender address and configuration set."""
    import boto3

    from recovery.notify.senders import AwsSender

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


def suppressed() -> Callable[[str], bool]:
    """Whether an address (by its keyed hash) bounced or complained before."""
    return SuppressionStore().is_suppressed
