"""The OpenAPI document and Swagger UI, built on request.

Powertools' `enable_swagger` imports its OpenAPI models (~85 ms) when the function loads. Every API
function would pay that on each cold start for a page almost nobody opens, so these two routes build the
document only when asked. The Swagger UI assets are the ones Powertools ships, inlined: no CDN.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response

TITLE = "Recovery Loop API"
VERSION = "1"


def openapi_json(app: Any, description: str) -> str:
    document: str = app.get_openapi_json_schema(title=TITLE, version=VERSION, description=description)
    return document


@cache
def _assets() -> tuple[str, str]:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    folder = Path(swagger_ui.__file__).parent
    js = (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = (folder / "swagger-ui.min.css").read_text(encoding="utf-8")
    return js, css


def swagger_page(app: Any, description: str) -> Response[str]:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    spec = openapi_json(app, description).replace("</", "<\\/")  # keep the JSON inside its <script>
    js, css = _assets()
    html = generate_swagger_html(spec, js, css, swagger_base_url="", oauth2_config=None)
    return Response(200, "text/html", html)
