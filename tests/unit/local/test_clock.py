import time
from datetime import UTC, datetime, timedelta

import pytest

from local.clock import VirtualClock, iso, parse_iso

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_runs_from_its_start_and_moves_forward() -> None:
    clock = VirtualClock(START)
    assert START <= clock.now() < START + timedelta(seconds=5)
    assert clock.advance(3600) >= START + timedelta(hours=1)
    later = START + timedelta(days=2)
    assert clock.set(later) == later


def test_never_moves_backwards() -> None:
    clock = VirtualClock(START)
    with pytest.raises(ValueError):
        clock.set(START - timedelta(seconds=1))
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.advance_to(START - timedelta(days=1))  # a no-op, not an error
    assert clock.now() >= START


def test_speed_multiplies_elapsed_time() -> None:
    clock = VirtualClock(START, speed=1000)
    time.sleep(0.01)
    assert clock.now() >= START + timedelta(seconds=9)


def test_iso_formats_and_parses() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"
    assert parse_iso("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_iso("2026-01-02T05:04:05+02:00") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_iso("2026-01-02T03:04:05")  # no offset: ambiguous
