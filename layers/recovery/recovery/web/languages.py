"""The visitor's language from `Accept-Language`, for a page that knows nothing better about them (a
known customer or contact reads their own language instead)."""

from __future__ import annotations

from recovery.notify.render import language_of


def preferred_language(accept_language: str | None) -> str:
    """The first of the supported languages the header names, in its order (q-values aside), else English."""
    for part in (accept_language or "").split(","):
        tag = part.split(";", 1)[0].strip()
        primary = tag.replace("_", "-").split("-", 1)[0].lower()
        if primary == "en" or (primary and language_of(tag) != "en"):
            return language_of(tag)
    return "en"
