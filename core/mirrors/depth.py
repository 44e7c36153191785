"""Deep stacks of MLP sublayers, forward and backward by hand in NumPy (lesson 8). Torch-free.

Why a transformer needs its residual stream and its LayerNorms, measured: N random sublayers,
each GPT-2's MLP (C -> 4C -> GELU -> C), wired in one of five ways (`ARCHITECTURES`):

    "plain"      x <- mlp(x)                   no residual, no LayerNorm
    "layernorm"  x <- mlp(ln(x))               LayerNorm, no residual
    "residual"   x <- x + mlp(x)               residual, no LayerNorm
    "pre-norm"   x <- x + mlp(ln(x)), then a final ln   GPT-2's wiring
    "post-norm"  x <- ln(x + mlp(x))           the original Transformer's "add & norm"

The backward pass is written out (linear, GELU, LayerNorm, the residual sum), small enough to
read; a test holds every gradient equal to torch autograd on the same weights. Attention
sublayers are left out to keep it small: this is a toy, not a GPT.

Notation: T positions, C channels (n_embd), N layers. Weights as torch's nn.Linear stores them,
(out, in); a layer computes x @ W.T + b. Names follow GPT-2's block: ln.weight/bias (C,),
c_fc.weight (4C, C), c_fc.bias (4C,), c_proj.weight (C, 4C), c_proj.bias (C,).

Example:
    >>> layers, final = random_stack(3, 8, seed=0)
    >>> x = np.random.default_rng(1).normal(size=(5, 8))
    >>> p = depth_profile(x, layers, final, "pre-norm", readout=np.ones((5, 8)))
    >>> len(p.activation_rms), len(p.weight_grad_norm)     # x_0 … x_N; one per layer
    (4, 3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.mirrors.gpt import _erf, gelu, layer_norm, linear

ARCHITECTURES = ("plain", "layernorm", "residual", "pre-norm", "post-norm")
EPS = 1e-5  # LayerNorm's, as torch's default


def gelu_grad(x, kind: str = "tanh") -> np.ndarray:
    """d gelu(x) / dx, elementwise, for GELU's "tanh" (GPT-2's) or "exact" form."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "exact":  # x·Φ(x): Φ(x) + x·φ(x)
        phi = np.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi)
        return 0.5 * (1.0 + _erf(x / math.sqrt(2.0))) + x * phi
    if kind == "tanh":  # 0.5·x·(1 + tanh u), u = k(x + a x³)
        k, a = math.sqrt(2.0 / math.pi), 0.044715
        t = np.tanh(k * (x + a * x**3))
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t**2) * k * (1.0 + 3.0 * a * x**2)
    raise ValueError(f"gelu kind must be 'tanh' or 'exact', got {kind!r}")


def random_stack(
    n_layer: int, n_embd: int, *, gain: float = 1.0, seed: int = 0
) -> tuple[list[dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """(layers, final LayerNorm) with weights N(0, (gain²/fan_in)), LayerNorms at (1, 0), zero
    biases: untrained. Layer i is the same whatever n_layer (they are drawn in order), so a
    deeper stack is a shallower one with layers added on top.

    gain = 1 is "1/√fan_in" initialisation; what keeps a plain stack's size steady depends on
    the nonlinearity (for GELU a little above 1).
    """
    if n_layer < 0 or n_embd <= 0:
        raise ValueError(f"need n_layer >= 0 and n_embd > 0, got {n_layer} and {n_embd}")
    rng = np.random.default_rng(seed)
    c = n_embd
    layers = []
    for _ in range(n_layer):
        layers.append(
            {
                "ln.weight": np.ones(c),
                "ln.bias": np.zeros(c),
                "c_fc.weight": rng.normal(0.0, gain / math.sqrt(c), (4 * c, c)),
                "c_fc.bias": np.zeros(4 * c),
                "c_proj.weight": rng.normal(0.0, gain / math.sqrt(4 * c), (c, 4 * c)),
                "c_proj.bias": np.zeros(c),
            }
        )
    return layers, {"weight": np.ones(c), "bias": np.zeros(c)}


# --- the pieces: each forward returns (output, what its backward needs) ------------------------


def _ln_forward(x, weight, bias):
    var = x.var(axis=-1, keepdims=True)
    x_hat = layer_norm(x, eps=EPS)
    return layer_norm(x, weight, bias, eps=EPS), (x_hat, 1.0 / np.sqrt(var + EPS), weight)


def _ln_backward(dy, cache):
    """LayerNorm's backward: with x̂ = (x - μ)/σ, y = x̂·w + b and g = dy·w,
    dx = (g - mean(g) - x̂·mean(g·x̂)) / σ  (means over the C features of each position)."""
    x_hat, inv_std, weight = cache
    g = dy * weight
    dx = inv_std * (
        g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True)
    )
    return dx, {"weight": (dy * x_hat).sum(axis=0), "bias": dy.sum(axis=0)}


def _mlp_forward(x, p, kind):
    h = linear(x, p["c_fc.weight"], p["c_fc.bias"])  # (T, 4C)
    a = gelu(h, kind)
    return linear(a, p["c_proj.weight"], p["c_proj.bias"]), (x, h, a)


def _mlp_backward(dy, p, cache, kind):
    x, h, a = cache
    da = dy @ p["c_proj.weight"]  # (T, 4C)
    dh = da * gelu_grad(h, kind)
    grads = {
        "c_fc.weight": dh.T @ x,
        "c_fc.bias": dh.sum(axis=0),
        "c_proj.weight": dy.T @ a,
        "c_proj.bias": dy.sum(axis=0),
    }
    return dh @ p["c_fc.weight"], grads


# --- the stack ---------------------------------------------------------------------------------


def _check_arch(arch: str) -> None:
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, got {arch!r}")


def stack_forward(x, layers, final, arch: str, *, kind: str = "tanh"):
    """Run the stack on x (T, C). Returns (output (T, C), the stream x_0 … x_N, caches).

    The output is the last stream x_N, through the final LayerNorm for "pre-norm" (GPT-2's
    ln_f: a pre-norm stream is never normalised otherwise).
    """
    _check_arch(arch)
    x = np.asarray(x, dtype=np.float64)
    stream, caches = [x], []
    for p in layers:
        cache = {}
        inner = x
        if arch in ("layernorm", "pre-norm"):
            inner, cache["ln"] = _ln_forward(x, p["ln.weight"], p["ln.bias"])
        m, cache["mlp"] = _mlp_forward(inner, p, kind)
        if arch in ("plain", "layernorm"):
            x = m
        elif arch == "post-norm":
            x, cache["ln"] = _ln_forward(x + m, p["ln.weight"], p["ln.bias"])
        else:
            x = x + m
        stream.append(x)
        caches.append(cache)
    out = x
    if arch == "pre-norm":
        out, final_cache = _ln_forward(x, final["weight"], final["bias"])
        caches.append({"final": final_cache})
    return out, stream, caches


@dataclass(frozen=True)
class Gradients:
    """What the backward pass returns.

    stream: dL/dx_l for l = 0 … N (the gradient arriving at each point of the stream)
    layers: per layer, {parameter name: dL/dparameter} (the names of `random_stack`)
    final:  {"weight", "bias"} of the final LayerNorm ("pre-norm" only, else empty)
    """

    stream: list[np.ndarray]
    layers: list[dict[str, np.ndarray]]
    final: dict[str, np.ndarray]


def stack_backward(d_out, layers, caches, arch: str, *, kind: str = "tanh") -> Gradients:
    """Backpropagate dL/d(output) (T, C) through a stack run by `stack_forward`."""
    _check_arch(arch)
    dx = np.asarray(d_out, dtype=np.float64)
    final = {}
    if arch == "pre-norm":
        dx, final = _ln_backward(dx, caches[-1]["final"])
    stream, grads = [dx], []
    for p, cache in zip(reversed(layers), reversed(caches[: len(layers)])):
        g = {}
        if arch == "post-norm":  # x_out = ln(x + m): through the norm first
            dx, ln = _ln_backward(dx, cache["ln"])
            g |= {"ln.weight": ln["weight"], "ln.bias": ln["bias"]}
        d_inner, mlp_grads = _mlp_backward(dx, p, cache["mlp"], kind)
        g |= mlp_grads
        if arch in ("layernorm", "pre-norm"):
            d_inner, ln = _ln_backward(d_inner, cache["ln"])
            g |= {"ln.weight": ln["weight"], "ln.bias": ln["bias"]}
        # a residual adds the identity's gradient: dx passes straight through
        dx = d_inner if arch in ("plain", "layernorm") else dx + d_inner
        stream.append(dx)
        grads.append(g)
    return Gradients(stream[::-1], grads[::-1], final)


@dataclass(frozen=True)
class Profile:
    """Sizes through a stack, for one input and one loss L = Σ readout ⊙ output.

    activation_rms:   RMS of the stream x_0 … x_N (N + 1 numbers)
    stream_grad_norm: ‖dL/dx_l‖ for l = 0 … N
    weight_grad_norm: ‖dL/d(layer l's two weight matrices)‖ for l = 1 … N: how hard
                      training would push each layer
    similarity:       the mean cosine similarity of x_N's rows, two different positions:
                      near 1 when the stack has made every position's vector alike
    """

    activation_rms: np.ndarray
    stream_grad_norm: np.ndarray
    weight_grad_norm: np.ndarray
    similarity: float


def mean_cosine(x) -> float:
    """The mean cosine similarity between different rows of x (T, C), T >= 2.

    Example: mean_cosine(np.array([[1.0, 0.0], [0.0, 2.0]])) == 0.0
    """
    x = np.asarray(x, dtype=np.float64)
    unit = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-300)
    cos = unit @ unit.T
    return float(cos[~np.eye(len(x), dtype=bool)].mean())


def depth_profile(x, layers, final, arch: str, *, readout, kind: str = "tanh") -> Profile:
    """Forward, backward, and the sizes of `Profile`. readout: (T, C), the loss's dL/dout."""
    _, stream, caches = stack_forward(x, layers, final, arch, kind=kind)
    grads = stack_backward(readout, layers, caches, arch, kind=kind)

    def weight_norm(g):
        return math.sqrt(float((g["c_fc.weight"] ** 2).sum() + (g["c_proj.weight"] ** 2).sum()))

    return Profile(
        similarity=mean_cosine(stream[-1]),
        activation_rms=np.array([math.sqrt(float((s**2).mean())) for s in stream]),
        stream_grad_norm=np.array([float(np.linalg.norm(g)) for g in grads.stream]),
        weight_grad_norm=np.array([weight_norm(g) for g in grads.layers]),
    )
