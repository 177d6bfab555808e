"""What every function that sends messages shares: its settings, the SES and SNS sender (built only by
the functions that send), the keyed hash of an address (the suppression list's key, which the deliveries
and admin functions use too), and the suppression list's check."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recovery.settings import Settings, SettingsError, public_base_url
from recovery.store.suppressions import SuppressionStore
from recovery.wiring import pii_hasher

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


def aws_sender(settings: MessagingSettings) -> AwsSender:
    """SES and SNS, from the sender address and configuration set."""
    import boto3

    from recovery.notify.senders import AwsSender

    return AwsSender(
        boto3.client("ses"), boto3.client("sns"), settings.sender_address, settings.configuration_set
    )


def address_hasher(settings: Settings) -> Callable[[str], str]:
    """The keyed hash of an address that delivery rows and the suppression list are keyed by."""
    hasher = pii_hasher(settings)

    def address_hash(address: str) -> str:
        return hasher().digest("address", address.lower())

    return address_hash


def suppressed() -> Callable[[str], bool]:
    """Whether an address (by its keyed hash) bounced or complained before."""
    return SuppressionStore().is_suppressed
