"""The named runs (one table) and `python -m core.train`, which trains them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.model.config import GPTConfig
from core.train.config import TrainConfig
from core.train.runs import RUNS, get_run

ROOT = Path(__file__).resolve().parents[3]
TINY_RUN = [
    "--preset", "shakespeare-char-cpu",
    "--model", "n_layer=1", "--model", "n_head=2", "--model", "n_embd=16", "--model", "block_size=16",
    "--batch-size", "2", "--max-iters", "4", "--warmup", "1", "--eval-interval", "2",
    "--eval-iters", "1", "--sample-interval", "2", "--device", "cpu", "--no-progress",
    "--threads", "1",
]  # fmt: skip


def test_runs_match_nanogpt_shakespeare_char():
    cpu = get_run("shakespeare-char-cpu")
    assert cpu.model == GPTConfig.from_preset("shakespeare-char-cpu") and cpu.sample_every == 500
    assert (cpu.train.max_steps, cpu.train.batch_size) == (2000, 12)
    assert (cpu.train.learning_rate, cpu.train.min_lr) == (1e-3, 1e-4)
    train = cpu.train
    assert (train.warmup_steps, train.lr_decay_steps, train.eval_batches) == (100, 2000, 20)
    assert (train.beta1, train.beta2, train.weight_decay, train.grad_clip) == (0.9, 0.99, 0.1, 1.0)
    gpu = get_run("shakespeare-char")
    assert (gpu.train.max_steps, gpu.train.batch_size, gpu.train.eval_batches) == (5000, 64, 200)
    model = gpu.model
    shape = (model.n_layer, model.n_head, model.n_embd, model.block_size, model.dropout)
    assert shape == (6, 6, 384, 256, 0.2)
    gpt2 = get_run("gpt2-124m")
    assert gpt2.train.grad_accum_steps * gpt2.train.batch_size * gpt2.model.block_size == 65_536
    assert (gpt2.train.learning_rate, gpt2.train.min_lr, gpt2.train.beta2) == (6e-4, 6e-5, 0.95)
    assert gpt2.model.vocab_size == 50257 and gpt2.data.__name__ == "shakespeare_gpt2"
    assert cpu.data.__name__ == gpu.data.__name__ == "shakespeare_char"
    for name, run in RUNS.items():  # TrainConfig.from_preset is the training half of a run
        assert TrainConfig.from_preset(name) == run.train
    assert TrainConfig.from_preset("shakespeare-char-cpu", max_steps=300).max_steps == 300
    with pytest.raises(ValueError, match="unknown run"):
        get_run("gpt5")


def test_python_m_core_train_runs_once_with_one_stop_training(tmp_path, data_available):
    # What `python -m core.train` does (runpy, run_name="__main__"), then a look at what it loaded.
    script = textwrap.dedent(
        f"""
        import runpy, sys
        sys.argv = ["core.train", *{[*TINY_RUN, "--out", str(tmp_path)]!r}]
        try:
            runpy.run_module("core.train", run_name="__main__", alter_sys=True)
        except SystemExit as exit:
            assert exit.code == 0, exit.code
        classes = {{id(m.StopTraining) for m in list(sys.modules.values())
                    if isinstance(getattr(m, "StopTraining", None), type)}}
        print("StopTraining classes:", len(classes))
        print("core.train.__main__ imported:", "core.train.__main__" in sys.modules)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "StopTraining classes: 1" in result.stdout
    assert "core.train.__main__ imported: False" in result.stdout  # nothing imports the CLI
    assert "step 2: train " in result.stdout and "--- sample at step 2 ---" in result.stdout
    assert "final: step 4, val loss " in result.stdout
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["steps"] == [1, 2, 3, 4] and [e["step"] for e in history["evals"]] == [2, 4]
    assert (tmp_path / "samples.txt").read_text().count("--- step ") == 2
    assert (tmp_path / "ckpt.safetensors").is_file()
    files = sorted(p.name for p in tmp_path.iterdir())  # no temporary files left behind
    assert files == ["ckpt.safetensors", "history.json", "samples.txt"]
