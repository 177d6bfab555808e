"""Local stand-ins for the SurveyMonkey and Qualtrics APIs, so sources that fetch the response can be tried.

The SurveyMonkey and Qualtrics presets receive ids only and read the answers from the vendor's API with a
token from Secrets Manager. The runtime serves both APIs under its own origin
(`<api_url>/_local/vendors/surveymonkey`, `<api_url>/_local/vendors/qualtrics`: a source's `api_base_url`),
answering every survey and response id with the vendor's sample answer (`local/vendor_samples/`), the ids
written into it. Like the real APIs, they refuse a request without the token: the one the runtime put in the
local credential secrets (`recovery-loop/<environment>/sources/surveymonkey-local`, `...-local`) at start.

No request here takes the functions' lock: the hook function holding it is the one waiting for the answer.
"""

from __future__ import annotations

import copy
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "/_local/vendors/"
SAMPLES = Path(__file__).resolve().parent / "vendor_samples"
_ID = r"[A-Za-z0-9_-]{1,100}"  # the ids the fetch step sends (recovery.sources.fetch.ids)
JSON = "application/json"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = JSON


@dataclass(frozen=True)
class Vendor:
    name: str
    path: re.Pattern[str]  # below the vendor's base URL; groups `survey` and `response`
    shown: str  # the path as the terminal shows it (ids are not shown)
    sample: str  # file under SAMPLES
    token_of: Callable[[Mapping[str, str]], str | None]  # the token a request carries (lower-case headers)
    with_ids: Callable[[dict[str, Any], str, str], dict[str, Any]]
    refusal: Callable[[str], dict[str, Any]]  # the vendor's error document for a 401


def _bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _sm_ids(sample: dict[str, Any], survey: str, response: str) -> dict[str, Any]:
    return {**sample, "id": response, "survey_id": survey}


def _qx_ids(sample: dict[str, Any], survey: str, response: str) -> dict[str, Any]:
    result = copy.deepcopy(sample.get("result") or {})
    result["responseId"] = response
    if isinstance(result.get("values"), dict) and "_recordId" in result["values"]:
        result["values"]["_recordId"] = response
    return {**sample, "result": result}


def _sm_refusal(message: str) -> dict[str, Any]:
    return {"error": {"name": "Authorization Error", "message": message, "http_status_code": 401}}


def _qx_refusal(message: str) -> dict[str, Any]:
    return {"meta": {"httpStatus": "401 - Unauthorized", "error": {"errorMessage": message}}}


VENDORS: dict[str, Vendor] = {
    vendor.name: vendor
    for vendor in (
        Vendor(
            name="surveymonkey",
            path=re.compile(rf"/v3/surveys/(?P<survey>{_ID})/responses/(?P<response>{_ID})/details"),
            shown="/v3/surveys/{survey_id}/responses/{response_id}/details",
            sample="surveymonkey/response_details_GET_example.json",
            token_of=_bearer,
            with_ids=_sm_ids,
            refusal=_sm_refusal,
        ),
        Vendor(
            name="qualtrics",
            path=re.compile(rf"/API/v3/surveys/(?P<survey>{_ID})/responses/(?P<response>{_ID})"),
            shown="/API/v3/surveys/{survey}/responses/{response}",
            sample="qualtrics/single_response_GET.UNVERIFIED.json",
            token_of=lambda headers: headers.get("x-api-token") or None,
            with_ids=_qx_ids,
            refusal=_qx_refusal,
        ),
    )
}


def credentials_name(environment: str, vendor: str) -> str:
    """The local credential secret of a vendor, under the prefix the hook function may read."""
    return f"recovery-loop/{environment}/sources/{vendor}-local"


def _token_in(text: str) -> str | None:
    """The token in a secret's value, read as the fetch step reads it: a JSON `token`, or the string."""
    text = text.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text).get("token")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) and value else None
    return text or None


def ensure_credentials(client: Any, environment: str) -> dict[str, str]:
    """Each vendor's local credential secret, created with a new token unless it exists (a restored
    `--state` keeps its token); answers vendor -> token. Call with the functions' lock held."""
    tokens = {}
    for vendor in VENDORS:
        name = credentials_name(environment, vendor)
        try:
            token = _token_in(client.get_secret_value(SecretId=name).get("SecretString") or "")
        except client.exceptions.ResourceNotFoundException:
            token = secrets.token_urlsafe(24)
            client.create_secret(
                Name=name,
                SecretString=json.dumps({"token": token}),
                Description=f"API token the runtime's local {vendor} API accepts",
            )
        else:
            if token is None:  # emptied or replaced by something without a token: a new one
                token = secrets.token_urlsafe(24)
                client.put_secret_value(SecretId=name, SecretString=json.dumps({"token": token}))
        tokens[vendor] = token
    return tokens


class VendorApis:
    """Answers `/_local/vendors/<vendor>/...` requests; `tokens` are the ones each vendor accepts."""

    def __init__(self, tokens: Mapping[str, str], samples: Path = SAMPLES) -> None:
        self.tokens = dict(tokens)
        self.samples = {name: self._load(samples / vendor.sample) for name, vendor in VENDORS.items()}

    @staticmethod
    def _load(path: Path) -> dict[str, Any]:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError(f"{path}: a JSON object is expected")
        return document

    @staticmethod
    def handles(raw_path: str) -> bool:
        return raw_path.startswith(PREFIX)

    def answer(
        self, method: str, raw_path: str, headers: Mapping[str, str], client: str = "127.0.0.1"
    ) -> Answer:
        if not _loopback(client):  # under `--host 0.0.0.0`, say: the tokens are not for the network
            return _problem(403, "the local vendor APIs answer requests from this machine only")
        vendor, path = self._split(raw_path)
        if vendor is None:
            return _problem(404, f"{raw_path} does not exist; the local vendor APIs are {_bases()}")
        found = vendor.path.fullmatch(path)
        if found is None:
            return _problem(404, f"the local {vendor.name} API does not answer {path or '/'}")
        if method not in ("GET", "HEAD"):
            return _problem(405, f"{method} is not supported on {vendor.shown}")
        lowered = {key.lower(): value for key, value in headers.items()}
        given = vendor.token_of(lowered)
        expected = self.tokens.get(vendor.name)
        if given is None:
            return _json(401, vendor.refusal("The authorization token was not provided."))
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return _json(401, vendor.refusal("The authorization token is not valid."))
        sample = self.samples[vendor.name]
        return _json(200, vendor.with_ids(sample, found["survey"], found["response"]))

    def shown_path(self, raw_path: str) -> str:
        """The path for the terminal: survey and response ids as their placeholders."""
        vendor, path = self._split(raw_path)
        if vendor is None:
            return PREFIX.rstrip("/")
        if vendor.path.fullmatch(path):
            return f"{PREFIX}{vendor.name}{vendor.shown}"
        return f"{PREFIX}{vendor.name}"

    @staticmethod
    def _split(raw_path: str) -> tuple[Vendor | None, str]:
        name, _, rest = raw_path[len(PREFIX) :].partition("/")
        return VENDORS.get(name), f"/{rest}" if rest else ""


def _loopback(client: str) -> bool:
    try:
        return ipaddress.ip_address(client.partition("%")[0]).is_loopback
    except ValueError:
        return False


def base_urls(api_url: str) -> dict[str, str]:
    """Each vendor's base URL: a source's `api_base_url`."""
    return {name: f"{api_url}{PREFIX}{name}" for name in VENDORS}


def start_line(api_url: str, environment: str) -> dict[str, dict[str, str]]:
    """The start line's `vendor_apis`: each vendor's base URL and the name of its local credential secret."""
    return {
        name: {"base_url": url, "credentials": credentials_name(environment, name)}
        for name, url in base_urls(api_url).items()
    }


def _bases() -> str:
    return ", ".join(f"{PREFIX}{name}" for name in VENDORS)


def _json(status: int, document: Any) -> Answer:
    return Answer(status, json.dumps(document).encode("utf-8"))


def _problem(status: int, detail: str) -> Answer:
    titles = {403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}
    document = {"type": "about:blank", "title": titles[status], "status": status, "detail": detail}
    return Answer(status, json.dumps(document).encode("utf-8"), "application/problem+json")
