"""core.course.gpt_lesson: parameter counts against core and torch, the leak detector, the checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.course.gpt_lesson import (
    COMPONENTS,
    GPT1_VOCAB_SIZE,
    GPT2_BLOCK_SIZE,
    GPT2_PAPER_COUNTS,
    GPT2_SIZES,
    check_causality_cell,
    check_parameter_count,
    copycat_gpt,
    forward_with_mask,
    gpt2_config,
    leak_report,
    leaked_positions,
    paper_count_candidates,
    parameter_breakdown,
    text_loss,
)
from core.mirrors.attention import causal_mask
from core.mirrors.gpt import Config, NumpyGPT
from core.model import GPT, GPTConfig, count_parameters
from core.model.config import PRESETS

GPT2_COUNTS = {
    "gpt2": 124_439_808,
    "gpt2-medium": 354_823_168,
    "gpt2-large": 774_030_080,
    "gpt2-xl": 1_557_611_200,
}


@pytest.mark.parametrize("name", list(GPT2_SIZES))
def test_gpt2_sizes_are_cores_presets_and_their_exact_counts(name):
    preset = PRESETS[name]
    config = gpt2_config(name)
    assert (config.vocab_size, config.block_size, config.n_layer, config.n_head, config.n_embd) == (
        preset.vocab_size, preset.block_size, preset.n_layer, preset.n_head, preset.n_embd,
    )  # fmt: skip
    parts = parameter_breakdown(config)
    assert tuple(parts) == COMPONENTS
    assert sum(parts.values()) == GPT2_COUNTS[name] == count_parameters(preset)
    assert sum(parts.values()) - parts["position embedding"] == count_parameters(
        preset, include_position_embeddings=False
    )
    assert GPT2_BLOCK_SIZE == preset.block_size


def _component(name: str) -> str:
    if name.endswith("wte.weight"):
        return "token embedding"
    if name.endswith("wpe.weight"):
        return "position embedding"
    if ".ln_" in name or "ln_f" in name:
        return "LayerNorm"
    return "attention" if ".attn." in name else "MLP"


@pytest.mark.parametrize("shape", [(50, 16, 2, 4, 32), (65, 64, 4, 4, 128), (7, 3, 1, 3, 6)])
def test_breakdown_equals_torch_parameters_by_component(shape):
    V, T, L, H, C = shape
    model = GPT(GPTConfig(V, T, n_layer=L, n_head=H, n_embd=C))
    expected = dict.fromkeys(COMPONENTS, 0)
    for name, p in model.named_parameters():  # the tied lm_head is yielded once, as wte
        expected[_component(name)] += p.numel()
    parts = parameter_breakdown(Config(V, T, L, H, C))
    assert parts == expected
    assert sum(parts.values()) == model.num_parameters()


def test_heads_do_not_change_the_count():
    counts = {sum(parameter_breakdown(Config(100, 32, 2, h, 48)).values()) for h in (1, 2, 3, 8)}
    assert len(counts) == 1


def test_bad_shapes_say_what_is_wrong():
    with pytest.raises(ValueError, match="not divisible by H = 5"):
        parameter_breakdown(Config(10, 8, 1, 5, 12))
    with pytest.raises(ValueError, match="blocks L must be a positive"):
        parameter_breakdown(Config(10, 8, 0, 1, 12))
    with pytest.raises(ValueError, match="unknown GPT-2 size"):
        gpt2_config("gpt2-small")


def test_only_gpt1s_vocabulary_reproduces_all_four_paper_counts():
    transformers = pytest.importorskip("transformers")
    assert transformers.OpenAIGPTConfig().vocab_size == GPT1_VOCAB_SIZE
    rounded = {
        name: {k: round(v / 1e6) for k, v in paper_count_candidates(name).items()}
        for name in GPT2_SIZES
    }
    for explanation in rounded["gpt2"]:
        matches = [rounded[n][explanation] * 1_000_000 == GPT2_PAPER_COUNTS[n] for n in GPT2_SIZES]
        assert all(matches) == (explanation.startswith("with GPT-1's vocabulary")), explanation
    assert paper_count_candidates("gpt2")["as released (tied head)"] == 124_439_808


def test_parameter_count_check_names_the_mistake():
    config = gpt2_config("gpt2-medium")
    assert check_parameter_count(354_823_168, config) == (True, "Correct: 354,823,168.")
    ok, text = check_parameter_count(354_823_168 + 50257 * 1024, config)
    assert not ok and "tied" in text
    ok, text = check_parameter_count(354_823_168 - 1024 * 1024, config)
    assert not ok and "position embedding" in text
    ok, text = check_parameter_count(354_823_168 - 24 * 9 * 1024, config)
    assert not ok and "biases" in text
    ok, text = check_parameter_count(354_823_168 - 24 * 13 * 1024, config)
    assert not ok and "13C" in text
    one_block = 50257 * 1024 + 1024 * 1024 + 12 * 1024**2 + 13 * 1024 + 2 * 1024
    ok, text = check_parameter_count(one_block, config)
    assert not ok and "one block; there are L = 24" in text
    ok, text = check_parameter_count(123, config)
    assert not ok and "four terms" in text
    assert check_parameter_count(None, config)[0] is False


def test_causality_cell_check():
    assert check_causality_cell(3, 4, row=3)[0]
    assert "below the diagonal" in check_causality_cell(4, 3, row=3)[1]
    assert "below the diagonal" in check_causality_cell(3, 3, row=3)[1]
    assert "right after it" in check_causality_cell(3, 6, row=3)[1]
    assert "for position 1" in check_causality_cell(1, 2, row=3)[1]
    assert not check_causality_cell(None, 4, row=3)[0]


def _random_model(**kw):
    return NumpyGPT.random(
        vocab_size=20, block_size=10, n_layer=2, n_head=2, n_embd=8, std=0.5, **kw
    )


@pytest.mark.parametrize("gelu", ["tanh", "exact"])
def test_forward_with_mask_equals_the_mirror_for_its_two_masks(gelu):
    model = _random_model(gelu=gelu)
    ids = [3, 1, 4, 1, 5, 9, 2]
    np.testing.assert_allclose(
        forward_with_mask(model, ids, causal_mask(7)), model.forward(ids)[0], atol=1e-12
    )
    np.testing.assert_allclose(
        forward_with_mask(model, ids, np.ones((7, 7), bool)),
        model.forward(ids, causal=False)[0],
        atol=1e-12,
    )
    with pytest.raises(ValueError, match=r"\(7, 7\)"):
        forward_with_mask(model, ids, causal_mask(6))


def test_the_leak_detector():
    model = _random_model()
    ids = [3, 1, 4, 1, 5, 9, 2]
    moved = leak_report(model, ids, 4, 11)
    assert (moved[:4] == 0).all() and (moved[4:] > 0).all()
    assert leaked_positions(model, ids, 4, 11) == []
    assert leaked_positions(model, ids, 4, 11, causal=False) == [0, 1, 2, 3]
    one_cell = causal_mask(7)
    one_cell[2, 3] = True  # position 2 may read token 3, its answer
    assert leaked_positions(model, ids, 3, 11, causal=one_cell) == [2]
    assert leaked_positions(model, ids, 5, 11, causal=one_cell) == []
    with pytest.raises(ValueError, match="position must be in 0 … 6"):
        leak_report(model, ids, 7, 0)


def test_matches_torch_for_an_open_cell():
    """The one-open-cell forward is the torch GPT's attention with that explicit mask."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(20, 10, n_layer=2, n_head=2, n_embd=8)).double().eval()
    from core.model.export import mirror_config, numpy_weights

    mirror = NumpyGPT(mirror_config(model.config), numpy_weights(model, dtype=np.float64))
    ids = np.array([3, 1, 4, 1, 5, 9])
    allowed = causal_mask(6)
    allowed[1, 2] = True
    x = model.transformer.wte(torch.from_numpy(ids)) + model.transformer.wpe.weight[:6]
    for block in model.transformer.h:
        a = block.ln_1(x)
        q, k, v = block.attn.c_attn(a).split(8, dim=-1)
        q, k, v = (t.view(6, 2, 4).transpose(0, 1) for t in (q, k, v))
        out = torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=torch.from_numpy(allowed)
        )
        x = x + block.attn.c_proj(out.transpose(0, 1).reshape(6, 8))
        x = x + block.mlp(block.ln_2(x))
    expected = model.lm_head(model.transformer.ln_f(x)).detach().numpy()
    np.testing.assert_allclose(forward_with_mask(mirror, ids, allowed), expected, atol=1e-10)


def test_the_copycat_cheats_only_without_the_mask():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 65, size=40)
    model = copycat_gpt(65, 64)
    assert model.config.n_embd == 65 + 64 and model.config.n_layer == 1
    assert text_loss(model, ids, causal=False) < 0.01  # reads the answer
    assert text_loss(model, ids) > np.log(65)  # masked: worse than a uniform guess
    logits = model.forward(ids, causal=False)[0]
    assert (logits[:-1].argmax(axis=1) == ids[1:]).all()


def test_text_loss_is_torchs_cross_entropy():
    model = _random_model()
    ids = np.array([3, 1, 4, 1, 5, 9, 2])
    logits = torch.from_numpy(model.forward(ids)[0][:-1])
    expected = torch.nn.functional.cross_entropy(logits, torch.from_numpy(ids[1:]))
    assert text_loss(model, ids) == pytest.approx(float(expected), abs=1e-12)
