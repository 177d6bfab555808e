"""Languages as survey tools send them, made BCP 47 tags (RFC 5646) for `customer.locale`.

Tools send codes in their own spellings: Qualtrics upper case with its own Chinese codes (`EN-GB`,
`PT-BR`, `ZH-S`, `ZH-T`, `NO`) and some three-letter codes (`KAT`, `TGL`), Formbricks an ISO code or
`default`, helpdesks a locale (`en_US`, `pt-br`) or the language's name (`English`, `Norsk`).
`bcp47` turns each into a canonical tag with langcodes (`standardize_tag`: case, `-` between subtags,
ISO 639-2/3 codes and retired codes made their current short ones), after Qualtrics' own codes and the
names are looked up, so `en_us` is `en-US`, `KAT` is `ka` and `ZH-S` is `zh-Hans`.

Norwegian stays `no` when that is what the tool sends: it is a valid tag, and the product's Norwegian
wording (Bokmål, `nb`) is what `no` and `nn` readers get (notify/render.py). A value that is no
language at all (`default`, `und`, a number, free text) gives None: the customer then has no locale and
is written to in English. An unreadable language never refuses a delivery.
"""

from __future__ import annotations

import re

import langcodes

MAX_LENGTH = 35  # the canonical model's limit for customer.locale

# Vendors' codes that are no BCP 47 tag at all (Qualtrics' Chinese).
_CODES = {"zh-s": "zh-Hans", "zh-t": "zh-Hant"}

# Languages by name, in English and in the language itself, for tools that send a name (Zendesk's
# `{{ticket.requester.language}}`). Compared case-insensitively.
_NAMES = {
    "english": "en",
    "english (united states)": "en-US",
    "english (us)": "en-US",
    "english (united kingdom)": "en-GB",
    "english (uk)": "en-GB",
    "norwegian": "no",
    "norsk": "no",
    "norwegian bokmål": "nb",
    "norwegian bokmal": "nb",
    "norsk bokmål": "nb",
    "norsk (bokmål)": "nb",
    "bokmål": "nb",
    "norwegian nynorsk": "nn",
    "nynorsk": "nn",
    "norsk nynorsk": "nn",
    "german": "de",
    "deutsch": "de",
    "japanese": "ja",
    "日本語": "ja",
    "chinese": "zh",
    "中文": "zh",
    "simplified chinese": "zh-Hans",
    "chinese (simplified)": "zh-Hans",
    "简体中文": "zh-Hans",
    "traditional chinese": "zh-Hant",
    "chinese (traditional)": "zh-Hant",
    "繁體中文": "zh-Hant",
    "turkish": "tr",
    "türkçe": "tr",
    "swedish": "sv",
    "svenska": "sv",
    "danish": "da",
    "dansk": "da",
    "finnish": "fi",
    "suomi": "fi",
    "icelandic": "is",
    "íslenska": "is",
    "dutch": "nl",
    "nederlands": "nl",
    "french": "fr",
    "français": "fr",
    "spanish": "es",
    "español": "es",
    "portuguese": "pt",
    "português": "pt",
    "brazilian portuguese": "pt-BR",
    "portuguese (brazil)": "pt-BR",
    "português (brasil)": "pt-BR",
    "italian": "it",
    "italiano": "it",
    "polish": "pl",
    "polski": "pl",
    "russian": "ru",
    "русский": "ru",
    "ukrainian": "uk",
    "українська": "uk",
    "korean": "ko",
    "한국어": "ko",
    "arabic": "ar",
    "العربية": "ar",
    "hebrew": "he",
    "עברית": "he",
}

# Tags that say "no particular language".
_NONE = frozenset({"default", "und", "mul", "mis", "zxx", "none", "null", "unknown"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def bcp47(value: object) -> str | None:
    """The BCP 47 tag for a vendor's language value, or None when it names no language."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    named = _NAMES.get(text.casefold())
    if named is not None:
        return named
    # POSIX locales carry a charset and a modifier: pt_BR.UTF-8, sr_RS@latin.
    code = re.split(r"[.@]", text, maxsplit=1)[0].replace("_", "-").lower()
    if code in _NONE:
        return None
    return _CODES.get(code) or _canonical(code)


def _canonical(code: str) -> str | None:
    # Extensions and private use (-u-ca-gregory, -x-...) are not needed to choose a language.
    parts = code.split("-")
    for index, part in enumerate(parts[1:], start=1):
        if len(part) == 1:
            parts = parts[:index]
            break
    if not _LANGUAGE.match(parts[0]):
        return None
    try:
        tag = langcodes.standardize_tag("-".join(parts))
    except (langcodes.tag_parser.LanguageTagError, ValueError):
        return None
    return tag if len(tag) <= MAX_LENGTH and tag.split("-")[0] not in _NONE else None
