"""Text signals in customer comments, in English, German, Norwegian, Japanese, Chinese and Turkish.

Two kinds: *severe* (legal threats, safety, leaving) and *complaint* (plain dissatisfaction). Latin-script
terms match at the start of a word, so a stem like "cancel" also finds "cancelled"; CJK terms match
anywhere, since those scripts do not separate words. Negation ("not rude") is not understood: a signal
only ever raises attention, it never lowers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum


class Signal(StrEnum):
    LEGAL = "legal"
    SAFETY = "safety"
    CANCEL = "cancel"
    COMPLAINT = "complaint"


SEVERE = frozenset({Signal.LEGAL, Signal.SAFETY, Signal.CANCEL})

# Stems, lower case; a trailing "$" means the whole word.
# Keep each list short and unambiguous: a false alarm costs a lead's attention.
_TERMS: dict[Signal, dict[str, tuple[str, ...]]] = {
    Signal.LEGAL: {
        "en": (
            "lawyer",
            "attorney",
            "sue you",
            "sue the",
            "will sue",
            "suing",
            "lawsuit",
            "legal action",
            "court$",
            "ombudsman",
        ),
        "de": (
            "anwalt",
            "anwältin",
            "klage",
            "verklagen",
            "rechtliche schritte",
            "gericht",
            "verbraucherschutz",
        ),
        "nb": ("advokat", "saksøk", "rettssak", "forbrukerrådet", "forbrukertilsynet", "juridiske skritt"),
        "tr": ("avukat", "dava$", "davacı", "mahkeme", "tüketici hakem"),
        "cjk": ("弁護士", "訴え", "訴訟", "裁判", "律师", "起诉", "诉讼", "法院", "投诉到"),
    },
    Signal.SAFETY: {
        "en": ("unsafe", "dangerous", "injur", "hurt me", "burned", "allergic reaction", "food poisoning"),
        "de": ("gefährlich", "verletz", "unsicher", "lebensmittelvergiftung", "allergische reaktion"),
        "nb": ("farlig", "skadet", "skade på", "matforgiftning", "allergisk reaksjon", "utrygg"),
        "tr": ("tehlikeli", "yaralan", "zehirlen", "güvensiz", "alerjik reaksiyon"),
        "cjk": ("危険", "怪我", "食中毒", "危险", "受伤", "中毒", "不安全"),
    },
    Signal.CANCEL: {
        "en": ("cancel", "close my account", "switching to", "never again", "unsubscrib", "terminate"),
        "de": ("kündig", "storn", "nie wieder", "konto schließen", "wechsle zu"),
        "nb": ("si opp", "sier opp", "avslutt", "kansell", "aldri igjen", "bytter til"),
        "tr": ("iptal", "aboneliğimi", "bir daha asla", "hesabımı kapat"),
        "cjk": ("解約", "キャンセル", "退会", "二度と", "取消", "退订", "注销", "再也不"),
    },
    Signal.COMPLAINT: {
        "en": (
            "rude",
            "waited",
            "waiting",
            "nobody answered",
            "no one answered",
            "no answer",
            "terrible",
            "awful",
            "worst",
            "disappoint",
            "unacceptable",
            "useless",
            "horrible",
            "broken",
            "complain",
            "refund",
            "ignored",
        ),
        "de": (
            "unfreundlich",
            "gewartet",
            "wartezeit",
            "niemand",
            "schrecklich",
            "furchtbar",
            "enttäusch",
            "inakzeptabel",
            "unverschämt",
            "kaputt",
            "beschwer",
            "katastrophe",
            "schlecht",
        ),
        "nb": (
            "frekk",
            "uhøflig",
            "ventet",
            "ventetid",
            "ingen svarte",
            "ingen svar",
            "forferdelig",
            "elendig",
            "skuffet",
            "skuffende",
            "uakseptabel",
            "ødelagt",
            "klage",
            "dårlig",
        ),
        "tr": (
            "kaba$",
            "bekledim",
            "bekleme",
            "kimse",
            "berbat",
            "rezalet",
            "hayal kırıklığı",
            "kabul edilemez",
            "bozuk",
            "şikayet",
            "şikâyet",
            "kötü",
        ),
        "cjk": (
            "失礼",
            "待た",
            "誰も",
            "最悪",
            "ひどい",
            "酷い",
            "がっかり",
            "壊れ",
            "苦情",
            "不満",
            "粗鲁",
            "等了",
            "没人",
            "没有人",
            "太差",
            "最差",
            "失望",
            "糟糕",
            "坏了",
            "投诉",
            "不满",
        ),
    },
}


def _latin(term: str) -> str:
    # A trailing "$" marks a whole word: "court$" must not find "courtesy".
    return re.escape(term[:-1]) + r"(?!\w)" if term.endswith("$") else re.escape(term)


def _compile(terms: Iterable[str], cjk: Iterable[str]) -> re.Pattern[str]:
    latin = "|".join(_latin(term) for term in sorted(terms, key=len, reverse=True))
    ideographic = "|".join(re.escape(term) for term in cjk)
    return re.compile(rf"(?<!\w)(?:{latin})|(?:{ideographic})")


_PATTERNS: dict[Signal, re.Pattern[str]] = {
    signal: _compile(
        (term for lang, terms in by_lang.items() if lang != "cjk" for term in terms),
        by_lang["cjk"],
    )
    for signal, by_lang in _TERMS.items()
}


def normalise(text: str) -> str:
    # Turkish dotted capital I folds to "i" + a combining dot; plain "i" keeps stems matching.
    return text.replace("İ", "i").casefold()


def find(text: str | None) -> frozenset[Signal]:
    """The signals present in a comment."""
    if not text:
        return frozenset()
    folded = normalise(text)
    return frozenset(signal for signal, pattern in _PATTERNS.items() if pattern.search(folded))
