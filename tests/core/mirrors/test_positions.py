"""core.mirrors.positions: the sinusoidal encoding's definition and its two properties."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from core.mirrors import positions
from core.mirrors.positions import sinusoidal_positions, with_positions


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


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: sinusoidal_positions(-1, 2), "T must be"),
        (lambda: sinusoidal_positions(3, 0), "C must be"),
        (lambda: sinusoidal_positions(3, 2, base=1.0), "base must be"),
        (lambda: with_positions(np.ones(3)), r"\(T, C\) matrix"),
    ],
)
def test_errors_say_what_to_pass(call, message):
    with pytest.raises(ValueError, match=message):
        call()
