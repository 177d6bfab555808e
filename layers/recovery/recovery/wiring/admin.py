"""Builds what the admin API's routes share: the admin keys every request presents, the configuration and
outbound stores, customers' data (export, erase), the survey-tool sources and their connectors, and a
case's alert deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from recovery.domain.routing import Config
from recovery.services.case_deliveries import CaseDeliveries
from recovery.services.inbound_hooks import Connectors, Hooks, SourceAdmin
from recovery.services.privacy import Privacy
from recovery.settings import Settings, public_base_url
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import CaseDeliveryStore, ConfigStore
from recovery.store.hook_log import HookLog
from recovery.store.outbound import OutboundStore
from recovery.store.privacy import PrivacyStore
from recovery.store.sources import SourceStore
from recovery.wiring import bind_table, pii_hasher
from recovery.wiring.intake import build_hooks
from recovery.wiring.messaging import address_hasher


@dataclass(frozen=True)
class AdminApi:
    admin_keys: AdminKeyStore
    config_store: ConfigStore
    outbound_store: OutboundStore
    privacy: Privacy
    source_admin: SourceAdmin
    connectors: Connectors  # the dry run: maps and classifies, writes nothing
    hooks: Hooks  # a refused delivery replayed from its kept bytes, through intake
    case_deliveries: CaseDeliveries


def build_admin(settings: Settings) -> AdminApi:
    bind_table(settings)
    config_store = ConfigStore()

    def current_config() -> Config | None:
        found = config_store.get()
        return found[0] if found else None

    return AdminApi(
        admin_keys=AdminKeyStore(),
        config_store=config_store,
        outbound_store=OutboundStore(),
        privacy=Privacy(PrivacyStore(), hasher=pii_hasher(settings)),
        source_admin=SourceAdmin(SourceStore(), HookLog(), public_base_url()),
        connectors=Connectors(SourceStore()),
        hooks=build_hooks(settings),
        case_deliveries=CaseDeliveries(CaseDeliveryStore(), current_config, address_hasher(settings)),
    )
