"""CausalSelfAttention: one fused q/k/v product, its three blocks as views, old state dicts."""

from __future__ import annotations

import pytest
import torch

from core.model.attention import CausalSelfAttention, scaled_dot_product
from core.model.config import GPTConfig
from core.model.gpt import GPT

CONFIG = GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=4, n_embd=32)


def attention(seed: int = 0, **overrides) -> CausalSelfAttention:
    torch.manual_seed(seed)
    attn = CausalSelfAttention(CONFIG.replace(**overrides))
    if attn.c_attn.bias is not None:
        torch.nn.init.normal_(attn.c_attn.bias)  # nonzero, so a misplaced bias shows
    return attn.eval()


def test_w_q_w_k_w_v_are_views_of_c_attn_in_the_lessons_orientation():
    attn = attention()
    C = CONFIG.n_embd
    w = attn.c_attn.weight  # (3C, C): rows [q; k; v], nn.Linear's (out, in)
    for i, (W, w_rows, b) in enumerate(
        [
            (attn.W_Q, attn.q_weight, attn.q_bias),
            (attn.W_K, attn.k_weight, attn.k_bias),
            (attn.W_V, attn.v_weight, attn.v_bias),
        ]
    ):
        assert W.shape == w_rows.shape == (C, C) and b.shape == (C,)
        assert torch.equal(w_rows, w[i * C : (i + 1) * C]) and torch.equal(W, w_rows.T)
        assert W.untyped_storage().data_ptr() == w.untyped_storage().data_ptr()  # no copy
        assert b.untyped_storage().data_ptr() == attn.c_attn.bias.untyped_storage().data_ptr()
    # the lessons' X @ W_Q (+ bias) are the three thirds of c_attn's output
    x = torch.randn(2, 5, C)
    q, k, v = attn.c_attn(x).split(C, dim=-1)
    torch.testing.assert_close(x @ attn.W_Q + attn.q_bias, q)
    torch.testing.assert_close(x @ attn.W_K + attn.k_bias, k)
    torch.testing.assert_close(x @ attn.W_V + attn.v_bias, v)
    # a write into a view is a write into c_attn (under no_grad, as for any parameter)
    with torch.no_grad():
        attn.W_K.zero_()
    assert (w[C : 2 * C] == 0).all() and (w[:C] != 0).any()
    with pytest.raises(AttributeError):
        attn.W_Q = torch.zeros(C, C)  # read-only: no setter


def test_views_without_biases_and_their_gradients():
    attn = attention(bias=False)
    assert attn.q_bias is attn.k_bias is attn.v_bias is None
    attn(torch.randn(1, 4, CONFIG.n_embd))[0].sum().backward()
    grad = attn.c_attn.weight.grad
    assert grad is not None and grad.shape == (3 * CONFIG.n_embd, CONFIG.n_embd)


def test_forward_equals_separate_q_k_v_products_and_the_explicit_path():
    """The fused product is what three separate products with W_Q, W_K, W_V would give."""
    attn = attention(seed=1)
    B, T, C, H = 2, 7, CONFIG.n_embd, CONFIG.n_head
    x = torch.randn(B, T, C)

    def heads(t):
        return t.view(B, T, H, C // H).transpose(1, 2)

    q, k, v = (heads(x @ W + b) for W, b in ((attn.W_Q, attn.q_bias), (attn.W_K, attn.k_bias),
                                              (attn.W_V, attn.v_bias)))  # fmt: skip
    y, weights = scaled_dot_product(q, k, v)
    expected = attn.c_proj(y.transpose(1, 2).reshape(B, T, C))
    fast, none = attn(x)
    slow, got_weights = attn(x, attn_impl="explicit")
    assert none is None
    torch.testing.assert_close(fast, expected, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(slow, expected, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(got_weights, weights)


def _old_layout(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict as written before the fusion: attn.q_proj / k_proj / v_proj."""
    old = {}
    for key, tensor in state.items():
        if ".attn.c_attn." in key:
            for part, block in zip("qkv", tensor.chunk(3, dim=0), strict=True):
                old[key.replace("c_attn", f"{part}_proj")] = block.clone()
        else:
            old[key] = tensor
    return old


@pytest.mark.parametrize("bias", [True, False])
def test_a_state_dict_from_before_the_fusion_still_loads(bias):
    torch.manual_seed(0)
    saved = GPT(CONFIG.replace(bias=bias)).eval()
    old = _old_layout(saved.state_dict())
    assert "transformer.h.1.attn.v_proj.weight" in old and not any("c_attn" in k for k in old)
    torch.manual_seed(1)
    model = GPT(CONFIG.replace(bias=bias)).eval()
    model.load_state_dict(old)  # strict: nothing missing, nothing unexpected
    assert old.keys() == _old_layout(saved.state_dict()).keys()  # the caller's dict is untouched
    for (name, a), b in zip(saved.state_dict().items(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    idx = torch.randint(0, 50, (2, 9))
    assert torch.equal(model(idx)[0], saved(idx)[0])


def test_a_state_dict_with_only_part_of_the_old_keys_is_refused():
    torch.manual_seed(0)
    model = GPT(CONFIG)
    old = _old_layout(model.state_dict())
    del old["transformer.h.0.attn.k_proj.weight"]
    with pytest.raises(RuntimeError, match=r"Missing key.*h\.0\.attn\.c_attn\.weight") as err:
        model.load_state_dict(old)
    assert "h.0.attn.q_proj.weight" in str(err.value)  # reported as unexpected
