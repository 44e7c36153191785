"""Checkpoints: exact round trip, the tied head stored once, atomic saves, a digest per tensor,
never a NaN saved, clear errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import core.train.checkpoint
from core.model.config import GPTConfig
from core.model.gpt import GPT
from core.train.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    digest,
    first_non_finite,
    load_checkpoint,
    save_checkpoint,
)
from core.train.optim import make_adamw
from tests.core.train.damage import rewrite_checkpoint, tensor_offset

ROOT = Path(__file__).resolve().parents[3]


def trained(seed: int, steps: int = 2) -> tuple[GPT, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    model = GPT(GPTConfig.from_preset("tiny"))
    optimizer = make_adamw(model, lr=1e-2, weight_decay=0.1)
    x = torch.randint(0, 64, (2, 16), generator=torch.Generator().manual_seed(seed))
    for _ in range(steps):
        _, loss = model(x, x)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return model, optimizer


def test_round_trip_is_exact(tmp_path):
    model, optimizer = trained(0)
    generator = torch.Generator().manual_seed(7)
    torch.randint(10, (5,), generator=generator)
    path = save_checkpoint(
        tmp_path / "ckpt.safetensors",
        model,
        optimizer=optimizer,
        step=42,
        train_config={"lr": 1e-3, "note": "x"},
        rng={"batches": generator.get_state()},
        extra={"history": {"losses": [4.1, 3.9]}},
    )
    ckpt = load_checkpoint(path)
    assert ckpt.step == 42 and ckpt.model_config == model.config
    assert ckpt.train_config == {"lr": 1e-3, "note": "x"}
    assert ckpt.extra == {"history": {"losses": [4.1, 3.9]}}
    for name, tensor in model.state_dict().items():
        assert torch.equal(ckpt.weights[name], tensor), name

    fresh, fresh_optimizer = trained(1, steps=0)  # different weights, empty optimizer
    fresh.load_state_dict(ckpt.weights)
    fresh_optimizer.load_state_dict(ckpt.optimizer_state)
    assert fresh.lm_head.weight is fresh.transformer.wte.weight  # still tied after loading
    saved, loaded = optimizer.state_dict(), fresh_optimizer.state_dict()
    assert saved["param_groups"] == loaded["param_groups"]
    assert saved["state"].keys() == loaded["state"].keys()
    for index, entries in saved["state"].items():
        for key, value in entries.items():
            assert torch.equal(loaded["state"][index][key], value), (index, key)

    restored = torch.Generator()
    restored.set_state(ckpt.rng["batches"])
    assert torch.equal(torch.rand(4, generator=restored), torch.rand(4, generator=generator))


def test_tied_head_is_stored_once(tmp_path):
    model, _ = trained(0, steps=0)
    path = save_checkpoint(tmp_path / "w.safetensors", model)
    with safe_open(path, framework="pt") as handle:
        keys = set(handle.keys())
    assert "model.transformer.wte.weight" in keys
    assert "model.lm_head.weight" not in keys
    stored = 4 * model.num_parameters()  # float32 bytes, each parameter once
    assert stored < path.stat().st_size < stored + 20_000  # + header
    rebuilt = load_checkpoint(path).build_model()
    assert rebuilt.lm_head.weight is rebuilt.transformer.wte.weight
    assert torch.equal(rebuilt.lm_head.weight, model.lm_head.weight)


def test_truncated_file_gives_a_clear_error(tmp_path):
    model, optimizer = trained(0)
    path = save_checkpoint(tmp_path / "ckpt.safetensors", model, optimizer=optimizer)
    data = path.read_bytes()
    for size in (len(data) // 2, 100, 4, 0):
        path.write_bytes(data[:size])
        with pytest.raises(CheckpointError, match="truncated"):
            load_checkpoint(path)


def test_foreign_files_give_clear_errors(tmp_path):
    other = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(3)}, other, metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="not a checkpoint of this course"):
        load_checkpoint(other)
    pickled = tmp_path / "ckpt.pt"
    torch.save({"model": torch.zeros(3)}, pickled)  # nanoGPT-style pickle: never unpickled
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load_checkpoint(pickled)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_a_crash_while_saving_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    first, _ = trained(0)
    save_checkpoint(path, first, step=1)
    real_save = core.train.checkpoint.save_file

    def half_written(tensors, filename, metadata=None):
        real_save(tensors, filename, metadata=metadata)
        Path(filename).write_bytes(Path(filename).read_bytes()[:1000])
        raise OSError("disk full")

    monkeypatch.setattr(core.train.checkpoint, "save_file", half_written)
    second, _ = trained(1)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, second, step=2)
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # the temporary file is gone
    ckpt = load_checkpoint(path)
    assert ckpt.step == 1
    assert torch.equal(ckpt.weights["transformer.wte.weight"], first.transformer.wte.weight)


def test_a_process_killed_while_saving_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    first, _ = trained(0)
    save_checkpoint(path, first, step=1)
    # A second process starts saving over it and is SIGKILLed after writing part of the file.
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        import torch
        import core.train.checkpoint
        from core.model.config import GPTConfig
        from core.model.gpt import GPT

        real_save = core.train.checkpoint.save_file
        def killed(tensors, filename, metadata=None):
            real_save(tensors, filename, metadata=metadata)
            Path(filename).write_bytes(Path(filename).read_bytes()[:1000])
            os.kill(os.getpid(), signal.SIGKILL)
        core.train.checkpoint.save_file = killed
        torch.manual_seed(5)
        core.train.checkpoint.save_checkpoint({str(path)!r}, GPT(GPTConfig.from_preset("tiny")), step=2)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, timeout=120
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert "ckpt.safetensors" in leftovers and len(leftovers) == 2  # + the dead temporary
    ckpt = load_checkpoint(path)
    assert ckpt.step == 1
    assert torch.equal(ckpt.weights["transformer.wte.weight"], first.transformer.wte.weight)
    save_checkpoint(path, first, step=3)  # the next save clears the dead temporary
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]
    assert load_checkpoint(path).step == 3


def test_save_rejects_what_it_cannot_store(tmp_path):
    model, _ = trained(0, steps=0)
    with pytest.raises(ValueError, match="directory"):
        save_checkpoint(tmp_path, model)
    with pytest.raises(ValueError, match="JSON"):
        save_checkpoint(tmp_path / "c.safetensors", model, extra={"x": object()})
    with pytest.raises(ValueError, match="GPTConfig"):
        save_checkpoint(tmp_path / "c.safetensors", torch.nn.Linear(2, 2))


@pytest.mark.parametrize("damage", ["one flipped bit", "NaN bytes"])
def test_a_damaged_tensor_is_named_and_the_file_called_corrupt(tmp_path, damage):
    model, optimizer = trained(0)
    path = save_checkpoint(tmp_path / "ckpt.safetensors", model, optimizer=optimizer)
    name = "model.transformer.h.0.attn.c_attn.weight"
    start = tensor_offset(path, name)
    raw = bytearray(path.read_bytes())
    if damage == "one flipped bit":
        raw[start + 5] ^= 0b0000_0100
    else:
        raw[start : start + 8] = b"\x00\x00\xc0\x7f" * 2  # two float32 NaNs
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=f"is corrupt: tensor {name} does not match"):
        load_checkpoint(path)


def test_every_tensor_has_a_digest_and_a_clean_file_loads_without_warnings(tmp_path):
    model, optimizer = trained(0)
    path = save_checkpoint(tmp_path / "ckpt.safetensors", model, optimizer=optimizer)
    with safe_open(path, framework="pt") as handle:
        digests = json.loads(handle.metadata()["course"])["digests"]
        assert set(digests) == set(handle.keys())
        assert digests["model.transformer.wte.weight"] == digest(
            handle.get_tensor("model.transformer.wte.weight")
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_checkpoint(path)


def test_a_checkpoint_from_before_digests_loads_with_a_warning(tmp_path):
    model, _ = trained(0)
    path = save_checkpoint(tmp_path / "old.safetensors", model, step=3)
    rewrite_checkpoint(path, path, digests=None)
    with pytest.warns(CheckpointWarning, match="saved without digests"):
        ckpt = load_checkpoint(path)
    assert ckpt.step == 3
    assert torch.equal(ckpt.weights["transformer.wte.weight"], model.transformer.wte.weight)


def test_a_negative_step_is_called_corrupt(tmp_path):
    model, _ = trained(0)
    path = save_checkpoint(tmp_path / "ckpt.safetensors", model, step=3)
    rewrite_checkpoint(path, path, step=-2)
    with pytest.raises(CheckpointError, match="is corrupt: it says it was saved after update -2"):
        load_checkpoint(path)
    with pytest.raises(ValueError, match="step must be >= 0"):
        save_checkpoint(path, model, step=-1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_never_saved_over_a_good_checkpoint(tmp_path, bad):
    model, optimizer = trained(0)
    path = save_checkpoint(tmp_path / "ckpt.safetensors", model, optimizer=optimizer, step=1)
    good = path.read_bytes()
    with torch.no_grad():
        model.transformer.h[0].mlp.c_fc.weight[3, 4] = bad
    with pytest.raises(
        ValueError, match=r"refusing to save .*transformer\.h\.0\.mlp\.c_fc\.weight"
    ):
        save_checkpoint(path, model, optimizer=optimizer, step=2)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_first_non_finite_finds_any_nan_or_inf(dtype, bad):
    tensors = {"empty": torch.zeros(0), "ids": torch.arange(5), "a": torch.randn(7, 9).to(dtype)}
    assert first_non_finite(tensors) is None
    tensors["b"] = torch.randn(7, 9).to(dtype)
    tensors["b"][4, 2] = bad
    assert first_non_finite(tensors) == "b"
