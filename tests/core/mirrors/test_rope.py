"""core.mirrors.rope: rotary embeddings, against the complex-number form, and their one property."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from core.mirrors import rope
from core.mirrors.positions import frequencies
from core.mirrors.rope import rotary_scores, rotate


def complex_rotate(x, p, base=10000.0):
    """RoFormer's form: pairs (x[2i], x[2i+1]) as complex numbers, times e^{i p ω_i}."""
    z = x[..., 0::2] + 1j * x[..., 1::2]
    z = z * np.exp(1j * np.asarray(p, dtype=float)[..., None] * frequencies(x.shape[-1], base=base))
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = z.real, z.imag
    return out


def test_doctests():
    assert doctest.testmod(rope).failed == 0


@pytest.mark.parametrize("D", [2, 8, 64])
def test_equals_the_complex_form(D):
    rng = np.random.default_rng(D)
    x = rng.standard_normal((10, D))
    positions = np.arange(10) * 3
    np.testing.assert_allclose(rotate(x, positions), complex_rotate(x, positions), atol=1e-12)
    np.testing.assert_allclose(rotate(x[4], 12.0), complex_rotate(x[4], 12.0), atol=1e-12)
    np.testing.assert_allclose(rotate(x, 0), x)  # position 0 is left alone


def test_rotation_keeps_lengths():
    x = np.random.default_rng(1).standard_normal((6, 16))
    np.testing.assert_allclose(
        np.linalg.norm(rotate(x, np.arange(6) * 100), axis=1), np.linalg.norm(x, axis=1)
    )


@pytest.mark.parametrize("m, n, shift", [(0, 3, 7), (5, 2, 100), (10, 10, 999)])
def test_score_depends_only_on_the_offset(m, n, shift):
    rng = np.random.default_rng(m + n)
    q, k = rng.standard_normal((2, 16))
    score = rotate(q, m) @ rotate(k, n)
    assert rotate(q, m + shift) @ rotate(k, n + shift) == pytest.approx(score, abs=1e-10)
    assert q @ rotate(k, n - m) == pytest.approx(score, abs=1e-10)
    if m != n:  # and it does depend on the offset
        assert abs(rotate(q, m) @ rotate(k, m) - score) > 1e-6


def test_rotary_scores_shift_along_diagonals():
    """A sequence of identical q and k: score(m, n) is constant along every diagonal."""
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal((2, 8))
    S = rotary_scores(np.tile(q, (9, 1)), np.tile(k, (9, 1)))
    for offset in range(-8, 9):
        diagonal = np.diagonal(S, offset)
        np.testing.assert_allclose(diagonal, diagonal[0], atol=1e-10)
    Q, K = rng.standard_normal((2, 5, 8))
    expected = [[rotate(Q[m], m) @ rotate(K[n], n) for n in range(5)] for m in range(5)]
    np.testing.assert_allclose(rotary_scores(Q, K), expected, atol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: rotate(np.ones(3), 1), "must be even"),
        (lambda: rotate(np.ones((3, 4)), [0, 1]), "one per row"),
        (lambda: rotary_scores(np.ones((3, 4)), np.ones((2, 4))), r"both be \(T, D\)"),
    ],
)
def test_errors_say_what_to_pass(call, message):
    with pytest.raises(ValueError, match=message):
        call()
