"""The "Try it locally" sections of the SurveyMonkey and Qualtrics pages, run as written against the shared
runtime: the source is added, the vendor's webhook (ids only) is delivered, the hook fetches the response
from the runtime's local vendor API with the token of the runtime's credential secret, and a case opens.

As for the README (tests/e2e/test_readme.py): the block is the single ```bash block of the page's
`## Try it locally` section, it runs in one `bash -e -o pipefail` with `curl` failing on an HTTP error, and
`http://127.0.0.1:3000` (a plain `make run`) is rewritten to the runtime's origin, in the block and in the
example sources it adds; `make` runs the tests' interpreter. It runs in a directory that holds the
repository (linked) and that runtime's `.local/runtime.json`, as the repository root holds `make run`'s.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_readme import documents, for_runtime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
REPO = Path(__file__).resolve().parents[2]
# curl fails on an HTTP error; make runs the tests' interpreter, its environment taken as set up.
PRELUDE = f"""curl() {{ command curl --fail-with-body "$@"; }}
make() {{ command make -o .venv/.installed PY="{sys.executable}" "$@"; }}
"""


def try_it_locally(page: str) -> str:
    """The one ```bash block of the page's `## Try it locally` section."""
    text = (REPO / "docs" / "connectors" / f"{page}.md").read_text(encoding="utf-8")
    start = text.index("\n## Try it locally\n")
    following = text.find("\n## ", start + 1)
    section = text[start : following if following != -1 else len(text)]
    blocks = re.findall(r"\n```bash\n(.*?)\n```", section, re.S)
    assert len(blocks) == 1, f"{page}.md: one ```bash block in `## Try it locally`"
    return blocks[0]


@pytest.fixture(scope="module")
def root(runtime: RuntimeProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as the reader has it while `make run` runs, with the runtime's own origin."""
    root = tmp_path_factory.mktemp("repository")
    for entry in REPO.iterdir():
        if entry.name not in (".local", "examples", ".git"):
            (root / entry.name).symlink_to(entry)
    shutil.copytree(REPO / "examples", root / "examples")
    for source in (root / "examples" / "sources").glob("*.yaml"):
        source.write_text(for_runtime(source.read_text(encoding="utf-8"), runtime), encoding="utf-8")
    (root / ".local").mkdir()
    (root / ".local" / "runtime.json").write_text(json.dumps(runtime.info), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("page", "fetched"),
    [
        (
            "surveymonkey",
            "GET /_local/vendors/surveymonkey/v3/surveys/{survey_id}/responses/{response_id}/details 200",
        ),
        ("qualtrics", "GET /_local/vendors/qualtrics/API/v3/surveys/{survey}/responses/{response} 200"),
    ],
)
def test_try_it_locally_opens_a_case_from_the_fetched_response(
    page: str, fetched: str, runtime: RuntimeProcess, root: Path
) -> None:
    block = try_it_locally(page)
    assert f"sources add examples/sources/{page}-local.yaml" in block
    ran = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-s"],
        input=PRELUDE + for_runtime(block, runtime),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert ran.returncode == 0, f"{page}.md block failed:\n{ran.stdout}\n{ran.stderr}"
    *_, delivered, log = documents(ran.stdout)
    # The webhook was accepted, the fetched answers mapped to a detractor: a new case.
    assert delivered["status"] == "created" and delivered["verdict"] == "negative", delivered
    assert delivered["case_id"] and delivered["feedback_id"]
    [entry] = log["items"]
    assert (entry["status"], entry["outcome"], entry["case_id"]) == (201, "created", delivered["case_id"])
    # The hook read the response from the runtime's stand-in of the vendor's API.
    assert fetched in runtime.logs()
