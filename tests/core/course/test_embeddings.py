"""core.course.embeddings: the lookup and its gradient (against torch), the trained word embedding."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from core.course import embeddings
from core.course.embeddings import (
    build_vocabulary,
    cosine_similarities,
    count_loss,
    embedding_backward,
    nearest_neighbours,
    one_hot,
    pair_counts,
    pair_gradients,
    pair_loss,
    pca_2d,
    prepare_pairs,
    train_word_embedding,
    words,
)


def test_doctests():
    assert doctest.testmod(embeddings).failed == 0


def test_one_hot_product_is_a_row_lookup():
    E = np.random.default_rng(0).standard_normal((7, 3))
    ids = [6, 0, 3, 3]
    np.testing.assert_array_equal(one_hot(ids, 7) @ E, E[ids])
    assert one_hot(ids, 7).sum(axis=1).tolist() == [1.0] * 4


def test_embedding_backward_equals_torch_autograd():
    """The twin of nn.Embedding's backward: rows of dX summed into the rows of their tokens."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    E = rng.standard_normal((6, 4))
    ids = [2, 5, 2, 0]
    dX = rng.standard_normal((4, 4))
    weight = torch.tensor(E, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(ids), weight).backward(torch.tensor(dX))
    ours = embedding_backward(ids, dX, 6)
    np.testing.assert_allclose(ours, weight.grad.numpy(), atol=1e-15)
    np.testing.assert_allclose(ours, one_hot(ids, 6).T @ dX, atol=1e-15)
    assert np.all(ours[[1, 3, 4]] == 0)  # tokens not in the sequence: no gradient at all


def test_words_and_vocabulary():
    assert words("KING RICHARD III:\nO, 'tis thou!") == [
        "king",
        "richard",
        "iii",
        "o",
        "tis",
        "thou",
    ]
    assert build_vocabulary(["b", "a", "b", "c", "a", "d"], 3) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="only 2 distinct words"):
        build_vocabulary(["a", "b"], 3)


def test_pair_counts_skip_unknown_words():
    counts = pair_counts([0, 1, -1, 1, 0, 1], 2)
    assert counts.tolist() == [[0.0, 2.0], [1.0, 0.0]]


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    V, C = 5, 3
    counts = rng.integers(0, 4, (V, V)).astype(float)
    E, W, b = rng.standard_normal((V, C)), rng.standard_normal((C, V)), rng.standard_normal(V)
    loss, grads = pair_gradients(counts, E, W, b)
    assert loss == pytest.approx(pair_loss(counts, E, W, b))
    for param, grad in zip((E, W, b), grads):
        for index in [(0,) * param.ndim, tuple(s - 1 for s in param.shape)]:
            old = param[index]
            param[index] = old + 1e-6
            up = pair_loss(counts, E, W, b)
            param[index] = old - 1e-6
            down = pair_loss(counts, E, W, b)
            param[index] = old
            assert grad[index] == pytest.approx((up - down) / 2e-6, abs=1e-7)


def test_training_learns_a_deterministic_toy_language():
    """'a' is always followed by 'b', 'c' by 'd': a and c end up alike, and the loss falls to
    near the count table's (which is 0 for a deterministic language)."""
    text = "a b c d " * 50 + "a d c b " * 50
    data = prepare_pairs(text, vocab_size=4, val_fraction=0.2)
    model = train_word_embedding(data.train_counts, data.vocabulary, width=4, steps=300, lr=0.1)
    assert model.train_losses[0] == pytest.approx(np.log(4), abs=0.05)
    assert model.train_losses[-1] < model.train_losses[0] - 0.5
    assert model.train_losses[-1] == pytest.approx(count_loss(data.train_counts), abs=0.05)
    assert len(model.train_losses) == 301 and len(model.val_losses) == 0
    assert not np.allclose(model.E, model.E_initial)


def test_shakespeare_embedding_finds_related_words():
    """The lesson's defaults: golden losses, and 'thy' among the nearest neighbours of 'my'."""
    from core.data import DataUnavailableError, read_text

    try:
        text = read_text("tinyshakespeare")
    except DataUnavailableError as err:
        pytest.skip(str(err))
    data = prepare_pairs(text)
    assert data.n_words == 203_839 and len(data.vocabulary) == 300
    model = train_word_embedding(
        data.train_counts, data.vocabulary, val_counts=data.val_counts, steps=100
    )
    assert model.train_losses[0] == pytest.approx(np.log(300), abs=0.01)
    assert model.train_losses[-1] == pytest.approx(4.063, abs=0.01)
    assert model.val_losses[-1] == pytest.approx(4.108, abs=0.01)
    assert count_loss(data.train_counts) < model.train_losses[-1]
    # the count table gives pairs it never saw probability 0: infinite loss on held-out text
    assert count_loss(data.val_counts, data.train_counts) == np.inf
    near = [model.vocabulary[i] for i, _ in nearest_neighbours(model.E, model.index("my"), 5)]
    assert "thy" in near
    with pytest.raises(ValueError, match="not among the 300 words"):
        model.index("zounds")


def test_cosine_and_neighbours():
    E = np.array([[1.0, 0.0], [2.0, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    sims = cosine_similarities(E, 0)
    assert sims[0] == pytest.approx(1.0) and sims[3] == pytest.approx(-1.0)
    assert [i for i, _ in nearest_neighbours(E, 0, 3)] == [1, 2, 3]
    assert nearest_neighbours(E, 0, 1)[0][1] == pytest.approx(2 / np.hypot(2, 0.1))


def test_pca_keeps_the_largest_variance():
    rng = np.random.default_rng(4)
    E = rng.standard_normal((50, 6)) * [5.0, 3.0, 1.0, 0.5, 0.2, 0.1]
    coords, kept = pca_2d(E)
    eig = np.sort(np.linalg.eigvalsh(np.cov(E.T, bias=True)))[::-1]
    np.testing.assert_allclose(kept, eig[:2] / eig.sum())
    np.testing.assert_allclose(coords.var(axis=0), eig[:2])
    np.testing.assert_allclose(coords.mean(axis=0), 0, atol=1e-12)
    assert np.all(coords[np.abs(coords).argmax(axis=0), [0, 1]] > 0)  # signs fixed
