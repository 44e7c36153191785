"""GPT-2's `config.json` <-> the course's `GPTConfig`, and the config of a bare weights file.

`mapping.py` says where each tensor goes once the sizes are known; this module finds the sizes:
from config.json (`config_from_hf`), from the tensor shapes alone when there is none
(`infer_config`), and writes them back for `transformers` (`hf_config_dict`). A config.json
that asks for something the course's GPT does not compute (another activation, another
LayerNorm epsilon, an untied head) is refused rather than loaded into a different network.

Example:
    >>> config_from_hf(transformers.GPT2Config().to_dict()) == GPTConfig.from_preset("gpt2")
    True
"""

from __future__ import annotations

from typing import Any

from core.gpt2.mapping import GPT2CheckpointError, first_few, sizes_in, strip_prefix
from core.model.config import PRESETS, GPTConfig
from core.tokenize import GPT2_ENDOFTEXT_ID, GPT2_VOCAB_SIZE

# GPT-2's config.json names for the GELUs GPTConfig.gelu can be (transformers' ACT2FN):
# "gelu_new" and "gelu_pytorch_tanh" are the tanh approximation, "gelu" the exact erf form.
_GELU_FROM_HF = {"gelu_new": "tanh", "gelu_pytorch_tanh": "tanh", "gelu": "exact"}
_GELU_TO_HF = {"tanh": "gelu_new", "exact": "gelu"}

# What the course's GPT computes, as GPT-2's config.json spells it (anything else is rejected).
_FIXED_FIELDS: dict[str, tuple[Any, ...]] = {
    "activation_function": tuple(_GELU_FROM_HF),  # core.model.gpt.MLP's, by GPTConfig.gelu
    "layer_norm_epsilon": (1e-5,),  # nn.LayerNorm's default
    "scale_attn_weights": (True,),  # divide scores by sqrt(D)
    "scale_attn_by_inverse_layer_idx": (False,),
    "add_cross_attention": (False,),
    "tie_word_embeddings": (True,),
}


def config_from_hf(hf: dict[str, Any], *, dropout: float = 0.0) -> GPTConfig:
    """A Hugging Face GPT-2 `config.json` (as a dict) -> GPTConfig.

    Only the fields are checked here (types, ranges, what the course computes); whether the
    sizes fit a checkpoint's tensors is `mapping.check_sizes`'s job.
    `activation_function` "gelu_new" (GPT-2's, and the default when it is absent) or
    "gelu_pytorch_tanh" gives gelu="tanh", "gelu" gives gelu="exact"; any other is refused.
    Example: config_from_hf(transformers.GPT2Config().to_dict()) == GPTConfig.from_preset("gpt2")
    """
    if not isinstance(hf, dict):
        raise GPT2CheckpointError(
            f"config.json must hold a JSON object ({{...}}), not a {type(hf).__name__}"
        )
    if hf.get("model_type") != "gpt2":
        arch = ", ".join(hf.get("architectures") or []) or "no architecture named"
        raise GPT2CheckpointError(
            f"config.json describes a {hf.get('model_type')!r} model ({arch}), not GPT-2 "
            "(model_type 'gpt2'): load_gpt2 reads GPT-2 checkpoints only"
        )
    try:
        n_embd = hf["n_embd"]
        shape = {
            "vocab_size": hf["vocab_size"],
            "block_size": hf.get("n_positions", hf.get("n_ctx")),
            "n_layer": hf["n_layer"],
            "n_head": hf["n_head"],
            "n_embd": n_embd,
        }
    except KeyError as err:
        raise GPT2CheckpointError(f"config.json has no {err.args[0]!r} field") from None
    unsupported = [
        f"{field}={hf[field]!r} (supported: {', '.join(map(repr, allowed))})"
        for field, allowed in _FIXED_FIELDS.items()
        if field in hf and hf[field] not in allowed
    ]
    if hf.get("n_inner") not in (None, 4 * n_embd):
        unsupported.append(f"n_inner={hf['n_inner']!r} (supported: None or 4 * n_embd)")
    if unsupported:
        raise GPT2CheckpointError(
            "this GPT-2 variant computes something the course's GPT does not: "
            + "; ".join(unsupported)
        )
    gelu = _GELU_FROM_HF[hf.get("activation_function", "gelu_new")]
    try:
        return GPTConfig(**shape, dropout=dropout, gelu=gelu)
    except ValueError as err:  # a size that is not a positive int, n_embd % n_head != 0, ...
        raise GPT2CheckpointError(f"config.json does not make a valid GPTConfig: {err}") from None


def hf_config_dict(config: GPTConfig) -> dict[str, Any]:
    """GPTConfig -> the config.json that transformers' GPT2LMHeadModel reads.

    gelu "tanh" is written as "gelu_new" (GPT-2's own), "exact" as "gelu".
    """
    if not config.bias:
        raise ValueError("GPTConfig.bias is False, but GPT-2 always has biases: it cannot be saved")
    eos = GPT2_ENDOFTEXT_ID if config.vocab_size == GPT2_VOCAB_SIZE else None  # <|endoftext|>
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": config.vocab_size,
        "n_positions": config.block_size,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_inner": None,
        "activation_function": _GELU_TO_HF[config.gelu],
        "layer_norm_epsilon": 1e-5,
        "resid_pdrop": config.dropout,
        "embd_pdrop": config.dropout,
        "attn_pdrop": config.dropout,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "bos_token_id": eos,
        "eos_token_id": eos,
    }


# GPT-2's head counts by width: a bare model.safetensors has no config.json to say them.
_HEADS_BY_WIDTH = {c.n_embd: c.n_head for c in PRESETS.values() if c.vocab_size == GPT2_VOCAB_SIZE}


def infer_config(shapes: dict[str, tuple[int, ...]], *, dropout: float = 0.0) -> GPTConfig:
    """GPTConfig from the tensor shapes alone (a checkpoint without config.json).

    Sizes come from wte [V, C] and wpe [T, C], the layer count from the `h.N.` names; the
    head count is not in any shape, so it is taken from the GPT-2 size with that width.
    """
    sizes = sizes_in(shapes)
    if "vocab_size" not in sizes or "block_size" not in sizes:
        names = sorted(strip_prefix(k) for k in shapes)
        raise GPT2CheckpointError(
            f"this does not look like a GPT-2 checkpoint: it has no wte.weight/wpe.weight "
            f"(2-D) among its {len(names):,} tensors ({first_few(names, 6)})"
        )
    V, T, C = sizes["vocab_size"], sizes["block_size"], sizes["n_embd"]
    if C not in _HEADS_BY_WIDTH:
        raise GPT2CheckpointError(
            f"the checkpoint has no config.json, and its width n_embd={C} is not one of GPT-2's "
            f"({sorted(_HEADS_BY_WIDTH)}), so its number of heads is unknown: put the "
            "config.json it came with beside it"
        )
    if sizes["n_layer"] == 0:
        raise GPT2CheckpointError("the checkpoint has no blocks (no h.N. tensors)")
    return GPTConfig(
        V, T, n_layer=sizes["n_layer"], n_head=_HEADS_BY_WIDTH[C], n_embd=C, dropout=dropout
    )
