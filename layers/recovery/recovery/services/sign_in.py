"""Sign-in throttling (`POST /v1/session`): how many attempts a user name and a client address get before
the answer is 429 with Retry-After, counted in the table so every container of the function shares them.

Per user name: `NAME_ATTEMPTS` attempts in `NAME_WINDOW` (a rolling window from its first attempt); the
next locks the name for `FIRST_LOCKOUT`, and each further lock within `LOCKOUTS_REMEMBERED` of the last
lasts twice as long, up to `LONGEST_LOCKOUT`. Per client address: `ADDRESS_ATTEMPTS` attempts in each
fixed `ADDRESS_WINDOW`; an IPv6 address counts by its /64, the block one subscriber holds.

- **Counted before Cognito.** `admit` counts the attempt, or refuses it, before the password is checked:
  a locked name never reaches Cognito, so a locked name cannot be used to try passwords, and nothing
  tells a right password from a wrong one while it is locked.
- **Success resets.** `succeeded` (the password was right) clears the name's attempts and locks, and gives
  the address its attempt back: only failures count against an address, so an office behind one address
  signs in as often as it likes.
- **No user name is revealed.** Names are counted the same whether or not they exist, and the answer is
  the same: existence shows neither in the status nor in when the lock starts.
- **Nothing in clear.** Names and addresses are keyed by HMAC (the PII key), and logs carry the name
  masked.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from recovery.observability import RecordMetric, logger, mask
from recovery.store.throttle import AddressWindows, NameAttempts

if TYPE_CHECKING:
    from recovery.domain.identity import PiiHasher

NAME_ATTEMPTS = 5  # attempts per user name in NAME_WINDOW before the name is locked
NAME_WINDOW = timedelta(minutes=15)
FIRST_LOCKOUT = timedelta(minutes=15)  # doubled for each further lockout...
LONGEST_LOCKOUT = timedelta(hours=2)  # ...up to this
LOCKOUTS_REMEMBERED = timedelta(days=1)  # a lock this long over no longer counts towards the next one
ADDRESS_ATTEMPTS = 30  # attempts per client address in each ADDRESS_WINDOW (successes given back)
ADDRESS_WINDOW = timedelta(minutes=5)
IPV6_PREFIX = 64
UNKNOWN_ADDRESS = "unknown"  # an event without a source address (a direct invoke): all such share one
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def lockout(lockouts: int) -> timedelta:
    """How long the name's `lockouts`-th lock lasts: 15 minutes, 30, 60, then two hours (a name under
    steady attack keeps counting lockouts, so the doubling stops before it could overflow)."""
    doublings = min(max(lockouts - 1, 0), 16)
    return min(FIRST_LOCKOUT * 2**doublings, LONGEST_LOCKOUT)


class TooManySignIns(Exception):
    """Too many attempts on the user name or from the address: 429, with Retry-After in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many sign-in attempts; try again in {_duration(retry_after)}")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """An attempt `admit` counted: what `succeeded` resets."""

    name_key: str
    address_window: str


class SignInThrottle:
    def __init__(
        self,
        names: NameAttempts,
        addresses: AddressWindows,
        hasher: Callable[[], PiiHasher],
        record_metric: RecordMetric,
    ) -> None:
        self._names = names
        self._addresses = addresses
        self._hasher_factory = hasher
        self._hasher: PiiHasher | None = None
        self._record_metric = record_metric

    def admit(self, user_name: str, address: str | None, now: datetime) -> Attempt:
        """Count an attempt on `user_name` from `address` (the caller's source IP), or raise
        TooManySignIns. The address is counted first: an attempt its address may not make counts nothing
        on the name, so one client locks at most a few names a window."""
        hasher = self._hashes()
        window = self._addresses.take(hasher.digest("sign-in address", counted_address(address)), now)
        if window is None:
            self._refuse("address", user_name, self._addresses.opens(now), now)
        name_key = hasher.digest("sign-in name", counted_name(user_name))
        opens = self._names.take(name_key, now)
        if opens is not None:
            self._refuse("user name", user_name, opens, now)
        assert window is not None
        return Attempt(name_key, window)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the name starts afresh, and the address gets its attempt back."""
        self._names.clear(attempt.name_key)
        self._addresses.give_back(attempt.address_window)

    def _refuse(self, limit: str, user_name: str, opens: datetime, now: datetime) -> None:
        retry_after = max(1, math.ceil((opens - now).total_seconds()))
        logger.warning(
            "sign-in throttled",
            extra={"limit": limit, "user": masked(user_name), "retry_after": retry_after},
        )
        self._record_metric("SignInThrottled", 1, "Count")
        raise TooManySignIns(retry_after)

    def _hashes(self) -> PiiHasher:
        if self._hasher is None:  # the key comes from Secrets Manager: once per container, on first use
            self._hasher = self._hasher_factory()
        return self._hasher


def counted_name(user_name: str) -> str:
    """The user name as counted: Unicode-normalised and case-folded, so `Kari@…` and `kari@…` are one
    name (over-merging only ever throttles more)."""
    return unicodedata.normalize("NFKC", user_name).casefold()


def counted_address(address: str | None) -> str:
    """The address as counted: an IPv4 address (also when IPv4-mapped), or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return UNKNOWN_ADDRESS
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


def masked(user_name: str) -> str:
    """The user name as logs may show it: an email address as `k***@example.com` (as the log formatter's
    `mask` shows addresses), anything else by its first character alone."""
    if _EMAIL.fullmatch(user_name):
        return mask(user_name)
    return f"{user_name[:1]}***"


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds" if seconds != 1 else "1 second"
    return f"{math.ceil(seconds / 60)} minutes"
