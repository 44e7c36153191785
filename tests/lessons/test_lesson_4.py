"""Lesson 4 headless: Karpathy's bridge (uniform, causal, data-dependent averaging) and the
trace section's sentences, which must follow the values."""

from types import SimpleNamespace

import numpy as np
import pytest

from core.course.attention_lessons import SENTENCES, TOY_EMBEDDINGS, toy_sentence
from core.mirrors.attention import attention_stages
from tests.lessons.test_lessons import callout_kinds, element, load_app, outputs_text

BRIDGE = ("uniform average", "causal average (tril)", "softmax(X Xᵀ), masked")


class FakeHeatmap:
    """Records what the lesson pushes into the bridge's heatmap."""

    def __init__(self):
        self.pushed = []

    def update(self, **traits):
        self.pushed.append(traits)


def run_bridge(mode):
    heatmap = FakeHeatmap()
    outputs, defs = load_app(4).run(
        defs={"averaging_radio": element(mode), "bridge_heatmap": heatmap}
    )
    return outputs_text(outputs), defs, heatmap


@pytest.fixture(scope="module")
def bridge_runs():
    return {mode: run_bridge(mode) for mode in BRIDGE}


def test_the_bridge_starts_at_section_twos_average():
    _, defs = load_app(4).run()
    assert defs["averaging_radio"].value == "uniform average"


def test_uniform_average_gives_every_token_the_bag_of_words(bridge_runs):
    text, defs, heatmap = bridge_runs["uniform average"]
    tokens, X = toy_sentence(SENTENCES[0])
    np.testing.assert_allclose(defs["bridge_W"], np.full((4, 4), 0.25))
    np.testing.assert_allclose(defs["bridge_out"], np.tile(X.mean(axis=0), (4, 1)))
    assert heatmap.pushed[-1]["tokens"] == tokens
    np.testing.assert_allclose(heatmap.pushed[-1]["weights"], defs["bridge_W"])
    assert "Every row of W X is the same" in text and "(0.33, 0.07, 0.38)" in text


def test_causal_average_is_tril_and_softmax_of_masked_zeros(bridge_runs):
    text, defs, heatmap = bridge_runs["causal average (tril)"]
    _, X = toy_sentence(SENTENCES[0])
    W = defs["bridge_W"]
    np.testing.assert_allclose(W, np.tril(np.ones((4, 4))) / np.arange(1, 5)[:, None])
    # row i of W X is the average of the first i + 1 tokens
    expected = np.cumsum(X, axis=0) / np.arange(1, 5)[:, None]
    np.testing.assert_allclose(defs["bridge_out"], expected)
    assert defs["bridge_tril_matches"] is True
    np.testing.assert_allclose(heatmap.pushed[-1]["weights"], W)
    assert "np.allclose</code>: <strong>True</strong>" in text
    assert "bark gives each token 0.25" in text


def test_masked_softmax_is_cores_raw_causal_attention(bridge_runs):
    text, defs, heatmap = bridge_runs["softmax(X Xᵀ), masked"]
    _, X = toy_sentence(SENTENCES[0])
    stages = attention_stages(X, causal=True, scale=False)  # W_Q = W_K = W_V = I
    np.testing.assert_allclose(defs["bridge_W"], stages["weights"])
    np.testing.assert_allclose(defs["bridge_out"], stages["output"])
    np.testing.assert_allclose(heatmap.pushed[-1]["weights"], stages["weights"])
    assert np.triu(defs["bridge_W"], k=1).max() == 0  # the future gets nothing
    assert "data-dependent averaging" in text
    # the page's numbers for bark's row, and where most of it goes (itself, 0.45)
    assert "<em>bark</em> 0.45: most to itself" in text


def edited(table):
    """The defs of the trace section's cell: an edited table, the first sentence, and an
    answer typed into exercise 4 (the tables wait for one)."""
    return {
        "embedding_matrix": element(table),
        "sentence_radio": element(SENTENCES[0]),
        "score_number": element(0.0),
    }


def test_trace_sentences_follow_the_values():
    # the toy table: the barks differ, and bark keeps more for itself than for dog
    table = [list(v) for v in TOY_EMBEDDINGS.values()]
    text = outputs_text(load_app(4).run(defs=edited(table))[0])
    assert "The two barks now differ" in text
    assert "0.45 to itself, only 0.19 to dog" in text
    # dog and tree made the same vector: the two barks cannot differ
    table = [list(v) for v in TOY_EMBEDDINGS.values()]
    table[2] = table[1]  # tree = dog
    text = outputs_text(load_app(4).run(defs=edited(table))[0])
    assert "The two barks are still the same vector" in text
    # a long dog, along bark: bark now gives dog more than itself, and "only" goes
    table = [list(v) for v in TOY_EMBEDDINGS.values()]
    table[1] = [1.0, 0.0, 1.5]
    outputs, defs = load_app(4).run(defs=edited(table))
    A = defs["A"]
    assert A[3, 1] > A[3, 3]
    text = outputs_text(outputs)
    assert (
        "lets bark find its owner first" in text
        and "only" not in text.split("row <em>bark")[1][:200]
    )


def test_plane_stand_in_still_works_with_the_bridge():
    """The section-3 plane and the bridge heatmap are separate widgets."""
    plane = SimpleNamespace(
        names=["the", "dog", "'s", "bark"],
        vectors=[[0.0, 0.0], [1.0, 0.0], [0.0, 0.5], [0.3, 1.0]],
    )
    _, defs = load_app(4).run(defs={"plane": plane, "plane_heatmap": FakeHeatmap()})
    assert defs["bridge_W"].shape == (4, 4)


def exercise_4(value, table=None):
    defs = {"score_number": element(value)}
    if table is not None:
        defs |= {"embedding_matrix": element(table), "sentence_radio": element(SENTENCES[0])}
    outputs, _ = load_app(4).run(defs=defs)
    return callout_kinds(outputs, 4), outputs_text(outputs)


def test_exercise_4_comes_before_the_tables_that_answer_it():
    """bark · tree is in the score table S: the tables wait for an answer."""
    kinds, text = exercise_4(None)
    assert kinds == ["neutral"]
    assert "S = X Xᵀ" not in text and "Context works" not in text
    assert "appear here once you have typed an answer to exercise 4" in text
    # section 3's plane has no tree: bark · tree is nowhere on the page before the answer
    kinds, text = exercise_4(1.0)
    assert kinds == ["warn"] and "S = X Xᵀ" in text and "Context works" in text


def test_exercise_4_accepts_bark_dot_tree_and_names_the_slips():
    _, X = toy_sentence(SENTENCES[1])  # the tree 's bark: tree is row 1, bark row 3
    answer = float(X[3] @ X[1])
    assert round(answer, 2) == 0.3  # golden: 0.3·0 + 0.3·1 + 1·0
    kinds, text = exercise_4(round(answer, 2))
    assert kinds == ["success"] and "0.3·0.0 + 0.3·1.0 + 1.0·0.0 = 0.30" in text
    # the plane's two features only (animal, owned): 0.3·0 + 1·0 = 0
    kinds, text = exercise_4(0.0)
    assert kinds == ["warn"] and "the two features of section 3" in text
    # bark with itself, |bark|² = 1.18
    kinds, text = exercise_4(round(float(X[3] @ X[3]), 2))
    assert kinds == ["warn"] and "That is bark with itself" in text
    # anything else gets the steps
    kinds, text = exercise_4(0.7)
    assert kinds == ["warn"] and "0.70 is not it" in text and "tree&#x27;s entries" in text


def test_exercise_4_follows_the_edited_table():
    table = [list(v) for v in TOY_EMBEDDINGS.values()]
    table[2] = [0.5, 1.0, 0.2]  # tree: a little animal and owned too
    answer = 0.3 * 0.5 + 0.3 * 1.0 + 1.0 * 0.2
    assert exercise_4(round(answer, 2), table)[0] == ["success"]
    assert exercise_4(0.3, table)[0] == ["warn"]  # the unedited table's answer


def test_the_hand_trace_is_checked_against_core():
    table = [list(v) for v in TOY_EMBEDDINGS.values()]
    table[1] = [1.0, 0.5, 0.2]  # an edited dog: the check follows the table
    outputs, defs = load_app(4).run(defs=edited(table))
    X = np.array([table[0], table[1], table[3], table[4]])
    np.testing.assert_allclose(
        defs["new_X"], attention_stages(X, causal=False, scale=False)["output"]
    )
    assert defs["trace_matches_core"] is True
    assert "gives the same <strong>A X</strong>" in outputs_text(outputs)
