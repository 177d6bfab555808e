"""The one clock every function reads.

In AWS it is the system clock. The embedded runtime replaces the source with its virtual clock, so SLA
deadlines, link expiry, schedules and timestamps all move together when a test advances time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _source()


def set_source(source: Callable[[], datetime]) -> None:
    """Make `now()` read from `source` (the embedded runtime's virtual clock)."""
    global _source
    _source = source


def reset() -> None:
    set_source(lambda: datetime.now(UTC))


def iso(moment: datetime) -> str:
    """Second-precision ISO 8601 in UTC with a Z suffix: sortable as a string."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
