"""The OpenAPI document and Swagger UI.

The document covers every route of the HTTP API, which several functions serve. It is generated at
build time from all of their resolvers (`python -m tools.openapi`) into a JSON file that ships with the
function serving it, so serving it imports no other function's code and none of Powertools' OpenAPI
models: the routes read the file once per container. A unit test fails when the file is out of date or
misses a route of template.yaml. The Swagger UI assets are the ones Powertools ships, inlined: no CDN.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response


@cache
def document_text(path: Path) -> str:
    """The generated document, read once per container."""
    return path.read_text(encoding="utf-8")


def openapi_response(path: Path) -> Response[str]:
    return Response(200, "application/json", document_text(path))


@cache
def _assets() -> tuple[str, str]:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    folder = Path(swagger_ui.__file__).parent
    js = (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = (folder / "swagger-ui.min.css").read_text(encoding="utf-8")
    return js, css


@cache
def _page(path: Path) -> str:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    spec = document_text(path).replace("</", "<\\/")  # keep the JSON inside its <script>
    js, css = _assets()
    return generate_swagger_html(spec, js, css, swagger_base_url="", oauth2_config=None)


def swagger_page(path: Path) -> Response[str]:
    return Response(200, "text/html", _page(path))
