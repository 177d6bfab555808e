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

TITLE = "Recovery Loop API"
# Swagger UI's own styles assume a desktop: on a phone, long paths and tables wrap instead of overflowing.
PHONE_CSS = (
    "<style>@media (max-width: 600px) {"
    " .swagger-ui .wrapper { padding: 0 8px; }"
    " .swagger-ui .opblock .opblock-summary { flex-wrap: wrap; }"
    " .swagger-ui .opblock .opblock-summary-path { word-break: break-all; max-width: 100%; }"
    " .swagger-ui .opblock-summary-description { flex-basis: 100%; }"
    " .swagger-ui table { display: block; overflow-x: auto; }"
    " .swagger-ui .info .title { font-size: 24px; }"
    " .swagger-ui .scheme-container .schemes { flex-wrap: wrap; }"
    " }</style>"
)


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
    html = generate_swagger_html(spec, js, css, swagger_base_url="", oauth2_config=None)
    # A phone lays the page out at its own width, not at a 980 px desktop's; the title names the API.
    head = (
        f'<head>\n    <meta name="viewport" content="width=device-width, initial-scale=1">\n    {PHONE_CSS}'
    )
    html = html.replace("<head>", head, 1).replace("<title>Swagger UI</title>", f"<title>{TITLE}</title>", 1)
    # The document's link names the route that serves it (this page answers HTML whatever its query).
    return html.replace(
        'currentUrl.pathname + "?format=json"', 'new URL("v1/openapi.json", currentUrl).pathname', 1
    )


def swagger_page(path: Path) -> Response[str]:
    return Response(200, "text/html", _page(path))
