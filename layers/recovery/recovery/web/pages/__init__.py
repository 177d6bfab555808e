"""Small server-rendered pages (Jinja2, autoescaped): what a lead sees after tapping a link."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response

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

    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )


def page(status: int, template: str, **context: Any) -> Response[str]:
    html = _environment().get_template(template).render(**context)
    return Response(status, "text/html; charset=utf-8", html, headers=dict(HEADERS))
