"""The API's OpenAPI document, generated from every API function's routes.

    python -m tools.openapi            writes functions/ingest/openapi.json
    python -m tools.openapi --check    exits 1 when the committed file differs from what the code gives

The HTTP API is served by several functions, each its own deployment package with its own Powertools
resolver. The ingest function serves `GET /v1/openapi.json` and `/docs`, but it must not import the
other functions' code (its cold start is budgeted, and they are not in its package). So the document is
built here, at build time, from each function's resolver (imported as Lambda would, with placeholder
settings and no AWS), merged, and completed with what the resolvers do not say: the routes served
without a resolver (vendor hooks, the console's files), security schemes, query parameters, request
models and examples. The result is committed beside the ingest function, which serves the file as it
is; a unit test fails when the committed file is not what this tool generates, and another when a route
of template.yaml is missing from it.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools import cli

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "functions" / "ingest" / "openapi.json"
TITLE = "Recovery Loop API"
VERSION = "1"
DESCRIPTION = """Recovery Loop finds unhappy customers the moment they say so and gets the right lead on it.

Who calls what:
- **Survey tools** send feedback with `Authorization: Bearer <source key>` (`sourceKey`), or deliver
  their own webhooks to `/v1/hooks/{source_id}`, checked by the source's signature.
- **Leads** sign in (`POST /v1/session`) and call the cases and reports API with the ID token as
  `Authorization: Bearer <JWT>` (`leadJwt`).
- **Ops and deploy pipelines** call `/v1/admin/...` and `POST /v1/markers` with the admin key,
  `Authorization: Bearer <admin key>` (`adminKey`).
- **Customers and leads from a message** open the pages `/s`, `/a`, `/c`, `/f` and `/u`: the link's
  code is the credential.

Errors are `application/problem+json` documents (RFC 9457) naming the problem, with JSON Pointers to
the fields at fault. Writes to a case take `If-Match` with the ETag of its last GET; a stale one gets 412.
"""

# Placeholder settings: importing a function builds its services lazily from these; nothing calls AWS.
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "placeholder",
    "AWS_SECRET_ACCESS_KEY": "placeholder",
    "TABLE_NAME": "recovery",
    "EVENT_BUS_NAME": "recovery",
    "PII_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:pii",
    "FEEDBACK_RETENTION_DAYS": "400",
    "ENVIRONMENT": "dev",
    "POWERTOOLS_SERVICE_NAME": "recovery-loop",
    "POWERTOOLS_METRICS_NAMESPACE": "RecoveryLoop",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "PUBLIC_BASE_URL": "https://feedback.example.com",
    "SENDER_ADDRESS": "alerts@example.com",
    "USER_POOL_CLIENT_ID": "placeholder",
    "SLACK_SECRET": "recovery-loop/dev/slack",
}

SECURITY_SCHEMES = {
    "sourceKey": {
        "type": "http",
        "scheme": "bearer",
        "description": 'A survey source\'s API key (`make admin ARGS="sources add ..."` prints it once).',
    },
    "leadJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A lead's Cognito ID token, from `POST /v1/session` or the hosted sign-in.",
    },
    "adminKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "The admin key (stored hashed; `make bootstrap` creates it).",
    },
}
TAGS = {
    "IngestFunction": "intake",
    "HooksFunction": "intake",
    "SurveyPageFunction": "pages",
    "AckFunction": "pages",
    "FollowupPageFunction": "pages",
    "UnsubscribeFunction": "pages",
    "CasesFunction": "cases",
    "ConsoleFunction": "console",
    "ReportsFunction": "reports",
    "AdminFunction": "admin",
    "SlackFunction": "slack",
}
TAG_DESCRIPTIONS = {
    "intake": "Feedback from survey tools: canonical JSON, batches and vendor webhooks.",
    "cases": "Sign-in, a lead's queue, a case and every change to it; sources' delivery logs.",
    "reports": "Metrics, breakdowns, trends, the dashboard, anomalies; release markers.",
    "admin": "Teams and routing, sources, outbound webhooks, customers' data (export, erase).",
    "pages": "Pages opened from a link: survey, acknowledge, approve, follow-up, unsubscribe.",
    "console": "The leads' web console (static files).",
    "slack": "Slack interactivity: a lead's button press on a Slack alert, signed by Slack.",
}

PROBLEM = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
    "example": {
        "type": "about:blank",
        "title": "Invalid request",
        "status": 400,
        "detail": "priority must be P1, P2, P3 or P4",
        "errors": [{"pointer": "/priority", "detail": "priority must be P1, P2, P3 or P4"}],
    },
}
JSON_OBJECT = {"type": "object", "additionalProperties": True}
HTML = {"text/html": {"schema": {"type": "string"}}}
FORM = {
    "application/x-www-form-urlencoded": {
        "schema": {"type": "object", "additionalProperties": {"type": "string"}}
    }
}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _header(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


PAGING = [
    _query("limit", "Items per page (1-100).", {"type": "integer", "minimum": 1, "maximum": 100}),
    _query("cursor", "The `next_cursor` of the previous page."),
]
DATES = [
    _query("team", "A team id (a lead's own teams; `all` for admins). Default: the lead's first team."),
    _query(
        "from",
        "First local date, inclusive (default: 29 days before `to`).",
        {"type": "string", "format": "date"},
    ),
    _query(
        "to",
        "Last local date, inclusive (default: today in the team's zone).",
        {"type": "string", "format": "date"},
    ),
]
REPORT_FILTERS = [
    _query(
        "by",
        "summary: a breakdown",
        {
            "type": "string",
            "enum": [
                "agent",
                "tag",
                "cause",
                "channel",
                "source",
                "comptype",
                "hour",
                "weekday",
                "team",
                "category",
            ],
        },
    ),
    _query("interval", "trend: the period of each point", {"type": "string", "enum": ["day", "week"]}),
    _query("group", "dashboard: the control chart's group, `tag:<value>` or `agent:<value>`"),
    _query(
        "step",
        "cases: how far down the funnel",
        {
            "type": "string",
            "enum": [
                "negative",
                "alerted",
                "acknowledged",
                "resolved",
                "followed_up",
                "answered",
                "recovered",
            ],
        },
    ),
    *[_query(name, f"cases: only this {name}") for name in ("agent", "tag", "channel", "source", "cause")],
    _query("score", "cases: a rating, `<type>:<value>` (`nps:9`)"),
    _query(
        "when",
        "cases: the rating `before` or `after` recovery",
        {"type": "string", "enum": ["before", "after"]},
    ),
    _query("weekday", "cases: local weekday, 0 = Monday", {"type": "integer", "minimum": 0, "maximum": 6}),
    _query("hour", "cases: local hour", {"type": "integer", "minimum": 0, "maximum": 23}),
    _query("cursor", "cases: the `next_cursor` of the previous page"),
]
IF_MATCH = _header("If-Match", "The ETag of the last GET: a stale one gets 412.")

MARKER = {
    "type": "object",
    "required": ["component", "version"],
    "additionalProperties": False,
    "properties": {
        "component": {"type": "string", "maxLength": 100},
        "version": {"type": "string", "maxLength": 100},
        "at": {"type": "string", "format": "date-time", "description": "Default: now."},
        "tags": {"type": "array", "items": {"type": "string"}},
        "note": {"type": "string"},
    },
    "example": {"component": "checkout", "version": "2.1.0", "tags": ["web"], "note": "New payment page"},
}
DRY_RUN = {
    "type": "object",
    "description": "A pasted delivery (`body`, ...), or `stored`: the id of a refused delivery still kept.",
    "properties": {
        "body": {"type": "string", "description": "The raw text of a delivery."},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "content_type": {"type": "string"},
        "base64": {"type": "boolean"},
        "stored": {"type": "string", "description": "A delivery log entry id whose body is kept."},
    },
    "example": {
        "body": '{"event_id": "01H...", "form_response": {}}',
        "headers": {"typeform-signature": "sha256=..."},
    },
}
EMPTY = {"type": "object", "maxProperties": 0, "example": {}}
SOURCE = {
    "type": "object",
    "description": "A source: a preset (`typeform`, `delighted`, ...) or a signature scheme and mapping.",
    "additionalProperties": True,
    "example": {"id": "shop-typeform", "preset": "typeform", "name": "Shop survey"},
}

# What the resolvers don't say, per operation: merged into the generated operation.
NOTES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/feedback"): {"summary": "Send one feedback"},
    ("post", "/v1/feedback/batch"): {"summary": "Send up to 100 feedback items"},
    ("get", "/v1/health"): {"summary": "Liveness, with no data"},
    ("get", "/v1/openapi.json"): {
        "summary": "This document",
        "responses": {
            "200": {
                "description": "The OpenAPI document",
                "content": {"application/json": {"schema": JSON_OBJECT}},
            }
        },
    },
    ("get", "/docs"): {
        "summary": "This document in Swagger UI",
        "responses": {"200": {"description": "The page", "content": HTML}},
    },
    ("post", "/v1/hooks/{source_id}"): {
        "summary": "A survey tool's own webhook",
        "description": (
            "Raw bytes in the vendor's own format and content type (JSON, form or multipart), checked"
            " by the source's signature scheme or URL token, then mapped to canonical feedback."
            " Answers as `POST /v1/feedback` does."
        ),
        "requestBody": {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {
            "201": {
                "description": "a new response",
                "content": {"application/json": {"schema": JSON_OBJECT}},
            },
            "200": {
                "description": "a duplicate or an update",
                "content": {"application/json": {"schema": JSON_OBJECT}},
            },
            "202": {"description": "held: no score yet"},
            "401": {
                "description": "bad or missing signature",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
            "404": {
                "description": "no such source",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        },
    },
    ("post", "/v1/slack/interactions"): {
        "summary": "A lead's Acknowledge or Take it press on a Slack alert",
        "description": (
            "Slack's interactivity request: the form field `payload` holds Slack's `block_actions` JSON."
            " Signed by Slack (`X-Slack-Signature`, `X-Slack-Request-Timestamp`, within 5 minutes) instead"
            " of a bearer token. A press by someone who is not a contact of the case's team gets a 200 with"
            " a message only they see; another payload type gets an empty 200."
        ),
        "requestBody": {"content": FORM},
        "responses": {
            "200": {
                "description": "done, or nothing to do (an ephemeral message for the presser, if any)",
                "content": {"application/json": {"schema": JSON_OBJECT}},
            },
            "400": {
                "description": "no payload, or a payload that is not a block_actions press",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
            "401": {
                "description": "missing, forged or stale Slack signature; nothing changed",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        },
    },
    ("get", "/s/{source_id}"): {
        "summary": "The hosted feedback page (QR codes and links)",
        "parameters": [
            _query("lang", "The page's language"),
            _query("agent", "The agent served"),
            _query("store", "The place"),
        ],
    },
    ("post", "/s/{source_id}"): {
        "summary": "Submit the hosted feedback page",
        "requestBody": {"content": FORM},
    },
    ("get", "/a/{code}"): {"summary": "A lead's acknowledge page, from an alert (changes nothing)"},
    ("post", "/a/{code}"): {"summary": "Acknowledge from the alert's link", "requestBody": {"content": FORM}},
    ("get", "/c/{code}"): {"summary": "A compensation approval page, from a level-2 contact's message"},
    ("post", "/c/{code}"): {"summary": "Approve or decline a compensation", "requestBody": {"content": FORM}},
    ("get", "/f/{code}"): {"summary": "The customer's follow-up page"},
    ("post", "/f/{code}"): {"summary": "Answer the follow-up", "requestBody": {"content": FORM}},
    ("get", "/u/{code}"): {"summary": "Unsubscribe page"},
    ("post", "/u/{code}"): {
        "summary": "Unsubscribe (also RFC 8058 one-click)",
        "requestBody": {"content": FORM},
    },
    ("get", "/console"): {
        "summary": "The leads' console",
        "responses": {"200": {"description": "The console's page", "content": HTML}},
    },
    ("get", "/console/{proxy}"): {
        "summary": "The console's static files",
        "parameters": [
            {
                "name": "proxy",
                "in": "path",
                "required": True,
                "description": "A file's path",
                "schema": {"type": "string"},
            }
        ],
        "responses": {"200": {"description": "The file"}, "404": {"description": "No such file"}},
    },
    ("post", "/v1/session"): {"summary": "Sign in: user name and password for tokens"},
    ("get", "/v1/me"): {"summary": "The signed-in lead: teams, admin, language"},
    ("get", "/v1/cases"): {
        "summary": "A lead's queue",
        "parameters": [
            _query(
                "status", "Default: open", {"type": "string", "enum": ["open", "acknowledged", "resolved"]}
            ),
            _query("priority", "Only this priority", {"type": "string", "enum": ["P1", "P2", "P3", "P4"]}),
            _query("team", "One of the lead's teams"),
            *PAGING,
        ],
    },
    ("get", "/v1/cases/{case_id}"): {"summary": "A case, with its timeline; the ETag names its version"},
    ("post", "/v1/cases/{case_id}/{operation}"): {
        "summary": "Change a case: ack, actions, assign, messages, resolve, reopen",
        "parameters": [IF_MATCH],
    },
    ("get", "/v1/sources"): {"summary": "The survey sources (admins)"},
    ("get", "/v1/sources/{source_id}/deliveries"): {
        "summary": "A source's delivery log (admins)",
        "parameters": PAGING,
    },
    ("get", "/v1/reports/{report}"): {
        "summary": "A report: summary, trend, dashboard, cases, anomalies or markers",
        "description": "JSON, or CSV with `Accept: text/csv`. Docs: docs/reports.md.",
        "parameters": [*DATES, *REPORT_FILTERS, _header("Accept", "`text/csv` for CSV")],
    },
    ("post", "/v1/markers"): {
        "summary": "Record a release or change marker",
        "requestBody": {"required": True, "content": {"application/json": {"schema": MARKER}}},
    },
    ("get", "/v1/admin/alerting"): {"summary": "Teams and routing"},
    ("put", "/v1/admin/alerting"): {
        "summary": "Replace teams and routing",
        "parameters": [IF_MATCH],
        "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_OBJECT}}},
    },
    ("get", "/v1/admin/outbound"): {"summary": "Outbound webhook endpoints (secrets as fingerprints)"},
    ("put", "/v1/admin/outbound"): {
        "summary": "Replace outbound webhook endpoints",
        "parameters": [IF_MATCH],
        "requestBody": {"required": True, "content": {"application/json": {"schema": JSON_OBJECT}}},
    },
    ("get", "/v1/admin/customers/{customer_id}"): {
        "summary": "Export a customer's data",
        "parameters": [_query("by", "What the id is", {"type": "string", "enum": ["id", "email", "phone"]})],
    },
    ("delete", "/v1/admin/customers/{customer_id}"): {
        "summary": "Erase a customer's data",
        "parameters": [_query("by", "What the id is", {"type": "string", "enum": ["id", "email", "phone"]})],
    },
    ("get", "/v1/admin/sources"): {"summary": "The survey sources"},
    ("get", "/v1/admin/sources/{source_id}"): {
        "summary": "A source's stored configuration and hook URL (never its secret or key)"
    },
    ("post", "/v1/admin/sources"): {
        "summary": "Add a source (answers its key and secret once)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": SOURCE}}},
    },
    ("post", "/v1/admin/sources/{source_id}/rotate"): {
        "summary": "Rotate a source's webhook secret or API key"
    },
    ("post", "/v1/admin/sources/{source_id}/dry-run"): {
        "summary": "Check a pasted delivery against a source",
        "requestBody": {"required": True, "content": {"application/json": {"schema": DRY_RUN}}},
    },
    ("get", "/v1/admin/sources/{source_id}/deliveries"): {
        "summary": "A source's delivery log",
        "parameters": PAGING,
    },
    ("post", "/v1/admin/sources/{source_id}/deliveries/{entry}/replay"): {
        "summary": "Replay a refused delivery from its kept body",
        "requestBody": {"required": True, "content": {"application/json": {"schema": EMPTY}}},
    },
    ("get", "/v1/admin/cases/{case_id}/deliveries"): {"summary": "A case's alert deliveries"},
}
SOURCE_KEY_ROUTES = {("post", "/v1/feedback"), ("post", "/v1/feedback/batch")}


# ------------------------------------------------------------------------------------ the template
def template_routes() -> list[tuple[str, str, str, bool]]:
    """(method, path, function logical id, behind the JWT authorizer) of every HttpApi event."""
    from samtranslator.yaml_helper import yaml_parse

    document = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    routes = []
    for name, resource in document["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event["Properties"]
                routes.append((props["Method"].lower(), props["Path"], name, bool(props.get("Auth"))))
    return routes


def code_folder(logical_id: str) -> Path:
    from samtranslator.yaml_helper import yaml_parse

    document = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    return ROOT / str(document["Resources"][logical_id]["Properties"]["CodeUri"]).rstrip("/")


def openapi_path(template_path: str) -> str:
    """A template path as OpenAPI writes it: `{proxy+}` is the parameter `proxy`."""
    return template_path.replace("+}", "}")


def covers(document: dict[str, Any], method: str, template_path: str) -> bool:
    """Whether the document has an operation for a template route: the same method on the same path,
    or on a path that the template's parameters match (`{operation}` matches `ack`)."""
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(openapi_path(template_path)))
    return any(
        re.fullmatch(pattern, path) and method in ops for path, ops in document.get("paths", {}).items()
    )


# ------------------------------------------------------------------------------------ the resolvers
@contextmanager
def _placeholder_environment() -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(ENVIRONMENT)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _load_app(folder: Path) -> Any:
    """functions/<name>/app.py imported as Lambda would (its folder first on sys.path), then taken out of
    sys.modules again so the next function's `app`, `services` and routes are its own."""
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("app")
    finally:
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if Path(module_file).parent == folder:
                del sys.modules[name]


def resolver_documents() -> dict[str, tuple[dict[str, Any], Any]]:
    """{function logical id: (its resolver's OpenAPI document, its app module)} for every API function
    that has a Powertools resolver."""
    import moto

    found: dict[str, tuple[dict[str, Any], Any]] = {}
    functions = sorted({name for _, _, name, _ in template_routes()})
    with _placeholder_environment(), moto.mock_aws():
        for name in functions:
            module = _load_app(code_folder(name))
            app = getattr(module, "app", None)
            if app is None or not hasattr(app, "get_openapi_schema"):
                continue
            found[name] = (json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION)), module)
    return found


def _model_schema(model: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    """A pydantic model's JSON schema, its definitions moved to components."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _models(
    apps: dict[str, tuple[dict[str, Any], Any]], schemas: dict[str, Any]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Request bodies read from the functions' own models (validated by hand in the routes)."""
    bodies: dict[tuple[str, str], dict[str, Any]] = {}
    cases = apps.get("CasesFunction")
    if cases is not None:
        module = cases[1]
        sign_in = _model_schema(module.routes_session.SignIn, schemas)
        bodies[("post", "/v1/session")] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": sign_in,
                    "example": {"username": "kari", "password": "********"},
                }
            },
        }
        requests = module.routes_cases.REQUESTS
        refs = {operation: _model_schema(model, schemas) for operation, model in sorted(requests.items())}
        bodies[("post", "/v1/cases/{case_id}/{operation}")] = {
            "description": "The body of the operation named in the path: "
            + ", ".join(f"`{operation}`: {ref['$ref'].rsplit('/', 1)[-1]}" for operation, ref in refs.items())
            + ". `ack` takes an empty body.",
            "content": {
                "application/json": {
                    "schema": {"anyOf": list(refs.values())},
                    "examples": {
                        "resolve": {
                            "value": {
                                "root_cause": "delivery",
                                "summary": "Parcel re-sent with express delivery.",
                            }
                        },
                        "note": {"value": {"kind": "note", "note": {"text": "Called, no answer."}}},
                    },
                }
            },
        }
    admin = apps.get("AdminFunction")
    if admin is not None:
        rotation = _model_schema(admin[1].routes_sources.Rotation, schemas)
        bodies[("post", "/v1/admin/sources/{source_id}/rotate")] = {
            "required": True,
            "content": {
                "application/json": {"schema": rotation, "example": {"what": "secret", "window_hours": 24}}
            },
        }
    return bodies


# ------------------------------------------------------------------------------------ the document
def generate() -> dict[str, Any]:
    apps = resolver_documents()
    document: dict[str, Any] = {
        "openapi": next((found["openapi"] for found, _ in apps.values()), "3.1.0"),
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "tags": [{"name": name, "description": text} for name, text in TAG_DESCRIPTIONS.items()],
        "paths": {},
        "components": {"schemas": {"Problem": PROBLEM}, "securitySchemes": SECURITY_SCHEMES},
    }
    paths: dict[str, dict[str, Any]] = document["paths"]
    schemas: dict[str, Any] = document["components"]["schemas"]
    owner: dict[tuple[str, str], str] = {}
    for name, (generated, _) in sorted(apps.items()):
        for definition_name, definition in (generated.get("components") or {}).get("schemas", {}).items():
            if schemas.setdefault(definition_name, definition) != definition:
                raise SystemExit(f"two functions define the schema {definition_name} differently")
        for path, operations in generated.get("paths", {}).items():
            for method, operation in operations.items():
                paths.setdefault(path, {})[method] = operation
                owner[(method, path)] = name
    bodies = _models(apps, schemas)
    enums = _enums(apps)
    for method, template_path, function, jwt in template_routes():
        if not covers(document, method, template_path):
            paths.setdefault(openapi_path(template_path), {})[method] = {
                "responses": {"200": {"description": "OK"}}
            }
        path = openapi_path(template_path)
        operation = paths[path][method]
        _complete(operation, method, path, function, jwt, bodies, enums)
    document["paths"] = {path: dict(sorted(ops.items())) for path, ops in sorted(paths.items())}
    used = _referenced(document["paths"], schemas)
    document["components"]["schemas"] = {name: schemas[name] for name in sorted(used)}
    return document


def _enums(apps: dict[str, tuple[dict[str, Any], Any]]) -> dict[tuple[str, str], list[str]]:
    """Path parameters that take one of a few values, read from the routes that check them."""
    found: dict[tuple[str, str], list[str]] = {}
    if "ReportsFunction" in apps:
        found["/v1/reports/{report}", "report"] = list(apps["ReportsFunction"][1].routes_reports.REPORTS)
    if "CasesFunction" in apps:
        found["/v1/cases/{case_id}/{operation}", "operation"] = sorted(
            apps["CasesFunction"][1].routes_cases.REQUESTS
        )
    return found


def _referenced(paths: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The component schemas the operations use, directly or through other schemas."""
    found: set[str] = set()
    pending = [paths]
    while pending:
        text = json.dumps(pending.pop())
        for name in re.findall(r'"#/components/schemas/([^"]+)"', text):
            if name not in found and name in schemas:
                found.add(name)
                pending.append(schemas[name])
    return found


def _complete(
    operation: dict[str, Any],
    method: str,
    path: str,
    function: str,
    jwt: bool,
    bodies: dict[tuple[str, str], dict[str, Any]],
    enums: dict[tuple[str, str], list[str]],
) -> None:
    notes = copy.deepcopy(NOTES.get((method, path), {}))
    page = path.startswith(("/a/", "/c/", "/f/", "/s/", "/u/"))  # opened from a link, whichever function
    operation["tags"] = ["pages" if page else TAGS.get(function, "other")]
    operation.setdefault("operationId", re.sub(r"[^A-Za-z0-9]+", "_", f"{method}{path}").strip("_"))
    for key in ("summary", "description"):
        if key in notes:
            operation[key] = notes[key]
    known = {(parameter["in"], parameter["name"]) for parameter in operation.get("parameters", [])}
    for parameter in notes.get("parameters", []):
        if (parameter["in"], parameter["name"]) not in known:
            operation.setdefault("parameters", []).append(parameter)
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            parameter.setdefault("schema", {"type": "string"})
            parameter["schema"].setdefault("minLength", 1)
            if (path, parameter["name"]) in enums:
                parameter["schema"] = {"type": "string", "enum": enums[path, parameter["name"]]}
    body = bodies.get((method, path)) or notes.get("requestBody")
    if body is not None and "requestBody" not in operation:
        operation["requestBody"] = body
    responses = operation.setdefault("responses", {})
    _json_answer(responses.get("200"), csv=path == "/v1/reports/{report}")
    if operation["tags"] == ["pages"]:
        responses["200"] = {"description": "The page", "content": HTML}
        responses.setdefault(
            "404", {"description": "An unknown or expired link: a page that says so", "content": HTML}
        )
    for status, answer in notes.get("responses", {}).items():
        responses.setdefault(status, answer)
    responses.pop("422", None)  # validation failures answer 400 problem documents here
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if "requestBody" in operation or operation.get("parameters"):
        responses.setdefault(
            "400", {"description": "Bad input, named in a problem document", "content": problem}
        )
    if (method, path) in SOURCE_KEY_ROUTES:
        operation["security"] = [{"sourceKey": []}]
    elif jwt:
        operation["security"] = [{"leadJwt": []}]
        responses.setdefault("401", {"description": "No valid token", "content": problem})
    elif path.startswith("/v1/admin/") or path == "/v1/markers":
        operation["security"] = [{"adminKey": []}]
        responses.setdefault("401", {"description": "No valid admin key", "content": problem})
    else:
        operation["security"] = []
    responses.setdefault(
        "503",
        {
            "description": "AWS failed transiently; nothing was written. Retry after `Retry-After`.",
            "content": problem,
        },
    )


def _json_answer(answer: dict[str, Any] | None, csv: bool) -> None:
    """A route annotated `Response[str]` answers a JSON document it serialised itself: say so."""
    content = (answer or {}).get("content", {})
    if content.get("application/json", {}).get("schema") == {"type": "string", "title": "Return"}:
        content["application/json"]["schema"] = JSON_OBJECT
        if csv:
            content["text/csv"] = {"schema": {"type": "string"}}
        answer["description"] = "OK"  # type: ignore[index]


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed file is out of date")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python -m tools.openapi", file=sys.stderr)
            return 1
        print(f"{OUTPUT.relative_to(ROOT)} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    operations = sum(len(ops) for ops in json.loads(text)["paths"].values())
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {operations} operations")
    return 0


if __name__ == "__main__":
    cli.run(main)
