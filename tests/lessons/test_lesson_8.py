"""Lesson 8 (the transformer block) headless: its exercises, and its numbers against core.

The lesson runs with `app.run(defs=...)`, which replaces the cells holding the learner's answers
(see tests/lessons/test_lessons.py). Its numbers are computed here again with core's torch model
and torch autograd, on the same weights.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from core.mirrors.depth import depth_profile, random_stack
from core.model import GPTConfig, count_parameters
from core.model.gpt import Block
from tests.core.mirrors.test_depth import _torch_stack
from tests.lessons.test_lessons import callout_kinds, element

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "4-2-8-the-transformer-block.py"
RIGHT = {
    "prediction_radio": "over a million times smaller",
    "no_norm_radio": "hundreds of times larger or more",
}


def load_app():
    spec = importlib.util.spec_from_file_location("lesson_8", LESSON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def run(**answers):
    return load_app().run(defs={k: element(v) for k, v in answers.items()})


@pytest.fixture(scope="module")
def default_run():
    return load_app().run()


def torch_block_parameters(C: int, n_head: int = 4) -> int:
    return sum(p.numel() for p in Block(GPTConfig(10, 8, 1, n_head, C)).parameters())


def test_unanswered_exercises_are_not_green(default_run):
    outputs, _ = default_run
    for exercise in (1, 2, 3):
        assert callout_kinds(outputs, exercise) == ["neutral"], exercise


def test_right_answers_turn_green():
    outputs, _ = run(**RIGHT, block_count_number=torch_block_parameters(256))
    for exercise in (1, 2, 3):
        assert callout_kinds(outputs, exercise) == ["success"], exercise


def test_wrong_answers_get_a_hint_naming_the_mistake():
    C = 256
    outputs, _ = run(
        prediction_radio="about the same (within 10×)",
        no_norm_radio="about the same",
        block_count_number=12 * C * C,  # the matrices only
    )
    for exercise in (1, 2, 3):
        assert callout_kinds(outputs, exercise) == ["warn"], exercise
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert "add the biases" in text
    outputs, _ = run(block_count_number=12 * C * C + 9 * C)  # no LayerNorms
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert "left out the two LayerNorms" in text


def test_the_experiment_waits_for_a_prediction(default_run):
    outputs, _ = default_run
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert "appears here once you have made a prediction" in text
    assert "All five wirings" not in text
    assert "What the residual path buys" not in text  # its sliders come with the experiment


def test_block_count_equals_torch(default_run):
    _, defs = default_run
    for C in (16, 256, 768):
        parts = defs["block_parameters"](C)
        assert sum(parts.values()) == torch_block_parameters(C) == 12 * C * C + 13 * C
    # and GPT-2 small's total, from core's own count: embeddings, 12 blocks, the final LN
    config = GPTConfig.from_preset("gpt2")
    C, V, T = config.n_embd, config.vocab_size, config.block_size
    per_block = (count_parameters(config) - V * C - T * C - 2 * C) // config.n_layer
    assert sum(defs["block_parameters"](768).values()) == per_block == 7_087_872


def test_exercise_1s_measurement_equals_torch_autograd(default_run):
    """The plain stack's gradient at the bottom over the top, N = 24, gain 1, via autograd."""
    _, defs = default_run
    profile = defs["measure"]("plain", 24, 1.0)
    layers, final = random_stack(48, 64, gain=1.0, seed=0)
    out, stream, _, _ = _torch_stack(defs["X_DEPTH"], layers[:24], final, "plain", "tanh")
    (out * torch.tensor(defs["READOUT"])).sum().backward()
    expected = stream[0].grad.norm() / torch.tensor(defs["READOUT"]).norm()
    assert defs["gradient_ratio"](profile) == pytest.approx(float(expected), rel=1e-9)
    assert defs["gradient_ratio"](profile) < 1e-6  # "over a million times smaller"


def test_the_block_and_the_stream_equal_core(default_run):
    _, defs = default_run
    assert defs["block_gap"] < 1e-12
    assert defs["stream_gap"] < 1e-12
    assert defs["layer_norm_gap"] < 1e-12
    # the toy GPT's block in torch (core's Block), on the same weights
    gpt = defs["toy_gpt"]
    block = Block(GPTConfig(24, 8, 3, 4, 16)).double().eval()
    with torch.no_grad():
        for name, p in block.named_parameters():
            p.copy_(torch.from_numpy(gpt.weights[f"h.0.{name}"]))
        expected, _ = block(torch.from_numpy(defs["x0"])[None])
    mine, _, _ = defs["my_block"](defs["x0"], 0)
    np.testing.assert_allclose(mine, expected[0].numpy(), atol=1e-12)


def test_attention_reads_and_the_mlp_stays_put():
    for poked in (0, 2, 5):
        _, defs = run(poke_slider=poked)
        attention, mlp_moved = defs["poke_changes"].T
        assert np.flatnonzero(mlp_moved > 1e-12).tolist() == [poked]
        assert np.flatnonzero(attention > 1e-12).tolist() == list(range(poked, 6))


def test_layer_norm_ignores_scale_and_offset():
    outputs, _ = run(scale_slider=10, offset_slider=-3.5)
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert "does <strong>not move</strong>" in text or "does **not move**" in text
    outputs, _ = run(scale_slider=-1, offset_slider=0)
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert "flips" in text


def test_top_layer_gradient_table_equals_torch_and_shows_xiong():
    """Section 2's table: ‖dL/d(top layer's weights)‖ per depth, against torch autograd; and
    what the prose says of it (post-norm's flat, pre-norm's falling about as 1/√N)."""
    _, defs = run(prediction_radio=RIGHT["prediction_radio"])
    table, depths = defs["top_weight_grad"], defs["TOP_DEPTHS"]
    layers, final = random_stack(48, 64, gain=1.0, seed=0)
    readout = torch.tensor(defs["READOUT"])
    for wiring in ("pre-norm", "post-norm"):
        for n, measured in zip(depths, table[wiring]):
            out, _, params, _ = _torch_stack(defs["X_DEPTH"], layers[:n], final, wiring, "tanh")
            (out * readout).sum().backward()
            top = params[n - 1]
            expected = torch.sqrt(top["c_fc.weight"].grad.square().sum()
                                  + top["c_proj.weight"].grad.square().sum())  # fmt: skip
            assert measured == pytest.approx(float(expected), rel=1e-9), (wiring, n)
    pre, post = np.array(table["pre-norm"]), np.array(table["post-norm"])
    assert post.max() / post.min() < 1.2  # flat in N
    assert np.all(np.diff(pre) < 0) and pre[0] / pre[-1] > 3  # falls with N
    scaled = pre * np.sqrt(depths)
    assert scaled.max() / scaled.min() < 1.3  # about as 1/√N
    assert post[-1] / pre[-1] > 3


def test_top_layer_table_waits_for_the_prediction(default_run):
    outputs, _ = default_run
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert "top layer" not in text and "Xiong et al.&#x27;s theorem" not in text
    assert "Xiong et al." in text  # the citation itself is prose, shown before


def test_exercise_3s_answer_waits_and_new_mistakes_are_named(default_run):
    outputs, _ = default_run
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert "appears once you have entered a count" in text
    assert "7,087,872" not in text and "Where the parameters are" not in text
    C = 256
    for wrong, hint in (
        (6 * C * C + 10 * C, "each of its two matrices is C × 4C"),  # forgot the 4×, biases too
        (12 * C * C + 11 * C, "not one"),  # one vector per LayerNorm
    ):
        outputs, _ = run(block_count_number=wrong)
        assert callout_kinds(outputs, 3) == ["warn"]
        text = " ".join(getattr(o, "text", "") or "" for o in outputs)
        assert hint in text, wrong
        assert "7,087,872" in text  # any count opens the breakdown


def test_the_toys_sizes_in_the_prose_come_from_the_toy():
    outputs, defs = run(prediction_radio=RIGHT["prediction_radio"])
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    T, C = defs["x0"].shape
    n_terms = len(defs["stream_terms"])
    assert n_terms == 1 + 2 * defs["toy_gpt"].config.n_layer
    assert f"sum of the {n_terms} terms" in text
    assert f"toy&#x27;s {T} × {C} stream" in text or f"toy's {T} × {C} stream" in text
    assert f"the {defs['X_DEPTH'].shape[0]} positions, unrelated" in text


def test_layer_norm_sliders_start_where_the_input_moved_and_its_norm_did_not(default_run):
    outputs, defs = default_run
    a, b = defs["scale_slider"].value, defs["offset_slider"].value
    assert (a, b) != (1, 0)  # the input row differs from v at first sight
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert "does <strong>not move</strong>" in text


def test_post_norms_forward_cost_is_stated_as_measured():
    """Section 4: at N = 24, gain 1 post-norm's positions drift together, measured in core's mirror."""
    outputs, defs = run(**RIGHT)
    post, pre = defs["profiles"]["post-norm"], defs["profiles"]["pre-norm"]
    layers, final = random_stack(48, 64, gain=1.0, seed=0)
    expected = depth_profile(
        defs["X_DEPTH"], layers[:24], final, "post-norm", readout=defs["READOUT"]
    )
    assert post.similarity == pytest.approx(expected.similarity, abs=1e-12)
    assert post.similarity > pre.similarity + 0.05
    text = " ".join(getattr(o, "text", "") or "" for o in outputs)
    assert f"drift together (similarity <strong>{post.similarity:.2f}</strong>)" in text
