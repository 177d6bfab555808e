"""Builds intake: the ingest function (the feedback API), the vendor hooks and the hosted survey page, each
over the same intake service.

Ingest's cold start is a budget (bench: import and setup at most 1.5x a module that imports boto3 and makes
one client), so this module imports only what ingest needs: the hooks' and the survey page's builders
import their own services when they are called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from recovery.services.intake import CachedRules, Intake, SourceDirectory
from recovery.settings import Settings
from recovery.store import secrets
from recovery.store.feedback import FeedbackStore
from recovery.store.sources import SourceStore
from recovery.wiring import bind_table, pii_hasher

if TYPE_CHECKING:
    from recovery.domain.routing import Config
    from recovery.services.inbound_hooks import Hooks
    from recovery.services.survey_page import SurveyPage


@dataclass(frozen=True)
class Ingest:
    """What the ingest function needs: the sources whose keys it checks, and the intake."""

    sources: SourceDirectory
    intake: Intake


def build_ingest(settings: Settings) -> Ingest:
    bind_table(settings)
    return Ingest(SourceDirectory(SourceStore()), _intake(settings))


def build_hooks(settings: Settings) -> Hooks:
    """A vendor's delivery: the source's connector maps it, intake stores it, the hook log records it."""
    from recovery.services.inbound_hooks import Connectors, Hooks
    from recovery.store.hook_log import HookLog

    bind_table(settings)
    keep_for = timedelta(hours=settings.hook_body_retention_hours)
    return Hooks(Connectors(SourceStore()), _intake(settings), HookLog(), keep_for)


def build_survey_page(settings: Settings) -> SurveyPage:
    """The hosted page: its form tokens are signed with the PII key, read on first use."""
    from recovery.services.survey_page import FormTokens, SurveyPage
    from recovery.store.rate_limit import RateLimiter

    bind_table(settings)
    return SurveyPage(
        SourceStore(),
        _intake(settings),
        RateLimiter(),
        tokens=lambda: FormTokens(secrets.secret_bytes(settings.pii_key_secret_arn)),
    )


def _intake(settings: Settings) -> Intake:
    """The PII key is read on the first feedback, not at cold start; raw feedback lives for the retention."""
    return Intake(
        FeedbackStore(),
        hasher=pii_hasher(settings),
        retention=timedelta(days=settings.feedback_retention_days),
        rules=CachedRules(_routing),
    )


def _routing() -> Config | None:
    """The teams and routing in force (their rules may raise a negative's priority), None before any."""
    from recovery.store.alerting import ConfigStore  # a negative's first case in a container pays it

    found = ConfigStore().get()
    return found[0] if found is not None else None
