"""What the reports function's routes and jobs share, built once per container: the reports over the
counters, the release markers, the case history behind a chart, and the admin keys a deploy pipeline
presents to record a marker."""

from __future__ import annotations

from recovery.services.alerts import CachedConfig
from recovery.services.reports import Reports
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import ConfigStore
from recovery.store.history import CaseHistory
from recovery.wiring.reports import build_markers
from recovery.wiring.reports import build_reports as _build_reports

config = CachedConfig(ConfigStore())
reports: Reports = _build_reports(config)
markers = build_markers()
history = CaseHistory()
admin_keys = AdminKeyStore()
