"""OpenAI's GPT-2 weights in the course's `GPT`, and back out, checked against `transformers`.

Notation: V vocab (50257), T positions (block_size, 1024), C channels (n_embd), L layers.

A GPT-2 checkpoint and `core.model.gpt.GPT` describe the same network with different names and
layouts. Five steps turn one into the other (`gpt2_tensor_maps` lists them tensor by tensor):

1. Names: `save_pretrained` writes `transformer.h.0.ln_1.weight`, the hub's file just
   `h.0.ln_1.weight`; strip the optional `transformer.` prefix.
2. Buffers: `h.N.attn.bias` is no bias but the (1, 1, T, T) causal mask older code stored with
   the weights. The course builds that mask on the fly, so drop it.
3. Conv1D: OpenAI wrote its projections as `x @ W + b` with W stored [in, out]; `nn.Linear`
   computes `x @ W.T + b` and stores W as [out, in]. Transpose those four weights per block.
4. c_attn: GPT-2 fuses the query, key and value projections into one [C, 3C] matrix (one
   big matmul); the course keeps `q_proj`, `k_proj`, `v_proj` apart so each can be studied.
   After the transpose its rows are [q; k; v]: split them in three.
5. The head: GPT-2 reuses the token embedding wte as its output layer (weight tying), so
   there is no `lm_head` to load; the course's `lm_head` is tied to `wte` too.

Every tensor must be accounted for: a missing, unexpected or mis-shaped one raises one
`GPT2CheckpointError` listing them all, before anything is loaded.

Example:
    >>> model = load_gpt2("gpt2")  # into the Hugging Face cache once (548 MB), then offline
    >>> report = compare_with_transformers("gpt2", prompt_ids=[15496, 11], max_new_tokens=20)
    >>> report.greedy_agree  # and report.max_abs_logit_diff is float32 rounding
    True
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from torch.overrides import TorchFunctionMode
from tqdm.std import tqdm

from core.model.config import GPT2_VOCAB_SIZE, PRESETS, GPTConfig, count_parameters
from core.model.generate import generate
from core.model.gpt import GPT

# The four sizes OpenAI released, as Hugging Face repositories.
HUB_REPOS: dict[str, str] = {
    "gpt2": "openai-community/gpt2",
    "gpt2-medium": "openai-community/gpt2-medium",
    "gpt2-large": "openai-community/gpt2-large",
    "gpt2-xl": "openai-community/gpt2-xl",
}
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
HF_PREFIX = "transformer."


class GPT2CheckpointError(ValueError):
    """A checkpoint is damaged, is not GPT-2, or does not fit the shapes it claims."""


class GPT2WeightsUnavailableError(FileNotFoundError):
    """GPT-2's weights are neither on this machine nor downloadable right now."""


# --------------------------------------------------------------------------------------
# The mapping, step by step (lesson 13 prints it)
# --------------------------------------------------------------------------------------


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
    course_keys: the course parameter(s) it fills; three (q, k, v) for c_attn
    transpose:   a Conv1D weight, [in, out] -> nn.Linear's [out, in]
    """

    hf_key: str
    hf_shape: tuple[int, ...]
    course_keys: tuple[str, ...]
    transpose: bool = False

    @property
    def step(self) -> str:
        """What happens to the tensor, in words."""
        parts = ["transpose [in, out] -> [out, in]"] if self.transpose else []
        if len(self.course_keys) == 3:
            parts.append("split into q, k, v")
        return ", then ".join(parts) or "copy"

    def to_course(self, tensor: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Checkpoint tensor -> the course tensors, in the order of `course_keys` (views, no copy).

        Example: c_attn.weight [C, 3C] -> .T [3C, C] -> rows 0:C, C:2C, 2C:3C = q, k, v, each [C, C]
        """
        if self.transpose:
            tensor = tensor.t()  # Conv1D computes x @ W; nn.Linear computes x @ W.T
        return tensor.chunk(len(self.course_keys), dim=0)  # output features are [q | k | v]

    def to_hf(self, tensors: Sequence[torch.Tensor]) -> torch.Tensor:
        """The inverse of `to_course`: course tensors -> one contiguous checkpoint tensor."""
        tensor = torch.cat(list(tensors), dim=0)
        return (tensor.t() if self.transpose else tensor).contiguous()


def gpt2_tensor_maps(config: GPTConfig) -> list[TensorMap]:
    """Every tensor a GPT-2 checkpoint of this shape holds (besides the dropped mask buffers).

    Example: len(gpt2_tensor_maps(GPTConfig.from_preset("gpt2"))) == 2 + 12 * 12 + 2
    """
    V, T, C = config.vocab_size, config.block_size, config.n_embd
    return [
        # Step 5: wte is also the output layer; the course's lm_head shares this tensor.
        TensorMap("wte.weight", (V, C), ("transformer.wte.weight",)),
        TensorMap("wpe.weight", (T, C), ("transformer.wpe.weight",)),
        *(m for i in range(config.n_layer) for m in _block_maps(i, C)),
        TensorMap("ln_f.weight", (C,), ("transformer.ln_f.weight",)),
        TensorMap("ln_f.bias", (C,), ("transformer.ln_f.bias",)),
    ]


def _block_maps(i: int, C: int) -> list[TensorMap]:
    """The twelve tensors of block i. Apart from c_attn, the course kept GPT-2's names."""
    hf, ours = f"h.{i}.", f"transformer.h.{i}."

    def same(name: str, shape: tuple[int, ...], transpose: bool = False) -> TensorMap:
        return TensorMap(hf + name, shape, (ours + name,), transpose)

    def qkv(kind: str) -> tuple[str, ...]:
        return tuple(f"{ours}attn.{p}.{kind}" for p in ("q_proj", "k_proj", "v_proj"))

    return [
        same("ln_1.weight", (C,)),
        same("ln_1.bias", (C,)),
        TensorMap(hf + "attn.c_attn.weight", (C, 3 * C), qkv("weight"), transpose=True),  # 3, 4
        TensorMap(hf + "attn.c_attn.bias", (3 * C,), qkv("bias")),  # step 4
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
        layer = _layer_of(m.hf_key)
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


def _layer_of(key: str) -> int | None:
    """Example: _layer_of("h.11.mlp.c_fc.bias") -> 11; _layer_of("wte.weight") -> None"""
    match = re.match(r"h\.(\d+)\.", strip_prefix(key))
    return int(match.group(1)) if match else None


def check_tensors(config: GPTConfig, shapes: dict[str, tuple[int, ...]]) -> dict[str, TensorMap]:
    """Match a checkpoint's tensors (stored key -> shape) against GPT-2's; stored key -> map.

    Raises one GPT2CheckpointError naming every missing, unexpected and mis-shaped tensor.
    Mask buffers are dropped. An `lm_head.weight` may be present (written by code that does
    not know the head is tied); it is left out of the plan, and load_gpt2 checks it equals wte.
    """
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
        f"{label} ({len(items)}): {', '.join(items)}"
        for label, items in (
            ("missing", missing),
            ("unexpected", unexpected),
            ("wrong shape", wrong_shape),
        )
        if items
    ]
    if problems:
        raise GPT2CheckpointError(
            f"the checkpoint does not match a GPT-2 with {_describe(config)}:\n  "
            + "\n  ".join(problems)
        )
    return plan


# --------------------------------------------------------------------------------------
# config.json <-> GPTConfig
# --------------------------------------------------------------------------------------

# What the course's GPT computes, as GPT-2's config.json spells it (anything else is rejected).
_FIXED_FIELDS: dict[str, tuple[Any, ...]] = {
    "activation_function": ("gelu_new", "gelu_pytorch_tanh"),  # the tanh GELU of core.model.gpt.MLP
    "layer_norm_epsilon": (1e-5,),  # nn.LayerNorm's default
    "scale_attn_weights": (True,),  # divide scores by sqrt(D)
    "scale_attn_by_inverse_layer_idx": (False,),
    "add_cross_attention": (False,),
    "tie_word_embeddings": (True,),
}


def config_from_hf(hf: dict[str, Any], *, dropout: float = 0.0) -> GPTConfig:
    """A Hugging Face GPT-2 `config.json` (as a dict) -> GPTConfig.

    Example: config_from_hf(transformers.GPT2Config().to_dict()) == GPTConfig.from_preset("gpt2")
    """
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
    return GPTConfig(**shape, dropout=dropout)


def hf_config_dict(config: GPTConfig) -> dict[str, Any]:
    """GPTConfig -> the config.json that transformers' GPT2LMHeadModel reads."""
    if not config.bias:
        raise ValueError("GPTConfig.bias is False, but GPT-2 always has biases: it cannot be saved")
    eos = 50256 if config.vocab_size == GPT2_VOCAB_SIZE else None  # <|endoftext|>
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": config.vocab_size,
        "n_positions": config.block_size,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_inner": None,
        "activation_function": "gelu_new",
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
    names = {strip_prefix(k): tuple(v) for k, v in shapes.items()}
    if "wte.weight" not in names or "wpe.weight" not in names:
        sample = ", ".join(sorted(names)[:6])
        raise GPT2CheckpointError(
            f"this does not look like a GPT-2 checkpoint: it has no wte.weight/wpe.weight "
            f"({len(names)} tensors, such as {sample})"
        )
    (V, C), (T, _) = names["wte.weight"], names["wpe.weight"]
    if C not in _HEADS_BY_WIDTH:
        raise GPT2CheckpointError(
            f"the checkpoint has no config.json, and its width n_embd={C} is not one of GPT-2's "
            f"({sorted(_HEADS_BY_WIDTH)}), so its number of heads is unknown: put the "
            "config.json it came with beside it"
        )
    layers = {_layer_of(k) for k in names} - {None}
    return GPTConfig(
        V, T, n_layer=len(layers), n_head=_HEADS_BY_WIDTH[C], n_embd=C, dropout=dropout
    )


def _describe(config: GPTConfig) -> str:
    fields = ("vocab_size", "block_size", "n_layer", "n_head", "n_embd")
    return ", ".join(f"{f}={getattr(config, f)}" for f in fields)


# --------------------------------------------------------------------------------------
# Finding the files: a local path, or the Hugging Face hub through its cache
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointFiles:
    """Where a checkpoint lies on disk: its safetensors file(s) and its config.json, if any."""

    weights: tuple[Path, ...]
    config: Path | None
    repo_id: str | None = None  # the hub repository it was downloaded from


def resolve_checkpoint(name_or_path: str | os.PathLike) -> CheckpointFiles:
    """A GPT-2 name, a hub repo id ("owner/name"), a `.safetensors` file or a `save_pretrained`
    directory -> the files on disk, downloading through the Hugging Face cache if needed.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return _directory_files(path)
    if path.is_file():
        if path.suffix != ".safetensors":
            raise GPT2CheckpointError(
                f"{path} is not a .safetensors file; load_gpt2 reads safetensors only "
                "(transformers can convert: GPT2LMHeadModel.from_pretrained(...).save_pretrained(dir))"
            )
        config = path.parent / CONFIG_FILE
        return CheckpointFiles((path,), config if config.is_file() else None)
    name = str(name_or_path)
    if path.suffix == ".safetensors":
        raise FileNotFoundError(f"there is no file {path}")
    repo_id = HUB_REPOS.get(name, name)
    if re.fullmatch(r"[\w.-]+/[\w.-]+", repo_id) is None:
        raise ValueError(
            f"name_or_path={name!r} is neither an existing file or directory nor a GPT-2 name "
            f"({', '.join(HUB_REPOS)}) or Hugging Face repository id ('owner/name')"
        )
    return _download(repo_id)


def _directory_files(directory: Path) -> CheckpointFiles:
    config = directory / CONFIG_FILE
    config_path = config if config.is_file() else None
    single, index = directory / WEIGHTS_FILE, directory / f"{WEIGHTS_FILE}.index.json"
    if single.is_file():
        return CheckpointFiles((single,), config_path)
    if index.is_file():  # a large model saved in shards; the index maps each tensor to its file
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return CheckpointFiles(tuple(directory / s for s in shards), config_path)
    raise GPT2CheckpointError(
        f"{directory} holds no {WEIGHTS_FILE} (nor a sharded {index.name}); "
        f"it has {sorted(p.name for p in directory.iterdir())[:10]}"
    )


def _download(repo_id: str) -> CheckpointFiles:
    """config.json and model.safetensors of a hub repository, through huggingface_hub's cache.

    huggingface_hub decides: a cached file is used as is; HF_HUB_OFFLINE=1 forbids the network.
    """
    import huggingface_hub
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    # a typo in a local directory's name also looks like "owner/name": say so
    not_local = "" if repo_id in HUB_REPOS.values() else f" (nor is {repo_id!r} a local path)"
    paths = {}
    for filename in (CONFIG_FILE, WEIGHTS_FILE):
        try:
            paths[filename] = Path(
                huggingface_hub.hf_hub_download(repo_id, filename, tqdm_class=NotebookProgressBar)
            )
        except LocalEntryNotFoundError as err:  # not cached, and offline (or no network)
            message = _unavailable_message(repo_id, filename) + not_local
            raise GPT2WeightsUnavailableError(message) from err
        except RepositoryNotFoundError as err:
            raise GPT2WeightsUnavailableError(
                f"there is no Hugging Face repository {repo_id!r} (or it is private){not_local}; "
                f"GPT-2's are {', '.join(HUB_REPOS.values())}"
            ) from err
        except EntryNotFoundError as err:
            raise GPT2CheckpointError(
                f"the repository {repo_id!r} has no {filename}: load_gpt2 needs a GPT-2 "
                "checkpoint in safetensors format with its config.json"
            ) from err
        except HfHubHTTPError as err:
            raise GPT2WeightsUnavailableError(
                f"downloading {filename} from {repo_id!r} failed ({err}); try again, or "
                "pass the path of a local model.safetensors"
            ) from err
    return CheckpointFiles((paths[WEIGHTS_FILE],), paths[CONFIG_FILE], repo_id)


def _unavailable_message(repo_id: str, filename: str) -> str:
    from huggingface_hub import constants

    name = next((k for k, v in HUB_REPOS.items() if v == repo_id), repo_id)
    size = f" (about {_weights_gb(PRESETS[name]):.1f} GB)" if name in PRESETS else ""
    why = (
        "HF_HUB_OFFLINE=1 forbids downloading it"
        if constants.is_offline_mode()
        else "the Hugging Face hub could not be reached"
    )
    return (
        f"{filename} of {repo_id}{size} is not in the Hugging Face cache "
        f"({constants.HF_HUB_CACHE}), and {why}. To get it: run load_gpt2({name!r}) once "
        f"with network access (and HF_HUB_OFFLINE unset), or `hf download {repo_id} "
        f"{CONFIG_FILE} {WEIGHTS_FILE}`; or point HF_HUB_CACHE at a cache that holds it; "
        "or pass load_gpt2 the path of a downloaded model.safetensors."
    )


def _weights_gb(config: GPTConfig) -> float:
    return count_parameters(config) * 4 / 1e9  # fp32: 4 bytes per parameter


class NotebookProgressBar(tqdm):
    """A tqdm bar that shows as marimo's own progress bar inside a running marimo notebook.

    huggingface_hub draws its download bars with the class given as `tqdm_class`, but marimo
    renders only `mo.status.progress_bar`; so, in a notebook, this class opens one and
    forwards every `update(n)` to it (the terminal bar is then switched off). Elsewhere it is
    plain tqdm. `notebook_bar` is the marimo bar, or None.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import marimo as mo

        self.notebook_bar = self._notebook_cm = None
        in_notebook = mo.running_in_notebook()
        if in_notebook:
            kwargs["disable"] = True
        super().__init__(*args, **kwargs)
        if in_notebook:
            self._notebook_cm = mo.status.progress_bar(
                total=kwargs.get("total") or 0,
                title=kwargs.get("desc") or "Downloading",
                remove_on_exit=True,
            )
            self.notebook_bar = self._notebook_cm.__enter__()
            if kwargs.get("initial"):  # a resumed download starts part-way
                self.notebook_bar.update(increment=kwargs["initial"])

    def update(self, n: float | None = 1) -> bool | None:
        if self.notebook_bar is not None:
            if self.total:  # huggingface_hub may learn the size only after it started
                self.notebook_bar.total = self.total
            self.notebook_bar.update(increment=n)
        return super().update(n)

    def update_transfer(self, n: int) -> None:
        """huggingface_hub reports network bytes here besides file bytes to `update`.

        With this method present it draws one bar instead of two; the file bytes suffice.
        """

    def set_transfer_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        """The rate postfix of that second bar: nothing to draw."""

    def close(self) -> None:
        if self._notebook_cm is not None:
            cm, self._notebook_cm, self.notebook_bar = self._notebook_cm, None, None
            cm.__exit__(None, None, None)
        super().close()


# --------------------------------------------------------------------------------------
# Loading and saving
# --------------------------------------------------------------------------------------


def read_shapes(files: Sequence[Path]) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Stored key -> (index of its file in `files`, shape), from the headers alone (no data read)."""
    shapes: dict[str, tuple[int, tuple[int, ...]]] = {}
    for i, path in enumerate(files):
        with _open(path) as f:
            for key in f.keys():  # noqa: SIM118 (safe_open is not a dict)
                shapes[key] = (i, tuple(f.get_slice(key).get_shape()))
    return shapes


def _open(path: Path):
    try:
        return safe_open(str(path), framework="pt")
    except SafetensorError as err:
        raise GPT2CheckpointError(
            f"{path} is not a readable safetensors file ({err}): most likely a download was "
            "interrupted and the file is truncated. Delete it and download it again (for the "
            "hub cache: hf_hub_download(..., force_download=True))."
        ) from err


class _SkipRandomInit(TorchFunctionMode):
    """Inside this context the `torch.nn.init` functions do nothing.

    `GPT.__init__` draws a random value for every parameter (124M of them for GPT-2, 1.5B
    for GPT-2 XL); when a checkpoint is about to overwrite them all, that is wasted time.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__module__", None) == "torch.nn.init":
            return kwargs.get("tensor", args[0] if args else None)
        return func(*args, **kwargs)


def allocate_gpt(
    config: GPTConfig,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> GPT:
    """A GPT whose parameters have memory but no meaningful values yet: fill them before use.

    The random initialisation is skipped, and memory the model never writes is never
    touched, so this is fast and costs nothing until the parameters are filled.
    Example: allocate_gpt(GPTConfig.from_preset("gpt2"), device="meta").num_parameters() == 124_439_808
    """
    with torch.device(device), _SkipRandomInit():
        model = GPT(config)
    return model.to(dtype)


def load_gpt2(
    name_or_path: str | os.PathLike,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    dropout: float = 0.0,
) -> GPT:
    """GPT-2's weights in the course's GPT, in eval mode.

    name_or_path: "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl" (downloaded once into the
    Hugging Face cache; HF_HUB_OFFLINE=1 uses only the cache), another hub repo id, a local
    model.safetensors, or a directory written by `save_pretrained` / `save_hf`.
    Memory: about one model's worth, plus its largest tensor while it is copied.
    Example: load_gpt2("gpt2").num_parameters() == 124_439_808
    """
    return _load(resolve_checkpoint(name_or_path), device=device, dtype=dtype, dropout=dropout)


def _load(files: CheckpointFiles, *, device, dtype, dropout: float) -> GPT:
    located = read_shapes(files.weights)
    shapes = {key: shape for key, (_, shape) in located.items()}
    if files.config is not None:
        config = config_from_hf(json.loads(files.config.read_text()), dropout=dropout)
    else:
        config = infer_config(shapes, dropout=dropout)
    plan = check_tensors(config, shapes)
    model = allocate_gpt(config, device=device, dtype=dtype)
    params = dict(model.named_parameters())  # the tied head appears once, as wte
    filled = [k for m in plan.values() for k in m.course_keys]
    if sorted(filled) != sorted(params):  # the mapping and core.model.gpt disagree: a bug here
        raise RuntimeError(f"GPT-2 mapping does not cover GPT: {set(params) ^ set(filled)}")
    with torch.no_grad():
        for key, m in plan.items():
            path = files.weights[located[key][0]]
            # safe_open maps the file into memory, and every page read stays mapped (and counts
            # as this process's memory) until the file is closed: opening it per tensor keeps
            # at most one tensor's pages there, so the peak stays about one model.
            with _open(path) as f:
                for name, part in zip(m.course_keys, m.to_course(f.get_tensor(key))):
                    params[name].copy_(part)
        if "lm_head.weight" in located:
            _check_tied_head(files.weights[located["lm_head.weight"][0]], params)
    return model.eval()


def _check_tied_head(path: Path, params: dict[str, torch.Tensor]) -> None:
    wte = params["transformer.wte.weight"]
    with _open(path) as f:
        head = f.get_tensor("lm_head.weight")
    if not torch.equal(head.to(wte), wte):
        raise GPT2CheckpointError(
            f"{path} has an lm_head.weight that differs from wte.weight: the course's GPT ties "
            "the two (as GPT-2 does), so this finetuned, untied head cannot be loaded"
        )


def save_hf(model: GPT, directory: str | os.PathLike) -> Path:
    """Write `model` as a Hugging Face GPT-2 checkpoint: config.json and model.safetensors.

    The layout is `save_pretrained`'s (a `transformer.` prefix, no lm_head), so
    `transformers.GPT2LMHeadModel.from_pretrained(directory)` and `load_gpt2(directory)` read it.
    Returns the directory.
    """
    from safetensors.torch import save_file

    if model.lm_head.weight.data_ptr() != model.transformer.wte.weight.data_ptr():
        raise ValueError("the model's lm_head is not tied to wte, so it is not a GPT-2")
    config_json = hf_config_dict(model.config)
    state = model.state_dict()
    tensors = {
        HF_PREFIX + m.hf_key: m.to_hf([state[k].detach().cpu() for k in m.course_keys])
        for m in gpt2_tensor_maps(model.config)
    }
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / WEIGHTS_FILE), metadata={"format": "pt"})
    (out / CONFIG_FILE).write_text(json.dumps(config_json, indent=2) + "\n")
    return out


# --------------------------------------------------------------------------------------
# Verification against transformers (needs transformers only when called)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """The course's GPT next to transformers' GPT2LMHeadModel on one checkpoint and prompt."""

    max_abs_logit_diff: float  # over every prompt position and vocabulary entry
    greedy_agree: bool  # the greedy continuations are identical
    course_continuation: list[int]  # new token ids only
    reference_continuation: list[int]


def compare_with_transformers(
    model_or_name: GPT | str | os.PathLike,
    prompt_ids: Sequence[int] | torch.Tensor,
    *,
    max_new_tokens: int = 20,
) -> Comparison:
    """Run the course's GPT and transformers' GPT2LMHeadModel side by side.

    model_or_name: a checkpoint name or path (both models then load the same files, each
    with its own code), or a course GPT (transformers then reads it through `save_hf`).
    Logits are compared in float32 on the prompt; the continuations are greedy, the course's
    from `core.model.generate.generate(temperature=0)`, the reference's from `generate(do_sample=False)`.
    """
    import transformers  # the course itself does not depend on transformers

    prompt = torch.as_tensor(prompt_ids, dtype=torch.long).reshape(1, -1)
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        if isinstance(model_or_name, GPT):
            course = model_or_name
            reference_dir = save_hf(course, tmp)
        else:
            files = resolve_checkpoint(model_or_name)
            course = _load(files, device="cpu", dtype=torch.float32, dropout=0.0)
            reference_dir = _reference_directory(files, course.config, Path(tmp))
        reference = transformers.GPT2LMHeadModel.from_pretrained(
            str(reference_dir), dtype=torch.float32, attn_implementation="eager"
        )
    device = next(course.parameters()).device
    reference = reference.to(device).eval()
    prompt = prompt.to(device)
    was_training = course.training
    course.eval()
    try:
        with torch.no_grad():
            ours = course(prompt)[0].float()
            theirs = reference(prompt).logits.float()
        course_ids = generate(course, prompt, max_new_tokens, temperature=0)
    finally:
        course.train(was_training)
    reference.generation_config.eos_token_id = None  # never stop early: the course does not
    reference_ids = reference.generate(
        prompt,
        attention_mask=torch.ones_like(prompt),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=0,
    )
    T = prompt.size(1)
    ours_new, theirs_new = course_ids[0, T:].tolist(), reference_ids[0, T:].tolist()
    return Comparison(
        max_abs_logit_diff=(ours - theirs).abs().max().item(),
        greedy_agree=ours_new == theirs_new,
        course_continuation=ours_new,
        reference_continuation=theirs_new,
    )


def _reference_directory(files: CheckpointFiles, config: GPTConfig, tmp: Path) -> Path:
    """A directory transformers can load the *original* file(s) from, with a config.json."""
    first = files.weights[0]
    beside = files.config is not None and files.config.parent == first.parent
    if beside and (len(files.weights) > 1 or first.name == WEIGHTS_FILE):
        return first.parent  # a save_pretrained directory or a hub snapshot: use it as it is
    (tmp / CONFIG_FILE).write_text(json.dumps(hf_config_dict(config)))
    try:
        (tmp / WEIGHTS_FILE).symlink_to(first.resolve())
    except OSError:  # no symlinks (some Windows setups): copy instead
        import shutil

        shutil.copyfile(first, tmp / WEIGHTS_FILE)
    return tmp
