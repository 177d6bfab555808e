"""GET /f/{code}: the follow-up form in the customer's language (a GET changes nothing);
POST /f/{code}: the customer's answer, which closes the loop on the case."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

import recovery.web.pages
from recovery import clock
from recovery.domain.feedback import CustomScore, Score
from recovery.domain.links import Verdict
from recovery.notify.render import language_of
from recovery.observability import logger, metrics
from recovery.services.follow_up import COMMENT_MAX, BadAnswer, View
from recovery.web.pages import page
from recovery.wiring.follow_up import build_follow_ups
from recovery.wiring.messaging import MessagingSettings

followups = build_follow_ups(MessagingSettings.from_env())
app = APIGatewayHttpResolver()

BODY_MAX = 16 * 1024  # a filled-in form is far smaller; anything larger is refused unread
STRINGS = Path(recovery.web.pages.__file__).parent / "templates" / "followup"
FIELDS = ("score", "satisfied", "comment")
SCALES = {"nps": (0, 10), "csat": (1, 5), "stars": (1, 5), "ces": (1, 7)}
REFUSED = {
    Verdict.UNKNOWN: "unknown",
    Verdict.WRONG_PURPOSE: "unknown",
    Verdict.EXPIRED: "expired",
    Verdict.USED: "used",
}


@cache
def strings(language: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((STRINGS / f"{language}.json").read_text("utf-8"))
    return loaded


def _visitor_language() -> str:
    """For a page without a known customer: the browser's first supported language."""
    header = app.current_event.headers.get("accept-language") or ""
    for part in header.split(","):
        tag = part.split(";", 1)[0].strip()
        primary = tag.split("-", 1)[0].lower()
        if primary == "en" or (primary and language_of(tag) != "en"):
            return language_of(tag)
    return "en"


def _message(status: int, language: str, key: str) -> Response[str]:
    t = strings(language)
    return page(
        status, "followup_message.html", lang=language, t=t, heading=t[f"{key}_title"], message=t[key]
    )


def _refused(verdict: Verdict, view: View | None) -> Response[str]:
    """403 for a code that grants nothing here, 410 for one that no longer does. The customer's own
    language once the code is known to be theirs, else the browser's."""
    status = verdict.http_status if verdict is not Verdict.OK else 403
    language = language_of(view.language) if view is not None else _visitor_language()
    return _message(status, language, REFUSED.get(verdict, "unknown"))


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
    low, high = (score.min, score.max) if score.higher_is_better else (score.max, score.min)
    numbers = {"min": _number(score.min), "max": _number(score.max)}
    whole = score.min.is_integer() and score.max.is_integer() and score.max - score.min <= 10
    choices = []
    if whole:
        step = 1 if score.higher_is_better else -1
        choices = [(str(v), str(v), None) for v in range(int(low), int(high) + step, step)]
    return {
        "question": t["question_custom"],
        "choices": choices,
        "low": _number(low) if choices else None,
        "high": _number(high) if choices else None,
        "number": numbers,
    }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _form_page(
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


def _form_fields() -> dict[str, str] | None:
    body = app.current_event.decoded_body or ""
    if len(body) > BODY_MAX:
        return None
    fields = parse_qs(body, keep_blank_values=True, max_num_fields=10)
    return {name: values[0] for name, values in fields.items() if values and name in FIELDS}


@app.get("/f/<code>")
def show(code: str) -> Response[str]:
    verdict, view = followups.inspect(code, clock.now())
    if verdict is not Verdict.OK or view is None:
        return _refused(verdict, view)
    return _form_page(200, view, {})


@app.post("/f/<code>")
def submit(code: str) -> Response[str]:
    now = clock.now()
    verdict, view = followups.inspect(code, now)
    if verdict is not Verdict.OK or view is None:
        return _refused(verdict, view)
    try:
        form = _form_fields()
    except ValueError:
        form = None
    if form is None:
        return _form_page(400, view, {}, {"score": strings(language_of(view.language))["error_score"]})
    try:
        verdict, view, outcome = followups.answer(code, form, now, inspected=(verdict, view))
    except BadAnswer as error:
        t = strings(language_of(view.language))
        message = t[f"error_{error.field}"].format(max=COMMENT_MAX)
        return _form_page(400, view, form, {error.field: message})
    if verdict is not Verdict.OK or view is None:
        return _refused(verdict, view)
    logger.info("follow-up answered", extra={"case_id": view.followup.case_id, "outcome": outcome})
    return _message(200, language_of(view.language), "thanks")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
