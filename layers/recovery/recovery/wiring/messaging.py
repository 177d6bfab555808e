"""What every function that sends messages shares: its settings, the SES and SNS sender (built only by
the functions that send), the keyed hash of an address (the suppression list's key, which the deliveries
and admin functions use too), and the suppression list's check."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recovery.settings import Settings, SettingsError, SlackSettings, TeamsSettings, public_base_url
from recovery.store.suppressions import SuppressionStore
from recovery.wiring import pii_hasher

if TYPE_CHECKING:
    from recovery.notify.senders import AwsSender
    from recovery.notify.slack import WebApiSlack
    from recovery.notify.teams import WorkflowTeams


@dataclass(frozen=True)
class MessagingSettings:
    base: Settings
    sender_address: str
    public_url: str
    configuration_set: str | None
    # Customer emails carry `Reply-To: reply+<code>@<reply_domain>` (REPLY_DOMAIN; unset: no Reply-To).
    reply_domain: str | None = None

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
        return cls(
            base,
            sender,
            public_url,
            os.environ.get("SES_CONFIGURATION_SET") or None,
            reply_domain(),
        )


def reply_domain() -> str | None:
    """`REPLY_DOMAIN`: the domain customers' replies are received at (docs/replies.md); None when unset."""
    value = os.environ.get("REPLY_DOMAIN", "").strip().lower()
    if not value:
        return None
    labels = value.split(".")
    if len(labels) < 2 or not all(label and label.replace("-", "").isalnum() for label in labels):
        raise SettingsError("environment variable REPLY_DOMAIN must be a domain name (reply.example.com)")
    return value


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


def slack_poster(settings: SlackSettings) -> WebApiSlack | None:
    """The Slack Web API with the bot token from the secret `SLACK_SECRET` names, read on the first post;
    None when the function has no `SLACK_SECRET`. A secret that does not exist (Slack not set up) turns
    posting off, said once in the log."""
    if settings.secret_name is None:
        return None
    import json

    from recovery.notify.slack import WebApiSlack
    from recovery.store.secrets import optional_secret_text

    name = settings.secret_name

    def token() -> str | None:
        text = optional_secret_text(name)
        if text is None:
            return None
        try:
            document = json.loads(text)
        except ValueError:
            raise SettingsError("the Slack secret is not JSON") from None
        value = document.get("bot_token") if isinstance(document, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise SettingsError("the Slack secret has no bot_token")
        return value.strip()

    return WebApiSlack(token, settings.api_url)


def teams_poster(settings: TeamsSettings) -> WorkflowTeams | None:
    """Microsoft Teams workflows, each one's URL read from the secret `TEAMS_SECRET_PREFIX` + its name
    when first posted to; None when the function has no `TEAMS_SECRET_PREFIX`."""
    if settings.secret_prefix is None:
        return None
    from recovery.notify.teams import WorkflowTeams
    from recovery.store.secrets import optional_secret_text

    prefix = settings.secret_prefix
    return WorkflowTeams(lambda name: optional_secret_text(prefix + name))
