"""torchrun with 2 CPU processes (DDP, gloo) trains exactly like 1 process with accumulation.

Rule under test (core.train.distributed): each update draws A micro-batches j = 0 … A-1 from one seeded
stream; process r of W trains on j = r, r + W, …; DDP averages gradients over processes.
So W = 2 processes × 2 micro-batches each equal 1 process × 4 micro-batches.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TINY_RUN = [
    "--preset", "shakespeare-char-cpu",
    "--model", "n_layer=2", "--model", "n_head=2", "--model", "n_embd=32", "--model", "block_size=32",
    "--batch-size", "4", "--grad-accum", "4", "--max-iters", "4", "--warmup", "1",
    "--eval-interval", "2", "--eval-iters", "2", "--sample-interval", "0",
    "--device", "cpu", "--no-progress",
]  # fmt: skip


def run(command: list[str], out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [*command, *TINY_RUN, "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "history.json").read_text())


@pytest.mark.slow
def test_two_processes_match_one_process_with_gradient_accumulation(tmp_path, data_available):
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    ddp = run([*torchrun, "-m", "core.train"], tmp_path / "ddp")
    single = run([sys.executable, "-m", "core.train", "--threads", "1"], tmp_path / "single")
    assert ddp["steps"] == single["steps"] == [1, 2, 3, 4]
    assert ddp["losses"] == pytest.approx(single["losses"], rel=1e-5)
    assert ddp["grad_norms"] == pytest.approx(single["grad_norms"], rel=1e-5)
    assert [e["step"] for e in ddp["evals"]] == [e["step"] for e in single["evals"]] == [2, 4]
    for name in ("val_loss", "train_loss"):
        ddp_values = [e[name] for e in ddp["evals"]]
        assert ddp_values == pytest.approx([e[name] for e in single["evals"]], rel=1e-5)
    assert ddp["losses"][-1] < ddp["losses"][0]  # and it did learn
    assert (tmp_path / "ddp" / "ckpt.safetensors").is_file()
