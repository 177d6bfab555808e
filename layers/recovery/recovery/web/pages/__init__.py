"""Small server-rendered pages (Jinja2, autoescaped): what a lead sees after tapping a link, and the
customer's survey and follow-up pages with their wording in each language.

Every value a page prints is made safe to show (`recovery.notify.display.printed`): a bidi override or a
zero width character in a name or a team reaches the reader as a visible marker, and the templates isolate
such values in `<bdi>`. The `phrase` filter fills a sentence of wording with values isolated the same
way. What a form sends back (a comment shown again after a mistake, a hidden field) is printed with the
`verbatim` filter: exactly as it came, since the next submission stores it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response

TEMPLATES = Path(__file__).parent / "templates"
# A link's code is in the URL: never leak it as a referrer, never cache, never frame.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


@cache
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from recovery.notify.display import phrase, printed, verbatim

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        finalize=printed,
    )
    environment.filters["phrase"] = phrase
    environment.filters["verbatim"] = verbatim
    return environment


@cache
def wording(folder: str, language: str) -> dict[str, str]:
    """A page's wording in a supported language: `templates/<folder>/<language>.json`."""
    loaded: dict[str, str] = json.loads((TEMPLATES / folder / f"{language}.json").read_text("utf-8"))
    return loaded


def page(status: int, template: str, **context: Any) -> Response[str]:
    html = _environment().get_template(template).render(**context)
    return Response(status, "text/html; charset=utf-8", html, headers=dict(HEADERS))
