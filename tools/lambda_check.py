"""`make lambda-check`: import every function from what would be deployed, the way Lambda would.

1. Build what `sam build` builds, for arm64 and python3.12, into `.lambda-check/build` (git-ignored): the
   layer with its own Makefile (`layers/recovery/Makefile`), each function's package from its CodeUri.
2. Check the built layer statically: nothing the runtime provides (boto3, botocore...), nothing the
   Powertools layer already brings, native code only for aarch64 and CPython 3.12, every pin exact.
3. Start moto as a server in this process and create the template's resources in it
   (`local.provision.Provisioner`, nothing seeded).
4. For each function of `template.yaml`, start a clean interpreter (`python -I -S`, no site-packages,
   `tools/lambda_child.py`) whose `sys.path` holds only the function's package, the built layer, the
   Powertools public layer the template names (rebuilt for this machine: its aarch64 binaries cannot
   load here) and the Lambda runtime's boto3; whose environment is the function's own from the template,
   with `AWS_ENDPOINT_URL` at the moto server and `PYTHONTZPATH=""` (no OS time-zone database). It imports
   the handler and answers the function's sample events (`events/<function>_*.json`). A raise, a 5xx or
   a failed batch item fails the check. Every module of the layer's `recovery` package is imported the
   same way.

pip installs are cached in `.lambda-check/cache`, keyed by what they depend on, so a second run only
copies, imports and calls. What this cannot see is in docs/operations.md ("make lambda-check").
"""

from __future__ import annotations

import argparse
import fcntl
import fnmatch
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".lambda-check"
LAYER_SOURCE = ROOT / "layers" / "recovery"
CHILD = Path(__file__).resolve().parent / "lambda_child.py"
REGION = "us-east-1"

# What Lambda runs: pip's platform options for the built layer and function packages.
TARGET_PLATFORM = (
    "--platform",
    "manylinux2014_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    "3.12",
    "--only-binary=:all:",
)

# boto3 and botocore of the Lambda python3.12 runtime. AWS's "Runtime-included SDK versions"
# (docs.aws.amazon.com/lambda/latest/dg/lambda-python.html#python-sdk-included) no longer gives a number:
# the version "depends on the runtime version and your AWS Region", and the page shows a function that
# prints it. The last figure published for python3.12 that could be found is 1.38.36 (boto3 and
# botocore, the same in python3.13), read off the runtime and reported in aioboto3 issue #381
# (github.com/terricain/aioboto3/issues/381, August 2025). The other pins are what those two resolve to.
# Replace them with what a deployed function prints when the runtime moves on.
RUNTIME_SDK = (
    "boto3==1.38.36",
    "botocore==1.38.36",
    "s3transfer==0.13.1",
    "jmespath==1.0.1",
    "python-dateutil==2.9.0.post0",
    "urllib3==2.8.0",
    "six==1.17.0",
)
# Top-level names the runtime provides (boto3 and its dependencies); the layer must ship none of them.
RUNTIME_PACKAGES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "python_dateutil", "urllib3", "six"}
)

# The Powertools public layer is `pip install aws-lambda-powertools[all]==<version>` on the Lambda image,
# then boto3 and its dependencies removed, as powertools-lambda-python's layer_v3/docker/Dockerfile does
# (layer_v3/layer/layer_stack.py builds the public layers with include_extras=True).
POWERTOOLS_SSM = re.compile(r"/aws/service/powertools/python/arm64/python3\.12/(\d+\.\d+\.\d+)")
POWERTOOLS_REMOVES = ("boto*", "s3transfer*", "*dateutil*", "urllib3*", "six*", "jmespath*")

# Modules of the layer's `recovery` package that may fail to import in the clean interpreter, with why.
# Empty: every module of the layer must import there (operator CLIs live in tools/, outside the layer).
# An entry that imports cleanly, or names no module, is reported, so this list only shrinks.
IMPORT_ALLOWED_TO_FAIL: dict[str, str] = {}

# Zones the check loads in the clean interpreter, where only the layer's tzdata can answer.
TIMEZONES = ("UTC", "Europe/Oslo", "America/New_York", "Asia/Tokyo", "Asia/Kolkata")

# Lambda's own variables that the handlers or Powertools may read.
CHILD_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fake credentials
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,  # nothing from this machine's ~/.aws
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONTZPATH": "",  # no OS time-zone database: zoneinfo must find tzdata in the layer
    "TZ": ":UTC",
    "LANG": "C.UTF-8",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}

log = logging.getLogger("lambda-check")


def say(message: str) -> None:
    print(f"lambda-check: {message}", flush=True)


# ---------------------------------------------------------------------------------------------- cache
def digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()[:16]


def cached(kind: str, key: str, fill: Any) -> Path:
    """`WORK/cache/<kind>-<key>`, filled by `fill(directory)` once; older entries of `kind` are removed."""
    cache = WORK / "cache"
    entry = cache / f"{kind}-{key}"
    if entry.is_dir():
        return entry
    cache.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=cache))
    try:
        fill(partial)
        partial.rename(entry)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    for stale in cache.glob(f"{kind}-*"):
        if stale != entry:
            shutil.rmtree(stale, ignore_errors=True)
    return entry


def pip(*arguments: str) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*command, "--no-compile", *arguments])


def run(command: list[str], cwd: Path | None = None) -> None:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        output = "\n".join(
            line for line in (completed.stdout + completed.stderr).splitlines() if "is ignored" not in line
        )
        raise BuildError(f"{' '.join(command)} failed:\n{output}")


class BuildError(RuntimeError):
    """A build or install step failed; the message says which and why."""


def copy_tree(source: Path, target: Path) -> None:
    """A copy as `sam build` makes it (no bytecode); files are hard links where the disk allows."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), copy_function=link)


# ---------------------------------------------------------------------------------------------- build
def build_layer(build: Path) -> Path:
    """The layer as `sam build` makes it: `make build-RecoveryLayer` is `deps` then `package`; the
    first (pip) is cached by requirements.txt and the Makefile."""
    make = ["make", "--no-print-directory", "-C", str(LAYER_SOURCE)]
    key = digest((LAYER_SOURCE / "requirements.txt").read_bytes(), (LAYER_SOURCE / "Makefile").read_bytes())
    deps = cached(
        "layer-deps",
        key,
        lambda target: run([*make, "deps", f"TARGET={target}", f"PIP={sys.executable} -m pip"]),
    )
    layer = build / "layer" / "python"  # /opt/python
    copy_tree(deps, layer)
    run([*make, "package", f"TARGET={layer}"])
    return layer


def build_function(build: Path, logical_id: str, code_dir: Path) -> Path:
    """The function's package as `sam build` makes it: its CodeUri, plus its requirements.txt (if any)
    installed for arm64 and python3.12."""
    package = build / "functions" / logical_id  # /var/task
    copy_tree(code_dir, package)
    requirements = code_dir / "requirements.txt"
    if requirements.is_file() and any(pinned_lines(requirements.read_text())):
        deps = cached(
            f"function-{logical_id}",
            digest(requirements.read_bytes(), *TARGET_PLATFORM),
            lambda target: pip(*TARGET_PLATFORM, "--target", str(target), "-r", str(requirements)),
        )
        shutil.copytree(deps, package, dirs_exist_ok=True)
    return package


def host_tag() -> str:
    return f"cp{sys.version_info.major}{sys.version_info.minor}-{os.uname().machine}"


def install_runtime_sdk() -> Path:
    """boto3 and botocore at the runtime's version, for this machine (they are pure Python)."""
    return cached(
        "runtime",
        digest(host_tag(), *RUNTIME_SDK),
        lambda target: pip("--no-deps", "--target", str(target), *RUNTIME_SDK),
    )


def install_powertools(version: str) -> Path:
    """The Powertools public layer's contents, for this machine: its native parts (pydantic-core,
    cryptography) are built for aarch64 there and cannot load here. Versions it leaves open follow the
    dev lock, so the check and the tests see the same pydantic."""
    lock = ROOT / "requirements" / "dev.lock"

    def fill(target: Path) -> None:
        pip(
            "--only-binary=:all:",
            "--constraint",
            str(lock),
            "--target",
            str(target),
            f"aws-lambda-powertools[all]=={version}",
        )
        for entry in list(target.iterdir()):
            if any(fnmatch.fnmatch(entry.name, pattern) for pattern in POWERTOOLS_REMOVES):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    return cached(f"powertools-{version}", digest(host_tag(), version, lock.read_bytes()), fill)


def powertools_version(layers: Iterable[Any]) -> str | None:
    for layer in layers:
        match = POWERTOOLS_SSM.search(layer) if isinstance(layer, str) else None
        if match:
            return match.group(1)
    return None


# ---------------------------------------------------------------------------------------------- static
def pinned_lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


def unpinned(requirements: Path) -> list[str]:
    """Every line of a requirements file must pin one exact version (`name==version`)."""
    exact = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$")
    return [
        f"{requirements.relative_to(ROOT) if requirements.is_relative_to(ROOT) else requirements}: "
        f"{line!r} is not pinned to one version (name==version)"
        for line in pinned_lines(requirements.read_text(encoding="utf-8"))
        if not exact.match(line)
    ]


def top_level_name(entry: Path) -> str:
    """The import or distribution name of a top-level entry of a layer (`botocore-1.2.dist-info` ->
    `botocore`, `six.py` -> `six`), normalised."""
    name = entry.name
    for suffix in (".dist-info", ".egg-info", ".data"):
        if name.endswith(suffix):
            name = name[: -len(suffix)].split("-", 1)[0]
    name = name.split(".", 1)[0]
    return name.lower().replace("-", "_")


def by_name(entries: Iterable[Path]) -> dict[str, list[str]]:
    """Top-level entries of a layer grouped by the name they import or install as."""
    grouped: dict[str, list[str]] = {}
    for entry in sorted(entries):
        if entry.name != "__pycache__":
            grouped.setdefault(top_level_name(entry), []).append(entry.name)
    return grouped


def runtime_packages_in(layer: Path) -> list[str]:
    """What the layer ships that the Lambda runtime already has: on `sys.path` it would come first."""
    return [
        f"the layer ships {name} ({', '.join(entries)}), which the Lambda runtime provides: at /opt/python "
        f"it would shadow the runtime's boto3 stack (install with --no-deps, and not in requirements.txt)"
        for name, entries in by_name(layer.iterdir()).items()
        if name in RUNTIME_PACKAGES
    ]


def files_under(entry: Path) -> set[str]:
    if entry.is_file():
        return {entry.name}
    return {
        str(path.relative_to(entry.parent))
        for path in entry.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def shared_with_powertools(layer: Path, powertools: Path) -> list[str]:
    """Both layers unpack into /opt/python: a file both ship is overwritten by whichever comes last."""
    theirs = set().union(*(files_under(entry) for entry in powertools.iterdir()))
    problems = []
    for name, entries in by_name(layer.iterdir()).items():
        clashing = sorted(set().union(*(files_under(layer / entry) for entry in entries)) & theirs)
        if clashing:
            problems.append(
                f"the layer ships {name} ({', '.join(entries)}), which the Powertools layer also brings: "
                f"both unpack into /opt/python and one overwrites the other ({', '.join(clashing[:3])}"
                f"{', ...' if len(clashing) > 3 else ''}); leave it to Powertools"
            )
    return problems


EM_AARCH64 = 183
_MACHINES = {3: "x86", 40: "arm", 62: "x86_64", 183: "aarch64"}
_EXTENSION_TAG = re.compile(r"\.(?:cpython-(\d+)-([A-Za-z0-9_]+)-linux-gnu|abi3)\.so$")


def elf_machine(path: Path) -> int | None:
    """The ELF header's e_machine of a 64-bit little-endian ELF file, or None if it is not one."""
    header = path.read_bytes()[:20]
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
        return None
    return int.from_bytes(header[18:20], "little")


def foreign_extensions(layer: Path) -> list[str]:
    """Every native extension must load in Lambda: aarch64 machine code, for CPython 3.12 or the stable
    ABI (abi3). Bundled shared libraries (`.so` without a Python tag) must be aarch64 too."""
    problems = []
    for path in sorted(layer.rglob("*.so*")):
        if not path.is_file() or not re.search(r"\.so(\.\d+)*$", path.name):
            continue
        where = path.relative_to(layer)
        machine = elf_machine(path)
        if machine is None:
            problems.append(f"{where} is not a 64-bit ELF shared object Lambda on arm64 can load")
            continue
        if machine != EM_AARCH64:
            problems.append(f"{where} is built for {_MACHINES.get(machine, machine)}, not aarch64 (arm64)")
        tag = _EXTENSION_TAG.search(path.name)
        if tag and tag.group(1) is not None and (tag.group(1), tag.group(2)) != ("312", "aarch64"):
            problems.append(
                f"{where} is built for cpython-{tag.group(1)} on {tag.group(2)}, not cpython-312 on aarch64"
            )
    return problems


def layer_modules(layer: Path, package: str = "recovery") -> list[str]:
    """Every module of `package` in the built layer, by dotted name."""
    modules = []
    for path in sorted((layer / package).rglob("*.py")):
        parts = list(path.relative_to(layer).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.append(".".join(parts))
    return modules


def module_problems(errors: dict[str, str], modules: Iterable[str]) -> list[str]:
    """Import failures not on the allow-list, and allow-list entries that no longer fail."""
    problems = [
        f"{name} does not import in the clean interpreter (only the runtime and the layers): {error}"
        for name, error in sorted(errors.items())
        if name not in IMPORT_ALLOWED_TO_FAIL
    ]
    known = set(modules)
    for name in sorted(IMPORT_ALLOWED_TO_FAIL):
        if name not in known:
            problems.append(f"{name} is on IMPORT_ALLOWED_TO_FAIL but no longer in the layer: remove it")
        elif name not in errors:
            problems.append(f"{name} is on IMPORT_ALLOWED_TO_FAIL but imports cleanly now: remove it")
    return problems


# ---------------------------------------------------------------------------------------------- child
@dataclass(frozen=True)
class Child:
    """One clean interpreter: what it sees and what it is told."""

    sys_path: tuple[Path, ...]
    environment: dict[str, str]

    def run(self, spec: dict[str, Any], timeout: float = 180) -> tuple[dict[str, Any], str]:
        """Run tools/lambda_child.py with `spec`; returns its result and its own output (logs)."""
        with tempfile.TemporaryDirectory(prefix="lambda-check-") as scratch:
            spec_path, result_path = Path(scratch) / "spec.json", Path(scratch) / "result.json"
            full = {**spec, "sys_path": [str(path) for path in self.sys_path]}
            spec_path.write_text(json.dumps(full), encoding="utf-8")
            command = [base_python(), "-I", "-S", "-X", f"pycache_prefix={WORK / 'cache' / 'pyc'}"]
            try:
                completed = subprocess.run(  # noqa: S603
                    [*command, str(CHILD), str(spec_path), str(result_path)],
                    env=self.environment,
                    cwd=scratch,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as expired:
                output = (expired.stdout or b"").decode() + (expired.stderr or b"").decode()
                return {"crashed": f"still running after {timeout:.0f} s"}, output
            output = completed.stdout + completed.stderr
            if not result_path.is_file():
                return {"crashed": f"exit status {completed.returncode}"}, output
            result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
            return result, output


def base_python() -> str:
    """The interpreter the dev virtualenv was made from: no virtualenv, and -S keeps its own
    site-packages away too."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def tail(text: str, lines: int = 25) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join("    | " + line for line in kept)


# ---------------------------------------------------------------------------------------------- moto
@contextmanager
def moto_server() -> Iterator[str]:
    """moto as a server on a free port of 127.0.0.1, for the children's `AWS_ENDPOINT_URL`.

    moto delivers PutEvents only to a few target kinds and answers 500 for a rule that targets a Lambda
    function, where EventBridge accepts the event and delivers later. The embedded runtime's bus tap
    makes moto accept them as EventBridge does; nothing here delivers them (each function is called with
    its own samples only)."""
    from moto.server import ThreadedMotoServer

    from local.bus import BusTap

    BusTap(lambda: datetime.now(UTC)).install()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------- check
@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    name: str
    arn: str
    memory: int
    timeout: int
    powertools: str | None
    local_layers: tuple[Path, ...]


def samples_for(function_dirs: Iterable[str], events: Path) -> dict[str, list[Path]]:
    """events/<function>_*.json by the function directory they are named after (the longest function
    name a sample starts with, so `customer_ack_...` is customer_ack's, not a `customer` function's)."""
    names = set(function_dirs)
    found: dict[str, list[Path]] = {name: [] for name in names}
    for path in sorted(events.glob("*.json")):
        matching = [name for name in names if path.name.startswith(f"{name}_")]
        if matching:
            found[max(matching, key=len)].append(path)
    return found


def load_functions(endpoint: str) -> tuple[list[Function], dict[str, str]]:
    """The template's functions with their environment resolved as the embedded runtime resolves it
    (local/runtime.py `_function_configs`), against resources created in the moto server."""
    from local import template as templates
    from local.aws import AwsClients
    from local.functions import lambda_environment, shared_environment
    from local.provision import Provisioner, put_parameters

    template = templates.load(ROOT / "template.yaml", REGION)
    clients = AwsClients.create(REGION, endpoint_url=endpoint)
    names = Provisioner(template, clients).run()
    put_parameters(template, names, clients.ssm)  # the public base URL, as the runtime creates it
    functions = []
    for logical_id, definition in template.functions.items():
        variables = lambda_environment(definition, names)
        functions.append(
            Function(
                logical_id=logical_id,
                code_dir=definition.code_dir,
                handler=definition.handler,
                environment=variables,
                name=variables["AWS_LAMBDA_FUNCTION_NAME"],
                arn=str(names.get_att(logical_id, "Arn")),
                memory=definition.memory,
                timeout=definition.timeout,
                powertools=powertools_version(definition.properties.get("Layers", [])),
                local_layers=definition.layer_dirs,
            )
        )
    # The variables every function shares (the template's Globals), for the layer's import check.
    common = shared_environment([function.environment for function in functions])
    return functions, common


def check_function(
    function: Function,
    samples: list[Path],
    package: Path,
    layer: Path,
    powertools: Path,
    runtime: Path,
    endpoint: str,
) -> list[str]:
    """Import the function's handler in a clean interpreter and call it with each sample."""
    where = f"{function.logical_id} ({function.code_dir.relative_to(ROOT)})"
    if not samples:
        return [f"{where}: no sample event (events/{function.code_dir.name}_*.json)"]
    environment = {
        **CHILD_ENVIRONMENT,
        **function.environment,
        "AWS_ENDPOINT_URL": endpoint,
        "LAMBDA_TASK_ROOT": str(package),
    }
    child = Child((package, layer, powertools, runtime), environment)
    spec = {
        "mode": "function",
        "handler": function.handler,
        "events": [str(path) for path in samples],
        "function_name": function.name,
        "function_arn": function.arn,
        "memory": function.memory,
        "timeout": function.timeout,
    }
    started = time.monotonic()
    result, output = child.run(spec)
    problems = [f"{where}: {problem}" for problem in result.get("environment_problems", [])]
    if "crashed" in result or "import_error" in result:
        reason = result.get("import_error") or result["crashed"]
        return [
            *problems,
            f"{where}: the handler {function.handler} does not import:\n{tail(reason + output)}",
        ]
    answers = []
    for sample in result["samples"]:
        if sample["error"]:
            problems.append(f"{where}: {sample['sample']} failed: {sample['error'].strip()}")
        else:
            answers.append(f"{sample['sample']} -> {sample['answer']}")
    seconds = time.monotonic() - started
    state = "FAILED" if problems else "ok"
    say(f"{function.logical_id}: {state} ({seconds:.1f} s): " + "; ".join(answers))
    if len(answers) < len(result["samples"]):
        problems.append(f"{where}: its output ended with:\n{tail(output)}")
    return problems


def prepare_environment() -> None:
    """This process talks to the moto server only, with fake credentials, whatever the shell holds."""
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(variable, None)
    os.environ.update(
        {
            key: CHILD_ENVIRONMENT[key]
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE")
        },
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_DEFAULT_REGION=REGION,
    )


def static_problems(layer: Path) -> list[str]:
    return [
        *unpinned(LAYER_SOURCE / "requirements.txt"),
        *runtime_packages_in(layer),
        *foreign_extensions(layer),
    ]


def install_powertools_layers(functions: list[Function], layer: Path) -> tuple[dict[str, Path], list[str]]:
    """Powertools as each version the template names, and what the built layer shares with it."""
    problems = []
    missing = [function.logical_id for function in functions if function.powertools is None]
    if missing:
        problems.append(f"no Powertools public layer (arm64, python3.12) in the Layers of {missing}")
    installed = {}
    for version in sorted({function.powertools for function in functions if function.powertools}):
        installed[version] = install_powertools(version)
        say(f"Powertools public layer {version}: aws-lambda-powertools[all], without boto3's dependencies")
        problems += shared_with_powertools(layer, installed[version])
    for function in functions:
        if function.local_layers != (LAYER_SOURCE,):
            problems.append(f"{function.logical_id}: its layers {function.local_layers} are not checked here")
    return installed, problems


def check_layer_imports(
    layer: Path, powertools: Path, runtime: Path, environment: dict[str, str]
) -> list[str]:
    """Every module of the layer's `recovery` package imports in the clean interpreter, and time zones
    load with the layer's tzdata alone."""
    modules = layer_modules(layer)
    result, output = Child((layer, powertools, runtime), environment).run(
        {"mode": "modules", "modules": modules, "timezones": TIMEZONES}
    )
    if "crashed" in result:
        return [f"the layer's import check crashed ({result['crashed']}):\n{tail(output)}"]
    labels = {str(layer): "the layer", str(powertools): "Powertools", str(runtime): "the runtime"}
    origins = ", ".join(
        f"{name} {version} from {labels.get(where, where)}"
        for name, (version, where) in sorted(result["origins"].items())
    )
    errors: dict[str, str] = result["module_errors"]
    say(f"layer: {len(modules) - len(errors)} of {len(modules)} modules of recovery import ({origins})")
    allowed = sorted(name for name in errors if name in IMPORT_ALLOWED_TO_FAIL)
    if allowed:
        say(f"layer: allowed to fail (IMPORT_ALLOWED_TO_FAIL): {', '.join(allowed)}")
    return [*result["environment_problems"], *module_problems(errors, modules)]


@contextmanager
def exclusive() -> Iterator[None]:
    """One run at a time in this checkout: a second waits, rather than rebuilding under the first."""
    WORK.mkdir(exist_ok=True)
    with (WORK / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def check(only: set[str] | None = None) -> int:
    with exclusive():
        return check_unlocked(only)


def check_unlocked(only: set[str] | None) -> int:
    started = time.monotonic()
    prepare_environment()
    build = WORK / "build"
    shutil.rmtree(build, ignore_errors=True)
    say("building the layer and the function packages for arm64 and python3.12 (.lambda-check/build)")
    layer = build_layer(build)
    runtime = install_runtime_sdk()
    say(f"runtime: {', '.join(RUNTIME_SDK[:2])} (RUNTIME_SDK in tools/lambda_check.py says why)")
    problems = static_problems(layer)

    with moto_server() as endpoint:
        say(f"moto server at {endpoint}; creating the template's resources, seeding nothing")
        functions, common = load_functions(endpoint)
        powertools, more = install_powertools_layers(functions, layer)
        problems += more
        default = next(iter(powertools.values()), runtime)
        environment = {**CHILD_ENVIRONMENT, **common, "AWS_ENDPOINT_URL": endpoint}
        problems += check_layer_imports(layer, default, runtime, environment)

        samples = samples_for({function.code_dir.name for function in functions}, ROOT / "events")
        selected = [f for f in functions if not only or f.logical_id in only or f.code_dir.name in only]
        for function in selected:
            package = build_function(build, function.logical_id, function.code_dir)
            bundled = powertools.get(function.powertools or "", default)
            problems += check_function(
                function, samples[function.code_dir.name], package, layer, bundled, runtime, endpoint
            )

    seconds = time.monotonic() - started
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if problems:
        say(f"{len(problems)} problem(s) ({seconds:.0f} s)")
        return 1
    say(f"{len(selected)} functions imported and answered their samples as deployed ({seconds:.0f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.lambda_check",
        description="Import every function from its built artifacts the way Lambda would, and call it "
        "with its sample events against moto.",
    )
    parser.add_argument("functions", nargs="*", help="only these functions (logical id or directory name)")
    args = parser.parse_args(argv)
    try:
        return check(set(args.functions) or None)
    except BuildError as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
