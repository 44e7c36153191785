"""core.inference.split_linear: the one-row split product must equal F.linear, be the path
actually taken once a model opts in, and leave the model's plain layers alone otherwise."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from core.inference.split_linear import (
    SPLIT_MIN_WEIGHTS,
    Linear,
    linear,
    use_plain_linear,
    use_split_linear,
)
from core.model.config import GPTConfig
from core.model.gpt import GPT


@pytest.fixture
def threads():
    """Set torch's thread count for one test and put it back afterwards."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.fixture
def batched_calls(monkeypatch):
    """Count the batched products `linear` makes (the split path) while still computing them."""
    calls = []
    for name in ("bmm", "baddbmm"):
        real = getattr(torch, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(torch, name, spy)
    return calls


@pytest.mark.parametrize("n_threads", [2, 3, 4])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(1, 1, 600), (1, 600), (600,)])
def test_one_row_split_equals_f_linear(threads, batched_calls, n_threads, bias, shape):
    threads(n_threads)
    g = torch.Generator().manual_seed(n_threads)
    c_out = 1001  # not a multiple of 2, 3 or 4: the leftover rows take the separate path
    w = torch.randn(c_out, 600, generator=g)
    b = torch.randn(c_out, generator=g) if bias else None
    x = torch.randn(shape, generator=g)
    assert w.numel() >= SPLIT_MIN_WEIGHTS
    y = linear(x, w, b)
    assert y.shape == (*shape[:-1], c_out)
    torch.testing.assert_close(y, F.linear(x, w, b), rtol=1e-5, atol=1e-5)
    assert batched_calls == ["baddbmm" if bias else "bmm"]


def test_split_gradients_equal_f_linear(threads, batched_calls):
    threads(2)
    g = torch.Generator().manual_seed(0)
    w = torch.randn(768, 768, generator=g, requires_grad=True)
    b = torch.randn(768, generator=g, requires_grad=True)
    x = torch.randn(1, 768, generator=g, requires_grad=True)
    upstream = torch.randn(1, 768, generator=g)
    grads = []
    for fn in (linear, F.linear):
        (fn(x, w, b) * upstream).sum().backward()
        grads.append([t.grad.clone() for t in (x, w, b)])
        for t in (x, w, b):
            t.grad = None
    assert batched_calls == ["baddbmm"]
    for split_grad, plain_grad in zip(*grads):
        torch.testing.assert_close(split_grad, plain_grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "case",
    ["several rows", "one thread", "small matrix", "fewer outputs than threads", "strided weight"],
)
def test_everything_else_is_plain_f_linear(threads, batched_calls, case):
    threads(1 if case == "one thread" else 2)
    c_out, c_in = {"small matrix": (64, 64), "fewer outputs than threads": (1, 1 << 19)}.get(
        case, (768, 768)
    )
    rows = 4 if case == "several rows" else 1
    w, x = torch.randn(c_out, c_in), torch.randn(rows, c_in)
    if case == "strided weight":
        w = torch.randn(c_in, c_out).t()  # (c_out, c_in) seen through a transpose
    assert torch.equal(linear(x, w), F.linear(x, w))
    assert batched_calls == []


def test_linear_module_is_an_nn_linear():
    lin, ref = Linear(8, 4), nn.Linear(8, 4)
    assert isinstance(lin, nn.Linear)
    assert lin.state_dict().keys() == ref.state_dict().keys()
    ref.load_state_dict(lin.state_dict())
    x = torch.randn(3, 8)
    assert torch.equal(lin(x), ref(x))


def small_gpt() -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=1024, block_size=32, n_layer=2, n_head=4, n_embd=512)).eval()


def test_opt_in_swaps_every_projection_and_back():
    model = small_gpt()
    keys, state = model.state_dict().keys(), {k: v.clone() for k, v in model.state_dict().items()}
    assert not any(isinstance(m, Linear) for m in model.modules())  # plain by default
    assert use_split_linear(model) is model
    split = [name for name, m in model.named_modules() if type(m) is Linear]
    assert len(split) == 2 * 4 + 1  # c_attn, c_proj, c_fc, mlp.c_proj per layer, and the head
    assert model.lm_head.weight is model.transformer.wte.weight  # still tied
    assert model.state_dict().keys() == keys
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert use_plain_linear(model) is model
    assert all(type(m) is not Linear for m in model.modules())
    assert sum(type(m) is nn.Linear for m in model.modules()) == len(split)


def test_one_token_forward_matches_single_threaded_model(threads, batched_calls):
    """A real one-token step through the GPT: split (2 threads) vs F.linear (1 thread)."""
    model = use_split_linear(small_gpt())
    assert model.lm_head.weight.numel() >= SPLIT_MIN_WEIGHTS  # the head takes the split path
    idx = torch.randint(0, 1024, (1, 1))
    logits, split_products = {}, {}
    for n in (2, 1):
        threads(n)
        before = len(batched_calls)
        with torch.no_grad():
            logits[n], _ = model(idx)
        split_products[n] = len(batched_calls) - before
    # 2 threads: c_attn (q, k, v: 1536x512), c_fc and mlp.c_proj of both blocks, and the head
    # (attn.c_proj, 512x512, is too small)
    assert split_products == {2: 7, 1: 0}
    torch.testing.assert_close(logits[2], logits[1], rtol=1e-5, atol=1e-5)


def test_plain_model_takes_no_split_path(threads, batched_calls):
    threads(2)
    with torch.no_grad():
        small_gpt()(torch.zeros(1, 1, dtype=torch.long))
    assert batched_calls == []


# torch.ao.quantization is deprecated in favour of torchao, but it is what the issue names and
# what ships with torch; the point here is only which layers an exact-type match finds.
@pytest.mark.filterwarnings("ignore:torch.ao.quantization is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor:UserWarning")
def test_quantize_dynamic_skips_split_layers_until_they_are_plain_again():
    """Why the trick is opt-in: libraries that match exact types do not see a subclass."""
    dynamic = torch.ao.nn.quantized.dynamic.Linear

    def quantized_layers(model):
        q = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
        return sum(type(m) is dynamic for m in q.modules())

    model = use_split_linear(small_gpt())
    assert quantized_layers(model) == 0
    assert quantized_layers(use_plain_linear(model)) == 9
