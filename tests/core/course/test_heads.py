"""core.course.heads: lesson 7's C = 4 toy, its exercise checks, the cost count, head scores."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.course.attention_lessons import TOY_EMBEDDINGS as TOY_3
from core.course.heads import (
    FEATURES,
    GOAL,
    GPT2_SMALL,
    LABEL_THRESHOLD,
    SENTENCES,
    TOY_EMBEDDINGS,
    attention_cost,
    check_concat_row,
    check_two_heads,
    head_label,
    ideal_heads,
    induction_score,
    induction_targets,
    parse_row,
    previous_token_score,
    relation_shares,
    repeated_random_text,
    toy_sentence,
    uniform_causal,
)
from core.mirrors.attention import attention_stages
from core.mirrors.gpt import multi_head_attention
from core.model.attention import CausalSelfAttention
from core.model.config import GPTConfig


def test_the_toy_widens_lesson_6s_table_by_one_feature():
    assert FEATURES == ("animal", "plant", "owned", "describes")
    for word, x in TOY_3.items():
        assert TOY_EMBEDDINGS[word] == (*x, 0.0)
    assert list(TOY_EMBEDDINGS) == ["the", "dog", "tree", "'s", "loud", "rough", "bark"]
    tokens, X = toy_sentence(SENTENCES[1])
    assert tokens == ["the", "tree", "'s", "rough", "bark"] and X.shape == (5, 4)
    with pytest.raises(ValueError, match="'cat' not in the toy vocabulary"):
        toy_sentence("the cat 's bark")
    with pytest.raises(ValueError, match="empty"):
        toy_sentence(" ")


def heads(W_Q, W_K, text):
    tokens, X = toy_sentence(text)
    return tokens, [attention_stages(X, q, k)["weights"] for q, k in zip(W_Q, W_K)]


def solved():
    """Head 0 finds the owner, head 1 the describing word (D = 2)."""
    W_Q, W_K = np.zeros((2, 4, 2)), np.zeros((2, 4, 2))
    W_Q[:, 2, 0] = 3.0  # bark asks (its *owned* feature), in both heads
    W_K[0, 0, 0] = W_K[0, 1, 0] = 3.0  # owners answer in head 0
    W_K[1, 3, 0] = 3.0  # describing words answer in head 1
    return W_Q, W_K


def shares_of(W_Q, W_K):
    out = []
    for text in SENTENCES:
        tokens, weights = heads(W_Q, W_K, text)
        out.append([relation_shares(tokens, w) for w in weights])
    return out


def test_two_heads_solve_what_one_cannot():
    W_Q, W_K = solved()
    shares = shares_of(W_Q, W_K)
    assert shares[0][0]["owner"] > 0.9 and shares[0][1]["describer"] > 0.9
    assert check_two_heads(shares).passed
    swapped = shares_of(W_Q[::-1], W_K[::-1])
    assert check_two_heads(swapped).passed  # either head may take either relation
    # one head with both keys in the same slot: the row sums to 1, both shares fall short
    W_one = W_K[0] + W_K[1]
    tokens, (w,) = heads(W_Q[:1], W_one[None], SENTENCES[0])
    s = relation_shares(tokens, w)
    assert s["owner"] + s["describer"] <= 1 and min(s.values()) < 0.8


def test_two_heads_hints():
    W_Q, W_K = solved()
    same = shares_of(W_Q, np.array([W_K[0], W_K[0]]))
    assert "the describer is not found yet" in check_two_heads(same).message
    none = shares_of(np.zeros((2, 4, 2)), np.zeros((2, 4, 2)))
    assert "no head gives bark" in check_two_heads(none).message
    # an impossible "both": a share table where one head claims both relations
    fake = [[{"owner": 0.9, "describer": 0.9}, {"owner": 0.0, "describer": 0.0}]] * 2
    assert "one head cannot do both" in check_two_heads(fake).message


def test_concat_row_check():
    rows = [np.array([0.42, 0.07]), np.array([0.2, 0.04])]
    projected = np.array([0.6, 0.1, 0.0, 0.2])
    assert check_concat_row("0.42, 0.07, 0.2, 0.04", rows, projected).passed
    assert check_concat_row("0.42 0.07 0.20 0.04", rows, projected).passed
    assert "wrong order" in check_concat_row("0.2, 0.04, 0.42, 0.07", rows, projected).message
    assert "after W_O" in check_concat_row("0.6, 0.1, 0, 0.2", rows, projected).message
    assert "as wide as all heads" in check_concat_row("0.62, 0.11", rows, projected).message
    assert "'x' is not a number" in check_concat_row("0.1, x, 3, 4", rows, projected).message
    assert not check_concat_row("1, 2, 3, 4", rows, projected).passed
    assert parse_row("−0.5, 1", 2).tolist() == [-0.5, 1.0]
    with pytest.raises(ValueError, match="type 3 numbers"):
        parse_row(" ", 3)


@pytest.mark.parametrize("H", [1, 2, 4, 8])
def test_cost_does_not_depend_on_the_number_of_heads(H):
    one, many = attention_cost(64, 128, 1), attention_cost(64, 128, H)
    for key in one:
        if key != "softmax exponentials":
            assert many[key] == one[key], key
    assert many["softmax exponentials"] == H * 64 * 64
    assert many["parameters"] == 4 * 128**2
    # core's torch layer holds the same count, whatever n_head (biases aside)
    config = GPTConfig(vocab_size=65, block_size=64, n_layer=1, n_head=H, n_embd=128, bias=False)
    layer = CausalSelfAttention(config)
    assert sum(p.numel() for p in layer.parameters()) == many["parameters"]
    with pytest.raises(ValueError, match="not divisible"):
        attention_cost(8, 6, 4)


def test_fused_projection_is_the_per_head_loop():
    """The lesson's claim, on random matrices: concatenated per-head matrices, split, equal
    the heads one at a time (core.mirrors.gpt.multi_head_attention against a loop)."""
    rng = np.random.default_rng(0)
    T, C, H = 6, 8, 4
    D = C // H
    X = rng.normal(size=(T, C))
    Wq, Wk, Wv = (rng.normal(size=(H, C, D)) for _ in range(3))
    W_O = rng.normal(size=(C, C))
    loop = np.concatenate(
        [attention_stages(X, Wq[h], Wk[h], Wv[h])["output"] for h in range(H)], axis=1
    )
    fused = np.concatenate([np.concatenate(list(W), axis=1) for W in (Wq, Wk, Wv)], axis=1)
    out, weights = multi_head_attention(X, fused.T, np.zeros(3 * C), W_O.T, np.zeros(C), H)
    np.testing.assert_allclose(out, loop @ W_O, atol=1e-12)
    assert weights.shape == (H, T, T)


def test_previous_token_and_induction_scores():
    shift = np.eye(5, k=-1)
    shift[0, 0] = 1.0  # a perfect previous-token head
    assert previous_token_score(shift) == 1.0
    assert previous_token_score(np.stack([shift, np.eye(5)])).tolist() == [1.0, 0.0]
    assert math.isnan(previous_token_score(np.ones((1, 1))))
    ids = [5, 6, 7, 5, 6, 7]
    assert induction_targets(ids) == [(3, 1), (4, 2), (5, 3)]
    assert induction_targets([1, 1, 1]) == []  # the next token is the token itself
    perfect = np.zeros((6, 6))
    perfect[np.arange(6), [0, 0, 0, 1, 2, 3]] = 1.0
    assert induction_score(perfect, ids) == 1.0
    assert math.isnan(induction_score(perfect, [1, 2, 3, 4, 5, 6]))
    # uniform attention: the baseline the lesson quotes
    assert previous_token_score(uniform_causal(4)) == pytest.approx((1 / 2 + 1 / 3 + 1 / 4) / 3)
    assert induction_score(uniform_causal(6), ids) == pytest.approx((1 / 4 + 1 / 5 + 1 / 6) / 3)
    assert uniform_causal(3).sum(axis=1).tolist() == [1.0, 1.0, 1.0]


def test_head_labels_and_repeated_text():
    assert head_label(0.7, 0.1) == "previous-token"
    assert head_label(0.1, 0.5) == "induction"
    assert head_label(0.2, float("nan")) == ""
    text = repeated_random_text("ab c\n!", 3, seed=1)
    assert len(text) == 6 and text[:3] == text[3:] and set(text) <= set("ab c")
    assert len(set(text[:3])) == 3  # no character twice within a copy
    assert text == repeated_random_text("ab c\n!", 3, seed=1)
    assert len(repeated_random_text("ab c\n!", 10, seed=1)) == 8  # only 4 characters to use


def test_a_perfect_induction_head_on_repeated_text_is_one_stripe():
    """On the repeated string, every character of the second copy (position L + k) points at
    the character after its first occurrence (k + 1): one diagonal, as the lesson describes."""
    text = repeated_random_text("abcdefghijklmnopqrstuvwxyz ", 32, seed=0)
    L = len(text) // 2
    ids = [ord(c) for c in text]
    assert L == 27 and induction_targets(ids) == [(L + k, k + 1) for k in range(L)]
    ideal = ideal_heads(ids)
    assert induction_score(ideal[1], ids) == 1.0


def test_the_scores_read_a_torch_model_like_the_mirror(tmp_path):
    """Head scores on core's GPT weights (via the mirror) are finite and in [0, 1]."""
    from core.mirrors.gpt import NumpyGPT
    from core.model.export import save_npz
    from core.model.gpt import GPT

    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("tiny"))
    mirror, _ = NumpyGPT.load(save_npz(model, tmp_path / "m.npz"))
    ids = [1, 2, 3, 1, 2, 3, 4]
    _, weights = mirror.forward(ids)
    prev, ind = previous_token_score(weights), induction_score(weights, ids)
    assert prev.shape == ind.shape == (2, 2)
    assert ((0 <= prev) & (prev <= 1)).all() and ((0 <= ind) & (ind <= 1)).all()


def test_gpt2_small_shape_matches_core():
    config = GPTConfig.from_preset("gpt2")
    assert GPT2_SMALL == {"T": config.block_size, "C": config.n_embd, "H": config.n_head}
    assert GOAL == 0.8 and 0 < LABEL_THRESHOLD < 1


def test_ideal_heads_score_one():
    ids = [3, 4, 5, 3, 4, 5, 9]
    ideal = ideal_heads(ids)
    assert ideal.shape == (2, 7, 7)
    np.testing.assert_array_equal(ideal.sum(axis=-1), 1.0)
    assert previous_token_score(ideal[0]) == 1.0 and induction_score(ideal[1], ids) == 1.0
    assert (np.triu(ideal, k=1) == 0).all()  # causal: nothing looks ahead
