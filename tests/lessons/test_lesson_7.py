"""Lesson 7 (multi-head attention) run headless: exercises, predictions, the fused-form proof,
the cost table, and the real model's heads (a quick model, and the random stand-in)."""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from core.course.attention_lessons import format_number
from core.course.heads import (
    SENTENCES,
    attention_cost,
    induction_score,
    previous_token_score,
    relation_shares,
    toy_sentence,
)
from core.course.lesson_model import MODEL_FILE, SHAKESPEARE_CHARS, from_file
from core.mirrors.attention import attention_stages
from core.model.config import GPTConfig
from core.model.export import save_npz
from core.model.gpt import GPT
from tests.lessons.test_lessons import callout_kinds

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "4-2-7-multi-head-attention.py"


def element(value):
    """A stand-in for a marimo UI element: the cells only read `.value`."""
    return SimpleNamespace(value=value)


def load_app():
    spec = importlib.util.spec_from_file_location("lesson_7", LESSON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def page_text(outputs) -> str:
    """The outputs' text, callouts included (their HTML sits in escaped attributes)."""
    raw = html.unescape("\n".join(getattr(o, "text", "") or "" for o in outputs))
    raw = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), raw)
    raw = html.unescape(raw.replace('\\"', '"').replace("\\n", " "))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw))


@pytest.fixture
def no_model(tmp_path, monkeypatch):
    """No trained model anywhere: the lesson shows the random stand-in."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "data").mkdir()
    return tmp_path


@pytest.fixture
def quick_model(no_model):
    """A small seeded model of the lesson's shape in the cache (no training: fast)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("shakespeare-char-cpu"))
    path = no_model / "cache" / MODEL_FILE
    return save_npz(model, path, chars=SHAKESPEARE_CHARS, steps=3, val_loss=4.0)


def heads(W_Q1, W_K1, W_Q2, W_K2, W_V1=None, W_V2=None):
    W_V1 = [[1, 0], [0, 1], [0, 0], [0, 0]] if W_V1 is None else W_V1
    W_V2 = [[0, 1], [0, -1], [0, 0], [1, 0]] if W_V2 is None else W_V2
    return dict(
        head0_wq=element(W_Q1), head0_wk=element(W_K1), head0_wv=element(W_V1),
        head1_wq=element(W_Q2), head1_wk=element(W_K2), head1_wv=element(W_V2),
    )  # fmt: skip


def solved_heads():
    q = [[0, 0], [0, 0], [3, 0], [0, 0]]
    owner_key = [[3, 0], [3, 0], [0, 0], [0, 0]]
    describer_key = [[0, 0], [0, 0], [0, 0], [3, 0]]
    return heads(q, owner_key, q, describer_key)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("none")
        mp.setenv("COURSE_DATA_DIR", str(folder))
        mp.setenv("COURSE_CACHE_DIR", str(folder / "cache"))
        return load_app().run()


def test_defaults(default_run):
    outputs, defs = default_run
    assert callout_kinds(outputs, 1) == ["warn"] and callout_kinds(outputs, 2) == ["neutral"]
    text = page_text(outputs)
    # the one-head numbers the page quotes, from core's single-head attention
    tokens, X = toy_sentence(SENTENCES[0])
    W_Q, W_K = np.zeros((4, 4)), np.zeros((4, 4))
    W_Q[2, 0], W_K[0, 0], W_K[1, 0] = 2.0, 1.0, 1.0
    shares = relation_shares(tokens, attention_stages(X, W_Q, W_K)["weights"])
    owner, describer = (format_number(shares[k]) for k in ("owner", "describer"))
    assert f"Owner: {owner} , describing word: {describer} (the smaller" in text
    assert "Goal not met" in text
    # predictions hide their answers until chosen
    assert "Choose an answer to read on" in text and "Choose a prediction" in text
    # the fused form equals the loop and core's multi-head attention
    assert max(defs["differences"].values()) < 1e-12
    assert "The fused form is the loop" in text
    assert defs["Q"].shape == (2, 5, 2) and defs["concat"].shape == (5, 4)
    assert "one T × T map per head 2 × 5 × 5" in text
    # no model file: the random stand-in, said plainly, with the command
    assert "random, untrained model" in text and "python -m core.train.lesson_model" in text
    assert "its file is not here, so a random model of the same shape stands in" in text


def test_one_head_prediction_reveals_the_sum(no_model):
    outputs, _ = load_app().run(
        defs={"one_head_prediction": element("No: no W_Q and W_K can do it")}
    )
    text = page_text(outputs)
    assert "Right. One head has one softmax per query" in text and "= 1.00" in text
    outputs, _ = load_app().run(
        defs={"one_head_prediction": element("Yes: with large enough numbers")}
    )
    assert "No. One head has one softmax" in page_text(outputs)


def test_exercise_1_accepts_two_specialised_heads(no_model):
    outputs, _ = load_app().run(defs=solved_heads())
    assert callout_kinds(outputs, 1) == ["success"]
    text = page_text(outputs)
    assert "head 0 finds bark's owner and head 1 its describing word" in text


def test_exercise_1_one_head_for_both_is_not_enough(no_model):
    q = [[0, 0], [0, 0], [3, 0], [0, 0]]
    both = [[3, 0], [3, 0], [0, 0], [3, 0]]
    outputs, _ = load_app().run(defs=heads(q, both, [[0, 0]] * 4, [[0, 0]] * 4))
    assert callout_kinds(outputs, 1) == ["warn"]


def concat_row(defs_in):
    """bark's concatenated row for the first sentence, computed with core, from the heads."""
    _, X = toy_sentence(SENTENCES[0])
    rows = []
    for h in (0, 1):
        W = [np.array(defs_in[f"head{h}_w{k}"].value, dtype=float) for k in "qkv"]
        rows.append(attention_stages(X, *W)["output"][-1])
    return rows


@pytest.mark.parametrize(
    "order, kind, says", [(1, "success", "Correct"), (-1, "warn", "wrong order")]
)
def test_exercise_2_concatenated_row(no_model, order, kind, says):
    defs = solved_heads()
    rows = concat_row(defs)[::order]
    typed = ", ".join(f"{v:.3f}" for v in np.concatenate(rows))
    outputs, _ = load_app().run(defs={**defs, "concat_text": element(typed)})
    assert callout_kinds(outputs, 2) == [kind]
    assert says in page_text(outputs)


def test_exercise_2_after_wo_and_bad_input(no_model):
    defs = solved_heads()
    W_O = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0.5, -0.5, 0, 0]])
    projected = np.concatenate(concat_row(defs)) @ W_O
    typed = ", ".join(f"{v:.3f}" for v in projected)
    outputs, _ = load_app().run(defs={**defs, "concat_text": element(typed)})
    assert "that is the row after W_O" in page_text(outputs)
    outputs, _ = load_app().run(defs={**defs, "concat_text": element("0.1, two")})
    assert "'two' is not a number" in page_text(outputs)


def test_w_o_mixing_is_shown(no_model):
    outputs, defs = load_app().run(defs={"wo_matrix": element(np.eye(4).tolist())})
    assert "every feature hears from one head only" in page_text(outputs)
    assert max(defs["differences"].values()) < 1e-12


def test_cost_prediction_reveals_the_counts(no_model):
    outputs, _ = load_app().run(
        defs={"cost_prediction": element("4 heads have about 4 × the parameters of one head")}
    )
    text = page_text(outputs)
    assert "No: the same." in text
    cost = attention_cost(64, 128, 4)
    assert f"{cost['parameters']:,}" in text and f"{cost['multiply-adds']:,}" in text
    assert "hold 65,536 = 4 · 128² numbers" in text


def real_controls(text, layer=0, source="my text"):
    return dict(real_source=element(source), real_text=element(text), real_layer=element(layer))


def test_real_heads_of_a_model_file_match_core(quick_model):
    text = "ROMEO:\nBut soft, what light through yonder window breaks?"
    outputs, defs = load_app().run(defs=real_controls(text, layer=2))
    lesson = from_file(quick_model)
    ids = lesson.encode(text)
    _, weights = lesson.model.forward(ids)
    np.testing.assert_allclose(defs["real_weights"], weights)
    page = page_text(outputs)
    assert "trained 3 steps on Tiny Shakespeare, validation loss 4.000" in page
    assert "Below is a small GPT trained on Tiny Shakespeare" in page
    assert "How far back the heads of layer 2 look" in page
    prev, ind = previous_token_score(weights), induction_score(weights, ids)
    assert f"{format_number(prev[3, 1])} · {format_number(ind[3, 1])}" in page


def test_real_heads_bad_input(quick_model):
    outputs, defs = load_app().run(defs=real_controls("héllo"))
    assert defs["real_weights"] is None and "'é'" in page_text(outputs)
    outputs, defs = load_app().run(defs=real_controls("x" * 70))
    assert "shows the last 64" in page_text(outputs) and defs["real_weights"].shape[-1] == 64
    outputs, defs = load_app().run(defs=real_controls("a"))
    assert "at least two characters" in page_text(outputs)


def test_repeated_random_string(quick_model):
    outputs, defs = load_app().run(defs=real_controls("", source="a random string written twice"))
    ids = defs["real_ids"]
    L = len(ids) // 2
    assert L == 27 and list(ids[:L]) == list(ids[L:]) and len(set(ids[:L])) == L
    assert "induction head" in page_text(outputs)


def test_heads_are_numbered_from_0_and_exercise_2_comes_before_w_o(default_run):
    """The toy heads are numbered from 0, as the real model's are and as the column formula
    hD … (h+1)D-1 assumes; exercise 2 (the concatenated row) is asked before the table of
    what each head writes through W_O, which with the starting W_O shows head 0's output."""
    outputs, _ = default_run
    texts = [page_text([o]) for o in outputs]
    page = " ".join(texts)
    assert "head 0 · W_Q" in page and "head 2 · W_Q" not in page
    assert "head 0 writes" in page and "W_Q^0" in page
    exercise = next(i for i, t in enumerate(texts) if "Type your row above" in t)
    w_o_table = next(i for i, t in enumerate(texts) if "What W_O does" in t)
    assert exercise < w_o_table


def test_the_clock_is_framed_as_the_implementation(no_model):
    outputs, _ = load_app().run(
        defs={"cost_prediction": element("4 heads have the same parameters and multiply-adds")}
    )
    text = page_text(outputs)
    assert "Right." in text and "fastest of 30 runs each" in text
    assert "A clock is not a count: the multiply-adds above are equal" in text
    assert "So heads are free in parameters and multiply-adds" in text


def test_exercise_2_accepts_a_row_computed_from_the_rounded_tables(no_model):
    """Large values (W_V of 3s) make the 2-decimal tables' rounding matter: a row computed
    from the numbers the page shows is still accepted."""
    big = [[3, 0], [3, 0], [0, 3], [0, 3]]
    defs = {**solved_heads()}
    defs["head0_wv"] = element(big)
    defs["head1_wv"] = element(big)
    _, X = toy_sentence(SENTENCES[0])
    rows = []
    for h in (0, 1):
        W = [np.array(defs[f"head{h}_w{k}"].value, dtype=float) for k in "qkv"]
        stages = attention_stages(X, *W)
        shown_w, shown_v = np.round(stages["weights"][-1], 2), np.round(stages["V"], 2)
        rows.append(shown_w @ shown_v)
    typed = ", ".join(f"{v:.2f}" for v in np.concatenate(rows))
    outputs, _ = load_app().run(defs={**defs, "concat_text": element(typed)})
    assert callout_kinds(outputs, 2) == ["success"]
