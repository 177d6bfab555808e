"""The suppression list: addresses that bounced or complained, keyed by a keyed hash of the address.

| item        | pk                   | sk  |
|-------------|----------------------|-----|
| suppression | SUP#<hmac(address)>  | SUP |

Keyed by the hash, it still works after the customer's or contact's data is erased.
"""

from __future__ import annotations

from datetime import datetime

from recovery.store.errors import transient_as_domain
from recovery.store.models import SuppressionItem, get_item


def suppression_pk(address_hash: str) -> str:
    return f"SUP#{address_hash}"


class SuppressionStore:
    def suppress(self, address_hash: str, reason: str, detail: str | None, at: datetime) -> None:
        with transient_as_domain():
            SuppressionItem(suppression_pk(address_hash), "SUP", reason=reason, detail=detail, at=at).save()

    def is_suppressed(self, address_hash: str) -> bool:
        with transient_as_domain():
            return get_item(SuppressionItem, suppression_pk(address_hash), "SUP") is not None
