"""Lesson 2's pure-Python work in Pyodide (what the browser runs) against CPython, side by side.

Lesson 2 trains `BPETokenizer` live in the page, measures how long texts get after k merges,
and rebuilds GPT-2's tokenizer from its two files. The browser runs Pyodide (CPython compiled
to WebAssembly), slower than CPython on pure-Python loops. npm's `pyodide` package runs the
same interpreter under node, offline, for pure-Python code, so this script runs one workload
in both, interleaved by case, and prints the times and their ratio.

The workload (`WORKLOAD`, the same source text executed in both interpreters):
1. `bpe.train_merges_incremental` (what `BPETokenizer.train` calls) on the table of distinct
   chunks of the first N characters of Tiny Shakespeare's training part: the lesson's three
   slice sizes with its 768 merges, and the whole training part;
2. `course.tokenization.tokens_after_merges` at the lesson's 9 merge counts, on the default
   slice and on the held-out part (the chart of section 3);
3. `gpt2_files.read_gpt2_files` + `BPETokenizer(...)` from the two files' contents (section 4).
The chunk tables are made here with GPT-2's pattern: the `regex` package is not in npm's
offline Pyodide, so the workload uses `pattern=None` where a tokenizer is built (in the page
`regex` is a compiled extension). The torch-free modules are copied into Pyodide's file system.

Setup (once): mkdir -p /tmp/pyodide-bench && cd /tmp/pyodide-bench && npm install pyodide@314.0.7
Usage: python bench/bpe_pyodide.py [--pyodide-dir /tmp/pyodide-bench] [--repeats 3]
Needs Tiny Shakespeare and GPT-2's two files (COURSE_DATA_DIR or the cache; `python -m core.data`).
Exit status 1 if the two interpreters' results differ.
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.course.tokenization import heldout_split  # noqa: E402
from core.data import fetch, read_text  # noqa: E402
from core.tokenize.bpe import GPT2_PATTERN, pretokenize, to_utf8  # noqa: E402

# The modules the workload imports; all pure Python (regex only when a pattern is compiled).
MODULES = [
    "core/__init__.py",
    "core/tokenize/__init__.py",
    "core/tokenize/bpe.py",
    "core/tokenize/bpe_encode.py",
    "core/tokenize/bpe_tokenizer.py",
    "core/tokenize/boundary.py",
    "core/tokenize/gpt2_files.py",
    "core/course/__init__.py",
    "core/course/tokenization.py",
]
STEPS = [0, 32, 64, 128, 256, 384, 512, 640, 768]  # the lesson's chart

WORKLOAD = r'''
import json, time
from core.course.tokenization import tokens_after_merges
from core.tokenize.bpe import Merge, train_merges_incremental
from core.tokenize.bpe_tokenizer import BPETokenizer
from core.tokenize.gpt2_files import read_gpt2_files

def run_case(case, data):
    """(seconds, a result to compare between interpreters) of one case."""
    start = time.perf_counter()
    if case["kind"] == "train":
        merges = train_merges_incremental(data["tables"][case["table"]], case["merges"])
        result = [list(m.pair) for m in merges]
    elif case["kind"] == "lengths":
        tok = BPETokenizer(data["merges"], pattern=None)
        lengths = tokens_after_merges(data["tables"][case["table"]], tok, case["steps"])
        result = sorted(lengths.items())
    else:  # gpt2
        files = read_gpt2_files(data["encoder"], data["vocab"])
        tok = BPETokenizer(files.merges, byte_ids=files.byte_ids,
                           special_tokens=files.special_tokens, pattern=None)
        result = tok.encode_ordinary(" SolidGoldMagikarp")
    return time.perf_counter() - start, result

def run_all(cases, data, repeats):
    out = []
    for case in cases:
        times, result = [], None
        for _ in range(repeats):
            seconds, result = run_case(case, data)
            times.append(seconds)
        out.append({"times": times, "result": result})
    return out

def load_data(folder):
    tables = {k: {bytes(c): f for c, f in v} for k, v in json.load(open(f"{folder}/tables.json")).items()}
    merges = [Merge(tuple(p), 256 + i) for i, p in enumerate(json.load(open(f"{folder}/merges.json")))]
    return {"tables": tables, "merges": merges,
            "encoder": open(f"{folder}/encoder.json", "rb").read(),
            "vocab": open(f"{folder}/vocab.bpe", "rb").read()}
'''

NODE_SCRIPT = r"""
import { loadPyodide } from "pyodide";
import fs from "node:fs";
const [repo, folder, repeats] = process.argv.slice(2);
const modules = JSON.parse(fs.readFileSync(`${folder}/modules.json`));
const py = await loadPyodide();
for (const m of modules) {
  py.FS.mkdirTree("/course/" + m.split("/").slice(0, -1).join("/"));
  py.FS.writeFile("/course/" + m, fs.readFileSync(`${repo}/${m}`));
}
py.FS.mkdirTree("/data");
for (const f of ["tables.json", "merges.json", "encoder.json", "vocab.bpe", "cases.json"])
  py.FS.writeFile("/data/" + f, fs.readFileSync(`${folder}/${f}`));
py.globals.set("WORKLOAD", fs.readFileSync(`${folder}/workload.py`, "utf8"));
const out = await py.runPythonAsync(`
import json, sys
sys.path.insert(0, "/course")
exec(WORKLOAD)
json.dumps(run_all(json.load(open("/data/cases.json")), load_data("/data"), ${repeats}))
`);
console.log(out);
"""


def make_inputs(folder: Path) -> list[dict]:
    """Write the cases and their data into `folder`; return the cases."""
    from core.tokenize.bpe import train_merges_incremental

    train, held = heldout_split(read_text("tinyshakespeare"))
    tables = {}
    for n in (50_000, 100_000, 300_000, len(train)):
        tables[f"slice {n:,}"] = Counter(to_utf8(c) for c in pretokenize(train[:n], GPT2_PATTERN))
    tables["held-out"] = Counter(to_utf8(c) for c in pretokenize(held, GPT2_PATTERN))
    merges = train_merges_incremental(tables["slice 100,000"], 768)
    (folder / "tables.json").write_text(
        json.dumps({k: [[list(c), f] for c, f in t.items()] for k, t in tables.items()})
    )
    (folder / "merges.json").write_text(json.dumps([list(m.pair) for m in merges]))
    (folder / "encoder.json").write_bytes(fetch("gpt2-encoder-json").read_bytes())
    (folder / "vocab.bpe").write_bytes(fetch("gpt2-vocab-bpe").read_bytes())
    (folder / "modules.json").write_text(json.dumps(MODULES))
    (folder / "workload.py").write_text(WORKLOAD)
    cases = [
        *(
            {"kind": "train", "table": f"slice {n:,}", "merges": 768}
            for n in (50_000, 100_000, 300_000)
        ),
        {"kind": "train", "table": f"slice {len(train):,}", "merges": 768},
        {"kind": "lengths", "table": "slice 100,000", "steps": STEPS},
        {"kind": "lengths", "table": "held-out", "steps": STEPS},
        {"kind": "gpt2"},
    ]
    (folder / "cases.json").write_text(json.dumps(cases))
    return cases


def label(case: dict) -> str:
    if case["kind"] == "train":
        return f"train {case['merges']} merges, {case['table']} chars"
    if case["kind"] == "lengths":
        return f"lengths at {len(case['steps'])} merge counts, {case['table']}"
    return "GPT-2 tokenizer from its two files"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pyodide-dir", default="/tmp/pyodide-bench", type=Path)
    parser.add_argument("--repeats", default=3, type=int)
    args = parser.parse_args()
    if not (args.pyodide_dir / "node_modules" / "pyodide").is_dir():
        print(f"no npm pyodide in {args.pyodide_dir}: cd there and `npm install pyodide@314.0.7`")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = make_inputs(folder)
        script = args.pyodide_dir / "bench_bpe.mjs"
        script.write_text(NODE_SCRIPT)
        start = time.perf_counter()
        run = subprocess.run(
            ["node", str(script), str(REPO), str(folder), str(args.repeats)],
            cwd=args.pyodide_dir,
            capture_output=True,
            text=True,
        )
        node_wall = time.perf_counter() - start
        if run.returncode != 0:
            print(run.stderr[-3000:])
            return 1
        browser = json.loads(run.stdout.strip().splitlines()[-1])
        namespace: dict = {}
        exec(WORKLOAD, namespace)
        here = namespace["run_all"](cases, namespace["load_data"](str(folder)), args.repeats)
    here = json.loads(json.dumps(here))  # tuples -> lists, as they came back from node
    print(
        f"Lesson 2's pure-Python work: Pyodide 314 under node vs CPython "
        f"{sys.version.split()[0]}, median of {args.repeats} (node ran {node_wall:.1f} s in all)"
    )
    print(f"  {'case':<46}{'CPython':>9}{'Pyodide':>9}{'ratio':>7}")
    same = True
    for case, a, b in zip(cases, here, browser):
        same &= a["result"] == b["result"]
        t_here, t_there = statistics.median(a["times"]), statistics.median(b["times"])
        print(f"  {label(case):<46}{t_here:>8.3f}s{t_there:>8.3f}s{t_there / t_here:>6.2f}x")
    print("same results in both:", same)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
