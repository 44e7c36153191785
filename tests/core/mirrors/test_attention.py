import numpy as np
import pytest
import torch

from core.mirrors.attention import STAGES, attention_stages, causal_mask, scaled_dot_product
from core.model.attention import scaled_dot_product as torch_attention


def test_numpy_attention_equals_torch_attention():
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(2, 3, 6, 4)) for _ in range(3))
    for causal in (True, False):
        out, w = scaled_dot_product(q, k, v, causal=causal)
        t_out, t_w = torch_attention(*(torch.tensor(a) for a in (q, k, v)), causal=causal)
        np.testing.assert_allclose(out, t_out.numpy(), atol=1e-12)
        np.testing.assert_allclose(w, t_w.numpy(), atol=1e-12)


def test_stages_by_hand():
    X = np.array([[1.0, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    W_Q = np.array([[1.0, 1, 0], [0, 2, 0], [0, 0, 1]])
    s = attention_stages(X, W_Q, np.eye(3), np.eye(3))
    assert list(s) == list(STAGES)
    np.testing.assert_allclose(s["Q"][1], [0, 2, 0])
    np.testing.assert_allclose(s["scores"], s["Q"] @ s["K"].T)
    np.testing.assert_allclose(s["scaled"], s["scores"] / np.sqrt(3))
    assert np.isneginf(s["masked"][0, 1:]).all()
    np.testing.assert_allclose(s["weights"].sum(1), 1.0)
    np.testing.assert_allclose(s["output"], s["weights"] @ X)
    # with W_Q != W_K the score matrix is no longer symmetric
    assert not np.allclose(s["scores"], s["scores"].T)


def test_raw_embeddings_give_symmetric_scores():
    X = np.random.default_rng(1).normal(size=(4, 3))
    s = attention_stages(X, causal=False)
    np.testing.assert_allclose(s["scores"], s["scores"].T)


def test_causal_mask_offset():
    assert causal_mask(2, 3).tolist() == [[True, True, False], [True, True, True]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X": np.zeros((0, 3))}, "X must be a non-empty"),
        ({"X": np.ones((4, 3)), "W_Q": np.ones((2, 3))}, "W_Q must have 3 rows"),
        ({"X": [[1.0, float("nan")]]}, "X contains NaN"),
        ({"X": np.ones((4, 3)), "W_Q": np.ones((3, 2))}, "same shape"),
    ],
)
def test_bad_inputs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        attention_stages(**kwargs)
