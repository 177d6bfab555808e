"""QR codes for a source's hosted feedback page (`/s/{source_id}`), to print on receipts, tables and doors.

    python -m tools.qr demo-web                                  (or: make qr ARGS="demo-web")
    python -m tools.qr demo-web --store oslo-1 --agent mark --out qr/

Prints the page URL and writes `<name>.png` and `<name>.svg` (default name: the source id and the
parameters). `--url` is the API's base URL: the environment (RECOVERY_API_URL), then `.local/runtime.json`
of `make run`. URL parameters are checked as the page checks them, so a printed code never carries one
the page would drop.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

from recovery.services.survey_page import PARAMS, clean_params
from tools import cli

_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def page_url(base_url: str, source_id: str, params: dict[str, str]) -> str:
    """The hosted page's URL; raises ValueError for an id or a parameter the page would not accept."""
    if not _SOURCE_ID.match(source_id):
        raise ValueError(f"source id {source_id!r}: expected [a-z0-9][a-z0-9-]{{0,62}}")
    given = {name: value for name, value in params.items() if value is not None}
    kept = clean_params(given)
    for name in given.keys() - kept.keys():
        raise ValueError(f"--{name} {given[name]!r}: up to 64 letters, digits and . _ : / # @ + - or space")
    query = urlencode({name: kept[name] for name in PARAMS if name in kept})
    return f"{base_url.rstrip('/')}/s/{quote(source_id)}" + (f"?{query}" if query else "")


def write_codes(url: str, directory: Path, name: str, scale: int = 8) -> tuple[Path, Path]:
    """PNG and SVG of the URL's QR code (error correction M, the standard 4-module quiet zone)."""
    import segno  # only this command needs it: not part of the Lambda layer

    code = segno.make(url, error="m", micro=False)
    directory.mkdir(parents=True, exist_ok=True)
    png, svg = directory / f"{name}.png", directory / f"{name}.svg"
    code.save(str(png), scale=scale, border=4)
    code.save(str(svg), scale=scale, border=4, title=url)
    return png, svg


def _default_url() -> str | None:
    url = os.environ.get("RECOVERY_API_URL")
    started = Path(".local/runtime.json")
    if url is None and started.exists():
        url = json.loads(started.read_text(encoding="utf-8")).get("api_url")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.qr", description=__doc__.splitlines()[0])
    parser.add_argument("source_id")
    parser.add_argument("--url", default=None, help="the API's base URL")
    for name in PARAMS:
        parser.add_argument(f"--{name}", default=None, help=f"carried in the URL as {name}=")
    parser.add_argument("--out", type=Path, default=Path("qr"), help="directory for the files (./qr)")
    parser.add_argument("--name", default=None, help="file name without extension")
    args = parser.parse_args(argv)
    base = args.url or _default_url()
    if not base:
        parser.error("no --url, RECOVERY_API_URL or .local/runtime.json (start `make run` first)")
    params = {name: getattr(args, name) for name in PARAMS}
    try:
        url = page_url(base, args.source_id, params)
    except ValueError as error:
        parser.error(str(error))
    name = args.name or "-".join(
        [args.source_id, *(re.sub(r"[^A-Za-z0-9]+", "_", v) for v in params.values() if v)]
    )
    png, svg = write_codes(url, args.out, name)
    print(url)
    print(f"wrote {png} and {svg}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    cli.run(main)
