"""Lesson 6 headless: q, k, v side by side, the echo, the widths d and d_v, the trace's shapes,
exercise 3 written from nothing, and where the page says to write it.

The lesson runs through `app.run(defs=...)` (torch-free, as in tests/lessons/test_lessons.py,
whose helpers it uses); every number the page states is recomputed here with core.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.course.attention_lessons import (
    ATTENTION_TRIAL_SHAPES,
    FEATURES,
    SENTENCES,
    format_number,
    slot_labels,
    toy_sentence,
)
from core.mirrors.attention import attention_stages, scaled_dot_product
from tests.lessons.test_lessons import callout_kinds, element, load_app, outputs_text

W_Q = np.array([[0.0, 0, 0], [0, 0, 0], [2, 0, 0]])  # lesson 5's answer: owned -> q0
W_K = np.array([[1.0, 0, 0], [1, 0, 0], [0, 0, 0]])  # animal, plant -> k0
W_V_ANSWER = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 0]])  # exercise 1: which owner, no owned


def vec(values) -> str:
    return "(" + ", ".join(format_number(v) for v in values) + ")"


def matrices(W_V=None, sentence=SENTENCES[0]):
    return dict(
        wq_matrix=element(W_Q.tolist()),
        wk_matrix=element(W_K.tolist()),
        wv_matrix=element((np.eye(3) if W_V is None else np.asarray(W_V)).tolist()),
        sentence_radio=element(sentence),
    )


def widths(d, d_v):
    return dict(d_slider=element(d), dv_slider=element(d_v))


def run(**defs):
    return load_app(6).run(defs=defs)


def correct_attention(X, W_Q, W_K, W_V):
    return scaled_dot_product(X @ W_Q, X @ W_K, X @ W_V, causal=True)[0]


@pytest.fixture(scope="module")
def default_run():
    return load_app(6).run()


def test_bark_read_three_ways(default_run):
    """The panel shows bark's x and x W_Q, x W_K, x W_V, from the matrices on the page."""
    text = outputs_text(default_run[0])
    tokens, X = toy_sentence(SENTENCES[0])
    x = X[tokens.index("bark")]
    q, k, v = x @ W_Q, x @ W_K, x @ np.eye(3)
    assert (
        f"One vector, {vec(x)}, read three ways: q = {vec(q)}, k = {vec(k)}, v = {vec(v)}" in text
    )
    assert "Nothing in <em>bark</em> is a query, a key or a value" in text
    # W_Q = W_K would make q and k coincide: the panel says so
    same = run(**{**matrices(), "wq_matrix": element(W_K.tolist())})[0]
    assert "Right now q and k coincide" in outputs_text(same)


def echo_share(W_V, sentence=SENTENCES[0]) -> float:
    """bark's own contribution's length over all four contributions' lengths, in %."""
    tokens, X = toy_sentence(sentence)
    b = tokens.index("bark")
    s = attention_stages(X, W_Q, W_K, W_V)
    lengths = np.linalg.norm(s["weights"][b][:, None] * s["V"], axis=1)
    return 100 * lengths[b] / lengths.sum()


def test_the_echo_waits_for_a_prediction_then_is_measured(default_run):
    text = outputs_text(default_run[0])
    assert "The measurement appears here once you have typed a prediction" in text
    assert "You guessed" not in text
    outputs, _ = run(**matrices(W_V_ANSWER), echo_number=element(20))
    text = outputs_text(outputs)
    with_x, with_answer = echo_share(np.eye(3)), echo_share(W_V_ANSWER)
    assert format_number(with_x, 0) == "37" and format_number(with_answer, 0) == "21"  # golden
    assert (
        f"You guessed 20% (17 points under); bark's own row is <strong>{format_number(with_x, 0)}%</strong>"
        in text
    )
    assert f"With your W_V the echo is {format_number(with_answer, 0)}%" in text
    # 80% of the owned bark receives is its own: 1.0·w_bb of 0.5·w_'s + 1.0·w_bb
    _, X = toy_sentence(SENTENCES[0])
    w = attention_stages(X, W_Q, W_K)["weights"][3]
    owned = w[3] / (0.5 * w[2] + w[3])
    assert f"{format_number(100 * owned, 0)}% of the <em>owned</em> it receives" in text
    text = outputs_text(run(echo_number=element(150))[0])
    assert "A share is between 0 and 100%, not 150" in text


def test_widths_reach_the_trace_with_their_labels(default_run):
    """Default d = 3, d_v = 2: V and the output are T x 2, W_V 3 x 2, named v₀ v₁."""
    _, defs = default_run
    assert (defs["d"], defs["d_v"]) == (3, 2)
    trace = defs["trace"].widget
    assert np.shape(trace.stages["V"]) == (4, 2) and np.shape(trace.stages["W_V"]) == (3, 2)
    assert trace.value_labels == ["v₀", "v₁"] and trace.query_labels == slot_labels("q", 3)
    assert trace.feature_labels == list(FEATURES)
    # every width at once different: C = 3, d = 1, d_v = 2 (and the tree sentence)
    _, defs = run(**matrices(sentence=SENTENCES[1]), **widths(1, 2))
    trace = defs["trace"].widget
    _, X = toy_sentence(SENTENCES[1])
    expected = attention_stages(X, W_Q[:, :1], W_K[:, :1], np.eye(3)[:, :2])
    for stage in ("Q", "K", "V", "scaled", "weights", "output"):
        np.testing.assert_allclose(trace.stages[stage], expected[stage], err_msg=stage)
    assert np.shape(trace.stages["Q"]) == (4, 1) and np.shape(trace.stages["W_Q"]) == (3, 1)
    assert trace.query_labels == ["q₀"] and trace.key_labels == ["k₀"]
    assert trace.value_labels == ["v₀", "v₁"]


def test_narrowing_says_what_is_lost_and_how_the_scale_moves():
    _, X = toy_sentence(SENTENCES[0])
    # exercise 1's answer: v₂ carried nothing, so d_v = 2 loses nothing
    text = outputs_text(run(**matrices(W_V_ANSWER), **widths(3, 2))[0])
    assert "nothing was lost, and 6 numbers of W_V do the work of 9" in text
    # W_V = I: the owned slot carried bark's 1.00
    text = outputs_text(run(**matrices(np.eye(3)), **widths(1, 2))[0])
    assert "The dropped slot carried up to 1.00 (bark's v₂)" in text
    narrow = attention_stages(X, W_Q[:, :1], W_K[:, :1])["weights"][3]
    wide = attention_stages(X, W_Q, W_K)["weights"][3]
    assert f"divided by √1 = 1.000, its weights are {vec(narrow)} instead of {vec(wide)}" in text
    assert "the same scores, a smaller √d, a sharper softmax" in text
    assert narrow[1] > wide[1]  # sharper: more on dog
    assert "each with d = d_v = 768 / 12 = 64" in text


def without_self(stages, b=3) -> tuple[float, float, float]:
    """bark's v₀ with its own key masked (renormalised), dropped only, and with itself."""
    w, v = stages["weights"][b], stages["V"][:, 0]
    others = np.arange(len(w)) != b
    return (
        float(w[others] @ v[others] / w[others].sum()),
        float(w[others] @ v[others]),
        float(w @ v),
    )


def test_exercise_2_answer_is_not_on_the_page_before_it_is_asked(default_run):
    """Exercise 2 asks for bark without itself: a number no table or sentence shows."""
    _, X = toy_sentence(SENTENCES[0])
    answer, _, with_self = without_self(attention_stages(X, W_Q, W_K, np.eye(3)[:, :2]))
    assert format_number(answer) == "0.61" and format_number(with_self) == "0.53"  # golden
    text = outputs_text(default_run[0])
    assert format_number(with_self) in text  # bark's output is shown (sections 2 and 3)
    # (section 2's row for V = K happens to hold 0.61 too: bark's output with the keys)
    rows = re.findall(r"<tr>.*?</tr>", text, flags=re.S)
    key_rows = [row for row in rows if "V = K (reuse W_K)" in row]
    assert len(key_rows) == 2
    for row in key_rows:
        text = text.replace(row, "")
    assert format_number(answer) not in text
    trace = default_run[1]["trace"].widget
    assert not np.isclose(np.asarray(trace.stages["output"]), answer, atol=0.005).any()


def test_exercise_2_follows_the_trace_widths_and_names_the_mistakes():
    """With d = 1 the weights are sharper; the check wants the trace's number, not d = 3's;
    bark's own output and the weights left unrenormalised get their own hints."""
    _, X = toy_sentence(SENTENCES[0])
    narrow = without_self(attention_stages(X, W_Q[:, :1], W_K[:, :1], W_V_ANSWER[:, :2]))
    wide = without_self(attention_stages(X, W_Q, W_K, W_V_ANSWER))
    assert abs(narrow[0] - wide[0]) > 0.05
    cases = (
        (narrow[0], "success", "masking a key does not lose the other weights"),
        (wide[0], "warn", "divide each by their sum so they add to 1 again"),
        (narrow[2], "warn", "output cell. Leave"),
        (narrow[1], "warn", "not 1. With bark"),
    )
    for value, kind, says in cases:
        outputs, _ = run(
            **matrices(W_V_ANSWER), **widths(1, 2), output_number=element(round(value, 2))
        )
        assert callout_kinds(outputs, 2) == [kind], says
        assert says in outputs_text(outputs)


def test_exercise_3_starts_neutral_then_names_the_mistake_then_passes(default_run):
    outputs = default_run[0]
    assert callout_kinds(outputs, 3) == ["neutral"]
    assert "Not written yet" in outputs_text(outputs)

    def unscaled(X, W_Q, W_K, W_V):
        return attention_stages(X, W_Q, W_K, W_V, scale=False)["output"]

    outputs, _ = run(my_attention=unscaled)
    assert callout_kinds(outputs, 3) == ["warn"]
    assert "without the 1/√d scaling" in outputs_text(outputs)

    outputs, _ = run(**matrices(W_V_ANSWER), **widths(1, 2), my_attention=correct_attention)
    assert callout_kinds(outputs, 3) == ["success"]
    _, X = toy_sentence(SENTENCES[0])
    bark = attention_stages(X, W_Q[:, :1], W_K[:, :1], W_V_ANSWER[:, :2])["output"][3]
    text = outputs_text(outputs)
    assert f"gives bark {vec(bark)}; the trace (core) gives {vec(bark)}" in text


@pytest.mark.parametrize(
    "where, says",
    [
        ("app", "The app shows no code and cannot edit it"),
        ("editor", "Write it in the cell below"),
        # the site's two views run the same kernel (edit mode in both): one text for both
        ("site", "If you see no code, you are in the reading view"),
    ],
)
def test_exercise_3_says_where_to_write_it(where, says):
    text = outputs_text(run(where=where)[0])
    assert says in text
    assert "Lesson 10 builds the same head in PyTorch" in text
    assert "nn.Linear(C, d, bias=False)" in text


def test_exercise_3_names_the_shapes_its_check_tries():
    text = outputs_text(run(my_attention=correct_attention)[0])
    shapes = " and ".join(f"({', '.join(map(str, t))})" for t in ATTENTION_TRIAL_SHAPES)
    assert f"random inputs of the shapes (T, C, d, d_v) = {shapes}, compares it" in text
    assert f"on random inputs of shapes (T, C, d, d_v) = {shapes}, to 1e-8" in text


def test_headless_run_says_app():
    """A script run is neither the editor nor the site: the app's instructions."""
    _, defs = load_app(6).run()
    assert defs["where"] == "app"


def test_residual_stream_with_a_narrow_output():
    """d_v = 2 < C = 3: the output goes back onto the features through the stand-in W_O."""
    outputs, _ = run(**matrices(W_V_ANSWER), **widths(3, 2))
    text = outputs_text(outputs)
    assert "the output has d_v = 2 slots, x has C = 3 features" in text
    barks = []
    for sentence in SENTENCES:
        _, X = toy_sentence(sentence)
        out = attention_stages(X, W_Q, W_K, W_V_ANSWER[:, :2])["output"]
        barks.append(X[3] + out[3] @ np.eye(2, 3))
    assert f"it is {vec(barks[0])} after a dog and {vec(barks[1])} after a tree" in text
    # the same W_V reads a different value from bark in each sentence
    v_dog, v_tree = (b @ W_V_ANSWER[:, :2] for b in barks)
    assert not np.allclose(v_dog, v_tree)
    assert f"v = {vec(v_dog)} after a dog and {vec(v_tree)}" in text
    text = outputs_text(run(**matrices(W_V_ANSWER), **widths(3, 3))[0])
    assert "Here d_v = C" in text


def test_every_section_number_in_order(default_run):
    text = outputs_text(default_run[0])
    found = [int(n) for n in re.findall(r"<h2[^>]*>(\d) · ", text)]
    assert found == [1, 2, 3, 4, 5, 6]


def test_exercise_1_hints_point_at_rows_without_giving_the_matrix(default_run):
    """At W_V = I only v₂ is wrong: the hint names column v₂, not which rows to set."""
    text = outputs_text(default_run[0])
    assert callout_kinds(default_run[0], 1) == ["warn"]
    assert "Not yet: v₂ should be 0 in both sentences" in text
    assert "which rows of W_V put a number other than 0 in column v₂" in text
    for answer in ("Send <em>animal</em> to v₀", "animal</em> to $v_0$", "owned</em> to nothing"):
        assert answer not in text
    # animal and plant swapped: the owner is told the wrong way round; the rows hint appears
    swapped = np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 0]])
    outputs = run(**matrices(swapped))[0]
    text = outputs_text(outputs)
    assert callout_kinds(outputs, 1) == ["warn"]
    assert "v₀ should exceed v₁" in text and "v₁ should exceed v₀" in text
    assert "which feature does dog have and tree not" in text
    assert "put a number other than 0 in column v₂" not in text


def test_section_3_opens_from_the_learners_own_W_V(default_run):
    """Section 3 states what the learner's W_V does to v₂, not exercise 1's answer."""
    text = outputs_text(default_run[0])
    assert (
        "Exercise 1 asks for" in text and "once it is solved, that slot tells bark nothing" in text
    )
    text = outputs_text(run(**matrices(W_V_ANSWER))[0])
    assert "for every token of both sentences: a slot that carries nothing" in text


def test_section_2_says_what_reusing_the_key_does_with_the_keys_on_the_page(default_run):
    text = outputs_text(default_run[0])
    assert "Reusing the key as the value gives bark the <strong>same</strong> output" in text
    # dog's key now differs from tree's: the claim would be false, the page says why instead
    W_K_apart = W_K.copy()
    W_K_apart[1, 1] = 1.0  # plant -> k₁
    text = outputs_text(run(**{**matrices(), "wk_matrix": element(W_K_apart.tolist())})[0])
    assert "gives bark the <strong>same</strong> output" not in text
    assert "only because your W_K now gives dog and tree different keys" in text
    assert f"get the <strong>same key</strong>, {vec(W_K[0])}" in text  # section 1: lesson 5's
