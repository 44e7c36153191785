"""core.gpt2.compare: the course's GPT beside transformers' on one checkpoint and prompt."""

from __future__ import annotations

import torch

import core.gpt2.mapping
from core.gpt2.compare import compare_with_transformers
from core.gpt2.mapping import TensorMap
from core.model.config import GPTConfig
from core.model.gpt import GPT
from tests.core.gpt2.fixtures import PROMPT


def test_compare_with_transformers_on_a_checkpoint(saved_dir, hf_continuation):
    report = compare_with_transformers(saved_dir, PROMPT, max_new_tokens=30)
    assert report.max_abs_logit_diff <= 1e-5
    assert report.greedy_agree
    assert report.reference_continuation == hf_continuation
    assert report.course_continuation == report.reference_continuation


def test_compare_with_transformers_on_a_file_transformers_cannot_open_by_itself(
    saved_dir, tmp_path, hf_continuation
):
    """A file not named model.safetensors: the helper gives transformers a directory for it."""
    (tmp_path / "config.json").write_bytes((saved_dir / "config.json").read_bytes())
    weights = tmp_path / "weights.safetensors"
    weights.write_bytes((saved_dir / "model.safetensors").read_bytes())
    report = compare_with_transformers(weights, PROMPT, max_new_tokens=30)
    assert report.max_abs_logit_diff <= 1e-5
    assert report.reference_continuation == hf_continuation == report.course_continuation


def test_compare_with_transformers_sees_a_mapping_bug(saved_dir, monkeypatch):
    """Forget the Conv1D transpose of attn.c_proj (square, so every shape still fits)."""
    real_maps = core.gpt2.mapping.gpt2_tensor_maps

    def buggy(config):
        return [
            TensorMap(m.hf_key, m.hf_shape, m.course_keys, transpose=False)
            if m.hf_key.endswith("attn.c_proj.weight")
            else m
            for m in real_maps(config)
        ]

    monkeypatch.setattr(core.gpt2.mapping, "gpt2_tensor_maps", buggy)
    report = compare_with_transformers(saved_dir, PROMPT, max_new_tokens=1)
    assert report.max_abs_logit_diff > 1e-2


def test_compare_with_transformers_on_a_course_model():
    torch.manual_seed(2)
    course = GPT(GPTConfig(50257, 32, n_layer=1, n_head=2, n_embd=16)).train()
    report = compare_with_transformers(course, PROMPT, max_new_tokens=8)
    assert report.max_abs_logit_diff <= 1e-5
    assert report.greedy_agree and len(report.course_continuation) == 8
    assert course.training  # left as it was found
