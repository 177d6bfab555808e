"""The single table's items as pynamodb models. Only `recovery.store` touches DynamoDB.

| item      | pk                          | sk                | GSIs                          |
|-----------|-----------------------------|-------------------|-------------------------------|
| feedback  | FB#<source>#<response id>   | FB                | by_customer                   |
| case      | CASE#<case id>              | CASE              | by_customer, due, queue, history |
| customer  | CUST#<hmac(customer key)>   | CUST              |                               |
| delivery  | DLV#<case>#<level>#<channel>#<hmac(address)> | DLV | due (while sending)       |
| source    | CFG#SOURCE#<source id>      | CFG               |                               |
| sources   | CFG#SOURCES                 | <source id>       |                               |
| hook log  | HOOKLOG#<source id>         | <iso time>#<rand> |                               |
| hook body | HOOKBODY#<source id>        | <iso time>#<rand> |                               |
| held delivery | HOOKHELD#<source id>#<sha256(delivery id)> | HELD |                       |
| counter   | STAT#<team>                 | H#<UTC hour>      |                               |
| batch     | BATCH#<UTC minute>          | <part id>         |                               |
| follow-up | FUP#<case id>               | FUP               | by_customer, due              |
| scheduled customer message | SMSG#<case id>#<kind> | SMSG       | due                           |
| rate limit | RATE#<key>#<UTC minute>     | RATE              |                               |
| sign-in address window | THROTTLE#address#<hmac(address)>#<UTC minute> | WINDOW |              |
| sign-in name | THROTTLE#name#<hmac(user name)> | NAME           |                               |
| link      | LINK#<sha256(code)>         | LINK              |                               |
| marker    | MARKER                      | <at>#<random id>  |                               |
| anomaly state | ANOM#<team>             | STATE             |                               |
| sms reply route | SMSROUTE#<hmac(phone)> | <case id>         |                               |

`bind()` points every model at the table; it is the only binding there is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

UNBOUND = "unbound"
_M = TypeVar("_M", bound="_Item")


class _Item(Model):
    class Meta:
        table_name = UNBOUND
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class FeedbackItem(_Item):
    class Meta(_Item.Meta):
        pass

    feedback_id = UnicodeAttribute()
    source = UnicodeAttribute()
    content_hash = UnicodeAttribute()
    status = UnicodeAttribute()  # "held" until it has a score, then "scored"
    score_type = UnicodeAttribute(null=True)
    verdict = UnicodeAttribute(null=True)
    priority = NumberAttribute(null=True)
    case_id = UnicodeAttribute(null=True)
    # Routing fields stay top-level: the stream function counts by them.
    channel = UnicodeAttribute(null=True)
    agent = UnicodeAttribute(null=True)
    team = UnicodeAttribute(null=True)
    # Everything only ever read whole (score, position, signals, comment, tags, metadata, interaction id,
    # product, locale) is one JSON attribute: one json.dumps instead of a descriptor per field, on the
    # hottest write path there is.
    detail = JSONAttribute(default=dict)
    occurred_at = UTCDateTimeAttribute()
    received_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=1)
    cust_pk = UnicodeAttribute()
    cust_sk = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class DueIndex(GlobalSecondaryIndex["CaseItem"]):
    """Sparse: only items with scheduled work carry `due_pk`; schedules read nothing else."""

    class Meta:
        index_name = "due"
        projection = KeysOnlyProjection()

    due_pk = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class QueueIndex(GlobalSecondaryIndex["CaseItem"]):
    """A team's cases in one status (`QUEUE#<team>#<status>`), by priority then deadline."""

    class Meta:
        index_name = "queue"
        projection = AllProjection()

    queue_pk = UnicodeAttribute(hash_key=True)
    queue_sk = UnicodeAttribute(range_key=True)


class CustomerIndex(GlobalSecondaryIndex["CaseItem"]):
    """Everything about one customer (`CUST#<key>`): history and erasure. Keys only."""

    class Meta:
        index_name = "by_customer"
        projection = KeysOnlyProjection()

    cust_pk = UnicodeAttribute(hash_key=True)
    cust_sk = UnicodeAttribute(range_key=True)


class HistoryIndex(GlobalSecondaryIndex["CaseItem"]):
    """Sparse: a team's alerted cases by month of the interaction (`HIST#<team>#<YYYY-MM>`), ordered by
    `<occurred_at>#<case id>`; set with the first alert. Reports drill down through it."""

    class Meta:
        index_name = "history"
        projection = AllProjection()

    hist_pk = UnicodeAttribute(hash_key=True)
    hist_sk = UnicodeAttribute(range_key=True)


class CaseItem(_Item):
    class Meta(_Item.Meta):
        pass

    due_index = DueIndex()
    queue_index = QueueIndex()
    customer_index = CustomerIndex()
    history_index = HistoryIndex()

    case_id = UnicodeAttribute()
    feedback_pk = UnicodeAttribute()
    feedback_id = UnicodeAttribute()
    source = UnicodeAttribute()
    status = UnicodeAttribute()  # open, acknowledged, resolved
    priority = NumberAttribute()
    repeat_failure = BooleanAttribute(default=False)
    team = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    agent = UnicodeAttribute(null=True)
    customer_key = UnicodeAttribute()
    opened_at = UTCDateTimeAttribute()
    occurred_at = UTCDateTimeAttribute()
    ack_due_at = UTCDateTimeAttribute()
    resolve_due_at = UTCDateTimeAttribute()
    alert_state = UnicodeAttribute()  # pending until the first alert is sent, then sent
    alerted_at = UTCDateTimeAttribute(null=True)
    level = NumberAttribute(default=1)  # the escalation level alerted last
    acked_at = UTCDateTimeAttribute(null=True)
    acked_by = UnicodeAttribute(null=True)
    sla_breached = BooleanAttribute(default=False)
    # Working the case (the cases API). `owner` is the contact id the case is assigned to.
    owner = UnicodeAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    # Closing on time, set at resolve (docs/reports.md): the team's target then, in hours, and the business
    # hours (its leads' on-duty hours) from opening to resolving, in seconds. Counters judge the case by
    # these, so a later change of the team's target does not rewrite history. Removed by a reopen.
    target_hours = NumberAttribute(null=True)
    resolve_business_s = NumberAttribute(null=True)
    # {"root_cause": category, "summary": text, "by": actor}: the summary is free text (erasure redacts it)
    resolution = JSONAttribute(null=True)
    # [{"id", "type", "amount" (decimal string), "currency", "status": granted|pending|approved|declined,
    #   "by", "at", "decided_by", "decided_at"}]
    compensations = JSONAttribute(default=list)
    customer_acked = UnicodeAttribute(null=True)  # how the customer was told: sent|deferred|skipped:<why>
    # The closed loop: outcome recovered | improved | not_recovered | no_response; ratings on the
    # original scale ({"type", "value"}), delta = after - before as a normalised position (0..1 scale).
    outcome = UnicodeAttribute(null=True)
    rating_before = JSONAttribute(null=True)
    rating_after = JSONAttribute(null=True)
    rating_delta = NumberAttribute(null=True)
    # Records in other systems: {"<endpoint id>": {"kind": "zendesk_ticket", "id", "url"}} (outbound)
    external_links = JSONAttribute(null=True)
    tags = ListAttribute[str](default=list)  # the feedback's tags, copied at intake: counters group by them
    # The customer's value from the feedback, copied at intake: {"amount": "1200.00", "currency": "EUR"}.
    # Counters sum it per currency (value at risk, value retained); routing rules can match it.
    customer_value = JSONAttribute(null=True)
    followup_sent_at = UTCDateTimeAttribute(null=True)  # when the follow-up went out
    # Sparse "history" index: set with the first alert (the drill-down of reports).
    hist_pk = UnicodeAttribute(null=True)
    hist_sk = UnicodeAttribute(null=True)
    # Sparse "due" index: present only while the case has scheduled work.
    due_pk = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    # Open cases by team, ordered by priority then deadline.
    queue_pk = UnicodeAttribute(null=True)
    queue_sk = UnicodeAttribute(null=True)
    cust_pk = UnicodeAttribute()
    cust_sk = UnicodeAttribute()
    version = VersionAttribute()


class CaseEventItem(_Item):
    """The case's append-only timeline (the audit log): `CASE#<id>` / `EVT#<time>#<kind>`."""

    class Meta(_Item.Meta):
        pass

    case_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # alerted, escalated, acknowledged, sla_breached, delivery_failed, ...
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute(null=True)  # a contact id, or "system"
    detail = JSONAttribute(default=dict)


class DeliveryDueIndex(GlobalSecondaryIndex["DeliveryItem"]):
    """The same sparse `due` index, read as delivery rows left `sending` (`DUE#sending#<shard>`, by the
    end of their lease): how the sweep finds a send that a crashed invocation never finished."""

    class Meta:
        index_name = "due"
        projection = KeysOnlyProjection()

    due_pk = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class DeliveryItem(_Item):
    """One message to one recipient on one channel: `DLV#<case>#<level>#<channel>#<hmac(address)>`.
    Its conditional creation is what makes a redelivered event or a retry send nothing twice."""

    class Meta(_Item.Meta):
        pass

    due_index = DeliveryDueIndex()

    case_id = UnicodeAttribute()
    level = NumberAttribute()
    channel = UnicodeAttribute()  # email | sms
    contact_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # alert | escalation
    state = UnicodeAttribute()  # sending | sent | failed | suppressed
    attempts = NumberAttribute(default=0)
    message_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
    # Sparse "due" index: present only while the row is `sending` (customer and lead messages; outbound
    # webhook rows take over a stale row themselves), due when the sending lease ends.
    due_pk = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)


class SuppressionItem(_Item):
    """An address that must not be mailed again: `SUP#<hmac(address)>`. Keyed by a keyed hash, so it
    still works after the customer's or contact's data is erased."""

    class Meta(_Item.Meta):
        pass

    reason = UnicodeAttribute()  # bounce | complaint
    detail = UnicodeAttribute(null=True)  # bounce subtype or complaint feedback type
    at = UTCDateTimeAttribute()


class ConfigItem(_Item):
    """Teams and routing, validated whole, as one document: `CFG#ALERTING` / `CFG`."""

    class Meta(_Item.Meta):
        pass

    document = JSONAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute(null=True)
    version = VersionAttribute()


class CustomerItem(_Item):
    class Meta(_Item.Meta):
        pass

    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    # [{"at": ISO time, "case_id": ...}] within the repeat window, newest last.
    recent_negatives = JSONAttribute(default=list)
    # Channels the customer opted out of: {"email": ISO time, "sms": ISO time}
    opted_out = JSONAttribute(default=dict)
    # Follow-ups sent within the cap window: [ISO time, ...], newest last
    followups_sent = JSONAttribute(default=list)
    # The latest value a negative's feedback gave: {"amount": "1200.00", "currency": "EUR"} (erased with
    # the contact details).
    value = JSONAttribute(null=True)
    erased_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class FollowUpItem(_Item):
    """The follow-up of one resolved case: `FUP#<case id>` / `FUP`. At most one per case, by key.

    While work is scheduled it sits in the sparse due index: `DUE#followup#<shard>` until sent, then
    `DUE#noresponse#<shard>` until answered or the answer window closes.
    """

    class Meta(_Item.Meta):
        pass

    case_id = UnicodeAttribute()
    customer_key = UnicodeAttribute()
    team = UnicodeAttribute(null=True)
    state = UnicodeAttribute()  # scheduled | sending | sent | answered | no_response | skipped | cancelled
    scheduled_for = UTCDateTimeAttribute()
    channel = UnicodeAttribute(null=True)  # email | sms, once sent
    sent_at = UTCDateTimeAttribute(null=True)
    answered_at = UTCDateTimeAttribute(null=True)
    skip_reason = UnicodeAttribute(null=True)
    score = JSONAttribute(null=True)  # the original score: {"type", "value", ...}: the scale to ask again
    answer = JSONAttribute(null=True)  # {"score": {...}, "satisfied": bool, "comment": free text}
    # While a run sends it (state "sending"): when that run took it; a run that died is taken over later.
    claimed_at = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)  # sends that failed; after a few the follow-up is skipped
    due_pk = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    cust_pk = UnicodeAttribute()
    cust_sk = UnicodeAttribute()
    version = VersionAttribute()


class SourceItem(_Item):
    class Meta(_Item.Meta):
        pass

    source_id = UnicodeAttribute()
    name = UnicodeAttribute()
    key_hashes = ListAttribute[str](default=list)
    webhook_secret = UnicodeAttribute(null=True)
    thresholds = JSONAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    updated_at = UTCDateTimeAttribute()
    page = JSONAttribute(null=True)  # the hosted page's settings: {"score_type": "nps" | "csat" | "stars"}
    # The connector spec (config/sources.yaml's entry) and the rotation windows: after a rotation the
    # previous secret or key hashes stay valid until `*_until`.
    spec = JSONAttribute(null=True)
    previous_secret = UnicodeAttribute(null=True)
    previous_secret_until = UTCDateTimeAttribute(null=True)
    previous_key_hashes = ListAttribute[str](null=True)
    previous_keys_until = UTCDateTimeAttribute(null=True)


class SourceListingItem(_Item):
    """`CFG#SOURCES` / `<source id>`: one row per source, so listing sources is a Query, not a Scan."""

    class Meta(_Item.Meta):
        pass

    source_id = UnicodeAttribute()
    name = UnicodeAttribute()
    preset = UnicodeAttribute(null=True)


class HookLogItem(_Item):
    """`HOOKLOG#<source>` / `<iso time>#<random>`: one delivery to a hook, accepted or refused. No body,
    no personal data."""

    class Meta(_Item.Meta):
        pass

    received_at = UTCDateTimeAttribute()
    status = NumberAttribute()
    outcome = UnicodeAttribute()  # created, updated, duplicate, held, ignored, refused, failed
    reason = UnicodeAttribute(null=True)
    delivery_id = UnicodeAttribute(null=True)
    feedback_id = UnicodeAttribute(null=True)
    case_id = UnicodeAttribute(null=True)
    body_until = UTCDateTimeAttribute(null=True)  # a refused delivery's bytes are kept until then
    replay_of = UnicodeAttribute(null=True)  # the entry id this line replayed
    expires_at = TTLAttribute()


class HookBodyItem(_Item):
    """`HOOKBODY#<source>` / the sort key of its log entry: a refused delivery's exact bytes, headers and
    query, kept a short while (72 hours by default) so it can be replayed. A sibling of the log entry, so
    reading the log never reads bodies."""

    class Meta(_Item.Meta):
        pass

    raw = BinaryAttribute(legacy_encoding=False)
    headers = JSONAttribute(default=dict)
    query = JSONAttribute(default=dict)
    received_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class HookHeldItem(_Item):
    """`HOOKHELD#<source>#<sha256(delivery id)>` / `HELD`: a delivery held before it could be mapped (no
    score and no respondent yet), remembered so a redelivery of it is a duplicate. TTL removes it."""

    class Meta(_Item.Meta):
        pass

    expires_at = TTLAttribute()


class SeenItem(_Item):
    """`SEEN#<scope>#<sha256>` / `SEEN`: a request that must be acted on once (a signed Slack press), kept
    for a little longer than its signature is valid. TTL removes it."""

    class Meta(_Item.Meta):
        pass

    expires_at = TTLAttribute()


class ReplyRouteItem(_Item):
    """`SMSROUTE#<hmac(phone)>` / `<case id>`: a case the customer at that number was texted about, so a
    text back finds its case by one Query on the key (no phone number in the table's keys). TTL removes
    it once a reply is no longer expected."""

    class Meta(_Item.Meta):
        pass

    case_id = UnicodeAttribute()
    customer_key = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class RateLimitItem(_Item):
    """Hits on one key in one window, named by its first UTC minute: a source's hosted page by the minute
    (`RATE#page#<source>#<minute>` / `RATE`), sign-ins from one client address by five minutes
    (`THROTTLE#address#<hmac>#<minute>` / `WINDOW`). Counted with a conditional update; TTL removes it soon
    after its window."""

    class Meta(_Item.Meta):
        pass

    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


class SignInNameItem(_Item):
    """Sign-in attempts on one user name, by its keyed hash (`THROTTLE#name#<hmac>` / `NAME`): the attempts
    counted since `since`, and the lock that follows too many (until `locked_until`, the name's
    `lockouts`-th). Written only by `recovery.store.throttle`; TTL removes it a day after its last attempt
    or lock."""

    class Meta(_Item.Meta):
        pass

    hits = NumberAttribute(null=True)
    since = UTCDateTimeAttribute(null=True)
    locked_until = UTCDateTimeAttribute(null=True)
    lockouts = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class CounterItem(_Item):
    """One team's counters for one UTC hour of the interaction: `STAT#<team>` / `H#<YYYY-MM-DDTHH>`.
    Every attribute besides `team` and `hour` is a counter named `<metric>` or
    `<metric>|<dimension>|<quoted value>` (docs/counters.md); none is declared here, as names are
    open-ended. Written only by `recovery.store.counters`, read raw by its `CounterReader`."""

    class Meta(_Item.Meta):
        pass

    team = UnicodeAttribute(null=True)
    hour = UnicodeAttribute(null=True)


class BatchMarkerItem(_Item):
    """Counters applied by one transaction of the stream function (recovery.store.counters): under the
    creation minute of the stream records it counted, which it names by digest in `event_ids`."""

    class Meta(_Item.Meta):
        pass

    applied_at = UTCDateTimeAttribute()
    records = NumberAttribute()
    event_ids = UnicodeSetAttribute(null=True)
    expires_at = TTLAttribute()


class MarkerItem(_Item):
    """A release or change marker: `MARKER` / `<at, ISO UTC>#<random id>`, so a time range is one Query."""

    class Meta(_Item.Meta):
        pass

    marker_id = UnicodeAttribute()
    component = UnicodeAttribute()
    version = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    tags = ListAttribute[str](default=list)
    note = UnicodeAttribute(null=True)
    recorded_at = UTCDateTimeAttribute()


class AnomalyStateItem(_Item):
    """One team's anomaly state: `ANOM#<team>` / `STATE`. `groups` maps a group (`agent|mark`) to its open
    anomaly; `history` holds the last closed ones, newest first."""

    class Meta(_Item.Meta):
        pass

    team = UnicodeAttribute()
    last_hour = UnicodeAttribute(null=True)  # the UTC hour judged last ("2026-11-23T09")
    groups = JSONAttribute(default=dict)
    history = JSONAttribute(default=list)
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class ScheduledMessageDueIndex(GlobalSecondaryIndex["ScheduledMessageItem"]):
    """The same sparse `due` index, read as scheduled customer messages (`DUE#custmsg#<shard>`)."""

    class Meta:
        index_name = "due"
        projection = KeysOnlyProjection()

    due_pk = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class ScheduledMessageItem(_Item):
    """A customer message waiting for the customer's contact hours (an SMS at night):
    `SMSG#<case id>#<kind>` / `SMSG`. In the due index until sent or dropped."""

    class Meta(_Item.Meta):
        pass

    due_index = ScheduledMessageDueIndex()

    case_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # customer_ack
    channel = UnicodeAttribute()  # sms
    state = UnicodeAttribute()  # scheduled | sent | skipped | failed
    created_at = UTCDateTimeAttribute()
    send_at = UTCDateTimeAttribute()
    done_at = UTCDateTimeAttribute(null=True)
    due_pk = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class LinkItem(_Item):
    """A link grant, keyed by the SHA-256 of its code: `LINK#<sha256(code)>` / `LINK` (store.links)."""

    class Meta(_Item.Meta):
        pass

    purpose = UnicodeAttribute()
    subject = UnicodeAttribute()
    audience = UnicodeAttribute()
    issued_at = UTCDateTimeAttribute()
    valid_until = UTCDateTimeAttribute()
    single_use = BooleanAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    used_by = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


MODELS: list[type[_Item]] = [
    FeedbackItem,
    CaseItem,
    CaseEventItem,
    DeliveryItem,
    SuppressionItem,
    ConfigItem,
    CustomerItem,
    FollowUpItem,
    SourceItem,
    SourceListingItem,
    HookLogItem,
    HookBodyItem,
    HookHeldItem,
    SeenItem,
    ReplyRouteItem,
    CounterItem,
    BatchMarkerItem,
    ScheduledMessageItem,
    RateLimitItem,
    SignInNameItem,
    LinkItem,
    MarkerItem,
    AnomalyStateItem,
]


def bind(table_name: str, region: str, **connection: Any) -> None:
    """Point every model at the deployed table. Called once per function at cold start.

    All models share one pynamodb Connection, hence one botocore client: pynamodb would otherwise build
    a client per model class, each costing time on the first request of a container.
    """
    shared = None
    # No host given means AWS's own endpoint: an earlier binding's (a local server's) must not linger.
    settings = {"host": None, **connection}
    # CaseItem first: its indexes must be in the shared connection's table description for queries.
    for model in sorted(MODELS, key=lambda model: model is not CaseItem):
        model.Meta.table_name = table_name
        model.Meta.region = region
        for key, value in settings.items():
            setattr(model.Meta, key, value)
        model._connection = None
        table_connection = model._get_connection()  # builds no client yet: no network, no cost
        if shared is None:
            shared = table_connection.connection
        else:
            table_connection.connection = shared


def dynamodb_client() -> Any:
    """The botocore client every model uses (tests and benchmarks hook its events)."""
    return FeedbackItem._get_connection().connection.client


Fields = dict[str, Any]  # an item's attribute values by attribute name, as a model holds them


def put_fields(model: type[_Item], fields: Mapping[str, Any], condition: Condition | None = None) -> None:
    """One PutItem of `fields`, serialised by the model's own attribute types, with no model instance.

    Same item, same request as `model(**fields).save(condition)`, at half the CPU: building a pynamodb
    instance and serialising it through its descriptors costs more than the rest of intake's logic.
    """
    attributes = model.get_attributes()
    serialized = {
        attributes[name].attr_name: {attributes[name].attr_type: attributes[name].serialize(value)}
        for name, value in fields.items()
        if value is not None
    }
    hash_key = serialized.pop("pk")["S"]
    range_key = serialized.pop("sk")["S"]
    model._get_connection().put_item(hash_key, range_key, attributes=serialized, condition=condition)


def get_item(model: type[_M], pk: str, sk: str) -> _M | None:
    """One GetItem; None when absent."""
    try:
        return model.get(pk, sk)
    except model.DoesNotExist:
        return None
