"""Presets for the tools whose webhooks carry ids only: SurveyMonkey and Qualtrics.

Each turns a source's `options` into the three parts of a connector: a signature scheme, a mapping over
`{"body", "headers", "query", "response"}` (`response` is what the fetch step read from the vendor's API),
and the fetch step. Options are validated here, so a bad one is named (`options/score_question: ...`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from recovery.sources.fetch import FetchStep

# Ids are pasted into JMESPath string literals, so they are held to the vendors' id alphabets.
_SM_ID = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]
_QID = Annotated[str, StringConstraints(pattern=r"^QID[0-9]{1,6}(_[0-9]{1,4})?$")]
_VARIABLE = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=r"^[A-Za-z0-9/_+=.@:-]+$")]
ScoreType = Literal["nps", "csat", "stars", "ces"]


class OptionsError(ValueError):
    """A preset option that does not fit; `pointer` names it (`options/score_question`)."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}")
        self.pointer = pointer
        self.reason = reason


@dataclass(frozen=True)
class PresetParts:
    """What a preset contributes to a connector, in configuration form."""

    signature: dict[str, Any]
    mapping: dict[str, Any]
    fetch: FetchStep


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    anonymous: bool = Field(
        default=False, description="identify a respondent with no id, email or phone by the response id"
    )


_O = TypeVar("_O", bound=_Options)


class SurveyMonkeyOptions(_Options):
    credentials: Secret = Field(description="Secrets Manager name or ARN holding the access token")
    score_question: _SM_ID = Field(description="id of the rating question")
    score_type: ScoreType = "nps"
    score_choices: dict[_SM_ID, int] | None = Field(
        default=None, description="choice id -> score; SurveyMonkey answers a choice question with its id"
    )
    comment_question: _SM_ID | None = Field(default=None, description="id of the open-ended question")
    customer_variable: _VARIABLE | None = Field(
        default=None, description="custom variable with the customer id"
    )
    api_base_url: str | None = Field(
        default=None, description="another API host, e.g. https://api.eu.surveymonkey.com"
    )


class QualtricsOptions(_Options):
    credentials: Secret = Field(description="Secrets Manager name or ARN holding the API token")
    datacenter: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,4}[0-9]{1,2}$")] | None = Field(
        default=None, description="the account's datacenter id, e.g. fra1"
    )
    score_question: _QID
    score_type: ScoreType = "nps"
    comment_question: _QID | None = Field(
        default=None, description="the text entry question; its _TEXT is read"
    )
    signing: Literal["token", "shared_key"] = Field(
        default="token",
        description="token: a secret token in the hook URL; shared_key: the subscription's sharedKey signs "
        "each event (HMAC-SHA512 of MSG, in the HMAC field), and the source's secret is that key",
    )
    api_base_url: str | None = None


def _validated(model: type[_O], options: dict[str, Any]) -> _O:
    try:
        return model.model_validate(options)
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(part) for part in first["loc"])
        raise OptionsError(f"options/{where}" if where else "options", first["msg"]) from None


def fetch_step(**settings: Any) -> FetchStep:
    """A fetch step from preset options (None values left out); a bad one is an `OptionsError` naming
    the option (`options/api_base_url`)."""
    try:
        return FetchStep(**{key: value for key, value in settings.items() if value is not None})
    except ValueError as error:
        key, _, reason = str(error).partition(": ")
        key = "api_base_url" if key == "base_url" else key
        raise OptionsError(f"options/{key}", reason or str(error)) from None


def _identified(customer: dict[str, Any], options: _Options, response_id: str) -> dict[str, Any]:
    if options.anonymous:
        existing = customer.get("id")
        customer = {**customer, "id": f"{existing} || {response_id}" if existing else response_id}
    return customer


def surveymonkey(options: dict[str, Any]) -> PresetParts:
    """SurveyMonkey: `Sm-Signature` is base64(HMAC-SHA1(api_key + "&" + api_secret, body)), so the source's
    secret is that joined pair. The callback names the survey and the response; the details are fetched."""
    chosen = _validated(SurveyMonkeyOptions, options)
    answers = f"response.pages[].questions[] | [?id=='{chosen.score_question}'] | [0].answers[0]"
    score: dict[str, Any] = {"type": chosen.score_type}
    if chosen.score_choices:
        score |= {"value": f"{answers}.choice_id", "map": dict(chosen.score_choices)}
    else:
        score["value"] = f"{answers}.text"
    mapping: dict[str, Any] = {
        "body": "json",
        "delivery_id": "body.event_id",
        "response_id": "body.object_id",
        "event": "body.event_type",
        "events": {"response_completed": "accept", "response_updated": "accept"},
        "score": score,
        "customer": {
            "email": "response.email_address",
            "name": "response.first_name",
            # Custom variables the survey link carries (docs/connectors/surveymonkey.md).
            "value": {
                "amount": "response.custom_variables.customer_value",
                "currency": "response.custom_variables.currency",
            },
        },
        "occurred_at": "response.date_modified",
        "metadata": {"survey_id": "response.survey_id", "collector_id": "response.collector_id"},
    }
    if chosen.comment_question:
        mapping["comment"] = (
            f"response.pages[].questions[] | [?id=='{chosen.comment_question}'] | [0].answers[0].text"
        )
    if chosen.customer_variable:
        mapping["customer"]["id"] = f"response.custom_variables.{chosen.customer_variable}"
    mapping["customer"] = _identified(mapping["customer"], chosen, "body.object_id")
    fetch = fetch_step(
        api="surveymonkey",
        credentials=chosen.credentials,
        survey_id="body.resources.survey_id",
        response_id="body.object_id",
        base_url=chosen.api_base_url,
        event=mapping["event"],
        events=tuple(mapping["events"]),
    )
    signature = {"header": "sm-signature", "algorithm": "sha1", "encoding": "base64", "message": "{body}"}
    return PresetParts(signature=signature, mapping=mapping, fetch=fetch)


# Qualtrics posts an event form-encoded, in one of two forms: without a sharedKey the fields are at the
# top level (`SurveyID`, `ResponseID`, ...); with one, they are JSON in `MSG`, signed in `HMAC`. Both read.
_Q_RESPONSE = "body.MSG.ResponseID || body.ResponseID"
_Q_SURVEY = "body.MSG.SurveyID || body.SurveyID"
QUALTRICS_SHARED_KEY: dict[str, Any] = {
    "field": "HMAC",
    "message": "{form:MSG}",
    "algorithm": "sha512",
    "encoding": "hex",
}


def qualtrics(options: dict[str, Any]) -> PresetParts:
    """Qualtrics: an event subscription created with a `sharedKey` signs each event (`signing:
    shared_key`): hex HMAC-SHA512 of the `MSG` field's text, in the `HMAC` field. Without one, the hook
    URL carries a secret token (`signing: token`, the default). The form-encoded `completedResponse`
    event names the survey and the response; the response is fetched. Qualtrics sends no delivery id
    and no timestamp, so the response id dedupes retries and replays alike."""
    chosen = _validated(QualtricsOptions, options)
    if not (chosen.datacenter or chosen.api_base_url):
        raise OptionsError("options/datacenter", "required (for example fra1)")
    mapping: dict[str, Any] = {
        "body": "form",
        "json_field": "MSG",
        "json_field_optional": True,
        "delivery_id": _Q_RESPONSE,
        "response_id": _Q_RESPONSE,
        "score": {"type": chosen.score_type, "value": f"response.values.{chosen.score_question}"},
        "customer": _identified(
            {
                "id": "response.values.externalDataReference",
                "email": "response.values.recipientEmail",
                "name": "response.values.recipientFirstName",
                "locale": "response.values.userLanguage",
                # Embedded data fields set in the survey flow or by the contact list
                # (docs/connectors/qualtrics.md).
                "value": {"amount": "response.values.customer_value", "currency": "response.values.currency"},
            },
            chosen,
            _Q_RESPONSE,
        ),
        "interaction": {"channel": "response.values.distributionChannel"},
        "occurred_at": "response.values.endDate",
        "metadata": {"survey_id": _Q_SURVEY},
    }
    if chosen.comment_question:
        mapping["comment"] = f"response.values.{chosen.comment_question}_TEXT"
    fetch = fetch_step(
        api="qualtrics",
        credentials=chosen.credentials,
        survey_id=_Q_SURVEY,
        response_id=_Q_RESPONSE,
        datacenter=chosen.datacenter,
        base_url=chosen.api_base_url,
        json_field="MSG",
    )
    signature = dict(QUALTRICS_SHARED_KEY) if chosen.signing == "shared_key" else {"token": "query"}
    return PresetParts(signature=signature, mapping=mapping, fetch=fetch)
