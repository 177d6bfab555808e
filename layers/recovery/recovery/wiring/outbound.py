"""Builds the outbound function's service: case events, signed and posted to the CRM or helpdesk
endpoints the admin API configured."""

from __future__ import annotations

from recovery.notify.webhooks import UrllibPoster
from recovery.services.alerts import CachedConfig, Routing
from recovery.services.outbound_webhooks import Outbound
from recovery.settings import Settings
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.outbound import OutboundStore
from recovery.wiring import bind_table


def build_outbound(settings: Settings) -> Outbound:
    bind_table(settings)
    routing = Routing(AlertStore(), CachedConfig(ConfigStore()))
    return Outbound(OutboundStore(), UrllibPoster(), team_of=routing.team_of)
