"""Typed environment settings, read and checked once per container at cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(RuntimeError):
    """The function's environment is incomplete or wrong; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    event_bus_name: str
    pii_key_secret_arn: str
    feedback_retention_days: int
    environment: str
    # How long a refused webhook delivery's bytes are kept for replay (0: not kept).
    hook_body_retention_hours: int = 72

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"environment variable {name} is not set")
            return value

        retention = env.get("FEEDBACK_RETENTION_DAYS", "400")
        if not retention.isdigit() or int(retention) < 1:
            raise SettingsError("environment variable FEEDBACK_RETENTION_DAYS must be a positive integer")
        kept = env.get("HOOK_BODY_RETENTION_HOURS", "72").strip()
        if not kept.isdigit() or int(kept) > 24 * 30:
            raise SettingsError("environment variable HOOK_BODY_RETENTION_HOURS must be 0 to 720 (hours)")
        return cls(
            table_name=required("TABLE_NAME"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            event_bus_name=required("EVENT_BUS_NAME"),
            pii_key_secret_arn=required("PII_KEY_SECRET_ARN"),
            feedback_retention_days=int(retention),
            environment=env.get("ENVIRONMENT", "dev"),
            hook_body_retention_hours=int(kept),
        )


def public_base_url() -> str:
    """The base of every link and hook URL a function hands out: `PUBLIC_BASE_URL`, or else the SSM
    parameter `PUBLIC_BASE_URL_PARAMETER` names, read once per container.

    A function the HttpApi routes to can't name the API in its own environment: the API's definition
    holds the function's ARN, so each would wait for the other (a circular dependency CloudFormation
    refuses). Those functions read the stack's parameter instead; the others get the URL directly.
    """
    direct = os.environ.get("PUBLIC_BASE_URL", "").strip()
    if direct:
        return direct
    name = os.environ.get("PUBLIC_BASE_URL_PARAMETER", "").strip()
    if not name:
        return ""
    from recovery.store.secrets import parameter_value

    return parameter_value(name).strip()


SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class SlackSettings:
    """Where Slack is for the functions that post to it: `SLACK_SECRET`, the name of the Secrets Manager
    secret holding `{"bot_token": "xoxb-...", "signing_secret": "..."}` (unset: Slack is off), and
    `SLACK_API_URL`, the Web API's base (the embedded runtime points it at its stub)."""

    secret_name: str | None
    api_url: str = SLACK_API_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackSettings:
        env = os.environ if environ is None else environ
        api_url = env.get("SLACK_API_URL", "").strip() or SLACK_API_URL
        if not api_url.startswith(("https://", "http://")):
            raise SettingsError("environment variable SLACK_API_URL must be an http(s) URL")
        return cls(
            env.get("SLACK_SECRET", "").strip() or None, api_url if api_url.endswith("/") else api_url + "/"
        )


@dataclass(frozen=True)
class TeamsSettings:
    """Where Microsoft Teams workflow URLs are for the functions that post to them: `TEAMS_SECRET_PREFIX`,
    the start of their secrets' names, `recovery-loop/<Environment>/teams/` (unset: Teams is off); a
    team's `teams_webhook` completes it (docs/teams.md)."""

    secret_prefix: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TeamsSettings:
        env = os.environ if environ is None else environ
        prefix = env.get("TEAMS_SECRET_PREFIX", "").strip()
        if prefix and not prefix.endswith("/"):
            raise SettingsError("environment variable TEAMS_SECRET_PREFIX must end with /")
        return cls(prefix or None)
