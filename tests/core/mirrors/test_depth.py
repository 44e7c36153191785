"""core.mirrors.depth (a hand-written backward in NumPy) against torch autograd, same weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.mirrors.depth import (
    ARCHITECTURES,
    depth_profile,
    gelu_grad,
    random_stack,
    stack_backward,
    stack_forward,
)


def _perturbed_stack(n_layer, n_embd, seed=0):
    """Random weights with LayerNorms and biases moved off (1, 0), so every gradient counts."""
    layers, final = random_stack(n_layer, n_embd, gain=1.3, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for p in [*layers, final]:
        for name in p:
            if "ln" in name or "bias" in name or name in ("weight", "bias"):
                p[name] = p[name] + 0.3 * rng.normal(size=p[name].shape)
    return layers, final


def _torch_stack(x, layers, final, arch, kind):
    """The same stack in torch; returns (output, stream tensors, parameter tensors)."""
    t = {  # parameters as leaf tensors, per layer
        i: {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
        for i, p in enumerate(layers)
    }
    tf = {k: torch.tensor(v, requires_grad=True) for k, v in final.items()}
    approximate = "tanh" if kind == "tanh" else "none"
    c = x.shape[-1]

    def ln(z, w, b):
        return F.layer_norm(z, (c,), w, b, eps=1e-5)

    def mlp(z, p):
        h = F.gelu(F.linear(z, p["c_fc.weight"], p["c_fc.bias"]), approximate=approximate)
        return F.linear(h, p["c_proj.weight"], p["c_proj.bias"])

    h = torch.tensor(x, requires_grad=True)
    stream = [h]
    for i in range(len(layers)):
        p = t[i]
        if arch == "plain":
            h = mlp(h, p)
        elif arch == "layernorm":
            h = mlp(ln(h, p["ln.weight"], p["ln.bias"]), p)
        elif arch == "residual":
            h = h + mlp(h, p)
        elif arch == "pre-norm":
            h = h + mlp(ln(h, p["ln.weight"], p["ln.bias"]), p)
        else:
            h = ln(h + mlp(h, p), p["ln.weight"], p["ln.bias"])
        h.retain_grad()
        stream.append(h)
    out = ln(h, tf["weight"], tf["bias"]) if arch == "pre-norm" else h
    return out, stream, t, tf


@pytest.mark.parametrize("kind", ["tanh", "exact"])
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_gradients_equal_torch_autograd(arch, kind):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 6)) * 1.5  # T = 5 positions, C = 6
    readout = rng.normal(size=(5, 6))
    layers, final = _perturbed_stack(3, 6)

    out, stream, caches = stack_forward(x, layers, final, arch, kind=kind)
    grads = stack_backward(readout, layers, caches, arch, kind=kind)

    t_out, t_stream, t_layers, t_final = _torch_stack(x, layers, final, arch, kind)
    (t_out * torch.tensor(readout)).sum().backward()  # L = Σ readout ⊙ output

    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    for ours, theirs in zip(stream, t_stream):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=1e-12)
    assert len(grads.stream) == len(layers) + 1
    for ours, theirs in zip(grads.stream, t_stream):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-9, atol=1e-10)
    used = {
        "plain": 4, "residual": 4, "layernorm": 6, "pre-norm": 6, "post-norm": 6,
    }[arch]  # fmt: skip
    for i, g in enumerate(grads.layers):
        assert len(g) == used
        for name, value in g.items():
            expected = t_layers[i][name].grad.numpy()
            np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-10, err_msg=name)
    if arch == "pre-norm":
        for name in ("weight", "bias"):
            np.testing.assert_allclose(grads.final[name], t_final[name].grad.numpy(), atol=1e-10)
    else:
        assert grads.final == {}


def test_gelu_grad_matches_autograd():
    x = torch.linspace(-6, 6, 241, dtype=torch.float64, requires_grad=True)
    for kind, approximate in (("tanh", "tanh"), ("exact", "none")):
        (g,) = torch.autograd.grad(F.gelu(x, approximate=approximate).sum(), x)
        np.testing.assert_allclose(gelu_grad(x.detach().numpy(), kind), g.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="tanh"):
        gelu_grad(np.zeros(2), "relu")


def test_deeper_stacks_share_their_lower_layers():
    short, _ = random_stack(2, 4, seed=3)
    deep, _ = random_stack(5, 4, seed=3)
    for a, b in zip(short, deep):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])


def test_the_lessons_claims_at_depth_48():
    """What lesson 8 reports, as invariants: a plain stack's gradient vanishes at gain 1 and
    explodes at gain 2; GPT-2's pre-norm wiring keeps both sizes within a small band."""
    rng = np.random.default_rng(1)
    x, readout = rng.normal(size=(8, 64)), rng.normal(size=(8, 64))
    for gain, plain_small in ((1.0, True), (2.0, False)):
        layers, final = random_stack(48, 64, gain=gain)
        plain = depth_profile(x, layers, final, "plain", readout=readout)
        pre = depth_profile(x, layers, final, "pre-norm", readout=readout)
        ratio = plain.stream_grad_norm[0] / plain.stream_grad_norm[-1]
        assert (ratio < 1e-6) if plain_small else (ratio > 1e6), ratio
        assert 0.5 < pre.activation_rms[-1] < 30
        assert 0.5 < pre.stream_grad_norm[0] / pre.stream_grad_norm[-1] < 50
        assert len(pre.weight_grad_norm) == 48 and len(pre.activation_rms) == 49


def test_bad_arguments_say_what_to_pass():
    layers, final = random_stack(1, 4)
    with pytest.raises(ValueError, match="pre-norm"):
        stack_forward(np.zeros((2, 4)), layers, final, "sandwich")
    with pytest.raises(ValueError, match="n_layer"):
        random_stack(-1, 4)


def test_mean_cosine():
    from core.mirrors.depth import mean_cosine

    assert mean_cosine(np.array([[1.0, 0.0], [0.0, 2.0]])) == 0.0
    assert mean_cosine(np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])) == pytest.approx(1.0)
    assert mean_cosine(np.array([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx(-1.0)
