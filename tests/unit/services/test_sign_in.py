"""Sign-in throttling's rules without AWS: the lock's growth, how names and addresses are counted, how a
name is masked in logs, and what a refusal says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.services.sign_in import (
    FIRST_LOCKOUT,
    LONGEST_LOCKOUT,
    UNKNOWN_ADDRESS,
    TooManySignIns,
    counted_address,
    counted_name,
    lockout,
    masked,
)
from recovery.store.throttle import window_start


def test_each_lock_lasts_twice_the_last_up_to_two_hours() -> None:
    minutes = [lockout(n) / timedelta(minutes=1) for n in range(1, 7)]
    assert minutes == [15, 30, 60, 120, 120, 120]
    assert lockout(1) == FIRST_LOCKOUT
    assert lockout(10**6) == LONGEST_LOCKOUT  # a name attacked for years still gets two hours


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("203.0.113.10", "203.0.113.10"),
        (" 203.0.113.10 ", "203.0.113.10"),
        ("::ffff:203.0.113.10", "203.0.113.10"),  # IPv4-mapped: the IPv4 client
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same subscriber's block
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        (None, UNKNOWN_ADDRESS),
        ("", UNKNOWN_ADDRESS),
        ("not an address", UNKNOWN_ADDRESS),
    ],
)
def test_an_address_is_counted_by_its_client(address: str | None, counted: str) -> None:
    assert counted_address(address) == counted


def test_a_name_is_counted_whatever_its_case_or_unicode_form() -> None:
    assert counted_name("Kari@Example.COM") == counted_name("kari@example.com") == "kari@example.com"
    assert counted_name("ＫＡＲＩ") == counted_name("kari")  # full-width letters fold to the same name
    assert counted_name("Straße") == counted_name("STRASSE")
    assert counted_name("kari ") != counted_name("kari")  # the user pool tells these apart too


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("kari@example.com", "k***@example.com"),
        ("kari", "k***"),
        ("@", "@***"),
        ("", "***"),
        ("ingrid nilsen a@example.com", "i***"),  # not an address: nothing of it but the first character
        ("ingrid@localhost", "i***"),
    ],
)
def test_a_name_is_masked_for_the_logs(name: str, shown: str) -> None:
    assert masked(name) == shown


@settings(max_examples=200)
@given(name=st.text(st.characters(exclude_characters="*"), min_size=2, max_size=64))
def test_a_masked_name_shows_at_most_its_first_character_and_domain(name: str) -> None:
    shown = masked(name)
    domain = name.rpartition("@")[2]
    assert shown in (f"{name[:1]}***", f"{name[:1]}***@{domain}") and name not in shown


@pytest.mark.parametrize(
    ("seconds", "detail"),
    [
        (1, "too many sign-in attempts; try again in 1 second"),
        (42, "too many sign-in attempts; try again in 42 seconds"),
        (900, "too many sign-in attempts; try again in 15 minutes"),
        (901, "too many sign-in attempts; try again in 16 minutes"),
    ],
)
def test_a_refusal_says_when_to_try_again(seconds: int, detail: str) -> None:
    refusal = TooManySignIns(seconds)
    assert (str(refusal), refusal.retry_after) == (detail, seconds)


@settings(max_examples=200)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    )
)
def test_fixed_windows_hold_the_moment_and_align_to_five_minutes(moment: datetime) -> None:
    window = timedelta(minutes=5)
    start = window_start(moment, window)
    assert start <= moment < start + window
    assert start.second == 0 and start.minute % 5 == 0
