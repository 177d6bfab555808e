"""The port that posts to Slack, its Web API provider (Slack's own `slack_sdk`) and a recording fake.

`post` is chat.postMessage (in a thread with `thread_ts`) and answers where the message is: its channel
and `ts`, which later replies and updates name. `update` is chat.update of a message posted before.
Failures are `SendFailed`, as for email and SMS, so callers retry them the same way: rate limiting,
Slack's 5xx and network errors are transient; a refused call (`channel_not_found`, `not_in_channel`,
`invalid_auth`, ...) is permanent. A 429 is first retried by the client itself after the `Retry-After`
Slack asks for (`RateLimitErrorRetryHandler`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from recovery.notify.senders import SendFailed
from recovery.notify.slack_blocks import SlackMessage

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_SECONDS = 10
RATE_LIMIT_RETRIES = 2
# Errors Slack answers with HTTP 200 and ok=false that trying again can cure.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True)
class Posted:
    """Where a posted message is: what chat.update and thread replies name."""

    channel: str
    ts: str


class SlackPoster(Protocol):
    def enabled(self) -> bool:
        """Whether Slack is set up (its secret exists): when not, nothing is posted and nothing claimed."""
        ...

    def post(self, channel: str, message: SlackMessage, thread_ts: str | None = None) -> Posted: ...

    def update(self, channel: str, ts: str, message: SlackMessage) -> None: ...


class WebApiSlack:
    """`SlackPoster` on the Slack Web API. The bot token comes from `token()`, asked on first use, so a
    function that never posts never reads the secret; None from it means Slack is not set up."""

    def __init__(self, token: Callable[[], str | None], base_url: str = DEFAULT_API_URL) -> None:
        self._token = token
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._client: Any = None
        self._off = False

    def enabled(self) -> bool:
        if self._client is not None:
            return True
        if self._off:
            return False
        from recovery.observability import logger

        try:
            token = self._token()
        except Exception as error:  # a secret that cannot be read or is malformed: alerting goes on
            logger.error(
                "the Slack secret cannot be used: nothing is posted to Slack", extra={"error": str(error)}
            )
            return False
        if token is None:
            self._off = True
            logger.warning("no Slack secret: nothing is posted to Slack")
            return False
        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

        self._client = WebClient(
            token=token,
            base_url=self._base_url,
            timeout=TIMEOUT_SECONDS,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
        )
        return True

    def _web(self) -> Any:
        if not self.enabled():
            raise SendFailed("Slack is not set up (no secret)", transient=False, code="not_configured")
        return self._client

    def post(self, channel: str, message: SlackMessage, thread_ts: str | None = None) -> Posted:
        answer = self._call(
            "chat_postMessage",
            channel=channel,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return Posted(str(answer.get("channel") or channel), str(answer["ts"]))

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self._call(
            "chat_update",
            channel=channel,
            ts=ts,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
        )

    def _call(self, method: str, **arguments: Any) -> Any:
        from slack_sdk.errors import SlackApiError, SlackClientError

        try:
            return getattr(self._web(), method)(**arguments)
        except SlackApiError as error:
            status = int(getattr(error.response, "status_code", 0) or 0)
            code = (
                str(error.response.get("error") or f"http_{status}")
                if error.response is not None
                else "unknown"
            )
            transient = code in TRANSIENT_ERRORS or status == 429 or status >= 500
            raise SendFailed(f"slack {code}", transient=transient, code=code) from None
        except (SlackClientError, OSError) as error:  # connection refused, timeouts, DNS
            raise SendFailed(
                f"slack {type(error).__name__}", transient=True, code=type(error).__name__
            ) from None


@dataclass
class SlackCall:
    method: str  # "post" | "update"
    channel: str
    message: SlackMessage
    ts: str
    thread_ts: str | None = None


@dataclass
class RecordingSlack:
    """An in-memory `SlackPoster` for tests: records every post and update, fails on request."""

    calls: list[SlackCall] = field(default_factory=list)
    attempts: int = 0
    _failures: list[SendFailed] = field(default_factory=list)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    on: bool = True

    def enabled(self) -> bool:
        return self.on

    def fail_next(self, times: int = 1, *, transient: bool = True, code: str | None = None) -> None:
        code = code or ("ratelimited" if transient else "channel_not_found")
        self._failures.extend(SendFailed(code, transient=transient, code=code) for _ in range(times))

    def _attempt(self) -> None:
        self.attempts += 1
        if self._failures:
            raise self._failures.pop(0)

    def post(self, channel: str, message: SlackMessage, thread_ts: str | None = None) -> Posted:
        self._attempt()
        ts = f"1700000000.{next(self._ts):06d}"
        self.calls.append(SlackCall("post", channel, message, ts, thread_ts))
        return Posted(channel, ts)

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        self._attempt()
        self.calls.append(SlackCall("update", channel, message, ts))
