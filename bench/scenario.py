"""Realistic canonical feedback for the benchmarks: positives, negatives, repeat failures, stream mixes.

Every body is under 1 KB of JSON (the budgets are stated for feedback under 1 KB). Negatives carry the
full contact block (name, email, phone, locale, time zone), the largest customer item intake writes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

TEAMS = ("support-emea", "support-us", "billing")
CHANNELS = ("chat", "phone", "email")
AGENTS = ("mark", "lena", "ola", "aiko", "deniz", "chen")
SOURCES = ("demo-web", "demo-support")
POSITIVE_COMMENTS = (
    "Quick and friendly.",
    "Solved on the first call, thanks!",
    "Great help with my invoice.",
    "Rask og hyggelig hjelp.",
    None,
)
NEGATIVE_COMMENTS = (
    "Ventet i 40 minutter og ingen svarte.",
    "I was promised a refund twice and nothing happened. Very disappointed with the service.",
    "Der Techniker kam nicht zum vereinbarten Termin und niemand hat angerufen.",
    "注文した商品が届かず、問い合わせにも返事がありません。",
    "Kargo iki haftadır gelmedi, kimse yardımcı olmuyor.",
)
MAX_BODY = 1024


@dataclass(frozen=True)
class Planned:
    kind: str  # positive, neutral, negative, negative_repeat
    source: str
    body: dict[str, Any]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    if size >= MAX_BODY:
        raise ValueError(f"benchmark feedback must stay under 1 KB, this one is {size} bytes")
    return body


def positive(index: int, occurred: datetime, rng: random.Random, prefix: str = "p") -> dict[str, Any]:
    customer: dict[str, Any] = {"id": f"cust-{prefix}{index:05d}"}
    if rng.random() < 0.5:
        customer["email"] = f"customer.{prefix}{index}@example.com"
    body: dict[str, Any] = {
        "external_id": f"resp_{prefix}{index:05d}",
        "occurred_at": _iso(occurred),
        "customer": customer,
        "interaction": {
            "id": f"t-{prefix}{index:05d}",
            "channel": rng.choice(CHANNELS),
            "agent": rng.choice(AGENTS),
            "team": rng.choice(TEAMS),
        },
        "score": rng.choice([{"type": "nps", "value": rng.choice((9, 10))}, {"type": "csat", "value": 5}]),
        "tags": ["friendly"] if rng.random() < 0.3 else [],
    }
    comment = rng.choice(POSITIVE_COMMENTS)
    if comment:
        body["comment"] = comment
    return _checked(body)


def neutral(index: int, occurred: datetime, rng: random.Random) -> dict[str, Any]:
    body = positive(index, occurred, rng, prefix="n")
    body["score"] = {"type": "nps", "value": rng.choice((7, 8))}
    body.pop("comment", None)
    return _checked(body)


def negative(
    index: int, occurred: datetime, rng: random.Random, customer: int | None = None, prefix: str = "x"
) -> dict[str, Any]:
    """A negative from customer `customer` (defaults to its own, new customer)."""
    who = index if customer is None else customer
    body: dict[str, Any] = {
        "external_id": f"resp_{prefix}{index:05d}",
        "occurred_at": _iso(occurred),
        "customer": {
            "id": f"cust-x{who:05d}",
            "email": f"customer.x{who}@example.com",
            "phone": f"+4791{who:06d}",
            "name": "Ada Lovelace",
            "locale": "nb-NO",
            "timezone": "Europe/Oslo",
        },
        "interaction": {
            "id": f"t-{prefix}{index:05d}",
            "channel": rng.choice(CHANNELS),
            "agent": rng.choice(AGENTS),
            "team": rng.choice(TEAMS),
            "product": "app",
        },
        "score": rng.choice([{"type": "nps", "value": rng.choice((1, 2, 3))}, {"type": "csat", "value": 1}]),
        "comment": rng.choice(NEGATIVE_COMMENTS),
        "tags": ["wait-time"],
        "metadata": {"order": f"SO-{100000 + index}", "plan": "pro"},
    }
    return _checked(body)


def ingest_plan(count: int, repeats: int, now: datetime, seed: int = 7) -> list[Planned]:
    """`count` positives, `count` first negatives from new customers, then `repeats` negatives from
    customers who already had one (repeat failures), all from one source."""
    rng = random.Random(seed)
    plan = [
        Planned("positive", "demo-web", positive(i, now - timedelta(minutes=90 - i % 60), rng))
        for i in range(count)
    ]
    plan += [
        Planned("negative", "demo-web", negative(i, now - timedelta(hours=2, minutes=i % 60), rng))
        for i in range(count)
    ]
    plan += [
        Planned(
            "negative_repeat",
            "demo-web",
            negative(count + i, now - timedelta(minutes=i % 60), rng, customer=i),
        )
        for i in range(repeats)
    ]
    return plan


def stream_mix(total: int, negatives: int, start: datetime, hours: int = 2, seed: int = 11) -> list[Planned]:
    """`total` feedback over `hours` UTC hours from `start`: a few teams, channels and both sources;
    `negatives` of them negative, a tenth of the rest neutral, in shuffled order."""
    rng = random.Random(seed)
    kinds = ["negative"] * negatives + ["neutral"] * ((total - negatives) // 10)
    kinds += ["positive"] * (total - len(kinds))
    rng.shuffle(kinds)
    plan = []
    for index, kind in enumerate(kinds):
        occurred = start + timedelta(seconds=rng.randrange(hours * 3600))
        source = SOURCES[0] if rng.random() < 0.7 else SOURCES[1]
        if kind == "negative":
            body = negative(index, occurred, rng, prefix="s")
            body["customer"]["id"] = f"cust-s{index:05d}"
        elif kind == "neutral":
            body = neutral(index, occurred, rng)
        else:
            body = positive(index, occurred, rng, prefix="s")
        plan.append(Planned(kind, source, body))
    return plan
