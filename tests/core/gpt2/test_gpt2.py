"""core.gpt2.loader against transformers' GPT-2, on small random checkpoints built offline."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers  # a dev dependency: the reference implementation

import core.gpt2.loader as gpt2
from core.gpt2.loader import (
    GPT2CheckpointError,
    GPT2WeightsUnavailableError,
    NotebookProgressBar,
    TensorMap,
    allocate_gpt,
    check_tensors,
    compare_with_transformers,
    config_from_hf,
    gpt2_tensor_maps,
    infer_config,
    load_gpt2,
    mapping_rows,
    resolve_checkpoint,
    save_hf,
)
from core.model.config import GPTConfig, count_parameters
from core.model.generate import generate
from core.model.gpt import GPT
from tests.core.gpt2.fixtures import (
    PROMPT,
    edit_config,
    hf_greedy,
    make_hub_cache,
    random_hf_gpt2,
    rewrite_safetensors,
    write_hub_style,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def hf_model():
    return random_hf_gpt2(seed=0)


@pytest.fixture(scope="module")
def saved_dir(hf_model, tmp_path_factory):
    """What transformers' save_pretrained writes: `transformer.` prefix, no lm_head."""
    directory = tmp_path_factory.mktemp("save_pretrained")
    hf_model.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def hf_continuation(hf_model):
    """transformers' own greedy continuation of PROMPT: 30 new tokens."""
    return hf_greedy(hf_model, PROMPT, 30)


def hf_logits(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


def course_logits(model: GPT, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids]))[0]


# --- the mapping itself ---------------------------------------------------------------


def test_conv1d_weight_becomes_linear_and_c_attn_splits_into_q_k_v():
    """transformers' Conv1D computes x @ W + b with W [in, out]; to_course gives nn.Linear's."""
    from transformers.pytorch_utils import Conv1D

    torch.manual_seed(0)
    C = 8
    conv = Conv1D(3 * C, C)  # (nf=out, nx=in), like c_attn
    torch.nn.init.normal_(conv.bias)
    x = torch.randn(2, 5, C)
    m_w = TensorMap("h.0.attn.c_attn.weight", (C, 3 * C), ("q", "k", "v"), transpose=True)
    m_b = TensorMap("h.0.attn.c_attn.bias", (3 * C,), ("q", "k", "v"))
    assert conv.weight.shape == (C, 3 * C)
    expected = conv(x).split(C, dim=-1)  # GPT-2 splits c_attn's output into q, k, v
    for w, b, want in zip(m_w.to_course(conv.weight), m_b.to_course(conv.bias), expected):
        assert w.shape == (C, C)
        torch.testing.assert_close(torch.nn.functional.linear(x, w, b), want)
    # and back: to_hf undoes to_course exactly
    assert torch.equal(m_w.to_hf(m_w.to_course(conv.weight)), conv.weight)


def test_mapping_covers_every_parameter_of_the_124m_model_once():
    hf_config = transformers.GPT2Config().to_dict()  # transformers' defaults are GPT-2 124M
    config = config_from_hf(hf_config)
    assert config == GPTConfig.from_preset("gpt2")
    model = allocate_gpt(config, device="meta")  # shapes only: nothing is allocated
    assert model.num_parameters() == 124_439_808
    maps = gpt2_tensor_maps(config)
    assert sum(torch.Size(m.hf_shape).numel() for m in maps) == 124_439_808
    course_keys = [k for m in maps for k in m.course_keys]
    assert sorted(course_keys) == sorted(name for name, _ in model.named_parameters())
    assert model.lm_head.weight is model.transformer.wte.weight


def test_infer_config_from_the_shapes_of_the_hub_file():
    """A bare model.safetensors (no config.json) of GPT-2 124M, as the hub stores it."""
    config = GPTConfig.from_preset("gpt2")
    shapes = {m.hf_key: m.hf_shape for m in gpt2_tensor_maps(config)}
    shapes.update({f"h.{i}.attn.bias": (1, 1, 1024, 1024) for i in range(12)})
    assert infer_config(shapes) == config
    assert len(check_tensors(config, shapes)) == len(shapes) - 12  # the masks are dropped


def test_mapping_rows_show_each_kind_of_tensor_once():
    rows = mapping_rows(GPTConfig.from_preset("gpt2"))
    by_name = {r["checkpoint"]: r for r in rows}
    assert len(rows) == 2 + 12 + 2 + 2  # embeddings, one block, ln_f, mask, tied head
    assert by_name["h.0.attn.c_attn.weight"]["shape"] == "[768, 2304]"
    assert by_name["h.0.attn.c_attn.weight"]["step"] == (
        "transpose [in, out] -> [out, in], then split into q, k, v"
    )
    assert by_name["h.0.attn.bias"]["step"] == "drop (causal mask)"
    assert by_name["wpe.weight"]["step"] == "copy"


# --- loading checkpoints written by transformers --------------------------------------


def test_save_pretrained_directory_gives_transformers_logits(hf_model, saved_dir):
    model = load_gpt2(saved_dir)
    assert model.config == GPTConfig(50257, 64, n_layer=3, n_head=2, n_embd=32)
    assert not model.training
    diff = (course_logits(model, PROMPT) - hf_logits(hf_model, PROMPT)).abs().max().item()
    assert diff <= 1e-5


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


def test_hub_cache_layout_goes_through_hf_hub_download(hf_model, tmp_path, monkeypatch):
    import huggingface_hub
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    snapshot = make_hub_cache(
        cache, "openai-community/gpt2", write_hub_style(hf_model, tmp_path / "src")
    )
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads those variables once, when it is imported: set what it derived too
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    calls = []
    real_download = huggingface_hub.hf_hub_download

    def spy(repo_id, filename, **kwargs):
        path = real_download(repo_id, filename, **kwargs)
        calls.append((repo_id, filename, kwargs.get("tqdm_class"), Path(path)))
        return path

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", spy)

    files = resolve_checkpoint("gpt2")
    assert files.repo_id == "openai-community/gpt2"
    assert files.weights == (snapshot / "model.safetensors",)
    assert [(c[0], c[1]) for c in calls] == [
        ("openai-community/gpt2", "config.json"),
        ("openai-community/gpt2", "model.safetensors"),
    ]
    assert all(c[2] is NotebookProgressBar and c[3].parent == snapshot for c in calls)

    model = load_gpt2("gpt2")
    diff = (course_logits(model, PROMPT) - hf_logits(hf_model, PROMPT)).abs().max().item()
    assert diff <= 1e-5
    # the helper of lesson 13 on a hub name: transformers reads the same snapshot itself
    report = compare_with_transformers("gpt2", PROMPT, max_new_tokens=5)
    assert report.max_abs_logit_diff <= 1e-5 and report.greedy_agree


def test_offline_without_cache_says_what_is_missing_and_how_to_get_it(tmp_path, monkeypatch):
    from huggingface_hub import constants

    cache = tmp_path / "empty-hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(GPT2WeightsUnavailableError) as err:
        load_gpt2("gpt2-medium")
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    for needed in ("openai-community/gpt2-medium", str(cache), "HF_HUB_OFFLINE", "hf download"):
        assert needed in message
    assert "about 1.4 GB" in message  # 354,823,168 parameters x 4 bytes


def test_sharded_save_pretrained_directory(hf_model, tmp_path):
    hf_model.save_pretrained(tmp_path, max_shard_size="2MB")
    assert len(list(tmp_path.glob("model-*.safetensors"))) > 1
    model = load_gpt2(tmp_path)
    diff = (course_logits(model, PROMPT) - hf_logits(hf_model, PROMPT)).abs().max().item()
    assert diff <= 1e-5


def test_local_safetensors_file_with_its_config_beside_it(hf_model, tmp_path):
    source = write_hub_style(hf_model, tmp_path / "hub-style")
    model = load_gpt2(source / "model.safetensors")
    diff = (course_logits(model, PROMPT) - hf_logits(hf_model, PROMPT)).abs().max().item()
    assert diff <= 1e-5


# --- save_hf: the way back ------------------------------------------------------------


def test_round_trip_course_to_transformers_gives_the_same_logits(tmp_path):
    torch.manual_seed(1)
    course = GPT(GPTConfig(50257, 64, n_layer=2, n_head=4, n_embd=32)).eval()
    directory = save_hf(course, tmp_path / "out")
    reference = transformers.GPT2LMHeadModel.from_pretrained(directory).eval()
    diff = (course_logits(course, PROMPT) - hf_logits(reference, PROMPT)).abs().max().item()
    assert diff <= 1e-5
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


# --- errors ---------------------------------------------------------------------------


def copy_dir(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for file in src.iterdir():
        (dst / file.name).write_bytes(file.read_bytes())
    return dst


@pytest.mark.parametrize("keep", [0.5, 0.0001])
def test_truncated_file_says_so(saved_dir, tmp_path, keep):
    directory = copy_dir(saved_dir, tmp_path / "cut")
    weights = directory / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(GPT2CheckpointError, match="truncated") as err:
        load_gpt2(directory)
    assert str(weights) in str(err.value)


def test_checkpoint_of_another_architecture(tmp_path):
    config = transformers.LlamaConfig(
        vocab_size=128,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(tmp_path / "llama")
    with pytest.raises(GPT2CheckpointError, match=r"'llama' model .*LlamaForCausalLM.*not GPT-2"):
        load_gpt2(tmp_path / "llama")
    # the same weights without their config.json: the tensors themselves give it away
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "model.safetensors").write_bytes((tmp_path / "llama/model.safetensors").read_bytes())
    with pytest.raises(GPT2CheckpointError, match=r"no wte.weight.*model.embed_tokens.weight"):
        load_gpt2(alone / "model.safetensors")


def test_size_mismatch_between_config_and_tensors(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "mismatch")
    edit_config(directory, n_positions=128, n_layer=4)
    with pytest.raises(GPT2CheckpointError) as err:
        load_gpt2(directory)
    message = str(err.value)
    assert "n_layer=4" in message
    assert "wpe.weight is [64, 32], expected [128, 32]" in message
    assert "missing (12): h.3.ln_1.weight, h.3.ln_1.bias," in message


def test_one_error_lists_every_missing_unexpected_and_misshaped_tensor(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "broken")

    def damage(tensors):
        del tensors["transformer.h.1.mlp.c_fc.bias"]
        del tensors["transformer.ln_f.weight"]
        tensors["transformer.h.0.attn.rotary.inv_freq"] = torch.ones(4)
        tensors["transformer.h.2.ln_2.weight"] = torch.ones(33)

    rewrite_safetensors(directory / "model.safetensors", damage)
    with pytest.raises(GPT2CheckpointError) as err:
        load_gpt2(directory)
    lines = str(err.value).splitlines()[1:]
    assert [line.strip() for line in lines] == [
        "missing (2): h.1.mlp.c_fc.bias, ln_f.weight",
        "unexpected (1): transformer.h.0.attn.rotary.inv_freq",
        "wrong shape (1): transformer.h.2.ln_2.weight is [33], expected [32]",
    ]


def test_untied_head_is_refused_and_a_tied_copy_accepted(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "head")
    rewrite_safetensors(
        directory / "model.safetensors",
        lambda t: t.update({"lm_head.weight": t["transformer.wte.weight"].clone()}),
    )
    load_gpt2(directory)  # an explicit copy of wte is fine
    rewrite_safetensors(
        directory / "model.safetensors",
        lambda t: t.update({"lm_head.weight": t["lm_head.weight"] + 1}),
    )
    with pytest.raises(GPT2CheckpointError, match="differs from wte"):
        load_gpt2(directory)


def test_unsupported_gpt2_variant_is_refused(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "relu")
    edit_config(directory, activation_function="relu", layer_norm_epsilon=1e-6)
    with pytest.raises(
        GPT2CheckpointError, match=r"activation_function='relu'.*layer_norm_epsilon"
    ):
        load_gpt2(directory)


def test_bare_file_of_unknown_width_asks_for_its_config(saved_dir, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "w.safetensors").write_bytes((saved_dir / "model.safetensors").read_bytes())
    with pytest.raises(GPT2CheckpointError, match=r"n_embd=32.*config.json"):
        load_gpt2(alone / "w.safetensors")


def test_unknown_name_is_a_clear_value_error(tmp_path):
    with pytest.raises(ValueError, match="neither an existing file or directory nor a GPT-2 name"):
        load_gpt2(str(tmp_path / "no such dir" / "x y"))


# --- the verification helper ----------------------------------------------------------


def test_compare_with_transformers_on_a_checkpoint(saved_dir, hf_continuation):
    report = compare_with_transformers(saved_dir, PROMPT, max_new_tokens=30)
    assert report.max_abs_logit_diff <= 1e-5
    assert report.greedy_agree
    assert report.reference_continuation == hf_continuation
    assert report.course_continuation == report.reference_continuation


def test_compare_with_transformers_on_a_file_transformers_cannot_open_by_itself(
    saved_dir, tmp_path, hf_continuation
):
    """A file not named model.safetensors: the helper gives transformers a directory for it."""
    (tmp_path / "config.json").write_bytes((saved_dir / "config.json").read_bytes())
    weights = tmp_path / "weights.safetensors"
    weights.write_bytes((saved_dir / "model.safetensors").read_bytes())
    report = compare_with_transformers(weights, PROMPT, max_new_tokens=30)
    assert report.max_abs_logit_diff <= 1e-5
    assert report.reference_continuation == hf_continuation == report.course_continuation


def test_compare_with_transformers_sees_a_mapping_bug(saved_dir, monkeypatch):
    """Forget the Conv1D transpose of attn.c_proj (square, so every shape still fits)."""
    real_maps = gpt2.gpt2_tensor_maps

    def buggy(config):
        return [
            TensorMap(m.hf_key, m.hf_shape, m.course_keys, transpose=False)
            if m.hf_key.endswith("attn.c_proj.weight")
            else m
            for m in real_maps(config)
        ]

    monkeypatch.setattr(gpt2, "gpt2_tensor_maps", buggy)
    report = compare_with_transformers(saved_dir, PROMPT, max_new_tokens=1)
    assert report.max_abs_logit_diff > 1e-2


def test_compare_with_transformers_on_a_course_model():
    torch.manual_seed(2)
    course = GPT(GPTConfig(50257, 32, n_layer=1, n_head=2, n_embd=16)).train()
    report = compare_with_transformers(course, PROMPT, max_new_tokens=8)
    assert report.max_abs_logit_diff <= 1e-5
    assert report.greedy_agree and len(report.course_continuation) == 8
    assert course.training  # left as it was found


# --- progress bar ---------------------------------------------------------------------


def test_progress_bar_outside_marimo_is_plain_tqdm():
    out = io.StringIO()
    bar = NotebookProgressBar(total=100, desc="model.safetensors", file=out, disable=False)
    bar.update(40)
    bar.close()
    assert bar.notebook_bar is None
    assert "model.safetensors" in out.getvalue() and "40/100" in out.getvalue()


def test_progress_bar_inside_marimo_mirrors_updates(monkeypatch):
    import marimo

    monkeypatch.setattr(marimo, "running_in_notebook", lambda: True)
    out = io.StringIO()
    bar = NotebookProgressBar(total=1000, initial=100, desc="model.safetensors", file=out)
    shown = bar.notebook_bar
    assert shown is not None and shown.total == 1000 and shown.title == "model.safetensors"
    bar.update(400)
    bar.update(500)
    assert shown.current == 1000
    bar.close()
    assert shown.closed and out.getvalue() == ""  # the terminal bar stayed silent


def test_xet_downloads_draw_one_bar_not_two(monkeypatch):
    """huggingface_hub's Xet downloads open a second 'transfer' bar unless the class has
    update_transfer; NotebookProgressBar has it, so a notebook shows one bar per file."""
    import logging

    import marimo
    from huggingface_hub.utils._xet_progress_reporting import XetDownloadProgressReporter

    monkeypatch.setattr(marimo, "running_in_notebook", lambda: True)
    reporter = XetDownloadProgressReporter(
        reconstruction_desc="model.safetensors",
        total=100,
        log_level=logging.INFO,
        tqdm_class=NotebookProgressBar,
    )
    assert reporter.transfer_bar is reporter.reconstruction_bar
    reporter.close()


# --- memory ---------------------------------------------------------------------------

# Runs in a fresh process: its VmHWM (the kernel's peak-memory mark) starts anew at exec,
# and no memory freed earlier sits in the allocator to be reused unseen. (In the pytest
# process both would hide growth; getrusage's ru_maxrss even keeps the parent's peak.)
_MEASURE = """
import sys
from pathlib import Path
import torch
from core.gpt2.loader import gpt2_tensor_maps, infer_config, load_gpt2
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
print(status_mib("VmHWM") - before, "transformers" in sys.modules)
"""


def _peak_growth_mib(how: str, path: Path) -> tuple[float, bool]:
    """(how far peak memory rose while loading, in MiB; whether transformers got imported)."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, how, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
    )
    growth, imported = result.stdout.split()
    return float(growth), imported == "True"


@pytest.mark.skipif(sys.platform != "linux", reason="reads peak memory from /proc (Linux)")
def test_loading_holds_about_one_copy_of_the_weights(tmp_path):
    """Peak memory grows by one model, not two; and core.gpt2.loader needs no transformers for it.

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

    frugal, imported = _peak_growth_mib("load_gpt2", path)
    obvious, _ = _peak_growth_mib("obvious", path)
    assert frugal <= model_mib + largest_mib + 24, (frugal, model_mib)
    assert obvious >= 1.8 * model_mib, (obvious, model_mib)
    assert not imported  # transformers is needed only by compare_with_transformers
