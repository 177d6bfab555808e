"""The runtime's demo credentials: a source's webhook secret in the form its scheme takes, as
`sources add` and `sources rotate` give it, so the start line and a rotation print the same kind."""

from __future__ import annotations

from pathlib import Path

import yaml

from local import demo
from local.state import RuntimeState
from recovery.sources import config, signatures

SOURCES = [
    {"id": "web", "name": "Web"},
    {"id": "tf", "name": "Typeform", "preset": "typeform", "options": {"score_ref": "nps"}},
    {"id": "fb", "name": "Formbricks", "preset": "formbricks", "options": {"score_question": "q1"}},
]


def test_each_hook_source_gets_a_secret_of_its_schemes_form(tmp_path: Path) -> None:
    # GIVEN a plain source, a Typeform source (raw HMAC key) and a Formbricks one (Standard Webhooks)
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(SOURCES), encoding="utf-8")
    # WHEN the runtime makes their secrets
    fresh = demo.scheme_secrets(tmp_path, ["web", "tf", "fb"])
    state = demo.ensure_credentials(RuntimeState(), ["web", "tf", "fb"], fresh)
    # THEN Typeform's is URL-safe text, as a rotation gives it, and Formbricks' a whsec_ key
    assert not state.source_secrets["tf"].startswith("whsec_") and len(state.source_secrets["tf"]) >= 32
    assert state.source_secrets["fb"].startswith("whsec_")
    for source_id in ("tf", "fb"):
        scheme = config.resolve(config.parse_source(SOURCES[[s["id"] for s in SOURCES].index(source_id)]))
        rotated = signatures.new_secret(scheme.signature)
        assert rotated.startswith("whsec_") == state.source_secrets[source_id].startswith("whsec_")
    # AND the source without a hook still gets one, and a kept secret is never replaced
    assert state.source_secrets["web"]
    kept = dict(state.source_secrets)
    again = demo.ensure_credentials(state, ["web", "tf", "fb"], demo.scheme_secrets(tmp_path, ["tf"]))
    assert again.source_secrets == kept
