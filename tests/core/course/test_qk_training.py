"""core.course.qk_training: M = W_Q W_Kᵀ, slot remixing, and the hand-written backward pass."""

import numpy as np
import pytest
import torch

from core.course.attention_lessons import FEATURES, toy_sentence
from core.course.qk_training import (
    OWNER_EXAMPLES,
    bilinear_form,
    numerical_gradient,
    owner_loss_and_gradients,
    remix_slots,
    slot_mixer,
    train_queries_keys,
)
from core.mirrors.attention import attention_stages
from core.model.attention import scaled_dot_product as torch_attention


def random_pair(d, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(3, d)), rng.normal(size=(3, d))


def test_scores_are_x_m_x_transposed():
    W_Q, W_K = random_pair(2)
    M = bilinear_form(W_Q, W_K)
    assert M.shape == (3, 3)  # C × C whatever d
    _, X = toy_sentence("the dog 's bark")
    scores = attention_stages(X, W_Q, W_K)["scores"]
    np.testing.assert_allclose(scores, X @ M @ X.T, atol=1e-12)
    # score(i, j) = Σ_f Σ_g x_i[f] M[f, g] x_j[g]: bark looking at dog, written out
    by_hand = sum(X[3, f] * M[f, g] * X[1, g] for f in range(3) for g in range(3))
    assert scores[3, 1] == pytest.approx(by_hand)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_remixed_slots_give_the_same_m_and_scores(d):
    W_Q, W_K = random_pair(d, seed=d)
    R = slot_mixer(40, d)
    assert abs(np.linalg.det(R)) > 0.5
    if d >= 2:
        assert not np.allclose(np.linalg.inv(R).T, R)  # not a mere rotation
    W_Q2, W_K2 = remix_slots(W_Q, W_K, R)
    assert not np.allclose(W_Q2, W_Q)
    np.testing.assert_allclose(bilinear_form(W_Q2, W_K2), bilinear_form(W_Q, W_K), atol=1e-12)
    _, X = toy_sentence("the tree 's bark")
    a = attention_stages(X, W_Q, W_K)
    b = attention_stages(X, W_Q2, W_K2)
    np.testing.assert_allclose(b["scores"], a["scores"], atol=1e-12)
    np.testing.assert_allclose(b["weights"], a["weights"], atol=1e-12)
    # mixing both sides with the same R (not R⁻ᵀ) changes M
    assert not np.allclose(bilinear_form(W_Q @ R, W_K @ R), bilinear_form(W_Q, W_K))


def test_slot_mixer_and_remix_refuse_bad_input():
    assert slot_mixer(0, 2).tolist() == [[2.0, 0.0], [0.0, 1.0]]
    assert slot_mixer(90, 1).tolist() == [[2.0]]
    with pytest.raises(ValueError, match="invertible"):
        remix_slots(np.eye(3), np.eye(3), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        remix_slots(np.ones((3, 2)), np.ones((3, 2)), np.eye(3))
    with pytest.raises(ValueError, match="one shape"):
        bilinear_form(np.ones((3, 2)), np.ones((3, 3)))


def test_scores_symmetric_exactly_when_m_is():
    _, X = toy_sentence("the dog 's bark")
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 3))
    for M in (A + A.T, A):
        W_Q, W_K = M, np.eye(3)  # W_Q W_Kᵀ = M
        S = attention_stages(X, W_Q, W_K)["scores"]
        assert np.allclose(S, S.T) == np.allclose(M, M.T)
    # for every input: random X, the asymmetric M gives asymmetric scores
    Y = rng.normal(size=(5, 3))
    assert not np.allclose(Y @ A @ Y.T, (Y @ A @ Y.T).T)


def test_numerical_gradient_of_a_known_function():
    W = np.array([[3.0, -1.0], [0.5, 2.0]])
    grad = numerical_gradient(lambda w: float((w**2).sum() + w[0, 1] * w[1, 0]), W)
    np.testing.assert_allclose(grad, [[6.0, -2.0 + 0.5], [1.0 - 1.0, 4.0]], atol=1e-8)


@pytest.mark.parametrize("d, scale, causal", [(2, True, True), (3, False, True), (1, True, False)])
def test_backward_equals_the_numerical_gradient(d, scale, causal):
    W_Q, W_K = random_pair(d, seed=3)
    _, dW_Q, dW_K = owner_loss_and_gradients(W_Q, W_K, scale=scale, causal=causal)

    def at(q, k):
        return owner_loss_and_gradients(q, k, scale=scale, causal=causal)[0]

    np.testing.assert_allclose(dW_Q, numerical_gradient(lambda q: at(q, W_K), W_Q), atol=1e-7)
    np.testing.assert_allclose(dW_K, numerical_gradient(lambda k: at(W_Q, k), W_K), atol=1e-7)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_backward_equals_torch_autograd(d):
    """The torch twin: the same loss through core.model's attention, differentiated by torch."""
    W_Q, W_K = random_pair(d, seed=d + 10)
    loss, dW_Q, dW_K = owner_loss_and_gradients(W_Q, W_K)
    q_t = torch.tensor(W_Q, requires_grad=True)
    k_t = torch.tensor(W_K, requires_grad=True)
    total = torch.zeros((), dtype=torch.float64)
    for text, query, target in OWNER_EXAMPLES:
        tokens, X = toy_sentence(text)
        X_t = torch.tensor(X)
        _, weights = torch_attention(X_t @ q_t, X_t @ k_t, X_t, causal=True)
        total = total - torch.log(weights[tokens.index(query), tokens.index(target)])
    total = total / len(OWNER_EXAMPLES)
    total.backward()
    assert loss == pytest.approx(total.item(), abs=1e-12)
    np.testing.assert_allclose(dW_Q, q_t.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(dW_K, k_t.grad.numpy(), atol=1e-12)


def test_training_learns_owners_through_m():
    run = train_queries_keys(d=2, steps=100)
    assert run.W_Q.shape == run.W_K.shape == (3, 2)
    assert len(run.losses) == 101
    assert run.losses[0] == pytest.approx(1.2510, abs=1e-3)  # golden: seed 0
    assert run.losses[-1] < 0.05
    assert all(b <= a + 1e-12 for a, b in zip(run.losses, run.losses[1:]))  # plain descent
    # every example's query now puts its largest weight on the owner
    for text, query, target in OWNER_EXAMPLES:
        tokens, X = toy_sentence(text)
        row = attention_stages(X, run.W_Q, run.W_K)["weights"][tokens.index(query)]
        assert int(np.argmax(row)) == tokens.index(target), (text, query)
    # M: owned (query side) seeks animal and plant (key side), and avoids owned
    M = bilinear_form(run.W_Q, run.W_K)
    o, a, p = (FEATURES.index(f) for f in ("owned", "animal", "plant"))
    assert M[o, a] > 5 and M[o, p] > 5 and M[o, o] < 0
    assert np.abs(M[o]).max() == max(M[o, a], M[o, p])


def test_training_reports_progress_and_refuses_bad_settings():
    seen = []
    run = train_queries_keys(d=1, steps=5, on_step=lambda step, loss: seen.append((step, loss)))
    assert [s for s, _ in seen] == [1, 2, 3, 4, 5]
    assert [loss for _, loss in seen] == run.losses[:5]
    with pytest.raises(ValueError, match="d >= 1"):
        train_queries_keys(d=0)
    with pytest.raises(ValueError, match="cannot see"):
        owner_loss_and_gradients(np.eye(3), np.eye(3), [("the dog 's bark", "dog", "bark")])
    with pytest.raises(ValueError, match="not a token"):
        owner_loss_and_gradients(np.eye(3), np.eye(3), [("the dog 's bark", "bark", "tree")])
