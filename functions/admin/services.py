"""What the admin API's routes share, built once per container: the configuration and outbound stores,
customers' data (export, erase), the survey-tool sources and their connectors, a case's deliveries, and
the admin keys every request must present."""

from __future__ import annotations

import functools
from typing import Any

from recovery.domain.identity import PiiHasher
from recovery.services.case_deliveries import CaseDeliveries
from recovery.services.inbound_hooks import Connectors, SourceAdmin
from recovery.services.privacy import Privacy
from recovery.settings import Settings, public_base_url
from recovery.store import models, secrets
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import CaseDeliveryStore, ConfigStore
from recovery.store.hook_log import HookLog
from recovery.store.outbound import OutboundStore
from recovery.store.privacy import PrivacyStore
from recovery.store.sources import SourceStore

settings = Settings.from_env()
models.bind(settings.table_name, settings.region)
admin_keys = AdminKeyStore()
config_store = ConfigStore()
privacy = Privacy(PrivacyStore(), hasher=lambda: PiiHasher(secrets.secret_bytes(settings.pii_key_secret_arn)))
source_admin = SourceAdmin(SourceStore(), HookLog(), public_base_url())
connectors = Connectors(SourceStore())  # the dry run: maps and classifies, writes nothing
outbound_store = OutboundStore()


@functools.cache
def _hasher() -> PiiHasher:
    """The PII key, read on first use and kept for the container's life (one read per cold start)."""
    return PiiHasher(secrets.secret_bytes(settings.pii_key_secret_arn))


def _address_hash(address: str) -> str:
    return _hasher().digest("address", address.lower())


def _current_config() -> Any:
    found = config_store.get()
    return found[0] if found else None


case_deliveries = CaseDeliveries(CaseDeliveryStore(), _current_config, _address_hash)
