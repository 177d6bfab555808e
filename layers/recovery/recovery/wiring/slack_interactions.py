"""Builds the Slack interactions function: the cases service (acknowledge and assign with the console's
rules), the signing secret (read from Secrets Manager on the first request, then kept), and the
response_url adapter with the prefixes the stack allows.

Environment: `SLACK_SECRET`, the name (or ARN) of the secret holding
`{"bot_token": ..., "signing_secret": ...}` (default `recovery-loop/<ENVIRONMENT>/slack`);
`SLACK_RESPONSE_URL_PREFIXES`, comma-separated, default `https://hooks.slack.com/` (the embedded
runtime sets its own response_url instead)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from recovery import clock
from recovery.notify.response_url import post_to_response_url
from recovery.notify.senders import Sender
from recovery.observability import logger, record_metric
from recovery.services.alerts import CachedConfig
from recovery.services.cases import Cases
from recovery.services.slack_interactions import SlackInteractions, prefixes_from
from recovery.settings import Settings, SettingsError
from recovery.store.alerting import ConfigStore
from recovery.store.cases import CaseStore
from recovery.store.links import LinkStore
from recovery.store.seen import SeenOnce
from recovery.wiring import bind_table

# A signed press is remembered a little longer than Slack's 5-minute signature window.
SEEN_FOR = timedelta(minutes=10)


class _NoSender:
    """A press acknowledges or assigns; neither sends email or SMS (approvals are the console's)."""

    def send_email(self, *args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the Slack interactions function sends no email")

    send_sms = send_email
    send_raw_email = send_email
    compose_raw_email = send_email
    send_composed_email = send_email


def slack_secret_name(environ: Mapping[str, str] | None = None) -> str:
    """`SLACK_SECRET`, else the stack's own name for it, `recovery-loop/<ENVIRONMENT>/slack`."""
    env = os.environ if environ is None else environ
    name = env.get("SLACK_SECRET", "").strip()
    return name or f"recovery-loop/{env.get('ENVIRONMENT', 'dev').strip() or 'dev'}/slack"


def signing_secret_of(secret_text: str) -> str:
    """The secret's `signing_secret`; SettingsError naming the key when it is missing or empty."""
    try:
        document = json.loads(secret_text)
    except ValueError:
        raise SettingsError("the Slack secret is not JSON") from None
    value = document.get("signing_secret") if isinstance(document, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise SettingsError("the Slack secret has no signing_secret")
    return value


def build_slack_interactions(settings: Settings) -> SlackInteractions:
    bind_table(settings)
    name = slack_secret_name()

    @functools.cache
    def signing_secret() -> str:
        from recovery.store import secrets

        return signing_secret_of(secrets.secret_bytes(name).decode("utf-8"))

    store = CaseStore()
    sender = cast(Sender, _NoSender())
    cases = Cases(store, CachedConfig(ConfigStore()), LinkStore(), sender, "", record_metric)
    return SlackInteractions(
        cases,
        store,
        signing_secret,
        post_to_response_url,
        prefixes_from(os.environ.get("SLACK_RESPONSE_URL_PREFIXES")),
        log=lambda message, extra: logger.warning(message, extra=extra),
        first_seen=lambda signature: SeenOnce().first("slack", signature, clock.now(), SEEN_FOR),
    )
