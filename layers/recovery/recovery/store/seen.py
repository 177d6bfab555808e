"""Requests acted on once: a signed request remembered by the hash of its signature, so the same bytes
sent again within their signature's window are told apart from a new request.

| item | pk                         | sk     |
|------|----------------------------|--------|
| seen | SEEN#<scope>#<sha256 hex>  | SEEN   |

One conditional put per request; TTL removes the item once the signature could no longer verify.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError

from recovery.store.errors import transient_as_domain
from recovery.store.models import SeenItem


class SeenOnce:
    def first(self, scope: str, signature: str, now: datetime, keep: timedelta) -> bool:
        """True the first time `signature` is seen in `scope`, False after (a replay)."""
        digest = hashlib.sha256(signature.encode("utf-8")).hexdigest()
        item = SeenItem(f"SEEN#{scope}#{digest}", "SEEN", expires_at=now + keep)
        try:
            with transient_as_domain():
                item.save(condition=SeenItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
