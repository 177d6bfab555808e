"""Vendors' language values made BCP 47 tags; anything that names no language gives None."""

from __future__ import annotations

from typing import Any

import pytest

from recovery.domain.contacts import language
from recovery.domain.locales import bcp47


@pytest.mark.parametrize(
    ("sent", "tag"),
    [
        # Qualtrics userLanguage codes
        ("EN", "en"),
        ("EN-GB", "en-GB"),
        ("PT-BR", "pt-BR"),
        ("ZH-S", "zh-Hans"),
        ("ZH-T", "zh-Hant"),
        ("NO", "no"),
        ("ES-ES", "es-ES"),
        ("KAT", "ka"),
        ("TGL", "fil"),  # Tagalog: CLDR names it by Filipino's code
        ("PA-IN", "pa-IN"),
        # ISO codes and locales in other spellings
        ("en", "en"),
        ("nb-NO", "nb-NO"),
        ("en_us", "en-US"),
        ("pt-br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("sr-latn-rs", "sr-Latn-RS"),
        ("es-419", "es-419"),
        ("pt_BR.UTF-8", "pt-BR"),
        ("en-US-u-ca-gregory", "en-US"),
        ("iw", "he"),
        # names, in English and in the language itself
        ("Norwegian", "no"),
        ("Norsk", "no"),
        ("Norsk (bokmål)", "nb"),
        ("English", "en"),
        ("Deutsch", "de"),
        ("  japanese ", "ja"),
    ],
)
def test_vendor_codes_and_names_become_canonical_tags(sent: str, tag: str) -> None:
    # GIVEN a language value as a tool sends it WHEN normalised THEN it is the canonical tag
    assert bcp47(sent) == tag
    # AND the canonical feedback model accepts it
    assert language(tag) == tag


@pytest.mark.parametrize(
    "sent",
    ["default", "und", "", "   ", "12", "a", "abcd", "hello world", "x-klingon", "en--GB",
     "en-GB-" + "abcdefgh-" * 4, "ünïcode", "en-" + "a" * 40, 12, None, ["en"], {"code": "en"}, True],
)  # fmt: skip
def test_values_that_name_no_language_give_none(sent: Any) -> None:
    # GIVEN a value that is no language (Formbricks' "default", a number, free text)
    # WHEN normalised THEN there is no locale, and nothing raises
    assert bcp47(sent) is None
