"""The one NumPy softmax: the attention mirror and the sampling mirror both use it."""

import numpy as np
import pytest
import torch

from core.mirrors import attention, sampling
from core.mirrors.softmax import softmax


def test_both_mirrors_use_the_one_softmax():
    assert attention.softmax is softmax
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    for t in (0.5, 1.0, 3.0):
        # equal up to rounding: temperature subtracts the max before dividing
        np.testing.assert_allclose(sampling.softmax(logits, t), softmax(logits / t), rtol=1e-14)


def test_softmax_equals_torch_and_sums_to_one():
    x = np.random.default_rng(0).normal(size=(3, 4, 5)) * 4
    for axis in (-1, 0, 1):
        ours = softmax(x, axis=axis)
        np.testing.assert_allclose(ours, torch.softmax(torch.tensor(x), dim=axis), atol=1e-12)
        np.testing.assert_allclose(ours.sum(axis=axis), 1.0)


@pytest.mark.parametrize("f", [softmax, sampling.softmax], ids=["softmax", "sampling.softmax"])
def test_masked_entries_get_zero_and_large_logits_stay_finite(f):
    np.testing.assert_array_equal(f(np.array([1e4, 1e4, -np.inf])), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(f(np.array([-1e4, 0.0])), [0.0, 1.0])
    assert f(np.array([[0.0, -np.inf], [3.0, 3.0]])).tolist() == [[1.0, 0.0], [0.5, 0.5]]


def test_sampling_softmax_at_temperature_zero_is_greedy():
    assert sampling.softmax(np.array([1.0, 3.0, 2.0]), 0).tolist() == [0.0, 1.0, 0.0]
