"""Builds the outbound function's service: case events, signed and posted to the CRM or helpdesk
endpoints the admin API configured."""

from __future__ import annotations

from recovery.notify.webhooks import UrllibPoster
from recovery.services.outbound_webhooks import Outbound
from recovery.settings import Settings
from recovery.store.outbound import OutboundStore
from recovery.wiring import bind_table


def build_outbound(settings: Settings) -> Outbound:
    bind_table(settings)
    return Outbound(OutboundStore(), UrllibPoster())
