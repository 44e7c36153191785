"""core.mirrors.gpt (NumPy) against core.model.gpt.GPT (torch): same weights, same logits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.mirrors.gpt import NumpyGPT, gelu, layer_norm, merge_heads, split_heads
from core.model import GPT, GPTConfig
from core.model.export import mirror_config, numpy_weights, save_npz


def _model(gelu_kind: str, seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    model = GPT(GPTConfig(50, 16, n_layer=2, n_head=4, n_embd=32, gelu=gelu_kind)).double()
    with torch.no_grad():  # untrained LayerNorms and biases are (1, 0): make them count
        for name, p in model.named_parameters():
            if "ln" in name or name.endswith("bias"):
                p.add_(0.3 * torch.randn_like(p))
    return model.eval()


@pytest.mark.parametrize("gelu_kind", ["tanh", "exact"])
def test_numpy_forward_equals_torch_in_float64(gelu_kind):
    model = _model(gelu_kind)
    mirror = NumpyGPT(mirror_config(model.config), numpy_weights(model, dtype=np.float64))
    ids = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    logits, attention = mirror.forward(ids)
    with torch.no_grad():
        expected, _ = model(torch.from_numpy(ids)[None])
        _, _, weights = model(torch.from_numpy(ids)[None], return_attention=True)
    np.testing.assert_allclose(logits, expected[0].numpy(), rtol=0, atol=1e-10)
    assert attention.shape == (2, 4, len(ids), len(ids))
    np.testing.assert_allclose(attention, weights[:, 0].numpy(), atol=1e-12)


def test_npz_round_trip_keeps_logits_and_metadata(tmp_path):
    model = _model("exact", seed=1).float()
    path = save_npz(model, tmp_path / "m.npz", chars="abc", run="test")
    mirror, meta = NumpyGPT.load(path)
    assert meta["chars"] == "abc" and meta["run"] == "test"
    assert meta["config"]["gelu"] == "exact" and meta["config"]["n_head"] == 4
    ids = np.arange(16) % 50
    with torch.no_grad():
        expected, _ = model(torch.from_numpy(ids)[None])
    np.testing.assert_allclose(mirror.forward(ids)[0], expected[0].numpy(), atol=1e-4)


def test_the_mask_is_what_keeps_later_tokens_out():
    model = NumpyGPT.random(vocab_size=20, block_size=8, n_layer=2, n_head=2, n_embd=8, std=0.5)
    a, b = [1, 2, 3, 4, 5], [1, 2, 3, 4, 9]  # only the last token differs
    np.testing.assert_array_equal(model.forward(a)[0][:4], model.forward(b)[0][:4])
    leaked = model.forward(a, causal=False)[0][:4] - model.forward(b, causal=False)[0][:4]
    assert np.abs(leaked).max() > 1e-3


def test_pieces_match_their_torch_twins():
    x = np.random.default_rng(0).normal(size=(5, 6)) * 3
    w, b = np.linspace(0.5, 2, 6), np.linspace(-1, 1, 6)
    expected = torch.nn.functional.layer_norm(
        torch.from_numpy(x), (6,), torch.tensor(w), torch.tensor(b)
    )
    np.testing.assert_allclose(layer_norm(x, w, b), expected.numpy(), atol=1e-12)
    for kind, approximate in (("tanh", "tanh"), ("exact", "none")):
        t = torch.nn.functional.gelu(torch.from_numpy(x), approximate=approximate)
        np.testing.assert_allclose(gelu(x, kind), t.numpy(), atol=1e-12)
    assert gelu(np.array([1.0]), "exact")[0] == pytest.approx(
        0.5 * (1 + math.erf(1 / math.sqrt(2)))
    )
    np.testing.assert_array_equal(merge_heads(split_heads(x, 3)), x)
    assert split_heads(x, 3)[1].tolist() == x[:, 2:4].tolist()


def test_bad_input_says_what_to_do():
    model = NumpyGPT.random(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=4)
    with pytest.raises(ValueError, match="longer than the context of 4"):
        model.forward([0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="0 … 4"):
        model.forward([7])
    with pytest.raises(ValueError, match="non-empty"):
        model.forward([])
    weights = dict(model.weights)
    del weights["h.0.mlp.c_fc.bias"]
    with pytest.raises(ValueError, match="missing 1 arrays"):
        NumpyGPT(model.config, weights)
