"""AdamW parameter groups (decay on matrices only) and gradient clipping."""

from __future__ import annotations

import math

import pytest
import torch

from core.model.config import GPTConfig
from core.model.gpt import GPT
from core.train.optim import clip_gradients, make_adamw, param_groups


@pytest.fixture
def model() -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig.from_preset("tiny"))


def test_matrices_decay_vectors_do_not(model):
    decay, no_decay = param_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decay["params"])
    assert all(p.dim() == 1 for p in no_decay["params"])
    L = model.config.n_layer
    # wte (= lm_head, tied: once), wpe, and per block c_attn (q, k, v), c_proj, c_fc, mlp.c_proj
    assert len(decay["params"]) == 2 + 4 * L
    assert "transformer.wte.weight" in decay["names"]
    assert "lm_head.weight" not in decay["names"]  # the tied head is the same parameter
    # per block: 2 LayerNorms × (weight, bias) + 4 Linear biases; then ln_f's two
    assert len(no_decay["params"]) == 8 * L + 2
    assert all(
        n.endswith(("bias", "ln_1.weight", "ln_2.weight", "ln_f.weight")) for n in no_decay["names"]
    )
    every = [id(p) for g in (decay, no_decay) for p in g["params"]]
    assert len(every) == len(set(every))
    assert sum(p.numel() for g in (decay, no_decay) for p in g["params"]) == model.num_parameters()


def test_weight_decay_shrinks_matrices_only(model):
    # With zero gradients Adam's own step is 0, so only the decoupled decay θ ← θ(1 - ηλ) acts.
    lr, wd = 0.1, 0.5
    optimizer = make_adamw(model, lr=lr, weight_decay=wd)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for name, p in model.named_parameters():
        factor = (1 - lr * wd) if p.dim() == 2 else 1.0
        torch.testing.assert_close(p.detach(), before[name] * factor, rtol=1e-6, atol=0)


@pytest.mark.parametrize("implementation", ["foreach", "fused", "loop"])
def test_adamw_implementations_agree(implementation):
    results = []
    for impl in ("auto", implementation):
        torch.manual_seed(0)
        m = GPT(GPTConfig.from_preset("tiny"))
        opt = make_adamw(m, lr=1e-2, weight_decay=0.1, implementation=impl)
        x = torch.randint(0, 64, (2, 16), generator=torch.Generator().manual_seed(1))
        for _ in range(3):
            _, loss = m(x, x)
            loss.backward()
            opt.step()
            opt.zero_grad()
        results.append(torch.cat([p.detach().flatten() for p in m.parameters()]))
    # fused kernels round differently: agree to well under 0.1% of a step (lr = 1e-2)
    torch.testing.assert_close(results[0], results[1], rtol=1e-5, atol=2e-5)


def test_clip_returns_the_norm_before_and_scales_to_the_bound():
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    a.grad = torch.tensor([3.0, 4.0])
    b.grad = torch.tensor([12.0])  # global norm sqrt(9 + 16 + 144) = 13
    norm = clip_gradients([a, b], max_norm=1.0)
    assert norm == pytest.approx(13.0)
    after = math.sqrt(float(a.grad.square().sum() + b.grad.square().sum()))
    assert after <= 1.0 + 1e-6
    assert after == pytest.approx(1.0, rel=1e-5)
    torch.testing.assert_close(a.grad, torch.tensor([3.0, 4.0]) / 13, rtol=1e-5, atol=0)
    torch.testing.assert_close(b.grad, torch.tensor([12.0]) / 13, rtol=1e-5, atol=0)


def test_clip_leaves_small_gradients_and_zero_disables(model):
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.tensor([0.3, 0.4])
    assert clip_gradients([p], max_norm=1.0) == pytest.approx(0.5)
    torch.testing.assert_close(p.grad, torch.tensor([0.3, 0.4]))
    p.grad = torch.tensor([30.0, 40.0])
    assert clip_gradients([p], max_norm=0) == pytest.approx(50.0)
    torch.testing.assert_close(p.grad, torch.tensor([30.0, 40.0]))


def test_clip_on_a_model_matches_the_norm_computed_by_hand(model):
    x = torch.randint(0, 64, (2, 16), generator=torch.Generator().manual_seed(2))
    _, loss = model(x, x)
    loss.backward()
    by_hand = math.sqrt(sum(float(p.grad.double().square().sum()) for p in model.parameters()))
    assert clip_gradients(model.parameters(), max_norm=0.01) == pytest.approx(by_hand, rel=1e-5)
    after = math.sqrt(sum(float(p.grad.double().square().sum()) for p in model.parameters()))
    assert after == pytest.approx(0.01, rel=1e-4)


def test_bad_arguments(model):
    with pytest.raises(ValueError, match="weight_decay"):
        param_groups(model, -1.0)
    with pytest.raises(ValueError, match="implementation"):
        make_adamw(model, lr=1e-3, weight_decay=0.1, implementation="turbo")
    with pytest.raises(ValueError, match="max_norm"):
        clip_gradients(model.parameters(), -1.0)
