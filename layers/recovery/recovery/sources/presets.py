"""Presets: the signature scheme and mapping for a known survey tool, filled in from a few options.

A preset is only configuration: `build(options)` returns the same `signature:` and `mapping:` documents
a team could write by hand (docs/connectors/custom-mapping.md), and a source's own `signature`/`mapping`
keys are merged over them. Each preset documents its options in docs/connectors/<preset>.md.

`PRESETS` is a plain dict at module level: a preset is added with one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from recovery.sources import fetched_presets

if TYPE_CHECKING:
    from recovery.sources.fetch import FetchStep

# Option values are spliced into JMESPath string literals, so they may not contain quotes or backslashes.
Ref = Annotated[str, StringConstraints(pattern=r"^[^'\"\\\x00-\x1f\x7f]{1,100}$")]
ScoreType = Literal["nps", "csat", "stars", "ces", "thumbs", "custom"]

STANDARD_WEBHOOKS: dict[str, Any] = {
    "header": "webhook-signature",
    "algorithm": "sha256",
    "encoding": "base64",
    "prefix": "v1,",
    "message": "{header:webhook-id}.{header:webhook-timestamp}.{body}",
    "secret_encoding": "whsec",
    "timestamp_header": "webhook-timestamp",
    "tolerance_seconds": 300,
    "multiple": " ",
}


class Options(BaseModel):
    """Options every preset of this module takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    anonymous: bool = Field(
        default=False, description="identify a respondent with no id, email or phone by the response id"
    )


_O = TypeVar("_O", bound=Options)


@dataclass(frozen=True)
class PresetConfig:
    """What a preset produces: the `signature:` and `mapping:` documents, before the source's overrides,
    and the fetch step for tools whose webhooks carry ids only (None for the others)."""

    signature: dict[str, Any]
    mapping: dict[str, Any]
    fetch: FetchStep | None = None


class Configured(Protocol):
    """Anything shaped like `PresetConfig` (a preset module may return its own dataclass)."""

    @property
    def signature(self) -> dict[str, Any]: ...
    @property
    def mapping(self) -> dict[str, Any]: ...
    @property
    def fetch(self) -> FetchStep | None: ...


Configure = Callable[[dict[str, Any]], Configured]


@dataclass(frozen=True)
class Preset:
    """A vendor's connector as configuration.

    `configure(options)` validates the source's `options:` and returns the preset's configuration. It
    raises pydantic's ValidationError, or a ValueError with a `pointer` (`options/score_question`) and a
    `reason`; either way `config.resolve` reports the option by name.
    """

    name: str
    configure: Configure


def with_options(model: type[_O], build: Callable[[_O], PresetConfig]) -> Configure:
    """A `configure` that validates options with `model`, then builds."""

    def configure(options: dict[str, Any]) -> Configured:
        return build(model.model_validate(options))

    return configure


def _with_anonymous(customer: dict[str, Any], options: Options, response_id: str) -> dict[str, Any]:
    if options.anonymous:
        existing = customer.get("id")
        customer = {**customer, "id": f"{existing} || {response_id}" if existing else response_id}
    return customer


# --- Typeform ---------------------------------------------------------------------------------------


class TypeformOptions(Options):
    score_ref: Ref = Field(description="the score question's field ref (or field id)")
    score_type: ScoreType = "nps"
    comment_ref: Ref | None = None
    customer_hidden: Ref = Field(default="customer_id", description="the hidden field with the customer id")
    value_hidden: Ref = Field(
        default="customer_value", description="the hidden field with the customer's value (customer.value)"
    )
    currency_hidden: Ref = Field(default="currency", description="the hidden field with the value's currency")


_FIRST_VALUE = ".[number, choice.label, boolean][?@ != null] | [0]"  # whichever the question type fills


def _typeform_answer(ref: str) -> str:
    return f"body.form_response.answers[?field.ref=='{ref}' || field.id=='{ref}'] | [0]"


def _typeform(options: TypeformOptions) -> PresetConfig:
    response = "body.form_response.token"
    hidden = f'body.form_response.hidden."{options.customer_hidden}"'
    customer = {
        "id": hidden,
        "email": "body.form_response.answers[?type=='email'] | [0].email || body.form_response.hidden.email",
        "phone": (
            "body.form_response.answers[?type=='phone_number'] | [0].phone_number"
            " || body.form_response.hidden.phone"
        ),
        # Typeform sends no respondent language; a hidden field set from the link can carry it.
        "locale": (
            "body.form_response.hidden.language || body.form_response.hidden.lang"
            " || body.form_response.hidden.locale"
        ),
        # The customer's value, from hidden fields the survey link sets (a CRM merge field, say).
        "value": {
            "amount": f'body.form_response.hidden."{options.value_hidden}"',
            "currency": f'body.form_response.hidden."{options.currency_hidden}"',
        },
    }
    mapping: dict[str, Any] = {
        "body": "json",
        "delivery_id": "body.event_id",
        "response_id": response,
        "event": "body.event_type",
        "events": {"form_response": "accept"},
        "score": {
            "type": options.score_type,
            "value": _typeform_answer(options.score_ref)
            + ".[number, choice.label, boolean][?@ != null] | [0]",
        },
        "customer": _with_anonymous(customer, options, response),
        "occurred_at": "body.form_response.submitted_at",
        "metadata": {"form_id": "body.form_response.form_id"},
    }
    if options.comment_ref:
        mapping["comment"] = _typeform_answer(options.comment_ref) + ".text"
    signature = {
        "header": "typeform-signature",
        "algorithm": "sha256",
        "encoding": "base64",
        "prefix": "sha256=",
    }
    return PresetConfig(signature, mapping)


# --- Delighted --------------------------------------------------------------------------------------


class DelightedOptions(Options):
    score_type: Literal["nps", "csat", "ces", "stars"] = "nps"


def _delighted(options: DelightedOptions) -> PresetConfig:
    response = "body.event_data.id"
    customer = {
        "id": "body.event_data.person.id",
        "email": "body.event_data.person.email",
        "phone": "body.event_data.person.phone_number",
        "name": "body.event_data.person.name",
        # The person property Delighted localises the survey with, as it was when the survey went out.
        "locale": "body.event_data.person_properties.locale || body.event_data.person_properties.Locale",
        # Person properties set when the survey was sent (docs/connectors/delighted.md).
        "value": {
            "amount": (
                "body.event_data.person_properties.customer_value"
                ' || body.event_data.person_properties."Customer Value"'
            ),
            "currency": (
                "body.event_data.person_properties.currency || body.event_data.person_properties.Currency"
            ),
        },
    }
    mapping = {
        "body": "json",
        "delivery_id": "body.event_id",
        "response_id": response,
        "event": "body.event_type",
        # The score comes with .created, the comment usually later with .updated: both update one response.
        "events": {"survey_response.created": "accept", "survey_response.updated": "accept"},
        "score": {"type": options.score_type, "value": "body.event_data.score"},
        "comment": "body.event_data.comment",
        "customer": _with_anonymous(customer, options, response),
        "occurred_at": "body.event_data.created_at",
        "tags": "body.event_data.tags",
        "metadata": {"permalink": "body.event_data.permalink"},
    }
    signature = {
        "header": "x-delighted-webhook-signature",
        "algorithm": "sha256",
        "encoding": "hex",
        "prefix": "sha256=",
    }
    return PresetConfig(signature, mapping)


# --- Formbricks (Standard Webhooks) -----------------------------------------------------------------


class FormbricksOptions(Options):
    score_question: Ref = Field(description="the score question's id")
    score_type: ScoreType = "nps"
    comment_question: Ref | None = None


def _formbricks(options: FormbricksOptions) -> PresetConfig:
    response = "body.data.id"
    customer = {
        "id": "body.data.contact.userId || body.data.contact.id",
        "email": "body.data.contactAttributes.email",
        # Contact attributes your app sets (docs/connectors/formbricks.md).
        "value": {
            "amount": "body.data.contactAttributes.customer_value",
            "currency": "body.data.contactAttributes.currency",
        },
        # The language the survey was shown in: an ISO code, or "default" (the survey's own: unknown here).
        "locale": "body.data.language",
    }
    mapping: dict[str, Any] = {
        "body": "json",
        "delivery_id": 'headers."webhook-id"',
        "response_id": response,
        "event": "body.event",
        # responseCreated comes after the first answer and may not have the score yet.
        "events": {"responseCreated": "hold", "responseUpdated": "accept", "responseFinished": "accept"},
        "score": {"type": options.score_type, "value": f'body.data.data."{options.score_question}"'},
        "customer": _with_anonymous(customer, options, response),
        "occurred_at": "body.data.createdAt",
        "metadata": {"survey_id": "body.data.surveyId", "language": "body.data.language"},
    }
    if options.comment_question:
        mapping["comment"] = f'body.data.data."{options.comment_question}"'
    return PresetConfig(dict(STANDARD_WEBHOOKS), mapping)


# --- Zendesk (a trigger with a webhook body we document) -------------------------------------------


class ZendeskOptions(Options):
    pass


def _zendesk(options: ZendeskOptions) -> PresetConfig:
    # Reads the trigger body in docs/connectors/zendesk.md, and also a satisfaction rating object from
    # the Zendesk API (same score words), so a backfill from the API maps the same way.
    response = "body.ticket_id"
    customer = {
        "id": "body.requester_external_id || body.requester_id",
        "email": "body.requester_email",
        "phone": "body.requester_phone",
        # {{ticket.requester.language}}: the requester's language, as its name ("English") or a locale.
        "locale": "body.requester_language",
        # The requester's organization's custom fields, when the trigger body names them
        # (docs/connectors/zendesk.md); Zendesk renders an unset field as empty text: no value.
        "value": {"amount": "body.customer_value", "currency": "body.customer_currency"},
    }
    mapping = {
        "body": "json",
        "delivery_id": 'headers."x-zendesk-webhook-invocation-id"',
        "response_id": response,
        "score": {
            "type": "thumbs",
            "value": "body.satisfaction_rating || body.score",
            # Zendesk also renders "Offered" and "Unoffered" before the customer rates: not a score yet.
            "map": {
                "good": "up",
                "good with comment": "up",
                "bad": "down",
                "bad with comment": "down",
                "offered": None,
                "unoffered": None,
            },
        },
        "comment": "body.satisfaction_comment || body.comment",
        "customer": _with_anonymous(customer, options, response),
        "interaction": {
            "id": "body.ticket_id",
            "channel": "'support'",
            "agent": "body.assignee_email || body.assignee_id",
            "product": "body.brand",
        },
        "occurred_at": "body.updated_at",
        "tags": "body.tags",
        "metadata": {"ticket_url": "body.ticket_url"},
    }
    signature = {
        "header": "x-zendesk-webhook-signature",
        "algorithm": "sha256",
        "encoding": "base64",
        "message": "{header:x-zendesk-webhook-signature-timestamp}{body}",
        "timestamp_header": "x-zendesk-webhook-signature-timestamp",
        "tolerance_seconds": 300,
    }
    return PresetConfig(signature, mapping)


# --- Tally ------------------------------------------------------------------------------------------


class TallyOptions(Options):
    score_field: Ref = Field(description="the score question's key (question_...) or label")
    score_type: ScoreType = "nps"
    comment_field: Ref | None = None
    customer_hidden: Ref = Field(default="customer_id", description="the hidden field with the customer id")
    value_hidden: Ref = Field(
        default="customer_value", description="the hidden field with the customer's value (customer.value)"
    )
    currency_hidden: Ref = Field(default="currency", description="the hidden field with the value's currency")


def _hidden(label: str) -> str:
    return f"body.data.fields[?type=='HIDDEN_FIELDS' && label=='{label}'] | [0].value"


def _tally_field(name: str) -> str:
    return f"body.data.fields[?key=='{name}' || label=='{name}'] | [0].value"


def _tally(options: TallyOptions) -> PresetConfig:
    response = "body.data.responseId"
    customer = {
        "id": f"body.data.fields[?type=='HIDDEN_FIELDS' && label=='{options.customer_hidden}'] | [0].value",
        "email": "body.data.fields[?type=='INPUT_EMAIL'] | [0].value",
        "phone": "body.data.fields[?type=='INPUT_PHONE_NUMBER'] | [0].value",
        "locale": (
            "body.data.fields[?type=='HIDDEN_FIELDS' && (label=='language' || label=='lang'"
            " || label=='locale')] | [0].value"
        ),
        "value": {"amount": _hidden(options.value_hidden), "currency": _hidden(options.currency_hidden)},
    }
    mapping: dict[str, Any] = {
        "body": "json",
        "delivery_id": "body.eventId",
        "response_id": response,
        "event": "body.eventType",
        "events": {"FORM_RESPONSE": "accept"},
        "score": {"type": options.score_type, "value": _tally_field(options.score_field)},
        "customer": _with_anonymous(customer, options, response),
        "occurred_at": "body.data.createdAt",
        "metadata": {"form_id": "body.data.formId"},
    }
    if options.comment_field:
        mapping["comment"] = _tally_field(options.comment_field)
    signature = {"header": "tally-signature", "algorithm": "sha256", "encoding": "base64"}
    return PresetConfig(signature, mapping)


# --- Intercom (conversation rating) -----------------------------------------------------------------


class IntercomOptions(Options):
    credentials: fetched_presets.Secret | None = Field(
        default=None,
        description="Secrets Manager name or ARN holding an access token: the rating contact's email, "
        "name and language are then read from the Contacts API",
    )
    api_base_url: str | None = Field(
        default=None, description="another API host, e.g. https://api.eu.intercom.io"
    )


# Contacts only: a conversation an admin, bot or team started has a teammate as its source's author.
_INTERCOM_CONTACT_AUTHOR = "([body.data.item.source.author][?type=='user' || type=='lead'] | [0])"


def _intercom(options: IntercomOptions) -> PresetConfig:
    item = "body.data.item"
    response = f"{item}.id"
    rater = f"{item}.conversation_rating.contact"
    first = f"({item}.contacts.contacts[?type=='contact'] | [0])"
    customer = {
        # The rating's contact is who rated; the notification names it by reference (Intercom's id, and
        # the external_id your app gave the contact, when it has one). `contact` is that contact as the
        # Contacts API answers, when the source has credentials (else it is absent and reads as null).
        "id": (
            f"{rater}.external_id || {first}.external_id || contact.external_id || {rater}.id || {first}.id"
        ),
        # Not the contact's phone: Intercom keeps it as typed, and one not in E.164 would refuse the rating.
        "email": f"{_INTERCOM_CONTACT_AUTHOR}.email || contact.email",
        "name": f"{_INTERCOM_CONTACT_AUTHOR}.name || contact.name",
        "locale": "contact.language_override || contact.browser_language",
        # The contact's custom attributes, from the Contacts API (with credentials only).
        "value": {
            "amount": "contact.custom_attributes.customer_value",
            "currency": "contact.custom_attributes.currency",
        },
    }
    mapping: dict[str, Any] = {
        "body": "json",
        "delivery_id": "body.id",
        "response_id": response,
        "event": "body.topic",
        "events": {"conversation.rating.added": "accept", "ping": "ignore"},
        "score": {"type": "csat", "value": f"{item}.conversation_rating.rating"},
        "comment": f"{item}.conversation_rating.remark",
        "customer": _with_anonymous(customer, options, response),
        "interaction": {
            "id": f"{item}.id",
            "channel": "'chat'",
            "agent": f"{item}.conversation_rating.teammate.id",
            "team": f"{item}.team_assignee_id",
        },
        "occurred_at": f"{item}.conversation_rating.created_at",
    }
    signature = {"header": "x-hub-signature", "algorithm": "sha1", "encoding": "hex", "prefix": "sha1="}
    fetch = None
    if options.credentials:
        fetch = fetched_presets.fetch_step(
            api="intercom",
            credentials=options.credentials,
            contact_id=f"{rater}.id || {first}.id",
            base_url=options.api_base_url,
            event=mapping["event"],
            events=tuple(name for name, action in mapping["events"].items() if action != "ignore"),
            key="contact",
        )
    elif options.api_base_url:
        raise fetched_presets.OptionsError("options/api_base_url", "only with credentials")
    return PresetConfig(signature, mapping, fetch)


# --- Help Scout (satisfaction rating) ---------------------------------------------------------------


class HelpScoutOptions(Options):
    pass


def _helpscout(options: HelpScoutOptions) -> PresetConfig:
    response = "body.id"
    customer = {
        "id": "body.customer.id",
        "email": "body.customer.email || body.customer.emails[0].value",
        "name": "join(' ', [body.customer.firstName, body.customer.lastName][?@ != null])",
    }
    mapping = {
        "body": "json",
        "delivery_id": None,
        "response_id": response,
        "event": 'headers."x-helpscout-event"',
        "events": {"satisfaction.ratings": "accept"},
        "score": {
            "type": "csat",
            "value": "body.rating",
            "map": {"great": 5, "okay": 3, "not good": 1, "bad": 1},
        },
        "comment": "body.comments",
        "customer": _with_anonymous(customer, options, response),
        "interaction": {
            "id": "body.ticketId",
            "channel": "'email'",
            "team": "body.mailbox.name",
        },
        "occurred_at": "body.createdAt",
    }
    signature = {"header": "x-helpscout-signature", "algorithm": "sha1", "encoding": "base64"}
    return PresetConfig(signature, mapping)


# --- Jotform (multipart, URL token) -----------------------------------------------------------------


class JotformOptions(Options):
    score_field: Ref = Field(description="the score field's name in rawRequest, e.g. q3_howLikely")
    score_type: ScoreType = "nps"
    comment_field: Ref | None = None
    email_field: Ref | None = None
    customer_field: Ref | None = Field(default=None, description="a (hidden) field with the customer id")


def _jotform(options: JotformOptions) -> PresetConfig:
    raw = "body.rawRequest"
    response = "body.submissionID"
    customer: dict[str, str] = {}
    if options.customer_field:
        customer["id"] = f'{raw}."{options.customer_field}"'
    if options.email_field:
        customer["email"] = f'{raw}."{options.email_field}"'
    mapping: dict[str, Any] = {
        "body": "multipart",
        "json_field": "rawRequest",
        "delivery_id": response,
        "response_id": response,
        "score": {"type": options.score_type, "value": f'{raw}."{options.score_field}"'},
        "customer": _with_anonymous(customer, options, response),
        "metadata": {"form_id": "body.formID"},
    }
    if options.comment_field:
        mapping["comment"] = f'{raw}."{options.comment_field}"'
    return PresetConfig({"token": "query"}, mapping)


# Preset name (the `preset:` key of a source) -> preset. Tools whose webhooks carry ids only
# (SurveyMonkey, Qualtrics) add their entries here too, with a fetch step in their configuration.
PRESETS: dict[str, Preset] = {
    "typeform": Preset("typeform", with_options(TypeformOptions, _typeform)),
    "delighted": Preset("delighted", with_options(DelightedOptions, _delighted)),
    "formbricks": Preset("formbricks", with_options(FormbricksOptions, _formbricks)),
    "zendesk": Preset("zendesk", with_options(ZendeskOptions, _zendesk)),
    "tally": Preset("tally", with_options(TallyOptions, _tally)),
    "intercom": Preset("intercom", with_options(IntercomOptions, _intercom)),
    "helpscout": Preset("helpscout", with_options(HelpScoutOptions, _helpscout)),
    "jotform": Preset("jotform", with_options(JotformOptions, _jotform)),
    "surveymonkey": Preset("surveymonkey", fetched_presets.surveymonkey),
    "qualtrics": Preset("qualtrics", fetched_presets.qualtrics),
}

# Presets whose vendor fixes the webhook secret itself (Intercom's client secret, the whsec_ Formbricks
# shows, Delighted's private API key, Zendesk's signing secret, SurveyMonkey's `api_key&api_secret`): a
# secret generated here would be useless, so a source of these gets none until the team supplies it.
VENDOR_SECRETS: frozenset[str] = frozenset({"intercom", "formbricks", "delighted", "zendesk", "surveymonkey"})
