# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "anywidget>=0.11",
#     "traitlets>=5.9",
#     "numpy>=1.26",
# ]
# ///
"""Every course widget wired to marimo controls. Not a lesson: a place to see and test them.

Run it: `marimo run widgets/demo/demo.py` (or `marimo edit`). The browser tests serve it.
It lives in a folder of its own because marimo's WebAssembly export treats the notebook's
folder as an import root: next to the widget modules, `widgets` would not be packaged.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Course widgets")


@app.cell(hide_code=True)
def _():
    import re
    from collections import Counter
    from itertools import pairwise

    import marimo as mo
    import numpy as np

    from core.mirrors.attention import attention_stages, softmax
    from widgets import (
        AttentionHeatmap,
        AttentionTrace,
        BPEMergePlayer,
        NextTokenDistribution,
        TokenStrip,
        VectorPlane,
    )

    return (
        AttentionHeatmap,
        AttentionTrace,
        BPEMergePlayer,
        Counter,
        NextTokenDistribution,
        TokenStrip,
        VectorPlane,
        attention_stages,
        mo,
        np,
        pairwise,
        re,
        softmax,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # The course's widgets

    Each widget is created once, in a cell of its own; the cells below it push new numbers
    into it, and what you do in it (click a row, drag an arrow, step a merge) comes back to
    Python and re-runs the cells that read it.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Attention heatmap

    Row $i$ holds the weights with which token $i$ (the query) looks at every earlier token
    (the keys): $\mathrm{softmax}(\text{sharpness} \cdot s_{i,:})$ with future keys masked.
    Move the slider; click a row.
    """)
    return


@app.cell
def _(np):
    heat_tokens = ["The", " cat", " sat", " on", " the", " warm", " mat", "."]
    # fixed random scores for 4 heads: (H, T, T)
    heat_scores = np.random.default_rng(7).normal(size=(4, len(heat_tokens), len(heat_tokens)))
    causal = np.tril(np.ones((len(heat_tokens), len(heat_tokens)), dtype=bool))
    return causal, heat_scores, heat_tokens


@app.cell
def _(mo):
    sharpness_slider = mo.ui.slider(
        0.0, 4.0, step=0.25, value=1.0, label="sharpness", show_value=True
    )
    sharpness_slider
    return (sharpness_slider,)


@app.cell
def _(AttentionHeatmap, heat_tokens, mo, np):
    heatmap = mo.ui.anywidget(
        AttentionHeatmap(tokens=heat_tokens, weights=np.eye(len(heat_tokens)))
    )
    heatmap
    return (heatmap,)


@app.cell
def _(causal, heat_scores, heatmap, np, sharpness_slider, softmax):
    heatmap.weights = softmax(np.where(causal, sharpness_slider.value * heat_scores[0], -np.inf))
    return


@app.cell
def _(heat_tokens, heatmap, mo, np):
    _q = heatmap.selected_query
    mo.md(
        "Click a row of the heatmap: Python will receive it here."
        if _q is None
        else f"Python received query row **{_q}** ({heat_tokens[_q]!r}); its weights: "
        + ", ".join(f"{w:.2f}" for w in np.asarray(heatmap.weights)[_q])
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Several heads.** Give the heatmap (H, T, T) weights: a small map per head; click one
    to enlarge it.
    """)
    return


@app.cell
def _(AttentionHeatmap, causal, heat_scores, heat_tokens, mo, np, softmax):
    heads = mo.ui.anywidget(
        AttentionHeatmap(
            tokens=heat_tokens, weights=softmax(np.where(causal, 2 * heat_scores, -np.inf))
        )
    )
    heads
    return (heads,)


@app.cell
def _(heads, mo):
    mo.md(f"""
    Enlarged: head **{heads.selected_head}**.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **A longer text, through a window.** A heatmap draws at most 256 tokens at once (GPT-2
    reads 1,024); Python keeps every weight and sends the window's. Here 40 tokens are shown
    16 at a time (`window_size=16`): move the window with ◀ ▶ or the slider.
    """)
    return


@app.cell
def _(AttentionHeatmap, mo, np, softmax):
    long_tokens = [f" w{i}" for i in range(40)]
    _scores = np.random.default_rng(3).normal(size=(40, 40))
    long_heatmap = mo.ui.anywidget(
        AttentionHeatmap(
            tokens=long_tokens,
            weights=softmax(np.where(np.tril(np.ones((40, 40), dtype=bool)), _scores, -np.inf)),
            window_size=16,
        )
    )
    long_heatmap
    return long_heatmap, long_tokens


@app.cell
def _(long_heatmap, long_tokens, mo):
    _start = long_heatmap.window_start
    _q = long_heatmap.selected_query
    mo.md(
        f"Python sees the window from token {_start} to {_start + long_heatmap.view_size - 1}"
        + ("." if _q is None else f"; selected query {_q} ({long_tokens[_q]!r}).")
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Attention, traced by hand

    Four tokens with 3-dimensional embeddings $X$ (features f₀ f₁ f₂). Edit the projection
    matrices (drag an entry, or double-click it and type): every stage below is recomputed by
    `core.mirrors.attention.attention_stages`. Click a row to follow that query; hover a number
    to see its arithmetic. The trace names the columns as the matrices do (`feature_labels`,
    `query_labels`, `key_labels`, `value_labels`); untick the last box to stop at the weights
    (`show_values=False`).
    """)
    return


@app.cell
def _(np):
    trace_tokens = ["the", " cat", " sat", " down"]
    trace_X = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
    trace_labels = {
        "feature_labels": ["f₀", "f₁", "f₂"],
        "query_labels": ["q₀", "q₁", "q₂"],
        "key_labels": ["k₀", "k₁", "k₂"],
        "value_labels": ["v₀", "v₁", "v₂"],
    }
    return trace_X, trace_labels, trace_tokens


@app.cell
def _(mo, trace_labels):
    def _projection(label, columns, value):
        return mo.ui.matrix(
            value,
            min_value=-3,
            max_value=3,
            step=0.1,
            precision=1,
            row_labels=trace_labels["feature_labels"],
            column_labels=trace_labels[columns],
            label=label,
        )

    W_Q_matrix = _projection(
        "W_Q", "query_labels", [[1.0, 0.0, 0.5], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    )
    W_K_matrix = _projection(
        "W_K", "key_labels", [[1.0, 0.0, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]
    )
    W_V_matrix = _projection(
        "W_V", "value_labels", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    )
    causal_checkbox = mo.ui.checkbox(value=True, label="causal mask")
    scale_checkbox = mo.ui.checkbox(value=True, label="scale by 1/√d")
    values_checkbox = mo.ui.checkbox(value=True, label="values and output (stage 3)")
    mo.vstack(
        [
            mo.hstack([W_Q_matrix, W_K_matrix, W_V_matrix], justify="start", gap=2),
            mo.hstack([causal_checkbox, scale_checkbox, values_checkbox], justify="start"),
        ]
    )
    return (
        W_K_matrix,
        W_Q_matrix,
        W_V_matrix,
        causal_checkbox,
        scale_checkbox,
        values_checkbox,
    )


@app.cell
def _(AttentionTrace, attention_stages, mo, np, trace_X, trace_labels, trace_tokens):
    _W = np.eye(3)
    trace = mo.ui.anywidget(
        AttentionTrace(
            tokens=trace_tokens,
            stages={**attention_stages(trace_X, _W, _W, _W), "W_Q": _W, "W_K": _W, "W_V": _W},
            selected_query=2,
            **trace_labels,
        )
    )
    trace
    return (trace,)


@app.cell
def _(
    W_K_matrix,
    W_Q_matrix,
    W_V_matrix,
    attention_stages,
    causal_checkbox,
    np,
    scale_checkbox,
    trace,
    trace_X,
    values_checkbox,
):
    _W_Q, _W_K, _W_V = (np.array(m.value) for m in (W_Q_matrix, W_K_matrix, W_V_matrix))
    trace.update(
        stages={
            **attention_stages(
                trace_X,
                _W_Q,
                _W_K,
                _W_V,
                causal=causal_checkbox.value,
                scale=scale_checkbox.value,
            ),
            "W_Q": _W_Q,
            "W_K": _W_K,
            "W_V": _W_V,
        },
        show_values=values_checkbox.value,
    )
    return


@app.cell
def _(mo, np, trace, trace_tokens):
    _q = trace.selected_query
    mo.md(
        "Click a row of the trace to select a query."
        if _q is None
        else f"Python follows query **{_q}** ({trace_tokens[_q]!r}): q = "
        + ", ".join(f"{v:.2f}" for v in np.asarray(trace.stages["Q"])[_q])
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Tokens

    A tiny byte-level BPE, trained right here on a few sentences (lesson 2 builds the real
    one in `core.tokenize`). Type below: spaces show as ␣, newlines as ↵, and bytes the
    tokenizer never merged (an emoji) as hex.
    """)
    return


@app.cell
def _(Counter, pairwise, re):
    def pretokenize(text):
        """Words with their leading space, runs of punctuation, runs of whitespace."""
        return re.findall(r" ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+", text)

    def merge_pair(tokens, pair):
        out, k = [], 0
        while k < len(tokens):
            if k + 1 < len(tokens) and (tokens[k], tokens[k + 1]) == pair:
                out.append(pair[0] + pair[1])
                k += 2
            else:
                out.append(tokens[k])
                k += 1
        return out

    def train_bpe(text, n_merges):
        """[((left, right), new_id, count), ...]: the most frequent pair first, ties by order."""
        seqs = [[bytes([b]) for b in chunk.encode()] for chunk in pretokenize(text)]
        merges = []
        for new_id in range(256, 256 + n_merges):
            counts = Counter(pair for seq in seqs for pair in pairwise(seq))
            if not counts:
                break
            pair, count = counts.most_common(1)[0]
            seqs = [merge_pair(seq, pair) for seq in seqs]
            merges.append((pair, new_id, count))
        return merges

    def encode(text, merges):
        """(pieces, ids) of `text` under `merges`, applied in training order."""
        vocab = {bytes([b]): b for b in range(256)}
        vocab |= {left + right: new_id for (left, right), new_id, _ in merges}
        pieces = []
        for chunk in pretokenize(text):
            seq = [bytes([b]) for b in chunk.encode()]
            for (left, right), _, _ in merges:
                seq = merge_pair(seq, (left, right))
            pieces.extend(seq)
        return pieces, [vocab[p] for p in pieces]

    bpe_corpus = (
        "the cat sat on the mat. the cat ate the rat. the rat sat on the hat.\n"
        "then the cat and the rat sat there, on the mat, in the hat."
    )
    bpe_merges = train_bpe(bpe_corpus, 30)
    return bpe_corpus, bpe_merges, encode, pretokenize


@app.cell
def _(mo):
    strip_text = mo.ui.text_area(
        value="the cat sat on the mat 🙂\n\tthen the rat sat there.",
        label="text to tokenize",
        full_width=True,
    )
    strip_text
    return (strip_text,)


@app.cell
def _(TokenStrip, mo):
    strip = mo.ui.anywidget(TokenStrip(tokens=["…"]))
    strip
    return (strip,)


@app.cell
def _(bpe_merges, encode, strip, strip_text):
    _pieces, _ids = encode(strip_text.value or " ", bpe_merges)
    strip.update(tokens=_pieces, ids=_ids)
    return


@app.cell
def _(mo, strip):
    _i = strip.selected
    mo.md(
        "Click a token to select it."
        if _i is None
        else f"Selected token {_i}: id **{strip.ids[_i]}**, {strip.tokens[_i]!r}"
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## BPE, merge by merge

    The same training replayed on its corpus: each step joins the most frequent neighbouring
    pair into a new token.
    """)
    return


@app.cell
def _(BPEMergePlayer, bpe_corpus, bpe_merges, mo, pretokenize):
    player = mo.ui.anywidget(BPEMergePlayer.from_text(pretokenize(bpe_corpus), bpe_merges))
    player
    return (player,)


@app.cell
def _(mo, player):
    mo.md(f"""
    Python sees step **{player.step}**: {len(player.segmentation())} tokens.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Dot products you can drag

    $a \cdot b = a_x b_x + a_y b_y = |a|\,|b| \cos\theta$: large when the arrows point the same
    way, zero at right angles, negative when they oppose. Drag the tips. The axes are named
    by `axis_labels` (here the two features f₀ and f₁).
    """)
    return


@app.cell
def _(VectorPlane, mo):
    plane = mo.ui.anywidget(
        VectorPlane(
            names=["a", "b", "c"],
            vectors=[[1.5, 0.5], [0.5, 1.5], [-1.0, 0.5]],
            axis_labels=("f₀", "f₁"),
        )
    )
    plane
    return (plane,)


@app.cell
def _(mo, np, plane):
    _v = plane.as_dict()
    _rows = []
    for _m, _n in (("a", "b"), ("a", "c"), ("b", "c")):
        _dot = float(_v[_m] @ _v[_n])
        _norms = float(np.linalg.norm(_v[_m]) * np.linalg.norm(_v[_n]))
        _cos = _dot / _norms if _norms else float("nan")
        _rows.append(f"| {_m} · {_n} | {_dot:.2f} | {_cos:.2f} |")
    mo.md("| pair | dot product | cos θ |\n|---|---:|---:|\n" + "\n".join(_rows))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Choosing the next token

    A model's logits for what follows "The cat sat on the". Temperature reshapes the
    distribution; top-k and top-p then drop the unlikely tail and the rest is renormalised.
    """)
    return


@app.cell
def _(mo):
    temperature_slider = mo.ui.slider(
        0.0, 2.0, step=0.05, value=1.0, label="temperature", show_value=True
    )
    top_k_slider = mo.ui.slider(0, 12, step=1, value=0, label="top-k (0 = off)", show_value=True)
    top_p_slider = mo.ui.slider(
        0.05, 1.0, step=0.05, value=1.0, label="top-p (1 = off)", show_value=True
    )
    mo.hstack([temperature_slider, top_k_slider, top_p_slider], justify="start", gap=2)
    return temperature_slider, top_k_slider, top_p_slider


@app.cell
def _(NextTokenDistribution, mo):
    next_tokens = [" mat", " floor", " sofa", " bed", " chair", " roof", " table", " rug"]
    next_tokens += [" dog", " moon", " keyboard", " idea"]
    next_logits = [3.1, 2.4, 2.2, 1.9, 1.5, 1.2, 1.0, 0.9, -0.3, -1.2, -0.8, -2.0]
    distribution = mo.ui.anywidget(NextTokenDistribution(tokens=next_tokens, logits=next_logits))
    distribution
    return distribution, next_tokens


@app.cell
def _(distribution, temperature_slider, top_k_slider, top_p_slider):
    distribution.update(
        temperature=temperature_slider.value,
        top_k=top_k_slider.value or None,
        top_p=top_p_slider.value if top_p_slider.value < 1 else None,
    )
    return


@app.cell
def _(distribution, mo, next_tokens):
    _i = distribution.selected
    mo.md(
        "Click a bar to select a token."
        if _i is None
        else f"Selected {next_tokens[_i]!r}: sampled with probability "
        f"**{distribution.distribution['final'][_i]:.3f}**"
    )
    return


if __name__ == "__main__":
    app.run()
