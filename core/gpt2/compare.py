"""The course's GPT beside `transformers`' GPT2LMHeadModel: the oracle for `load.py`.

`compare_with_transformers` runs both on the same checkpoint and prompt and reports the largest
logit difference (float32 rounding when the mapping is right; a forgotten transpose shows as
an error of order 1) and whether the greedy continuations agree. transformers is the reference
implementation, imported only here and only when called: the course itself does not need it.

Example:
    >>> report = compare_with_transformers("gpt2", prompt_ids=[15496, 11], max_new_tokens=20)
    >>> report.greedy_agree  # and report.max_abs_logit_diff is about 1e-5
    True
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from core.gpt2.hf_config import hf_config_dict
from core.gpt2.hub import CONFIG_FILE, WEIGHTS_FILE, CheckpointFiles, resolve_checkpoint
from core.gpt2.load import load_files, save_hf
from core.model.config import GPTConfig
from core.model.generate import generate
from core.model.gpt import GPT


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
    import transformers  # a dev dependency: the reference, needed only here

    prompt = torch.as_tensor(prompt_ids, dtype=torch.long).reshape(1, -1)
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        if isinstance(model_or_name, GPT):
            course = model_or_name
            reference_dir = save_hf(course, tmp)
        else:
            files = resolve_checkpoint(model_or_name)
            course = load_files(files)
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
        shutil.copyfile(first, tmp / WEIGHTS_FILE)
    return tmp
