"""Where a checkpoint's files are: a local file or folder, or the Hugging Face hub via its cache.

`resolve_checkpoint(name_or_path)` turns "gpt2" (or another GPT-2 size, or any "owner/name"
repository id, or a local `.safetensors` file, or a `save_pretrained` directory, sharded or
not) into `CheckpointFiles`: the safetensors file(s) and the config.json beside them.

Downloading, caching, resuming and offline mode are huggingface_hub's (`hf_hub_download`): it
is the well-kept library for exactly this, and the course adds only what a learner needs on
top, an error that names the file, its size, the cache folder and how to get it
(`GPT2WeightsUnavailableError`, a FileNotFoundError). Progress bars are huggingface_hub's
(tqdm.auto); a notebook may pass its own `tqdm_class` (see `core.gpt2`). Nothing here reads
tensors: `load.py` does.

Example:
    >>> resolve_checkpoint("gpt2").weights  # offline: from the cache, or a clear error
    (PosixPath('.../snapshots/607a30d.../model.safetensors'),)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from core.gpt2.mapping import GPT2CheckpointError, first_few
from core.model.config import PRESETS, GPTConfig, count_parameters

# The four sizes OpenAI released, as Hugging Face repositories.
HUB_REPOS: dict[str, str] = {
    "gpt2": "openai-community/gpt2",
    "gpt2-medium": "openai-community/gpt2-medium",
    "gpt2-large": "openai-community/gpt2-large",
    "gpt2-xl": "openai-community/gpt2-xl",
}
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


class GPT2WeightsUnavailableError(FileNotFoundError):
    """GPT-2's weights are neither on this machine nor downloadable right now."""


@dataclass(frozen=True)
class CheckpointFiles:
    """Where a checkpoint lies on disk: its safetensors file(s) and its config.json, if any."""

    weights: tuple[Path, ...]
    config: Path | None
    repo_id: str | None = None  # the hub repository it was downloaded from


def resolve_checkpoint(
    name_or_path: str | os.PathLike, *, tqdm_class: type | None = None
) -> CheckpointFiles:
    """A GPT-2 name, a hub repo id ("owner/name"), a `.safetensors` file or a `save_pretrained`
    directory -> the files on disk, downloading through the Hugging Face cache if needed.

    tqdm_class: the progress bar of a download (huggingface_hub's tqdm.auto bar when None).
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
    return _download(repo_id, tqdm_class)


def _directory_files(directory: Path) -> CheckpointFiles:
    config = directory / CONFIG_FILE
    config_path = config if config.is_file() else None
    single, index = directory / WEIGHTS_FILE, directory / f"{WEIGHTS_FILE}.index.json"
    if single.is_file():
        return CheckpointFiles((single,), config_path)
    if index.is_file():  # a large model saved in shards; the index maps each tensor to its file
        return CheckpointFiles(_shards(index), config_path)
    raise GPT2CheckpointError(
        f"{directory} holds no {WEIGHTS_FILE} (nor a sharded {index.name}); "
        f"it has {first_few(sorted(p.name for p in directory.iterdir()))}"
    )


def _shards(index: Path) -> tuple[Path, ...]:
    """The shard files a `model.safetensors.index.json` names, each checked to lie in its folder.

    The index is data from wherever the checkpoint came from: a name such as
    "../outside.safetensors", an absolute path, or a symlink that leads out of the folder
    would make the loader read a file that is not part of the checkpoint, so each is refused.
    In a huggingface_hub cache a snapshot's files are links into the repository's `blobs/`
    folder beside it; those are followed.
    """
    try:
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        names = sorted(set(weight_map.values()))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as err:
        raise GPT2CheckpointError(
            f"{index} is not a safetensors shard index ({type(err).__name__}: {err}); it must be "
            'JSON with a "weight_map" of tensor name -> shard file, as save_pretrained writes'
        ) from None
    directory = index.parent.resolve()
    allowed = [directory]
    repo = directory.parent.parent
    if directory.parent.name == "snapshots" and repo.name.startswith("models--"):
        allowed.append(repo / "blobs")  # huggingface_hub's cache: links to ../../blobs/
    shards = []
    for name in names:
        if not isinstance(name, str) or not name:
            raise GPT2CheckpointError(f"{index} names a shard {name!r}, which is not a file name")
        path = Path(name)
        target = (index.parent / path).resolve()
        inside = any(target.is_relative_to(root) for root in allowed)
        if path.is_absolute() or ".." in path.parts or not inside:
            raise GPT2CheckpointError(
                f"{index} names the shard {name!r}, which lies outside {index.parent}"
                + ("" if path.is_absolute() or ".." in path.parts else f" (it leads to {target})")
                + ": a checkpoint's shards must be files inside its own folder"
            )
        if not target.is_file():
            raise GPT2CheckpointError(
                f"{index} names the shard {name!r}, but {index.parent} has no such file: "
                "the checkpoint is incomplete (download every shard the index lists)"
            )
        shards.append(index.parent / path)
    return tuple(shards)


def _download(repo_id: str, tqdm_class: type | None) -> CheckpointFiles:
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
                huggingface_hub.hf_hub_download(repo_id, filename, tqdm_class=tqdm_class)
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
