# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "anywidget>=0.11",
#     "traitlets>=5.9",
#     "numpy>=1.26",
#     "altair>=5.4",
#     "pandas>=2.1",
# ]
# ///
"""Lesson 5 (module 4.2): queries, keys, and the relevance function.

W_Q and W_K as two learned projections of the same embedding; QKᵀ as a relevance matrix that
need not be symmetric; the causal mask; and an experiment that shows why scores are divided
by √d.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="5 · Queries, Keys, and the Relevance Function")


@app.cell(hide_code=True)
def _():
    import altair as alt
    import marimo as mo
    import numpy as np
    import pandas as pd

    from core.course.attention_lessons import (
        FEATURES,
        SENTENCES,
        format_number,
        markdown_matrix,
        slot_labels,
        toy_sentence,
    )
    from core.course.catalog import next_lesson_markdown
    from core.mirrors.attention import attention_stages, softmax
    from widgets import AttentionTrace

    return (
        AttentionTrace,
        FEATURES,
        SENTENCES,
        alt,
        attention_stages,
        format_number,
        markdown_matrix,
        mo,
        next_lesson_markdown,
        np,
        pd,
        slot_labels,
        softmax,
        toy_sentence,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Queries, Keys, and the Relevance Function

    *Module 4.2 · Lesson 5 of 18*

    Lesson 4 ended with *bark* scoring itself above its owner, and with scores that could
    only ever be symmetric, because each token had one vector both to look with and to be
    looked at. Here each token gets two, made by two learned matrices, and you will set
    those matrices yourself.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 1 · One embedding, two readings

    Every token's embedding $x_i$ (a row of $X$) is multiplied by two matrices:

    - the **query** $q_i = x_i W_Q$: what token *i* is looking for;
    - the **key** $k_j = x_j W_K$: what token *j* offers, so that others can find it.

    The relevance of token *j* to token *i* is their dot product,
    $\text{score}(i \to j) = q_i \cdot k_j$, and all of them at once are $Q K^\top$.

    A query is not a property of a word, nor is a key: both are read off the **same**
    embedding, through two different matrices that training adjusts. And since
    $\text{score}(j \to i) = q_j \cdot k_i$ uses the *other* vectors, nothing forces the
    two to be equal any more.
    """)
    return


@app.cell(hide_code=True)
def _(SENTENCES, attention_stages, format_number, mo, toy_sentence):
    _tokens, _X = toy_sentence(SENTENCES[0])
    _b = _tokens.index("bark")
    _lesson_4 = attention_stages(_X, causal=False, scale=False)  # W_Q = W_K = I
    _masked = attention_stages(_X, causal=True, scale=False)
    _scaled = attention_stages(_X, causal=True, scale=True)
    mo.md(
        "With $W_Q = W_K = I$ you get $Q = K = X$, and $QK^\\top$ is lesson 4's "
        "$XX^\\top$. "
        "The *weights* are lesson 4's only as long as nothing else changes. In "
        f"*{SENTENCES[0]}* bark gives itself {format_number(_lesson_4['weights'][_b, _b], 3)} "
        "of its attention, as in lesson 4; the causal mask of section 3 leaves that row "
        f"alone ({format_number(_masked['weights'][_b, _b], 3)}, bark is last and sees "
        "everything), but dividing the scores by √d, section 4, makes it "
        f"{format_number(_scaled['weights'][_b, _b], 3)}."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 2 · Set the two matrices yourself

    Rows of $W_Q$ and $W_K$ are the embedding's features; columns are the three **slots**
    of query/key space, $d = 3$. A score adds up slot by slot,
    $q_{i,0}k_{j,0} + q_{i,1}k_{j,1} + q_{i,2}k_{j,2}$, so a slot means whatever the two
    matrices agree it means. Drag an entry sideways, or double-click it and type.

    **Exercise 1.** Set $W_Q$ and $W_K$ so that **bark attends most to its owner in both
    sentences**: *dog* in the first, *tree* in the second. The check below the matrices
    follows every edit.
    """)
    return


@app.cell
def _(FEATURES, SENTENCES, mo, slot_labels):
    def _projection(label, slot):
        return mo.ui.matrix(
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            min_value=-3,
            max_value=3,
            step=0.1,
            precision=1,
            row_labels=list(FEATURES),
            column_labels=slot_labels(slot),
            label=label,
        )

    wq_matrix = _projection("W_Q: feature → query slot", "q")
    wk_matrix = _projection("W_K: feature → key slot", "k")
    sentence_radio = mo.ui.radio(options=list(SENTENCES), value=SENTENCES[0], label="sentence")
    mo.hstack(
        [
            wq_matrix,
            wk_matrix,
            sentence_radio,
        ],
        justify="start",
        gap=2.5,
    )
    return sentence_radio, wk_matrix, wq_matrix


@app.cell
def _(attention_stages, causal_checkbox, np, scale_checkbox, toy_sentence, wk_matrix, wq_matrix):
    W_Q = np.array(wq_matrix.value, dtype=float)  # (C, d) = (3, 3)
    W_K = np.array(wk_matrix.value, dtype=float)

    def head(text):
        """(tokens, stages) of the toy sentence under the current W_Q, W_K and switches."""
        _tokens, _X = toy_sentence(text)
        _stages = attention_stages(
            _X, W_Q, W_K, causal=causal_checkbox.value, scale=scale_checkbox.value
        )
        return _tokens, _stages

    return W_K, W_Q, head


@app.cell(hide_code=True)
def _(SENTENCES, format_number, head, mo, np):
    def _where_bark_looks(text):
        _tokens, _s = head(text)
        _row = _s["weights"][_tokens.index("bark")]
        return _tokens, _row, int(np.argmax(_row))

    _lines, _solved = [], True
    for _text in SENTENCES:
        _tokens, _row, _top = _where_bark_looks(_text)
        _ok = _top == 1 and _row[1] > np.delete(_row, 1).max()
        _solved = _solved and _ok
        _lines.append(
            f"- *{_text}*: bark's largest weight is on **{_tokens[_top]}** "
            f"({format_number(_row[_top])}; {_tokens[1]} gets {format_number(_row[1])}) "
            + ("✓" if _ok else "✗")
        )
    if _solved:
        _kind, _head = "success", "Correct: bark finds its owner, whichever it is."
        _tail = (
            "Compare bark's row of Q with its row of K in the trace: the same embedding, "
            "two different vectors."
        )
    else:
        _kind, _head = "warn", "Not yet."
        _tail = (
            "Hint: bark is the only token with much *owned*; dog and tree have by far the "
            "most *animal* or *plant*. Let W_Q send *owned* into one slot (say q₀) and W_K "
            "send both *animal* and *plant* into the same slot (k₀), and clear the rest."
        )
    mo.callout(
        mo.md(f"**Exercise 1.** {_head}\n\n" + "\n".join(_lines) + f"\n\n{_tail}"), kind=_kind
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Every stage for the sentence you picked, recomputed as you edit: the queries and keys,
    then the scores and the weights. Click a row to follow that token; hover a number to see
    the arithmetic behind it. What each token takes from the tokens it looks at (the values)
    is lesson 6.
    """)
    return


@app.cell
def _(AttentionTrace, FEATURES, SENTENCES, attention_stages, mo, slot_labels, toy_sentence):
    _tokens, _X = toy_sentence(SENTENCES[0])
    trace = mo.ui.anywidget(
        AttentionTrace(
            tokens=_tokens,
            stages=attention_stages(_X),
            selected_query=3,
            feature_labels=list(FEATURES),
            query_labels=slot_labels("q"),
            key_labels=slot_labels("k"),
            show_values=False,  # values are lesson 6
        )
    )
    trace
    return (trace,)


@app.cell
def _(W_K, W_Q, head, sentence_radio, trace):
    tokens, stages = head(sentence_radio.value)
    trace.update(tokens=tokens, stages={**stages, "W_Q": W_Q, "W_K": W_K})
    return stages, tokens


@app.cell(hide_code=True)
def _(W_K, W_Q, format_number, mo, np, stages, tokens):
    _S = stages["scores"]
    _b, _o = tokens.index("bark"), 1
    _there = (
        f"score(bark → {tokens[_o]}) = q<sub>bark</sub> · k<sub>{tokens[_o]}</sub> = "
        f"**{format_number(_S[_b, _o])}**"
    )
    _back = (
        f"score({tokens[_o]} → bark) = q<sub>{tokens[_o]}</sub> · k<sub>bark</sub> = "
        f"**{format_number(_S[_o, _b])}**"
    )
    _M = W_Q @ W_K.T  # QKᵀ = X (W_Q W_Kᵀ) Xᵀ: its symmetry is this matrix's
    _why = (
        "QKᵀ = X (W_Q W_Kᵀ) Xᵀ, so the scores are symmetric for every input exactly when "
        f"W_Q W_Kᵀ is (here it {'is' if np.allclose(_M, _M.T) else 'is not'})."
    )
    if np.allclose(_S, _S.T):
        _text = (
            f"**Relevance is still symmetric.** {_there}, and {_back}: the score matrix "
            f"QKᵀ equals its transpose. {_why} Two different matrices are not enough: "
            "W_Q = 2I with W_K = I still gives symmetric scores. Send a feature to a slot "
            "in W_Q that a *different* feature fills in W_K."
        )
    else:
        _text = (
            f"**Relevance is now one-sided.** {_there}, while {_back}: QKᵀ is no longer "
            f"symmetric (read it in the trace, before the mask). {_why}"
        )
    mo.callout(mo.md(_text), kind="info")
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 2.** With your current $W_Q$ and $W_K$, compute by hand the score of
    *bark* looking at *dog* in *the dog 's bark*: $q_\text{bark} \cdot k_\text{dog}$.
    Work out $q_\text{bark} = x_\text{bark} W_Q$ and $k_\text{dog} = x_\text{dog} W_K$
    first.
    """)
    return


@app.cell
def _(mo):
    score_number = mo.ui.number(value=None, step=0.01, label="q_bark · k_dog =")
    score_number
    return (score_number,)


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, W_K, W_Q, format_number, mo, np, score_number, toy_sentence):
    _tokens, _X = toy_sentence(SENTENCES[0])
    _q, _k = _X[3] @ W_Q, _X[1] @ W_K
    _answer = float(_q @ _k)

    def _vec(v):
        return "(" + ", ".join(format_number(x) for x in v) + ")"

    _value = score_number.value
    if _value is None:
        _kind, _text = "neutral", "Type your answer above."
    elif np.isclose(_value, _answer, atol=0.006):
        _kind, _text = (
            "success",
            f"Correct: q_bark = {_vec(_q)}, k_dog = {_vec(_k)}, and their dot product is "
            f"{format_number(_answer)}.",
        )
    elif _answer != 0 and np.isclose(_value, _answer / np.sqrt(3), atol=0.006):
        _kind, _text = (
            "warn",
            "That is the score divided by √3, a step section 4 motivates. Here, only the dot "
            "product q_bark · k_dog.",
        )
    else:
        _row = ", ".join(format_number(x, 1) for x in _X[3])
        _terms = " + ".join(f"{format_number(x, 1)}·W_Q[{f}, q₀]" for x, f in zip(_X[3], FEATURES))
        _kind, _text = (
            "warn",
            f"Not {format_number(_value)}. Hint: q_bark is bark's row ({_row}) times W_Q, "
            f"so q₀ = {_terms}; likewise k_dog from dog's row and W_K. Then multiply the "
            "two slot by slot and add.",
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 3 · The causal mask

    A language model learns to predict each next token, so while it reads token *i* it
    must not peek at the tokens after it: the answer would leak into the question. Before
    the softmax, every score of a later token is set to $-\infty$, and $e^{-\infty} = 0$
    makes its weight exactly zero. Tick **causal mask** and watch the upper triangle of
    the weights empty (the trace above follows too). The first token, *the*, can then
    only attend to itself; *bark*, last, sees everything.
    """)
    return


@app.cell
def _(mo):
    causal_checkbox = mo.ui.checkbox(value=False, label="causal mask")
    causal_checkbox
    return (causal_checkbox,)


@app.cell
def _(markdown_matrix, mo, np, stages, tokens):
    def weights_table(title):
        """The current weights, one row per query, as a labelled table."""
        _W = stages["weights"]
        return mo.md(
            f"{title}\n\n"
            + markdown_matrix(
                _W, tokens, tokens, corner="query ↓ · key →", bold=np.eye(len(tokens), dtype=bool)
            )
        )

    return (weights_table,)


@app.cell(hide_code=True)
def _(causal_checkbox, weights_table):
    weights_table("**Weights** with the mask " + ("on" if causal_checkbox.value else "off") + ":")
    return


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, attention_stages, format_number, mo, toy_sentence):
    _tokens, _X = toy_sentence(SENTENCES[0])
    _b, _d = _tokens.index("bark"), _tokens.index("dog")
    _raw = attention_stages(_X, causal=True, scale=False)  # lesson 4: W_Q = W_K = I, masked
    _S = _raw["scores"]
    _o = FEATURES.index("owned")
    # the owned that dog needs, keeping its other features, for bark · dog > bark · bark
    _rest = _S[_b, _d] - _X[_b, _o] * _X[_d, _o]
    _needed = (_S[_b, _b] - _rest) / _X[_b, _o]
    mo.md(
        f"""
    **The mask changes lesson 4's story.** Lesson 4 complained that raw scores are
    symmetric: bark → dog scores what dog → bark does. With the mask on, dog, earlier in
    the sentence, never sees bark at all (its weight on bark is
    {format_number(_raw["weights"][_d, _b])}: tick the box to see it), so in *this*
    sentence the reverse score goes unused. The symmetry has not gone away: it belongs to
    the pair of words, not to their places. In lesson 4's *the bark 's dog*, dog comes last
    and scores bark {format_number(_S[_d, _b])}, exactly what bark scores dog here; a model
    without a mask (an encoder such as BERT) uses both directions in every sentence.
    Two more problems survive the mask, and they are what $W_Q$ and $W_K$ are for:

    - **Self-match.** Without projections bark still scores itself
      {format_number(_S[_b, _b])} (its squared length) and dog only
      {format_number(_S[_b, _d])}, and the mask lets bark see itself.
    - **Finding means resembling.** For bark · dog to beat bark · bark, dog's *own*
      vector has to resemble bark's, {_X[_b].tolist()}. Keeping dog's *animal*, dog
      would need more than {format_number(_needed)} of *owned*, a feature that says "I
      belong to someone" (dog has {format_number(_X[_d, _o], 1)}). Then every token that
      reads dog reads that false description too. With a query and a key, bark can look
      for *an owner* while dog's key says *I am one*, and dog's embedding stays true to dog.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4 · Why divide by √d? An experiment

    With three slots the scores stay small. GPT-2's heads use $d = 64$. What happens to
    the scores as $d$ grows? Draw random queries and keys whose entries are independent,
    with mean 0 and variance 1 (a toy assumption that keeps the arithmetic simple), and
    measure.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 3.** Predict before you measure: with $d = 256$, what variance do you
    expect for the raw score $q \cdot k$? The experiment appears once you have typed a
    prediction; then set its slider to 256.
    """)
    return


@app.cell
def _(mo):
    variance_number = mo.ui.number(value=None, step=1, label="Var(q·k) at d = 256 ≈")
    variance_number
    return (variance_number,)


@app.cell(hide_code=True)
def _(experiments, format_number, mo, variance_number):
    _measured = experiments[256]["raw_variance"]
    if variance_number.value is None:
        _kind, _text = "neutral", "Type your prediction above."
    elif abs(variance_number.value - 256) <= 0.1 * 256:
        _kind, _text = (
            "success",
            f"Correct: 256 products of variance 1 add up to variance 256 (the experiment "
            f"measured {format_number(_measured, 1)}). Divided by √256 = 16, the variance "
            "drops to 256 / 16² = 1.",
        )
    else:
        _kind, _text = (
            "warn",
            f"Not {format_number(variance_number.value, 1)}. Hint: q · k = Σ q_c k_c is a "
            "sum of d independent products, each with mean 0 and variance 1; variances of "
            "independent terms add.",
        )
    mo.callout(mo.md(f"**Exercise 3.** {_text}"), kind=_kind)
    return


@app.cell
def _(mo):
    d_slider = mo.ui.slider(
        steps=[1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
        value=64,
        label="d, the width of q and k",
        show_value=True,
    )
    return (d_slider,)


@app.cell(hide_code=True)
def _(d_slider, mo, variance_number):
    mo.stop(
        variance_number.value is None,
        mo.md("*The experiment appears here once you have typed a prediction.*"),
    )
    d_slider
    return


@app.cell
def _(np, softmax):
    def score_experiment(d, rng, n_pairs=4000, n_keys=16, n_rows=300):
        """Measured statistics of q·k for random q, k of width d, raw and divided by √d."""
        q = rng.standard_normal((n_pairs, d))
        k = rng.standard_normal((n_pairs, d))
        raw = np.einsum("nd,nd->n", q, k)  # n_pairs scores
        rows = np.einsum("rd,rkd->rk", q[:n_rows], rng.standard_normal((n_rows, n_keys, d)))
        result = {"d": d}
        for name, scores, row_scores in (
            ("raw", raw, rows),
            ("scaled", raw / np.sqrt(d), rows / np.sqrt(d)),
        ):
            p = softmax(row_scores)  # (n_rows, n_keys)
            # softmax's Jacobian dp_i/ds_j = p_i (δ_ij - p_j); its size tells how much
            # a change of score can still change the weights (how well gradients flow)
            jacobian = p[:, :, None] * (np.eye(n_keys) - p[:, None, :])
            result[f"{name}_variance"] = float(scores.var())
            result[f"{name}_max_weight"] = float(p.max(axis=1).mean())
            result[f"{name}_gradient"] = float(np.linalg.norm(jacobian, axis=(1, 2)).mean())
            result[f"{name}_example_row"] = p[0]
        return result

    _rng = np.random.default_rng(0)
    experiments = {d: score_experiment(d, _rng) for d in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)}
    return (experiments,)


@app.cell(hide_code=True)
def _(d_slider, experiments, format_number, mo, variance_number):
    mo.stop(variance_number.value is None)
    _e = experiments[d_slider.value]
    mo.md(
        f"""
    Measured at **d = {_e["d"]}** over 4000 random pairs:

    | | raw score q·k | scaled q·k / √d |
    |:---|---:|---:|
    | variance of the score | **{format_number(_e["raw_variance"], 1)}** | **{format_number(_e["scaled_variance"], 2)}** |
    | largest of 16 softmax weights (average) | {format_number(_e["raw_max_weight"])} | {format_number(_e["scaled_max_weight"])} |
    | size of the softmax's gradient (average) | {format_number(_e["raw_gradient"], 3)} | {format_number(_e["scaled_gradient"], 3)} |
    """
    )
    return


@app.cell(hide_code=True)
def _(alt, d_slider, experiments, mo, pd, variance_number):
    mo.stop(variance_number.value is None)
    _long = pd.DataFrame(
        [
            {"d": d, "score": label, "variance": e[f"{key}_variance"]}
            for d, e in experiments.items()
            for key, label in (("raw", "raw q·k"), ("scaled", "q·k / √d"))
        ]
    )
    _color = alt.Color(
        "score:N",
        title="score",
        scale=alt.Scale(domain=["raw q·k", "q·k / √d"], range=["#d1495b", "#2e86ab"]),
    )
    _x = alt.X("d:Q", scale=alt.Scale(type="log", base=2), title="d (width of q and k)")
    _y = alt.Y("variance:Q", scale=alt.Scale(type="log"), title="variance of the score")
    _lines = alt.Chart(_long).mark_line(point=True).encode(x=_x, y=_y, color=_color)
    _now = (
        alt.Chart(_long[_long["d"] == d_slider.value])
        .mark_point(size=160, filled=False, strokeWidth=2, color="#888888")
        .encode(x=_x, y=_y)
    )
    variance_chart = (_lines + _now).properties(
        width=380, height=240, title="Variance of one score, measured"
    )

    _row = experiments[d_slider.value]
    _bars = pd.DataFrame(
        [
            {"key": j + 1, "score": label, "weight": float(_row[f"{key}_example_row"][j])}
            for key, label in (("raw", "raw q·k"), ("scaled", "q·k / √d"))
            for j in range(len(_row["raw_example_row"]))
        ]
    )
    weights_chart = (
        alt.Chart(_bars)
        .mark_bar()
        .encode(
            x=alt.X("key:O", title="key (16 random keys)"),
            xOffset="score:N",
            y=alt.Y("weight:Q", title="softmax weight", scale=alt.Scale(domain=[0, 1])),
            color=_color,
        )
        .properties(width=380, height=240, title=f"One query's weights at d = {d_slider.value}")
    )
    return variance_chart, weights_chart


@app.cell(hide_code=True)
def _(mo, variance_chart, weights_chart):
    mo.hstack([variance_chart, weights_chart], justify="start", gap=1)
    return


@app.cell(hide_code=True)
def _(mo, variance_number):
    mo.stop(variance_number.value is None)
    mo.md(r"""
    **What the experiment shows.** Each product $q_c k_c$ has variance 1, and a sum of $d$
    independent ones has variance $d$: the raw scores spread out as $d$ grows. Fed such
    scores, the softmax puts nearly all its weight on one key, and its gradient (how much
    a change in a score can still move the weights) shrinks towards zero, the saturation
    you met as vanishing gradients in series 1. Dividing by $\sqrt{d}$ divides the
    variance by $d$: the scores keep variance 1 at every width, and the softmax stays soft
    enough to learn.

    Now give the toy head the same division, by $\sqrt{3}$: tick **divide by √d**. The
    weights grow softer (the trace in section 2 follows too).
    """)
    return


@app.cell
def _(mo):
    scale_checkbox = mo.ui.checkbox(value=False, label="divide by √d")
    return (scale_checkbox,)


@app.cell(hide_code=True)
def _(mo, scale_checkbox, variance_number):
    mo.stop(variance_number.value is None)
    scale_checkbox
    return


@app.cell(hide_code=True)
def _(causal_checkbox, mo, scale_checkbox, variance_number, weights_table):
    mo.stop(variance_number.value is None)
    weights_table(
        "**Weights** with the scores "
        + ("divided by √3" if scale_checkbox.value else "not divided")
        + (", mask on" if causal_checkbox.value else ", mask off")
        + ":"
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Recap

    - $Q = X W_Q$ and $K = X W_K$: two learned readings of the same embeddings, one for
      seeking, one for being found.
    - $QK^\top = X\,(W_Q W_K^\top)\,X^\top$ is the relevance matrix. It is symmetric for
      every input exactly when $W_Q W_K^\top$ is (merely different matrices, such as $W_Q = 2I$ and
      $W_K = I$, are not enough); otherwise *bark* can seek its owner without its owner
      seeking *bark*.
    - The causal mask sets future scores to $-\infty$: their weights become 0.
    - Raw scores have variance $d$; dividing by $\sqrt{d}$ brings it back to 1 and keeps
      the softmax from saturating.

    So far each token only decides **where** to look. Lesson 6 decides **what it takes
    away**: the values.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(5, mo))
    return


if __name__ == "__main__":
    app.run()
