"""core.gpt2 refusing what it cannot load: one error that says what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import transformers  # a dev dependency: writes the checkpoint of another architecture

from core.gpt2.load import load_gpt2
from core.gpt2.mapping import GPT2CheckpointError
from tests.core.gpt2.fixtures import edit_config, rewrite_safetensors


def copy_dir(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for file in src.iterdir():
        (dst / file.name).write_bytes(file.read_bytes())
    return dst


@pytest.mark.parametrize("keep", [0.5, 0.0001])
def test_truncated_file_says_so(saved_dir, tmp_path, keep):
    directory = copy_dir(saved_dir, tmp_path / "cut")
    weights = directory / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(GPT2CheckpointError, match="truncated") as err:
        load_gpt2(directory)
    assert str(weights) in str(err.value)


def test_checkpoint_of_another_architecture(tmp_path):
    config = transformers.LlamaConfig(
        vocab_size=128,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(tmp_path / "llama")
    with pytest.raises(GPT2CheckpointError, match=r"'llama' model .*LlamaForCausalLM.*not GPT-2"):
        load_gpt2(tmp_path / "llama")
    # the same weights without their config.json: the tensors themselves give it away
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "model.safetensors").write_bytes((tmp_path / "llama/model.safetensors").read_bytes())
    with pytest.raises(GPT2CheckpointError, match=r"no wte.weight.*model.embed_tokens.weight"):
        load_gpt2(alone / "model.safetensors")


def test_size_mismatch_between_config_and_tensors(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "mismatch")
    edit_config(directory, n_positions=128, n_layer=4)
    with pytest.raises(GPT2CheckpointError) as err:
        load_gpt2(directory)
    message = str(err.value)
    assert "n_layer=4" in message
    assert "wpe.weight is [64, 32], expected [128, 32]" in message
    assert "missing (12): h.3.ln_1.weight, h.3.ln_1.bias," in message


def test_one_error_lists_every_missing_unexpected_and_misshaped_tensor(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "broken")

    def damage(tensors):
        del tensors["transformer.h.1.mlp.c_fc.bias"]
        del tensors["transformer.ln_f.weight"]
        tensors["transformer.h.0.attn.rotary.inv_freq"] = torch.ones(4)
        tensors["transformer.h.2.ln_2.weight"] = torch.ones(33)

    rewrite_safetensors(directory / "model.safetensors", damage)
    with pytest.raises(GPT2CheckpointError) as err:
        load_gpt2(directory)
    lines = str(err.value).splitlines()[1:]
    assert [line.strip() for line in lines] == [
        "missing (2): h.1.mlp.c_fc.bias, ln_f.weight",
        "unexpected (1): transformer.h.0.attn.rotary.inv_freq",
        "wrong shape (1): transformer.h.2.ln_2.weight is [33], expected [32]",
    ]


def test_untied_head_is_refused_and_a_tied_copy_accepted(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "head")
    rewrite_safetensors(
        directory / "model.safetensors",
        lambda t: t.update({"lm_head.weight": t["transformer.wte.weight"].clone()}),
    )
    load_gpt2(directory)  # an explicit copy of wte is fine
    rewrite_safetensors(
        directory / "model.safetensors",
        lambda t: t.update({"lm_head.weight": t["lm_head.weight"] + 1}),
    )
    with pytest.raises(GPT2CheckpointError, match="differs from wte"):
        load_gpt2(directory)


def test_unsupported_gpt2_variant_is_refused(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "relu")
    edit_config(directory, activation_function="relu", layer_norm_epsilon=1e-6)
    with pytest.raises(
        GPT2CheckpointError, match=r"activation_function='relu'.*layer_norm_epsilon"
    ):
        load_gpt2(directory)


def test_bare_file_of_unknown_width_asks_for_its_config(saved_dir, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "w.safetensors").write_bytes((saved_dir / "model.safetensors").read_bytes())
    with pytest.raises(GPT2CheckpointError, match=r"n_embd=32.*config.json"):
        load_gpt2(alone / "w.safetensors")
