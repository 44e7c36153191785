"""BPE training in Pyodide (what lesson 2 runs in the browser) against CPython, side by side.

Lesson 2 trains `BPETokenizer` live in the page. The browser runs Pyodide (CPython compiled
to WebAssembly), which is slower than CPython on pure-Python loops. npm's `pyodide` package
runs the same interpreter under node, offline, for pure-Python code, so this script times the
lesson's training there and here, interleaved, and prints the ratio.

What is timed: `core.tokenize.bpe.train_merges_incremental` (the trainer `BPETokenizer.train`
calls) on the table of distinct chunks of the first N characters of Tiny Shakespeare, for
the lesson's slice sizes and merge counts. The table itself is made here with GPT-2's pattern
(the `regex` package is not in npm's offline Pyodide; in the page it is a compiled extension,
timed by the lesson's own progress). Only `core/tokenize/bpe.py` is copied into Pyodide's
file system: it is pure Python and imports `regex` only to compile a pattern.

Setup (once): cd /tmp/pyodide-bench && npm install pyodide@314.0.7
Usage: python bench/bpe_pyodide.py [--pyodide-dir /tmp/pyodide-bench] [--repeats 3]
Needs Tiny Shakespeare (COURSE_DATA_DIR or the cache, see `python -m core.data`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.data import read_text
from core.tokenize.bpe import GPT2_PATTERN, pretokenize, to_utf8, train_merges_incremental

REPO = Path(__file__).resolve().parent.parent
CASES = [(100_000, 256), (100_000, 768), (300_000, 256), (1_115_394, 256)]

NODE_SCRIPT = r"""
import { loadPyodide } from "pyodide";
import fs from "node:fs";
const [bpe, tables] = process.argv.slice(2);
const py = await loadPyodide();
py.FS.mkdirTree("/course/core/tokenize");
py.FS.writeFile("/course/core/__init__.py", "");
py.FS.writeFile("/course/core/tokenize/__init__.py", "");
py.FS.writeFile("/course/core/tokenize/bpe.py", fs.readFileSync(bpe));
py.FS.writeFile("/tables.json", fs.readFileSync(tables));
const out = await py.runPythonAsync(`
import json, sys, time
sys.path.insert(0, "/course")
from core.tokenize.bpe import train_merges_incremental
cases = json.load(open("/tables.json"))
result = []
for case in cases:
    table = {bytes(k): v for k, v in case["table"]}
    times = []
    for _ in range(case["repeats"]):
        t = time.perf_counter()
        merges = train_merges_incremental(table, case["merges"])
        times.append(time.perf_counter() - t)
    result.append({"times": times, "pairs": [list(m.pair) for m in merges]})
json.dumps(result)
`);
console.log(out);
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pyodide-dir", default="/tmp/pyodide-bench", type=Path)
    parser.add_argument("--repeats", default=3, type=int)
    args = parser.parse_args()
    if not (args.pyodide_dir / "node_modules" / "pyodide").is_dir():
        print(f"no npm pyodide in {args.pyodide_dir}: cd there and `npm install pyodide@314.0.7`")
        return 2
    text = read_text("tinyshakespeare")
    cases, tables = [], {}
    for n_chars, n_merges in CASES:
        if n_chars not in tables:
            chunks = pretokenize(text[:n_chars], GPT2_PATTERN)
            tables[n_chars] = Counter(to_utf8(c) for c in chunks)
        table = tables[n_chars]
        cases.append(
            {
                "table": [[list(k), v] for k, v in table.items()],
                "merges": n_merges,
                "repeats": args.repeats,
            }
        )
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "tables.json").write_text(json.dumps(cases))
        script = args.pyodide_dir / "bench_bpe.mjs"
        script.write_text(NODE_SCRIPT)
        start = time.perf_counter()
        run = subprocess.run(
            ["node", str(script), str(REPO / "core/tokenize/bpe.py"), f"{tmp}/tables.json"],
            cwd=args.pyodide_dir,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
    browser = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"BPE training, Pyodide 314 under node vs CPython {sys.version.split()[0]}, ")
    print(f"median of {args.repeats} (node run {wall:.1f} s including Pyodide's start)")
    print(
        f"{'characters':>11} {'chunks':>7} {'merges':>6} {'CPython':>9} {'Pyodide':>9} {'ratio':>6}"
    )
    same = True
    for (n_chars, n_merges), got in zip(CASES, browser):
        table = tables[n_chars]
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            merges = train_merges_incremental(table, n_merges)
            times.append(time.perf_counter() - t)
        same &= [list(m.pair) for m in merges] == got["pairs"]
        here, there = statistics.median(times), statistics.median(got["times"])
        print(
            f"{n_chars:>11,} {len(table):>7,} {n_merges:>6} {here:>8.3f}s {there:>8.3f}s "
            f"{there / here:>5.2f}x"
        )
    print("same merges in both:", same)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
