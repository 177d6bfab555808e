"""make lambda-check: its static checks of a built layer, and its clean interpreter, on tiny fakes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tools import lambda_check
from tools.lambda_check import (
    CHILD_ENVIRONMENT,
    Child,
    elf_machine,
    foreign_extensions,
    layer_modules,
    module_problems,
    runtime_packages_in,
    samples_for,
    shared_with_powertools,
    unpinned,
)

AARCH64, X86_64 = 183, 62


def elf(path: Path, machine: int) -> Path:
    """A file that starts like a 64-bit little-endian ELF shared object for `machine`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = b"\x7fELF\x02\x01\x01" + bytes(9) + (3).to_bytes(2, "little") + machine.to_bytes(2, "little")
    path.write_bytes(header + bytes(44))
    return path


def layer_with(root: Path, *entries: str) -> Path:
    layer = root / "python"
    for entry in entries:
        target = layer / entry
        if entry.endswith((".py", ".txt")):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
        else:
            target.mkdir(parents=True, exist_ok=True)
    return layer


def test_the_runtimes_packages_in_the_layer_are_named(tmp_path: Path) -> None:
    # GIVEN a layer where pynamodb brought botocore, and an old six and urllib3 came along
    layer = layer_with(
        tmp_path,
        "pynamodb",
        "botocore",
        "botocore-1.38.36.dist-info",
        "six.py",
        "urllib3",
        "jinja2",
        "tzdata",
    )
    # WHEN it is checked
    problems = runtime_packages_in(layer)
    # THEN each of the runtime's packages is named once, with what of it is there, and nothing else
    assert [problem.split(", which")[0] for problem in problems] == [
        "the layer ships botocore (botocore, botocore-1.38.36.dist-info)",
        "the layer ships six (six.py)",
        "the layer ships urllib3 (urllib3)",
    ]
    assert all("the Lambda runtime provides" in problem for problem in problems)


def test_a_layer_of_only_what_the_runtime_lacks_passes(tmp_path: Path) -> None:
    layer = layer_with(tmp_path, "pynamodb", "jinja2", "markupsafe", "phonenumbers", "tzdata", "recovery")
    assert runtime_packages_in(layer) == []
    assert foreign_extensions(layer) == []


def test_native_code_must_be_aarch64_and_cpython_312(tmp_path: Path) -> None:
    # GIVEN extensions built for the right and the wrong targets
    layer = tmp_path / "python"
    elf(layer / "markupsafe/_speedups.cpython-312-aarch64-linux-gnu.so", AARCH64)
    elf(layer / "cryptography/hazmat/_rust.abi3.so", AARCH64)
    elf(layer / "pkg.libs/libffi-1a2b3c.so.8.1.0", AARCH64)
    elf(layer / "fast/_x86.cpython-312-x86_64-linux-gnu.so", X86_64)
    elf(layer / "old/_old.cpython-311-aarch64-linux-gnu.so", AARCH64)
    (layer / "broken").mkdir()
    (layer / "broken/_text.so").write_text("not a shared object")
    # WHEN the layer is checked
    problems = foreign_extensions(layer)
    # THEN the x86_64 one, the 3.11 one and the non-ELF one are named, with why
    assert len(problems) == 4
    assert any(
        "fast/_x86.cpython-312-x86_64-linux-gnu.so is built for x86_64, not aarch64" in p for p in problems
    )
    assert any("cpython-312 on x86_64, not cpython-312 on aarch64" in p for p in problems)
    assert any("old/_old.cpython-311-aarch64-linux-gnu.so is built for cpython-311" in p for p in problems)
    assert any("broken/_text.so is not a 64-bit ELF" in p for p in problems)


def test_elf_machine_reads_the_header(tmp_path: Path) -> None:
    assert elf_machine(elf(tmp_path / "a.so", AARCH64)) == AARCH64
    assert elf_machine(elf(tmp_path / "b.so", X86_64)) == X86_64
    (tmp_path / "c.so").write_bytes(b"MZ" + bytes(40))
    assert elf_machine(tmp_path / "c.so") is None


def test_a_file_both_layers_ship_is_named(tmp_path: Path) -> None:
    # GIVEN both layers with typing_extensions, and each with its own scripts in bin/
    layer = layer_with(
        tmp_path / "ours",
        "pynamodb/__init__.py",
        "typing_extensions.py",
        "bin/jp.py",
        "typing_extensions-4.16.0.dist-info",
    )
    powertools = layer_with(
        tmp_path / "powertools",
        "pydantic/__init__.py",
        "typing_extensions.py",
        "bin/dotenv",
        "typing_extensions-4.15.0.dist-info",
    )
    # WHEN they are compared
    problems = shared_with_powertools(layer, powertools)
    # THEN typing_extensions clashes; bin/ merges without a clash
    assert len(problems) == 1
    assert problems[0].startswith(
        "the layer ships typing_extensions (typing_extensions-4.16.0.dist-info, typing_extensions.py)"
    )


def test_every_requirement_is_pinned_to_one_version(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "# comment\npynamodb==6.1.0\njinja2>=3\ntzdata  # why\nphonenumbers==9.0.43  # ok\n"
    )
    problems = unpinned(requirements)
    assert [problem.split(": ", 1)[1].split(" ")[0] for problem in problems] == ["'jinja2>=3'", "'tzdata'"]


def test_the_shipped_requirements_are_pinned() -> None:
    assert unpinned(lambda_check.LAYER_SOURCE / "requirements.txt") == []


def test_the_allow_list_only_shrinks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        lambda_check,
        "IMPORT_ALLOWED_TO_FAIL",
        {"recovery.cli": "yaml", "recovery.fixed": "", "recovery.gone": ""},
    )
    modules = ["recovery.cli", "recovery.fixed", "recovery.app"]
    errors = {"recovery.cli": "ModuleNotFoundError: No module named 'yaml'", "recovery.app": "ImportError: x"}
    problems = module_problems(errors, modules)
    assert len(problems) == 3
    assert problems[0].startswith("recovery.app does not import")
    assert any("recovery.fixed is on IMPORT_ALLOWED_TO_FAIL but imports cleanly now" in p for p in problems)
    assert any("recovery.gone is on IMPORT_ALLOWED_TO_FAIL but no longer in the layer" in p for p in problems)


def test_layer_modules_are_named_by_their_dotted_path(tmp_path: Path) -> None:
    layer = layer_with(
        tmp_path, "recovery/__init__.py", "recovery/store/__init__.py", "recovery/store/models.py"
    )
    assert layer_modules(layer) == ["recovery", "recovery.store", "recovery.store.models"]


def test_samples_go_to_the_longest_function_name_they_start_with(tmp_path: Path) -> None:
    for name in ("customer_ack_schedule.json", "follow_up_page_show.json", "follow_up_schedule.json"):
        (tmp_path / name).write_text("{}")
    found = samples_for(["customer_ack", "customer", "follow_up", "follow_up_page"], tmp_path)
    assert [path.name for path in found["customer_ack"]] == ["customer_ack_schedule.json"]
    assert [path.name for path in found["follow_up"]] == ["follow_up_schedule.json"]
    assert [path.name for path in found["follow_up_page"]] == ["follow_up_page_show.json"]
    assert found["customer"] == []


# ------------------------------------------------------------------------------ the clean interpreter
APP = """
import zoneinfo

def lambda_handler(event, context):
    if "status" in event:
        return {"statusCode": event["status"], "body": "down"}
    if "module" in event:
        __import__(event["module"])
    return {"statusCode": 200, "body": str(zoneinfo.ZoneInfo(event["zone"]))}
"""


def run_fake_function(tmp_path: Path, layer: Path, *events: dict[str, object]) -> Any:
    task = tmp_path / "task"
    task.mkdir()
    (task / "app.py").write_text(APP)
    paths = []
    for number, event in enumerate(events):
        path = tmp_path / f"fake_{number}.json"
        path.write_text(json.dumps(event))
        paths.append(str(path))
    child = Child((task, layer), {**CHILD_ENVIRONMENT})
    spec = {
        "mode": "function",
        "handler": "app.lambda_handler",
        "events": paths,
        "timezones": ["UTC", "Asia/Tokyo"],
    }
    result, _ = child.run(spec)
    return result


def test_without_tzdata_in_the_layer_time_zones_fail(tmp_path: Path) -> None:
    # GIVEN a layer without tzdata, and no OS time-zone database (PYTHONTZPATH="")
    layer = layer_with(tmp_path, "jinja2")
    # WHEN a function looks up a zone
    result = run_fake_function(tmp_path, layer, {"zone": "Europe/Oslo"})
    # THEN the lookup fails in the handler, and the environment check says what is missing
    (sample,) = result["samples"]
    assert "ZoneInfoNotFoundError" in sample["error"]
    problems = result["environment_problems"]
    assert problems == [
        "time zones UTC, Asia/Tokyo cannot be loaded without the OS database (ZoneInfoNotFoundError: "
        "'No time zone found with key UTC'): the layer must ship tzdata"
    ]


def test_with_tzdata_in_the_layer_time_zones_load(tmp_path: Path) -> None:
    import tzdata

    layer = tmp_path / "layer"
    shutil.copytree(Path(tzdata.__file__).parent, layer / "tzdata")
    result = run_fake_function(tmp_path, layer, {"zone": "Europe/Oslo"}, {"zone": "Asia/Tokyo"})
    assert result["environment_problems"] == []
    assert [sample["error"] for sample in result["samples"]] == [None, None]


def test_the_clean_interpreter_sees_nothing_of_the_dev_virtualenv(tmp_path: Path) -> None:
    # pynamodb is in the dev virtualenv, but not on the fake function's path
    result = run_fake_function(tmp_path, tmp_path, {"module": "pynamodb", "zone": "UTC"})
    (sample,) = result["samples"]
    assert "No module named 'pynamodb'" in sample["error"]


def test_a_5xx_answer_fails(tmp_path: Path) -> None:
    result = run_fake_function(tmp_path, tmp_path, {"status": 503}, {"status": 404})
    errors = [sample["error"] for sample in result["samples"]]
    assert errors[0].startswith("answered 503") and errors[1] is None


def test_layer_modules_that_do_not_import_are_reported(tmp_path: Path) -> None:
    # GIVEN a layer package with a CLI that needs PyYAML, which the layer does not ship
    layer = layer_with(tmp_path, "recovery/__init__.py", "recovery/domain.py")
    (layer / "recovery/cli.py").write_text("import yaml\n")
    # WHEN its modules are imported in the clean interpreter
    modules = layer_modules(layer)
    result, _ = Child((layer,), {**CHILD_ENVIRONMENT}).run({"mode": "modules", "modules": modules})
    # THEN only the CLI fails, and why
    assert result["module_errors"] == {"recovery.cli": "ModuleNotFoundError: No module named 'yaml'"}
