"""One cold start: import a function module from its file, as the Lambda runtime imports the handler.

Run as `python -P bench/cold_child.py MODULE_FILE [SYS_PATH ...]`; prints {"wall", "cpu"} in seconds.
Only `sys` and `time` are imported before the clock starts, the same for every module measured.
"""

import sys
import time


def main() -> None:
    module_file, *paths = sys.argv[1:]
    sys.path[:0] = paths  # the function's folder, then the layer, as /var/task and /opt/python
    sys.stderr.write("-- cold start begins --\n")  # separates interpreter start-up in -X importtime output
    sys.stderr.flush()
    wall, cpu = time.perf_counter(), time.process_time()
    import importlib.util

    spec = importlib.util.spec_from_file_location("app", module_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sys.stdout.write(f'{{"wall": {wall:.6f}, "cpu": {cpu:.6f}}}\n')


if __name__ == "__main__":
    main()
