"""Replacing a pressed Slack message through the interaction's `response_url` (slack_sdk's WebhookClient).

Only URLs the interactions service allowed reach here. The URL is a bearer credential for 30 minutes:
it is never logged."""

from __future__ import annotations

from typing import Any

TIMEOUT_SECONDS = 2  # the whole press is answered within Slack's 3 seconds


class ResponseUrlFailed(Exception):
    """Slack did not take the update (a status other than 200, or no answer in time)."""


def post_to_response_url(url: str, message: dict[str, Any]) -> None:
    """POST `message` (JSON: replace_original, text, blocks) to `url`; raises on any failure."""
    from slack_sdk.webhook import WebhookClient  # on the first press, not at cold start

    response = WebhookClient(url, timeout=TIMEOUT_SECONDS).send_dict(message)
    if response.status_code != 200:
        raise ResponseUrlFailed(f"Slack answered {response.status_code}")
