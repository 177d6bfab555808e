"""The fetch step of id-only webhooks: SurveyMonkey and Qualtrics send a survey id and a response id, and
the answers are read from the vendor's API before the mapping runs. Intercom names the contact who rated
by id only; with a credential, the contact (email, phone, name, language) is read the same way.

The hook must answer within 5 s, so a fetch gets one short budget; a vendor that is down, slow or refusing
raises `FetchFailed` (a transient failure), the hook answers 503 and the vendor sends the webhook again.
Credentials live in Secrets Manager, named by the source's options, and are cached per container.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jmespath

from recovery.domain import json_input
from recovery.errors import TransientFailure

Api = Literal["surveymonkey", "qualtrics", "intercom"]
APIS: tuple[Api, ...] = ("surveymonkey", "qualtrics", "intercom")
TIMEOUT_SECONDS = 3.0  # of the 5 s the hook has; the rest is verification, mapping and the write
MAX_BYTES = 1_000_000  # a response document is a few kB; a larger one is not a response
_SURVEYMONKEY = "https://api.surveymonkey.com"
_INTERCOM = "https://api.intercom.io"
INTERCOM_VERSION = "2.11"
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class FetchFailed(TransientFailure):
    """The vendor's API did not give us the response. A retry of the webhook can fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchInputError(ValueError):
    """The webhook lacks an id the fetch needs: a body problem (400), not a vendor one."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}")
        self.pointer = pointer
        self.reason = reason


@dataclass(frozen=True)
class FetchStep:
    """Where the ids are in the webhook document, and which API answers for them.

    `survey_id` and `response_id` (SurveyMonkey, Qualtrics) or `contact_id` (Intercom) are JMESPath over
    the same document the mapping reads (`{"body", "headers", "query"}`); what the API answers is added
    to it under `key` (`response`, or `contact` for Intercom).
    """

    api: Api
    credentials: str  # Secrets Manager name or ARN holding the API token
    survey_id: str = ""
    response_id: str = ""
    base_url: str = ""  # SurveyMonkey: default api.surveymonkey.com; Qualtrics: from `datacenter`
    datacenter: str = ""  # Qualtrics only, for example "fra1"
    timeout_seconds: float = TIMEOUT_SECONDS
    # The events worth a fetch (JMESPath to the event name, and the names): any other event is ignored
    # by the mapping, so it is not fetched, and a vendor outage cannot turn it into a 503.
    event: str = ""
    events: tuple[str, ...] = ()
    # A body field that holds JSON (Qualtrics's signed form posts its message as `MSG`): when the body has
    # it, the ids are read with it parsed, as the mapping reads it (`body.MSG.ResponseID`).
    json_field: str = ""
    contact_id: str = ""  # Intercom only
    key: Literal["response", "contact"] = "response"

    def __post_init__(self) -> None:
        if self.api not in APIS:
            raise ValueError(f"api: one of {', '.join(APIS)}")
        if not self.credentials:
            raise ValueError("credentials: a Secrets Manager secret name or ARN is required")
        for key in self.id_keys():
            if not getattr(self, key):
                raise ValueError(f"{key}: required for {self.api}")
        for key in (*self.id_keys(), "event"):
            if key == "event" and not self.event:
                continue
            try:
                jmespath.compile(getattr(self, key))
            except jmespath.exceptions.JMESPathError as error:
                raise ValueError(f"{key}: not a JMESPath expression ({error})") from None
        if self.api == "qualtrics" and not (self.base_url or self.datacenter):
            raise ValueError("datacenter: required for Qualtrics (for example fra1)")
        if self.datacenter and not self.datacenter.replace("-", "").isalnum():
            raise ValueError("datacenter: letters and digits only, for example fra1")
        if self.base_url:
            _check_base_url(self.base_url)
        if not 0 < self.timeout_seconds <= 4:
            raise ValueError("timeout_seconds: between 0 and 4, so the hook still answers within 5 s")

    def id_keys(self) -> tuple[str, ...]:
        return ("contact_id",) if self.api == "intercom" else ("survey_id", "response_id")

    def root(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        if self.api == "qualtrics":
            return f"https://{self.datacenter}.qualtrics.com"
        if self.api == "intercom":
            return _INTERCOM
        return _SURVEYMONKEY


def _check_base_url(url: str) -> None:
    # An admin sets it; only https leaves the machine, so a token never travels in clear text.
    parts = urllib.parse.urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
    if not (parts.scheme == "https" and parts.hostname) and not local:
        raise ValueError("base_url: https, or http on 127.0.0.1 for a local stub")
    if parts.query or parts.fragment or parts.username:
        raise ValueError("base_url: scheme, host and path only")


TokenLookup = Callable[[str], str]
Opener = Callable[..., Any]


def secret_token(name: str) -> str:
    """The API token in a secret: the whole string, or the `token` key of a JSON object."""
    from recovery.store.secrets import secret_bytes  # boto3 loads only on a fetching source

    text = secret_bytes(name).decode("utf-8").strip()
    if text.startswith("{"):
        try:
            value = json.loads(text).get("token")
        except (ValueError, AttributeError):
            value = None
        if not isinstance(value, str) or not value:
            raise FetchFailed("the credentials secret is JSON without a string `token`")
        return value
    return text


def forget_credentials() -> None:
    """Drop cached secrets, so a rotated token is read again on the next delivery."""
    from recovery.store.secrets import secret_bytes

    secret_bytes.cache_clear()


def ids(step: FetchStep, document: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids the webhook names: the survey id and response id, or (Intercom) the contact id."""
    readable = _with_json_field(step, document)
    found = []
    for key in step.id_keys():
        expression = getattr(step, key)
        value = jmespath.search(expression, readable)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise FetchInputError(f"/{key}", f"no {key.replace('_', ' ')} at {expression}")
        if len(value) > 100 or not all(c.isalnum() or c in "_-" for c in value.strip()):
            raise FetchInputError(f"/{key}", "not a vendor id")
        found.append(value.strip())
    return tuple(found)


def _with_json_field(step: FetchStep, document: Mapping[str, Any]) -> dict[str, Any]:
    readable = dict(document)
    body = readable.get("body")
    if not step.json_field or not isinstance(body, dict) or step.json_field not in body:
        return readable
    text = body[step.json_field]
    if not isinstance(text, str):
        raise FetchInputError(f"/{step.json_field}", "must appear once, as JSON text")
    try:
        readable["body"] = {**body, step.json_field: json_input.loads(text)}
    except json_input.JsonRefused as refused:
        raise FetchInputError(f"/{step.json_field}", refused.reason) from None
    return readable


def request_for(step: FetchStep, found: tuple[str, ...], token: str) -> urllib.request.Request:
    """The GET for the ids `ids` found: (survey, response), or (contact,) for Intercom."""
    quoted = [urllib.parse.quote(value, safe="") for value in found]
    if step.api == "intercom":
        url = f"{step.root()}/contacts/{quoted[0]}"
        headers = {"Authorization": f"Bearer {token}", "Intercom-Version": INTERCOM_VERSION}
        return urllib.request.Request(  # noqa: S310 - https, or http on 127.0.0.1 (checked)
            url, headers={**headers, "Accept": "application/json"}, method="GET"
        )
    survey, response = quoted
    if step.api == "surveymonkey":
        url = f"{step.root()}/v3/surveys/{survey}/responses/{response}/details"
        headers = {"Authorization": f"Bearer {token}"}
    else:
        url = f"{step.root()}/API/v3/surveys/{survey}/responses/{response}"
        headers = {"X-API-TOKEN": token}
    # The scheme is https, or http on 127.0.0.1 (FetchStep checks base_url).
    return urllib.request.Request(  # noqa: S310
        url, headers={**headers, "Accept": "application/json"}, method="GET"
    )


def fetch_response(
    step: FetchStep,
    document: Mapping[str, Any],
    *,
    token_for: TokenLookup = secret_token,
    opener: Opener = urllib.request.urlopen,
) -> dict[str, Any]:
    """The full response the webhook refers to, as the vendor's API returns it.

    Qualtrics wraps it in `{"result": ..., "meta": ...}`; the `result` is returned, so a mapping reads
    `response.values.QID1` for either vendor's shape. For Intercom it is the contact; a contact that no
    longer exists (404) gives `{}`, so the rating is still taken in with what the notification names.
    Raises `FetchInputError` when the webhook lacks an id, `FetchFailed` when the vendor does not answer.
    """
    request = request_for(step, ids(step, document), token_for(step.credentials))
    try:
        with opener(request, timeout=step.timeout_seconds) as answer:
            raw = answer.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            forget_credentials()  # the token may have been rotated: read the secret again next time
        if error.code == 404 and step.api == "intercom":
            return {}  # a deleted contact: resending the notification cannot bring it back
        raise FetchFailed(f"the {step.api} API answered {error.code}") from None
    except TimeoutError:
        raise FetchFailed(f"the {step.api} API did not answer within {step.timeout_seconds:g} s") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            raise FetchFailed(
                f"the {step.api} API did not answer within {step.timeout_seconds:g} s"
            ) from None
        raise FetchFailed(f"the {step.api} API is unreachable") from None
    if len(raw) > MAX_BYTES:
        raise FetchFailed(f"the {step.api} API answered with more than {MAX_BYTES} bytes")
    try:
        body = json.loads(raw)
    except ValueError:
        raise FetchFailed(f"the {step.api} API answered with something other than JSON") from None
    if step.api == "qualtrics" and isinstance(body, dict):
        body = body.get("result")
    if not isinstance(body, dict):
        raise FetchFailed(f"the {step.api} API answered without a response object")
    return body


def wanted(event: str | None, events: Mapping[str, str], document: Mapping[str, Any]) -> bool:
    """Whether the mapping will use this delivery: an event it ignores needs no fetch (and no 503)."""
    if event is None or not events:
        return True
    try:
        name = jmespath.search(event, dict(document))
    except jmespath.exceptions.JMESPathError:
        return True
    return events.get(str(name) if name is not None else "", "ignore") != "ignore"


def enrich(
    step: FetchStep,
    document: Mapping[str, Any],
    *,
    event: str | None = None,
    events: Mapping[str, str] | None = None,
    token_for: TokenLookup = secret_token,
    opener: Opener = urllib.request.urlopen,
) -> dict[str, Any]:
    """The webhook document with what was fetched added under the step's `key` (`response`, or
    `contact`), for the mapping to read.

    With the mapping's `event` and `events` (or else the step's own), an event the mapping ignores is
    returned unfetched: the mapping then answers "ignore" and the vendor's API is not called.
    """
    if event is None and step.event:
        event, events = step.event, dict.fromkeys(step.events, "accept")
    if not wanted(event, events or {}, document):
        return dict(document)
    fetched = fetch_response(step, document, token_for=token_for, opener=opener)
    return {**document, step.key: fetched}
