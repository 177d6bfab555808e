"""A score's words in the reader's language: "thumbs down" is "tommel ned" in a Norwegian subject.

The alert service writes a score once, in English (`services.alerts.score_text`: "NPS 3/10", "thumbs
down", "Stars 2/5", "no score"); each recipient's message shows it in their own language. Scale names that
are the same everywhere (NPS, CSAT, CES) and numbers stay as they are.
"""

from __future__ import annotations

import re

# English words -> each language's. Every language of the templates has every word.
_WORDS: dict[str, dict[str, str]] = {
    "thumbs down": {
        "en": "thumbs down",
        "de": "Daumen runter",
        "nb": "tommel ned",
        "ja": "低評価",
        "zh": "差评",
        "tr": "beğenmedi",
    },
    "thumbs up": {
        "en": "thumbs up",
        "de": "Daumen hoch",
        "nb": "tommel opp",
        "ja": "高評価",
        "zh": "好评",
        "tr": "beğendi",
    },
    "no score": {
        "en": "no score",
        "de": "keine Bewertung",
        "nb": "ingen vurdering",
        "ja": "評価なし",
        "zh": "无评分",
        "tr": "puan yok",
    },
}
_STARS = {"en": "Stars", "de": "Sterne", "nb": "Stjerner", "ja": "星", "zh": "星级", "tr": "Yıldız"}
_STARS_SCORE = re.compile(r"Stars (\S+/5)")


def score_words(score_text: str, language: str) -> str:
    """`score_text` (as the alert service wrote it) in `language` (a supported one; others read English)."""
    words = _WORDS.get(score_text)
    if words is not None:
        return words.get(language, score_text)
    stars = _STARS_SCORE.fullmatch(score_text)
    if stars is not None:
        return f"{_STARS.get(language, 'Stars')} {stars.group(1)}"
    return score_text
