"""Fixtures the GPT-2 tests share: one small random GPT-2 from transformers, saved once."""

from __future__ import annotations

import pytest

from tests.core.gpt2.fixtures import PROMPT, hf_greedy, random_hf_gpt2


@pytest.fixture(scope="session")
def hf_model():
    return random_hf_gpt2(seed=0)


@pytest.fixture(scope="session")
def saved_dir(hf_model, tmp_path_factory):
    """What transformers' save_pretrained writes: `transformer.` prefix, no lm_head."""
    directory = tmp_path_factory.mktemp("save_pretrained")
    hf_model.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def hf_continuation(hf_model):
    """transformers' own greedy continuation of PROMPT: 30 new tokens."""
    return hf_greedy(hf_model, PROMPT, 30)
