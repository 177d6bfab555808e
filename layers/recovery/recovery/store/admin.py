"""Admin keys, stored only as hashes: `CFG#ADMIN` / `CFG`."""

from __future__ import annotations

from datetime import datetime

from recovery.store.errors import transient_as_domain
from recovery.store.models import ConfigItem, get_item

ADMIN_PK = "CFG#ADMIN"


class AdminKeyStore:
    def hashes(self) -> list[str]:
        with transient_as_domain():
            item = get_item(ConfigItem, ADMIN_PK, "CFG")
        return list((item.document or {}).get("key_hashes", [])) if item is not None else []

    def put(self, key_hashes: list[str], now: datetime) -> None:
        with transient_as_domain():
            ConfigItem(ADMIN_PK, "CFG", document={"key_hashes": key_hashes}, updated_at=now).save(
                add_version_condition=False
            )
