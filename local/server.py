"""The HTTP side: the template's HttpApi routes, plus the runtime's own `/_local/...` endpoints.

`/_local/` exists only here, never in template.yaml. API routes go through the same handler functions
AWS would call, with API Gateway v2 events; the calls queue on the one invocation lock.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from local import terminal
from local.clock import VirtualClock, iso, parse_iso
from local.dispatcher import CATCH_UP_MODES, Dispatcher
from local.functions import FunctionError, FunctionHost
from local.http_api import (
    MAX_PAYLOAD_BYTES,
    Authorizer,
    Forbidden,
    HttpRequest,
    HttpResponse,
    Router,
    Unauthorized,
    build_event,
    internal_error,
    message,
    translate_result,
)
from local.inbound import BadInbound, InboundDelivery, InboundUnavailable
from local.outbox import Outbox, render_page
from local.slack_api import MAX_BODY_BYTES as SLACK_MAX_BODY_BYTES
from local.slack_api import SlackApi
from local.teams_api import MAX_BODY_BYTES as TEAMS_MAX_BODY_BYTES
from local.teams_api import TeamsApi
from local.vendor_api import VendorApis

log = logging.getLogger(__name__)

LOCAL_PREFIX = "/_local/"
INBOUND_MAX_BYTES = 512 * 1024  # a local inbound message's JSON body


def allow_all(route: Any, event: dict[str, Any]) -> dict[str, Any] | None:
    """For authorizer types the runtime does not enforce (a warning names them at start)."""
    return None


def refuse(route: Any, event: dict[str, Any]) -> dict[str, Any] | None:
    """A route naming an authorizer the app was not given is closed, never silently open."""
    raise Unauthorized(f"no authorizer {route.authorizer} here")


class LocalApp:
    """A WSGI application."""

    def __init__(
        self,
        router: Router,
        host: FunctionHost,
        clock: VirtualClock,
        dispatcher: Dispatcher,
        outbox: Outbox,
        authorizers: dict[str, Authorizer] | None = None,
        vendors: VendorApis | None = None,
        slack: SlackApi | None = None,
        teams: TeamsApi | None = None,
        inbound: InboundDelivery | None = None,
    ) -> None:
        self.router = router
        self.host = host
        self.clock = clock
        self.dispatcher = dispatcher
        self.outbox = outbox
        self.authorizers = authorizers or {}
        self.vendors = vendors
        self.slack = slack
        self.teams = teams
        self.inbound = inbound

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        request = Request(environ)
        raw_path = _raw_path(environ)
        if raw_path.startswith(LOCAL_PREFIX):
            response = self._local(request, raw_path)
            vendors = self.vendors
            shown = vendors.shown_path(raw_path) if vendors and vendors.handles(raw_path) else raw_path
        else:
            response = self._api(request, raw_path)
            matched = self.router.match(request.method, raw_path)
            route, parameters = matched if matched is not None else (None, {})
            shown = terminal.shown_path(raw_path, route.path if route else None, parameters)
        terminal.request(request.method, shown, response.status_code, (time.monotonic() - started) * 1000)
        return response(environ, start_response)

    # ------------------------------------------------------------------ the HttpApi
    def _api(self, request: Request, raw_path: str) -> Response:
        request_id = str(uuid.uuid4())
        length = request.content_length or 0
        if length > MAX_PAYLOAD_BYTES:
            return _to_werkzeug(message(413, "Request Entity Too Large", request_id))
        body = request.stream.read(MAX_PAYLOAD_BYTES + 1)
        if len(body) > MAX_PAYLOAD_BYTES:
            return _to_werkzeug(message(413, "Request Entity Too Large", request_id))
        matched = self.router.match(request.method, raw_path)
        if matched is None:
            return _to_werkzeug(message(404, "Not Found", request_id))
        route, parameters = matched
        http_request = HttpRequest(
            method=request.method,
            raw_path=raw_path,
            raw_query=request.environ.get("QUERY_STRING", ""),
            headers=tuple((name, value) for name, value in request.headers.items()),
            body=body,
            source_ip=request.remote_addr or "127.0.0.1",
            protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        event = build_event(http_request, route, parameters, request_id=request_id, now=self.clock.now())
        return _to_werkzeug(self._invoke(route, event, request_id))

    def _invoke(self, route: Any, event: dict[str, Any], request_id: str) -> HttpResponse:
        if route.authorizer:
            authorize = self.authorizers.get(route.authorizer, refuse)
            try:
                context = authorize(route, event)
            except Unauthorized:
                return message(401, "Unauthorized", request_id)
            except Forbidden:
                return message(403, "Forbidden", request_id)
            if context is not None:
                event["requestContext"]["authorizer"] = context
        try:
            result = self.host.invoke(route.function, event)
        except FunctionError:
            return internal_error(request_id)
        finally:
            self.dispatcher.wake()  # follow-on work (stream records, events) starts at once
        return translate_result(result, request_id)

    # ------------------------------------------------------------------ /_local/
    def _local(self, request: Request, raw_path: str) -> Response:
        if self.vendors is not None and self.vendors.handles(raw_path):
            # The local SurveyMonkey and Qualtrics APIs (local.vendor_api); they take no lock.
            headers = dict(request.headers.items())
            answer = self.vendors.answer(request.method, raw_path, headers, request.remote_addr or "")
            return Response(answer.body, status=answer.status, content_type=answer.content_type)
        if self.slack is not None and self.slack.handles(raw_path):
            # The local Slack Web API and response_url (local.slack_api); they take no lock either.
            body = request.stream.read(SLACK_MAX_BODY_BYTES + 1)
            base = f"{request.scheme}://{request.host}"
            answer = self.slack.answer(
                request.method, raw_path, dict(request.headers.items()), body, request.remote_addr or "", base
            )
            return Response(answer.body, status=answer.status, content_type=answer.content_type)
        if self.teams is not None and self.teams.handles(raw_path):
            # The local Teams workflows (local.teams_api); no lock either.
            body = request.stream.read(TEAMS_MAX_BODY_BYTES + 1)
            headers = dict(request.headers.items())
            answer = self.teams.answer(request.method, raw_path, headers, body, request.remote_addr or "")
            return Response(answer.body, status=answer.status, content_type=answer.content_type)
        endpoint = (request.method, raw_path)
        if endpoint == ("GET", "/_local/clock"):
            return _json({"now": iso(self.clock.now())})
        if endpoint == ("POST", "/_local/clock"):
            return self._move_clock(request)
        if endpoint == ("GET", "/_local/outbox.json"):
            return _json(self.outbox.entries())
        if endpoint == ("GET", "/_local/outbox"):
            return Response(render_page(self.outbox.entries()), content_type="text/html; charset=utf-8")
        if endpoint == ("DELETE", "/_local/outbox"):
            self.outbox.clear()
            return Response(status=204)
        if endpoint == ("POST", "/_local/inbound") and self.inbound is not None:
            return self._inbound(request, self.inbound)
        known = {"/_local/clock", "/_local/outbox", "/_local/outbox.json", "/_local/inbound"}
        if raw_path in known:
            return _problem(405, "Method Not Allowed", f"{request.method} is not supported on {raw_path}")
        return _problem(404, "Not Found", f"{raw_path} does not exist")

    def _move_clock(self, request: Request) -> Response:
        try:
            document = json.loads(request.get_data() or b"null")
        except ValueError:
            return _problem(400, "Bad Request", "the body must be JSON")
        if not isinstance(document, dict) or len(document.keys() & {"advance_seconds", "set"}) != 1:
            return _problem(400, "Bad Request", 'send {"advance_seconds": N} or {"set": "<ISO 8601 time>"}')
        unknown = sorted(document.keys() - {"advance_seconds", "set", "catch_up"})
        if unknown:
            return _problem(400, "Bad Request", f"unknown field /{unknown[0]}", pointer=f"/{unknown[0]}")
        catch_up = document.get("catch_up", "all")
        if catch_up not in CATCH_UP_MODES:
            detail = f"catch_up must be one of {', '.join(CATCH_UP_MODES)}"
            return _problem(400, "Bad Request", detail, pointer="/catch_up")
        try:
            if "advance_seconds" in document:
                seconds = document["advance_seconds"]
                if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                    raise ValueError("advance_seconds must be a number of seconds, 0 or more")
                result = self.dispatcher.move_clock(advance_seconds=float(seconds), catch_up=catch_up)
            else:
                result = self.dispatcher.move_clock(to=parse_iso(document["set"]), catch_up=catch_up)
        except ValueError as error:
            pointer = "/advance_seconds" if "advance_seconds" in document else "/set"
            return _problem(400, "Bad Request", str(error), pointer=pointer)
        return _json({"now": iso(result["now"]), "fired": result["fired"]})

    def _inbound(self, request: Request, delivery: InboundDelivery) -> Response:
        """A customer's email or SMS, delivered as SES or two-way SMS would (local.inbound)."""
        kind = (request.mimetype or "").lower()
        if kind and kind != "application/json" and not kind.endswith("+json"):
            return _problem(415, "Unsupported Media Type", "send the message as application/json")
        body = request.stream.read(INBOUND_MAX_BYTES + 1)
        if len(body) > INBOUND_MAX_BYTES:
            return _problem(413, "Content Too Large", f"the body is larger than {INBOUND_MAX_BYTES} bytes")
        try:
            document = json.loads(body or b"null")
        except ValueError:
            return _problem(400, "Bad Request", "the body must be JSON")
        try:
            result = delivery.deliver(document)
        except BadInbound as error:
            return _problem(400, "Bad Request", str(error), pointer=error.pointer)
        except InboundUnavailable as error:
            return _problem(409, "Conflict", str(error))
        finally:
            self.dispatcher.wake()  # the reply's stream record (and what follows it) moves at once
        return _json(result, status=202)


def _raw_path(environ: dict[str, Any]) -> str:
    """The path as the client sent it (still percent-encoded), like API Gateway's rawPath."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = raw.split("?", 1)[0]
        if "://" in path:  # an absolute-form request line
            path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
        return path or "/"
    from urllib.parse import quote

    return quote(environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")) or "/"


def _to_werkzeug(response: HttpResponse) -> Response:
    result = Response(response.body, status=response.status)
    result.headers.clear()
    for name, value in response.headers:
        result.headers.add(name, value)
    return result


def _json(document: Any, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, content_type="application/json")


def _problem(status: int, title: str, detail: str, pointer: str | None = None) -> Response:
    document: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if pointer:
        document["errors"] = [{"detail": detail, "pointer": pointer}]
    return Response(json.dumps(document), status=status, content_type="application/problem+json")
