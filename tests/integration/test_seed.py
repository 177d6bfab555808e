"""Seeding a table from config/: the printed keys authenticate, only their hashes are stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recovery.services.intake import SourceDirectory
from recovery.store.sources import SourceStore
from tests.integration.conftest import table_items
from tests.support import ROOT, Stack
from tools.seed import ConfigError, load_sources, main


def test_seed_prints_keys_that_authenticate(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(ROOT / "config"), "--source", "demo-support"]) == 0
    printed = json.loads(capsys.readouterr().out)
    [entry] = printed["sources"]
    assert entry["id"] == "demo-support" and entry["key"].startswith("rlk_demo-support_")
    assert SourceDirectory(SourceStore()).authenticate(f"Bearer {entry['key']}").source_id == "demo-support"
    assert entry["key"] not in json.dumps(table_items(stack))


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text("- id: Bad_Id\n  name: x\n")
    with pytest.raises(ConfigError, match="sources/0/id"):
        load_sources(tmp_path)
    (tmp_path / "sources.yaml").write_text(
        "- id: ok\n  name: x\n  thresholds: {nps: {negative_max: 9, positive_min: 3}}\n"
    )
    with pytest.raises(ConfigError, match="thresholds/nps"):
        load_sources(tmp_path)
