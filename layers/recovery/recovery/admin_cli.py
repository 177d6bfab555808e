"""Command line for the admin API: teams and routing, and customers' data, locally or on a deployed stack.

    python -m recovery.admin_cli --url http://127.0.0.1:3000 --key rla_... alerting get
    python -m recovery.admin_cli --url https://... --key rla_... alerting put config/teams.yaml
    python -m recovery.admin_cli customers export c-42            (or: --by email a@example.com)
    python -m recovery.admin_cli customers erase +4791234567 --by phone

`put` reads YAML or JSON, sends it whole, and prints the server's refusal (naming the bad key) if it
refuses; the configuration in force then stays as it was. `--url` and `--key` default to the
environment (RECOVERY_API_URL, RECOVERY_ADMIN_KEY), then to `.local/runtime.json` of `make run`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml


def _defaults() -> tuple[str | None, str | None]:
    url, key = os.environ.get("RECOVERY_API_URL"), os.environ.get("RECOVERY_ADMIN_KEY")
    started = Path(".local/runtime.json")
    if (url is None or key is None) and started.exists():
        details = json.loads(started.read_text(encoding="utf-8"))
        url, key = url or details.get("api_url"), key or details.get("admin_key")
    return url, key


def _request(method: str, url: str, key: str, body: Any = None, etag: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if etag:
        headers["If-Match"] = etag
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def main(argv: list[str] | None = None) -> int:
    url, key = _defaults()
    parser = argparse.ArgumentParser(prog="python -m recovery.admin_cli", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=url, help="API base URL")
    parser.add_argument("--key", default=key, help="admin key (rla_...)")
    sub = parser.add_subparsers(dest="area", required=True)
    alerting = sub.add_parser("alerting", help="teams and routing")
    alerting.add_argument("action", choices=["get", "put"])
    alerting.add_argument("file", nargs="?", type=Path, help="YAML or JSON document, for put")
    alerting.add_argument("--if-match", help="replace only over this version (the ETag of a get)")
    customers = sub.add_parser("customers", help="a customer's data: export it, or erase it")
    customers.add_argument("action", choices=["export", "erase"])
    customers.add_argument("customer", help="the customer as the survey tool knows them")
    customers.add_argument("--by", choices=["id", "email", "phone"], default="id", help="what `customer` is")
    args = parser.parse_args(argv)
    if not args.url or not args.key:
        parser.error(
            "--url and --key are needed (or RECOVERY_API_URL / RECOVERY_ADMIN_KEY, or .local/runtime.json)"
        )
    if not str(args.url).startswith(("http://", "https://")):
        parser.error("--url must be an http(s) URL")
    base = str(args.url).rstrip("/")
    if args.area == "customers":
        customer = urllib.parse.quote(args.customer, safe="")
        endpoint = f"{base}/v1/admin/customers/{customer}?by={args.by}"
        status, body = _request("GET" if args.action == "export" else "DELETE", endpoint, args.key)
        return _show(status, body)
    endpoint = f"{base}/v1/admin/alerting"
    if args.action == "get":
        status, body = _request("GET", endpoint, args.key)
    else:
        if args.file is None:
            parser.error("put needs a file")
        document = yaml.safe_load(args.file.read_text(encoding="utf-8"))
        status, body = _request("PUT", endpoint, args.key, document, args.if_match)
    return _show(status, body)


def _show(status: int, body: Any) -> int:
    print(json.dumps(body, indent=2, ensure_ascii=False))
    if status >= 400:
        print(f"error {status}: {(body or {}).get('detail', '')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
