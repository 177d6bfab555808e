"""Which time zone a person's times are written in.

A customer's zone is found, in this order:
1. the time zone the survey tool sent with the feedback (`customer.timezone`);
2. the zone of the customer's phone number (phonenumbers knows it by country and, for +1 and a few
   others, by area code: +1 212 is New York, +90 is Istanbul);
3. the zone of the country in the customer's locale (`tr-TR` is Turkey, Europe/Istanbul), from IANA's
   own country table (`zone.tab`, shipped with the tzdata package, so no hand-written table);
4. the team's zone.

A phone number or a country gives a zone only when its candidate zones all show the same wall-clock time
at the moment concerned: Norway's +47 names Oslo and Longyearbyen, which always agree, so it is Oslo;
Spain names Madrid and the Canaries, an hour apart, and an unknown US area code names forty zones, so
those give nothing and the next step decides. A promised time is never guessed across a zone border.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def valid_zone(name: str | None) -> str | None:
    """`name` if it names an IANA time zone, else None."""
    if not name or name in _NOT_ZONES:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


@cache
def _country_table() -> dict[str, tuple[str, ...]]:
    """ISO 3166 country code -> its zones, from IANA's zone.tab (tzdata package, not the host)."""
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            table.setdefault(parts[0].upper(), []).append(parts[2])
    return {country: tuple(zones) for country, zones in table.items()}


def country_zones(country: str) -> tuple[str, ...]:
    """The zones IANA lists for a two-letter country code (`TR` -> Europe/Istanbul); () if unknown."""
    return _country_table().get(country.upper(), ())


def _agreed(candidates: Iterable[str], at: datetime, preferred: tuple[str, ...] = ()) -> str | None:
    """One of `candidates` if all of them show the same offset at `at`, preferring one in `preferred`."""
    zones = [name for name in candidates if valid_zone(name)]
    if not zones:
        return None
    offsets = {at.astimezone(ZoneInfo(name)).utcoffset() for name in zones}
    if len(offsets) != 1:
        return None
    return next((name for name in zones if name in preferred), zones[0])


def phone_zone(phone: str | None, at: datetime) -> str | None:
    """The zone of a phone number's place, when it names one wall clock (see the module's note)."""
    if not phone:
        return None
    import phonenumbers  # only here: keep its metadata out of every import
    from phonenumbers import timezone

    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    # Where zones agree, the one of the number's own country, else of its calling code's main country.
    regions = (
        phonenumbers.region_code_for_number(number),
        phonenumbers.region_code_for_country_code(number.country_code or 0),
    )
    preferred = tuple(zone for region in regions if region for zone in country_zones(region))
    return _agreed(timezone.time_zones_for_number(number), at, preferred)


def locale_country(locale: str | None) -> str | None:
    """The region of a BCP 47 tag: `tr-TR` -> `TR`, `zh-Hant-TW` -> `TW`; None without one."""
    for part in (locale or "").replace("_", "-").split("-")[1:]:
        if len(part) == 2 and part.isalpha():
            return part.upper()
    return None


def locale_zone(locale: str | None, at: datetime) -> str | None:
    """The zone of the locale's country, when the country keeps one wall clock."""
    country = locale_country(locale)
    return _agreed(country_zones(country), at) if country else None


def customer_zone(
    timezone: str | None, phone: str | None, locale: str | None, fallback: str, at: datetime
) -> str:
    """The customer's zone: their own, else their phone's, else their locale's, else `fallback`."""
    return valid_zone(timezone) or phone_zone(phone, at) or locale_zone(locale, at) or fallback
