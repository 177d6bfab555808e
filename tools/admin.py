"""Command line for the admin API: teams and routing, customers' data, survey-tool sources, outbound.

It works locally or on a deployed stack:

    python -m tools.admin --url http://127.0.0.1:3000 --key rla_... alerting get
    python -m tools.admin --url https://... --key rla_... alerting put config/teams.yaml
    python -m tools.admin alerting explain support-emea   (who is reached, per priority and level)
    python -m tools.admin customers export c-42            (or: --by email a@example.com)
    python -m tools.admin customers erase +4791234567 --by phone
    python -m tools.admin sources add examples/source.yaml   (prints the hook URL, secret and key once)
    python -m tools.admin sources rotate typeform-nps --what secret --window-hours 24
    python -m tools.admin sources add sm.yaml --secret-env SM_WEBHOOK_SECRET   (a secret of your own)
    printf %s "$SECRET" | python -m tools.admin sources rotate sm-csat --secret-from-stdin
    python -m tools.admin sources dry-run typeform-example examples/typeform-payload.json
    python -m tools.admin sources log typeform-nps --limit 20
    python -m tools.admin sources replay typeform-nps 20261122T100000123456Z-ab12cd34   (a refused delivery)
    python -m tools.admin sources dry-run typeform-nps --stored 20261122T100000123456Z-ab12cd34
    python -m tools.admin sources send typeform-nps payload.json --secret-env TYPEFORM_SECRET
                                                         (signed as the vendor signs, posted to the hook)
    python -m tools.admin outbound get                   (secrets shown as fingerprints)
    python -m tools.admin outbound put outbound.yaml     (a new endpoint's secret is printed once)

`put` reads YAML or JSON, sends it whole, and prints the server's refusal (naming the bad key) if it
refuses; the configuration in force then stays as it was. `--url` and `--key` default to the
environment (RECOVERY_API_URL, RECOVERY_ADMIN_KEY), then to `.local/runtime.json` of `make run`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from tools import cli


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
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"null")
        except ValueError:  # a proxy's or gateway's own page, not the API's problem document
            return error.code, {"detail": raw.decode("utf-8", "replace")[:200] or error.reason}


def build_parser(url: str | None = None, key: str | None = None) -> argparse.ArgumentParser:
    """The command line, with `url` and `key` as the defaults of --url and --key."""
    parser = argparse.ArgumentParser(prog="python -m tools.admin", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=url, help="API base URL")
    parser.add_argument("--key", default=key, help="admin key (rla_...)")
    sub = parser.add_subparsers(dest="area", required=True)
    alerting = sub.add_parser("alerting", help="teams and routing")
    alerting.add_argument("action", choices=["get", "put", "explain"])
    alerting.add_argument("file", nargs="?", help="put: the YAML or JSON document; explain: the team id")
    alerting.add_argument("--if-match", help="replace only over this version (the ETag of a get)")
    customers = sub.add_parser("customers", help="a customer's data: export it, or erase it")
    customers.add_argument("action", choices=["export", "erase"])
    customers.add_argument("customer", help="the customer as the survey tool knows them")
    customers.add_argument("--by", choices=["id", "email", "phone"], default="id", help="what `customer` is")
    sources = sub.add_parser(
        "sources", help="survey-tool sources: add, list, rotate, dry-run, send a test delivery, log, replay"
    )
    sources.add_argument("action", choices=["list", "add", "rotate", "dry-run", "send", "log", "replay"])
    sources.add_argument("source", nargs="?", help="source id, or for add a YAML/JSON file")
    sources.add_argument(
        "file", nargs="?", type=Path, help="dry-run, send: the payload file; replay: the entry id (see log)"
    )
    sources.add_argument("--stored", metavar="ENTRY", help="dry-run: a kept delivery's entry id, not a file")
    sources.add_argument("--what", choices=["secret", "key"], default="secret", help="rotate: what to rotate")
    sources.add_argument("--window-hours", type=int, default=24, help="rotate: old one valid this long")
    supplied = sources.add_mutually_exclusive_group()
    supplied.add_argument(
        "--secret-from-stdin", action="store_true", help="add/rotate: use the webhook secret read from stdin"
    )
    supplied.add_argument(
        "--secret-env", metavar="NAME", help="add/rotate: use the secret in this variable; send: sign with it"
    )
    sources.add_argument("--header", action="append", default=[], help="dry-run, send: a header, name=value")
    sources.add_argument(
        "--content-type", default="application/json", help="dry-run, send: the payload's type"
    )
    sources.add_argument("--limit", type=int, default=50, help="log: entries per page")
    sources.add_argument("--cursor", help="log: the cursor of the previous page")
    outbound = sub.add_parser("outbound", help="outbound webhook endpoints")
    outbound.add_argument("action", choices=["get", "put"])
    outbound.add_argument("file", nargs="?", type=Path, help="YAML or JSON document, for put")
    outbound.add_argument("--if-match", help="replace only over this version (the ETag of a get)")
    return parser


def main(argv: list[str] | None = None) -> int:
    url, key = _defaults()
    parser = build_parser(url, key)
    args = parser.parse_args(argv)
    if not args.url or not args.key:
        parser.error(
            "--url and --key are needed (or RECOVERY_API_URL / RECOVERY_ADMIN_KEY, or .local/runtime.json)"
        )
    if not str(args.url).startswith(("http://", "https://")):
        parser.error("--url must be an http(s) URL")
    base = str(args.url).rstrip("/")
    if args.area == "sources":
        return _sources(parser, args, base)
    if args.area == "customers":
        customer = urllib.parse.quote(args.customer, safe="")
        endpoint = f"{base}/v1/admin/customers/{customer}?by={args.by}"
        status, body = _request("GET" if args.action == "export" else "DELETE", endpoint, args.key)
        return _show(status, body)
    if args.area == "alerting" and args.action == "explain":
        return _explain(parser, args, base)
    endpoint = f"{base}/v1/admin/{args.area}"  # alerting or outbound: a whole document, read or replaced
    if args.action == "get":
        status, body = _request("GET", endpoint, args.key)
    else:
        if args.file is None:
            parser.error("put needs a file")
        document = yaml.safe_load(Path(args.file).read_text(encoding="utf-8"))
        status, body = _request("PUT", endpoint, args.key, document, args.if_match)
        if status < 400 and isinstance(body, dict) and body.get("generated_secrets"):
            print("Give each new secret to its receiver now: it is not shown again.", file=sys.stderr)
    return _show(status, body)


def _explain(parser: argparse.ArgumentParser, args: argparse.Namespace, base: str) -> int:
    """The stored teams' alert tiers as a matrix (docs/alert-tiers.md): per priority and level, who is
    reached in real time on which channels, who only in the daily digest, and where it falls through."""
    try:  # imported here: the other commands run without the package on the path
        from recovery.domain.routing import matrix_text, parse_config
    except ImportError:
        parser.error(
            "alerting explain reads the teams with layers/recovery: use make admin, or set PYTHONPATH"
        )
    if not args.file:
        parser.error("alerting explain needs a team id (or all)")
    status, body = _request("GET", f"{base}/v1/admin/alerting", args.key)
    if status >= 400:
        return _show(status, body)
    config = parse_config(body)
    teams = [team for team in config.teams if args.file in (team.id, "all")]
    if not teams:
        known = ", ".join(team.id for team in config.teams)
        print(f"error: no team {args.file!r} (teams: {known})", file=sys.stderr)
        return 1
    print("\n\n".join("\n".join(matrix_text(team)) for team in teams))
    return 0


def _sources(parser: argparse.ArgumentParser, args: argparse.Namespace, base: str) -> int:
    endpoint = f"{base}/v1/admin/sources"
    if args.action == "list":
        return _show(*_request("GET", endpoint, args.key))
    if not args.source:
        parser.error(f"sources {args.action} needs a source id (or, for add, a file)")
    if args.action == "send":
        return _send(parser, args, base)
    secret = _supplied_secret(parser, args)
    if args.action == "add":
        document = yaml.safe_load(Path(args.source).read_text(encoding="utf-8"))
        if secret is not None and isinstance(document, dict):
            document["secret"] = secret
        status, body = _request("POST", endpoint, args.key, document)
        if status < 400 and isinstance(body, dict) and body.get("next"):
            print(f"Store the key now: it is not shown again. Next: {body['next']}", file=sys.stderr)
        elif status < 400:
            print("Store the secret and key now: they are not shown again.", file=sys.stderr)
        return _show(status, body)
    source = f"{endpoint}/{urllib.parse.quote(args.source, safe='')}"
    if args.action == "rotate":
        rotation: dict[str, Any] = {"what": args.what, "window_hours": args.window_hours}
        if secret is not None:
            rotation["secret"] = secret
        return _show(*_request("POST", f"{source}/rotate", args.key, rotation))
    if args.action == "dry-run" and args.stored:
        return _dry_run(*_request("POST", f"{source}/dry-run", args.key, {"stored": args.stored}))
    if args.action == "dry-run":
        if args.file is None:
            parser.error("sources dry-run needs the payload file (or --stored ENTRY)")
        headers = dict(header.partition("=")[::2] for header in args.header)
        payload = {
            "body": args.file.read_text(encoding="utf-8"),
            "headers": headers,
            "content_type": args.content_type,
        }
        return _dry_run(*_request("POST", f"{source}/dry-run", args.key, payload))
    if args.action == "replay":
        if args.file is None:
            parser.error("sources replay needs the delivery's entry id (the `id` in `sources log`)")
        entry = urllib.parse.quote(str(args.file), safe="")
        return _show(*_request("POST", f"{source}/deliveries/{entry}/replay", args.key, {}))
    query = urllib.parse.urlencode({"limit": args.limit, **({"cursor": args.cursor} if args.cursor else {})})
    return _show(*_request("GET", f"{source}/deliveries?{query}", args.key))


def _send(parser: argparse.ArgumentParser, args: argparse.Namespace, base: str) -> int:
    """Sign a payload file's exact bytes as the source's survey tool would, with the source's scheme
    (read through `GET /v1/admin/sources/{id}`, resolved here) and the secret in `--secret-env`, and post
    it to the source's hook. Prints the hook's answer; non-zero when it is a 4xx or 5xx."""
    try:  # imported here: the other commands run without the package on the path
        from recovery.sources import config, signatures
    except ImportError:
        parser.error(
            "sources send reads the source's scheme with layers/recovery: use make admin, or set PYTHONPATH"
        )

    if args.file is None:
        parser.error("sources send needs the payload file")
    if not args.secret_env:
        parser.error("sources send needs the source's secret: --secret-env NAME (a variable holding it)")
    secret = os.environ.get(args.secret_env, "").strip()
    if not secret:
        parser.error(f"the environment variable {args.secret_env} is not set")
    source_id = urllib.parse.quote(args.source, safe="")
    status, described = _request("GET", f"{base}/v1/admin/sources/{source_id}", args.key)
    if status >= 400:
        return _show(status, described)
    if not described.get("hook_url"):
        print(f"error: source {args.source} has no webhook (it posts to /v1/feedback)", file=sys.stderr)
        return 1
    fields = ("id", "name", "preset", "options", "signature", "mapping")
    spec = config.parse_source({name: described[name] for name in fields if described.get(name) is not None})
    scheme = config.resolve(spec).signature
    raw = args.file.read_bytes()
    headers = {"Content-Type": args.content_type}
    headers |= dict(header.partition("=")[::2] for header in args.header)
    query = ""
    if isinstance(scheme, signatures.TokenScheme):
        query = "?" + urllib.parse.urlencode({scheme.parameter: secret})
    else:
        given = {name.lower() for name in headers}
        if "webhook-id" in scheme.headers_signed() and "webhook-id" not in given:
            headers["webhook-id"] = "msg_" + secrets.token_urlsafe(16)  # Standard Webhooks' delivery id
        try:
            if scheme.field is not None:  # the signature is a form field (Qualtrics' HMAC beside MSG)
                raw = signatures.signed_form(scheme, secret, raw, datetime.now(UTC))
            else:
                headers |= signatures.sign(scheme, secret, raw, headers, datetime.now(UTC))
        except ValueError as error:
            parser.error(f"{args.secret_env}: {error}")
    request = urllib.request.Request(  # noqa: S310 - http(s) only
        f"{base}/v1/hooks/{source_id}{query}", data=raw, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    print(f"the hook answered {status}", file=sys.stderr)
    try:
        return _show(status, json.loads(answer or b"null"))
    except ValueError:  # a proxy's or gateway's own page, not the API's answer
        return _show(status, {"detail": answer.decode("utf-8", "replace")[:200]})


def _supplied_secret(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The webhook secret given on stdin or in an environment variable (never on the command line, so
    it stays out of shell history), for add and rotate; None when none is given."""
    if not (args.secret_from_stdin or args.secret_env):
        return None
    if args.action not in ("add", "rotate") or (args.action == "rotate" and args.what != "secret"):
        parser.error("--secret-from-stdin and --secret-env are for add, and rotate --what secret")
    if args.secret_env:
        secret = os.environ.get(args.secret_env)
        if not secret:
            parser.error(f"the environment variable {args.secret_env} is not set")
        return secret.strip()
    secret = sys.stdin.readline().strip()
    if not secret:
        parser.error("no secret on stdin")
    return secret


def _dry_run(status: int, body: Any) -> int:
    """The dry run's answer as JSON (stdout), then its explanation in words (stderr)."""
    code = _show(status, body)
    explanation = body.get("explanation") if isinstance(body, dict) else None
    if isinstance(explanation, dict):
        print("\n".join(explained(explanation)), file=sys.stderr)
    return code


def explained(explanation: dict[str, Any]) -> list[str]:
    """The dry run's explanation, one line per field: what each expression read, and for an empty one
    the keys available where its path stopped."""
    lines = ["", "How the delivery was read:"]
    event = explanation.get("event")
    if isinstance(event, dict):
        lines.append(
            f"  event       {event.get('expression')} -> {json.dumps(event.get('value'), ensure_ascii=False)}"
            f": {event.get('action')} ({event.get('meaning', '')})"
        )
    for field in explanation.get("fields") or []:
        value = json.dumps(field.get("value"), ensure_ascii=False)
        lines.append(f"  {field.get('field'):<20} {field.get('expression')} -> {value}")
        reach = field.get("reach")
        if field.get("empty") and isinstance(reach, dict):
            missing = f", no {reach['missing']!r}" if reach.get("missing") is not None else ""
            if "keys" in reach:
                there = "keys: " + (", ".join(reach["keys"]) or "none")
            elif "items" in reach:
                there = f"a list of {reach['items']}, items with keys: " + ", ".join(
                    reach.get("item_keys") or []
                )
            else:
                there = f"a {reach.get('type')}"
            lines.append(f"  {'':<20}   empty: stopped at {reach.get('at')}{missing}; {there}")
    for where, keys in (explanation.get("keys") or {}).items():
        lines.append(f"  keys of {where}: {', '.join(keys) or 'none'}")
    lines += [f"Note: {warning}" for warning in explanation.get("warnings") or []]
    return lines


def _show(status: int, body: Any) -> int:
    print(json.dumps(body, indent=2, ensure_ascii=False))
    if status >= 400:
        print(f"error {status}: {(body or {}).get('detail', '')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    cli.run(main)
