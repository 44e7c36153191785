"""core.gpt2 refusing what it cannot load: one error that says what is wrong and what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import transformers  # a dev dependency: writes the checkpoint of another architecture

from core.gpt2 import load, mapping
from core.gpt2.load import load_gpt2
from core.gpt2.mapping import GPT2CheckpointError, first_few
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


def test_a_tensor_of_the_wrong_shape_is_listed(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "mismatch")
    rewrite_safetensors(
        directory / "model.safetensors",
        lambda t: t.update({"transformer.wpe.weight": t["transformer.wpe.weight"][:, :16].clone()}),
    )
    with pytest.raises(GPT2CheckpointError, match=r"wpe.weight is \[64, 16\], expected \[64, 32\]"):
        load_gpt2(directory)


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


# --- a config.json that the tensors contradict is refused before anything is built ----------


@pytest.mark.parametrize("n_layer", [10**5, 10**9])
def test_huge_n_layer_is_refused_from_the_tensors_alone(saved_dir, tmp_path, monkeypatch, n_layer):
    """Was: 12 tensor maps per claimed layer (a 28-million-character message at 10**5,
    out of memory at 10**9). Now the file's tensor names refute the config first."""
    directory = copy_dir(saved_dir, tmp_path / "huge")
    edit_config(directory, n_layer=n_layer)

    def must_not_build(*args, **kwargs):
        raise AssertionError("built from a config the tensors were not checked against")

    monkeypatch.setattr(mapping, "gpt2_tensor_maps", must_not_build)
    monkeypatch.setattr(load, "allocate_gpt", must_not_build)
    with pytest.raises(GPT2CheckpointError) as err:
        load_gpt2(directory)
    message = str(err.value)
    assert f"n_layer={n_layer:,}, but the tensors hold 3 blocks (h.0 to h.2)" in message
    assert str(directory / "config.json") in message and len(message) < 1000


def test_every_size_the_tensors_contradict_is_named(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "mismatch")
    edit_config(directory, n_positions=128, n_layer=4, vocab_size=50258)
    with pytest.raises(GPT2CheckpointError) as err:
        load_gpt2(directory)
    message = str(err.value)
    assert "vocab_size=50,258, but the tensors say 50,257 (wte.weight)" in message
    assert "block_size=128, but the tensors say 64 (wpe.weight)" in message
    assert "n_layer=4, but the tensors hold 3 blocks" in message


def test_long_lists_in_errors_are_cut_short(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "extra")

    def add_extras(tensors):
        tensors.update({f"extra.{i:05d}": torch.ones(1) for i in range(5000)})

    rewrite_safetensors(directory / "model.safetensors", add_extras)
    with pytest.raises(GPT2CheckpointError) as err:
        load_gpt2(directory)
    message = str(err.value)
    assert "unexpected (5,000): extra.00000, extra.00001," in message
    assert "extra.00009 and 4,990 more" in message and len(message) < 1000


def test_first_few():
    assert first_few([]) == "" and first_few(["a", "b"], 2) == "a, b"
    assert first_few([str(i) for i in range(100_000)], 3) == "0, 1, 2 and 99,997 more"


# --- the files themselves: config.json and the shard index ---------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"model_type": "gpt2", "n_layer": 3,', "is not valid JSON"),
        (b"\xff\xfe not utf-8", "is not valid JSON"),
        (b"[1, 2, 3]", "must hold a JSON object"),
        (b'{"model_type": "gpt2", "n_layer": 3}', "no 'n_embd' field"),
    ],
)
def test_a_malformed_config_json_is_named(saved_dir, tmp_path, content, message):
    directory = copy_dir(saved_dir, tmp_path / "bad-config")
    (directory / "config.json").write_bytes(content)
    with pytest.raises(GPT2CheckpointError, match=message) as err:
        load_gpt2(directory)
    assert str(directory / "config.json") in str(err.value)


def test_a_config_size_of_the_wrong_type_is_named(saved_dir, tmp_path):
    directory = copy_dir(saved_dir, tmp_path / "typed")
    edit_config(directory, n_layer="3")
    with pytest.raises(GPT2CheckpointError, match=r"config.json.*n_layer must be an int, got '3'"):
        load_gpt2(directory)


@pytest.fixture(scope="module")
def sharded_dir(tmp_path_factory):
    from tests.core.gpt2.fixtures import random_hf_gpt2

    directory = tmp_path_factory.mktemp("sharded")
    random_hf_gpt2(seed=1, n_layer=2).save_pretrained(directory, max_shard_size="2MB")
    assert len(list(directory.glob("model-*.safetensors"))) > 1
    return directory


def rename_shard(directory: Path, new_name: str) -> None:
    """Point the index's entries for the first shard at `new_name`."""
    index_path = directory / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    old = sorted(set(index["weight_map"].values()))[0]
    index["weight_map"] = {k: new_name if v == old else v for k, v in index["weight_map"].items()}
    index_path.write_text(json.dumps(index))


@pytest.mark.parametrize("where", ["parent", "absolute", "symlink"])
def test_shards_outside_the_checkpoint_folder_are_refused(sharded_dir, tmp_path, where):
    directory = copy_dir(sharded_dir, tmp_path / "ckpt")
    outside = tmp_path / "outside.safetensors"
    first = sorted(directory.glob("model-*.safetensors"))[0]
    outside.write_bytes(first.read_bytes())  # a loadable file: only its place is wrong
    if where == "parent":
        name = "../outside.safetensors"
        rename_shard(directory, name)
    elif where == "absolute":
        name = str(outside)
        rename_shard(directory, name)
    else:
        first.unlink()
        first.symlink_to(outside)
        name = first.name
    with pytest.raises(GPT2CheckpointError, match="outside") as err:
        load_gpt2(directory)
    assert "model.safetensors.index.json" in str(err.value) and repr(name) in str(err.value)


def test_a_missing_or_malformed_shard_index_is_named(sharded_dir, tmp_path):
    directory = copy_dir(sharded_dir, tmp_path / "ckpt")
    rename_shard(directory, "model-00009-of-00009.safetensors")
    with pytest.raises(GPT2CheckpointError, match="has no such file"):
        load_gpt2(directory)
    index = directory / "model.safetensors.index.json"
    for content in ('{"weight_map": ', '{"metadata": {}}', '{"weight_map": [1]}'):
        index.write_text(content)
        with pytest.raises(GPT2CheckpointError, match="not a safetensors shard index") as err:
            load_gpt2(directory)
        assert str(index) in str(err.value)


def test_sharded_snapshot_in_a_hub_cache_follows_its_blob_links(sharded_dir, tmp_path):
    from tests.core.gpt2.fixtures import make_hub_cache

    snapshot = make_hub_cache(tmp_path / "hub", "someone/sharded-gpt2", sharded_dir)
    assert (snapshot / "model.safetensors.index.json").is_symlink()
    model = load_gpt2(snapshot)
    assert model.config.n_layer == 2
