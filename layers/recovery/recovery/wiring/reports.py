"""Builds the reports function's services: what its routes share (the reports over the counters, the
release markers, the case history, the admin keys), and the scheduled jobs (the hourly anomaly check and
the weekly digest).

A report request needs the table only; the jobs, which email leads, build the SES and SNS sender, and
only when a schedule runs them. The routes' builder takes its settings; the others read theirs from the
environment unless given them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from recovery.domain.routing import Team
from recovery.observability import record_metric
from recovery.services.alerts import CachedConfig
from recovery.services.anomalies import AnomalyRun, open_anomalies
from recovery.services.markers import Markers
from recovery.services.reports import Reports
from recovery.settings import Settings
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.anomalies import AnomalyStore
from recovery.store.cases import CaseStore
from recovery.store.counters import CounterReader
from recovery.store.history import CaseHistory
from recovery.store.markers import MarkerStore
from recovery.wiring import bind_table
from recovery.wiring.messaging import MessagingSettings, address_hasher, aws_sender, suppressed

if TYPE_CHECKING:
    from recovery.services.daily_digest import DailyDigestRun
    from recovery.services.digest import DigestRun


@dataclass(frozen=True)
class ReportsApi:
    """What the reports function's routes share: the reports, the teams' routing they are scoped by, the
    release markers, the case history behind a chart, and the admin keys a deploy pipeline presents to
    record a marker."""

    config: CachedConfig
    reports: Reports
    markers: Markers
    history: CaseHistory
    admin_keys: AdminKeyStore


def build_reports_api(settings: Settings) -> ReportsApi:
    """Reads only, no sender: the scheduled jobs build theirs when a schedule runs them."""
    bind_table(settings)
    config = CachedConfig(ConfigStore())
    return ReportsApi(config, _reports(config), Markers(MarkerStore()), CaseHistory(), AdminKeyStore())


def build_markers(settings: Settings | None = None) -> Markers:
    """Markers over the function's table."""
    bind_table(settings or Settings.from_env())
    return Markers(MarkerStore())


def build_reports(config: CachedConfig | None = None, settings: Settings | None = None) -> Reports:
    """Reports over the counters, with teams from `config` (the cached routing), the markers, and each
    team's anomalies as the last check left them: reads only, no sender."""
    bind_table(settings or Settings.from_env())
    return _reports(config or CachedConfig(ConfigStore()))


def build_anomaly_run(settings: MessagingSettings | None = None) -> AnomalyRun:
    """The hourly check: judges the last hour's counters and emails the leads of a new anomaly."""
    settings = settings or MessagingSettings.from_env()
    bind_table(settings.base)
    config = CachedConfig(ConfigStore())
    return AnomalyRun(
        CounterReader(),
        AnomalyStore(),
        Markers(MarkerStore()),
        lambda: config.get().teams,
        AlertStore(),
        aws_sender(settings),
        address_hasher(settings.base),
        settings.public_url,
        record_metric,
        suppressed=suppressed(),
    )


def build_digest_run(settings: MessagingSettings | None = None) -> DigestRun:
    """The weekly digest: each team's week, its open anomalies and nearest deadlines, to its leads."""
    from recovery.services.digest import DigestRun  # the weekly job only: not on a report's cold start

    settings = settings or MessagingSettings.from_env()
    bind_table(settings.base)
    return DigestRun(
        CachedConfig(ConfigStore()),
        build_reports(settings=settings.base).metrics,
        partial(open_anomalies, AnomalyStore()),
        CaseStore(),
        AlertStore(),
        aws_sender(settings),
        address_hasher(settings.base),
        settings.public_url,
        record_metric,
        suppressed=suppressed(),
    )


def build_daily_digest_run(settings: MessagingSettings | None = None) -> DailyDigestRun:
    """The daily digest: a team's open cases, to each contact who chose it, at their hour."""
    from recovery.services.daily_digest import DailyDigestRun  # the hourly job only

    settings = settings or MessagingSettings.from_env()
    bind_table(settings.base)
    return DailyDigestRun(
        CachedConfig(ConfigStore()),
        CaseStore(),
        AlertStore(),
        aws_sender(settings),
        address_hasher(settings.base),
        settings.public_url,
        record_metric,
        suppressed=suppressed(),
    )


def _reports(config: CachedConfig) -> Reports:
    def teams() -> Sequence[Team]:
        try:
            return config.get().teams
        except LookupError:
            return []

    return Reports(
        CounterReader(),
        teams,
        markers=Markers(MarkerStore()).between,
        anomalies=partial(open_anomalies, AnomalyStore()),
    )
