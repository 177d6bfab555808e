import os
import sys
import threading
from pathlib import Path

from local.functions import Environment, FunctionConfig, FunctionHost, ModuleScope


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def function(tmp_path: Path, name: str, layer: Path) -> FunctionConfig:
    code = tmp_path / name
    write(code / "helpers.py", f"WHO = {name!r}\n")
    write(
        code / "app.py",
        "import os\nimport helpers\nimport shared.settings as settings\n"
        "SEEN_AT_IMPORT = os.environ.get('ONLY_MINE')\n"
        "def handler(event, context):\n"
        "    import helpers as again\n"
        "    return {'who': again.WHO, 'env': os.environ.get('ONLY_MINE'), 'import_env': SEEN_AT_IMPORT,\n"
        "            'settings': settings.VALUE, 'name': context.function_name}\n",
    )
    return FunctionConfig(
        logical_id=name,
        name=f"stack-{name}",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:stack-{name}",
        code_dir=code,
        handler="app.handler",
        layer_dirs=(layer,),
        environment={"ONLY_MINE": name},
        timeout=3,
        memory=128,
    )


def test_two_functions_with_the_same_module_names_stay_apart(tmp_path: Path) -> None:
    # GIVEN two functions, both app.py with a helpers.py, sharing a layer whose module reads the env
    layer = tmp_path / "layer"
    write(layer / "shared" / "__init__.py", "")
    write(layer / "shared" / "settings.py", "import os\nVALUE = os.environ.get('ONLY_MINE')\n")
    host = FunctionHost(threading.RLock(), Environment(dict(os.environ)), prepare_scope=lambda: None)
    first, second = function(tmp_path, "First", layer), function(tmp_path, "Second", layer)
    host.load(first)
    host.load(second)
    # WHEN each is invoked
    one, two = host.invoke("First", {}), host.invoke("Second", {})
    # THEN each sees its own code, its own copy of the layer and its own environment
    assert one == {
        "who": "First",
        "env": "First",
        "import_env": "First",
        "settings": "First",
        "name": "stack-First",
    }
    assert two == {
        "who": "Second",
        "env": "Second",
        "import_env": "Second",
        "settings": "Second",
        "name": "stack-Second",
    }
    # AND nothing of theirs is left in sys.modules, os.environ or sys.path
    assert "app" not in sys.modules and "helpers" not in sys.modules and "shared" not in sys.modules
    assert "ONLY_MINE" not in os.environ
    assert str(first.code_dir) not in sys.path
    # AND they are found by logical id, name or (qualified) ARN
    assert host.find("stack-Second") == second
    assert host.find(first.arn + ":$LATEST") == first


def test_module_scope_keeps_its_modules_between_activations(tmp_path: Path) -> None:
    write(tmp_path / "counter.py", "COUNT = 0\n")
    scope = ModuleScope((tmp_path,))
    with scope.active():
        import counter  # type: ignore[import-not-found]

        counter.COUNT += 1
    assert "counter" not in sys.modules
    with scope.active():
        import counter as again  # type: ignore[import-not-found]

        assert again.COUNT == 1  # a warm container keeps its module state


def test_environment_is_restored_after_a_call() -> None:
    environment = Environment({**os.environ, "BASE": "1"})
    with environment.applied({"EXTRA": "2"}):
        assert os.environ["BASE"] == "1" and os.environ["EXTRA"] == "2"
    assert "EXTRA" not in os.environ and "BASE" not in os.environ
