"""What the reports function's routes share, built once per container (recovery.wiring.reports): the
reports over the counters, the release markers, the case history behind a chart, and the admin keys a
deploy pipeline presents to record a marker."""

from __future__ import annotations

from recovery.settings import Settings
from recovery.wiring.reports import build_reports_api

api = build_reports_api(Settings.from_env())
config = api.config
reports = api.reports
markers = api.markers
history = api.history
admin_keys = api.admin_keys
