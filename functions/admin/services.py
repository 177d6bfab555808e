"""What the admin API's routes share, built once per container (recovery.wiring.admin): the configuration
and outbound stores, customers' data (export, erase), the survey-tool sources, their connectors and the
replay of their refused deliveries, a case's deliveries, and the admin keys every request must present."""

from __future__ import annotations

from recovery.settings import Settings
from recovery.wiring.admin import build_admin

admin = build_admin(Settings.from_env())
admin_keys = admin.admin_keys
config_store = admin.config_store
outbound_store = admin.outbound_store
privacy = admin.privacy
source_admin = admin.source_admin
connectors = admin.connectors
hooks = admin.hooks
case_deliveries = admin.case_deliveries
