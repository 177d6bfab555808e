"""How the follow-up pages look: the form, asking again on the original score's scale, and the short
messages (thanks, or why a link is refused). Always in the customer's language once it is known."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from recovery.domain.feedback import CustomScore, Score
from recovery.domain.links import Verdict
from recovery.notify.render import language_of
from recovery.services.follow_up import COMMENT_MAX, View
from recovery.web.pages import page, wording

FIELDS = ("score", "satisfied", "comment")
SCALES = {"nps": (0, 10), "csat": (1, 5), "stars": (1, 5), "ces": (1, 7)}
REFUSED = {
    Verdict.UNKNOWN: "unknown",
    Verdict.WRONG_PURPOSE: "unknown",
    Verdict.EXPIRED: "expired",
    Verdict.USED: "used",
}


def strings(language: str) -> dict[str, str]:
    return wording("followup", language)


def message(status: int, language: str, key: str) -> Response[str]:
    t = strings(language)
    return page(
        status, "followup_message.html", lang=language, t=t, heading=t[f"{key}_title"], message=t[key]
    )


def refused(verdict: Verdict, view: View | None, visitor_language: str) -> Response[str]:
    """403 for a code that grants nothing here, 410 for one that no longer does. The customer's own
    language once the code is known to be theirs, else the browser's (`visitor_language`)."""
    status = verdict.http_status if verdict is not Verdict.OK else 403
    language = language_of(view.language) if view is not None else visitor_language
    return message(status, language, REFUSED.get(verdict, "unknown"))


def form_page(
    status: int, view: View, form: dict[str, str], errors: dict[str, str] | None = None
) -> Response[str]:
    language = language_of(view.language)
    t = strings(language)
    return page(
        status,
        "followup_form.html",
        lang=language,
        t=t,
        form={name: form.get(name, "") for name in FIELDS},
        errors=errors or {},
        comment_max=COMMENT_MAX,
        comment_hint=t["comment_hint"].format(max=COMMENT_MAX),
        **_scale(view.score, t),
    )


def error(view: View, field: str) -> dict[str, str]:
    """The form's message for a bad `field`, in the customer's language."""
    return {field: strings(language_of(view.language))[f"error_{field}"].format(max=COMMENT_MAX)}


def _scale(score: Score, t: dict[str, str]) -> dict[str, Any]:
    """The question and its choices on the original score's scale."""
    if score.type in SCALES:
        low, high = SCALES[score.type]
        choices = [(str(value), str(value), None) for value in range(low, high + 1)]
        return {
            "question": t[f"question_{score.type}"],
            "choices": choices,
            "low": t[f"low_{score.type}"],
            "high": t[f"high_{score.type}"],
            "number": None,
        }
    if score.type == "thumbs":
        return {
            "question": t["question_thumbs"],
            "choices": [
                ("up", "👍 " + t["thumbs_up"], t["thumbs_up"]),
                ("down", "👎 " + t["thumbs_down"], t["thumbs_down"]),
            ],
            "low": None,
            "high": None,
            "number": None,
        }
    assert isinstance(score, CustomScore)
    worst, best = (score.min, score.max) if score.higher_is_better else (score.max, score.min)
    numbers = {"min": _number(score.min), "max": _number(score.max)}
    whole = score.min.is_integer() and score.max.is_integer() and score.max - score.min <= 10
    choices = []
    if whole:
        step = 1 if score.higher_is_better else -1
        choices = [(str(v), str(v), None) for v in range(int(worst), int(best) + step, step)]
    return {
        "question": t["question_custom"],
        "choices": choices,
        "low": _number(worst) if choices else None,
        "high": _number(best) if choices else None,
        "number": numbers,
    }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
