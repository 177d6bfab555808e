"""The anomaly alert's wording in every language, the hour a run judges, and which release it names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recovery.domain.anomaly import Group
from recovery.notify.anomaly import AnomalyContext, percent, render_anomaly
from recovery.services.anomalies import last_finished_hour, likely_marker
from recovery.store.markers import StoredMarker

HOUR = datetime(2026, 11, 23, 8, tzinfo=UTC)


def context(**changes: object) -> AnomalyContext:
    values: dict[str, object] = {
        "team": "Support EMEA",
        "dimension": "agent",
        "value": "mark",
        "hour": HOUR,
        "timezone": "Europe/Oslo",
        "rate": 0.5,
        "limit": 0.2294,
        "centre": 0.0812,
        "negatives": 15,
        "volume": 30,
        "dashboard_url": "https://recovery.example.com/console/#/dashboard",
        "recipient_name": "Kari",
        "language": "en",
        "window_hours": 6,
        "clear_hours": 2,
    }
    values.update(changes)
    return AnomalyContext(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "rate", "limit", "group"),
    [
        ("en", "50.0%", "22.9%", "agent mark"),
        ("de", "50,0 %", "22,9 %", "Agent mark"),
        ("nb-NO", "50,0 %", "22,9 %", "agent mark"),
        ("ja", "50.0%", "22.9%", "担当者 mark"),
        ("zh-CN", "50.0%", "22.9%", "客服 mark"),
        ("tr", "%50,0", "%22,9", "temsilci mark"),
    ],
)
def test_every_language_says_the_group_hour_rate_and_limit(
    language: str, rate: str, limit: str, group: str
) -> None:
    # WHEN the alert is rendered for a lead in this language
    rendered = render_anomaly(context(language=language))
    # THEN subject and both bodies name the group, and the bodies give the Oslo hour, rate and limit
    assert group in rendered.subject
    for body in (rendered.text, rendered.html):
        assert group in body and rate in body and limit in body and "15" in body and "30" in body
        assert "2026-11-23 09:00–10:00 CET (Europe/Oslo)" in body
        assert "https://recovery.example.com/console/#/dashboard" in body


def test_the_likely_release_is_named_in_the_readers_zone() -> None:
    rendered = render_anomaly(
        context(
            dimension="tag",
            value="app",
            cause_component="app",
            cause_version="5.2.0",
            cause_at=datetime(2026, 11, 23, 7, 40, tzinfo=UTC),
        )
    )
    assert "Likely cause: Release app 5.2.0 at 2026-11-23 08:40 CET" in rendered.text
    assert rendered.subject == "Anomaly: negative rate up for tag “app” (Support EMEA)"


def test_a_tag_name_never_becomes_markup() -> None:
    rendered = render_anomaly(context(dimension="tag", value='<img src=x onerror="alert(1)">'))
    assert "<img" not in rendered.html and "&lt;img" in rendered.html
    assert "<img" in rendered.text  # plain text stays plain


def test_only_web_links_are_accepted() -> None:
    with pytest.raises(ValueError, match="http"):
        context(dashboard_url="javascript:alert(1)")


def test_percent_rounds_to_one_decimal() -> None:
    assert percent(0.12345, "en") == "12.3%" and percent(1.0, "de") == "100,0 %"


@pytest.mark.parametrize(
    ("now", "judged"),
    [
        (datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)),
        (datetime(2026, 11, 23, 10, 59, 59, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)),
        (datetime(2026, 11, 23, 0, 30, tzinfo=UTC), datetime(2026, 11, 22, 23, tzinfo=UTC)),
    ],
)
def test_a_run_judges_the_last_finished_utc_hour(now: datetime, judged: datetime) -> None:
    assert last_finished_hour(now) == judged


def marker(component: str, minutes_before: int, tags: tuple[str, ...] = ()) -> StoredMarker:
    return StoredMarker(component, component, "1.0", HOUR - timedelta(minutes=minutes_before), tags, None)


def test_a_marker_names_a_tag_by_its_component_or_one_of_its_tags() -> None:
    # GIVEN a release of the app, and a later one of the checkout service that touches billing
    markers = [marker("app", 120), marker("checkout-service", 30, tags=("billing", "checkout"))]
    # THEN a billing anomaly names the checkout release, an app one the app release
    found = likely_marker(HOUR, Group("tag", "billing"), markers)
    assert found is not None and found.component == "checkout-service"
    found = likely_marker(HOUR, Group("tag", "App"), markers)
    assert found is not None and found.component == "app"


def test_no_marker_is_named_outside_the_window_or_for_an_agent() -> None:
    markers = [marker("app", 6 * 60 + 1), marker("mark", 10)]
    assert likely_marker(HOUR, Group("tag", "app"), markers) is None
    assert likely_marker(HOUR, Group("agent", "mark"), markers) is None
