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


# ------------------------------------------------------------------------------ imports point down
# The layer's folders, and what each may not import (DESIGN.md, Layout; docs/architecture.md):
#   functions -> wiring / web / services -> notify / sources / store -> domain
# settings, observability, clock and errors sit at the root and every folder may use them. A forbidden
# name covers everything under it: "store" forbids `recovery.store.models._Item` too.
LAYER_FOLDERS = frozenset({"domain", "store", "notify", "sources", "services", "web", "wiring"})
AWS_SDK = ("boto3", "botocore")
FOLDER_RULES: dict[str, tuple[str, ...]] = {
    # Pure rules: no storage, no ports, no flows, no AWS.
    "domain": ("store", "notify", "sources", "services", "web", "wiring", *AWS_SDK),
    # Storage sits on the domain alone.
    "store": ("notify", "sources", "services", "web", "wiring"),
    # Outbound ports need no storage and know no flow.
    "notify": ("store", "services", "web", "wiring"),
    # Connectors know no flow, and reach AWS only for a secret (ALLOWED).
    "sources": ("store", "services", "web", "wiring", *AWS_SDK),
    # Flows reach AWS only through store/ and notify/, and are built by wiring/, never the reverse.
    "services": ("web", "wiring", *AWS_SDK),
    # The HTTP edge calls flows; it neither builds them nor talks to AWS.
    "web": ("wiring", *AWS_SDK),
}
ALLOWED: dict[str, tuple[str, ...]] = {
    # An id-only webhook's fetch step reads the vendor API's credentials.
    "sources": ("store.secrets",),
}
PYNAMODB = "pynamodb"  # nothing outside store/ imports pynamodb, Lambda handlers included
STORE_PRIVATE = "store-private"  # nothing outside store/ imports its private (`_`) names
# Flows and the HTTP edge get records from the stores (recovery.domain.records), never a stored item.
STORE_ITEMS = "store-items"
ITEM_FREE = ("services", "web")


def qualified(name: str) -> str:
    """`store.secrets` -> `recovery.store.secrets`; names outside the layer stay as they are."""
    return f"recovery.{name}" if name.split(".")[0] in LAYER_FOLDERS else name


def module_name(path: Path) -> str:
    """`recovery.services.cases` for the layer's modules, `functions.ingest.app` for a handler."""
    base = ROOT / "layers" / "recovery" if path.is_relative_to(ROOT / "layers") else ROOT
    parts = path.relative_to(base).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything imported, wherever it is; relative imports made absolute.

    `from a.b import c` gives `a.b.c`, whether c is a module or a name in a.b.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def is_private(name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))


def rules_for(module: str) -> list[str]:
    rules = [folder for folder in FOLDER_RULES if under(module, qualified(folder))]
    if not under(module, "recovery.store"):
        rules += [PYNAMODB, STORE_PRIVATE]
    if any(under(module, qualified(folder)) for folder in ITEM_FREE):
        rules.append(STORE_ITEMS)
    return rules


def forbidden(rule: str, name: str) -> bool:
    """True when importing `name` breaks `rule`."""
    if rule == PYNAMODB:
        return under(name, "pynamodb")
    if rule == STORE_PRIVATE:
        return under(name, "recovery.store") and is_private(name)
    if rule == STORE_ITEMS:
        return under(name, "recovery.store.models")
    return any(under(name, qualified(f)) for f in FOLDER_RULES[rule]) and not any(
        under(name, qualified(a)) for a in ALLOWED.get(rule, ())
    )


def breaches(rule: str, module: str, source: str, is_package: bool = False) -> list[str]:
    """The imports in `source` (the module `module`) that break `rule`."""
    return [
        f"{module}:{line} imports {name}"
        for line, name in imported_names(source, module, is_package)
        if forbidden(rule, name)
    ]


def checked_modules() -> dict[str, Path]:
    return {module_name(path): path for path in lambda_modules()}


def breaches_of(rule: str, module: str, path: Path) -> list[str]:
    return breaches(rule, module, path.read_text(encoding="utf-8"), path.name == "__init__.py")


@pytest.mark.parametrize("rule", [*FOLDER_RULES, PYNAMODB, STORE_PRIVATE, STORE_ITEMS])
def test_imports_point_down(rule: str) -> None:
    # GIVEN the modules the rule covers (the layer's, and the handlers')
    modules = {module: path for module, path in checked_modules().items() if rule in rules_for(module)}
    assert modules, f"no module is under {rule}"
    # WHEN their imports are read, module level or lazy THEN none breaks the rule
    assert [problem for module, path in modules.items() for problem in breaches_of(rule, module, path)] == []


def test_the_rules_name_folders_the_layer_has() -> None:
    # A renamed folder would leave its rule checking nothing.
    layer = ROOT / "layers" / "recovery" / "recovery"
    assert {path.name for path in layer.iterdir() if (path / "__init__.py").exists()} == LAYER_FOLDERS
    assert set(FOLDER_RULES) | set(ALLOWED) <= LAYER_FOLDERS


@pytest.mark.parametrize(
    ("rule", "module", "source"),
    [
        ("domain", "recovery.domain.cases", "from recovery.store.cases import CaseStore\n"),
        ("domain", "recovery.domain.cases", "from recovery import notify\n"),
        ("domain", "recovery.domain.cases", "def f():\n    from recovery.services import alerts\n"),
        ("domain", "recovery.domain.cases", "from ..wiring import messaging\n"),
        ("domain", "recovery.domain.cases", "from ..web.http import problem\n"),
        ("domain", "recovery.domain.cases", "from recovery.sources.presets import PRESETS\n"),
        ("domain", "recovery.domain.cases", "import boto3\n"),
        ("store", "recovery.store.cases", "from recovery.notify.senders import Sender\n"),
        ("store", "recovery.store.cases", "from recovery.services.cases import CaseView\n"),
        ("notify", "recovery.notify.render", "from recovery.store.models import CaseItem\n"),
        ("notify", "recovery.notify.render", "from .. import services\n"),
        ("sources", "recovery.sources.fetch", "from recovery.store.models import SourceItem\n"),
        ("sources", "recovery.sources", "from ..store import sources\n"),
        ("sources", "recovery.sources.fetch", "import botocore.session\n"),
        ("services", "recovery.services.alerts", "import boto3\n"),
        ("services", "recovery.services.alerts", "from botocore.exceptions import ClientError\n"),
        ("services", "recovery.services.alerts", "def build():\n    from recovery.wiring import messaging\n"),
        ("services", "recovery.services.alerts", "from recovery.web.http import problem\n"),
        ("web", "recovery.web.http", "from recovery.wiring.cases import build_cases\n"),
        ("web", "recovery.web.http", "import boto3.session\n"),
        (PYNAMODB, "recovery.services.cases", "from pynamodb.expressions.update import Action\n"),
        (PYNAMODB, "recovery.web.case_views", "import pynamodb\n"),
        (PYNAMODB, "recovery.wiring.cases", "from pynamodb.models import Model\n"),
        (PYNAMODB, "functions.cases.app", "def lazy():\n    from pynamodb.exceptions import PutError\n"),
        (STORE_PRIVATE, "recovery.services.cases", "from recovery.store.models import CaseItem, _Item\n"),
        (STORE_PRIVATE, "recovery.web.http", "from recovery.store import _helpers\n"),
        (STORE_ITEMS, "recovery.services.cases", "from recovery.store.models import CaseItem\n"),
        (STORE_ITEMS, "recovery.web.case_views", "def f():\n    from recovery.store import models\n"),
        (STORE_ITEMS, "recovery.services.alerts", "from ..store.models import FeedbackItem\n"),
    ],
)
def test_a_forbidden_import_is_found(rule: str, module: str, source: str) -> None:
    # GIVEN a module under the rule that imports across it WHEN read THEN the import is named
    assert rule in rules_for(module)
    assert breaches(rule, module, source, is_package=module == "recovery.sources") != []


@pytest.mark.parametrize(
    ("rule", "module", "source"),
    [
        ("domain", "recovery.domain.cases", "from recovery.domain.routing import Config\n"),
        ("domain", "recovery.domain.cases", "from . import links\nfrom recovery import clock\n"),
        ("domain", "recovery.domain.cases", "from recovery.errors import Invalid\n"),
        ("domain", "recovery.domain.cases", "import storefront\nfrom recovery.domain import store_x\n"),
        ("sources", "recovery.sources.fetch", "def f():\n    from recovery.store.secrets import secret\n"),
        ("sources", "recovery.sources.fetch", "from ..store import secrets\n"),
        ("notify", "recovery.notify.webhooks", "from recovery.sources.signatures import sign\n"),
        ("web", "recovery.web.case_views", "from recovery.services.cases import CaseView\n"),
        (PYNAMODB, "recovery.wiring.cases", "from recovery.store import models\nimport pynamodb_mypy\n"),
        (STORE_PRIVATE, "recovery.services.cases", "from recovery.store.models import CaseItem as _Case\n"),
        (STORE_PRIVATE, "recovery.services.cases", "from recovery.store import __version__\n"),
        (STORE_ITEMS, "recovery.services.cases", "from recovery.store.cases import CaseStore\n"),
        (STORE_ITEMS, "recovery.web.case_views", "from recovery.domain.records import Case\n"),
    ],
)
def test_an_allowed_import_passes(rule: str, module: str, source: str) -> None:
    assert breaches(rule, module, source) == []


def test_store_itself_may_import_pynamodb_and_its_private_names() -> None:
    assert rules_for("recovery.store.links") == ["store"]
    assert rules_for("recovery.storefront") == [PYNAMODB, STORE_PRIVATE]


def test_relative_imports_are_made_absolute() -> None:
    source = "from ..store import models\nfrom . import x\nfrom .y import *\n"
    names = [name for _, name in imported_names(source, "recovery.notify.bus")]
    assert names == ["recovery.store.models", "recovery.notify.x", "recovery.notify.y"]
    names = [name for _, name in imported_names("from .mapping import apply\n", "recovery.sources", True)]
    assert names == ["recovery.sources.mapping.apply"]
