"""Lesson 9's plumbing: the leak detector, parameter counts by component, GPT-2's sizes. Torch-free.

Notation as in `core.mirrors.gpt`: V vocabulary, T context (block size), L blocks, H heads,
C width of the residual stream.

Parameters of a GPT-2-shaped model (biases on, LM head tied to the token embedding):

    token embedding wte   V·C          (also the LM head: logits = x · wteᵀ)
    position embedding    T·C
    attention, per block  4C² + 4C     (W_Q, W_K, W_V fused into 3C×C, W_O C×C, their biases)
    MLP, per block        8C² + 5C     (C -> 4C -> C, biases 4C and C)
    LayerNorm             2C each      (two per block and ln_f: (2L + 1)·2C)
    total                 VC + TC + L(12C² + 13C) + 2C          H does not appear

`core.model.config.count_parameters` computes the same total (a test holds them equal, and
equal to torch's `GPT.num_parameters`); this module splits it by component for the lesson's
chart, with no torch (importing `core.model` imports torch).

Example:
    >>> sum(parameter_breakdown(gpt2_config("gpt2")).values())
    124439808
    >>> leaked_positions(NumpyGPT.random(vocab_size=5, block_size=4, n_layer=1, n_head=1,
    ...     n_embd=4, std=0.5), [1, 2, 3, 4], 2, 0)
    []
"""

from __future__ import annotations

import numpy as np

from core.mirrors.gpt import (
    Config,
    NumpyGPT,
    expected_shapes,
)
from core.mirrors.softmax import softmax
from core.tokenize.gpt2_files import GPT2_VOCAB_SIZE

__all__ = [
    "COMPONENTS",
    "GPT1_VOCAB_SIZE",
    "GPT2_BLOCK_SIZE",
    "GPT2_PAPER_COUNTS",
    "GPT2_SIZES",
    "check_causality_cell",
    "check_parameter_count",
    "copycat_gpt",
    "forward_with_mask",
    "gpt2_config",
    "leak_report",
    "leaked_positions",
    "paper_count_candidates",
    "parameter_breakdown",
    "text_loss",
]

GPT2_BLOCK_SIZE = 1024
# name -> (n_layer, n_head, n_embd), as in core.model.config.PRESETS (a test holds them equal)
GPT2_SIZES = {
    "gpt2": (12, 12, 768),
    "gpt2-medium": (24, 16, 1024),
    "gpt2-large": (36, 20, 1280),
    "gpt2-xl": (48, 25, 1600),
}
# Radford et al. 2019, "Language Models are Unsupervised Multitask Learners", Table 2. OpenAI's
# gpt-2 README: "our original parameter counts were wrong due to an error (in our previous blog
# posts and paper)".
GPT2_PAPER_COUNTS = {
    "gpt2": 117_000_000,
    "gpt2-medium": 345_000_000,
    "gpt2-large": 762_000_000,
    "gpt2-xl": 1_542_000_000,
}
# GPT-1's vocabulary (40,000 BPE merges plus the base symbols): Hugging Face's `openai-gpt`
# config, vocab_size 40478 (transformers.OpenAIGPTConfig's default; a test reads it there).
GPT1_VOCAB_SIZE = 40478

COMPONENTS = ("token embedding", "position embedding", "attention", "MLP", "LayerNorm")


def gpt2_config(name: str) -> Config:
    """The shape of one of GPT-2's four sizes ("gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl")."""
    try:
        n_layer, n_head, n_embd = GPT2_SIZES[name]
    except KeyError:
        raise ValueError(f"unknown GPT-2 size {name!r}; choose one of {list(GPT2_SIZES)}") from None
    return Config(GPT2_VOCAB_SIZE, GPT2_BLOCK_SIZE, n_layer, n_head, n_embd)


def _shape(config: Config) -> tuple[int, int, int, int]:
    """(V, T, L, C), validated: positive integers, C divisible by H."""
    values = {
        "vocab size V": config.vocab_size,
        "context T": config.block_size,
        "blocks L": config.n_layer,
        "heads H": config.n_head,
        "width C": config.n_embd,
    }
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    if config.n_embd % config.n_head:
        raise ValueError(
            f"width C = {config.n_embd} is not divisible by H = {config.n_head} heads: "
            f"each head gets C / H dimensions"
        )
    return config.vocab_size, config.block_size, config.n_layer, config.n_embd


def parameter_breakdown(config: Config) -> dict[str, int]:
    """{component: parameters} for a GPT of this shape (keys in COMPONENTS order).

    Example: parameter_breakdown(gpt2_config("gpt2"))["token embedding"] == 50257 * 768
    """
    V, T, L, C = _shape(config)
    return {
        "token embedding": V * C,
        "position embedding": T * C,
        "attention": L * (4 * C * C + 4 * C),
        "MLP": L * (8 * C * C + 5 * C),
        "LayerNorm": (2 * L + 1) * 2 * C,
    }


def paper_count_candidates(name: str) -> dict[str, int]:
    """What the count of GPT-2 size `name` would be under each explanation of the paper's number.

    "as released" is the real count; the others leave something out or change one number.
    """
    config = gpt2_config(name)
    parts = parameter_breakdown(config)
    total = sum(parts.values())
    C = config.n_embd
    return {
        "as released (tied head)": total,
        "without the position embedding": total - parts["position embedding"],
        "without both embeddings": total - parts["token embedding"] - parts["position embedding"],
        "with an untied LM head (+V·C)": total + parts["token embedding"],
        "with GPT-1's vocabulary (V = 40,478)": total - (GPT2_VOCAB_SIZE - GPT1_VOCAB_SIZE) * C,
    }


def _count_mistakes(config: Config) -> dict[int, str]:
    """{a wrong total: the mistake that gives it}, for the exercise's hints."""
    V, _, L, C = _shape(config)
    parts = parameter_breakdown(config)
    total = sum(parts.values())
    biases = L * (4 * C + 5 * C)
    return {
        total - biases: "you left out the biases (4C in attention, 4C + C in the MLP, per block)",
        total - parts["LayerNorm"]: "you left out the LayerNorms (2C each, 2L + 1 of them)",
        total - 2 * C: "you left out the final LayerNorm ln_f (2C)",
        total - parts["position embedding"]: "you left out the position embedding (T·C)",
        total + V * C: "you counted the LM head separately: it is tied to wte, so it adds nothing",
        total
        - L * (C * C + C): "you left out attention's output projection W_O (C² + C per block)",
        total - L * 6 * C * C: "the MLP widens to 4C: its two matrices are C·4C and 4C·C",
        total - L * 13 * C: "you left out every block's 13C (its biases and LayerNorms)",
        total - (L - 1) * (12 * C * C + 13 * C): f"you counted one block; there are L = {L}",
    }


def check_parameter_count(answer, config: Config) -> tuple[bool, str]:
    """(right, a sentence for the learner) for a hand-computed parameter count."""
    total = sum(parameter_breakdown(config).values())
    if answer is None:
        return False, "Type your count above."
    if answer == total:
        return True, f"Correct: {total:,}."
    mistake = _count_mistakes(config).get(int(answer)) if float(answer).is_integer() else None
    if mistake is not None:
        return False, f"Not {int(answer):,}: {mistake}."
    return False, (
        f"Not {answer:,}. Add the four terms one at a time: V·C (the token table), T·C (the "
        "positions), L·(12C² + 13C) (the blocks) and 2C (the final LayerNorm)."
    )


def check_causality_cell(query, key, row: int) -> tuple[bool, str]:
    """The exercise "which one cell hands position `row` its own answer?": (right, sentence).

    Position `row` is trained to predict token row + 1, so the cell is (row, row + 1).
    """
    if query is None or key is None:
        return False, "Type a row and a column above."
    query, key = int(query), int(key)
    answer = row + 1
    if (query, key) == (row, answer):
        return True, (
            f"Correct: cell ({row}, {answer}). Position {row} is trained to predict token "
            f"{answer}; opening that cell lets it read the answer instead of predicting it."
        )
    if key <= query:
        return False, (
            f"Cell ({query}, {key}) is on or below the diagonal: it is already open, and "
            f"should be (position {query} reading token {key} is reading the past). Look above "
            "the diagonal."
        )
    if query != row:
        return False, (
            f"Cell ({query}, {key}) breaks causality too, but for position {query}. The "
            f"question is about position {row}: which token is its answer?"
        )
    return False, (
        f"Cell ({row}, {key}) leaks the future to position {row}, but token {key} is not its "
        f"answer: position {row} predicts the token right after it."
    )


def leak_report(model: NumpyGPT, ids, position: int, new_id: int, *, causal=True) -> np.ndarray:
    """How much each position's logits move when token `position` becomes `new_id`.

    Returns (T,): max over the vocabulary of |logits_after - logits_before| at each position.
    `causal` is a bool (the mask on or off) or a (T, T) boolean mask (True = may attend).
    """
    ids = np.asarray(ids)
    if not 0 <= position < len(ids):
        raise ValueError(f"position must be in 0 … {len(ids) - 1}, got {position}")
    changed = ids.copy()
    changed[position] = new_id
    if isinstance(causal, bool):
        before, after = (
            model.forward(ids, causal=causal)[0],
            model.forward(changed, causal=causal)[0],
        )
    else:
        before, after = (
            forward_with_mask(model, ids, causal),
            forward_with_mask(model, changed, causal),
        )
    return np.abs(after - before).max(axis=-1)


def leaked_positions(model: NumpyGPT, ids, position: int, new_id: int, *, causal=True) -> list[int]:
    """Positions before `position` whose logits move when token `position` changes (a leak)."""
    moved = leak_report(model, ids, position, new_id, causal=causal)
    return [i for i in range(position) if moved[i] > 0]


def forward_with_mask(model: NumpyGPT, ids, allowed) -> np.ndarray:
    """Logits (T, V) with any attention mask: `allowed` (T, T), True where query i may read key j.

    The mirror's forward with its `allowed` mask, after checking the mask: it opens or closes
    single cells, for the lesson's "one open cell" experiment. Equal to `model.forward(ids)` when
    `allowed` is the causal mask, and to `model.forward(ids, causal=False)` when it is all True.
    """
    ids = np.asarray(ids)
    allowed = np.asarray(allowed, dtype=bool)
    if allowed.shape != (len(ids), len(ids)):
        raise ValueError(f"the mask must be ({len(ids)}, {len(ids)}), got {allowed.shape}")
    if not allowed.any(axis=-1).all():
        raise ValueError("every row of the mask must allow at least one key")
    return model.forward(ids, allowed=allowed)[0]


def copycat_gpt(vocab_size: int, block_size: int, *, look: float = 3.0, copy: float = 2.0):
    """A one-block GPT built by hand to cheat: its one head reads the *next* position's token.

    Width C = V + T: dims 0 … V-1 hold the token (one-hot), dims V … V+T-1 the position. The
    head's query at position i asks for position i + 1 (W_Q shifts the position one-hot by
    one, times `look`), keys are the positions, values the tokens; `copy` scales what W_O adds
    to the stream, so the tied head's largest logit is the next token. The MLP is zero.
    With the mask off it predicts the next token almost perfectly; with the mask on that
    position is hidden, and it can only mix the past. A toy, never trained: it shows what a
    leak is worth.
    """
    V, T = vocab_size, block_size
    C = V + T
    config = Config(V, T, n_layer=1, n_head=1, n_embd=C)
    weights = {name: np.zeros(shape) for name, shape in expected_shapes(config).items()}
    for name in ("h.0.ln_1.weight", "h.0.ln_2.weight", "ln_f.weight"):
        weights[name][:] = 1.0
    weights["wte.weight"][:, :V] = np.eye(V)
    weights["wpe.weight"][:, V:] = np.eye(T)
    c_attn = weights["h.0.attn.c_attn.weight"]  # rows: q (0 … C-1), k (C … 2C-1), v (2C …)
    for i in range(T - 1):
        c_attn[V + i + 1, V + i] = look  # q: "I want position i + 1"
    c_attn[C + V : 2 * C, V:] = np.eye(T)  # k: "I am position j"
    c_attn[2 * C : 2 * C + V, :V] = np.eye(V)  # v: "my token"
    weights["h.0.attn.c_proj.weight"][:V, :V] = copy * np.eye(V)
    return NumpyGPT(config, weights)


def text_loss(model: NumpyGPT, ids, *, causal=True) -> float:
    """Mean cross-entropy (nats) of predicting ids[1:] from the logits at positions 0 … T-2."""
    ids = np.asarray(ids)
    probs = softmax(model.forward(ids, causal=causal)[0][:-1])
    return float(-np.log(probs[np.arange(len(ids) - 1), ids[1:]]).mean())
