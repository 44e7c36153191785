import importlib
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.mirrors import sampling
from core.model.config import GPTConfig
from core.model.generate import (
    apply_temperature,
    check_prompt,
    filter_logits,
    generate,
    sample_next,
    top_k_filter,
    top_p_filter,
)
from core.model.gpt import GPT


def model_for(block_size=16, seed=0):
    torch.manual_seed(seed)
    cfg = GPTConfig(vocab_size=40, block_size=block_size, n_layer=2, n_head=2, n_embd=16)
    return GPT(cfg)


def test_top_k_leaves_exactly_k():
    logits = torch.tensor([[1.0, 5.0, 3.0, 3.0, 2.0, 0.0]])
    for k in range(1, 7):
        probs = torch.softmax(top_k_filter(logits, k), dim=-1)
        assert (probs > 0).sum().item() == k
    kept = torch.softmax(top_k_filter(logits, 2), dim=-1)[0]
    assert kept[1] > 0 and kept[2] > 0 and kept[3] == 0  # tie broken by position


def test_top_p_keeps_smallest_set_reaching_p():
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    logits = probs.log()

    def kept(p):
        return (torch.softmax(top_p_filter(logits, p), -1) > 0).tolist()

    assert kept(0.5) == [True, False, False, False]
    assert kept(0.51) == [True, True, False, False]
    assert kept(0.8) == [True, True, False, False]
    assert kept(0.81) == [True, True, True, False]
    assert kept(0.01) == [True, False, False, False]


def test_neutral_settings_leave_distribution_unchanged():
    logits = torch.randn(3, 40, generator=torch.Generator().manual_seed(1))
    assert torch.equal(top_k_filter(logits, 100), logits)
    assert torch.equal(top_p_filter(logits, 1.0), logits)
    # temperature 1 only shifts each row so that its largest logit is 0: the same distribution
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    assert torch.equal(filter_logits(logits, 1.0, None, None), shifted)
    torch.testing.assert_close(torch.softmax(shifted, -1), torch.softmax(logits, -1))


@pytest.mark.parametrize("temperature", [0.01, 0.1, 1.0, 10.0, 100.0])
def test_extreme_temperatures_are_finite(temperature):
    logits = torch.randn(4, 40, generator=torch.Generator().manual_seed(2)) * 20
    probs = torch.softmax(filter_logits(logits, temperature, top_k=10, top_p=0.9), dim=-1)
    assert torch.isfinite(probs).all()
    assert torch.allclose(probs.sum(-1), torch.ones(4, dtype=probs.dtype))
    ids = sample_next(logits, temperature=temperature, generator=torch.Generator().manual_seed(0))
    assert ids.shape == (4, 1)


def test_entropy_grows_with_temperature():
    logits = np.random.default_rng(0).normal(size=50) * 3
    entropies = [sampling.entropy(sampling.softmax(logits, t)) for t in (0.25, 0.5, 1, 2, 4)]
    assert all(a < b for a, b in itertools.pairwise(entropies))
    assert entropies[-1] < np.log(50)


def test_temperature_zero_is_greedy():
    logits = torch.tensor([[0.1, 2.0, -1.0]])
    assert torch.softmax(apply_temperature(logits, 0), -1).tolist() == [[0.0, 1.0, 0.0]]
    assert sample_next(logits, temperature=0).item() == 1


@pytest.mark.parametrize("bad", [{"temperature": -1}, {"top_k": 0}, {"top_p": 0.0}, {"top_p": 1.5}])
def test_invalid_sampling_arguments(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        filter_logits(torch.zeros(1, 5), **{"temperature": 1.0, **bad})


@settings(max_examples=200, deadline=None)
@given(
    logits=st.lists(st.floats(-30, 30), min_size=1, max_size=30),
    temperature=st.sampled_from([0, 0.01, 0.5, 1.0, 3.0, 100.0]),
    top_k=st.one_of(st.none(), st.integers(1, 40)),
    top_p=st.one_of(st.none(), st.floats(0.01, 1.0)),
)
def test_numpy_filters_equal_torch_filters(logits, temperature, top_k, top_p):
    """core.mirrors.sampling (NumPy, for the browser) and core.model.generate (torch) agree."""
    x = np.array(logits)
    ours = sampling.softmax(sampling.filter_logits(x, temperature, top_k, top_p))
    theirs = torch.softmax(filter_logits(torch.tensor(x), temperature, top_k, top_p), -1)
    np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-9)


F32_MAX = float(np.finfo(np.float32).max)
EXTREMES = [
    ([1e30, -1e30, 0.0], 1e-8),
    ([1e30, -1e30, 0.0], 0.5),
    ([1e30, 1e30 * (1 - 1e-12), -1e30], 1e-8),
    ([0.999 * F32_MAX, -0.999 * F32_MAX, 0.0, 0.5 * F32_MAX], 1e-8),
    ([0.999 * F32_MAX, -0.999 * F32_MAX, 0.0, 0.5 * F32_MAX], 0.7),
    ([2.0, 1.0, 0.0, -np.inf], 1e-8),
    ([1e300, -1e300, 3.0], 0.25),
]


@pytest.mark.parametrize(("logits", "temperature"), EXTREMES)
@pytest.mark.parametrize(("top_k", "top_p"), [(None, None), (2, None), (None, 0.9), (3, 0.5)])
def test_numpy_filters_equal_torch_filters_at_the_extremes(logits, temperature, top_k, top_p):
    """Huge logits and a tiny temperature: the max is subtracted before dividing, so no NaN."""
    x = np.array(logits)
    ours = sampling.softmax(sampling.filter_logits(x, temperature, top_k, top_p))
    theirs = torch.softmax(filter_logits(torch.tensor(x), temperature, top_k, top_p), -1)
    assert np.isfinite(ours).all() and np.isclose(ours.sum(), 1.0)
    np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-9)
    for dtype in (np.float64, np.float32):
        with np.errstate(over="ignore"):
            xd = x.astype(dtype)
        if np.isposinf(xd).any():
            continue  # 1e300 is beyond float32
        mass = sampling.softmax(
            sampling.filter_logits(xd.astype(np.float64), temperature, top_k, top_p)
        )
        gen = torch.Generator().manual_seed(0)
        ids = sample_next(
            torch.from_numpy(xd)[None],
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            generator=gen,
        )
        assert mass[ids.item()] > 0  # a token the NumPy twin gives mass to
    if temperature == 1e-8 and x.size > 2:  # as good as greedy
        assert ours.argmax() == x.argmax() and ours.max() > 0.999


@pytest.mark.parametrize(
    ("logits", "message"),
    [
        ([1.0, float("nan"), 0.0], "logits contain NaN"),
        ([float("nan")] * 3, "logits contain NaN"),
        ([1.0, float("inf"), 0.0], r"logits contain \+inf"),
        ([-float("inf")] * 3, "every logit of a row is -inf"),
    ],
)
@pytest.mark.parametrize("temperature", [0, 1.0])
def test_unusable_logits_are_refused_not_sampled(logits, message, temperature):
    """NaN logits at temperature 0 used to return id 0 (argmax) without a word."""
    with pytest.raises(ValueError, match=message):
        sample_next(torch.tensor([logits]), temperature=temperature)
    with pytest.raises(ValueError, match=message):
        filter_logits(torch.tensor([logits]), temperature)
    with pytest.raises(ValueError, match=message):
        sampling.filter_logits(np.array(logits), temperature)


@pytest.mark.parametrize("temperature", [0, 1.0])
@pytest.mark.parametrize("use_cache", [True, False])
def test_a_model_with_nan_weights_cannot_generate(temperature, use_cache):
    model = model_for()
    with torch.no_grad():
        model.lm_head.weight[3, 0] = float("nan")
    with pytest.raises(ValueError, match=r"logits contain NaN or inf .*weights hold NaN"):
        generate(model, torch.tensor([[1, 2]]), 4, temperature=temperature, use_cache=use_cache)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"temperature": "3"}, "temperature must be a number >= 0"),
        ({"temperature": True}, "temperature must be a number"),
        ({"top_k": "3"}, "top_k must be a positive integer"),
        ({"top_k": 2.5}, "top_k must be a positive integer"),
        ({"top_p": "0.5"}, r"top_p must be a number in \(0, 1\]"),
    ],
)
def test_sampling_arguments_must_be_numbers_not_strings(bad, message):
    with pytest.raises(ValueError, match=message):
        sampling.check_sampling_args(**bad)
    with pytest.raises(ValueError, match=message):
        sample_next(torch.zeros(1, 5), **bad)


def test_generate_returns_prompt_then_new_tokens():
    model = model_for()
    prompt = torch.tensor([[3, 1, 4]])
    out = generate(model, prompt, 10, generator=torch.Generator().manual_seed(0))
    assert out.shape == (1, 13) and torch.equal(out[:, :3], prompt)
    out1d = generate(model, torch.tensor([3, 1, 4]), 5, temperature=0)
    assert out1d.shape == (8,)


def test_generate_is_reproducible_with_a_generator_and_ignores_global_rng():
    model = model_for()
    prompt = torch.tensor([[1, 2]])
    torch.manual_seed(123)
    a = generate(model, prompt, 30, generator=torch.Generator().manual_seed(7))
    torch.manual_seed(999)
    b = generate(model, prompt, 30, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    state = torch.get_rng_state()
    generate(model, prompt, 10, top_k=5)
    assert torch.equal(state, torch.get_rng_state())  # global RNG untouched


@pytest.mark.parametrize("block_size", [8, 16])
def test_cached_greedy_equals_uncached_across_the_block_boundary(block_size):
    model = model_for(block_size=block_size, seed=4)
    prompt = torch.tensor([[5, 9, 2], [7, 7, 1]])
    cached = generate(model, prompt, 200, temperature=0, use_cache=True)
    uncached = generate(model, prompt, 200, temperature=0, use_cache=False)
    assert cached.shape == (2, 203)
    assert torch.equal(cached, uncached)


def test_cached_sampling_equals_uncached_sampling():
    model = model_for(seed=5)
    prompt = torch.tensor([[1, 2, 3]])
    a = generate(model, prompt, 50, top_k=10, top_p=0.9, generator=torch.Generator().manual_seed(3))
    b = generate(
        model,
        prompt,
        50,
        top_k=10,
        top_p=0.9,
        use_cache=False,
        generator=torch.Generator().manual_seed(3),
    )
    assert torch.equal(a, b)


def test_long_prompt_is_cropped_and_kept():
    model = model_for(block_size=8)
    prompt = torch.randint(0, 40, (1, 20))
    out = generate(model, prompt, 3, temperature=0)
    assert torch.equal(out[:, :20], prompt)
    ref = generate(model, prompt[:, -8:], 1, temperature=0)
    assert out[0, 20] == ref[0, -1]


def test_empty_prompt_and_training_mode_restored():
    model = model_for()
    with pytest.raises(ValueError, match="prompt is empty"):
        generate(model, torch.zeros(1, 0, dtype=torch.long), 5)
    with pytest.raises(ValueError, match="prompt is empty"):
        generate(model, torch.zeros(0, dtype=torch.long), 5)
    for shape in [(1, 2, 3), ()]:  # wrong dimensions are not "empty"
        with pytest.raises(ValueError, match=rf"shape \(B, T\) or \(T,\), got {len(shape)} dim"):
            generate(model, torch.ones(shape, dtype=torch.long), 5)
    model.train()
    generate(model, torch.tensor([[1]]), 2)
    assert model.training


def test_prompt_ids_are_checked_once_where_they_enter():
    model = model_for()  # vocab_size 40
    with pytest.raises(ValueError, match=r"token ids must be in \[0, 40\)"):
        generate(model, torch.tensor([[1, 40]]), 3)
    with pytest.raises(ValueError, match=r"from -1 to 2"):
        generate(model, torch.tensor([-1, 2]), 3)
    with pytest.raises(ValueError, match="integer token ids"):
        generate(model, torch.tensor([[1.0, 2.0]]), 3)
    assert check_prompt(torch.tensor([3, 1]), 40).tolist() == [[3, 1]]


def test_prompt_of_a_narrow_dtype_gets_full_range_ids():
    """The result holds int64 ids whatever the prompt's dtype (a uint8 prompt must not wrap)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=600, block_size=16, n_layer=1, n_head=2, n_embd=16))
    out = generate(model, torch.tensor([[1, 2]], dtype=torch.uint8), 20, temperature=0)
    assert out.dtype == torch.long
    assert torch.equal(out, generate(model, torch.tensor([[1, 2]]), 20, temperature=0))


def test_sampling_arguments_checked_once_per_call_not_per_token(monkeypatch):
    # the module, not the function that core.model re-exports under the same name
    gen = importlib.import_module("core.model.generate")
    calls = []
    real = gen.check_sampling_args
    monkeypatch.setattr(
        gen, "check_sampling_args", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    generate(model_for(), torch.tensor([[1]]), 10, top_k=5, top_p=0.9)
    assert len(calls) == 1
    with pytest.raises(ValueError, match="top_k"):
        generate(model_for(), torch.tensor([[1]]), 10, top_k=0)


def test_generated_ids_can_feed_a_training_step():
    """generate runs under inference_mode, but the ids it returns are ordinary tensors."""
    model = model_for()
    out = generate(model, torch.tensor([[1, 2]]), 6, temperature=0)
    assert not out.is_inference()
    model.train()
    _, loss = model(out[:, :-1], out[:, 1:])
    loss.backward()
    assert model.transformer.wte.weight.grad is not None
