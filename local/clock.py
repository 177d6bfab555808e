"""The virtual clock every handler and schedule reads.

It starts at the real time and runs `speed` times faster than it. Tests and people move it forward with
`POST /_local/clock`; it never moves backwards, so schedules and deadlines stay in order.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class VirtualClock:
    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._lock = threading.Lock()
        self._speed = speed
        self._anchor_virtual = (start or datetime.now(UTC)).astimezone(UTC)
        self._anchor_real = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        """The virtual time, timezone-aware UTC."""
        with self._lock:
            elapsed = (time.monotonic() - self._anchor_real) * self._speed
            return self._anchor_virtual + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._anchor_virtual += timedelta(seconds=seconds)
        return self.now()

    def advance_to(self, moment: datetime) -> None:
        """Move forward to `moment` if it lies ahead; never back."""
        with self._lock:
            elapsed = (time.monotonic() - self._anchor_real) * self._speed
            if moment > self._anchor_virtual + timedelta(seconds=elapsed):
                self._anchor_virtual = moment.astimezone(UTC)
                self._anchor_real = time.monotonic()

    def set(self, moment: datetime) -> datetime:
        """Jump to `moment`, which must not lie in the virtual past."""
        if moment.tzinfo is None:
            raise ValueError("the time needs a UTC offset (for example a trailing Z)")
        moment = moment.astimezone(UTC)
        with self._lock:
            elapsed = (time.monotonic() - self._anchor_real) * self._speed
            current = self._anchor_virtual + timedelta(seconds=elapsed)
            if moment < current:
                raise ValueError("the clock only moves forward")
            self._anchor_virtual = moment
            self._anchor_real = time.monotonic()
        return moment


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z suffix and millisecond precision."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_seconds(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z suffix, whole seconds (the EventBridge `time` format)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601; a trailing Z means UTC. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError("expected an ISO 8601 string")
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("the time needs a UTC offset (for example a trailing Z)")
    return value.astimezone(UTC)
