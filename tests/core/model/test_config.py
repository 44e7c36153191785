import pytest

from core.model.config import PRESETS, GPTConfig, count_parameters

# Published GPT-2 sizes, counted with the LM head tied to the token embedding.
GPT2_PARAMS = {
    "gpt2": 124_439_808,
    "gpt2-medium": 354_823_168,
    "gpt2-large": 774_030_080,
    "gpt2-xl": 1_557_611_200,
}


@pytest.mark.parametrize("name, expected", GPT2_PARAMS.items())
def test_gpt2_parameter_counts(name, expected):
    assert count_parameters(GPTConfig.from_preset(name)) == expected


def test_count_without_position_embeddings():
    cfg = GPTConfig.from_preset("gpt2")
    assert count_parameters(cfg, include_position_embeddings=False) == 124_439_808 - 1024 * 768


def test_presets_are_valid_and_aliases_agree():
    assert PRESETS["gpt2-124m"] == PRESETS["gpt2"]
    cfg = GPTConfig.from_preset("shakespeare-char-cpu")
    assert (cfg.n_layer, cfg.n_head, cfg.n_embd, cfg.block_size) == (4, 4, 128, 64)
    assert GPTConfig.from_preset("gpt2", dropout=0.1).dropout == 0.1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"n_embd": 30, "n_head": 4}, "n_embd"),
        ({"n_layer": 0}, "n_layer"),
        ({"vocab_size": -1}, "vocab_size"),
        ({"block_size": 0}, "block_size"),
        ({"n_head": 0}, "n_head"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"n_embd": 16.0}, "n_embd"),
        ({"gelu": "erf"}, "gelu"),
        ({"gelu": None}, "gelu"),
    ],
)
def test_invalid_configs_name_the_field(changes, field):
    base = {"vocab_size": 10, "block_size": 8, "n_layer": 1, "n_head": 2, "n_embd": 8}
    with pytest.raises(ValueError, match=field):
        GPTConfig(**{**base, **changes})


def test_unknown_preset_and_unknown_field():
    with pytest.raises(ValueError, match="unknown GPTConfig preset 'gpt3'"):
        GPTConfig.from_preset("gpt3")
    with pytest.raises(ValueError, match="n_embed"):
        GPTConfig.from_dict({**PRESETS["tiny"].to_dict(), "n_embed": 3})


def test_dict_round_trip():
    cfg = GPTConfig.from_preset("shakespeare-char")
    assert GPTConfig.from_dict(cfg.to_dict()) == cfg


def test_gelu_is_tanh_for_gpt2_and_exact_for_the_from_scratch_presets():
    for name in ("gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "tiny"):
        assert GPTConfig.from_preset(name).gelu == "tanh"  # GPT-2's weights need the tanh form
    for name in ("shakespeare-char-cpu", "shakespeare-char"):
        assert GPTConfig.from_preset(name).gelu == "exact"  # nanoGPT's, faster on CPUs
    cfg = GPTConfig.from_preset("shakespeare-char-cpu")
    assert count_parameters(cfg) == count_parameters(cfg.replace(gelu="tanh"))


def test_a_config_saved_before_the_gelu_field_gets_tanh():
    """Every model built before the field existed used the tanh GELU."""
    old = GPTConfig.from_preset("shakespeare-char").to_dict()
    del old["gelu"]
    assert GPTConfig.from_dict(old).gelu == "tanh"
