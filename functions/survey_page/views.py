"""How the hosted feedback page looks: the form on the source's scale, with a language switcher that
keeps the link's parameters, and the short messages (thanks, unknown source, busy, unavailable)."""

from __future__ import annotations

from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response

from recovery.services.survey_page import COMMENT_MAX, SCALES, PageSource
from recovery.web.pages import page, wording

LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "nb": "Norsk",
    "ja": "日本語",
    "zh": "中文",
    "tr": "Türkçe",
}


def message(status: int, language: str, key: str, headers: dict[str, str] | None = None) -> Response[str]:
    t = wording("survey", language)
    response = page(
        status, "survey_message.html", lang=language, t=t, heading=t[f"{key}_title"], message=t[key]
    )
    response.headers.update(headers or {})
    return response


def form_page(
    status: int,
    source: PageSource,
    language: str,
    form: dict[str, str],
    params: dict[str, str],
    token: str,
    error: str | None = None,
) -> Response[str]:
    """The form; `token` is this rendering's form token, `error` the field to ask for again."""
    t = wording("survey", language)
    low, high = SCALES[source.score_type]
    path = f"/s/{source.source.source_id}"
    switcher = [
        (code, LANGUAGE_NAMES[code], f"{path}?{urlencode({**params, 'lang': code})}")
        for code in LANGUAGE_NAMES
    ]
    return page(
        status,
        "survey_form.html",
        lang=language,
        t=t,
        name=source.source.name,
        question=t[f"question_{source.score_type}"],
        choices=[str(value) for value in range(low, high + 1)],
        low=t[f"low_{source.score_type}"],
        high=t[f"high_{source.score_type}"],
        form={name: form.get(name, "") for name in ("score", "comment", "email", "phone")},
        params=params,
        token=token,
        error=t[f"error_{error}"].format(max=COMMENT_MAX) if error else None,
        error_field=error,
        comment_max=COMMENT_MAX,
        switcher=switcher,
    )
