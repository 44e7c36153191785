import math

import pytest
import torch
import torch.nn.functional as F

from core.model.attention import causal_mask, scaled_dot_product
from core.model.config import GPTConfig, count_parameters
from core.model.gpt import GPT


def tiny_model(seed=0, **overrides):
    torch.manual_seed(seed)
    cfg = GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=4, n_embd=32, **overrides)
    return GPT(cfg).eval()


def test_forward_shapes_and_loss():
    model = tiny_model()
    idx = torch.randint(0, 50, (3, 10))
    logits, loss = model(idx)
    assert logits.shape == (3, 10, 50) and loss is None
    targets = torch.randint(0, 50, (3, 10))
    logits, loss = model(idx, targets=targets)
    expected = F.cross_entropy(logits.reshape(-1, 50), targets.reshape(-1))
    assert torch.allclose(loss, expected)
    # an untrained model guesses close to uniformly: loss near ln(V) for unrelated targets
    assert abs(loss.item() - math.log(50)) < 0.2


def test_causal_invariance():
    """Changing token t+1 leaves every output at positions <= t exactly unchanged."""
    model = tiny_model()
    idx = torch.randint(0, 50, (1, 12))
    base, _ = model(idx)
    for t in range(11):
        changed = idx.clone()
        changed[0, t + 1] = (changed[0, t + 1] + 7) % 50
        out, _ = model(changed)
        assert torch.equal(out[0, : t + 1], base[0, : t + 1])
        assert not torch.allclose(out[0, t + 1], base[0, t + 1])


def test_attention_weights_causal_and_normalised():
    model = tiny_model()
    idx = torch.randint(0, 50, (2, 9))
    logits, _, att = model(idx, return_attention=True)
    assert att.shape == (2, 2, 4, 9, 9)  # (L, B, H, T, T)
    assert torch.allclose(att.sum(-1), torch.ones(2, 2, 4, 9), atol=1e-6)
    upper = torch.triu(torch.ones(9, 9, dtype=torch.bool), diagonal=1)
    assert (att[..., upper] == 0).all()
    assert (att[..., 0, 0] == 1).all()  # the first token can only look at itself
    assert torch.allclose(logits, model(idx)[0], atol=1e-5)


def test_explicit_path_equals_sdpa_path():
    model = tiny_model(seed=3)
    idx = torch.randint(0, 50, (2, 16))
    fast, _ = model(idx, attn_impl="sdpa")
    slow, _ = model(idx, attn_impl="explicit")
    assert torch.allclose(fast, slow, atol=1e-5)


def test_scaled_dot_product_matches_torch():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 7, 8, generator=g) for _ in range(3))
    out, weights = scaled_dot_product(q, k, v, causal=True)
    assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-6)
    assert torch.allclose(weights[..., 0, :], torch.tensor([1.0] + [0.0] * 6))
    # queries after a cache: the mask is offset to the bottom right
    out2, _ = scaled_dot_product(q[..., -2:, :], k, v, causal=True)
    assert torch.allclose(out2, out[..., -2:, :], atol=1e-6)
    assert torch.equal(causal_mask(2, 3), torch.tensor([[True, True, False], [True, True, True]]))


def test_parameter_counts_match_formula():
    for cfg in (GPTConfig.from_preset("tiny"), GPTConfig.from_preset("tiny", bias=False)):
        model = GPT(cfg)
        assert model.num_parameters() == count_parameters(cfg)
        assert model.num_parameters(include_position_embeddings=False) == count_parameters(
            cfg, include_position_embeddings=False
        )


def test_gpt2_124m_has_published_parameter_count():
    model = GPT(GPTConfig.from_preset("gpt2"))
    assert model.num_parameters() == 124_439_808
    assert model.lm_head.weight is model.transformer.wte.weight


def test_gpt2_initialisation():
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=1000, block_size=64, n_layer=8, n_head=4, n_embd=256)
    model = GPT(cfg)
    wte = model.transformer.wte.weight
    assert abs(wte.std().item() - 0.02) < 0.001
    c_proj = model.transformer.h[0].attn.c_proj.weight
    assert abs(c_proj.std().item() - 0.02 / math.sqrt(2 * 8)) < 0.0005
    attn = model.transformer.h[0].attn
    for w in (attn.q_weight, attn.k_weight, attn.v_weight):
        assert abs(w.std().item() - 0.02) < 0.001
    assert (attn.c_attn.bias == 0).all()


def test_too_long_empty_and_malformed_inputs():
    model = tiny_model()
    with pytest.raises(ValueError, match="longer than the model's context"):
        model(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(ValueError, match="empty"):
        model(torch.zeros(1, 0, dtype=torch.long))
    with pytest.raises(IndexError):  # ids are checked where they enter, not in forward
        model(torch.tensor([[1, 50]]))
    with pytest.raises(ValueError, match="batch, time"):
        model(torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="integer"):
        model(torch.zeros(1, 4))


@pytest.mark.parametrize("gelu, approximate", [("tanh", "tanh"), ("exact", "none")])
def test_the_mlp_uses_the_configured_gelu(gelu, approximate):
    model = tiny_model(gelu=gelu)
    mlp = model.transformer.h[0].mlp
    assert mlp.gelu.approximate == approximate  # print(model) shows it too
    x = torch.linspace(-3, 3, 7)
    if gelu == "exact":  # x·Φ(x), Φ the standard normal CDF
        expected = x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    else:  # GPT-2's approximation
        expected = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    torch.testing.assert_close(mlp.gelu(x), expected)


def test_dropout_only_in_training():
    model = tiny_model(dropout=0.5)
    idx = torch.randint(0, 50, (1, 8))
    assert torch.equal(model(idx)[0], model(idx)[0])  # eval: deterministic
    model.train()
    assert not torch.equal(model(idx)[0], model(idx)[0])


# torch.ao.quantization is deprecated in favour of torchao, but it is what the issue names and
# what ships with torch; the point here is only which layers an exact-type match finds.
@pytest.mark.filterwarnings("ignore:torch.ao.quantization is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor:UserWarning")
def test_quantize_dynamic_takes_every_projection():
    """Plain nn.Linear layers: a library that matches exact types finds all of them."""
    model = tiny_model()
    quantized = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    dynamic = torch.ao.nn.quantized.dynamic.Linear
    taken = [name for name, m in quantized.named_modules() if type(m) is dynamic]
    n_layer = model.config.n_layer
    assert len(taken) == n_layer * (2 + 2) + 1  # c_attn (q, k, v), c_proj; c_fc, c_proj; LM head
    assert not any(type(m) is torch.nn.Linear for m in quantized.modules())
    idx = torch.randint(0, 50, (2, 8))
    torch.testing.assert_close(quantized(idx)[0], model(idx)[0], atol=0.05, rtol=0)


@pytest.mark.parametrize("with_targets", [False, True])
def test_forward_compiles_without_graph_breaks(with_targets):
    """No host sync in forward (no int(tensor), no .item()): dynamo sees one whole graph."""
    model = tiny_model()
    idx = torch.randint(0, 50, (2, 8))
    args = (idx, torch.randint(0, 50, (2, 8))) if with_targets else (idx,)
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(*args)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1
