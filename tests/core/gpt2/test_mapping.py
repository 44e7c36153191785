"""core.gpt2.mapping and core.gpt2.hf_config: the tensor-by-tensor mapping and the sizes."""

from __future__ import annotations

import torch
import transformers  # a dev dependency: the reference implementation

from core.gpt2.hf_config import config_from_hf, infer_config
from core.gpt2.load import allocate_gpt
from core.gpt2.mapping import (
    TensorMap,
    check_tensors,
    gpt2_tensor_maps,
    mapping_rows,
    sizes_in,
)
from core.model.attention import CausalSelfAttention
from core.model.config import GPTConfig


def test_conv1d_c_attn_becomes_the_fused_linear_and_its_thirds_are_q_k_v():
    """transformers' Conv1D computes x @ W + b with W [in, out]; to_course gives nn.Linear's."""
    from transformers.pytorch_utils import Conv1D

    torch.manual_seed(0)
    C = 8
    conv = Conv1D(3 * C, C)  # (nf=out, nx=in), like c_attn
    torch.nn.init.normal_(conv.bias)
    x = torch.randn(2, 5, C)
    key = "transformer.h.0.attn.c_attn"
    m_w = TensorMap("h.0.attn.c_attn.weight", (C, 3 * C), (f"{key}.weight",), transpose=True)
    m_b = TensorMap("h.0.attn.c_attn.bias", (3 * C,), (f"{key}.bias",))
    assert conv.weight.shape == (C, 3 * C)
    ((w,), (b,)) = m_w.to_course(conv.weight), m_b.to_course(conv.bias)
    assert w.shape == (3 * C, C)
    torch.testing.assert_close(torch.nn.functional.linear(x, w, b), conv(x))
    # loaded into the course's attention, its W_Q, W_K, W_V give GPT-2's q, k, v
    attn = CausalSelfAttention(GPTConfig(50, 8, n_layer=1, n_head=2, n_embd=C))
    with torch.no_grad():
        attn.c_attn.weight.copy_(w)
        attn.c_attn.bias.copy_(b)
    expected = conv(x).split(C, dim=-1)  # GPT-2 splits c_attn's output into q, k, v
    for W, bias, want in zip(
        (attn.W_Q, attn.W_K, attn.W_V), (attn.q_bias, attn.k_bias, attn.v_bias), expected
    ):
        torch.testing.assert_close(x @ W + bias, want)
    # and back: to_hf undoes to_course exactly
    assert torch.equal(m_w.to_hf(m_w.to_course(conv.weight)), conv.weight)


def test_mapping_covers_every_parameter_of_the_124m_model_once():
    hf_config = transformers.GPT2Config().to_dict()  # transformers' defaults are GPT-2 124M
    config = config_from_hf(hf_config)
    assert config == GPTConfig.from_preset("gpt2")
    model = allocate_gpt(config, device="meta")  # shapes only: nothing is allocated
    assert model.num_parameters() == 124_439_808
    maps = gpt2_tensor_maps(config)
    assert sum(torch.Size(m.hf_shape).numel() for m in maps) == 124_439_808
    course_keys = [k for m in maps for k in m.course_keys]
    assert sorted(course_keys) == sorted(name for name, _ in model.named_parameters())
    assert model.lm_head.weight is model.transformer.wte.weight


def test_infer_config_from_the_shapes_of_the_hub_file():
    """A bare model.safetensors (no config.json) of GPT-2 124M, as the hub stores it."""
    config = GPTConfig.from_preset("gpt2")
    shapes = {m.hf_key: m.hf_shape for m in gpt2_tensor_maps(config)}
    shapes.update({f"h.{i}.attn.bias": (1, 1, 1024, 1024) for i in range(12)})
    assert infer_config(shapes) == config
    assert len(check_tensors(config, shapes)) == len(shapes) - 12  # the masks are dropped


def test_mapping_rows_show_each_kind_of_tensor_once():
    rows = mapping_rows(GPTConfig.from_preset("gpt2"))
    by_name = {r["checkpoint"]: r for r in rows}
    assert len(rows) == 2 + 12 + 2 + 2  # embeddings, one block, ln_f, mask, tied head
    assert by_name["h.0.attn.c_attn.weight"]["shape"] == "[768, 2304]"
    assert (
        by_name["h.0.attn.c_attn.weight"]["step"]
        == "transpose [in, out] -> [out, in]; rows [q; k; v]"
    )
    assert by_name["h.0.attn.c_attn.weight"]["course"] == "transformer.h.0.attn.c_attn.weight"
    assert by_name["h.0.attn.c_attn.bias"]["step"] == "copy; entries [q | k | v]"
    assert by_name["h.0.attn.bias"]["step"] == "drop (causal mask)"
    assert by_name["wpe.weight"]["step"] == "copy"


def test_sizes_in_reads_the_sizes_the_tensors_show():
    shapes = {"wte.weight": (50257, 768), "transformer.h.0.ln_1.bias": (768,), "h.11.x": (1,)}
    assert sizes_in(shapes) == {"n_layer": 2, "vocab_size": 50257, "n_embd": 768}
    assert sizes_in({"wpe.weight": (1024, 768)}) == {"n_layer": 0, "block_size": 1024}
    assert sizes_in({"wte.weight": (5,)}) == {"n_layer": 0}  # not 2-D: no sizes from it
