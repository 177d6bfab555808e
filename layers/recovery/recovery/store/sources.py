"""Survey-tool sources: their hashed API keys, webhook secrets, connector specs and classification
settings, with the previous secret or keys kept valid for a window after a rotation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from recovery import clock
from recovery.domain.source import SourceListing, StoredSource
from recovery.store.errors import transient_as_domain
from recovery.store.models import SourceItem, SourceListingItem, get_item

LISTING_PK = "CFG#SOURCES"
_CONDITION_FAILED = "ConditionalCheckFailedException"


def source_pk(source_id: str) -> str:
    return f"CFG#SOURCE#{source_id}"


class SourceStore:
    def get(self, source_id: str) -> StoredSource | None:
        with transient_as_domain():
            item = get_item(SourceItem, source_pk(source_id), "CFG")
        return _record(item) if item is not None else None

    def put(
        self,
        source_id: str,
        name: str,
        key_hashes: list[str],
        thresholds: dict[str, object] | None,
        webhook_secret: str | None = None,
        spec: dict[str, Any] | None = None,
        page: dict[str, Any] | None = None,
    ) -> None:
        """Store a source whole (seeding): any earlier version and its rotation windows are replaced."""
        with transient_as_domain():
            self._item(source_id, name, key_hashes, thresholds, webhook_secret, spec, page).save()
            self._listing(source_id, name, spec).save()

    def create(
        self,
        source_id: str,
        name: str,
        key_hashes: list[str],
        thresholds: dict[str, object] | None,
        webhook_secret: str | None,
        spec: dict[str, Any] | None,
        page: dict[str, Any] | None = None,
    ) -> bool:
        """Add a new source, with its listing row, in one transaction. False when the id is taken."""
        item = self._item(source_id, name, key_hashes, thresholds, webhook_secret, spec, page)
        connection = SourceItem._get_connection().connection
        try:
            with transient_as_domain(), TransactWrite(connection=connection) as transaction:
                transaction.save(item, condition=SourceItem.pk.does_not_exist())
                transaction.save(self._listing(source_id, name, spec))
        except TransactWriteError as error:
            codes = [reason.code if reason else None for reason in error.cancellation_reasons or []]
            if "ConditionalCheckFailed" in codes:
                return False
            raise
        return True

    def listing(self) -> list[SourceListing]:
        with transient_as_domain():
            rows = list(SourceListingItem.query(LISTING_PK))
        return [SourceListing(str(row.source_id), str(row.name), row.preset) for row in rows]

    def rotate_secret(self, source: StoredSource, new_secret: str, until: datetime) -> bool:
        """The new secret becomes current; the one read in `source` stays valid until `until`.
        False when the source changed since it was read (or is gone)."""
        return self._update(
            source,
            [
                SourceItem.webhook_secret.set(new_secret),
                SourceItem.previous_secret.set(cast(str, source.webhook_secret)),  # None as before: no secret
                SourceItem.previous_secret_until.set(until),
            ],
        )

    def rotate_key(self, source: StoredSource, new_hash: str, until: datetime) -> bool:
        """The new key hash becomes current; the hashes read in `source` stay valid until `until`."""
        return self._update(
            source,
            [
                SourceItem.key_hashes.set([new_hash]),
                SourceItem.previous_key_hashes.set(list(source.key_hashes)),
                SourceItem.previous_keys_until.set(until),
            ],
        )

    @staticmethod
    def _update(source: StoredSource, actions: list[Any]) -> bool:
        # Guarded by the time of the read: two rotations at once must not both keep "the previous" one.
        item = SourceItem(source_pk(source.source_id), "CFG")
        try:
            with transient_as_domain():
                item.update(
                    actions=[*actions, SourceItem.updated_at.set(clock.now())],
                    condition=SourceItem.updated_at == source.updated_at,
                )
        except UpdateError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    @staticmethod
    def _item(
        source_id: str,
        name: str,
        key_hashes: list[str],
        thresholds: dict[str, object] | None,
        webhook_secret: str | None,
        spec: dict[str, Any] | None,
        page: dict[str, Any] | None = None,
    ) -> SourceItem:
        return SourceItem(
            source_pk(source_id),
            "CFG",
            source_id=source_id,
            name=name,
            key_hashes=key_hashes,
            thresholds=thresholds,
            webhook_secret=webhook_secret,
            spec=spec,
            page=page,
            enabled=True,
            updated_at=clock.now(),
        )

    @staticmethod
    def _listing(source_id: str, name: str, spec: dict[str, Any] | None) -> SourceListingItem:
        preset = (spec or {}).get("preset")
        return SourceListingItem(
            LISTING_PK, source_id, source_id=source_id, name=name, preset=str(preset) if preset else None
        )


def _record(item: SourceItem) -> StoredSource:
    return StoredSource(
        source_id=str(item.source_id),
        name=str(item.name),
        updated_at=item.updated_at,
        key_hashes=tuple(item.key_hashes or ()),
        webhook_secret=item.webhook_secret,
        thresholds=item.thresholds,
        enabled=bool(item.enabled),
        page=item.page,
        spec=item.spec,
        previous_secret=item.previous_secret,
        previous_secret_until=item.previous_secret_until,
        previous_key_hashes=tuple(item.previous_key_hashes or ()),
        previous_keys_until=item.previous_keys_until,
    )
