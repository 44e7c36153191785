"""Lesson 9 headless: its exercises, its leak detector, its numbers against core and torch.

The lesson runs with `app.run(defs=...)`: the cells that hold the learner's answers (or the
model) are replaced by stand-ins with a `.value` (or by a model of our own).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from core.course.attention_lessons import format_number
from core.course.gpt_lesson import copycat_gpt, text_loss
from core.course.lesson_model import from_file
from core.model import GPT, GPTConfig, count_parameters
from core.model.export import save_npz
from tests.lessons.test_lessons import callout_kinds, element, outputs_text

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "lessons" / "4-2-9-decoder-only-transformers.py"
MASK_ON = "only that position and the ones after it"


def load_app():
    spec = importlib.util.spec_from_file_location("lesson_9", NOTEBOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def run(**defs):
    return load_app().run(defs=defs)


@pytest.fixture(scope="module")
def default_run():
    return load_app().run()


def test_nothing_is_revealed_before_the_learner_answers(default_run):
    outputs, defs = default_run
    text = outputs_text(outputs)
    assert callout_kinds(outputs, 2) == ["neutral"]
    assert "Choose a prediction above to switch on the detector" in text
    # exercise 1 (find the cell) waits for the prediction: the mask's grid would answer it
    assert "Exercise 1" not in text and "cell_row" not in defs
    assert "What the mask prevents" not in text  # the leak is explained after the guess
    assert "Make a guess to see the chart" in text
    assert "to see GPT-2's four sizes" in text and "354,823,168" not in text
    assert "change_slider" not in defs and "calc_total" not in defs
    assert "The model on this page:" in text  # the page always names the model that ran


def test_exercises_accept_right_answers_and_hint_on_wrong_ones():
    predicted = element(MASK_ON)  # exercise 1 opens after the prediction
    outputs, _ = run(
        leak_prediction=predicted,
        cell_row=element(3),
        cell_column=element(4),
        count_answer=element(354_823_168),
    )
    assert callout_kinds(outputs, 1) == ["success"] and callout_kinds(outputs, 2) == ["success"]
    text = outputs_text(outputs)
    assert "One open cell is enough" in text
    outputs, _ = run(
        leak_prediction=predicted,
        cell_row=element(4),
        cell_column=element(3),
        count_answer=element(354_823_168 + 50257 * 1024),
    )
    assert callout_kinds(outputs, 1) == ["warn"] and callout_kinds(outputs, 2) == ["warn"]
    text = outputs_text(outputs)
    assert "below the diagonal" in text and "tied to wte" in text
    assert "no leak" in text  # the learner's cell (4, 3) opened: nothing before 3 moves
    outputs, _ = run(leak_prediction=predicted, cell_row=element(3), cell_column=element(5))
    assert callout_kinds(outputs, 1) == ["warn"]
    text = outputs_text(outputs)
    assert "right after it" in text
    # (3, 5) opened: 3 reads character 5, and 4 reads 3's stream in the next block
    assert "moved: <strong>3, 4</strong>" in text and "the leak spreads forward" in text


def test_the_leak_detector_finds_no_leak_with_the_mask_and_all_without():
    common = dict(
        leak_prediction=element(MASK_ON),
        change_slider=element(10),
        replacement_dropdown=element("z"),
    )
    outputs, defs = run(**common, mask_switch=element(True))
    assert defs["leaked"] == [] and (defs["moved"][:10] == 0).all()
    assert (defs["moved"][10:] > 0).all()
    assert "none of the 10 positions before 10 moved" in outputs_text(outputs)
    assert "Your prediction was right" in outputs_text(outputs)
    # the hand-built cheater's losses, as core computes them on the page's text
    cheat = copycat_gpt(65, 64)
    for causal, decimals in ((False, 4), (True, 2)):
        loss = format_number(text_loss(cheat, defs["ids"], causal=causal), decimals)
        assert f"<strong>{loss} nats</strong>" in outputs_text(outputs)
    # character 13 of "ROMEO: But soft, what light" is already "f"
    same = dict(common, change_slider=element(13), replacement_dropdown=element("f"))
    assert "already there" in outputs_text(run(**same, mask_switch=element(True))[0])
    outputs, defs = run(**common, mask_switch=element(False))
    assert defs["leaked"] == list(range(10))
    assert "10 of the 10 positions before 10 moved" in outputs_text(outputs)


def test_the_stages_by_hand_equal_the_mirror(default_run):
    _, defs = default_run
    assert defs["lookup_gap"] == 0
    assert defs["block_gap"] < 1e-12 and defs["logits_gap"] < 1e-12
    assert defs["my_logits"].shape == (len(defs["ids"]), 65)
    np.testing.assert_allclose(defs["my_probs"].sum(axis=1), 1.0)
    lm = defs["lm"]
    expected = sum(w.size for w in lm.model.weights.values())
    text = outputs_text(default_run[0])
    assert f"**{expected:,}**" in text or f"<strong>{expected:,}</strong>" in text
    shape = GPTConfig.from_preset("shakespeare-char-cpu")
    assert expected == count_parameters(shape)


def test_the_pages_parameter_numbers_are_cores():
    outputs, defs = run(count_answer=element(1), share_prediction=element("the MLPs"))
    text = outputs_text(outputs)
    for name in ("gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl"):
        assert f"{count_parameters(GPTConfig.from_preset(name)):,}" in text
    assert "Right: in GPT-2 small the MLPs hold the most" in text
    assert defs["calc_total"] == 124_439_808  # the calculator starts at GPT-2 small
    for explanation in ("117M ✓", "345M ✓", "762M ✓", "1,542M ✓"):
        assert explanation in text
    shares = defs["shares"]
    small = shares[shares.model == "gpt2"].set_index("component")["parameters"]
    assert int(small.sum()) == count_parameters(GPTConfig.from_preset("gpt2"))


def test_the_calculator_rejects_a_bad_shape():
    calc = element({"V": 100, "T": 16, "L": 2, "H": 5, "C": 48})
    outputs, defs = run(count_answer=element(1), calc_inputs=calc)
    assert defs["calc_total"] is None
    assert "not divisible by H = 5" in outputs_text(outputs)
    calc = element({"V": 100, "T": None, "L": 2, "H": 4, "C": 48})  # a cleared field
    outputs, defs = run(count_answer=element(1), calc_inputs=calc)
    assert defs["calc_total"] is None and "Fill in T" in outputs_text(outputs)


def test_no_unfilled_placeholder_reaches_the_page():
    """Every section shown (all answered): no `{name}` or `{call(...)}` left in the prose."""
    outputs, _ = run(
        leak_prediction=element(MASK_ON),
        cell_row=element(3),
        cell_column=element(5),
        count_answer=element(1),
        share_prediction=element("attention"),
    )
    prose = [o.text for o in outputs if 'class="markdown' in (getattr(o, "text", "") or "")]
    prose = re.sub(r"<marimo-tex.*?</marimo-tex>", "", "\n".join(prose), flags=re.S)
    # (a chart's own JavaScript templates, `${paths[lib]}`, `config({paths})`, are not prose)
    left = re.findall(r".{0,40}(?<!&#36;)(?<!\()\{_?[A-Za-z]\w*[}(\[:].{0,40}", prose)
    assert left == []


def test_bad_text_gets_a_message_not_a_traceback():
    outputs, defs = run(text_input=element("x = 42"))
    assert "digit 3" in outputs_text(outputs) and defs["text"] == "ROMEO: But soft, what light"
    outputs, defs = run(text_input=element(""))
    assert "at least two characters" in outputs_text(outputs)
    long = "To be, or not to be, that is the question. " * 3
    outputs, defs = run(text_input=element(long))
    assert len(defs["ids"]) == 64 and defs["text"] == long[-64:]
    assert "reads the last 64" in outputs_text(outputs)


def test_the_lessons_forward_equals_cores_gpt_on_the_same_weights(tmp_path):
    """The lesson's own model path (an .npz read by core.course.lesson_model) against torch:
    the same weights in both, the page's logits (the mirror's and the hand-written stages')
    equal to core.model.gpt.GPT's in float64."""
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("shakespeare-char-cpu")).eval()
    with torch.no_grad():  # untrained LayerNorms and biases are (1, 0): make them count
        for name, p in model.named_parameters():
            if "ln" in name or name.endswith("bias"):
                p.add_(0.3 * torch.randn_like(p))
    chars = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    path = save_npz(model, tmp_path / "m.npz", chars=chars, steps=1, val_loss=4.0)
    lm = from_file(path)
    _, defs = run(lm=lm, cfg=lm.model.config, model_name="test model")
    ids = torch.from_numpy(defs["ids"])[None]
    with torch.no_grad():
        expected = model.double()(ids)[0][0].numpy()  # the float32 weights, exactly, in float64
    np.testing.assert_allclose(defs["logits"], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(defs["my_logits"], expected, rtol=0, atol=1e-10)


def test_the_page_names_the_model_that_ran_at_each_result():
    outputs, defs = run(
        leak_prediction=element(MASK_ON),
        count_answer=element(1),
        share_prediction=element("attention"),
    )
    text = outputs_text(outputs)
    name = defs["model_name"]
    assert name == (defs["lm"].meta.get("preset") if defs["lm"].trained else "the random stand-in")
    for where in (
        f"nats for {name}",  # section 1's loss
        f"This page's model, {name}",  # the leak's explanation
        f"For {name}:",  # the parameter count
        f"tokens, {name} spends only",  # the shares
    ):
        assert where in text, where
    assert f"{name} (this page)" in defs["shares"].model.tolist()


def test_each_wrong_prediction_is_answered_for_what_it_gets_wrong():
    common = dict(change_slider=element(10), replacement_dropdown=element("z"))
    every = "every position: attention mixes all of them"
    text = outputs_text(run(**common, leak_prediction=element(every), mask_switch=element(True))[0])
    assert "That is attention without a mask" in text
    only = element("only that position")
    text = outputs_text(run(**common, leak_prediction=only, mask_switch=element(True))[0])
    assert "every later position attends back to it" in text


def test_the_paper_count_is_our_arithmetic_beside_openais_statement():
    text = outputs_text(run(count_answer=element(1))[0])
    assert "116,929,536 ≈ 117M" in text  # GPT-2 small with GPT-1's 40,478-token vocabulary
    assert "our original parameter counts were wrong due to an error" in text
    assert "our arithmetic, not OpenAI's statement" in text


def test_guessed_characters_are_quoted_so_punctuation_reads():
    text = outputs_text(run()[0])
    # the default text ends "what light": after "t" the model's guesses include "␣" and ","
    assert re.search(r"“␣” \d\.\d\d", text)
    assert not re.search(r"\| [^“|]*, , \d", text)  # no bare comma read as a separator


def test_without_the_trained_file_the_page_names_the_random_stand_in(monkeypatch, tmp_path):
    from core.course import lesson_model

    monkeypatch.setattr(lesson_model, "data_dir", lambda: tmp_path)
    monkeypatch.setattr(lesson_model, "cache_dir", lambda: tmp_path)
    outputs, defs = run(leak_prediction=element(MASK_ON), count_answer=element(1))
    assert not defs["lm"].trained and defs["model_name"] == "the random stand-in"
    text = outputs_text(outputs)
    assert "This page's model, the random stand-in, is untrained" in text
    assert "For the random stand-in:" in text
    assert "a random, untrained model" in text  # the model callout says so


def test_the_shares_chart_does_not_give_away_exercise_2():
    """Before exercise 2 is answered the chart's tooltips show shares, not exact counts (the
    counts of GPT-2 medium's components would sum to the answer)."""

    def tooltip_fields(outputs):
        html = next(o.text for o in outputs if "tooltip" in (getattr(o, "text", "") or ""))
        tooltip = html.split("tooltip", 1)[1].split("]", 1)[0]
        return re.findall(r"field&#92;&quot;: &#92;&quot;(\w+)", tooltip)

    share = element("the MLPs")
    assert tooltip_fields(run(share_prediction=share)[0]) == ["model", "component", "share"]
    answered = run(share_prediction=share, count_answer=element(1))[0]
    assert "parameters" in tooltip_fields(answered)
