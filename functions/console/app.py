"""GET /console and /console/{proxy+}: the lead console's static files (HTML, CSS, ES modules, i18n).

The files ship inside this function and are read once per container. A request names a file by its
path under static/; only paths in that set are served, so no request can reach outside static/.
Everything is revalidated (`no-cache` plus an ETag, 304 when unchanged): with no build step the file
names carry no version, and a long cache would mix the modules of two releases.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from recovery.observability import logger
from recovery.web.http import as_event_response, problem

STATIC = Path(__file__).parent / "static"
INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}
# Same origin only, no inline script or style: customer comments are hostile input, and the token
# in sessionStorage is worth stealing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


def load(root: Path) -> dict[str, Asset]:
    """Every servable file under root, keyed by its relative POSIX path."""
    assets: dict[str, Asset] = {}
    for path in sorted(root.rglob("*")):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        body = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:20]
        assets[path.relative_to(root).as_posix()] = Asset(body, content_type, f'"{digest}"')
    return assets


ASSETS = load(STATIC)


def requested(event: dict[str, Any]) -> str:
    """The file a request names: `/console` and `/console/` are the app page."""
    proxy = (event.get("pathParameters") or {}).get("proxy") or ""
    return proxy or INDEX


def unchanged(event: dict[str, Any], etag: str) -> bool:
    header = next((v for k, v in (event.get("headers") or {}).items() if k.lower() == "if-none-match"), "")
    candidates = {tag.strip().removeprefix("W/") for tag in str(header).split(",")}
    return etag in candidates or "*" in candidates


def serve(event: dict[str, Any]) -> dict[str, Any]:
    asset = ASSETS.get(requested(event))
    if asset is None:
        missing = problem(404, "Not found", "there is no such console page or file", headers=SECURITY_HEADERS)
        return as_event_response(missing)
    headers = {**SECURITY_HEADERS, "Cache-Control": CACHE_CONTROL, "ETag": asset.etag}
    if unchanged(event, asset.etag):
        return {"statusCode": 304, "headers": headers, "body": "", "isBase64Encoded": False}
    headers["Content-Type"] = asset.content_type
    return {"statusCode": 200, "headers": headers, "body": asset.body, "isBase64Encoded": False}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return serve(event)
