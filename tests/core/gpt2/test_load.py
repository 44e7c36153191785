"""core.gpt2.load: GPT-2 checkpoints written by transformers into the course's GPT, and back.

Logits within 1e-5 of transformers' on small random checkpoints built offline (conftest.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers  # a dev dependency: the reference implementation

from core.gpt2.load import load_gpt2, save_hf
from core.gpt2.mapping import gpt2_tensor_maps
from core.model.config import GPTConfig, count_parameters
from core.model.generate import generate
from core.model.gpt import GPT
from tests.core.gpt2.fixtures import PROMPT, max_logit_diff, write_hub_style

REPO_ROOT = Path(__file__).resolve().parents[3]


# --- loading checkpoints written by transformers --------------------------------------


def test_save_pretrained_directory_gives_transformers_logits(hf_model, saved_dir):
    model = load_gpt2(saved_dir)
    assert model.config == GPTConfig(50257, 64, n_layer=3, n_head=2, n_embd=32)
    assert not model.training
    assert max_logit_diff(model, hf_model) <= 1e-5


def test_greedy_continuation_equals_transformers_generate(saved_dir, hf_continuation):
    model = load_gpt2(saved_dir)
    ours = generate(model, torch.tensor([PROMPT]), 30, temperature=0)[0, len(PROMPT) :].tolist()
    assert len(set(hf_continuation)) >= 10  # it varies, so agreeing on it means something
    assert ours == hf_continuation


def test_load_in_bfloat16_keeps_the_head_tied(saved_dir):
    full, half = load_gpt2(saved_dir), load_gpt2(saved_dir, dtype=torch.bfloat16)
    assert half.lm_head.weight is half.transformer.wte.weight
    for (name, p), (_, q) in zip(full.named_parameters(), half.named_parameters()):
        assert q.dtype == torch.bfloat16 and torch.equal(q, p.to(torch.bfloat16)), name


def test_sharded_save_pretrained_directory(hf_model, tmp_path):
    hf_model.save_pretrained(tmp_path, max_shard_size="2MB")
    assert len(list(tmp_path.glob("model-*.safetensors"))) > 1
    model = load_gpt2(tmp_path)
    assert max_logit_diff(model, hf_model) <= 1e-5


def test_local_safetensors_file_with_its_config_beside_it(hf_model, tmp_path):
    source = write_hub_style(hf_model, tmp_path / "hub-style")
    model = load_gpt2(source / "model.safetensors")
    assert max_logit_diff(model, hf_model) <= 1e-5


# --- save_hf: the way back ------------------------------------------------------------


def test_round_trip_course_to_transformers_gives_the_same_logits(tmp_path):
    torch.manual_seed(1)
    course = GPT(GPTConfig(50257, 64, n_layer=2, n_head=4, n_embd=32)).eval()
    directory = save_hf(course, tmp_path / "out")
    reference = transformers.GPT2LMHeadModel.from_pretrained(directory).eval()
    assert max_logit_diff(course, reference) <= 1e-5
    again = load_gpt2(directory)
    for (name, p), (name2, q) in zip(course.named_parameters(), again.named_parameters()):
        assert name == name2 and torch.equal(p, q)


def test_save_hf_writes_what_save_pretrained_writes(hf_model, saved_dir, tmp_path):
    from safetensors import safe_open

    def layout(path):
        with safe_open(str(path), "pt") as f:
            return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118

    ours = save_hf(load_gpt2(saved_dir), tmp_path / "ours")
    assert layout(ours / "model.safetensors") == layout(saved_dir / "model.safetensors")
    config = transformers.GPT2Config.from_pretrained(ours)
    assert (config.n_layer, config.n_head, config.n_embd, config.n_positions) == (3, 2, 32, 64)


def test_save_hf_refuses_a_model_without_biases(tmp_path):
    model = GPT(GPTConfig.from_preset("tiny", bias=False))
    with pytest.raises(ValueError, match="bias"):
        save_hf(model, tmp_path)


def test_save_hf_that_fails_half_way_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    """The weights go to a temporary file renamed into place only once complete."""
    import safetensors.torch

    torch.manual_seed(3)
    config = GPTConfig(50257, 16, n_layer=1, n_head=2, n_embd=16)
    directory = save_hf(GPT(config), tmp_path / "out")
    before = (directory / "model.safetensors").read_bytes()
    real_save = safetensors.torch.save_file

    def save_then_crash(tensors, filename, metadata=None):
        real_save(dict(list(tensors.items())[:3]), filename, metadata=metadata)
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", save_then_crash)
    with pytest.raises(OSError, match="disk full"):
        save_hf(GPT(config), directory)
    assert (directory / "model.safetensors").read_bytes() == before
    assert sorted(p.name for p in directory.iterdir()) == ["config.json", "model.safetensors"]


# --- memory ---------------------------------------------------------------------------

# Runs in a fresh process: its VmHWM (the kernel's peak-memory mark) starts anew at exec,
# and no memory freed earlier sits in the allocator to be reused unseen. (In the pytest
# process both would hide growth; getrusage's ru_maxrss even keeps the parent's peak.)
_MEASURE = """
import sys
from pathlib import Path
import torch
from core.gpt2 import gpt2_tensor_maps, infer_config, load_gpt2
from core.model.gpt import GPT

def status_mib(field):  # VmRSS: memory now; VmHWM: its peak so far
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

def obvious_load(path):  # a random model, then the whole file, then copy across
    from safetensors.torch import load_file
    state = load_file(path)
    config = infer_config({k: tuple(v.shape) for k, v in state.items()})
    model = GPT(config)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for m in gpt2_tensor_maps(config):
            for name, part in zip(m.course_keys, m.to_course(state[m.hf_key])):
                params[name].copy_(part)
    return model

how, path = sys.argv[1:]
before = status_mib("VmRSS")
model = load_gpt2(path) if how == "load_gpt2" else obvious_load(path)
assert abs(model.transformer.h[0].mlp.c_fc.weight[0, 0].item() - 0.01) < 1e-7
print(status_mib("VmHWM") - before, {"transformers", "marimo"} & set(sys.modules) == set())
"""


def _peak_growth_mib(how: str, path: Path) -> tuple[float, bool]:
    """(how far peak memory rose while loading, in MiB; whether it stayed free of transformers
    and marimo)."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, how, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
    )
    growth, lean = result.stdout.split()
    return float(growth), lean == "True"


@pytest.mark.skipif(sys.platform != "linux", reason="reads peak memory from /proc (Linux)")
def test_loading_holds_about_one_copy_of_the_weights(tmp_path):
    """Peak memory grows by one model, not two; and core.gpt2.load needs no transformers for it.

    The checkpoint is GPT-2 shaped with 768 channels (so no config.json is needed) and a
    small vocabulary, so that no single tensor dominates: the loader's bound is one model
    plus its largest tensor. The obvious loader, measured the same way, needs about two
    models: that shows the measurement sees a second copy when there is one.
    """
    from safetensors.torch import save_file

    config = GPTConfig(4096, 128, n_layer=4, n_head=12, n_embd=768)
    path = tmp_path / "model.safetensors"
    tensors = {m.hf_key: torch.full(m.hf_shape, 0.01) for m in gpt2_tensor_maps(config)}
    save_file(tensors, str(path), metadata={"format": "pt"})
    del tensors
    mib = 2**20
    model_mib = count_parameters(config) * 4 / mib  # 121 MiB
    largest_mib = max(torch.Size(m.hf_shape).numel() for m in gpt2_tensor_maps(config)) * 4 / mib
    assert largest_mib == 12  # wte, [4096, 768]

    frugal, lean = _peak_growth_mib("load_gpt2", path)
    obvious, _ = _peak_growth_mib("obvious", path)
    assert frugal <= model_mib + largest_mib + 24, (frugal, model_mib)
    assert obvious >= 1.8 * model_mib, (obvious, model_mib)
    assert lean  # transformers is needed only by compare_with_transformers; marimo never
