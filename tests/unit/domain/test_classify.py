"""Classification: verdict bands, text signals, priorities; properties hold for every valid score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.domain.classify import Band, Priority, Thresholds, classify, is_repeat, position
from recovery.domain.feedback import CesScore, CsatScore, CustomScore, NpsScore, StarsScore, ThumbsScore
from recovery.domain.signals import Signal, find

URGENCY = {None: 5, Priority.P4: 4, Priority.P3: 3, Priority.P2: 2, Priority.P1: 1}
BADNESS = {"positive": 0, "neutral": 1, "negative": 2}


@pytest.mark.parametrize(
    ("score", "verdict"),
    [
        (NpsScore(type="nps", value=0), "negative"),
        (NpsScore(type="nps", value=6), "negative"),
        (NpsScore(type="nps", value=7), "neutral"),
        (NpsScore(type="nps", value=8), "neutral"),
        (NpsScore(type="nps", value=9), "positive"),
        (CsatScore(type="csat", value=2), "negative"),
        (CsatScore(type="csat", value=3), "neutral"),
        (StarsScore(type="stars", value=4), "positive"),
        (CesScore(type="ces", value=3), "negative"),
        (CesScore(type="ces", value=4), "neutral"),
        (CesScore(type="ces", value=5), "positive"),
        (ThumbsScore(type="thumbs", value="down"), "negative"),
        (ThumbsScore(type="thumbs", value="up"), "positive"),
        (CustomScore(type="custom", value=40, min=0, max=100), "negative"),
        (CustomScore(type="custom", value=41, min=0, max=100), "neutral"),
        (CustomScore(type="custom", value=60, min=0, max=100, higher_is_better=False), "negative"),
    ],
)
def test_design_thresholds(score, verdict):
    assert classify(score, None).verdict == verdict


def test_source_can_move_the_thresholds():
    strict = Thresholds(csat=Band(negative_max=3, positive_min=5))
    assert classify(CsatScore(type="csat", value=3), None, strict).verdict == "negative"
    assert classify(CsatScore(type="csat", value=4), None, strict).verdict == "neutral"


def test_band_must_be_ordered():
    with pytest.raises(ValueError, match="negative_max"):
        Band(negative_max=5, positive_min=5)


@pytest.mark.parametrize(
    ("comment", "signal"),
    [
        ("I will cancel my subscription", Signal.CANCEL),
        ("My lawyer will hear about this", Signal.LEGAL),
        ("The heater was dangerous", Signal.SAFETY),
        ("Ich werde meinen Vertrag kündigen", Signal.CANCEL),
        ("Das war gefährlich", Signal.SAFETY),
        ("Jeg kontakter advokat", Signal.LEGAL),
        ("Jeg sier opp avtalen", Signal.CANCEL),
        ("Aboneliğimi İPTAL edeceğim", Signal.CANCEL),
        ("Avukatıma gideceğim", Signal.LEGAL),
        ("解約します", Signal.CANCEL),
        ("弁護士に相談します", Signal.LEGAL),
        ("我要起诉你们", Signal.LEGAL),
        ("食物中毒了，太危险", Signal.SAFETY),
        ("Ventet i 40 minutter og ingen svarte.", Signal.COMPLAINT),
        ("Der Mitarbeiter war unfreundlich", Signal.COMPLAINT),
        ("Çok kaba davrandılar", Signal.COMPLAINT),
        ("最悪の対応でした", Signal.COMPLAINT),
        ("客服太粗鲁了", Signal.COMPLAINT),
        ("The agent was rude", Signal.COMPLAINT),
    ],
)
def test_signals_in_six_languages(comment, signal):
    assert signal in find(comment)


@pytest.mark.parametrize(
    "comment", ["Great, thanks!", "Sue was lovely", "nice courtyard", "Tusen takk", "ありがとう"]
)
def test_no_false_alarm_on_ordinary_words(comment):
    assert find(comment) == frozenset()


def test_complaint_turns_a_middling_score_into_a_p4_case():
    result = classify(NpsScore(type="nps", value=7), "Ventet i 40 minutter og ingen svarte.")
    assert (result.verdict, result.priority) == ("negative", Priority.P4)


def test_severe_words_make_a_middling_score_p1():
    assert classify(CsatScore(type="csat", value=3), "I'll cancel my account").priority == Priority.P1


def test_complaint_raises_a_negative():
    plain = classify(NpsScore(type="nps", value=5), None)
    angry = classify(NpsScore(type="nps", value=5), "rude and useless")
    assert (plain.priority, angry.priority) == (Priority.P3, Priority.P2)


def test_most_extreme_score_is_p1():
    assert classify(NpsScore(type="nps", value=0), None).priority == Priority.P1
    assert classify(CsatScore(type="csat", value=1), None).priority == Priority.P1
    assert classify(ThumbsScore(type="thumbs", value="down"), None).priority == Priority.P3


def test_positive_never_opens_a_case_even_with_strong_words():
    result = classify(NpsScore(type="nps", value=10), "I was going to cancel but you fixed it")
    assert not result.opens_case and result.priority is None


def test_repeat_failure_is_p1():
    now = datetime(2026, 11, 22, tzinfo=UTC)
    assert is_repeat([now - timedelta(days=89)], now)
    assert not is_repeat([now - timedelta(days=91)], now)
    result = classify(NpsScore(type="nps", value=6), None).as_repeat_failure()
    assert result.priority == Priority.P1 and result.repeat_failure


SCALES = {"nps": (0, 10), "csat": (1, 5), "stars": (1, 5), "ces": (1, 7)}
MODELS = {"nps": NpsScore, "csat": CsatScore, "stars": StarsScore, "ces": CesScore}
comments = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.sampled_from(["rude", "cancel", "lawyer", "ventet lenge", "最悪", "great", "kaba", "kündigen"]),
)


@given(score_type=st.sampled_from(sorted(SCALES)), data=st.data(), comment=comments)
def test_monotonic_in_score(score_type, data, comment):
    low, high = SCALES[score_type]
    a = data.draw(st.integers(low, high))
    b = data.draw(st.integers(a, high))
    worse = classify(MODELS[score_type](type=score_type, value=a), comment)
    better = classify(MODELS[score_type](type=score_type, value=b), comment)
    assert BADNESS[worse.verdict] >= BADNESS[better.verdict]
    assert URGENCY[worse.priority] <= URGENCY[better.priority]


@given(
    low=st.floats(-1e6, 1e6, allow_nan=False),
    span=st.floats(1e-3, 1e6, allow_nan=False),
    a=st.floats(0, 1),
    b=st.floats(0, 1),
    higher=st.booleans(),
    comment=comments,
)
def test_monotonic_for_custom_scales(low, span, a, b, higher, comment):
    high = low + span
    first, second = sorted((a, b))
    worse_value = low + first * span if higher else high - first * span
    better_value = low + second * span if higher else high - second * span

    def make(value: float) -> CustomScore:
        return CustomScore(
            type="custom", value=min(max(value, low), high), min=low, max=high, higher_is_better=higher
        )

    worse, better = classify(make(worse_value), comment), classify(make(better_value), comment)
    assert BADNESS[worse.verdict] >= BADNESS[better.verdict]
    assert URGENCY[worse.priority] <= URGENCY[better.priority]


@given(
    score=st.one_of(
        st.builds(NpsScore, type=st.just("nps"), value=st.integers(0, 10)),
        st.builds(CsatScore, type=st.just("csat"), value=st.integers(1, 5)),
        st.builds(StarsScore, type=st.just("stars"), value=st.integers(1, 5)),
        st.builds(CesScore, type=st.just("ces"), value=st.integers(1, 7)),
        st.builds(ThumbsScore, type=st.just("thumbs"), value=st.sampled_from(["up", "down"])),
    ),
    comment=st.one_of(st.none(), st.text()),
)
def test_never_an_error_on_a_valid_score(score, comment):
    result = classify(score, comment)
    assert 0.0 <= position(score) <= 1.0
    assert result.verdict in BADNESS
    assert (result.priority is None) == (result.verdict != "negative")
