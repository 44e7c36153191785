"""Run the benchmarks: `python bench/run.py [name ...]` (names: the bench_*.py files, no prefix).

Each prints the ratios it measured side by side in one process; see bench/README.md for
the targets and the figures recorded on the project's machines.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    available = sorted(p.stem.removeprefix("bench_") for p in ROOT.glob("bench/bench_*.py"))
    names = argv or available
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {available}", file=sys.stderr)
        return 2
    for name in names:
        sys.argv = [f"bench/bench_{name}.py"]  # each runs with its own defaults
        importlib.import_module(f"bench.bench_{name}").main()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
