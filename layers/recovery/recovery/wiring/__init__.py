"""The composition root: what each function needs, built lazily from typed settings.

One module per function group: `intake` (ingest, the vendor hooks and the hosted survey page), `stream`,
`alerts` (alert, sweep, ack), `deliveries` (SES bounces and complaints), `cases`, `outbound`, `customers`
(the customer's acknowledgement, and the messenger every function that writes to a customer uses),
`follow_up` (the run and the page), `unsubscribe`, `reports` (reports, markers, the anomaly check and the
digest) and `admin`. `messaging` holds what the messaging functions share: their settings, the SES and SNS
sender, the keyed hash of an address.

What every builder needs is here: the table binding and the PII key's hasher. Every function imports this
package ahead of its builder's module, so it imports nothing until a builder calls it. Importing pynamodb
here, ahead of the builder's own imports, measurably slowed ingest's budgeted cold start: it moved where
urllib3 compiles its patterns and where a full garbage collection falls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recovery.domain.identity import PiiHasher
    from recovery.settings import Settings


def bind_table(settings: Settings) -> None:
    """Point the stores at the function's table (once per container)."""
    from recovery.store import models

    models.bind(settings.table_name, settings.region)


def pii_hasher(settings: Settings) -> Callable[[], PiiHasher]:
    """The keyed hash of customer identifiers, made when called: the key is read from Secrets Manager
    then (once per container, and not at cold start), and the hashing imported then (the stream function
    hashes nothing, and its cold start would load pydantic for it)."""

    def hasher() -> PiiHasher:
        from recovery.domain.identity import PiiHasher
        from recovery.store import secrets

        return PiiHasher(secrets.secret_bytes(settings.pii_key_secret_arn))

    return hasher
