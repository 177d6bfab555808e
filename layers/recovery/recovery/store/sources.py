"""Survey-tool sources: their hashed API keys and per-source classification settings."""

from __future__ import annotations

from recovery import clock
from recovery.store.errors import transient_as_domain
from recovery.store.models import SourceItem, get_item


def source_pk(source_id: str) -> str:
    return f"CFG#SOURCE#{source_id}"


class SourceStore:
    def get(self, source_id: str) -> SourceItem | None:
        with transient_as_domain():
            return get_item(SourceItem, source_pk(source_id), "CFG")

    def put(
        self,
        source_id: str,
        name: str,
        key_hashes: list[str],
        thresholds: dict[str, object] | None,
        webhook_secret: str | None = None,
    ) -> None:
        with transient_as_domain():
            SourceItem(
                source_pk(source_id),
                "CFG",
                source_id=source_id,
                name=name,
                key_hashes=key_hashes,
                thresholds=thresholds,
                webhook_secret=webhook_secret,
                enabled=True,
                updated_at=clock.now(),
            ).save()
