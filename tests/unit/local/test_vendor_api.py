"""The runtime's local SurveyMonkey and Qualtrics APIs (local/vendor_api.py), served by the runtime's own
WSGI app on 127.0.0.1 and called by the real fetch step, as the hook function calls them."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws
from werkzeug.serving import make_server

from local import vendor_api
from local.http_api import Router
from local.server import LocalApp
from recovery.sources import config
from recovery.sources.fetch import FetchFailed, FetchStep, fetch_response
from tests.support import ROOT

TOKENS = {"surveymonkey": "sm-local-token", "qualtrics": "qx-local-token"}
SM_WEBHOOK = {"body": {"object_id": "987654", "resources": {"survey_id": "555001"}}}
QX_WEBHOOK = {"body": {"SurveyID": "SV_localSurvey", "ResponseID": "R_localResponse"}}


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    app = LocalApp(Router([]), None, None, None, None, vendors=vendor_api.VendorApis(TOKENS))  # type: ignore[arg-type]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def step(api: str, api_url: str) -> FetchStep:
    base = vendor_api.base_urls(api_url)[api]
    if api == "surveymonkey":
        return FetchStep("surveymonkey", "local", "body.resources.survey_id", "body.object_id", base_url=base)
    return FetchStep("qualtrics", "local", "body.SurveyID", "body.ResponseID", base_url=base)


def test_surveymonkey_answers_its_sample_with_the_requested_ids(api_url: str) -> None:
    # WHEN the fetch step asks for a response with the accepted token (`Authorization: Bearer ...`)
    response = fetch_response(
        step("surveymonkey", api_url), SM_WEBHOOK, token_for=lambda _: TOKENS["surveymonkey"]
    )
    # THEN it gets SurveyMonkey's published example answer, with the ids it asked for
    sample = json.loads(
        (ROOT / "tests/fixtures/vendor/surveymonkey/response_details_GET_example.json").read_text()
    )
    assert (response["id"], response["survey_id"]) == ("987654", "555001")
    assert {key: value for key, value in response.items() if key not in ("id", "survey_id")} == {
        key: value for key, value in sample.items() if key not in ("id", "survey_id")
    }
    assert response["pages"][0]["questions"][0]["answers"] == [{"choice_id": "3057839051"}]


def test_qualtrics_answers_its_sample_with_the_requested_ids(api_url: str) -> None:
    # WHEN the fetch step asks with the accepted `X-API-TOKEN`
    result = fetch_response(step("qualtrics", api_url), QX_WEBHOOK, token_for=lambda _: TOKENS["qualtrics"])
    # THEN it reads the sample's `result`, whose response id is the one requested
    assert result["responseId"] == "R_localResponse"
    assert result["values"]["_recordId"] == "R_localResponse"
    assert result["values"]["QID1"] == 3
    assert result["values"]["QID2_TEXT"] == "Waited 40 minutes on hold and nobody answered."


@pytest.mark.parametrize("api", ["surveymonkey", "qualtrics"])
def test_a_wrong_token_is_refused_as_the_vendor_refuses_it(api: str, api_url: str) -> None:
    # GIVEN the other vendor's token, WHEN the fetch step asks, THEN the API answers 401 (a 503 for the hook)
    other = TOKENS["qualtrics" if api == "surveymonkey" else "surveymonkey"]
    webhook = SM_WEBHOOK if api == "surveymonkey" else QX_WEBHOOK
    with pytest.raises(FetchFailed, match=f"the {api} API answered 401"):
        fetch_response(step(api, api_url), webhook, token_for=lambda _: other)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/_local/vendors/surveymonkey/v3/surveys/1/responses/2/details", {}),
        (
            "/_local/vendors/surveymonkey/v3/surveys/1/responses/2/details",
            {"Authorization": "sm-local-token"},
        ),
        ("/_local/vendors/surveymonkey/v3/surveys/1/responses/2/details", {"X-API-TOKEN": "sm-local-token"}),
        ("/_local/vendors/qualtrics/API/v3/surveys/SV_1/responses/R_2", {}),
        (
            "/_local/vendors/qualtrics/API/v3/surveys/SV_1/responses/R_2",
            {"Authorization": "Bearer qx-local-token"},
        ),
    ],
    ids=["sm-none", "sm-no-scheme", "sm-other-header", "qx-none", "qx-other-header"],
)
def test_a_request_without_the_vendors_auth_header_is_refused(
    path: str, headers: dict[str, str], api_url: str
) -> None:
    status, document = get(api_url + path, headers)
    assert status == 401
    assert "authorization token" in json.dumps(document)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/_local/vendors/typeform/forms/1/responses", 404),
        ("/_local/vendors/surveymonkey/v3/surveys/1/responses/2", 404),
        ("/_local/vendors/surveymonkey/v3/surveys/1/responses/a%2Fb/details", 404),
        ("/_local/vendors/qualtrics/API/v3/surveys/SV_1/responses/R_2/extra", 404),
    ],
)
def test_other_paths_are_not_found(path: str, status: int, api_url: str) -> None:
    answered, document = get(api_url + path, {"X-API-TOKEN": TOKENS["qualtrics"]})
    assert answered == status and document["status"] == status


def get(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_terminal_shows_the_route_not_the_ids() -> None:
    apis = vendor_api.VendorApis(TOKENS)
    shown = apis.shown_path("/_local/vendors/surveymonkey/v3/surveys/123/responses/456/details")
    assert shown == "/_local/vendors/surveymonkey/v3/surveys/{survey_id}/responses/{response_id}/details"
    assert apis.shown_path("/_local/vendors/qualtrics/API/v3/surveys/SV_9/responses/R_9/x") == (
        "/_local/vendors/qualtrics"
    )


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.client("secretsmanager")


def test_credentials_are_created_once_and_kept(secrets_manager: Any) -> None:
    # WHEN the runtime starts, THEN each vendor's secret holds the token its API accepts
    tokens = vendor_api.ensure_credentials(secrets_manager, "dev")
    for vendor in ("surveymonkey", "qualtrics"):
        stored = secrets_manager.get_secret_value(SecretId=f"recovery-loop/dev/sources/{vendor}-local")
        assert json.loads(stored["SecretString"]) == {"token": tokens[vendor]}
    assert len(tokens["surveymonkey"]) >= 32 and tokens["surveymonkey"] != tokens["qualtrics"]
    # AND a restart with the state (the secrets restored) keeps them; a bare-string token is read as such
    secrets_manager.put_secret_value(
        SecretId="recovery-loop/dev/sources/qualtrics-local", SecretString="bare"
    )
    again = vendor_api.ensure_credentials(secrets_manager, "dev")
    assert again == {"surveymonkey": tokens["surveymonkey"], "qualtrics": "bare"}
    # AND a secret left without a token gets a new one
    secrets_manager.put_secret_value(SecretId="recovery-loop/dev/sources/qualtrics-local", SecretString="{}")
    renewed = vendor_api.ensure_credentials(secrets_manager, "dev")["qualtrics"]
    assert renewed not in ("bare", "") and json.loads(
        secrets_manager.get_secret_value(SecretId="recovery-loop/dev/sources/qualtrics-local")["SecretString"]
    ) == {"token": renewed}


@pytest.mark.parametrize("vendor", ["surveymonkey", "qualtrics"])
def test_the_example_source_names_make_runs_vendor_api_and_secret(vendor: str) -> None:
    # The Environment `make run` resolves is the template's default: the secret prefix the hooks role reads.
    template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    environment = re.search(r"\n  Environment:\n(?:    .*\n)*?    Default: (\w+)\n", template)
    assert environment is not None
    document = yaml.safe_load((ROOT / "examples" / "sources" / f"{vendor}-local.yaml").read_text())
    fetch = config.resolve(config.parse_source(document)).fetch
    assert fetch is not None
    assert fetch.root() == vendor_api.base_urls("http://127.0.0.1:3000")[vendor]
    assert fetch.credentials == vendor_api.credentials_name(environment[1], vendor)


def test_only_this_machine_is_answered() -> None:
    # GIVEN a runtime on every interface (--host 0.0.0.0), WHEN another machine asks with the token
    apis = vendor_api.VendorApis(TOKENS)
    path = "/_local/vendors/qualtrics/API/v3/surveys/SV_1/responses/R_2"
    headers = {"X-API-TOKEN": TOKENS["qualtrics"]}
    # THEN it is refused; 127.0.0.1 and ::1 are answered
    assert apis.answer("GET", path, headers, "192.168.1.20").status == 403
    assert apis.answer("GET", path, headers, "").status == 403
    assert apis.answer("GET", path, headers, "127.0.0.1").status == 200
    assert apis.answer("GET", path, headers, "::1").status == 200
