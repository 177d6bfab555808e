"""Pre-aggregated counters, applied per stream batch together with a batch marker.

Each transaction carries a marker item that must not exist yet, so a retried batch changes nothing.
A batch touching more counters than one transaction holds is split; each part has its own marker.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from recovery.domain.changes import CounterKey
from recovery.store.errors import transient_as_domain
from recovery.store.models import BatchMarkerItem, CounterItem

TRANSACTION_LIMIT = 100
MARKER_LIFETIME = timedelta(days=3)  # longer than the 24 h a stream keeps records


def counter_pk(key: CounterKey) -> str:
    return f"STAT#{key.dimension}#{key.value}"


class CounterStore:
    def apply(self, batch_id: str, deltas: Mapping[CounterKey, Mapping[str, int]], now: datetime) -> int:
        """Apply the deltas once; returns how many parts were applied now (0: all applied before)."""
        keys = sorted(deltas)
        size = TRANSACTION_LIMIT - 1
        parts = [keys[start : start + size] for start in range(0, len(keys), size)] or [[]]
        applied = 0
        for index, part in enumerate(parts):
            marker = BatchMarkerItem(
                f"BATCH#{batch_id}#{index}",
                "BATCH",
                applied_at=now,
                records=len(part),
                expires_at=now + MARKER_LIFETIME,
            )
            connection = CounterItem._get_connection().connection
            try:
                with transient_as_domain(), TransactWrite(connection=connection) as transaction:
                    transaction.save(marker, condition=BatchMarkerItem.pk.does_not_exist())
                    for key in part:
                        item = CounterItem(counter_pk(key), f"H#{key.hour}")
                        actions: list[Action] = [
                            CounterItem.dimension.set(key.dimension),
                            CounterItem.value.set(key.value),
                            CounterItem.hour.set(key.hour),
                        ]
                        actions += [
                            getattr(CounterItem, metric).add(amount) for metric, amount in deltas[key].items()
                        ]
                        transaction.update(item, actions=actions)
            except TransactWriteError as error:
                reasons = error.cancellation_reasons or []
                if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                    continue  # this part was applied by an earlier delivery of the same batch
                raise
            applied += 1
        return applied
