"""Lambda code never imports `local/` or `tools/`, and the layer holds no command (DESIGN.md, Layout).

What a function or the layer imports must be in its package or the layer when it runs on Lambda; the
embedded runtime and the operator CLIs are neither.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ROOT

LAMBDA_CODE = (ROOT / "layers" / "recovery" / "recovery", ROOT / "functions")
NOT_SHIPPED = frozenset({"local", "tools"})


def lambda_modules() -> list[Path]:
    return sorted(path for folder in LAMBDA_CODE for path in folder.rglob("*.py"))


def imported_packages(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import, wherever it is (module level or lazy)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def unshipped_imports(source: str, name: str) -> list[str]:
    return [
        f"{name}:{line} imports {package}"
        for line, package in imported_packages(ast.parse(source, name))
        if package in NOT_SHIPPED
    ]


def is_command(source: str) -> bool:
    """True for a module with an `if __name__ == "__main__":` block at its top level."""
    return any(
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in node.test.comparators)
        for node in ast.parse(source).body
    )


def test_lambda_code_imports_neither_local_nor_tools() -> None:
    # GIVEN every module of the layer and of the functions
    modules = lambda_modules()
    assert len(modules) > 50
    # WHEN their imports are read THEN none names the runtime or the tools
    problems = [
        problem
        for path in modules
        for problem in unshipped_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert problems == []


def test_the_layer_holds_no_command() -> None:
    # GIVEN the layer's modules WHEN each is read THEN none is a command: those live in tools/
    commands = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "layers" / "recovery" / "recovery").rglob("*.py")
        if is_command(path.read_text(encoding="utf-8"))
    ]
    assert commands == []


@pytest.mark.parametrize(
    "source",
    [
        "import tools.seed\n",
        "from tools.stack_outputs import resolve\n",
        "from local import demo\n",
        "def lazy():\n    from tools import admin\n",
    ],
)
def test_an_import_of_the_runtime_or_the_tools_is_found(source: str) -> None:
    # GIVEN a module that imports one, at module level or inside a function WHEN read THEN it is named
    assert unshipped_imports(source, "app.py") != []


def test_names_that_merely_start_alike_and_relative_imports_pass() -> None:
    source = "import toolz\nfrom localstack import x\nfrom .tools import y\nfrom recovery import settings\n"
    assert unshipped_imports(source, "app.py") == []


def test_a_main_block_makes_a_command() -> None:
    assert is_command('def main():\n    pass\n\nif __name__ == "__main__":\n    main()\n')
    assert not is_command("def main():\n    pass\n")
