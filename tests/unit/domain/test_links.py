"""Link codes: entropy, format, hashing and the verdict every link page answers with."""

from __future__ import annotations

import math
import re
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.domain.links import (
    CODE_LENGTH,
    Grant,
    Purpose,
    Verdict,
    check,
    code_hash,
    new_code,
    well_formed,
)

NOW = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
ALPHABET = re.compile(r"^[A-Za-z0-9_-]+$")


def grant(**changes: object) -> Grant:
    base = Grant(
        code_hash=code_hash("AAAAAAAAAAAAAAAA"),
        purpose=Purpose.ACK,
        subject="cs_0123",
        audience="lead-1",
        expires_at=NOW + timedelta(hours=1),
        single_use=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- codes ------------------------------------------------------------------------------------------


def test_a_code_carries_at_least_60_random_bits_and_fits_an_sms() -> None:
    code = new_code()
    # 64 symbols carry 6 bits each
    assert len(code) == CODE_LENGTH == 16 and ALPHABET.match(code)
    assert len(code) * math.log2(64) >= 60
    assert well_formed(code)


def test_codes_use_the_whole_alphabet_and_never_repeat() -> None:
    codes = [new_code() for _ in range(20_000)]
    assert len(set(codes)) == len(codes)
    # 320,000 characters drawn from 64 symbols: every symbol shows up, so no bits are wasted
    assert set("".join(codes)) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    "code",
    [
        "",
        "short",
        "A" * 15,
        "A" * 17,
        "AAAAAAAAAAAAAAA=",
        "AAAAAAAAAAAAAAA/",
        "AAAAAAAAAAAAAAA ",
        "ÅAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_codes_are_recognised(code: str) -> None:
    assert not well_formed(code)


def test_the_stored_hash_is_sha256_and_does_not_contain_the_code() -> None:
    code = new_code()
    digest = code_hash(code)
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and code not in digest
    assert code_hash(code) == digest and code_hash(new_code()) != digest
    assert code_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@given(st.text(max_size=40))
def test_hashing_any_text_works(text: str) -> None:
    assert len(code_hash(text)) == 64


# --- verdicts ---------------------------------------------------------------------------------------


def test_a_fresh_grant_for_its_purpose_is_ok() -> None:
    assert check(grant(), Purpose.ACK, NOW) is Verdict.OK


def test_no_grant_is_unknown() -> None:
    assert check(None, Purpose.ACK, NOW) is Verdict.UNKNOWN


@pytest.mark.parametrize("purpose", [Purpose.FOLLOWUP, Purpose.UNSUBSCRIBE])
def test_another_purpose_is_refused_even_when_used_or_expired(purpose: Purpose) -> None:
    assert check(grant(), purpose, NOW) is Verdict.WRONG_PURPOSE
    assert check(grant(used_at=NOW), purpose, NOW) is Verdict.WRONG_PURPOSE
    assert check(grant(), purpose, NOW + timedelta(days=2)) is Verdict.WRONG_PURPOSE


def test_a_grant_expires_at_its_expiry() -> None:
    assert check(grant(), Purpose.ACK, NOW + timedelta(minutes=59, seconds=59)) is Verdict.OK
    assert check(grant(), Purpose.ACK, NOW + timedelta(hours=1)) is Verdict.EXPIRED


def test_a_used_single_use_grant_is_used() -> None:
    used = grant(used_at=NOW, used_by="lead-1")
    assert check(used, Purpose.ACK, NOW) is Verdict.USED
    # "already used" says more than "expired" to whoever used it
    assert check(used, Purpose.ACK, NOW + timedelta(days=1)) is Verdict.USED


def test_a_reusable_grant_stays_good_until_it_expires() -> None:
    reusable = grant(purpose=Purpose.UNSUBSCRIBE, single_use=False, used_at=NOW, used_by="cust")
    assert check(reusable, Purpose.UNSUBSCRIBE, NOW) is Verdict.OK
    assert check(reusable, Purpose.UNSUBSCRIBE, NOW + timedelta(hours=1)) is Verdict.EXPIRED


def test_a_purpose_read_back_as_text_still_matches() -> None:
    assert check(grant(purpose="ack"), Purpose.ACK, NOW) is Verdict.OK


def test_every_verdict_has_one_status() -> None:
    assert {verdict: verdict.http_status for verdict in Verdict} == {
        Verdict.OK: 200,
        Verdict.UNKNOWN: 403,
        Verdict.WRONG_PURPOSE: 403,
        Verdict.EXPIRED: 410,
        Verdict.USED: 410,
    }


def test_enums_read_as_their_stored_text() -> None:
    assert [p.value for p in Purpose] == ["ack", "followup", "unsubscribe", "approval", "reply"]
    assert Purpose("followup") is Purpose.FOLLOWUP and Verdict("used") is Verdict.USED


def test_a_grant_is_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        grant().used_at = NOW  # type: ignore[misc]
