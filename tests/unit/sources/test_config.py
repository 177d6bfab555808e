"""Source configuration: validated whole when loaded, errors naming the key, presets merged with overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from recovery.sources import config
from recovery.sources.config import ConfigError, parse_sources, resolve
from recovery.sources.signatures import HmacScheme, TokenScheme

ROOT = Path(__file__).resolve().parents[3]


def error_of(document: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_sources(document)
    return str(caught.value)


def test_the_existing_sources_file_still_loads() -> None:
    # GIVEN config/sources.yaml as it is (intake-only sources with thresholds)
    document = yaml.safe_load((ROOT / "config" / "sources.yaml").read_text())
    # WHEN parsed
    specs = parse_sources(document)
    # THEN every source loads, those without preset or mapping have no hook, and thresholds keep their format
    assert [spec.id for spec in specs] == [entry["id"] for entry in document]
    plain = [spec for spec in specs if "preset" not in spec.model_fields_set and spec.mapping is None]
    assert plain and not any(spec.has_hook for spec in plain)
    for spec in specs:
        if spec.has_hook:
            assert resolve(spec).source_id == spec.id
    support = next(spec for spec in specs if spec.thresholds.csat is not None)
    assert support.thresholds.band("csat") == support.thresholds.csat


def test_a_preset_source_resolves_to_its_connector() -> None:
    # GIVEN a Typeform source as in the contract's example
    [spec] = parse_sources([{
        "id": "typeform-nps", "name": "Typeform NPS survey", "preset": "typeform",
        "options": {"score_ref": "nps", "comment_ref": "why"},
        "thresholds": {"nps": {"negative_max": 6, "positive_min": 9}},
    }])  # fmt: skip
    # WHEN resolved
    connector = resolve(spec)
    # THEN the preset's scheme and mapping are filled in from the options
    assert isinstance(connector.signature, HmacScheme)
    assert connector.signature.header == "typeform-signature"
    assert "'nps'" in connector.mapping.score.value and connector.mapping.comment is not None
    assert connector.thresholds.nps is not None and connector.thresholds.nps.negative_max == 6
    assert (connector.source_id, connector.fetch) == ("typeform-nps", None)


def test_overrides_merge_over_the_preset() -> None:
    # GIVEN a Delighted source that changes the score type, adds a channel and a longer replay window
    spec = config.SourceSpec.model_validate({
        "id": "d", "name": "D", "preset": "delighted",
        "mapping": {"score": {"type": "csat"}, "interaction": {"channel": "'email'"}},
        "signature": {"timestamp_header": "x-ts", "tolerance_seconds": 600},
    })  # fmt: skip
    # WHEN resolved
    connector = resolve(spec)
    # THEN the overrides are applied and the rest of the preset kept
    assert connector.mapping.score.type == "csat"
    assert connector.mapping.score.value == "body.event_data.score"
    assert connector.mapping.interaction.channel == "'email'"
    assert isinstance(connector.signature, HmacScheme)
    assert (connector.signature.header, connector.signature.tolerance_seconds) == (
        "x-delighted-webhook-signature", 600,
    )  # fmt: skip


def test_a_score_map_override_replaces_the_presets_map() -> None:
    # GIVEN Help Scout's word map replaced by a team's own
    spec = config.SourceSpec(
        id="h", name="H", preset="helpscout", mapping={"score": {"map": {"great": 5, "okay": 2, "bad": 1}}}
    )
    # WHEN resolved THEN the map is exactly the team's (no leftover "not good")
    assert resolve(spec).mapping.score.map == {"great": 5, "okay": 2, "bad": 1}


def test_a_null_override_removes_a_preset_key() -> None:
    # GIVEN a Typeform source that does not want the form id in metadata
    spec = config.SourceSpec(id="t", name="T", preset="typeform", options={"score_ref": "n"},
                             mapping={"metadata": None})  # fmt: skip
    # WHEN resolved THEN metadata is empty
    assert resolve(spec).mapping.metadata == {}


def test_a_source_with_no_preset_is_configured_whole() -> None:
    # GIVEN a source with its own signature and mapping
    [spec] = parse_sources([{
        "id": "acme-survey", "name": "Acme", "signature": {"token": "query"},
        "mapping": {"response_id": "body.id", "score": {"type": "csat", "value": "body.rating"},
                    "customer": {"email": "body.email"}},
    }])  # fmt: skip
    # WHEN resolved THEN it is a token source with that mapping
    connector = resolve(spec)
    assert isinstance(connector.signature, TokenScheme)
    assert (connector.preset, connector.mapping.score.type) == (None, "csat")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("nope", "sources: expected a list of sources"),
        ([{"id": "Bad Id", "name": "x"}], "sources/0/id: "),
        ([{"id": "a", "name": "A"}, {"id": "a", "name": "B"}], "sources/1/id: 'a' is used twice"),
        ([{"id": "a", "name": "A", "preset": "acme"}], "sources/0/preset: unknown preset 'acme'"),
        ([{"id": "a", "name": "A", "preset": "typeform"}], "sources/0/options/score_ref: Field required"),
        ([{"id": "a", "name": "A", "preset": "typeform", "options": {"score_ref": "x", "colour": 1}}],
         "sources/0/options/colour: Extra inputs are not permitted"),
        ([{"id": "a", "name": "A"}, {"id": "b", "name": "B", "preset": "delighted",
          "mapping": {"score": {"type": "percent"}}}], "sources/1/mapping/score/type: "),
        ([{"id": "a", "name": "A", "preset": "delighted", "mapping": {"comment": "body.[["}}],
         "sources/0/mapping/comment: not a valid JMESPath expression"),
        ([{"id": "a", "name": "A", "preset": "delighted", "signature": {"algorithm": "md5"}}],
         "sources/0/signature/algorithm: "),
        ([{"id": "a", "name": "A", "mapping": {"score": {"type": "nps", "value": "body.s"}}}],
         "sources/0/signature: required"),
        ([{"id": "a", "name": "A", "signature": {"token": "query"}}], "sources/0/mapping: required"),
        ([{"id": "a", "name": "A", "options": {"x": 1}, "signature": {"token": "query"}}],
         "sources/0/options: options are for presets"),
        ([{"id": "a", "name": "A", "signature": {"token": "query"},
           "mapping": {"score": {"type": "custom", "value": "body.s"}}}], "sources/0/mapping/score: "),
        ([{"id": "a", "name": "A", "preset": "typeform", "options": {"score_ref": "it's"}}],
         "sources/0/options/score_ref: "),
    ],
)  # fmt: skip
def test_errors_name_the_bad_key(document: Any, message: str) -> None:
    # GIVEN an invalid sources document WHEN parsed THEN the error starts with the path of the bad key
    assert error_of(document).startswith(message)


def test_a_single_source_from_the_admin_api_names_its_keys_without_an_index() -> None:
    # GIVEN an admin API body with a bad score type
    body = {"id": "a", "name": "A", "preset": "delighted", "mapping": {"score": {"type": "x"}}}
    # WHEN parsed as one source
    with pytest.raises(ConfigError) as caught:
        config.parse_source(body, pointer="")
    # THEN the pointer is relative to the body
    assert caught.value.pointer == "/mapping/score/type"
