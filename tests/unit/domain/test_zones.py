"""Which clock a customer's times are written in: their zone, their phone's, their locale's, the team's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recovery.domain.zones import country_zones, customer_zone, locale_country, locale_zone, phone_zone

WINTER = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+905321234567", "Europe/Istanbul"),  # Turkey: one zone
        ("+819012345678", "Asia/Tokyo"),
        ("+4791234567", "Europe/Oslo"),  # Oslo and Longyearbyen always agree: Norway's own zone
        ("+12125551234", "America/New_York"),  # +1 with a known area code names one zone
        ("+14155551234", "America/Los_Angeles"),
        ("+34612345678", None),  # Spain: Madrid and the Canaries are an hour apart
        ("+15005550006", None),  # +1 without a geographic area code: forty zones, no guess
        ("not a number", None),
        ("+99", None),
        (None, None),
    ],
)
def test_a_phone_names_a_zone_only_when_its_zones_agree(phone: str | None, zone: str | None) -> None:
    assert phone_zone(phone, WINTER) == zone


@pytest.mark.parametrize(
    ("locale", "country", "zone"),
    [
        ("tr-TR", "TR", "Europe/Istanbul"),
        ("ja_JP", "JP", "Asia/Tokyo"),
        ("nb-NO", "NO", "Europe/Oslo"),
        ("zh-Hant-TW", "TW", "Asia/Taipei"),
        ("en-GB", "GB", "Europe/London"),
        ("en-US", "US", None),  # many zones
        ("de", None, None),  # a language says nothing of a place
        (None, None, None),
    ],
)
def test_a_locale_names_its_countrys_zone(locale: str | None, country: str | None, zone: str | None) -> None:
    assert locale_country(locale) == country
    assert locale_zone(locale, WINTER) == zone


def test_the_country_table_is_ianas() -> None:
    assert country_zones("tr") == ("Europe/Istanbul",)
    assert "America/Chicago" in country_zones("US")
    assert country_zones("XX") == ()


@pytest.mark.parametrize(
    ("timezone", "phone", "locale", "zone"),
    [
        ("America/Chicago", "+905321234567", "tr-TR", "America/Chicago"),  # their own zone first
        ("Mars/Olympus", "+905321234567", "en-US", "Europe/Istanbul"),  # an unknown zone is skipped
        (None, "+905321234567", "en-US", "Europe/Istanbul"),  # then the phone
        (None, "+12125551234", "tr-TR", "America/New_York"),  # the phone before the locale
        (None, "+15005550006", "tr-TR", "Europe/Istanbul"),  # a phone that names no zone: the locale
        (None, None, "tr-TR", "Europe/Istanbul"),
        (None, "+15005550006", "en-US", "Europe/Oslo"),  # nothing certain: the team's
        (None, None, None, "Europe/Oslo"),
        ("localtime", None, None, "Europe/Oslo"),  # the host's clock is not a place
    ],
)
def test_the_customers_zone_in_order(
    timezone: str | None, phone: str | None, locale: str | None, zone: str
) -> None:
    assert customer_zone(timezone, phone, locale, "Europe/Oslo", WINTER) == zone
