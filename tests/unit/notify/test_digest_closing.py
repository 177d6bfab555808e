"""The weekly digest shows the on-time share on both clocks against the team's closing target, in the
lead's language."""

from __future__ import annotations

import pytest

from recovery.domain.routing import ClosingTarget
from recovery.notify.digest import Figure, render_digest
from recovery.notify.render import LANGUAGES
from recovery.services.digest import closing_figures
from tests.unit.notify.test_digest import context

WEEK = {"closed": 4, "closed_in_target_rate": 0.25, "closed_in_target_business_rate": 0.75}
DEFAULT = ClosingTarget()  # 48 hours, 80%
BEFORE = [{"closed_in_target_rate": 0.5, "closed_in_target_business_rate": 0.5}] * 4


def figures(target: ClosingTarget = DEFAULT) -> list[Figure]:
    return closing_figures(WEEK, BEFORE, target)


def test_both_shares_are_figures_against_the_four_weeks_before() -> None:
    wall, business = figures(ClosingTarget(hours=24, share=0.9))
    assert (wall.metric, wall.value, wall.baseline, wall.target) == (
        "closed_in_target_rate",
        0.25,
        0.5,
        (24, 0.9),
    )
    assert (business.value, business.baseline, business.better) == (0.75, 0.5, "up")
    assert wall.change.absolute == pytest.approx(-0.25)


def test_the_digest_shows_them_in_norwegian() -> None:
    rendered = render_digest(context("nb", figures=figures()))
    assert (
        "Lukket innen 48 t, klokketid: 25,0\xa0%, mål 80,0\xa0% "
        "(Snitt 4 uker: 50,0\xa0%; Endring: −25,0\xa0pp)" in rendered.text
    )
    assert "Lukket innen 48 t, arbeidstid: 75,0\xa0%, mål 80,0\xa0%" in rendered.text
    assert "Lukket innen 48 t, arbeidstid" in rendered.html and "mål 80,0\xa0%" in rendered.html


def test_the_digest_shows_them_in_japanese_with_the_teams_own_target() -> None:
    text = render_digest(context("ja", figures=figures(ClosingTarget(hours=24, share=0.9)))).text
    assert "24時間以内に解決（営業時間）" in text and "目標 90.0%" in text


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_language_names_both_clocks_in_its_own_words(language: str) -> None:
    text = render_digest(context(language, figures=figures())).text
    english = render_digest(context("en", figures=figures())).text
    assert "48" in text and "{" not in text
    assert ("Closed within 48 h, business hours" in text) == (language == "en")
    assert "Closed within 48 h, wall clock: 25.0%, goal 80.0%" in english
