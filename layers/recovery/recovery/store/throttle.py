"""Sign-in attempts in the table, shared by every container of the cases function: per client address in
fixed windows, and per user name in a rolling window followed by a lock.

Every attempt is one conditional UpdateItem that counts it only while the limit allows (an ADD guarded by a
condition), so concurrent containers can never count past a limit between them. The keys arrive hashed
(`services.sign_in` keys them by HMAC): no user name or address is stored. TTL removes each item after its
window or lock is long over; the conditions never rely on TTL having run.

| item | pk | sk |
|---|---|---|
| one address, one window | `THROTTLE#address#<hmac>#<window's first UTC minute>` | `WINDOW` |
| one user name | `THROTTLE#name#<hmac>` | `NAME` |
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from recovery.errors import Conflict
from recovery.store.errors import transient_as_domain
from recovery.store.models import RateLimitItem, SignInNameItem

WINDOW_SK = "WINDOW"
NAME_SK = "NAME"
ROUNDS = 4  # tries before giving up to concurrent writers on the same name (Conflict: 409, retry)
WINDOW_KEPT = timedelta(minutes=10)  # an address window's item outlives its window by this, then TTL


def _updated(item: Any, actions: list[Any], condition: Any) -> bool:
    """Apply `actions` when `condition` holds: False when it did not (nothing written)."""
    try:
        with transient_as_domain():
            item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window `now` falls in (windows are aligned to the Unix epoch)."""
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


class AddressWindows:
    """Attempts per client address in fixed windows of `window`, at most `limit` in each."""

    def __init__(self, window: timedelta, limit: int) -> None:
        self.window = window
        self.limit = limit

    def take(self, key: str, now: datetime) -> str | None:
        """Count one attempt for `key` in `now`'s window: the window's item key, to give it back; None
        (and nothing counted) when the window is full."""
        start = window_start(now, self.window)
        pk = f"THROTTLE#address#{key}#{start.strftime('%Y-%m-%dT%H:%M')}"
        counted = _updated(
            RateLimitItem(pk, WINDOW_SK),
            [RateLimitItem.hits.add(1), RateLimitItem.expires_at.set(start + self.window + WINDOW_KEPT)],
            RateLimitItem.hits.does_not_exist() | (RateLimitItem.hits < self.limit),
        )
        return pk if counted else None

    def give_back(self, pk: str) -> None:
        """Un-count an attempt `take` counted (a sign-in that succeeded)."""
        _updated(RateLimitItem(pk, WINDOW_SK), [RateLimitItem.hits.add(-1)], RateLimitItem.hits > 0)

    def opens(self, now: datetime) -> datetime:
        """When the next window starts."""
        return window_start(now, self.window) + self.window


class NameAttempts:
    """Attempts per user name: at most `limit` in a rolling `window` (from the first attempt counted);
    the attempt after that locks the name for `lock_for(n)`, the name's n-th lock, counted again from 1
    once a lock has been over for `remembered`. A locked name counts nothing: attempts while locked do not
    lengthen the lock. `clear` forgets it all (a sign-in that succeeded)."""

    def __init__(
        self, limit: int, window: timedelta, lock_for: Callable[[int], timedelta], remembered: timedelta
    ) -> None:
        self.limit = limit
        self.window = window
        self.lock_for = lock_for
        self.remembered = remembered

    def take(self, key: str, now: datetime) -> datetime | None:
        """Count one attempt for `key`: None when counted, else the time the name opens again."""
        item = SignInNameItem(f"THROTTLE#name#{key}", NAME_SK)
        model = SignInNameItem
        unlocked = model.locked_until.does_not_exist() | (model.locked_until <= now)
        floor = now - self.window
        keep = model.expires_at.set(now + self.remembered)
        for _ in range(ROUNDS):
            # Within the window and below the limit: one more.
            in_window = (model.since > floor) & (model.hits < self.limit)
            if _updated(item, [model.hits.add(1), keep], in_window & unlocked):
                return None
            # No window open (the first attempt, or the last window is over): this one opens a window.
            no_window = model.since.does_not_exist() | (model.since <= floor)
            if _updated(item, [model.since.set(now), model.hits.set(1), keep], no_window & unlocked):
                return None
            # Locked, or the window is full: read which.
            state = self._read(item)
            if state is None:
                continue  # cleared meanwhile
            if state.locked_until is not None and state.locked_until > now:
                return state.locked_until
            if state.hits is not None and state.since is not None and state.since > floor:
                until = self._lock(item, state, now)
                if until is not None:
                    return until
            # Another container changed the name between the calls: look again.
        raise Conflict("sign-in attempts on this name changed meanwhile")

    def _lock(self, item: SignInNameItem, state: SignInNameItem, now: datetime) -> datetime | None:
        """Lock the full window `state` read; None when the name changed since."""
        model = SignInNameItem
        previous = state.locked_until
        recent = previous is not None and now - previous < self.remembered
        lockouts = int(state.lockouts or 0) + 1 if recent else 1
        until = now + self.lock_for(lockouts)
        same_lock = (
            model.locked_until.does_not_exist() if previous is None else model.locked_until == previous
        )
        full = (model.since == state.since) & (model.hits >= self.limit)
        actions = [
            model.locked_until.set(until),
            model.lockouts.set(lockouts),
            model.hits.remove(),
            model.since.remove(),
            model.expires_at.set(until + self.remembered),
        ]
        return until if _updated(item, actions, same_lock & full) else None

    @staticmethod
    def _read(item: SignInNameItem) -> SignInNameItem | None:
        try:
            with transient_as_domain():
                return SignInNameItem.get(item.pk, item.sk, consistent_read=True)
        except DoesNotExist:
            return None

    def clear(self, key: str) -> None:
        """Forget the name's attempts and locks (one UpdateItem; nothing when there is no item)."""
        model = SignInNameItem
        _updated(
            SignInNameItem(f"THROTTLE#name#{key}", NAME_SK),
            [model.hits.remove(), model.since.remove(), model.locked_until.remove(), model.lockouts.remove()],
            model.pk.exists(),
        )
