"""Fixed-window rate limits: one counter item per key per UTC minute, counted by a conditional update.

One UpdateItem per hit, never a read or a Scan: the condition refuses the hit that would pass the limit,
and TTL removes each window's item a few minutes after it closes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from recovery.store.errors import transient_as_domain
from recovery.store.models import RateLimitItem

WINDOW = timedelta(minutes=1)
KEEP = timedelta(minutes=10)  # TTL deletes lazily; the window's key already stops it counting


def window_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


class RateLimiter:
    def hit(self, key: str, limit: int, now: datetime) -> bool:
        """Count one hit for `key` in `now`'s minute; False (and nothing counted) when at the limit."""
        start = window_start(now)
        item = RateLimitItem(f"RATE#{key}#{start.strftime('%Y-%m-%dT%H:%M')}", "RATE")
        try:
            with transient_as_domain():
                item.update(
                    actions=[RateLimitItem.hits.add(1), RateLimitItem.expires_at.set(start + KEEP)],
                    condition=RateLimitItem.hits.does_not_exist() | (RateLimitItem.hits < limit),
                )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @staticmethod
    def retry_after(now: datetime) -> int:
        """Seconds until the next window opens (at least 1)."""
        return max(1, math.ceil((window_start(now) + WINDOW - now).total_seconds()))
