"""GPT-2's checkpoint tensors -> the course's GPT parameters, tensor by tensor (lesson 13).

Notation: V vocab (50257), T positions (block_size, 1024), C channels (n_embd), L layers.

A GPT-2 checkpoint and `core.model.gpt.GPT` describe the same network with different names and
layouts. Four steps turn one into the other (`gpt2_tensor_maps` lists them tensor by tensor,
`mapping_rows` as a table):

1. Names: `save_pretrained` writes `transformer.h.0.ln_1.weight`, the hub's file just
   `h.0.ln_1.weight`; strip the optional `transformer.` prefix.
2. Buffers: `h.N.attn.bias` is no bias but the (1, 1, T, T) causal mask older code stored with
   the weights. The course builds that mask on the fly, so drop it.
3. Conv1D: OpenAI wrote its projections as `x @ W + b` with W stored [in, out]; `nn.Linear`
   computes `x @ W.T + b` and stores W as [out, in]. Transpose those four weights per block.
   One of them is c_attn: the query, key and value projections side by side, [C, 3C], so
   one matmul computes all three. The course's `attn.c_attn` keeps them fused the same way;
   after the transpose its rows are [q; k; v], and `attn.W_Q`, `attn.W_K`, `attn.W_V`
   (`core.model.attention`) show the three blocks as views, nothing to split.
4. The head: GPT-2 reuses the token embedding wte as its output layer (weight tying), so
   there is no `lm_head` to load; the course's `lm_head` is tied to `wte` too.

Every tensor must be accounted for: `check_tensors` raises one `GPT2CheckpointError` listing
the missing, unexpected or mis-shaped tensors, before anything is loaded; and before that,
`check_sizes` refuses a config whose sizes the tensors contradict (n_layer=10**9 beside a
12-layer file), before anything is built from those sizes.

This module only describes the mapping and checks shapes; `hf_config.py` reads the sizes from
config.json, `load.py` copies the tensors, `hub.py` finds the files.

Example:
    >>> [m.step for m in gpt2_tensor_maps(GPTConfig.from_preset("gpt2"))[2:6]]
    ['copy', 'copy', 'transpose [in, out] -> [out, in]; rows [q; k; v]', 'copy; entries [q | k | v]']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from core.model.config import GPTConfig

HF_PREFIX = "transformer."


class GPT2CheckpointError(ValueError):
    """A checkpoint is damaged, is not GPT-2, or does not fit the shapes it claims."""


def strip_prefix(key: str) -> str:
    """Step 1. Example: "transformer.h.0.ln_1.weight" -> "h.0.ln_1.weight"."""
    return key.removeprefix(HF_PREFIX)


_MASK_BUFFER = re.compile(r"h\.\d+\.attn\.(bias|masked_bias)")


def is_attention_mask_buffer(key: str) -> bool:
    """Step 2. True for `h.N.attn.bias` (the causal mask) and `h.N.attn.masked_bias` (its fill).

    Example: is_attention_mask_buffer("h.3.attn.bias") -> True; "h.3.attn.c_attn.bias" -> False
    """
    return _MASK_BUFFER.fullmatch(strip_prefix(key)) is not None


@dataclass(frozen=True)
class TensorMap:
    """How one tensor of a GPT-2 checkpoint becomes one or more parameters of the course's GPT.

    hf_key:      name in the checkpoint, prefix stripped ("h.0.attn.c_attn.weight")
    hf_shape:    shape as stored; Conv1D weights are [in, out]
    course_keys: the course parameter it fills, as a one-element tuple (every GPT-2 tensor
                 now lands in exactly one; the tuple is the form loaders iterate)
    transpose:   a Conv1D weight, [in, out] -> nn.Linear's [out, in]
    note:        what the tensor holds, where a lesson should say it (c_attn's q, k, v)
    """

    hf_key: str
    hf_shape: tuple[int, ...]
    course_keys: tuple[str, ...]
    transpose: bool = False
    note: str = ""

    @property
    def step(self) -> str:
        """What happens to the tensor, in words."""
        step = "transpose [in, out] -> [out, in]" if self.transpose else "copy"
        return f"{step}; {self.note}" if self.note else step

    def to_course(self, tensor: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Checkpoint tensor -> the course tensor, as a one-element tuple (a view, no copy).

        Example: c_attn.weight [C, 3C] -> .T [3C, C], rows 0:C, C:2C, 2C:3C = q, k, v
        """
        if self.transpose:
            tensor = tensor.t()  # Conv1D computes x @ W; nn.Linear computes x @ W.T
        return (tensor,)

    def to_hf(self, tensors: Sequence[torch.Tensor]) -> torch.Tensor:
        """The inverse of `to_course`: the course tensor (one) -> a contiguous checkpoint tensor."""
        (tensor,) = tensors
        return (tensor.t() if self.transpose else tensor).contiguous()


def gpt2_tensor_maps(config: GPTConfig) -> list[TensorMap]:
    """Every tensor a GPT-2 checkpoint of this shape holds (besides the dropped mask buffers).

    Example: len(gpt2_tensor_maps(GPTConfig.from_preset("gpt2"))) == 2 + 12 * 12 + 2
    """
    V, T, C = config.vocab_size, config.block_size, config.n_embd
    return [
        # Step 4: wte is also the output layer; the course's lm_head shares this tensor.
        TensorMap("wte.weight", (V, C), ("transformer.wte.weight",)),
        TensorMap("wpe.weight", (T, C), ("transformer.wpe.weight",)),
        *(m for i in range(config.n_layer) for m in _block_maps(i, C)),
        TensorMap("ln_f.weight", (C,), ("transformer.ln_f.weight",)),
        TensorMap("ln_f.bias", (C,), ("transformer.ln_f.bias",)),
    ]


def _block_maps(i: int, C: int) -> list[TensorMap]:
    """The twelve tensors of block i, under the same names in the course's GPT."""
    hf, ours = f"h.{i}.", f"transformer.h.{i}."

    def same(
        name: str, shape: tuple[int, ...], transpose: bool = False, note: str = ""
    ) -> TensorMap:
        return TensorMap(hf + name, shape, (ours + name,), transpose, note)

    return [
        same("ln_1.weight", (C,)),
        same("ln_1.bias", (C,)),
        same("attn.c_attn.weight", (C, 3 * C), transpose=True, note="rows [q; k; v]"),  # step 3
        same("attn.c_attn.bias", (3 * C,), note="entries [q | k | v]"),
        same("attn.c_proj.weight", (C, C), transpose=True),  # step 3
        same("attn.c_proj.bias", (C,)),
        same("ln_2.weight", (C,)),
        same("ln_2.bias", (C,)),
        same("mlp.c_fc.weight", (C, 4 * C), transpose=True),  # step 3
        same("mlp.c_fc.bias", (4 * C,)),
        same("mlp.c_proj.weight", (4 * C, C), transpose=True),  # step 3
        same("mlp.c_proj.bias", (C,)),
    ]


def mapping_rows(config: GPTConfig, layers: Sequence[int] = (0,)) -> list[dict[str, str]]:
    """The mapping as table rows (checkpoint, shape, course, step) for `mo.ui.table`.

    Only the blocks in `layers` are listed (the others repeat them); the mask buffer and the
    tied head are included, so every kind of tensor the lesson talks about appears once.
    """
    rows = []
    for m in gpt2_tensor_maps(config):
        layer = layer_of(m.hf_key)
        if layer is not None and layer not in layers:
            continue
        rows.append(
            {
                "checkpoint": m.hf_key,
                "shape": str(list(m.hf_shape)),
                "course": ", ".join(m.course_keys),
                "step": m.step,
            }
        )
    T = config.block_size
    rows += [
        {
            "checkpoint": f"h.{i}.attn.bias",
            "shape": str([1, 1, T, T]),
            "course": "-",
            "step": "drop (causal mask)",
        }
        for i in layers
    ]
    rows.append(
        {
            "checkpoint": "(lm_head.weight)",
            "shape": str([config.vocab_size, config.n_embd]),
            "course": "lm_head.weight",
            "step": "tied to wte.weight",
        }
    )
    return rows


def layer_of(key: str) -> int | None:
    """Example: layer_of("h.11.mlp.c_fc.bias") -> 11; layer_of("wte.weight") -> None"""
    match = re.match(r"h\.(\d+)\.", strip_prefix(key))
    return int(match.group(1)) if match else None


def sizes_in(shapes: dict[str, tuple[int, ...]]) -> dict[str, int]:
    """The sizes a checkpoint's tensors show: V and C from wte [V, C], T from wpe [T, C], the
    number of layers from the `h.N.` names (a size whose tensor is missing is left out).

    Example: sizes_in({"wte.weight": (50257, 768), "h.0.ln_1.bias": (768,)})
             -> {"n_layer": 1, "vocab_size": 50257, "n_embd": 768}
    """
    names = {strip_prefix(k): tuple(v) for k, v in shapes.items()}
    sizes = {"n_layer": len({layer_of(k) for k in names} - {None})}
    if len(names.get("wte.weight", ())) == 2:
        sizes["vocab_size"], sizes["n_embd"] = names["wte.weight"]
    if len(names.get("wpe.weight", ())) == 2:
        sizes["block_size"] = names["wpe.weight"][0]
    return sizes


def check_sizes(
    config: GPTConfig, shapes: dict[str, tuple[int, ...]], source: str = "the config"
) -> None:
    """Refuse a config whose sizes the tensors contradict, before anything is built from it.

    The config decides how much gets built (12 tensor maps per layer, then the model itself),
    so a config.json that says n_layer=1_000_000_000 beside a 12-layer file must be refused
    by reading the file's few hundred tensor names, not after building a billion entries.
    Example: n_layer=100000 beside 12 blocks -> GPT2CheckpointError "... n_layer=100000, but
             the tensors hold 12 blocks (h.0 to h.11) ..."
    """
    found = sizes_in(shapes)
    wrong = []
    for field, value in found.items():
        claimed = getattr(config, field)
        if claimed == value:
            continue
        if field == "n_layer":
            blocks = f"h.0 to h.{value - 1}" if value else "no h.N. tensors"
            wrong.append(f"n_layer={claimed:,}, but the tensors hold {value:,} blocks ({blocks})")
        else:
            tensor = "wpe.weight" if field == "block_size" else "wte.weight"
            wrong.append(f"{field}={claimed:,}, but the tensors say {value:,} ({tensor})")
    if wrong:
        raise GPT2CheckpointError(
            f"{source} does not fit the checkpoint's tensors: {'; '.join(wrong)}. Nothing was "
            "built. Use the config saved with these weights (another checkpoint's config.json, "
            "or an edited one, does not describe them)."
        )


def first_few(items: Sequence[str], limit: int = 10) -> str:
    """Items for an error message, at most `limit` of them, and how many more.

    Example: first_few(["a", "b", "c"], 2) -> "a, b and 1 more"
    """
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit:,} more"


def check_tensors(
    config: GPTConfig, shapes: dict[str, tuple[int, ...]], source: str = "the config"
) -> dict[str, TensorMap]:
    """Match a checkpoint's tensors (stored key -> shape) against GPT-2's; stored key -> map.

    First `check_sizes` (the config's sizes against the tensors', so that nothing grows with
    a size the file does not back). Then raises one GPT2CheckpointError naming the missing,
    unexpected and mis-shaped tensors (the first few of each, and how many there are). Mask
    buffers are dropped. An `lm_head.weight` may be present (written by code that does not
    know the head is tied); it is left out of the plan, and load_gpt2 checks it equals wte.
    `source` names the config in messages, e.g. the path of its config.json.
    """
    check_sizes(config, shapes, source)
    expected = {m.hf_key: m for m in gpt2_tensor_maps(config)}
    head_shape = (config.vocab_size, config.n_embd)
    plan: dict[str, TensorMap] = {}
    unexpected, wrong_shape, seen = [], [], set()
    for key, shape in shapes.items():
        name, shape = strip_prefix(key), tuple(shape)
        m = expected.get(name)
        if is_attention_mask_buffer(key) or (key == "lm_head.weight" and shape == head_shape):
            continue
        if key == "lm_head.weight":
            wrong_shape.append(f"{key} is {list(shape)}, expected {list(head_shape)}")
        elif m is None or name in seen:  # unknown, or there both with and without the prefix
            unexpected.append(key)
        elif shape != m.hf_shape:
            wrong_shape.append(f"{key} is {list(shape)}, expected {list(m.hf_shape)}")
        else:
            plan[key] = m
        seen.add(name)
    missing = [name for name in expected if name not in seen]
    problems = [
        f"{label} ({len(items):,}): {first_few(items)}"
        for label, items in (
            ("missing", missing),
            ("unexpected", unexpected),
            ("wrong shape", wrong_shape),
        )
        if items
    ]
    if problems:
        raise GPT2CheckpointError(
            f"the checkpoint does not match a GPT-2 with {_describe(config)}, as {source} "
            "says:\n  " + "\n  ".join(problems)
        )
    return plan


def _describe(config: GPTConfig) -> str:
    fields = ("vocab_size", "block_size", "n_layer", "n_head", "n_embd")
    return ", ".join(f"{f}={getattr(config, f)}" for f in fields)
