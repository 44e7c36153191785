"""The course widgets in Python: construction, validation, trait round trips, assets, export.

What the browser does with them is in test_widgets_browser.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from anywidget import AnyWidget

from core.mirrors.attention import attention_stages
from core.mirrors.sampling import filter_logits, softmax
from tests.exports import export_wasm, export_wheels, imports_torch, wheel_sources
from widgets import (
    AttentionHeatmap,
    AttentionTrace,
    BPEMergePlayer,
    CourseWidget,
    NextTokenDistribution,
    TokenStrip,
    VectorPlane,
    _build_assets,
)
from widgets import _base as widget_base

REPO = Path(__file__).resolve().parents[2]
WIDGETS = REPO / "widgets"
DEMO = WIDGETS / "demo" / "demo.py"

X4 = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
W3 = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def trace_stages(W=W3):
    return {**attention_stages(X4, W, W.T, np.eye(3)), "W_Q": W, "W_K": W.T, "W_V": np.eye(3)}


# one valid set of keywords per widget, and the file stem of its JavaScript
VALID = {
    AttentionHeatmap: (
        "attention_heatmap",
        dict(tokens=["a", " b", " c"], weights=[[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]]),
    ),
    AttentionTrace: ("attention_trace", dict(tokens=["w", "x", "y", "z"], stages=trace_stages())),
    TokenStrip: ("token_strip", dict(tokens=["Hi", " there", "\n"], ids=[1, 2, 3])),
    BPEMergePlayer: (
        "bpe_merge_player",
        dict(initial_tokens=[b"a", b"b", b"a", b"b"], merges=[((b"a", b"b"), 256, 2)]),
    ),
    VectorPlane: ("vector_plane", dict(names=["a", "b"], vectors=[[1.0, 0.0], [0.0, 1.0]])),
    NextTokenDistribution: (
        "next_token",
        dict(tokens=["x", "y", "z"], logits=[1.0, 0.0, -1.0]),
    ),
}


def wire_state(widget) -> dict:
    """What marimo sends to the browser: the widget's own synced traits, through JSON."""
    plumbing = set(AnyWidget.class_trait_names())
    keys = [k for k in widget.trait_names(sync=True) if k not in plumbing and k[0] != "_"]
    return json.loads(json.dumps({k: widget.get_state(k)[k] for k in keys}))


# --- every widget -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", list(VALID), ids=lambda c: c.__name__)
def test_constructs_and_state_is_json(cls):
    stem, kwargs = VALID[cls]
    widget = cls(**kwargs)
    assert isinstance(widget, CourseWidget)
    state = wire_state(widget)  # would raise on NaN/inf/bytes/numpy scalars
    assert set(kwargs) <= widget.data_trait_names()
    # what is sent: every keyword, except the heatmap's data (it sends a window of it, `view`)
    sent = set(kwargs) - ({"tokens", "weights"} if cls is AttentionHeatmap else set())
    assert sent <= set(state)
    assert (WIDGETS / f"{stem}.js").read_text() in widget._esm
    assert (WIDGETS / "_common.js").read_text() in widget._esm
    assert (WIDGETS / f"{stem}.css").read_text() in widget._css
    assert widget._esm.rstrip().endswith("export default { render };")


@pytest.mark.parametrize("cls", list(VALID), ids=lambda c: c.__name__)
def test_unknown_keyword_is_named(cls):
    _, kwargs = VALID[cls]
    with pytest.raises(ValueError, match=r"unknown keyword argument\(s\) colour"):
        cls(**kwargs, colour="red")


@pytest.mark.parametrize("cls", list(VALID), ids=lambda c: c.__name__)
def test_missing_data_is_named(cls):
    _, kwargs = VALID[cls]
    first = cls._required[0]
    with pytest.raises(ValueError, match=f"needs {first}="):
        cls(**{k: v for k, v in kwargs.items() if k != first})


@pytest.mark.parametrize("cls", list(VALID), ids=lambda c: c.__name__)
def test_update_is_all_or_nothing(cls):
    _, kwargs = VALID[cls]
    widget = cls(**kwargs)
    before = wire_state(widget)
    key = cls._required[-1]
    with pytest.raises(ValueError, match=f"{cls.__name__}\\."):
        widget.update(**{cls._required[0]: kwargs[cls._required[0]], key: [[float("nan")]]})
    assert wire_state(widget) == before
    with pytest.raises(ValueError, match="no trait"):
        widget.update(nonsense=1)


# each widget's selection, what it selects, and a smaller set of data (the traits changed together)
SELECTIONS = {
    AttentionHeatmap: ("selected_query", "tokens", dict(tokens=["a", "b"], weights=np.eye(2))),
    AttentionTrace: (
        "selected_query",
        "tokens",
        dict(tokens=["w", "x"], stages=attention_stages(X4[:2], W3, W3.T, np.eye(3))),
    ),
    TokenStrip: ("selected", "tokens", dict(tokens=["a"], ids=[7])),
    VectorPlane: ("selected", "vectors", dict(names=["a"], vectors=[[1.0, 0.0]])),
    NextTokenDistribution: ("selected", "tokens", dict(tokens=["x"], logits=[0.0])),
}


@pytest.mark.parametrize("cls", list(SELECTIONS), ids=lambda c: c.__name__)
def test_selection_is_checked_and_forgotten_when_its_data_shrinks(cls):
    """One helper (widgets._checks.selection) behind every widget's selected index."""
    trait, what, smaller = SELECTIONS[cls]
    widget = cls(**VALID[cls][1])
    n = len(getattr(widget, cls._required[0]))
    with pytest.raises(ValueError, match=f"{trait}: {n} is out of range: there are {n} {what}"):
        setattr(widget, trait, n)
    setattr(widget, trait, n - 1)
    widget.update(**smaller)
    assert getattr(widget, trait) is None


@pytest.mark.parametrize("cls", list(SELECTIONS), ids=lambda c: c.__name__)
def test_sizes_must_agree_whichever_trait_is_set(cls):
    """One helper (widgets._checks.check_sizes) behind every pair of traits that go together."""
    _, _, smaller = SELECTIONS[cls]
    widget = cls(**VALID[cls][1])
    before = wire_state(widget)
    keys = ", ".join(f"{key}=..." for key in smaller)
    together = re.escape(f"to change both, call .update({keys})")
    for key, value in smaller.items():
        with pytest.raises(ValueError, match=f"{cls.__name__}.{key}: .* but .*; {together}"):
            setattr(widget, key, value)
    assert wire_state(widget) == before


def test_widgets_import_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"  # any `import torch` now fails
        "import widgets\n"
        "assert 'torch' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_generated_assets_module_holds_the_js_and_css_files(tmp_path, monkeypatch):
    """widgets/_assets.py (git-ignored; written by setup and before every export) is what the
    WebAssembly export ships: it holds exactly the .js/.css files beside the widgets."""
    target = tmp_path / "_assets.py"
    monkeypatch.setattr(_build_assets, "TARGET", target)
    assert _build_assets.write() is True and _build_assets.write() is False
    namespace: dict = {}
    exec(target.read_text(), namespace)
    assert namespace["FILES"] == _build_assets.source_files()
    names = set(_build_assets.source_files())
    stems = {stem for stem, _ in VALID.values()}
    assert names == {f"{s}{ext}" for s in stems | {"_common"} for ext in (".js", ".css")}


def test_widgets_read_their_js_and_css_from_the_files_beside_them():
    for stem, _ in VALID.values():
        common, own = (WIDGETS / "_common.js").read_text(), (WIDGETS / f"{stem}.js").read_text()
        assert widget_base.esm(stem) == common + "\n" + own


def test_build_assets_check_detects_a_stale_copy(tmp_path, monkeypatch):
    stale = tmp_path / "_assets.py"
    stale.write_text("FILES = {}\n")
    monkeypatch.setattr(_build_assets, "TARGET", stale)
    assert _build_assets.main(["--check"]) == 1
    assert _build_assets.main([]) == 0
    assert _build_assets.main(["--check"]) == 0
    namespace: dict = {}
    exec(stale.read_text(), namespace)
    assert namespace["FILES"] == _build_assets.source_files()


# numbers given as text: NumPy would convert "3" to 3.0; the widgets refuse it, by name
NUMERIC_STRINGS = [
    (AttentionHeatmap, dict(tokens=["a", "b"], weights=[["1", "0"], ["0", "1"]]), "weights"),
    (AttentionHeatmap, dict(tokens=["a", "b"], weights=[[1.0, 0.0], [0.0, "1"]]), "weights"),
    (AttentionHeatmap, dict(tokens=["a"], weights=np.array([["1"]])), "weights"),
    (NextTokenDistribution, dict(tokens=["a", "b"], logits=["3", "1"]), "logits"),
    (VectorPlane, dict(names=["a"], vectors=[[1.0, "0.5"]]), "vectors"),
    (
        AttentionTrace,
        dict(tokens=list("wxyz"), stages={**trace_stages(), "X": X4.astype(str)}),
        r"stages\['X'\]",
    ),
    (NextTokenDistribution, dict(tokens=["a"], logits=[1.0], temperature="3"), "temperature"),
    (NextTokenDistribution, dict(tokens=["a"], logits=[1.0], top_k="3"), "top_k"),
    (AttentionHeatmap, dict(tokens=["a"], weights=[[1.0]], decimals="3"), "decimals"),
]


@pytest.mark.parametrize(("cls", "kwargs", "trait"), NUMERIC_STRINGS)
def test_numbers_given_as_strings_are_refused_by_name(cls, kwargs, trait):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{trait}: expected .*(string|got '3')"):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [AttentionHeatmap, NextTokenDistribution])
def test_token_text_must_be_text_not_a_lone_surrogate(cls):
    kwargs = dict(VALID[cls][1])
    tokens = list(kwargs["tokens"])
    tokens[1] = "\ud800"
    with pytest.raises(
        ValueError, match=rf"{cls.__name__}\.tokens: entry 1 holds a lone surrogate"
    ):
        cls(**{**kwargs, "tokens": tokens})


# --- AttentionHeatmap -------------------------------------------------------------------


def test_heatmap_round_trip_and_browser_click():
    weights = softmax(np.tril(np.ones((3, 3))) * 2 - 9 * np.triu(np.ones((3, 3)), 1))
    heatmap = AttentionHeatmap(tokens=["a", "b", "c"], weights=weights)
    np.testing.assert_array_equal(heatmap.weights, weights)
    assert heatmap.n_heads == 1
    assert wire_state(heatmap)["view"] == {
        "start": 0,
        "total": 3,
        "tokens": ["a", "b", "c"],
        "weights": weights.tolist(),
    }
    assert heatmap.selected_query is None
    heatmap.set_state({"selected_query": 2})  # what marimo does when the learner clicks row 2
    assert heatmap.selected_query == 2
    with pytest.raises(ValueError, match="selected_query: 3 is out of range: there are 3 tokens"):
        heatmap.set_state({"selected_query": 3})


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.eye(2), r"3 tokens but weights of shape \(2, 2\)"),
        (np.eye(3) * 2, r"must lie in \[0, 1\]"),
        ([[1, 0, 0], [0, 1, 0], [0, 0, float("nan")]], r"contains NaN \(first at index \(2, 2\)\)"),
        ([[1, 0, 0], [0, 1], [0, 0, 1]], "rectangular"),
        ([], "is empty"),
        (np.ones(3), r"expected a 2-D or 3-D array, got shape \(3,\)"),
        ("weights", "expected numbers"),
    ],
)
def test_heatmap_rejects_malformed_weights(weights, message):
    with pytest.raises(ValueError, match=message):
        AttentionHeatmap(tokens=["a", "b", "c"], weights=weights)


def test_heatmap_rejects_bad_tokens_and_settings():
    with pytest.raises(ValueError, match="tokens: is empty"):
        AttentionHeatmap(tokens=[], weights=np.eye(1))
    with pytest.raises(ValueError, match="entry 1 is an empty string"):
        AttentionHeatmap(tokens=["a", ""], weights=np.eye(2))
    with pytest.raises(ValueError, match="entry 0 is int"):
        AttentionHeatmap(tokens=[1, 2], weights=np.eye(2))
    with pytest.raises(ValueError, match=r"decimals: expected an integer in \[0, 4\]"):
        AttentionHeatmap(tokens=["a"], weights=[[1.0]], decimals=7)
    with pytest.raises(ValueError, match="show_values: expected True or False"):
        AttentionHeatmap(tokens=["a"], weights=[[1.0]], show_values="yes")


def test_heatmap_changing_size_needs_update_and_keeps_selection_valid():
    heatmap = AttentionHeatmap(tokens=list("abcd"), weights=np.eye(4), selected_query=3)
    with pytest.raises(ValueError, match=r"call \.update\(tokens=\.\.\., weights=\.\.\.\)"):
        heatmap.weights = np.eye(2)
    assert len(heatmap.weights) == 4  # unchanged
    heatmap.update(tokens=["x", "y"], weights=np.eye(2))
    assert heatmap.tokens == ["x", "y"] and heatmap.selected_query is None


def test_heatmap_multi_head():
    weights = np.stack([np.eye(3), np.full((3, 3), 1 / 3), np.tril(np.ones((3, 3))) / 3])
    heatmap = AttentionHeatmap(tokens=list("abc"), weights=weights, selected_head=2)
    assert heatmap.n_heads == 3 and np.shape(heatmap.weights) == (3, 3, 3)
    with pytest.raises(ValueError, match="selected_head: 3 is out of range: there are 3 heads"):
        heatmap.selected_head = 3
    heatmap.weights = weights[:2]
    assert heatmap.selected_head == 0  # head 2 is gone: back to the first
    with pytest.raises(ValueError, match="expected a 2-D or 3-D array"):
        heatmap.weights = weights[None]


def causal_weights(t: int, heads: int = 1, seed: int = 0) -> np.ndarray:
    scores = np.random.default_rng(seed).normal(size=(heads, t, t))
    weights = softmax(np.where(np.tril(np.ones((t, t), dtype=bool)), scores, -np.inf))
    return weights[0] if heads == 1 else weights


def test_heatmap_sends_at_most_256_tokens_of_a_long_text():
    """2,000 tokens used to send all 4 million weights (32 MB of JSON)."""
    tokens = [f" t{i}" for i in range(2000)]
    weights = causal_weights(2000)
    heatmap = AttentionHeatmap(tokens=tokens, weights=weights)
    payload = json.dumps(wire_state(heatmap))
    assert len(payload) < 1.5e6  # 256² weights at most, about 20 characters each
    view = heatmap.view
    assert (view["start"], view["total"], heatmap.view_size) == (0, 2000, 256)
    assert view["tokens"] == tokens[:256]
    np.testing.assert_array_equal(view["weights"], weights[:256, :256])
    assert heatmap.weights.shape == (2000, 2000)  # Python keeps them all
    with pytest.raises(ValueError, match=r"window_size: expected an integer in \[1, 256\]"):
        heatmap.window_size = 300


def test_heatmap_window_moves_and_positions_stay_those_of_the_text():
    tokens = [f" t{i}" for i in range(1024)]  # GPT-2's context
    weights = causal_weights(1024)
    heatmap = AttentionHeatmap(tokens=tokens, weights=weights)
    heatmap.set_state({"window_start": 512})  # what the ▶ button sends, twice
    view = wire_state(heatmap)["view"]
    assert view["start"] == 512 and view["tokens"] == tokens[512:768]
    np.testing.assert_array_equal(view["weights"], weights[512:768, 512:768])
    heatmap.set_state({"selected_query": 600})  # a click on a row of that window
    assert heatmap.selected_query == 600 and heatmap.window_start == 512
    heatmap.set_state({"window_start": 768})  # the last window
    with pytest.raises(ValueError, match="window_start: 769 is past the last window: 1024 tokens"):
        heatmap.window_start = 769
    heatmap.selected_query = 10  # set from Python, outside the window: the window follows
    assert heatmap.window_start == 0 and heatmap.view["start"] == 0
    heatmap.selected_query = 1000
    assert heatmap.window_start == 1024 - 256
    heatmap.window_size = 16
    assert heatmap.view_size == 16 and len(heatmap.view["tokens"]) == 16
    heatmap.update(tokens=tokens[:300], weights=weights[:300, :300])  # shorter: window clamps
    assert heatmap.selected_query is None and heatmap.window_start == 300 - 16
    heatmap.window_size = 256  # or the window had run past the end
    assert heatmap.window_start == 300 - 256 and heatmap.view["tokens"] == tokens[44:300]
    heatmap.update(tokens=["a", "b"], weights=np.eye(2))
    assert heatmap.window_start == 0 and heatmap.view["tokens"] == ["a", "b"]


def test_heatmap_with_many_heads_sends_at_most_65536_weights():
    heatmap = AttentionHeatmap(tokens=["x"] * 1024, weights=causal_weights(1024, heads=12))
    assert heatmap.n_heads == 12 and heatmap.view_size == 73  # 12 · 73² <= 256²
    sent = np.asarray(wire_state(heatmap)["view"]["weights"])
    assert sent.shape == (12, 73, 73) and sent.size <= 256 * 256
    heatmap.selected_head = 11
    heatmap.window_start = 1024 - 73
    np.testing.assert_array_equal(heatmap.view["weights"][11], heatmap.weights[11, -73:, -73:])


# --- AttentionTrace ---------------------------------------------------------------------


def test_trace_sends_every_stage_with_masked_as_none():
    stages = trace_stages()
    trace = AttentionTrace(tokens=list("wxyz"), stages=stages, selected_query=1)
    sent = wire_state(trace)["stages"]
    assert set(sent) == set(stages)
    np.testing.assert_allclose(sent["Q"], X4 @ W3)
    np.testing.assert_allclose(sent["weights"], stages["weights"])
    assert sent["masked"][1] == [stages["masked"][1][0], stages["masked"][1][1], None, None]
    # the wire form is accepted back (traitlets re-validates it): -inf survives the trip
    trace.stages = sent
    assert trace.stages == sent
    trace.set_state({"selected_query": 3})
    assert trace.selected_query == 3


def test_trace_accepts_stages_without_projections():
    trace = AttentionTrace(tokens=list("wxyz"), stages=attention_stages(X4))
    assert "W_Q" not in trace.stages


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(K=np.zeros((4, 2))), r"K has shape \(4, 2\), expected \(4, 3\)"),
        (dict(W_V=np.zeros((2, 3))), r"W_V has shape \(2, 3\), expected \(3, 3\)"),
        (dict(scores=np.zeros((3, 4))), r"scores has shape \(3, 4\), expected \(4, 4\)"),
        (dict(Q=np.full((4, 3), np.nan)), r"stages\['Q'\]: contains NaN"),
        (dict(scaled=np.full((4, 4), -np.inf)), r"stages\['scaled'\]: contains an infinite"),
        (dict(extra=np.eye(2)), "unknown extra"),
    ],
)
def test_trace_rejects_malformed_stages(change, message):
    with pytest.raises(ValueError, match=message):
        AttentionTrace(tokens=list("wxyz"), stages={**trace_stages(), **change})


def _with_weights(weights):
    return {**trace_stages(), "weights": np.asarray(weights, dtype=float)}


def test_trace_weights_must_be_softmax_rows():
    """In [0, 1], 0 where the mask hides a key, each row summing to 1 (within 1e-5)."""
    good = np.asarray(trace_stages()["weights"])
    too_big = good.copy()
    too_big[1] = [1.5, -0.5, 0, 0]  # sums to 1, but out of range
    with pytest.raises(ValueError, match=r"stages\['weights'\]: attention weights must lie in"):
        AttentionTrace(tokens=list("wxyz"), stages=_with_weights(too_big))
    unnormalised = good.copy()
    unnormalised[2] *= 0.9
    with pytest.raises(ValueError, match=r"row 2 sums to 0\.9, not 1 \(within 1e-05\)"):
        AttentionTrace(tokens=list("wxyz"), stages=_with_weights(unnormalised))
    leaked = good.copy()
    leaked[0] = [0.5, 0.5, 0, 0]  # query 0 may see only key 0
    with pytest.raises(ValueError, match=r"row 0 gives weight 0\.5 to key 1, which the mask hides"):
        AttentionTrace(tokens=list("wxyz"), stages=_with_weights(leaked))
    # float32 weights (torch's default dtype) are within the tolerance
    trace = AttentionTrace(tokens=list("wxyz"), stages=_with_weights(good.astype(np.float32)))
    np.testing.assert_allclose(trace.stages["weights"], good, atol=1e-7)


def test_trace_rejects_missing_stage_and_token_mismatch():
    stages = trace_stages()
    del stages["weights"]
    with pytest.raises(ValueError, match="missing weights"):
        AttentionTrace(tokens=list("wxyz"), stages=stages)
    with pytest.raises(ValueError, match="3 tokens but X has 4 rows"):
        AttentionTrace(tokens=list("xyz"), stages=trace_stages())


TRACE_LABELS = dict(
    feature_labels=["animal", "plant", "owned"],
    query_labels=["q₀", "q₁", "q₂"],
    key_labels=["k₀", "k₁", "k₂"],
    value_labels=["v₀", "v₁", "v₂"],
)


def test_trace_labels_and_show_values_round_trip():
    plain = AttentionTrace(tokens=list("wxyz"), stages=trace_stages())
    state = wire_state(plain)
    assert [state[k] for k in TRACE_LABELS] == [None] * 4  # the browser numbers the columns
    assert state["show_values"] is True
    trace = AttentionTrace(
        tokens=list("wxyz"),
        stages=trace_stages(),
        show_values=False,
        **{k: tuple(v) for k, v in TRACE_LABELS.items()},  # any sequence; lists on the wire
    )
    state = wire_state(trace)
    assert {k: state[k] for k in TRACE_LABELS} == TRACE_LABELS
    assert state["show_values"] is False
    trace.set_state({"value_labels": ["a", "b", "c"], "show_values": True})
    assert trace.value_labels == ["a", "b", "c"] and trace.show_values is True
    trace.query_labels = None  # back to numbers
    assert wire_state(trace)["query_labels"] is None


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        # set together, either trait may be checked last: the message reads the same
        (dict(feature_labels=["a", "b"]), r"X has 3 columns \(features\) but 2 feature_labels"),
        (dict(query_labels=list("abcd")), r"Q has 3 columns \(query slots\) but 4 query_labels"),
        (dict(key_labels=["k"]), r"K has 3 columns \(key slots\) but 1 key_labels"),
        (dict(value_labels=[]), "value_labels: is empty"),
        (dict(value_labels=["v", "v", "w"]), "value_labels: labels must be distinct; 'v' repeats"),
        (dict(feature_labels=["a", "", "c"]), "feature_labels: entry 1 is an empty string"),
        (dict(key_labels="abc"), "key_labels: expected a list of strings, got str"),
        (dict(query_labels=[0, 1, 2]), "query_labels: entry 0 is int"),
        (dict(show_values="no"), "show_values: expected True or False"),
    ],
)
def test_trace_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        AttentionTrace(tokens=list("wxyz"), stages=trace_stages(), **labels)


def test_trace_labels_must_follow_a_change_of_shape():
    trace = AttentionTrace(tokens=list("wxyz"), stages=trace_stages(), **TRACE_LABELS)
    narrow = attention_stages(X4, np.eye(3, 2), np.eye(3, 2), np.eye(3, 2))  # d = d_v = 2
    with pytest.raises(
        ValueError,
        match=r"stages: Q has 2 columns \(query slots\) but 3 query_labels; to change both, "
        r"call \.update\(stages=\.\.\., query_labels=\.\.\.\)",
    ):
        trace.stages = narrow
    assert len(trace.stages["Q"][0]) == 3  # unchanged
    with pytest.raises(ValueError, match="but 3 key_labels"):  # all or nothing
        trace.update(stages=narrow, query_labels=["a", "b"], value_labels=["c", "d"])
    assert trace.query_labels == TRACE_LABELS["query_labels"]
    assert len(trace.stages["Q"][0]) == 3
    trace.update(stages=narrow, query_labels=["a", "b"], key_labels=None, value_labels=["c", "d"])
    state = wire_state(trace)
    assert np.shape(state["stages"]["Q"]) == (4, 2) and np.shape(state["stages"]["V"]) == (4, 2)
    assert state["query_labels"] == ["a", "b"] and state["key_labels"] is None
    assert state["feature_labels"] == TRACE_LABELS["feature_labels"]  # C is still 3


# --- TokenStrip -------------------------------------------------------------------------


def test_token_strip_keeps_text_and_shows_partial_bytes_as_bytes():
    smile = "🙂".encode()  # 4 bytes, each invalid UTF-8 alone
    strip = TokenStrip(tokens=["a", " b", b" c", smile[:2], [smile[2], smile[3]]], ids=range(5))
    assert strip.tokens == ["a", " b", " c", [0xF0, 0x9F], [0x99, 0x82]]
    assert strip.ids == [0, 1, 2, 3, 4]
    assert wire_state(strip)["tokens"] == strip.tokens
    strip.update(tokens=["x"], ids=[])
    assert strip.ids == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(tokens=["a", "b"], ids=[1]), "2 tokens but 1 ids"),
        (dict(tokens=["a"], ids=[-1]), "ids must be >= 0"),
        (dict(tokens=["a"], ids=[1.5]), "expected a list of token ids"),
        (dict(tokens=["a", b""]), "entry 1 is empty"),
        (dict(tokens=["a", ""]), "entry 1 is empty"),
        (dict(tokens=["a", [300]]), "entry 1 is"),
        (dict(tokens="abc"), "expected a list of tokens"),
        (dict(tokens=[]), "is empty"),
        (dict(tokens=["a"], selected=1), "selected: 1 is out of range"),
        (dict(tokens=["a", "\ud83d"]), "entry 1 holds a lone surrogate U\\+D83D"),
        (dict(tokens=["ok\udc80"]), "entry 0 holds a lone surrogate U\\+DC80 at character 2"),
    ],
)
def test_token_strip_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TokenStrip(**kwargs)


# --- BPEMergePlayer ---------------------------------------------------------------------

LOW_MERGES = [((b"l", b"o"), 256, 2), ((b"lo", b"w"), 257, 2), ((b"e", b"r"), 258, 1)]


def test_bpe_player_replays_merges_by_hand():
    player = BPEMergePlayer.from_text("low lower", LOW_MERGES)
    assert player.initial_tokens == [[b] for b in b"low lower"]
    assert player.merges[0] == {"pair": [[108], [111]], "id": 256, "count": 2}
    assert player.segmentation(0) == [bytes([b]) for b in b"low lower"]
    assert player.segmentation(1) == [b"lo", b"w", b" ", b"lo", b"w", b"e", b"r"]
    assert player.segmentation(3) == [b"low", b" ", b"low", b"er"]
    player.set_state({"step": 2})  # the learner pressed "next" twice
    assert player.segmentation() == [b"low", b" ", b"low", b"e", b"r"]


def test_bpe_player_accepts_dicts_and_never_merges_across_chunks():
    merges = [{"pair": ("b", "a"), "id": 256, "count": 1}]
    player = BPEMergePlayer.from_text(["ab", "ab"], merges, step=1)
    assert player.chunk_starts == [2]
    assert player.segmentation() == [b"a", b"b", b"a", b"b"]  # "b|a" spans the chunk start
    joined = BPEMergePlayer.from_text("abab", merges, step=1)
    assert joined.segmentation() == [b"a", b"ba", b"b"]


def test_bpe_player_handles_multibyte_characters():
    text = "né né"
    e_acute = "é".encode()
    player = BPEMergePlayer.from_text(text, [((e_acute[:1], e_acute[1:]), 256, 2)])
    assert player.segmentation(1) == [b"n", e_acute, b" ", b"n", e_acute]
    assert player.initial_tokens[1] == [e_acute[0]]  # half a character: sent as a byte value


@pytest.mark.parametrize(
    ("merges", "message"),
    [
        ([((b"lo", b"w"), 256, 2)], "merge 0: the left token b'lo' is neither a byte"),
        ([((b"l",), 256, 2)], "merge 0: pair must be two tokens"),
        ([((b"l", b"o"), -1, 2)], "merge 0 id must be an integer >= 0"),
        ([((b"l", b"o"), 256, 1.5)], "merge 0 count must be an integer >= 0"),
        ([{"pair": (b"l", b"o"), "id": 256}], "merge 0 has keys"),
        ([], "is empty: there is nothing to replay"),
        ([((b"l", b""), 256, 2)], r"merge 0 pair\[1\] is empty"),
        (
            [((b"l", b"o"), 256, 2), ((b"e", b"r"), 256, 1)],
            "merge 1 id 256 was already given by merge 0",
        ),
        ([((b"l", b"o"), 100, 2)], "merge 0 id 100 is below 256: ids 0..255 are the single bytes"),
        ([((b"l", b"o"), 0, 2)], "merge 0 id 0 is below 256"),
        ([((b"l", "\ud800"), 256, 2)], r"merge 0 pair\[1\] holds a lone surrogate"),
    ],
)
def test_bpe_player_rejects_malformed_records(merges, message):
    with pytest.raises(ValueError, match=message):
        BPEMergePlayer.from_text("low lower", merges)


def test_bpe_player_step_and_chunks_are_checked():
    with pytest.raises(ValueError, match="step: 4 is past the last of 3 merges"):
        BPEMergePlayer.from_text("low lower", LOW_MERGES, step=4)
    with pytest.raises(ValueError, match="chunk_starts: must be increasing indices"):
        BPEMergePlayer(initial_tokens=list("abc"), merges=LOW_MERGES[:1], chunk_starts=[2, 1])
    with pytest.raises(ValueError, match="3 initial tokens but 2 ids; to change both"):
        BPEMergePlayer(initial_tokens=list("abc"), merges=LOW_MERGES[:1], initial_ids=[1, 2])
    player = BPEMergePlayer(
        initial_tokens=list("abc"), merges=LOW_MERGES[:1], initial_ids=[1, 2, 3]
    )
    with pytest.raises(ValueError, match="initial_tokens: 2 initial tokens but 3 ids"):
        player.initial_tokens = list("ab")  # the ids would no longer fit
    player = BPEMergePlayer.from_text("low lower", LOW_MERGES, step=3)
    player.merges = LOW_MERGES[:1]
    assert player.step == 1


# --- VectorPlane ------------------------------------------------------------------------


def test_vector_plane_round_trip_from_the_browser():
    plane = VectorPlane(names=["a", "b"], vectors=np.array([[1.0, 0.5], [-0.5, 1.0]]))
    plane.set_state({"vectors": [[1.0, 0.5], [0.8, 0.6]], "selected": 1})  # b was dragged
    a, b = plane.as_dict().values()
    assert plane.selected == 1 and float(a @ b) == pytest.approx(1.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(names=["a"], vectors=[[3.0, 0.0]]), "lies outside the visible square of extent 2"),
        (dict(names=["a"], vectors=[[1.0, 0.0, 0.0]]), "expected N rows of"),
        (dict(names=["a", "b"], vectors=[[1.0, 0.0]]), "2 names but 1 vectors"),
        (dict(names=["a", "a"], vectors=[[1, 0], [0, 1]]), "names must be distinct"),
        (dict(names=["a"], vectors=[[np.nan, 0]]), "contains NaN"),
        (dict(names=["a"], vectors=[[1.0, 0.0]], extent=0), "extent: expected a number"),
        (dict(names=["a"], vectors=[[1.0, 0.0]], snap=-0.1), "snap: expected a number"),
    ],
)
def test_vector_plane_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VectorPlane(**kwargs)


def test_vector_plane_axis_labels():
    plane = VectorPlane(names=["a"], vectors=[[1.0, 0.0]])
    assert wire_state(plane)["axis_labels"] == ["x", "y"]
    plane = VectorPlane(names=["a"], vectors=[[1.0, 0.0]], axis_labels=("animal", "owned"))
    assert wire_state(plane)["axis_labels"] == ["animal", "owned"]
    plane.set_state({"axis_labels": ["u", "v"]})
    assert plane.axis_labels == ["u", "v"]
    for labels, message in [
        (["x"], r"axis_labels: expected 2 labels, got 1: \['x'\]"),
        (["x", "y", "z"], "expected 2 labels, got 3"),
        (["x", "x"], "labels must be distinct; 'x' repeats"),
        (["x", ""], "entry 1 is an empty string"),
        (None, "expected a list of strings, got NoneType"),
        ("xy", "expected a list of strings, got str"),
    ]:
        with pytest.raises(ValueError, match=message):
            plane.axis_labels = labels
    assert plane.axis_labels == ["u", "v"]


def test_vector_plane_extent_cannot_hide_a_vector():
    plane = VectorPlane(names=["a"], vectors=[[1.5, 0.0]], extent=3.0)
    with pytest.raises(ValueError, match=r"extent: 1\.0 is too small"):
        plane.extent = 1.0


# --- NextTokenDistribution --------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        dict(),
        dict(temperature=0.5),
        dict(temperature=0.0),
        dict(top_k=2),
        dict(top_p=0.6),
        dict(temperature=1.7, top_k=4, top_p=0.9),
    ],
)
def test_next_token_numbers_are_core_sampling(settings):
    logits = np.array([3.1, 2.4, 2.2, 1.9, -0.3, -2.0])
    dist = NextTokenDistribution(tokens=list("abcdef"), logits=logits, **settings)
    numbers = wire_state(dist)["distribution"]
    filtered = filter_logits(logits, **settings)
    np.testing.assert_allclose(numbers["scaled"], softmax(logits, settings.get("temperature", 1)))
    np.testing.assert_allclose(numbers["final"], softmax(filtered))
    assert numbers["kept"] == np.isfinite(filtered).tolist()
    np.testing.assert_allclose(sum(numbers["final"]), 1.0)


def test_next_token_golden_values_and_live_updates():
    dist = NextTokenDistribution(tokens=["cat", "dog", "car"], logits=[2.0, 1.0, 0.0], top_k=2)
    assert dist.distribution["kept"] == [True, True, False]
    np.testing.assert_allclose(dist.distribution["final"], [0.731059, 0.268941, 0.0], atol=1e-6)
    dist.update(temperature=0.0, top_k=None)  # greedy
    assert dist.distribution["final"] == [1.0, 0.0, 0.0]
    dist.top_p = 0.5
    assert dist.distribution["kept"] == [True, False, False]


@pytest.mark.parametrize("temperature", [1.0, 0.5, 1e-8, 0.0])
def test_next_token_stays_finite_for_logits_near_the_float_limit(temperature):
    """Dividing 1e308 by 0.5 overflowed to inf and the whole distribution became NaN."""
    big = np.finfo(np.float64).max
    dist = NextTokenDistribution(
        tokens=list("abcd"), logits=[0.9 * big, -0.9 * big, 0.0, 0.5 * big], temperature=temperature
    )
    numbers = wire_state(dist)["distribution"]
    assert numbers["scaled"] == [1.0, 0.0, 0.0, 0.0] and numbers["final"] == [1.0, 0.0, 0.0, 0.0]
    dist.temperature = 1e-300
    assert dist.distribution["final"] == [1.0, 0.0, 0.0, 0.0]


def test_next_token_refuses_a_non_finite_distribution_and_keeps_its_data(monkeypatch):
    from widgets import next_token

    dist = NextTokenDistribution(tokens=["a", "b"], logits=[1.0, 0.0])
    before = wire_state(dist)
    monkeypatch.setattr(next_token, "softmax", lambda *a, **k: np.full(2, np.nan))
    with pytest.raises(ValueError, match=r"NextTokenDistribution\.logits: .* non-finite scaled"):
        dist.logits = [2.0, 0.0]
    with pytest.raises(ValueError, match="non-finite"):
        dist.update(temperature=0.5, top_k=1)
    assert wire_state(dist) == before
    with pytest.raises(ValueError, match="non-finite"):
        NextTokenDistribution(tokens=["a", "b"], logits=[1.0, 0.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(logits=[1.0, np.nan, 0.0]), "logits: contains NaN"),
        (dict(logits=[1.0, 0.0]), "3 tokens but 2 logits"),
        (dict(logits=[1.0, 0.0, 0.0], temperature=-1), "temperature: expected a number"),
        (dict(logits=[1.0, 0.0, 0.0], top_k=0), r"top_k: expected an integer in \[1, inf\]"),
        (dict(logits=[1.0, 0.0, 0.0], top_p=1.5), "top_p: expected a number"),
        (dict(logits=[1.0, 0.0, 0.0], top_p=0.0), "top_p: expected a number"),
        (dict(logits=[1.0, 0.0, 0.0], distribution={}), "unknown keyword argument"),
    ],
)
def test_next_token_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NextTokenDistribution(tokens=["a", "b", "c"], **kwargs)


# --- the demo notebook and its WebAssembly export ---------------------------------------


def test_demo_runs_headless():
    result = subprocess.run(
        [sys.executable, str(DEMO)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def wasm_export(tmp_path_factory) -> Path:
    """`marimo export html-wasm` of the demo, offline, widgets/_assets.py regenerated first."""
    return export_wasm(DEMO, tmp_path_factory.mktemp("wasm"))


def test_wasm_export_ships_every_widgets_javascript(wasm_export):
    files = wheel_sources(export_wheels(wasm_export))
    for module in ("__init__", "_base", "_checks", "_assets", *(s for s, _ in VALID.values())):
        assert f"widgets/{module}.py" in files, f"widgets/{module}.py is not in the export"
    shipped: dict = {}
    exec(files["widgets/_assets.py"], shipped)
    for stem in ("_common", *(s for s, _ in VALID.values())):
        for ext in (".js", ".css"):
            assert shipped["FILES"][f"{stem}{ext}"] == (WIDGETS / f"{stem}{ext}").read_text()


def test_wasm_export_imports_no_torch(wasm_export):
    files = wheel_sources(export_wheels(wasm_export))
    assert "core/mirrors/attention.py" in files and "core/mirrors/sampling.py" in files
    offenders = [name for name, source in files.items() if imports_torch(source)]
    assert offenders == []
    html = (wasm_export / "index.html").read_text()
    start = html.index("<marimo-code")
    code = urllib.parse.unquote(html[html.index(">", start) + 1 : html.index("</marimo-code>")])
    assert "import marimo" in code and "widgets" in code
    assert not imports_torch(code)
    header = code.split("# ///")[1]  # the PEP 723 dependencies Pyodide installs
    assert "torch" not in header and "anywidget" in header


def test_wasm_export_wheels_work_alone_without_torch(wasm_export, tmp_path):
    """Unpack the shipped wheels and build every widget from them alone, torch blocked."""
    for name, source in wheel_sources(export_wheels(wasm_export)).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    code = (
        "import sys; sys.modules['torch'] = None\n"
        f"sys.path[:0] = [{str(tmp_path)!r}]\n"
        "import widgets, core\n"
        f"assert widgets.__file__.startswith({str(tmp_path)!r}), widgets.__file__\n"
        "w = widgets.NextTokenDistribution(tokens=['a', 'b'], logits=[1.0, 0.0], top_k=1)\n"
        "assert w.distribution['kept'] == [True, False]\n"
        "assert 'export default { render }' in widgets.AttentionTrace._esm\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]


# --- the browser-test support -----------------------------------------------------------


def test_missing_chromium_skips_unless_ci_requires_it(monkeypatch, tmp_path):
    from tests.browser import support as browser_support

    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("COURSE_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        browser_support.require_chromium()
    monkeypatch.setenv("COURSE_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="COURSE_REQUIRE_BROWSER=1 requires"):
        browser_support.require_chromium()


def test_bpe_player_takes_id_pairs_like_core_tokenizers_record():
    """core.tokenize.bpe records Merge(pair=(id, id), new_id, count): ids resolve to bytes."""

    class Merge:  # the shape of core.tokenize.bpe.Merge, without importing it
        def __init__(self, pair, new_id, count):
            self.pair, self.new_id, self.count = pair, new_id, count

    record = [Merge((97, 97), 256, 4), Merge((97, 98), 257, 2), Merge((256, 257), 258, 2)]
    player = BPEMergePlayer.from_text("aaabdaaabac", record)
    assert player.merges[2] == {"pair": [[97, 97], [97, 98]], "id": 258, "count": 2}
    # the worked example of core/tokenize/bpe_tokenizer.py's docstring
    assert player.segmentation(3) == [b"aaab", b"d", b"aaab", b"a", b"c"]
    unknown_count = BPEMergePlayer.from_text("ab", [((97, 98), 256, None)])
    assert unknown_count.merges[0]["count"] is None
    with pytest.raises(ValueError, match=r"merge 0 pair\[1\]: id 300 is neither a byte"):
        BPEMergePlayer.from_text("ab", [((97, 300), 256, 1)])
