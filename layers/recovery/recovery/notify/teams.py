"""The port that posts a card to a Microsoft Teams workflow, its HTTP provider and a recording fake.

A team names its workflow (`Team.teams_webhook`); the workflow's URL is the text of the Secrets Manager
secret `recovery-loop/<Environment>/teams/<name>`, read when first posted to and never logged (it carries
the workflow's signature). Only an https URL is posted to, or plain http to 127.0.0.1, where the local
runtime's stand-in listens.

Failures are `SendFailed`, as for email, SMS and Slack, so callers retry them the same way: a 429 is
first tried again here after the `Retry-After` the workflow asks for (at most `RETRY_AFTER_CAP` seconds,
`RATE_LIMIT_RETRIES` times), and then, like 408, 5xx and network errors, is transient; any other
refusal (a 4xx: a deleted or disabled workflow) and a missing or malformed secret are permanent.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from recovery.notify.senders import SendFailed

TIMEOUT_SECONDS = 10.0
RATE_LIMIT_RETRIES = 2
RETRY_AFTER_CAP = 10.0  # seconds; a longer wait is left to the caller's backoff and the sweep
MAX_RESPONSE_BYTES = 65536


class TeamsPoster(Protocol):
    def post(self, webhook: str, message: dict[str, Any]) -> str:
        """Post `message` to the workflow named `webhook`; answers an id for the delivery row."""
        ...


def usable_url(url: str) -> bool:
    """An https URL with a host, or http to the local runtime on 127.0.0.1."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.username or parts.password or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname == "127.0.0.1")


def retry_after(value: str | None) -> float:
    """Seconds from a `Retry-After` header (delta-seconds; an HTTP date or garbage reads as 1 s),
    capped at `RETRY_AFTER_CAP`."""
    try:
        seconds = float((value or "").strip())
    except ValueError:
        seconds = 1.0
    if seconds != seconds or seconds < 0:  # NaN or negative
        seconds = 1.0
    return min(seconds, RETRY_AFTER_CAP)


class WorkflowTeams:
    """`TeamsPoster` over HTTPS. `url_of(name)` gives a workflow's URL (None: no such secret)."""

    def __init__(
        self,
        url_of: Callable[[str], str | None],
        sleep: Callable[[float], None] = time.sleep,
        opener: Callable[..., Any] = urllib.request.urlopen,
    ) -> None:
        self._url_of = url_of
        self._sleep = sleep
        self._open = opener

    def _url(self, webhook: str) -> str:
        try:
            url = self._url_of(webhook)
        except Exception as error:  # access refused, throttled: may pass
            response = getattr(error, "response", None)
            found = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
            reason = found or type(error).__name__
            raise SendFailed(
                f"teams: the secret of {webhook} cannot be read ({reason})",
                transient=True,
                code="secret_unreadable",
            ) from None
        if url is None:
            raise SendFailed(
                f"teams: no secret for the workflow {webhook}", transient=False, code="not_configured"
            )
        url = url.strip()
        if not usable_url(url):
            raise SendFailed(
                f"teams: the secret of {webhook} is not an https URL", transient=False, code="bad_url"
            )
        return url

    def post(self, webhook: str, message: dict[str, Any]) -> str:
        url = self._url(webhook)
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
            try:
                with self._open(request, timeout=TIMEOUT_SECONDS) as response:
                    response.read(MAX_RESPONSE_BYTES)
                    run = response.headers.get("x-ms-workflow-run-id") if response.headers else None
                    return str(run or f"http_{int(response.status)}")
            except urllib.error.HTTPError as error:
                status = int(error.code)
                if status == 429 and attempt < RATE_LIMIT_RETRIES:
                    self._sleep(retry_after(error.headers.get("Retry-After") if error.headers else None))
                    continue
                transient = status in (408, 429) or status >= 500
                # The status only: the URL carries the workflow's signature, the body may echo it.
                raise SendFailed(f"teams http_{status}", transient=transient, code=f"http_{status}") from None
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                raise SendFailed(
                    f"teams {type(error).__name__}", transient=True, code=type(error).__name__
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class TeamsCall:
    webhook: str
    message: dict[str, Any]


@dataclass
class RecordingTeams:
    """An in-memory `TeamsPoster` for tests: records every post, fails on request."""

    calls: list[TeamsCall] = field(default_factory=list)
    attempts: int = 0
    _failures: list[SendFailed] = field(default_factory=list)

    def fail_next(self, times: int = 1, *, transient: bool = True, code: str | None = None) -> None:
        code = code or ("http_503" if transient else "http_404")
        self._failures.extend(SendFailed(code, transient=transient, code=code) for _ in range(times))

    def post(self, webhook: str, message: dict[str, Any]) -> str:
        self.attempts += 1
        if self._failures:
            raise self._failures.pop(0)
        self.calls.append(TeamsCall(webhook, message))
        return f"run-{len(self.calls)}"
