"""A score's and a channel's words in the reader's language: "thumbs down" is "tommel ned" in a
Norwegian subject, and the channel "in_person" reads "Personlig oppmøte".

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


# The interaction channels the survey tools send most; another channel is shown as it came.
_CHANNELS: dict[str, dict[str, str]] = {
    "phone": {"en": "Phone", "de": "Telefon", "nb": "Telefon", "ja": "電話", "zh": "电话", "tr": "Telefon"},
    "email": {
        "en": "Email",
        "de": "E-Mail",
        "nb": "E-post",
        "ja": "メール",
        "zh": "电子邮件",
        "tr": "E-posta",
    },
    "sms": {"en": "SMS", "de": "SMS", "nb": "SMS", "ja": "SMS", "zh": "短信", "tr": "SMS"},
    "chat": {"en": "Chat", "de": "Chat", "nb": "Chat", "ja": "チャット", "zh": "在线聊天", "tr": "Sohbet"},
    "in_person": {
        "en": "In person",
        "de": "Persönlich",
        "nb": "Personlig oppmøte",
        "ja": "対面",
        "zh": "当面",
        "tr": "Yüz yüze",
    },
    "web": {"en": "Web", "de": "Web", "nb": "Nett", "ja": "ウェブ", "zh": "网页", "tr": "Web"},
    "app": {"en": "App", "de": "App", "nb": "App", "ja": "アプリ", "zh": "应用", "tr": "Uygulama"},
}


def channel_words(channel: str | None, language: str) -> str | None:
    """A known channel (`in_person`) in `language`, the same words as the console's; others unchanged."""
    if channel is None:
        return None
    words = _CHANNELS.get(channel.strip().lower())
    return words.get(language, words["en"]) if words else channel
