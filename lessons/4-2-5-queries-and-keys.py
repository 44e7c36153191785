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
need not be symmetric; M = W_Q W_Kᵀ, the feature × feature table the scores see (slots are
arbitrary); the causal mask; an experiment that shows why scores are divided by √d; one
softmax weight by hand; and W_Q, W_K trained by gradient descent (core.course.qk_training).
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
    from core.course.qk_training import (
        OWNER_EXAMPLES,
        bilinear_form,
        numerical_gradient,
        owner_loss_and_gradients,
        remix_slots,
        slot_mixer,
        train_queries_keys,
    )
    from core.mirrors.attention import attention_stages, softmax
    from widgets import AttentionTrace

    def matrix_block(title, matrix, rows, columns, **options):
        """A bold title over a labelled table (options go to `markdown_matrix`)."""
        return mo.vstack(
            [mo.md(title), mo.md(markdown_matrix(matrix, rows, columns, **options))], gap=0
        )

    return (
        AttentionTrace,
        FEATURES,
        OWNER_EXAMPLES,
        SENTENCES,
        alt,
        attention_stages,
        bilinear_form,
        format_number,
        markdown_matrix,
        matrix_block,
        mo,
        next_lesson_markdown,
        np,
        numerical_gradient,
        owner_loss_and_gradients,
        pd,
        remix_slots,
        slot_labels,
        slot_mixer,
        softmax,
        toy_sentence,
        train_queries_keys,
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
        "of its attention, as in lesson 4; the causal mask of section 4 leaves that row "
        f"alone ({format_number(_masked['weights'][_b, _b], 3)}, bark is last and sees "
        "everything), but dividing the scores by √d, section 5, makes it "
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
        f"W_Q W_Kᵀ is (here it {'is' if np.allclose(_M, _M.T) else 'is not'}). Section 3 "
        "shows that matrix."
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


@app.cell
def _(np):
    # a toy token the two sentences do not have, so its key is on no table of the page:
    # mostly animal, and a little owned (somebody's pet)
    x_cat = np.array([0.9, 0.0, 0.4])
    return (x_cat,)


@app.cell(hide_code=True)
def _(FEATURES, mo, x_cat):
    _cat = ", ".join(f"{f} {v:.1f}" for f, v in zip(FEATURES, x_cat))
    mo.md(
        f"""
    **Exercise 2.** The callout above already gives bark → dog, so take a token the
    sentences do not have: *cat*, with embedding $x_\\text{{cat}}$ = ({_cat}). With your
    current $W_Q$ and $W_K$, compute by hand the score *bark* would give it,
    $q_\\text{{bark}} \\cdot k_\\text{{cat}}$. Read $q_\\text{{bark}}$ off the trace (row
    *bark* of Q); work out $k_\\text{{cat}} = x_\\text{{cat}} W_K$ yourself.
    """
    )
    return


@app.cell
def _(mo):
    score_number = mo.ui.number(value=None, step=0.01, label="q_bark · k_cat =")
    score_number
    return (score_number,)


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, W_K, W_Q, format_number, mo, np, score_number, toy_sentence, x_cat):
    _tokens, _X = toy_sentence(SENTENCES[0])
    _bark = _X[_tokens.index("bark")]
    _q, _k = _bark @ W_Q, x_cat @ W_K
    _answer = float(_q @ _k)
    _d = W_Q.shape[1]

    def _vec(v):
        return "(" + ", ".join(format_number(x) for x in v) + ")"

    # the usual slips, each named; one counts only when it gives another number than the answer
    _slips = [
        (
            _answer / np.sqrt(_d),
            f"That is the score divided by √{_d}, a step section 5 motivates. Here, only the "
            "dot product q_bark · k_cat.",
        ),
        (
            float((x_cat @ W_Q) @ (_bark @ W_K)),
            "That is cat looking at bark, q_cat · k_bark. Here bark looks: bark's query "
            "(through W_Q), cat's key (through W_K).",
        ),
        (
            float(_q @ (x_cat @ W_Q)),
            "You made cat's vector with W_Q. A key is made with W_K: k_cat = x_cat W_K.",
        ),
        (
            float(_bark @ x_cat),
            "That is x_bark · x_cat, lesson 4's raw score. Project first: q_bark = x_bark W_Q, "
            "k_cat = x_cat W_K.",
        ),
    ]
    _value = score_number.value
    if _value is None:
        _kind, _text = "neutral", "Type your answer above."
    elif np.isclose(_value, _answer, atol=0.006):
        _kind, _text = (
            "success",
            f"Correct: q_bark = {_vec(_q)}, k_cat = {_vec(_k)}, and their dot product is "
            f"{format_number(_answer)}.",
        )
    else:
        _row = ", ".join(format_number(x, 1) for x in x_cat)
        _terms = " + ".join(f"{format_number(x, 1)}·W_K[{f}, k₀]" for x, f in zip(x_cat, FEATURES))
        _kind = "warn"
        _text = next(
            (
                h
                for v, h in _slips
                if not np.isclose(v, _answer, atol=0.006) and np.isclose(_value, v, atol=0.006)
            ),
            f"Not {format_number(_value)}. Hint: k_cat is cat's row ({_row}) times W_K, so "
            f"k₀ = {_terms}, and likewise k₁, k₂. Then multiply q_bark and k_cat slot by "
            "slot and add.",
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 3 · $W_Q W_K^\top$: who seeks whom

    Write a score out: $q_i \cdot k_j = (x_i W_Q)(x_j W_K)^\top = x_i\,(W_Q W_K^\top)\,x_j^\top$.
    The two matrices reach the scores only through their product
    $M = W_Q W_K^\top$, a **feature × feature** table:

    $$\text{score}(i \to j) = x_i\, M\, x_j^\top = \sum_f \sum_g x_{i,f}\, M_{fg}\, x_{j,g}.$$

    Row $f$ is a feature the *looking* token has, column $g$ a feature the token *looked at*
    has, and $M_{fg}$ says how much having $f$ makes a token seek $g$. Here it is, live from
    your $W_Q$ and $W_K$ above:
    """)
    return


@app.cell
def _(W_K, W_Q, bilinear_form):
    M = bilinear_form(W_Q, W_K)  # (C, C) = W_Q (C, d) @ W_Kᵀ (d, C)
    return (M,)


@app.cell(hide_code=True)
def _(FEATURES, M, SENTENCES, W_K, W_Q, format_number, matrix_block, mo, np, toy_sentence):
    _tokens, _X = toy_sentence(SENTENCES[0])
    _b, _d = _tokens.index("bark"), _tokens.index("dog")
    # derive: bark → dog through M, term by term; verify: the same as q_bark · k_dog
    _via_M = sum(
        _X[_b, f] * M[f, g] * _X[_d, g] for f in range(len(FEATURES)) for g in range(len(FEATURES))
    )
    _direct = float((_X[_b] @ W_Q) @ (_X[_d] @ W_K))
    _f, _g = np.unravel_index(int(np.argmax(np.abs(M))), M.shape)
    _gap = float(np.abs(M - M.T).max())
    _u, _v = np.unravel_index(int(np.argmax(np.abs(M - M.T))), M.shape)  # most one-sided pair
    _symmetric = np.allclose(M, M.T)
    if np.abs(M).max() == 0:
        _largest = "M is all zeros: every score is 0, and every weight equal."
    else:
        _largest = (
            f"Its largest entry (in size) is M[{FEATURES[_f]}, {FEATURES[_g]}] = "
            f"{format_number(M[_f, _g])}: a token with *{FEATURES[_f]}* "
            + ("seeks" if M[_f, _g] > 0 else "avoids")
            + f" tokens with *{FEATURES[_g]}*."
        )
    mo.vstack(
        [
            matrix_block(
                f"**M = W_Q W_Kᵀ**: ({M.shape[0]}, {W_Q.shape[1]}) @ ({W_K.shape[1]}, "
                f"{M.shape[1]}) = {M.shape}",
                M,
                list(FEATURES),
                list(FEATURES),
                corner="query has ↓ · key has →",
            ),
            mo.md(
                f"{_largest} Through M, bark → dog in *{SENTENCES[0]}* is "
                f"Σ x<sub>bark,f</sub> M<sub>fg</sub> x<sub>dog,g</sub> = "
                f"**{format_number(_via_M)}**, the same as q<sub>bark</sub> · "
                f"k<sub>dog</sub> = {format_number(_direct)} "
                f"(`np.isclose`: **{bool(np.isclose(_via_M, _direct))}**).\n\n"
                f"**Symmetry, read off M.** M {'equals' if _symmetric else 'differs from'} "
                f"its transpose (largest |M − Mᵀ| = {format_number(_gap)}), so the scores "
                + (
                    "are symmetric in every sentence: M[f, g] = M[g, f] means f seeks g "
                    "exactly as much as g seeks f."
                    if _symmetric
                    else "can differ each way: "
                    f"M[{FEATURES[_u]}, {FEATURES[_v]}] = {format_number(M[_u, _v])} but "
                    f"M[{FEATURES[_v]}, {FEATURES[_u]}] = {format_number(M[_v, _u])}."
                )
            ),
        ],
        gap=0.5,
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **The slots mean nothing by themselves.** Exercise 1's hint put *owned* in slot q₀ and
    *animal* and *plant* in slot k₀. Slot 1 would have done as well, and so would any mix of
    the slots:
    for any invertible $d \times d$ matrix $R$, the pair $(W_Q R,\; W_K R^{-\top})$ has the
    product $W_Q R R^{-1} W_K^\top = M$. Below, $R$ stretches slot 0 by 2 and then rotates
    slots 0 and 1 by the angle you choose: $W_Q$ and $W_K$ change (every row with
    something in slot 0 or 1; slot 2 is left alone), and $M$ and the scores stay where they
    are.
    """)
    return


@app.cell
def _(mo):
    mix_slider = mo.ui.slider(
        start=0,
        stop=180,
        step=15,
        value=30,
        label="rotate slots 0 and 1 by (degrees)",
        show_value=True,
    )
    mix_slider
    return (mix_slider,)


@app.cell(hide_code=True)
def _(
    FEATURES,
    M,
    SENTENCES,
    W_K,
    W_Q,
    attention_stages,
    bilinear_form,
    format_number,
    matrix_block,
    mix_slider,
    mo,
    np,
    remix_slots,
    slot_labels,
    slot_mixer,
    toy_sentence,
):
    _d = W_Q.shape[1]
    _R = slot_mixer(mix_slider.value, _d)
    _Q2, _K2 = remix_slots(W_Q, W_K, _R)
    _M2 = bilinear_form(_Q2, _K2)
    _, _X = toy_sentence(SENTENCES[0])
    _before = attention_stages(_X, W_Q, W_K)["scores"]
    _after = attention_stages(_X, _Q2, _K2)["scores"]
    _slots = slot_labels("s", _d)
    mo.vstack(
        [
            mo.hstack(
                [
                    matrix_block("**R**", _R, _slots, _slots, corner="slot"),
                    matrix_block("**W_Q R**", _Q2, list(FEATURES), slot_labels("q", _d)),
                    matrix_block("**W_K R⁻ᵀ**", _K2, list(FEATURES), slot_labels("k", _d)),
                    matrix_block(
                        "**their M**",
                        _M2,
                        list(FEATURES),
                        list(FEATURES),
                        corner="query has ↓ · key has →",
                    ),
                ],
                justify="start",
                gap=1,
                wrap=True,
            ),
            mo.md(
                f"Largest entry that moved in W_Q: {format_number(np.abs(_Q2 - W_Q).max())}. "
                f"Largest change in M: {np.abs(_M2 - M).max():.1e}, and in the scores of "
                f"*{SENTENCES[0]}*: {np.abs(_after - _before).max():.1e} (rounding only). "
                "So a trained head's slots have no names of their own: to read what a head "
                "looks for, read M, not W_Q and W_K one by one. Section 6 trains a head; "
                "compare its M with yours there."
            ),
        ],
        gap=0.5,
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4 · The causal mask

    A language model learns to predict each next token, so while it reads token *i* it
    must not peek at the tokens after it: the answer would leak into the question. It is
    series 1's **data leakage** in a new place: there a validation set that overlapped the
    training data made a model look better than it was; here a token that could read the
    next token would be trained on the answer it should predict, learn to copy it, and find
    nothing to copy when it generates text. Before
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
def _(W_Q, mo):
    mo.md(rf"""
    ## 5 · Why divide by √d? An experiment

    Your head has {W_Q.shape[1]} slots, so a score is a sum of {W_Q.shape[1]} products. GPT-2 small's heads use
    $d = 768 / 12 = 64$ (its released configuration). What happens to
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
    _d = 256  # the width the exercise asks about
    _sd = int(_d**0.5)
    _measured = experiments[_d]["raw_variance"]
    _value = variance_number.value
    if _value is None:
        _kind, _text = "neutral", "Type your prediction above."
    elif abs(_value - _d) <= 0.1 * _d:
        _kind, _text = (
            "success",
            f"Correct: {_d} products of variance 1 add up to variance {_d} (the experiment "
            f"measured {format_number(_measured, 1)}). Divided by √{_d} = {_sd}, the variance "
            f"drops to {_d} / {_sd}² = 1.",
        )
    elif abs(_value - _sd) <= 0.1 * _sd:
        _kind, _text = (
            "warn",
            f"{_sd} = √{_d} is the spread (standard deviation) of q · k, not its variance. "
            "Hint: variances of independent terms add; standard deviations do not.",
        )
    elif abs(_value - 1) <= 0.1:
        _kind, _text = (
            "warn",
            "1 is the variance of one product q_c k_c (and, the experiment will show, of the scaled "
            f"score). The raw score adds {_d} of them, and variances of independent terms add.",
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
        result = {"d": d, "n_pairs": n_pairs, "n_keys": n_keys}
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
    Measured at **d = {_e["d"]}** over {_e["n_pairs"]} random pairs:

    | | raw score q·k | scaled q·k / √d |
    |:---|---:|---:|
    | variance of the score | **{format_number(_e["raw_variance"], 1)}** | **{format_number(_e["scaled_variance"], 2)}** |
    | largest of {_e["n_keys"]} softmax weights (average) | {format_number(_e["raw_max_weight"])} | {format_number(_e["scaled_max_weight"])} |
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
            x=alt.X("key:O", title=f"key ({_row['n_keys']} random keys)"),
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
def _(W_Q, mo, variance_number):
    mo.stop(variance_number.value is None)
    mo.md(rf"""
    **What the experiment shows.** Each product $q_c k_c$ has variance 1, and a sum of $d$
    independent ones has variance $d$: the raw scores spread out as $d$ grows. Fed such
    scores, the softmax puts nearly all its weight on one key, and its gradient (how much
    a change in a score can still move the weights) shrinks towards zero, the saturation
    you met as vanishing gradients in series 1. Dividing by $\sqrt{{d}}$ divides the
    variance by $d$: the scores keep variance 1 at every width, and the softmax stays soft
    enough to learn.

    Your toy head has $d = {W_Q.shape[1]}$ slots, so it divides by $\sqrt{{{W_Q.shape[1]}}}$.
    Before you switch that on, one weight by hand.
    """)
    return


@app.cell(hide_code=True)
def _(SENTENCES, W_K, W_Q, format_number, mo, np, toy_sentence, variance_number):
    mo.stop(variance_number.value is None)
    _tokens, _X = toy_sentence(SENTENCES[0])
    _row = (_X @ W_Q)[2] @ (_X @ W_K).T  # 's looking at every token: row 2 of QKᵀ
    _cells = ", ".join(f"*{t}* {format_number(v)}" for t, v in zip(_tokens, _row))
    mo.md(
        f"""
    **Exercise 4.** In a GPT head the scores are masked *and* divided by √d. Compute by
    hand the weight that *'s* gives *dog* in *{SENTENCES[0]}*, with your $W_Q$ and $W_K$.
    Row *'s* of the raw scores QKᵀ is: {_cells}. Mask the keys *'s* may not see, divide
    the rest by √{W_Q.shape[1]}, then exp, sum, divide.
    """
    )
    return


@app.cell
def _(mo):
    weight_number = mo.ui.number(value=None, step=0.001, label="weight of 's on dog =")
    return (weight_number,)


@app.cell(hide_code=True)
def _(mo, variance_number, weight_number):
    mo.stop(variance_number.value is None)
    weight_number
    return


@app.cell(hide_code=True)
def _(
    SENTENCES,
    W_K,
    W_Q,
    attention_stages,
    format_number,
    mo,
    np,
    softmax,
    toy_sentence,
    variance_number,
    weight_number,
):
    mo.stop(variance_number.value is None)
    _tokens, _X = toy_sentence(SENTENCES[0])
    _i, _j = _tokens.index("'s"), _tokens.index("dog")
    _d = W_Q.shape[1]
    _s = attention_stages(_X, W_Q, W_K)  # masked and scaled: what a GPT head does
    _answer = float(_s["weights"][_i, _j])
    _seen = _s["scaled"][_i, : _i + 1]
    _exps = np.exp(_seen)
    _sum = " + ".join(f"e^{format_number(v, 3)}" for v in _seen)

    def _weight(causal=True, scale=True):
        return float(attention_stages(_X, W_Q, W_K, causal=causal, scale=scale)["weights"][_i, _j])

    _raw = _s["scores"][_i]
    _masked_raw = _raw[: _i + 1]
    # the usual slips, each with what to fix; checked in this order after the right answer
    _mistakes = [
        (
            _weight(scale=False),
            f"That is the weight without the division by √{_d}: divide "
            f"each score by √{_d} = {format_number(np.sqrt(_d), 3)} before the exp.",
        ),
        (
            _weight(causal=False),
            f"That is the weight without the mask: *'s* may not see "
            f"*{_tokens[-1]}* (it comes later), so leave it out of the sum.",
        ),
        (
            _weight(causal=False, scale=False),
            "That forgets both the mask (leave out the "
            f"later *{_tokens[-1]}*) and the division by √{_d}.",
        ),
        (float(softmax(_masked_raw / _d)[_j]), f"You divided by d = {_d}; divide by √{_d}."),
        (
            float(_raw[_j] / np.sqrt(_d)),
            "That is the scaled score itself; the weight is "
            "its exp divided by the sum of the exps of the row.",
        ),
    ]
    _value = weight_number.value
    if _value is None:
        _kind, _text = "neutral", "Type your answer above."
    elif np.isclose(_value, _answer, atol=0.0015):
        _kind, _text = (
            "success",
            f"Correct: e^{format_number(_s['scaled'][_i, _j], 3)} / ({_sum}) = "
            f"{format_number(_exps[_j], 3)} / {format_number(_exps.sum(), 3)} = "
            f"{format_number(_answer, 3)}. Tick **divide by √d** below: the table shows it.",
        )
    else:
        _hint = next(
            (h for v, h in _mistakes if np.isclose(_value, v, atol=0.0015)),
            f"Not {format_number(_value, 3)}. *'s* sees {', '.join(_tokens[: _i + 1])}: take "
            f"those {_i + 1} scores, divide each by √{_d}, exponentiate, and divide dog's exp "
            "by their sum.",
        )
        _kind, _text = "warn", _hint
    mo.callout(mo.md(f"**Exercise 4.** {_text}"), kind=_kind)
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
def _(W_Q, causal_checkbox, mo, scale_checkbox, variance_number, weights_table):
    mo.stop(variance_number.value is None)
    weights_table(
        "**Weights** with the scores "
        + (f"divided by √{W_Q.shape[1]}" if scale_checkbox.value else "not divided")
        + (", mask on" if causal_checkbox.value else ", mask off")
        + ":"
    )
    return


@app.cell(hide_code=True)
def _(OWNER_EXAMPLES, mo):
    _rows = "\n".join(
        f"    | *{text}* | *{query}* | *{target}* |" for text, query, target in OWNER_EXAMPLES
    )
    mo.md(
        rf"""
    ## 6 · Learned, not set: training $W_Q$ and $W_K$

    You found $W_Q$ and $W_K$ by thinking. A model finds them by gradient descent, as
    every weight in series 2, from a random start. Here is the toy task written as data
    ({len(OWNER_EXAMPLES)} rows: a token that needs an owner, and the owner):

    | sentence | the query token | should attend to |
    |:---|:---|:---|
{_rows}

    The loss is the mean over these rows of $-\log(\text{{weight on the owner}})$: the
    cross-entropy of a classifier (series 2), whose classes are the tokens the query may
    see. The head is a GPT head: mask on, scores divided by $\sqrt{{d}}$.

    A trained head also need not have as many slots as the embedding has features.
    Choose its width $d$:
    """
    )
    return


@app.cell
def _(mo):
    TRAIN_STEPS = 100
    train_d_slider = mo.ui.slider(
        start=1, stop=4, value=2, label="d, slots of the trained head", show_value=True
    )
    train_d_slider
    return TRAIN_STEPS, train_d_slider


@app.cell(hide_code=True)
def _(FEATURES, SENTENCES, mo, toy_sentence, train_d_slider):
    _C, _d = len(FEATURES), train_d_slider.value
    _T = len(toy_sentence(SENTENCES[0])[0])
    mo.md(
        rf"""
    Shapes with $d = {_d}$: $W_Q$ and $W_K$ are $C \times d$ = **{_C} × {_d}** (a row per
    feature, a column per slot); $Q = X W_Q$ and $K$ are $T \times d$ = {_T} × {_d} (a row
    per token); the scores $QK^\top$ are $T \times T$ = {_T} × {_T}; and
    $M = W_Q W_K^\top$ is $C \times C$ = {_C} × {_C}, whatever $d$ is. The √d of the
    scale is √{_d}.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **The gradient, by hand.** For one row $i$ (the query) with target $t$, the weights
    $p = \mathrm{softmax}(s_i)$ and $N$ rows in the loss, the softmax and the
    cross-entropy together give the row vector $g = (p - \text{onehot}(t)) / (N\sqrt{d})$,
    the loss's gradient with respect to the raw scores of row $i$ (zero at the masked keys,
    where $p = 0$). Since $s_{ij} = q_i \cdot k_j$:

    $$\frac{\partial L}{\partial W_Q} = x_i^\top\,(g K), \qquad
      \frac{\partial L}{\partial W_K} = X^\top g^\top\, q_i,$$

    summed over the rows. `core.course.qk_training.owner_loss_and_gradients` does exactly
    this; before we use it, check it against the definition of a derivative, one entry at a
    time: $(L(W + \epsilon) - L(W - \epsilon)) / 2\epsilon$.
    """)
    return


@app.cell
def _(
    format_number,
    mo,
    np,
    numerical_gradient,
    owner_loss_and_gradients,
    train_d_slider,
    train_queries_keys,
):
    _start = train_queries_keys(d=train_d_slider.value, steps=0)  # the seeded random start
    _, _dW_Q, _dW_K = owner_loss_and_gradients(_start.W_Q, _start.W_K)
    # numerical_gradient: (L(W + ε) - L(W - ε)) / 2ε, one entry of W at a time
    _num_Q = numerical_gradient(lambda w: owner_loss_and_gradients(w, _start.W_K)[0], _start.W_Q)
    _num_K = numerical_gradient(lambda w: owner_loss_and_gradients(_start.W_Q, w)[0], _start.W_K)
    gradient_gap = float(max(np.abs(_num_Q - _dW_Q).max(), np.abs(_num_K - _dW_K).max()))
    mo.md(
        f"At the random start, the hand-written gradient and the numerical one differ by at "
        f"most **{gradient_gap:.1e}** over all {_dW_Q.size + _dW_K.size} entries "
        f"(the largest entry is {format_number(max(np.abs(_dW_Q).max(), np.abs(_dW_K).max()), 3)}). "
        "The formula holds; training uses it."
    )
    return (gradient_gap,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 5.** Predict before you train: which entry of the trained $M$ will be the
    largest (in size)? Think of what *bark* and *'s* have, and what their owners have.
    """)
    return


@app.cell
def _(FEATURES, mo):
    seek_row = mo.ui.dropdown(options=list(FEATURES), label="row: the query token has")
    seek_column = mo.ui.dropdown(options=list(FEATURES), label="column: the key token has")
    mo.hstack([seek_row, seek_column], justify="start", gap=2)
    return seek_column, seek_row


@app.cell
def _(TRAIN_STEPS, mo):
    train_button = mo.ui.run_button(label=f"Train W_Q and W_K ({TRAIN_STEPS} steps)")
    return (train_button,)


@app.cell(hide_code=True)
def _(mo, seek_column, seek_row, train_button):
    mo.stop(
        seek_row.value is None or seek_column.value is None,
        mo.md("*The train button appears once you have picked a row and a column.*"),
    )
    train_button
    return


@app.cell
def _(TRAIN_STEPS, mo, train_button, train_d_slider, train_queries_keys):
    training = None  # until the button is pressed
    if train_button.value:
        with mo.status.progress_bar(
            total=TRAIN_STEPS, title="Training W_Q and W_K", remove_on_exit=True
        ) as _bar:
            training = train_queries_keys(
                d=train_d_slider.value,
                steps=TRAIN_STEPS,
                on_step=lambda _step, _loss: _bar.update(),
            )
    return (training,)


@app.cell(hide_code=True)
def _(FEATURES, bilinear_form, format_number, mo, np, seek_column, seek_row, training):
    if seek_row.value is None or seek_column.value is None:
        _kind, _text = "neutral", "Pick a row and a column, then train."
    elif training is None:
        _kind, _text = (
            "neutral",
            f"Your prediction: M[{seek_row.value}, {seek_column.value}]. Now train.",
        )
    else:
        _M = bilinear_form(training.W_Q, training.W_K)
        _f, _g = FEATURES.index(seek_row.value), FEATURES.index(seek_column.value)
        _top = np.abs(_M).max()
        _F, _G = np.unravel_index(int(np.argmax(np.abs(_M))), _M.shape)
        _yours = f"M[{seek_row.value}, {seek_column.value}] = {format_number(_M[_f, _g])}"
        if abs(_M[_f, _g]) >= 0.8 * _top:
            _kind = "success"
            _text = (
                f"Correct: {_yours}, "
                + (
                    "the largest entry. "
                    if (_f, _g) == (_F, _G)
                    else f"close to the largest, M[{FEATURES[_F]}, {FEATURES[_G]}] = "
                    f"{format_number(_M[_F, _G])}. "
                )
                + "The tokens that look (bark, 's) are the ones with *owned*; the tokens they "
                "must find (dog, tree) are the ones with *animal* or *plant*."
            )
        else:
            _kind = "warn"
            _text = (
                f"Not quite: {_yours}, while the largest is M[{FEATURES[_F]}, "
                f"{FEATURES[_G]}] = {format_number(_M[_F, _G])}. Hint: a row is a feature of "
                "the token that looks (bark and 's: what do both have?), a column a feature "
                "of the token it should find (dog or tree)."
            )
    mo.callout(mo.md(f"**Exercise 5.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(TRAIN_STEPS, alt, format_number, mo, pd, training):
    mo.stop(
        training is None,
        mo.md(f"*Press the button to run {TRAIN_STEPS} steps of gradient descent (a blink).*"),
    )
    _losses = pd.DataFrame({"step": range(len(training.losses)), "loss": training.losses})
    _d = training.W_Q.shape[1]
    loss_chart = (
        alt.Chart(_losses)
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X("step:Q", title="training step"),
            y=alt.Y("loss:Q", title="loss: mean −log(weight on the owner)"),
            tooltip=["step", alt.Tooltip("loss:Q", format=".4f")],
        )
        .properties(width=420, height=240, title=f"Loss of the toy head while training (d = {_d})")
    )
    mo.vstack(
        [
            loss_chart,
            mo.md(
                f"The loss fell from **{format_number(training.losses[0], 3)}** at the random "
                f"start to **{format_number(training.losses[-1], 3)}** after "
                f"{len(training.losses) - 1} steps (learning rate "
                f"{format_number(training.learning_rate, 1)})."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(
    FEATURES,
    M,
    OWNER_EXAMPLES,
    W_K,
    W_Q,
    attention_stages,
    bilinear_form,
    format_number,
    markdown_matrix,
    matrix_block,
    mo,
    np,
    slot_labels,
    toy_sentence,
    training,
):
    mo.stop(training is None)
    _d = training.W_Q.shape[1]
    _M = bilinear_form(training.W_Q, training.W_K)
    _f, _g = np.unravel_index(int(np.argmax(np.abs(_M))), _M.shape)
    _o = FEATURES.index("owned")
    _norms = np.linalg.norm(_M) * np.linalg.norm(M)
    _cosine = float((_M * M).sum() / _norms) if _norms > 0 else float("nan")
    _pair = "query has ↓ · key has →"

    def _owner_weights(W_Q_, W_K_):
        _w = []
        for _text, _query, _target in OWNER_EXAMPLES:
            _tokens, _X = toy_sentence(_text)
            _s = attention_stages(_X, W_Q_, W_K_)  # mask on, scaled: the trained head's setting
            _w.append(_s["weights"][_tokens.index(_query), _tokens.index(_target)])
        return _w

    _table = np.array(
        [
            _owner_weights(training.W_Q_start, training.W_K_start),
            _owner_weights(training.W_Q, training.W_K),
            _owner_weights(W_Q, W_K),
        ]
    ).T
    _similar = (
        "nothing to compare with: your M is all zeros"
        if np.isnan(_cosine)
        else f"the cosine between the two M (their entries read as two vectors of "
        f"{_M.size} numbers) is **{format_number(_cosine)}**"
        + (
            ", so they point much the same way."
            if _cosine > 0.8
            else "; set W_Q and W_K as exercise 1 asks and compare again."
        )
    )
    mo.vstack(
        [
            mo.hstack(
                [
                    matrix_block(
                        f"**trained W_Q** ({len(FEATURES)} × {_d})",
                        training.W_Q,
                        list(FEATURES),
                        slot_labels("q", _d),
                        corner="feature",
                    ),
                    matrix_block(
                        f"**trained W_K** ({len(FEATURES)} × {_d})",
                        training.W_K,
                        list(FEATURES),
                        slot_labels("k", _d),
                        corner="feature",
                    ),
                    matrix_block(
                        "**trained M = W_Q W_Kᵀ**", _M, list(FEATURES), list(FEATURES), corner=_pair
                    ),
                    matrix_block(
                        "**your M** (section 3)", M, list(FEATURES), list(FEATURES), corner=_pair
                    ),
                ],
                justify="start",
                gap=1,
                wrap=True,
            ),
            mo.md(
                f"""
    The trained $W_Q$ and $W_K$ are not yours, entry by entry: they started from random
    numbers, and their slots are as arbitrary as section 3 showed. Read **M** instead. Its largest
    entry is M[{FEATURES[_f]}, {FEATURES[_g]}] = {format_number(_M[_f, _g])}
    (a token with *{FEATURES[_f]}* {"seeks" if _M[_f, _g] > 0 else "avoids"} tokens with
    *{FEATURES[_g]}*), and M[owned, owned] = {format_number(_M[_o, _o])}
    ({"bark is pushed away from itself and from *'s*" if _M[_o, _o] < 0 else "owned still seeks owned"}).
    Against your hand-set M, {_similar}

    The weight each query puts on its owner (mask on, scores divided by √d):
    """
            ),
            mo.md(
                markdown_matrix(
                    _table,
                    [f"{q} → {t} in “{x}”" for x, q, t in OWNER_EXAMPLES],
                    ["random start", "trained", "yours"],
                    corner="query → owner",
                )
            ),
            mo.md(
                f"A toy, of course: {len(OWNER_EXAMPLES)} rows, {len(FEATURES)} hand-made "
                f"features, {len(training.losses) - 1} steps. A real head learns its W_Q and "
                "W_K the same way, from the next-token loss of the whole model over its "
                "whole training text, and nobody writes down what it should seek."
            ),
        ],
        gap=0.5,
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
    - $M = W_Q W_K^\top$, feature × feature ($C \times C$ whatever $d$), is all the
      scores see: $\text{score}(i \to j) = x_i M x_j^\top$. Any invertible $R$ remixes
      the slots ($W_Q R$, $W_K R^{-\top}$) and leaves $M$ alone, so read a head through $M$.
    - The causal mask sets future scores to $-\infty$: their weights become 0, and no
      answer leaks into its question.
    - For random queries and keys with unit-variance entries, raw scores have variance
      $d$; dividing by $\sqrt{d}$ brings it back to 1 and keeps the softmax from saturating. You can compute one weight by hand: mask, divide by
      $\sqrt{d}$, exp, sum, divide.
    - $W_Q$ and $W_K$ are learned: gradient descent (with a gradient you checked against
      the definition of a derivative) found, from a random start, a head whose $M$ has its
      largest entries where exercise 1's hint puts them (*owned* seeking *animal* and
      *plant*), though its $W_Q$ and $W_K$ differ from any hand-set pair.

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
