"""Form tokens of the hosted page: signed over source, issue time and nonce; expiring; tamper-evident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recovery.services.survey_page import TOKEN_TTL, FormTokens, TokenCheck, clean_params

KEY = b"test-pii-key-0123456789abcdef"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
sources = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))


@given(source=sources, issued=moments, age=st.floats(min_value=0, max_value=TOKEN_TTL.total_seconds()))
def test_a_token_verifies_for_its_source_within_a_day(source: str, issued: datetime, age: float) -> None:
    # GIVEN a token issued for a source
    token = FormTokens(KEY).issue(source, issued)
    # WHEN it is checked within its day, by a verifier holding the same key
    check, parsed = FormTokens(KEY).verify(source, token, issued + timedelta(seconds=age))
    # THEN it is valid, and its nonce is 96 bits of URL-safe base64
    assert check is TokenCheck.OK and parsed is not None and len(parsed.nonce) == 16


@given(source=sources, other=sources, issued=moments)
def test_a_token_is_refused_for_another_source_or_key(source: str, other: str, issued: datetime) -> None:
    token = FormTokens(KEY).issue(source, issued)
    if other != source:
        assert FormTokens(KEY).verify(other, token, issued)[0] is TokenCheck.BAD_SIGNATURE
    assert FormTokens(KEY + b"x").verify(source, token, issued)[0] is TokenCheck.BAD_SIGNATURE


@given(position=st.integers(min_value=0), replacement=st.sampled_from("0123456789AZaz_-."))
def test_any_changed_character_is_refused(position: int, replacement: str) -> None:
    # GIVEN a valid token, WHEN one character changes
    token = FormTokens(KEY).issue("demo-web", NOW)
    index = position % len(token)
    changed = token[:index] + replacement + token[index + 1 :]
    check, _ = FormTokens(KEY).verify("demo-web", changed, NOW)
    # THEN it is refused (unless the character was the same)
    assert check is TokenCheck.OK if changed == token else check is not TokenCheck.OK


def test_expired_and_future_tokens_are_refused() -> None:
    token = FormTokens(KEY).issue("demo-web", NOW)
    assert FormTokens(KEY).verify("demo-web", token, NOW + TOKEN_TTL + timedelta(seconds=1))[0] is (
        TokenCheck.EXPIRED
    )
    assert FormTokens(KEY).verify("demo-web", token, NOW - timedelta(minutes=6))[0] is TokenCheck.EXPIRED


@given(text=st.text(max_size=80))
def test_garbage_is_malformed_never_an_error(text: str) -> None:
    check, parsed = FormTokens(KEY).verify("demo-web", text, NOW)
    assert check is not TokenCheck.OK and parsed is None


@given(value=st.text(max_size=100))
def test_url_parameters_kept_are_short_and_free_of_markup(value: str) -> None:
    kept = clean_params({"store": value, "agent": value, "order": value, "other": value})
    assert set(kept) <= {"store", "agent", "order"}
    for kept_value in kept.values():
        assert len(kept_value) <= 64 and not set(kept_value) & set("<>\"'&\n\r\t")
