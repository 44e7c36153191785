"""core.mirrors.positions: the sinusoidal encoding's definition and its two properties."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from core.mirrors import positions
from core.mirrors.positions import (
    embed,
    frequencies,
    learned_positions,
    shift_rotation,
    sinusoidal_positions,
    with_positions,
)


def test_doctests():
    assert doctest.testmod(positions).failed == 0


def test_matches_the_papers_formula():
    T, C = 7, 6
    pe = sinusoidal_positions(T, C)
    for p in range(T):
        for i in range(C // 2):
            angle = p / 10000 ** (2 * i / C)
            assert pe[p, 2 * i] == pytest.approx(np.sin(angle))
            assert pe[p, 2 * i + 1] == pytest.approx(np.cos(angle))


def test_shift_is_a_rotation_of_each_pair():
    """PE(p + k) = R(k ω_i) PE(p) for every (sin, cos) pair: lesson 3's anchor move."""
    C, k, base = 8, 3, 10000.0
    pe = sinusoidal_positions(12, C)
    for i in range(C // 2):
        theta = k * base ** (-2 * i / C)
        rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        pair = pe[:, 2 * i : 2 * i + 2]
        np.testing.assert_allclose(pair[:-k] @ rotation, pair[k:], atol=1e-12)


def test_dot_products_depend_only_on_the_offset():
    pe = sinusoidal_positions(10, 6)
    gram = pe @ pe.T
    for offset in range(-4, 5):
        diagonal = np.diagonal(gram, offset)
        np.testing.assert_allclose(diagonal, diagonal[0], atol=1e-12)


def test_odd_width_and_empty():
    assert sinusoidal_positions(4, 3).shape == (4, 3)
    p = np.arange(4)
    np.testing.assert_allclose(sinusoidal_positions(4, 3)[:, 2], np.sin(p * 10000 ** (-2 / 3)))
    assert sinusoidal_positions(0, 2).shape == (0, 2)


def test_with_positions_keeps_the_features():
    X = np.arange(12.0).reshape(4, 3)
    Xp = with_positions(X, width=2)
    assert Xp.shape == (4, 5)
    np.testing.assert_array_equal(Xp[:, :3], X)
    np.testing.assert_allclose(Xp[:, 3:], sinusoidal_positions(4, 2))
    assert len({tuple(r) for r in Xp[:, 3:].round(9)}) == 4  # every position distinct


def test_frequencies_are_the_papers_speeds():
    np.testing.assert_allclose(frequencies(8), [1.0, 0.1, 0.01, 0.001])
    np.testing.assert_allclose(frequencies(4, base=100.0), [1.0, 0.1])


@pytest.mark.parametrize("C, k", [(2, 1), (8, 3), (16, 7), (64, 40), (8, -2)])
def test_shift_rotation_moves_every_position_by_k(C, k):
    """R(k) @ PE(p) = PE(p + k) for every p, with one R(k): it depends on the offset only."""
    pe = sinusoidal_positions(120, C)
    R = shift_rotation(k, C)
    for p in range(max(0, -k), 120 - max(k, 0)):
        np.testing.assert_allclose(R @ pe[p], pe[p + k], atol=1e-12)
    np.testing.assert_allclose(R @ R.T, np.eye(C), atol=1e-12)  # a rotation: lengths kept
    assert np.linalg.det(R) == pytest.approx(1.0)


def test_shift_rotation_is_block_diagonal_and_composes():
    R = shift_rotation(5, 8)
    mask = np.kron(np.eye(4), np.ones((2, 2))).astype(bool)
    assert np.all(R[~mask] == 0)
    theta = 5 * 10000 ** (-2 / 8)  # block 1
    np.testing.assert_allclose(
        R[2:4, 2:4], [[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]]
    )
    np.testing.assert_allclose(shift_rotation(2, 8) @ shift_rotation(3, 8), R, atol=1e-12)


def test_learned_positions_are_rows_of_the_table():
    wpe = np.arange(20.0).reshape(5, 4)
    np.testing.assert_array_equal(learned_positions(wpe, 3), wpe[:3])
    np.testing.assert_array_equal(learned_positions(wpe, 2, start=3), wpe[3:5])
    assert learned_positions(wpe, 0).shape == (0, 4)
    with pytest.raises(ValueError, match=r"position 5 has no row: .* 0 … 4 only \(block_size 5\)"):
        learned_positions(wpe, 6)
    with pytest.raises(ValueError, match="at most 1 tokens"):
        learned_positions(wpe, 2, start=4)


def test_embed_equals_the_torch_gpts_input():
    """embed(ids, wte, wpe) is what core.model.gpt.GPT feeds its first block: wte(idx) + wpe(pos)."""
    torch = pytest.importorskip("torch")
    from core.model import GPT, GPTConfig
    from core.model.export import numpy_weights

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=30, block_size=12, n_layer=1, n_head=2, n_embd=8))
    model = model.double().eval()
    captured = {}
    model.transformer.h[0].register_forward_pre_hook(
        lambda module, args: captured.setdefault("x", args[0])
    )
    ids = [4, 7, 7, 0, 29, 4, 11]
    with torch.no_grad():
        model(torch.tensor([ids]))
    w = numpy_weights(model, dtype=np.float64)
    ours = embed(ids, w["wte.weight"], w["wpe.weight"])
    np.testing.assert_allclose(ours, captured["x"][0].numpy(), rtol=0, atol=1e-12)
    assert not np.allclose(ours[1], ours[2])  # the same token at two positions: two vectors
    with pytest.raises(ValueError, match="position 12 has no row"):
        embed(list(range(13)), w["wte.weight"], w["wpe.weight"])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: sinusoidal_positions(-1, 2), "T must be"),
        (lambda: sinusoidal_positions(3, 0), "C must be"),
        (lambda: sinusoidal_positions(3, 2, base=1.0), "base must be"),
        (lambda: with_positions(np.ones(3)), r"\(T, C\) matrix"),
        (lambda: shift_rotation(1, 5), "even width"),
        (lambda: learned_positions(np.ones(4), 2), r"\(block_size, C\) table"),
        (lambda: learned_positions(np.ones((4, 2)), -1), "whole numbers"),
        (lambda: embed([0, 9], np.ones((3, 2)), np.ones((4, 2))), "must lie in 0 … 2"),
    ],
)
def test_errors_say_what_to_pass(call, message):
    with pytest.raises(ValueError, match=message):
        call()
