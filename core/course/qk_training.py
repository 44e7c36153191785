"""Training W_Q and W_K on the toy sentences, and the matrix M = W_Q W_Kᵀ they act through.

Lesson 5 lets the learner set W_Q and W_K by hand, then trains them with plain gradient
descent so that "learned" is something the page does. Torch-free (the lesson runs in the
browser); the backward pass is written out by hand and tests hold it to a numerical gradient
and to torch's autograd.

Notation as in `core.mirrors.attention`: T tokens, C embedding width, d query/key width.

    Q = X W_Q, K = X W_K (T, d)      scores = Q Kᵀ = X M Xᵀ (T, T)   with M = W_Q W_Kᵀ (C, C)

so score(i, j) = x_i M x_jᵀ = Σ_f Σ_g x_i[f] M[f, g] x_j[g]: M[f, g] is how much a query token
having feature f rewards a key token having feature g. Only M reaches the scores: for any
invertible (d, d) matrix R, (W_Q R, W_K R⁻ᵀ) gives the same M, so the slots of query/key space
mean nothing by themselves; and the scores are symmetric for every X exactly when M is.

The objective (`OWNER_EXAMPLES`): in each toy sentence a token that needs an owner (bark, 's)
should put its attention on the owner (dog or tree). The loss is the mean cross-entropy
-log weights[query, owner] of a causal head whose scores are divided by √d.

    gradient (one example, query row i, target t, N examples):
        g   = (p_i - onehot(t)) / N        dL/d(scaled scores of row i); p_i = weights[i]
        g  /= √d                           dL/d(scores of row i)
        dW_Q = x_iᵀ (g K)                  since scores[i, j] = q_i · k_j, dq_i = Σ_j g_j k_j
        dW_K = (Xᵀ g) q_i                  and dk_j = g_j q_i, k_j = x_j W_K

Example:
    >>> run = train_queries_keys(d=2, steps=100)
    >>> run.W_Q.shape, bilinear_form(run.W_Q, run.W_K).shape   # (C, d) and (C, C)
    ((3, 2), (3, 3))
    >>> run.losses[-1] < run.losses[0] / 4
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.course.attention_lessons import FEATURES, toy_sentence
from core.mirrors.attention import attention_stages

# (sentence, query token, the token it should attend to): bark and 's look for their owner
OWNER_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("the dog 's bark", "bark", "dog"),
    ("the tree 's bark", "bark", "tree"),
    ("the dog 's bark", "'s", "dog"),
    ("the tree 's bark", "'s", "tree"),
)


def bilinear_form(W_Q, W_K) -> np.ndarray:
    """M = W_Q W_Kᵀ, (C, C): row f a feature of the query token, column g one of the key token.

    Example: bilinear_form(np.eye(3), np.eye(3)) is the identity (a feature seeks itself).
    """
    W_Q, W_K = _pair(W_Q, W_K)
    return W_Q @ W_K.T


def remix_slots(W_Q, W_K, R) -> tuple[np.ndarray, np.ndarray]:
    """(W_Q R, W_K R⁻ᵀ): other query/key slots, the same M, so the same scores.

    R must be an invertible (d, d) matrix; raises ValueError otherwise.
    """
    W_Q, W_K = _pair(W_Q, W_K)
    R = np.asarray(R, dtype=np.float64)
    d = W_Q.shape[1]
    if R.shape != (d, d):
        raise ValueError(f"R must be ({d}, {d}) to mix {d} slots, got shape {R.shape}")
    if abs(np.linalg.det(R)) < 1e-12:
        raise ValueError("R is not invertible: a slot mix must be undoable")
    return W_Q @ R, W_K @ np.linalg.inv(R).T


def slot_mixer(angle_degrees: float, d: int, stretch: float = 2.0) -> np.ndarray:
    """An invertible (d, d) slot mix: slot 0 stretched by `stretch`, then slots 0 and 1 rotated.

    Not orthogonal (unless stretch = 1), so R⁻ᵀ differs from R. With d = 1 only the stretch.
    Example: slot_mixer(0, 2).tolist() -> [[2.0, 0.0], [0.0, 1.0]]
    """
    if d < 1:
        raise ValueError(f"d must be at least 1, got {d}")
    if stretch == 0:
        raise ValueError("stretch must not be 0 (R would not be invertible)")
    R = np.eye(d)
    R[0, 0] = stretch
    if d >= 2:
        a = math.radians(angle_degrees)
        rotation = np.eye(d)
        rotation[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
        R = R @ rotation
    return R


def _pair(W_Q, W_K) -> tuple[np.ndarray, np.ndarray]:
    W_Q, W_K = np.asarray(W_Q, dtype=np.float64), np.asarray(W_K, dtype=np.float64)
    if W_Q.ndim != 2 or W_Q.shape != W_K.shape:
        raise ValueError(f"W_Q {W_Q.shape} and W_K {W_K.shape} must be matrices of one shape")
    return W_Q, W_K


def _examples(examples: Sequence[tuple[str, str, str]], causal: bool):
    """[(X, query row, target column)] for each (sentence, query token, target token)."""
    found = []
    for text, query, target in examples:
        tokens, X = toy_sentence(text)
        for word in (query, target):
            if word not in tokens:
                raise ValueError(f"{word!r} is not a token of {text!r} ({tokens})")
        i, t = tokens.index(query), tokens.index(target)
        if causal and t > i:
            raise ValueError(f"with the causal mask {query!r} cannot see {target!r} in {text!r}")
        found.append((X, i, t))
    return found


def owner_loss_and_gradients(
    W_Q,
    W_K,
    examples: Sequence[tuple[str, str, str]] = OWNER_EXAMPLES,
    *,
    causal: bool = True,
    scale: bool = True,
) -> tuple[float, np.ndarray, np.ndarray]:
    """(loss, dL/dW_Q, dL/dW_K): mean -log weights[query, target] over `examples`.

    The forward pass is `core.mirrors.attention.attention_stages`; the backward is the
    formula in the module docstring.
    """
    W_Q, W_K = _pair(W_Q, W_K)
    if W_Q.shape[0] != len(FEATURES):
        raise ValueError(f"W_Q must have {len(FEATURES)} rows (the toy features), got {W_Q.shape}")
    found = _examples(examples, causal)
    n, d = len(found), W_Q.shape[1]
    loss, dW_Q, dW_K = 0.0, np.zeros_like(W_Q), np.zeros_like(W_K)
    for X, i, t in found:
        s = attention_stages(X, W_Q, W_K, causal=causal, scale=scale)
        p = s["weights"][i]
        loss -= math.log(p[t]) / n
        g = p.copy()
        g[t] -= 1.0
        g /= n
        if scale:
            g /= math.sqrt(d)
        dW_Q += np.outer(X[i], g @ s["K"])
        dW_K += np.outer(X.T @ g, s["Q"][i])
    return loss, dW_Q, dW_K


def numerical_gradient(loss_of: Callable[[np.ndarray], float], W, eps: float = 1e-6) -> np.ndarray:
    """dL/dW by central differences, (L(W + ε) - L(W - ε)) / 2ε one entry at a time.

    The definition of a derivative, to check a hand-written backward pass against.
    Example: numerical_gradient(lambda w: float((w**2).sum()), np.array([[3.0]])) ≈ [[6.0]]
    """
    W = np.asarray(W, dtype=np.float64)
    grad = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        plus, minus = W.copy(), W.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (loss_of(plus) - loss_of(minus)) / (2 * eps)
    return grad


@dataclass(frozen=True)
class TrainingRun:
    """What `train_queries_keys` returns: the start, the end, and the loss at every step.

    losses[k] is the loss before step k+1 (losses[0] at the start, losses[-1] after the last
    step), so len(losses) = steps + 1.
    """

    W_Q_start: np.ndarray
    W_K_start: np.ndarray
    W_Q: np.ndarray
    W_K: np.ndarray
    losses: list[float]
    learning_rate: float


def train_queries_keys(
    d: int = 2,
    steps: int = 100,
    *,
    learning_rate: float = 0.5,
    seed: int = 0,
    init_scale: float = 0.3,
    examples: Sequence[tuple[str, str, str]] = OWNER_EXAMPLES,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainingRun:
    """Gradient descent on W_Q, W_K of shape (C, d) from a seeded random start.

    on_step(step, loss) is called after each step (for a progress bar).
    """
    if d < 1 or steps < 0:
        raise ValueError(f"need d >= 1 and steps >= 0, got d={d}, steps={steps}")
    rng = np.random.default_rng(seed)
    W_Q = init_scale * rng.standard_normal((len(FEATURES), d))
    W_K = init_scale * rng.standard_normal((len(FEATURES), d))
    start = (W_Q.copy(), W_K.copy())
    losses = []
    for step in range(steps):
        loss, dW_Q, dW_K = owner_loss_and_gradients(W_Q, W_K, examples)
        losses.append(loss)
        W_Q = W_Q - learning_rate * dW_Q
        W_K = W_K - learning_rate * dW_K
        if on_step is not None:
            on_step(step + 1, loss)
    losses.append(owner_loss_and_gradients(W_Q, W_K, examples)[0])
    return TrainingRun(*start, W_Q, W_K, losses, learning_rate)
