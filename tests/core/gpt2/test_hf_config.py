"""core.gpt2.hf_config: GPTConfig.gelu <-> config.json's activation_function."""

from __future__ import annotations

import pytest
import torch
import transformers  # a dev dependency: the reference implementation

from core.gpt2.compare import compare_with_transformers
from core.gpt2.hf_config import config_from_hf, hf_config_dict
from core.gpt2.mapping import GPT2CheckpointError
from core.model.config import GPTConfig
from core.model.gpt import GPT
from tests.core.gpt2.fixtures import PROMPT


@pytest.mark.parametrize(
    "activation, gelu",
    [("gelu_new", "tanh"), ("gelu_pytorch_tanh", "tanh"), ("gelu", "exact"), (None, "tanh")],
)
def test_activation_function_gives_the_gelu(activation, gelu):
    hf = transformers.GPT2Config().to_dict()
    if activation is None:  # absent: GPT-2's own, as transformers assumes
        del hf["activation_function"]
    else:
        hf["activation_function"] = activation
    assert config_from_hf(hf) == GPTConfig.from_preset("gpt2", gelu=gelu)


@pytest.mark.parametrize("gelu, activation", [("tanh", "gelu_new"), ("exact", "gelu")])
def test_the_gelu_is_written_back_and_read_again(gelu, activation):
    config = GPTConfig.from_preset("gpt2", gelu=gelu)
    hf = hf_config_dict(config)
    assert hf["activation_function"] == activation
    assert config_from_hf(hf) == config


@pytest.mark.parametrize("activation", ["gelu_fast", "quick_gelu", "relu"])
def test_a_gelu_the_course_does_not_compute_is_refused(activation):
    hf = {**transformers.GPT2Config().to_dict(), "activation_function": activation}
    with pytest.raises(GPT2CheckpointError, match=rf"activation_function='{activation}'.*'gelu'"):
        config_from_hf(hf)


def test_a_course_model_with_the_exact_gelu_equals_transformers_gpt2_with_gelu():
    """save_hf writes "gelu", and transformers' GPT-2 then computes what the course's does."""
    torch.manual_seed(3)
    course = GPT(GPTConfig(50257, 32, n_layer=1, n_head=2, n_embd=16, gelu="exact"))
    with torch.no_grad():  # the fixtures' scale (0.3): MLP inputs where the GELUs differ
        for p in course.parameters():
            p.normal_(std=0.3)
    report = compare_with_transformers(course, PROMPT, max_new_tokens=4)
    assert report.max_abs_logit_diff <= 1e-5
    tanh = GPT(course.config.replace(gelu="tanh"))
    tanh.load_state_dict(course.state_dict())
    idx = torch.tensor([PROMPT])
    assert (tanh(idx)[0] - course.eval()(idx)[0]).abs().max() > 1e-4  # 10x the tolerance
