"""Benchmarks for the budgets in the design: AWS round trips, write units, cost, CPU and cold start.

`python -m bench` runs everything and writes `bench/results/<UTC timestamp>.json` and `latest.json`;
`python -m bench --quick` runs smaller samples. See bench/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "recovery"

# The shared package lives in the layer, as on Lambda (/opt/python); the root holds `tests.support`.
for _path in (str(ROOT), str(LAYER)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
