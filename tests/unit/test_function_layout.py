"""The Lambda handlers stay thin: no file in functions/ over 200 lines, big APIs split into one Router
per file that app.py includes, the modules beside app.py imported by their top-level names (a function's
directory is its package root) and never another function's, and every JSON API answering exceptions
through the one map of the HTTP edge (`recovery.web.errors`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ROOT

FUNCTIONS = sorted(path for path in (ROOT / "functions").iterdir() if (path / "app.py").is_file())
JSON_APIS = ("ingest", "cases", "reports", "admin")
MAX_LINES = 200


def top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_file_in_functions_is_over_200_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "functions").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize("folder", FUNCTIONS, ids=lambda folder: folder.name)
def test_a_function_imports_only_its_own_modules_beside_app(folder: Path) -> None:
    # GIVEN every module some function keeps beside its app.py
    beside = {path.stem for other in FUNCTIONS for path in other.glob("*.py")} - {"app"}
    own = {path.stem for path in folder.glob("*.py")}
    # WHEN this function's modules are read THEN each such name they import is one of its own
    borrowed = {
        f"{path.name} imports {name}"
        for path in folder.glob("*.py")
        for name in top_level_imports(path) & beside
        if name not in own
    }
    assert borrowed == set()


@pytest.mark.parametrize("folder", FUNCTIONS, ids=lambda folder: folder.name)
def test_every_router_file_is_included_by_app(folder: Path) -> None:
    routers = {path.stem for path in folder.glob("routes_*.py")}
    assert routers <= top_level_imports(folder / "app.py")
    for name in routers:
        assert "router = Router()" in (folder / f"{name}.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", JSON_APIS)
def test_a_json_api_answers_exceptions_through_the_one_map(name: str) -> None:
    # GIVEN a JSON API's modules WHEN read THEN app.py registers the edge's map once, and no module
    # maps an exception of its own
    folder = ROOT / "functions" / name
    assert (folder / "app.py").read_text(encoding="utf-8").count("errors.register(app)") == 1
    own_handlers = [
        path.name for path in folder.glob("*.py") if "exception_handler" in path.read_text("utf-8")
    ]
    assert own_handlers == []
